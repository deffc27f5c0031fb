/**
 * Rows skipped although they hold relay-refusal text: a file with one never ends in "no relay
 * refusals". Every reader uses this: a row it cannot read (a cut line, a wrong field count, a date it
 * does not know, a record that fails its schema) is checked for refusal text with the one matcher,
 * {@link refusalMarkerIn}, and one that holds some is skipped as `REFUSAL_NOT_READ`; once the file
 * is read — its other refusals handed on — the file fails with that code, naming the line.
 *
 * A file's last row or record, cut short where the file ends, counts a relay-attribution code cut at
 * its end as refusal text too ({@link cutRowMarkerIn}): every reader's one rule for a cut file.
 *
 * A row that is read is looked at only when it is a failure whose status holds such text yet gave
 * no refusal ({@link unreadFailureOf}): its code in a form not read is no refusal lost unsaid either.
 */
import { plural } from '../../kernel/counts-in-words.js';
import { ErrorCode, RelayAuditError } from '../../kernel/errors.js';
import { quoteText } from '../../kernel/strings.js';
import {
  mayBeRelayRejection,
  plainStatus,
  REFUSAL_MARKER_REACH,
  RELAY_ATTRIBUTION_CODES,
  refusalMarkerIn,
  settledMarkerIn,
  statusesIn,
} from '../evidence/rejections.js';
import type { RowSkip, SkipReason } from '../formats/format-adapter.js';
import type { TraceEvent } from '../model/events.js';
import type { SourceRecord } from '../model/source-record.js';
import { endsDelivery } from '../trace-failures.js';

/** What to do about such a row of a file that is no mail log: a tracking log, an export, a JSON trace. */
export const READ_AGAIN =
  'Copy or export the file again (a tracking log once it has rolled over), or mend the row, and analyse it again.';

/**
 * What to do about the rows after a `#Fields:` line of another kind of log than the file began with:
 * logs joined into one (`type *.LOG > all.log`), each read as a file of its own. Copying the file
 * again or mending a row would not help. `line`: where the part begins (its first `#` line); `part`:
 * what it is, when relay-audit reads that kind of log (otherwise the part, analysed alone, is told).
 */
export function splitJoined(line: number, part?: string): string {
  return part === undefined
    ? `Split the file before line ${line} and analyse both parts, or the original logs as separate files: ` +
        'relay-audit then tells what the part from that line is.'
    : `relay-audit reads each kind of log as a file of its own: split the file before line ${line}, where the ${part} ` +
        'begins, and analyse both parts, or analyse the original logs as separate files (they may be given ' +
        'together in one run).';
}

/** What to do about a file cut short, once the skip of its cut row said to copy it again. */
export const NEW_COPY = 'Analyse the new copy.';

/**
 * Said of a row on a file's last line, which has no line end: a log copied while it was being written
 * (by `writer`, when one program writes it: `Exchange`), which a copy made once it has rolled over has
 * whole; an export cut short.
 */
export function cutLastLine(file: 'log' | 'export', writer?: string): string {
  return `it is the last line and has no line end: ${cutShort(file, writer)}`;
}

/**
 * Why a file ends inside a row or record (its last line, a quoted field or JSON object still open),
 * and what to do: the file's part of {@link cutLastLine}. `download`: a file saved from a service
 * (Graph pages, `ConvertTo-Json` output), which a stopped download or export leaves cut short.
 */
export function cutShort(file: 'log' | 'export' | 'download', writer?: string): string {
  const copied = writer === undefined ? 'it was being written' : `${writer} was writing it`;
  if (file === 'download')
    return `${EXPORT_CUT_SHORT} (a download or export stopped early) — download or export it again`;
  return file === 'export'
    ? `${EXPORT_CUT_SHORT}, copied while it was being written — copy or export it again`
    : `${LOG_CUT_SHORT} ${copied} — copy it again once the log has rolled over (a new file begun)`;
}

/** How {@link cutShort} begins, for {@link endsCutShort} to tell its skips. */
const EXPORT_CUT_SHORT = 'the file looks cut short';
const LOG_CUT_SHORT = 'the log looks copied while';

