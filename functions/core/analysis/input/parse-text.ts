/**
 * The flow for inputs that are not CSV-like (MTA logs, IIS SMTP logs, message trace JSON): their
 * first lines tell the format, and the format's own reader turns the text into events, with the
 * same accounting as CSV files: every row (a line, a JSON record) is analysed or skipped with a
 * reason; lines of other programs are skipped and only counted.
 *
 * A syslog file whose first lines are no mail program's (`/var/log/syslog`, a mail.log that begins
 * with dovecot) is read on: its format is the one its first mail line tells, and until then its
 * lines are only counted, so the batch that waits for it stays small.
 *
 * A log of lines that ends inside a line (copied while it was being written) says so: in the skip of
 * that line, or as `LAST_LINE_CUT` when it was read as far as it goes; one whose refusal text gave no
 * refusal fails the file (REFUSAL_NOT_READ), as every unread refusal does (unread-refusals.ts).
 */
import { groupDigits } from '../../kernel/counts-in-words.js';
import { UnknownFormatError } from '../../kernel/errors.js';
import type { NotUtf8 } from '../../text/decode.js';
import { rowMayMatter } from '../evidence/relevance.js';
import type { SkipReason } from '../formats/format-adapter.js';
import { refusalReadAside, syslogMailLog, unreadableMailLog } from '../formats/mta-log.js';
import {
  isLate,
  type LateTextFormat,
  type LateTextReader,
  MAX_LINE_CHARS,
  type TextContext,
  type TextFormat,
  type TextHead,
  type TextReader,
  type TextSink,
} from '../formats/text-format.js';
import { TEXT_FORMATS } from '../formats/text-formats.js';
import { type FormatId, MAIL_LOG_FORMATS } from '../model/events.js';
import type { SourceNote } from '../model/source-record.js';
import {
  type AnalysisInput,
  acceptEvent,
  emptyBatch,
  type ParsedBatch,
  type ParseListener,
  type ParseOptions,
  pump,
  skippedRow,
} from './batches.js';
import { describeKnownFormats } from './detect.js';
import { notUtf8Note } from './not-utf8.js';
import { HeldBatches, TimestampParser } from './timestamps.js';
import {
  cutCodeIn,
  cutLastLine,
  cutRowMarkerIn,
  NEW_COPY,
  READ_AGAIN,
  READ_AS_WRITTEN,
  skipOf,
  UnreadRefusals,
  unreadFailureOf,
} from './unread-refusals.js';

/** The advice for a mail log's unread refusal lines: another shape of the log is better read. */
const MAIL_LOG_ADVICE =
  'Give relay-audit the log in a shape it reads (syslog lines, RFC 5424, journalctl -o short-iso or -o json: ' +
  'see the README) and analyse it again.';

/**
 * The logs of lines, whose last line without a line end was cut. A JSON trace is none: it may end
 * without one, and its reader tells a record the file ends inside itself.
 */
const LINE_LOGS: ReadonlySet<FormatId> = new Set([...MAIL_LOG_FORMATS, 'iis-smtp-log']);

/**
 * The text after a file's last line end, as far as {@link MAX_LINE_CHARS} characters (a line's
 * reader keeps no more of it): a line the file ends inside, cut short where the copy was made.
 */
class LastLine {
  private text = '';

  public push(chunk: string): void {
    const end = chunk.lastIndexOf('\n');
    const text = end === -1 ? this.text + chunk : chunk.slice(end + 1);
    this.text = text.length > MAX_LINE_CHARS ? text.slice(-MAX_LINE_CHARS) : text;
  }

  /** The line the file ends inside, if any; NULs and blanks alone are none (a host that lost power). */
  public unended(): string | undefined {
    return this.text.replaceAll('\0', '').trim() === '' ? undefined : this.text;
  }
}

/** How much of a file its format is told from. */
const HEAD_CHARS = 64 * 1024;
const HEAD_LINES = 200;

/** The chunks read for the head, then the rest: the caller reads the file from its start again. */
class Replay implements AsyncIterator<string> {
  public constructor(
    private readonly head: string[],
    private readonly rest: AsyncIterator<string>,
    private readonly ended: boolean,
  ) {}

