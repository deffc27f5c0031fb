/**
 * The table of a report passed over (`ConvertTo-Html`), and whether its rows are those of an export
 * relay-audit reads (Get-MessageTrackingLog, Get-MessageTrace[V2], Get-MessageTraceDetail[V2]): such
 * a report may hold relay refusals, even when no refusal text is left in it because its lists were
 * written unjoined (`<td>System.String[]</td>`, or `System.Collections.ArrayList` from a remote session).
 *
 * The file is read as a stream of table rows ({@link TableRows}): whatever lies outside a row — the
 * `<head>`, a `<style>`, a logo inlined as a `data:` URI in `-PreContent` — is dropped chunk by chunk
 * and only a row not yet ended is kept, so memory stays bounded however far into the file the table
 * starts, and the file is read once, up to {@link TABLE_SEARCH_CHARS}.
 */
import { UNJOINED_LIST_LITERALS } from '../../functions/core/analysis/formats/recipient-lists.js';
import { chooseFormat } from '../../functions/core/analysis/input/detect.js';
import type { FormatId } from '../../functions/core/analysis/model/events.js';
import { searchText } from './text-search.js';

/**
 * How far into a file its tables are looked for: past a page's head and styles, pictures inlined in
 * it (mailed reports embed their logo and charts, as linked images are blocked), and the fragments of
 * other tables before the rows (`-Body "$summary $rows"`).
 */
const TABLE_SEARCH_CHARS = 16 * 1024 * 1024;

/** The longest row kept: a header row of every tracking property is about 1 K characters; a longer row is passed over. */
const ROW_MAX_CHARS = 64 * 1024;

/**
 * How many rows of a table (or properties of a `-As List` report) are looked at for unjoined lists
 * and addresses before it is judged: a tracking row shows `System.String[]` in its first row, and a
 * list names all of an event's 32 properties before the next event.
 */
const SAMPLE_ROWS = 100;

/** The start of a row's start and end tags: `<tr>`, `<TR class=…>`, `</tr>`. */
const ROW_TAG = /<(\/?)tr\b/gi;

/**
 * How many characters at a chunk's end may hold a row tag cut in two (`</tr` and the character after
 * it): they are searched again with the next chunk.
 */
const TAG_CUT = 4;

/**
 * The cells of a row, header (`th`) or data (`td`), with their text up to any markup in them:
 * `ConvertTo-Html` encodes its values, so a cell's text is whole; a hand-written cell with markup
 * keeps its place in the row.
 */
const CELL = /<t([hd])\b[^>]*>([^<]*)/gi;

/** A property name of `ConvertTo-Html -As List`, which writes no header row: `<td>EventId:</td>`. */
const LIST_NAME = /^([A-Za-z][\w ]*):$/;

/**
 * A cell holding one mail address, as a tracking row's Sender does. `&` is left out so that an encoded
 * Message-ID (`&lt;id@host&gt;`) is not taken for one.
 */
const MAIL_ADDRESS = /^[^\s@&<>]+@[^\s@&<>]+\.[^\s@&<>]+$/;

/** Names a tracking row's Recipients is given, kept or renamed (compared as by {@link comparable}). */
const RECIPIENTS_NAMES: ReadonlySet<string> = new Set(['to', 'recipient', 'recipients']);

/** A report's table whose rows are an export's, and what in the file told it. */
export interface ReportTable {
  format: FormatId;
  /**
   * The literal its lists were written as, unjoined (`System.String[]`; `System.Collections.ArrayList`
   * from a remote session): their refusal text is lost. Undefined when no list cell held one.
   */
  unjoinedList: string | undefined;
  /** What told it, for the user: `its header row`, `its property names`. */
  toldBy: string;
}

/**
 * The export whose rows a report passed over holds, told by its table's columns as an export's by its
 * header (`Get-MessageTrackingLog | ConvertTo-Html > messages.html`, Microsoft Learn's recipe; the same
 * of Get-MessageTrace[V2] or Get-MessageTraceDetail[V2]), or undefined.
 */
export function exportTableIn(
  name: string,
  open: () => AsyncIterable<Uint8Array>,
): Promise<ReportTable | undefined> {
  const rows = new TableRows();
  const tables = new ReportTables();
  /** The first table of the rows told, of those given. */
  const told = (given: Iterable<string>): ReportTable | undefined => {
    for (const row of given) {
      const table = tables.add(row);
      if (table !== undefined) return table;
    }
    return undefined;
  };
  return searchText(
    name,
    open,
    { push: (text) => told(rows.push(text)), end: () => told(rows.end()) ?? tables.end() },
    TABLE_SEARCH_CHARS,
  );
}