/**
 * Whether a file's reading ended inside a row or record, cut short (a log copied while it was
 * written, an export or download stopped early): what that row held beyond the cut is unknown, so
 * a run without refusals is no all-clear for it. Told by the source record: the note of a cut last
 * line that was read, a record the file ends inside (`TRUNCATED_RECORD`), or a row skipped with
 * {@link cutShort}'s words.
 */
export function endsCutShort(source: Pick<SourceRecord, 'notes' | 'skipped' | 'skippedByReason'>): boolean {
  if (source.notes?.some((note) => note.code === 'LAST_LINE_CUT')) return true;
  if ((source.skippedByReason.TRUNCATED_RECORD ?? 0) > 0) return true;
  return source.skipped.some((row) => saysCutShort(row.message));
}

/** Whether a skip's message says, in {@link cutShort}'s words, that its file is cut short. */
function saysCutShort(message: string): boolean {
  return message.includes(EXPORT_CUT_SHORT) || message.includes(LOG_CUT_SHORT);
}

/**
 * The starts of the relay-attribution codes from their second part on (`5.7`, `5.7.`, `5.7.6`), each
 * with its code: shorter ones (`5.`) are too common a text's end to tell anything.
 */
const CODE_STARTS: ReadonlyMap<string, string> = new Map(
  [...RELAY_ATTRIBUTION_CODES].flatMap((code) => {
    const starts: [string, string][] = [];
    for (let end = code.indexOf('.') + 2; end < code.length; end++) starts.push([code.slice(0, end), code]);
    return starts;
  }),
);
/** One of {@link CODE_STARTS} where a text ends, not part of a longer dotted number (as refusalMarkerIn). */
const CUT_CODE = new RegExp(
  `(?<![\\d.])(?:${[...CODE_STARTS.keys()].map((start) => start.replaceAll('.', '\\.')).join('|')})$`,
);

/**
 * A relay-attribution code cut short where `text` ends (`… 550 5.7.6`), as a marker for {@link skipOf},
 * or `undefined`. A line cut there (the last of a log copied while it was written) may have been a
 * refusal: what was read of it cannot tell.
 */
export function cutCodeIn(text: string): string | undefined {
  const start = CUT_CODE.exec(text.trimEnd())?.[0];
  return start === undefined ? undefined : `${start}…, cut short: ${CODE_STARTS.get(start)}?`;
}

/**
 * The refusal marker of a file's last row or record, cut short where the file ends (a log copied
 * while it was written, an export or download stopped early): relay-refusal text it holds
 * ({@link refusalMarkerIn}), or a relay-attribution code the cut left unreadable ({@link cutCodeIn}).
 * The one rule of every reader: such a row that gave no refusal is `REFUSAL_NOT_READ`.
 */
export function cutRowMarkerIn(text: string): string | undefined {
  return refusalMarkerIn(text) ?? cutCodeIn(text);
}

/** A skipped row as reported. */
export type Skip = RowSkip;

/** What to do about a failure whose refusal text gave no refusal ({@link unreadFailureOf}). */
export const READ_AS_WRITTEN =
  'Analyse the log or export as the server wrote it (not text pasted or converted by another program), ' +
  'or mend the row, and analyse it again.';

/** How much of such a failure's status its skip quotes. */
const QUOTED_STATUS = 160;

/** What the skip of {@link unreadFailureOf} says of its status: told again from a record's listed skip. */
const NO_CODE_READ = 'but no enhanced status code that relay-audit reads';

/**
 * The skip of an event read as a failure (`FAIL`, `DEFER`: a tracking log's, a trace's `Fail`,
 * Postfix's `bounced` or `deferred`) whose status holds relay-refusal text ({@link refusalMarkerIn})
 * but no status code that is read: the refusal's code in a form the parser does not read, or not
 * written at all. `REFUSAL_NOT_READ`, quoting the status, as a row not read with such text;
 * `undefined` for every other event. A status whose code is read is that code's failure (a 5.1.1, a
 * look-alike `5.7.641`), whatever words it holds. Only failures: a delivery or a warning may name the
 * words (an inbound NDR delivered, a header check on a subject) without being a refusal. Every
 * reader's events pass through here.
 */