  public async next(): Promise<IteratorResult<string>> {
    const chunk = this.head.shift();
    if (chunk !== undefined) return { done: false, value: chunk };
    if (this.ended) return { done: true, value: undefined };
    return await this.rest.next();
  }

  public async return(): Promise<IteratorResult<string>> {
    this.head.length = 0;
    return (await this.rest.return?.()) ?? { done: true, value: undefined };
  }
}

/** The head of a text, as formats are told from it. */
export function textHead(text: string, complete: boolean): TextHead {
  const clean = text.replace(/\uFEFF/g, '');
  const lines = clean.split('\n');
  // The last piece is a whole line only when the text ended there.
  if (!complete) lines.pop();
  return {
    text: clean,
    lines: lines.slice(0, HEAD_LINES).map((line) => line.replace(/\r$/, '')),
    whole: complete && lines.length <= HEAD_LINES,
  };
}

/**
 * The format of a text that is not CSV-like, told from its first {@link HEAD_CHARS} characters; a
 * syslog file whose head has no mail line gets the format its reader tells later; a mail log in a
 * shape that cannot be read (journalctl output without dates) one whose reader refuses it.
 */
export function textFormatOf(head: TextHead): TextFormat | LateTextFormat | undefined {
  return (
    TEXT_FORMATS.find((format) => format.sniff(head)) ??
    (syslogMailLog.sniff(head) ? syslogMailLog : undefined) ??
    unreadableMailLog(head)
  );
}

/**
 * Reads the head of the decoded text and tells whether it is one of the {@link TEXT_FORMATS}.
 * Returns the chunks to read from the start (the head replayed).
 */
export async function sniffText(
  chunks: AsyncIterator<string>,
): Promise<{ format: TextFormat | LateTextFormat | undefined; chunks: AsyncIterator<string> }> {
  const read: string[] = [];
  let length = 0;
  let ended = false;
  while (length < HEAD_CHARS) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      break;
    }
    read.push(next.value);
    length += next.value.length;
  }
  const text = read.join('');
  const format = textFormatOf(textHead(text.slice(0, HEAD_CHARS), ended && text.length <= HEAD_CHARS));
  return { format, chunks: new Replay(read, chunks, ended) };
}

/**
 * Reads a text of a late format until a line tells its format, for at most `limit` characters:
 * whether a file found in a folder is a mail log. Returns the format, or why it is not read.
 */
export async function lateFormatWithin(
  format: LateTextFormat,
  chunks: AsyncIterator<string>,
  limit: number,
): Promise<{ format: FormatId } | { reason: string }> {
  const reader = format.createReader({
    file: '',
    timestamps: new TimestampParser(),
    now: new Date(),
    // Only which program wrote each line matters here: no event is built.
    isRelevant: () => false,
  });
  const sink: TextSink = { row() {}, count() {}, skip() {}, event() {} };
  let read = 0;
  let ended = false;
  while (read < limit) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      reader.end(sink);
      break;
    }
    reader.push(next.value, sink);
    read += next.value.length;
    const told = reader.format();
    if (told !== undefined) return { format: told };
  }
  const told = reader.format();
  if (told !== undefined) return { format: told };
  if (ended) return { reason: `${reader.unknown('in it')}: no relay refusals to read` };
  const megabytes = Math.round(limit / (1024 * 1024));
  return {
    reason: `${reader.unknown(`in its first ${megabytes} MB`)}: name it on the command line to read all of it`,
  };
}

/**
 * Skipped rows a text of a late format may hold before a line tells its format (they wait in memory
 * with it): past them it is no syslog file, whatever its first lines were.
 */
const MAX_SKIPS_UNTOLD = 1000;

