/**
 * The first half of the flow, for one input: bytes → (gunzip) → decode → detect → records → adapt → events,
 * handed on in batches (one per chunk read). The second half — classify, count, store — is
 * `analyze()`; this half needs no classifier state, only whether domains are inferred.
 *
 * Every row is accounted for here: a batch says how many rows were read and analysed and which
 * were skipped, with line and reason; a skipped row that holds relay-refusal text fails the file once
 * it is read (see unread-refusals.ts). Events that carry a relay refusal are validated with the
 * canonical zod schema (they become findings, which cross into storage).
 */
import { plural } from '../../kernel/counts-in-words.js';
import { closeEarly } from '../../text/byte-source.js';
import { CsvRecordSplitter, type Delimiter, normaliseHeader, splitRecord } from '../../text/csv-records.js';
import { type DecodedText, decodeBytes } from '../../text/decode.js';
import { decompressed, isGzipHead } from '../../text/decompress.js';
import { refusalMarkerIn } from '../evidence/rejections.js';
import { rowMayMatter } from '../evidence/relevance.js';
import { trackingVersionOf } from '../formats/exchange-tracking-log.js';
import type { RowSkip } from '../formats/format-adapter.js';
import type { FormatAdapter, RowAdapter, RowContext, RowSink, SkipReason } from '../formats/index.js';
import { FORMAT_LABELS } from '../formats/labels.js';
import type { ResumePoint } from '../model/source-record.js';
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
import { chooseFormat, detectFormat, parseFieldsDirective } from './detect.js';
import { strictUtf8 } from './not-utf8.js';
import { NulBytes } from './nul-bytes.js';
import { parseText, sniffText } from './parse-text.js';
import { LineMap, trackLines } from './resume-bytes.js';
import { HeldBatches, TimestampParser } from './timestamps.js';
import {
  cutLastLine,
  cutRowMarkerIn,
  cutShort,
  mayBeRefusal,
  PieceSearch,
  READ_AGAIN,
  READ_AS_WRITTEN,
  skipOf,
  splitJoined,
  UnreadRefusals,
  unreadFailureOf,
} from './unread-refusals.js';
import { describeUnsupported } from './unsupported-inputs.js';

export type { AnalysisInput, ParsedBatch, ParseListener, ParseOptions, ResumeAnchor } from './batches.js';

/**
 * {@link ParseOptions} of a read here, with where the hosts of the tracking-log SEND rows the row
 * filter drops are told (`RowContext.noteServerHop`).
 */
export interface ParseInputOptions extends ParseOptions {
  noteServerHop?: RowContext['noteServerHop'];
}

/**
 * Parses one input in this thread. Throws a `RelayAuditError` (unknown format, bad encoding, …)
 * when the file cannot be analysed; batches already delivered stay valid.
 */
export async function parseInput(
  input: AnalysisInput,
  options: ParseInputOptions,
  listener: ParseListener,
): Promise<'done' | 'stopped'> {
  let bytesRead = 0;
  let compressed = false;
  const lines = new LineMap();
  const point = input.resume?.record.resume;
  const decoded = await decodeBytes(
    trackLines(
      decompressed(
        countBytes(input.open(), (bytes, first) => {
          bytesRead = bytes;
          if (first) compressed = isGzipHead(first);
        }),
        input.name,
        input.origin,
      ),
      lines,
      point === undefined ? undefined : { ...point, sliced: input.resume?.sliced ?? false },
    ),
    input.name,
  );
  let chunks = decoded.chunks[Symbol.asyncIterator]();
  try {
    // Logs and JSON that are not CSV-like are told by their first lines and read by their own readers.
    const sniffed = await sniffText(chunks);
    chunks = sniffed.chunks;
    if (sniffed.format !== undefined)
      return failIfAppended(
        await parseText(sniffed.format, chunks, input, options, listener, {
          bytesRead: () => bytesRead,
          notUtf8: () => decoded.notUtf8,
        }),
        decoded,
      );
    chunks = strictUtf8(chunks, decoded);
    // Resume points are counted in LF bytes: UTF-8 with LF or CRLF line ends only (a CR-only text's
    // lines are no LF lines of its bytes).
    const resume: Resume | undefined =
      decoded.encoding === 'utf-8' && decoded.lineEnds === 'lf' && listener.resumable !== undefined
        ? { lines, compressed: () => compressed, from: point }
        : undefined;
    return failIfAppended(
      await parseDecoded(chunks, input, options, listener, () => bytesRead, resume),
      decoded,
    );
  } finally {
    // Stopped early or failed: close the file or S3 stream now, not when the process ends.
    await closeEarly(chunks);
  }
}