export function unreadFailureOf(event: Pick<TraceEvent, 'eventId' | 'recipientStatus'>): Skip | undefined {
  const status = event.recipientStatus;
  if (status === undefined || !(endsDelivery(event.eventId, null) || event.eventId === 'DEFER'))
    return undefined;
  // The row filter's substring test first: most failures are not relay refusals, and skip the search.
  if (!mayBeRelayRejection(status)) return undefined;
  const plain = plainStatus(status);
  const marker = refusalMarkerIn(plain);
  // A relay refusal read is a status read too.
  if (marker === undefined || statusesIn(plain).length > 0) return undefined;
  return {
    reason: 'REFUSAL_NOT_READ',
    message:
      `its ${event.eventId} status holds relay-refusal text (${marker}) ${NO_CODE_READ} ` +
      `(such as 5.7.64): "${quoteText(status, QUOTED_STATUS)}"`,
  };
}

/**
 * Skip codes of rows that may be relay refusals no one can tell: a failure whose status was not
 * exported (`STATUS_NOT_EXPORTED`), a failure row that could not be read (`FAILURE_NOT_READ`). Such a
 * row fails the file only where it would otherwise say "no relay refusals" (see
 * {@link UnreadRefusals.fail}).
 */
const MAY_BE_REFUSALS: ReadonlySet<string> = new Set<SkipReason>(['STATUS_NOT_EXPORTED', 'FAILURE_NOT_READ']);

/** True for a skip code of a row that may be a relay refusal no one can tell ({@link MAY_BE_REFUSALS}). */
export function mayBeRefusal(reason: string): boolean {
  return MAY_BE_REFUSALS.has(reason);
}

/**
 * The skip of a row whose text holds `marker` (from {@link refusalMarkerIn}, or `undefined`):
 * `REFUSAL_NOT_READ`, why it was not read kept in the message; else the skip as it was.
 */
export function skipOf(reason: SkipReason, message: string, marker: string | undefined): Skip {
  if (marker === undefined) return { reason, message };
  return { reason: 'REFUSAL_NOT_READ', message: `${message}, yet it holds relay-refusal text (${marker})` };
}

/** {@link skipOf} for a row whose text is at hand: searched with {@link refusalMarkerIn}. */
export function skipSearched(reason: SkipReason, message: string, text: string): Skip {
  return skipOf(reason, message, refusalMarkerIn(text));
}

/** The first skipped row that held refusal text (with advice of its own, if any), and how many did. */
interface Unread {
  count: number;
  first: { line: number; message: string; advice?: string } | undefined;
}

/**
 * Rows skipped as `REFUSAL_NOT_READ` in one file, and rows that may be refusals no one can tell
 * ({@link mayBeRefusal}). A read that goes on from an earlier invocation's (ingest's continuations)
 * starts from the rows that record counted.
 */
export class UnreadRefusals {
  private readonly unread: Unread;
  private readonly untold: Unread;

  /** `advice`: what to do, ending the failure's message. */
  public constructor(
    private readonly file: string,
    private readonly advice: string,
    earlier?: Pick<SourceRecord, 'skipped' | 'skippedByReason'>,
  ) {
    this.unread = earlierOf(earlier, (reason) => reason === 'REFUSAL_NOT_READ');
    this.untold = earlierOf(earlier, mayBeRefusal);
  }

  /**
   * `advice`: what to do about this row, when it is the first and not what the file's rows need. A
   * row whose skip says the file is cut short ({@link cutShort}) has said to copy it again already:
   * {@link NEW_COPY}, whichever reader skipped it.
   */
  public add(line: number, message: string, advice?: string): void {
    this.unread.count++;
    this.unread.first ??= firstOf(line, message, advice);
  }

  /** A row that may be a refusal no one can tell ({@link mayBeRefusal}): see {@link fail}. */
  public addUntold(line: number, message: string, advice?: string): void {
    this.untold.count++;
    this.untold.first ??= firstOf(line, message, advice);
  }