/**
 * The rows (`<tr…>…</tr>`) of markup given chunk by chunk, each from its `<tr` up to its `</tr` (or
 * the next `<tr`, where the end tag was left out). Between chunks only the row not yet ended is kept,
 * with the last {@link TAG_CUT} characters: text outside rows is dropped as it comes, and a row that
 * grows past {@link ROW_MAX_CHARS} is passed over. Each character is searched once.
 */
export class TableRows {
  /** What is kept of the text so far: the row not yet ended, or the end that may start a tag. */
  private kept = '';
  /** Where in `kept` the search for tags resumes: what lies before it was searched. */
  private searched = 0;
  /** Whether `kept` starts with a row's `<tr`. */
  private inRow = false;

  /** The rows ended in the text so far, with `text` added. */
  public push(text: string): string[] {
    return this.rows(this.kept + text, false);
  }

  /** The rows left once the text has ended: one not ended (a file cut short) is given as it is. */
  public end(): string[] {
    return this.rows(this.kept, true);
  }

  private rows(text: string, last: boolean): string[] {
    const found: string[] = [];
    let rowStart = this.inRow ? 0 : -1;
    // A tag starting past here may be cut in two: it is searched again with the next chunk.
    const settled = last ? text.length : Math.max(this.searched, text.length - TAG_CUT);
    const tags = new RegExp(ROW_TAG);
    tags.lastIndex = this.searched;
    for (let tag = tags.exec(text); tag !== null && tag.index < settled; tag = tags.exec(text)) {
      if (rowStart !== -1) found.push(text.slice(rowStart, tag.index));
      rowStart = tag[1] === '/' ? -1 : tag.index;
    }
    if (last && rowStart !== -1) found.push(text.slice(rowStart));
    // A row too long to be a header or an event is passed over: its end tag, when it comes, ends nothing.
    this.inRow = !last && rowStart !== -1 && text.length - rowStart <= ROW_MAX_CHARS;
    const keepFrom = this.inRow ? rowStart : settled;
    this.kept = last ? '' : text.slice(keepFrom);
    this.searched = settled - keepFrom;
    return found;
  }
}

/** What a table's sampled cells held, by column name. */
export interface HeldCells {
  /** The columns seen holding an unjoined list. */
  lists: ReadonlySet<string>;
  /** The columns seen holding a mail address. */
  addresses: ReadonlySet<string>;
}

/** A table's columns seen so far, and what their cells held. */
interface Sampled extends HeldCells {
  /** Its header row's cells, or a `-As List` report's property names in the order met. */
  names: string[];
  lists: Set<string>;
  addresses: Set<string>;
  /** The first unjoined-list literal met. */
  unjoined: string | undefined;
  rows: number;
  toldBy: string;
}

/**
 * Judges the tables of a report from its rows, in order: each table by its header row and its first
 * {@link SAMPLE_ROWS} rows (a report may put a summary table before the rows: `-Body "$a $b"`), a
 * `-As List` report by the property names of its rows.
 */
class ReportTables {
  private table: Sampled | undefined;
  private list: Sampled | undefined;

  /** The export a table is told to hold once `row` is added, if any. */
  public add(row: string): ReportTable | undefined {
    const cells = [...row.matchAll(CELL)].map((cell) => ({
      header: cell[1]?.toLowerCase() === 'h',
      text: (cell[2] ?? '').trim(),
    }));
    if (cells.length === 0) return undefined;
    if (cells.every((cell) => cell.header)) {
      const previous = this.table;
      this.table = sampled(
        cells.map((cell) => cell.text),
        'its header row',
      );
      return previous === undefined ? undefined : judgedAtEnd(previous);
    }
    const property = cells.length === 2 ? LIST_NAME.exec(cells[0]?.text ?? '')?.[1] : undefined;
    if (property !== undefined) {
      this.list ??= sampled([], 'its property names');
      if (this.list.rows < SAMPLE_ROWS) this.list.names.push(property);
      return sample(this.list, [property], [cells[1]?.text ?? '']);
    }
    if (this.table === undefined) return undefined;
    return sample(
      this.table,
      this.table.names,
      cells.map((cell) => cell.text),
    );
  }

  /** The export a table not judged yet is told to hold, once the rows have ended. */
  public end(): ReportTable | undefined {
    for (const table of [this.table, this.list]) {
      const told = table === undefined ? undefined : judgedAtEnd(table);
      if (told !== undefined) return told;
    }
    return undefined;
  }
}

function sampled(names: string[], toldBy: string): Sampled {
  return { names, lists: new Set(), addresses: new Set(), unjoined: undefined, rows: 0, toldBy };
}

/**
 * Notes the unjoined lists and mail addresses of a row's `values` under their column `names`; judges
 * the table on its last sampled row, and passes over the rows after it.
 */