/**
 * The outcome of a read, or the error of 8-bit text appended to its UTF-16 text, thrown once the
 * lines before it were read and their refusals handed on.
 */
function failIfAppended(
  outcome: 'done' | 'stopped',
  decoded: Pick<DecodedText, 'appended'>,
): 'done' | 'stopped' {
  if (outcome === 'done' && decoded.appended !== undefined) throw decoded.appended;
  return outcome;
}

/** How a CSV-like read in UTF-8 can be stopped and resumed: its line starts, and where it resumed. */
interface Resume {
  lines: LineMap;
  compressed: () => boolean;
  from: ResumePoint | undefined;
}

/** The rest of {@link parseInput}, from decoded text chunks; `bytesRead` reports progress in bytes. */
async function parseDecoded(
  chunks: AsyncIterator<string>,
  input: AnalysisInput,
  options: ParseInputOptions,
  listener: ParseListener,
  bytesRead: () => number,
  resume: Resume | undefined,
): Promise<'done' | 'stopped'> {
  const detection = await detectFormat(chunks, input.name);
  listener.format(detection.format.id);
  // Rows before `countFrom` were counted by the read this one resumes: read again only as evidence.
  const countFrom = resume?.from?.countFrom ?? 0;
  // Batches wait while dates of unknown day/month order may still be re-dated (see timestamps.ts);
  // a resumed read goes on with what the earlier reads learnt of them.
  const timestamps = new TimestampParser(
    { delimiter: detection.delimiter },
    { state: resume?.from?.dates, countFrom },
  );
  const held = new HeldBatches<ParsedBatch>(timestamps);
  const headBytes = resume?.from?.headBytes ?? resume?.lines.startOfHeadLine(detection.restLine);
  if (resume !== undefined && headBytes !== undefined) {
    const afterHead = { line: detection.restLine, byte: headBytes };
    listener.resumable?.({
      compressed: resume.compressed(),
      headBytes,
      firstRow: afterHead,
      lineStart: (line) =>
        resume.lines.startAtOrBefore(
          line,
          resume.from === undefined ? afterHead : { line: resume.from.fromLine, byte: resume.from.fromByte },
        ),
      dates: () => timestamps.state(),
    });
  }
  const context: RowContext = {
    file: input.name,
    timestamps,
    isRelevant: (eventId, source, status, directionality) =>
      rowMayMatter(eventId, source, status, directionality, options.inferring),
  };
  if (options.noteServerHop !== undefined) context.noteServerHop = options.noteServerHop;
  let rowAdapter: RowAdapter =
    detection.headerless && detection.format.headerless
      ? detection.format.headerless.createRowAdapter(context)
      : detection.format.createRowAdapter(detection.headers, context);
  let fields: readonly string[] = detection.headerless ? [] : detection.headers;

  /**
   * A `#Fields:` line after the header: a joined log (`type MSGTRK*.LOG > all.log`) whose next part
   * another Exchange version wrote. The rows after it are read with its fields.
   */
  const newFieldSet = (headers: string[], line: number): void => {
    if (headers.length === fields.length && headers.every((name, index) => name === fields[index])) return;
    rowAdapter.finish?.(rowSink);
    batch.notes.push(...(rowAdapter.notes?.() ?? []));
    fields = headers;
    const format = chooseFormat(headers, true);
    if (format?.id === detection.format.id) {
      joinedAdvice = undefined;
      rowAdapter = format.createRowAdapter(headers, context);
      splitter.expectFields(headers.length);
      const version = trackingVersionOf(headers);
      batch.notes.push({
        code: 'FIELD_SET_CHANGED',
        message:
          `line ${line}: a new #Fields: line (${headers.length} fields${version ? `, ${version}` : ''}); ` +
          'the rows after it are read with its fields',
      });
      return;
    }
    // Another kind of log relay-audit reads (a send protocol log joined after a tracking log, or the
    // reverse): named, with the split that reads it. Otherwise (a receive protocol log has a send
    // log's fields, told by its #Log-type:), what the part looks like, if known.
    const begun = FORMAT_LABELS[detection.format.id].name;
    const part =
      format === undefined || format.refuses?.(preamble) !== undefined
        ? undefined
        : FORMAT_LABELS[format.id].name;
    const what =
      part !== undefined
        ? `begins ${withArticle(part)} joined to the ${begun} before it; relay-audit reads each kind of log as a file of its own, so analyse it separately.`
        : (describeUnsupported({
            text: headers.join(','),
            line,
            fieldsDirective: true,
            cells: headers,
            preamble,
            sample: '',
          }) ??
          `has fields of no format relay-audit reads (${headers.slice(0, 8).join(', ')}${headers.length > 8 ? ', …' : ''}).`);
    batch.notes.push({
      code: 'FIELD_SET_UNKNOWN',
      message: `line ${line}: the rows after this #Fields: line are not read: it ${what}`,
    });
    const message =
      part !== undefined
        ? `after the #Fields: line on line ${line}, of ${withArticle(part)} joined to the ${begun} before it, rows are not read`
        : `after the #Fields: line on line ${line}, which is not ${withArticle(begun)}'s, rows are not read`;
    joinedAdvice = splitJoined(preambleLine ?? line, part);
    rowAdapter = {
      adapt: (_fields, rowLine, sink) => sink.skip(rowLine, 'UNKNOWN_FIELD_SET', message),
    };
    splitter.expectFields(undefined);
  };
  /**
   * A header row after the first: exports joined into one file (`Get-Content a.csv, b.csv >
   * all.csv`), the next part maybe from another `Select-Object` (its columns in another order, some
   * more or fewer) or another export. The rows after it are read with its columns; read with the
   * first header's, their cells would land in the wrong fields and their refusals be lost.
   */
  const newHeaderRow = (format: FormatAdapter, headers: string[], line: number): void => {
    const same =
      format.id === currentFormat.id &&
      headers.length === fields.length &&
      headers.every((name, index) => normaliseHeader(name) === normaliseHeader(fields[index] ?? ''));
    // The same header again (the next part of one export) is nothing to note, as a repeated #Fields: line.
    if (same) return;
    rowAdapter.finish?.(rowSink);
    batch.notes.push(...(rowAdapter.notes?.() ?? []));
    const other = format.id === currentFormat.id ? '' : `${FORMAT_LABELS[format.id].short}, `;
    batch.notes.push({
      code: 'FIELD_SET_CHANGED',
      message: `line ${line}: a new header row (${other}${headers.length} columns); the rows after it are read with its columns`,
    });
    fields = headers;
    currentFormat = format;
    rowAdapter = format.createRowAdapter(headers, context);
    splitter.expectFields(headers.length);
  };
  let currentFormat = detection.format;

  /** The `#` lines of the current part, before its `#Fields:` line (`#Log-type:` names what it is). */
  let preamble: string[] = [];
  /** The line of the current part's first `#` line: where a joined part begins. */
  let preambleLine: number | undefined;

  let batch = emptyBatch();
  // What detection passed over (title lines) is said once, by the read that starts at the first row.
  const point = input.resume?.record.resume;
  if (point === undefined || point.dates?.reread === true || point.fromLine <= detection.restLine)
    batch.notes.push(...detection.notes);
  let rowSkipped = false;
  /** What the rows are split on: a skipped row's cells are joined with it again to be searched. */
  const delimiter = detection.delimiter;
  const unread = new UnreadRefusals(input.name, READ_AGAIN, input.resume?.record);
  /** What to do about the rows of a joined part of another kind ({@link splitJoined}), while one is read. */
  let joinedAdvice: string | undefined;
  /** Whether a row of the file was analysed, by this read or the earlier ones it goes on from. */
  let analysedAny = (input.resume?.record.rowsAnalysed ?? 0) > 0;
  /** Whether a row read gave a relay refusal (an earlier read's count only as refusals of the file). */
  let refusalRead = false;
  /**
   * Adds a skipped row as {@link skipOf} reports it, given the refusal text it holds (`marker`);
   * `cut`: what is said of a row the file ends inside, which already says to copy the file again (the
   * file's failure then ends in NEW_COPY, not READ_AGAIN: {@link UnreadRefusals.add}).
   */
  const addSkip = (
    line: number,
    reason: SkipReason,
    message: string,
    marker: string | undefined,
    column?: string,
    cut = '',
  ): void => {
    const skipped = skipOf(reason, message, marker);
    const advice = reason === 'UNKNOWN_FIELD_SET' ? joinedAdvice : undefined;
    if (skipped.reason === 'REFUSAL_NOT_READ') unread.add(line, skipped.message + cut, advice);
    else if (mayBeRefusal(skipped.reason)) unread.addUntold(line, skipped.message + cut);
    batch.skips.push(skippedRow(line, skipped.reason, skipped.message + cut, column));
  };
  /** Said of a row cut short on the last line: of a raw log, of an export. */
  const copyAgain = `; ${detection.format.fieldsDirective ? cutLastLine('log', 'Exchange') : cutLastLine('export')}`;
  /** Said of a quoted field the file ends inside (the splitter's message says where it starts). */
  const endsInside = `; ${detection.format.fieldsDirective ? cutShort('log', 'Exchange') : cutShort('export')}`;
  /** The fields of the row being adapted: what a skip of it is checked for refusal text in. */
  let adapting: readonly string[] | undefined;
  const skip = (line: number, reason: SkipReason, message: string, column?: string): void => {
    rowSkipped = true;
    if (line < countFrom) return;
    const row = adapting;
    // Skips of no one row (a session the adapter closes at the end) are not searched.
    if (row === undefined) {
      addSkip(line, reason, message, undefined, column);
      return;
    }
    // A live tracking log copied while Exchange writes it ends in a line cut short (a cut `Failed`
    // row is skipped as FAILURE_NOT_READ instead of COLUMN_COUNT); so does an export cut short. A
    // relay-attribution code cut at its end (`… 550 5.7.6`) may have been a refusal: as refusal text.
    const cut =
      (reason === 'COLUMN_COUNT' || reason === 'FAILURE_NOT_READ') &&
      splitter.inCutEnd &&
      row.length < fields.length;
    const text = row.join(delimiter);
    const marker = cut ? cutRowMarkerIn(text) : refusalMarkerIn(text);
    addSkip(line, reason, message, marker, column, cut ? copyAgain : '');
  };
  /** The line of the last failure skipped by {@link unreadFailureOf}: a row's recipients share it. */
  let unreadFailureLine: number | undefined;
  const rowSink: RowSink = {
    event: (event) => {
      const failure = unreadFailureOf(event);
      if (failure !== undefined) {
        rowSkipped = true;
        if (event.line < countFrom || event.line === unreadFailureLine) return;
        unreadFailureLine = event.line;
        unread.add(event.line, failure.message, READ_AS_WRITTEN);
        batch.skips.push(skippedRow(event.line, failure.reason, failure.message));
        return;
      }
      // Searched only until one gave a refusal.
      if (!refusalRead && event.recipientStatus !== undefined)
        refusalRead = refusalMarkerIn(event.recipientStatus) !== undefined;
      acceptEvent(event, batch, timestamps, skip);
    },
    skip,
  };
  /** Reads one record (of the physical line `line` on) as a row, or as the header of a new part. */
  const readRecord = (record: string[], line: number): void => {
    // A header row is not a row: the first header is not counted either.
    const header = detection.format.fieldsDirective ? undefined : headerRowFormat(record);
    if (header !== undefined) {
      newHeaderRow(header, record, line);
      return;
    }
    const counted = line >= countFrom;
    if (counted) batch.rowsRead++;
    rowSkipped = false;
    adapting = record;
    rowAdapter.adapt(record, line, rowSink);
    adapting = undefined;
    if (!rowSkipped && counted) {
      batch.rowsAnalysed++;
      analysedAny = true;
    }
  };
  /**
   * Skips a line that is no record (`text`; none for a line too long to keep). Its format's reader
   * is asked what its cells show, as it is of the rows it skips itself: a failure the format gives no
   * reason for (a message trace's `Failed`) makes it `FAILURE_NOT_READ`, which may fail the file,
   * rather than a failure dropped unsaid from the count of those without a reason.
   */
  const skipLine = (line: number, reason: SkipReason, message: string, text: string | undefined): void => {
    // A quoted field the file ends inside: cut short there, as a last line without a line end is.
    const cut = reason === 'TRUNCATED_RECORD' && splitter.inCutEnd;
    // A line too long to keep was searched as it passed.
    const marker =
      text === undefined ? overlong.end(cut) : cut ? cutRowMarkerIn(text) : refusalMarkerIn(text);
    if (line < countFrom) return;
    batch.rowsRead++;
    const skipped = text === undefined ? { reason, message } : unreadSkipOf(text, reason, message);
    addSkip(line, skipped.reason, skipped.message, marker, undefined, cut ? endsInside : '');
  };
  /**
   * How a line the splitter could not read is skipped, its cells read two ways as it may have been
   * meant: its quote a stray one (cut at every delimiter: `Export-Csv -UseQuotes Never` leaves a
   * `Subject` that starts with `"` unquoted), or a quoted cell cut short (closed at the line's end).
   */
  const unreadSkipOf = (text: string, reason: SkipReason, message: string): RowSkip => {
    for (const cells of [text.split(delimiter), splitRecord(`${text}"`, delimiter)]) {
      const skipped = cells === undefined ? undefined : rowAdapter.unreadSkip?.(cells, reason, message);
      if (skipped !== undefined && skipped.reason !== reason) return skipped;
    }
    return { reason, message };
  };
  const splitter = new CsvRecordSplitter(
    { delimiter: detection.delimiter, firstLine: resume?.from?.fromLine ?? detection.restLine },
    {
      onRecord(record, line) {
        // Only a record of several lines (the splitter is past the next line) can be a stray quote's.
        const stray =
          splitter.nextLine > line + 1 ? strayQuoteLines(record, fields.length, delimiter) : undefined;
        if (stray === undefined) {
          readRecord(record, line);
          return;
        }
        const { lines, field } = stray;
        const closing = line + lines.length - 1;
        skipLine(
          line,
          'UNTERMINATED_QUOTE',
          `line ${line} opens a quoted field (field ${field}) that a quote on line ${closing} closes into one ` +
            `record of the header's width with the ${plural(lines.length - 1, 'line')} after it (a stray ` +
            `quote?): line ${line} is skipped and the lines after it are read as rows`,
          lines[0],
        );
        for (let index = 1; index < lines.length; index++)
          readRecord((lines[index] ?? '').split(delimiter), line + index);
      },
      onMalformed(line, reason, message, text) {
        skipLine(line, reason, message, text);
      },
      onOverlongText(text) {
        overlong.push(text);
      },
      onComment(text, line) {
        if (!detection.format.fieldsDirective) return; // `#` lines of exports are comments
        const headers = parseFieldsDirective(text);
        if (headers === undefined) {
          if (/^#Software:/i.test(text)) preamble = []; // a joined file's next part begins
          if (preamble.length === 0) preambleLine = line;
          if (preamble.length < 10) preamble.push(text);
          return;
        }
        newFieldSet(headers, line);
        preamble = [];
        preambleLine = undefined;
      },
    },
  );
  const overlong = new PieceSearch();
  // A record of another count than the header's that spans lines is a stray quote's (see the splitter).
  if (!detection.headerless) splitter.expectFields(detection.headers.length);
  const deliver = async (last: boolean): Promise<void> => {
    const full = batch;
    batch = emptyBatch();
    full.bytesRead = bytesRead();
    full.nextLine = splitter.nextLine;
    full.heldFrom = rowAdapter.heldFrom?.();
    for (const ready of held.take(full, last)) await listener.batch(ready);
  };

  const nuls = new NulBytes();
  splitter.push(nuls.strip(detection.rest));
  // Rows an earlier invocation handed on proved to be dated in the wrong order: this read stops,
  // the next reads the file from its start (see TimestampParser.mustReread). Else it stops when
  // asked, once its rows cannot have the file refused whole any more (RowAdapter.mayStop).
  const reading: ParseListener = {
    ...listener,
    shouldStop: () =>
      timestamps.mustReread || (listener.shouldStop?.() === true && rowAdapter.mayStop?.() !== false),
  };
  const outcome = await pump(chunks, reading, {
    push: (text) => splitter.push(nuls.strip(text)),
    end: () => {
      splitter.end();
      rowAdapter.finish?.(rowSink);
    },
    notes: () => {
      batch.notes.push(...(rowAdapter.notes?.() ?? []));
      const removed = nuls.note();
      if (removed !== undefined) batch.notes.push(removed);
    },
    deliver,
    holding: () => held.holding,
  });
  // The proof may be in the file's last record, read once the text ended.
  if (timestamps.mustReread) return 'stopped';
  // Every batch is handed on first: the refusals of the rows that were read stand.
  if (outcome === 'done') unread.fail(undefined, { analysed: analysedAny, refusals: refusalRead });
  return outcome;
}

const DIGIT = /\d/;

/**
 * The lines of a record a stray quote made of several rows, and the field (1-based) it opened, or
 * `undefined`. The splitter declares a quote stray when the record it opens closes at another width
 * than the header's (`width`); a later quote in the same column (`-UseQuotes Never` writes a
 * `Subject` of `"Urgent scan` and one of `24" monitor` as they are) closes it at the header's width,
 * the rows between taken in. Its sign: the line that opens it is as wide as a row by itself, its quote
 * taken as text, and the quote does not open the last cell (whose text may hold delimiters). The
 * lines are given back as they were but for the stray quotes; their cells are then cut at every
 * delimiter, as such a file writes them.
 */
function strayQuoteLines(
  record: readonly string[],
  width: number,
  delimiter: Delimiter,
): { lines: string[]; field: number } | undefined {
  if (record.length !== width) return undefined;
  const field = record.findIndex((cell) => cell.includes('\n'));
  if (field === -1 || field === width - 1) return undefined;
  const opened = record[field] ?? '';
  if (field + opened.slice(0, opened.indexOf('\n')).split(delimiter).length < width) return undefined;
  return { lines: record.join(delimiter).split('\n'), field: field + 1 };
}

/**
 * The export format whose header row `cells` is, or `undefined` for a row. Every row has a date, so
 * only a record without a digit in any cell can be a header: a row costs a look up to its first digit.
 */
function headerRowFormat(cells: readonly string[]): FormatAdapter | undefined {
  for (const cell of cells) if (DIGIT.test(cell)) return undefined;
  return chooseFormat(cells, false);
}

/** Passes chunks through, reporting the running byte count (and the first chunk, once). */
async function* countBytes(
  source: AsyncIterable<Uint8Array>,
  onBytes: (bytes: number, first?: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of source) {
    onBytes(bytes + chunk.length, bytes === 0 ? chunk : undefined);
    bytes += chunk.length;
    yield chunk;
  }
}

/** A format's name with its article: "an Exchange message tracking log". */
function withArticle(name: string): string {
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
}