  /**
   * Throws REFUSAL_NOT_READ when a row with refusal text was skipped. A row that may be a refusal
   * (`addUntold`) fails the file only where it would otherwise say "no relay refusals": its other rows
   * were read (`analysed`; a file of nothing else is NO_USABLE_ROWS, which tells more of it) and gave
   * none (`refusals`; where they gave some, the row's skip is the warning). `what`: what the file
   * looks like, when no row of it was read.
   */
  public fail(
    what?: string,
    read: { analysed: boolean; refusals: boolean } = { analysed: true, refusals: false },
  ): void {
    if (this.unread.count > 0) this.throwFor(this.unread, 'that hold relay-refusal text', what);
    if (this.untold.count > 0 && read.analysed && !read.refusals)
      this.throwFor(this.untold, 'that may be relay refusals', what);
  }

  private throwFor(unread: Unread, which: string, what: string | undefined): never {
    const { count, first } = unread;
    // The first may be past the rows an earlier invocation listed (they are capped): then unnamed.
    const example = first === undefined ? '' : ` — ${first.message}`;
    const lines =
      count === 1
        ? `line ${first?.line ?? '?'} could not be read`
        : `${plural(count, 'line')} ${which} could not be read${first === undefined ? '' : `, e.g. line ${first.line}`}`;
    const rest =
      what === undefined
        ? `Its other lines were read and their refusals are reported, but not ${count === 1 ? 'this line' : 'these lines'}.`
        : `It looks like ${what}.`;
    throw new RelayAuditError(
      ErrorCode.RefusalNotRead,
      `${this.file}: ${lines}${example}. ${rest} ${first?.advice ?? this.advice}`,
      {
        location: first === undefined ? { file: this.file } : { file: this.file, line: first.line },
      },
    );
  }
}

/** The first unread row of a file, with what to do about it ({@link UnreadRefusals.add}). */
function firstOf(line: number, message: string, advice?: string): Unread['first'] {
  const said = advice ?? (saysCutShort(message) ? NEW_COPY : undefined);
  return said === undefined ? { line, message } : { line, message, advice: said };
}

/** What an earlier invocation's record counted of the rows skipped for the reasons `counts` takes. */
function earlierOf(
  earlier: Pick<SourceRecord, 'skipped' | 'skippedByReason'> | undefined,
  counts: (reason: string) => boolean,
): Unread {
  const first = earlier?.skipped.find((row) => counts(row.reason));
  const count = Object.entries(earlier?.skippedByReason ?? {}).reduce(
    (sum, [reason, rows]) => (counts(reason) ? sum + rows : sum),
    0,
  );
  if (first === undefined) return { count, first: undefined };
  // A failure read whole whose code is not read asks for the file as written (see unreadFailureOf).
  const advice = first.message.includes(NO_CODE_READ) ? READ_AS_WRITTEN : undefined;
  return { count, first: firstOf(first.line, first.message, advice) };
}

/**
 * Searches a row too long to keep, piece by piece as it passes, for relay-refusal text: the same
 * matcher, a marker cut between two pieces found whole, one near a piece's end judged with what
 * follows it ({@link settledMarkerIn}).
 */
export class PieceSearch {
  private tail = '';
  private marker: string | undefined;

  public push(piece: string): void {
    if (this.marker !== undefined) return;
    const text = this.tail + piece;
    const match = settledMarkerIn(text, false);
    if (match !== undefined) {
      this.marker = match[0];
      this.tail = '';
      return;
    }
    // One character more than the undecided end: what a code's start looks behind at.
    this.tail = text.slice(Math.max(0, text.length - REFUSAL_MARKER_REACH - 1));
  }

  /**
   * The marker the row held, if any; the search starts over for the next row. `cut`: the row is the
   * one the file ends inside, so a relay-attribution code cut at its end counts ({@link cutRowMarkerIn}).
   */
  public end(cut = false): string | undefined {
    const marker =
      this.marker ?? settledMarkerIn(this.tail, true)?.[0] ?? (cut ? cutCodeIn(this.tail) : undefined);
    this.marker = undefined;
    this.tail = '';
    return marker;
  }
}