/** Parses a text-format input; see {@link parseInput} for the contract. */
export async function parseText(
  format: TextFormat | LateTextFormat,
  chunks: AsyncIterator<string>,
  input: AnalysisInput,
  options: ParseOptions,
  listener: ParseListener,
  decoding: { bytesRead: () => number; notUtf8: () => NotUtf8 | undefined },
): Promise<'done' | 'stopped'> {
  const { bytesRead } = decoding;
  /** The format, once known: at once, or when a line of a late format tells it. */
  let id: FormatId | undefined = isLate(format) ? undefined : format.id;
  const timestamps = new TimestampParser();
  const held = new HeldBatches<ParsedBatch>(timestamps);
  const context: TextContext = {
    file: input.name,
    timestamps,
    now: options.now ?? new Date(),
    isRelevant: (eventId, source, status, directionality) =>
      rowMayMatter(eventId, source, status, directionality, options.inferring),
  };
  if (input.modified !== undefined) context.modified = input.modified;
  if (input.uploaded !== undefined) context.uploaded = input.uploaded;
  if (options.year !== undefined) context.year = options.year;
  if (options.run !== undefined) context.run = options.run;
  let late: LateTextReader | undefined;
  let reader: TextReader;
  if (isLate(format)) {
    late = format.createReader(context);
    reader = late;
  } else reader = format.createReader(context);
  // Only once its reader is made: a format may refuse the text there (mta-log.ts unreadableMailLog).
  if (id !== undefined) listener.format(id);

  let batch = emptyBatch();
  let rowOpen = false;
  let rowSkipped = false;
  /** Closes the current row: analysed unless it was skipped. */
  const closeRow = (): void => {
    if (rowOpen && !rowSkipped) batch.rowsAnalysed++;
    rowOpen = false;
  };
  const unread = new UnreadRefusals(
    input.name,
    id === undefined || MAIL_LOG_FORMATS.has(id) ? MAIL_LOG_ADVICE : READ_AGAIN,
  );
  const lastLine = new LastLine();
  /**
   * The file's last line, which has no line end, once its reader reads it at the end of the text; how
   * the row ended when it was not read (skipped with a reason, or counted as another program's).
   */
  let cut: { text: string; line?: number; unread?: 'skipped' | 'counted' } | undefined;
  /** Said of the cut last line when it was read: after how the file was read. */
  let cutNote: SourceNote | undefined;
  const skip = (line: number, reason: SkipReason, message: string, column?: string): void => {
    rowSkipped = true;
    let skipped = { reason, message };
    let advice: string | undefined;
    if (line === cut?.line) {
      // A relay-attribution code the cut left unreadable counts as refusal text: the line may be one.
      const code = reason === 'REFUSAL_NOT_READ' ? undefined : cutCodeIn(cut.text);
      skipped = skipOf(reason, message, code);
      skipped.message += `; ${cutLastLine('log')}`;
      advice = NEW_COPY;
      cut.unread = 'skipped';
    }
    if (skipped.reason === 'REFUSAL_NOT_READ') unread.add(line, skipped.message, advice);
    batch.skips.push(skippedRow(line, skipped.reason, skipped.message, column));
  };
  /** The line of the last failure skipped by {@link unreadFailureOf}: a line's recipients share it. */
  let unreadFailureLine: number | undefined;
  /** Skips a failure whose refusal text gave no refusal ({@link unreadFailureOf}), once per line. */
  const skipUnreadFailure = (line: number, message: string): void => {
    rowSkipped = true;
    if (line === unreadFailureLine) return;
    unreadFailureLine = line;
    // The cut last line is skipped here, not again as cut.
    if (line === cut?.line) cut.unread = 'skipped';
    unread.add(line, message, READ_AS_WRITTEN);
    batch.skips.push(skippedRow(line, 'REFUSAL_NOT_READ', message));
  };
  /**
   * The cut last line, once read and not skipped: a refusal read from it stands, and the cut is
   * noted; one holding refusal text (or a relay-attribution code the cut left unreadable) that gave
   * none is skipped as REFUSAL_NOT_READ, which fails the file — never an all-clear.
   */
  const readCutLine = (): void => {
    if (cut?.line === undefined || cut.unread === 'skipped') return;
    const line = cut.line;
    // A mail log may hold its refusal for the run's end (a server tried before the last, whose
    // recipients the next file names) or know it as a repeat: read all the same, though not in the batch.
    const refused =
      batch.events.some((event, at) => event.line === line && batch.rejections[at] !== null) ||
      refusalReadAside(reader, line);
    // Another program's line was searched for refusal text by its reader (a refusal in it is skipped).
    const marker = refused || cut.unread === 'counted' ? undefined : cutRowMarkerIn(cut.text);
    if (marker === undefined) {
      cutNote = {
        code: 'LAST_LINE_CUT',
        message: `line ${line}: ${cutLastLine('log')}. What it holds up to the cut was read.`,
      };
      return;
    }
    // The line's events, none of them a refusal, go with it: a skipped row hands nothing on.
    const { events, rejections } = batch;
    batch.events = [];
    batch.rejections = [];
    events.forEach((event, at) => {
      if (event.line === line) return;
      batch.events.push(event);
      batch.rejections.push(rejections[at] ?? null);
    });
    const skipped = skipOf('TRUNCATED_RECORD', 'what was read of it gave no relay refusal', marker);
    skip(line, skipped.reason, skipped.message);
  };
  const sink: TextSink = {
    row(line) {
      closeRow();
      batch.rowsRead++;
      rowOpen = true;
      rowSkipped = false;
      if (cut !== undefined) cut.line = line;
    },
    count(reason) {
      rowSkipped = true;
      if (cut !== undefined) cut.unread = 'counted';
      const counted = batch.counted ?? {};
      counted[reason] = (counted[reason] ?? 0) + 1;
      batch.counted = counted;
    },
    skip,
    event: (event) => {
      const failure = unreadFailureOf(event);
      if (failure === undefined) acceptEvent(event, batch, timestamps, skip);
      else skipUnreadFailure(event.line, failure.message);
    },
  };
  let ended = false;
  const deliver = async (last: boolean): Promise<void> => {
    closeRow();
    if (id === undefined && late !== undefined) {
      id = late.format();
      if (id === undefined) {
        // Stopped before a line told the format: nothing can be handed on; the file is read again.
        if (last && !ended) return;
        if (batch.skips.length > MAX_SKIPS_UNTOLD) {
          unread.fail('no mail log relay-audit reads');
          throw new UnknownFormatError(
            `${input.name}: its first lines are syslog lines, but its first ${groupDigits(batch.rowsRead)} lines have no ` +
              `Postfix, sendmail or Exim line and ${groupDigits(batch.skips.length)} of them are not syslog lines: it is no ` +
              `mail log relay-audit reads.\nKnown formats:\n${describeKnownFormats()}`,
            { file: input.name },
          );
        }
        if (last) {
          unread.fail(late.unknown('in it'));
          throw new UnknownFormatError(
            `${input.name}: looks like ${late.unknown('in it')}, so it holds no relay refusals to read. Analyse ` +
              "the relay's mail log: /var/log/mail.log (Debian, Ubuntu) or /var/log/maillog (RHEL, whose " +
              `/var/log/messages leaves mail out), or journalctl -u postfix output.\nKnown formats:\n${describeKnownFormats()}`,
            { file: input.name },
          );
        }
        // Until then the lines are counted into one batch: no event comes before the first mail line.
        return;
      }
      listener.format(id);
    }
    const full = batch;
    batch = emptyBatch();
    full.bytesRead = bytesRead();
    for (const ready of held.take(full, last)) await listener.batch(ready);
  };
  const outcome = await pump(chunks, listener, {
    push: (text) => {
      lastLine.push(text);
      reader.push(text, sink);
    },
    end: () => {
      ended = true;
      // A row the reader opens now is the line the text ends inside: a log copied while it was written.
      const text = lastLine.unended();
      const format = id ?? late?.format();
      if (text !== undefined && format !== undefined && LINE_LOGS.has(format)) cut = { text };
      reader.end(sink);
      readCutLine();
    },
    notes: () => {
      batch.notes.push(...reader.notes());
      if (cutNote !== undefined) batch.notes.push(cutNote);
      const notUtf8 = notUtf8Note(decoding.notUtf8());
      if (notUtf8 !== undefined) batch.notes.push(notUtf8);
    },
    deliver,
    holding: () => held.holding,
  });
  // Every batch is handed on first: the refusals of the lines that were read stand.
  if (outcome === 'done') unread.fail();
  return outcome;
}