function sample(
  table: Sampled,
  names: readonly string[],
  values: readonly string[],
): ReportTable | undefined {
  if (table.rows >= SAMPLE_ROWS) return undefined;
  values.forEach((value, at) => {
    const name = names[at];
    if (UNJOINED_LIST_LITERALS.has(value)) {
      table.unjoined ??= value;
      if (name !== undefined) table.lists.add(name);
    } else if (name !== undefined && MAIL_ADDRESS.test(value)) {
      table.addresses.add(name);
    }
  });
  table.rows++;
  return table.rows === SAMPLE_ROWS ? judged(table) : undefined;
}

/** A table judged when its rows end before {@link SAMPLE_ROWS} (one with that many is judged already). */
function judgedAtEnd(table: Sampled): ReportTable | undefined {
  return table.rows < SAMPLE_ROWS ? judged(table) : undefined;
}

/** The export a table holds by its columns: a whole export's header, or the columns of {@link reportedRowsOf}. */
function judged(table: Sampled): ReportTable | undefined {
  const format = chooseFormat(table.names, false)?.id ?? reportedRowsOf(table.names, table);
  return format === undefined ? undefined : { format, unjoinedList: table.unjoined, toldBy: table.toldBy };
}

/**
 * The cmdlet whose rows a table holds when its columns are not a whole export's: a selection
 * (`Select Timestamp,Sender,Recipients,RecipientStatus`), a list (`-As List`), renamed columns
 * (`Select @{n='To';e={$_.Recipients}}`). `held` tells what the sampled cells of each column held.
 *
 * - Get-MessageTrackingLog's rows: its RecipientStatus, which no other cmdlet writes; or its Recipients
 *   with its EventId, Sender or MessageSubject (the queue viewer's Get-Message writes Recipients beside
 *   FromAddress and Subject). EventId is often not selected: `-EventId FAIL` already chose the rows.
 * - Renamed columns (`Time, From, To, Status`) say little by their names; what their cells hold does.
 *   A list counts only when written unjoined, which is when its refusal text is lost (joined, that
 *   text is found in the file).
 *   - A list of statuses beside a sender or recipients column is RecipientStatus: every other
 *     cmdlet's status is one value.
 *   - A list named as a message's recipients ({@link RECIPIENTS_NAMES}) beside a sender column holding
 *     a mail address is Recipients beside Sender. Settings list recipients beside sender columns that
 *     hold flags or lists, no address: Get-OutboundConnector's RecipientDomains beside
 *     SenderRewritingEnabled, Get-InboundConnector's ScanAndDropRecipients beside SenderDomains,
 *     Get-TransportRule's RecipientDomainIs beside From. Get-QuarantineMessage's RecipientAddress list
 *     sits beside a SenderAddress and a time as a tracking row's does: only its name tells it. A time
 *     column would tell none of them apart (connectors and rules hold WhenChanged), nor would a list
 *     beside any address (Get-Message lists Recipients beside FromAddress).
 * - Get-MessageTrace[V2]'s rows: RecipientAddress with Received or Status; Get-MessageTraceDetail's:
 *   RecipientAddress with Event. Not MessageTraceId, nor RecipientAddress with EventType and Action:
 *   the Get-MailDetail…Report cmdlets (spam, malware, ATP, transport rule, DLP, encryption) write those
 *   for messages filtered, which no relay refused. Nor a Get-HistoricalSearch job list, told by its
 *   JobId: its RecipientAddress is the search's filter and its Status the job's.
 */
export function reportedRowsOf(names: readonly string[], held: HeldCells): FormatId | undefined {
  const has = new Set(names.map(comparable));
  const listed = [...held.lists].map(comparable);
  const addressed = [...held.addresses].map(comparable);
  if (has.has('recipientstatus')) return 'tracking-log-export';
  if (has.has('recipients') && (has.has('eventid') || has.has('sender') || has.has('messagesubject')))
    return 'tracking-log-export';
  if ([...has].some(isAddressColumn) && listed.some((name) => name.includes('status')))
    return 'tracking-log-export';
  if (listed.some((name) => RECIPIENTS_NAMES.has(name)) && addressed.some(isSender))
    return 'tracking-log-export';
  if (has.has('recipientaddress') && !has.has('jobid')) {
    if (has.has('event')) return 'message-trace-detail';
    if (has.has('received') || has.has('status')) return 'message-trace';
  }
  return undefined;
}

/** A column name as compared: `Recipient Status`, `recipient_status` and `RecipientStatus` alike. */
function comparable(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** A column of recipients or of the sender, by its name: `To`, `Recipients`, `RecipientList`, `From`, `Sender`. */
function isAddressColumn(name: string): boolean {
  return name === 'to' || name.includes('recipient') || isSender(name);
}

/** A column of the sender, renamed or not: `From`, `Sender` (not the queue viewer's `FromAddress`). */
function isSender(name: string): boolean {
  return name === 'from' || name.includes('sender');
}
