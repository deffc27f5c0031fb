/**
 * The first half of the flow, for one input: bytes → (gunzip) → decode → detect → records → adapt → events,
 * handed on in batches (one per chunk read). The second half — classify, count, store — is
 * `analyze()`; this half needs no classifier state, only whether domains are inferred.
 *
 * Every row is accounted for here: a batch says how many rows were read and analysed and which
 * were skipped, with line and reason. Events that carry a relay refusal are validated with the
 * canonical zod schema (they become findings, which cross into storage).
 */
import { closeEarly } from '../../text/byte-source.js';
import { CsvRecordSplitter } from '../../text/csv-records.js';
import { decodeBytes } from '../../text/decode.js';
import { decompressed } from '../../text/decompress.js';
import { relayRejectionIn } from '../evidence/rejections.js';
import { rowMayMatter } from '../evidence/relevance.js';
import { trackingVersionOf } from '../formats/exchange-tracking-log.js';
import type { RowAdapter, RowContext, RowSink, SkipReason } from '../formats/index.js';
import { type FormatId, TraceEvent } from '../model/events.js';
import type { Rejection } from '../model/findings.js';
import type { SkippedRow, SourceNote } from '../model/source-record.js';
import { chooseFormat, detectFormat, parseFieldsDirective } from './detect.js';
import { HeldBatches, TimestampParser } from './timestamps.js';
import { describeUnsupported } from './unsupported-inputs.js';

/** One input: a local file or an S3 object. */
export interface AnalysisInput {
  /** Display name: a path relative to where the user ran the tool, or an S3 key. */
  name: string;
  /** Stable id of this input (see store `sourceId`): same input → same source record. */
  sourceId: string;
  /** Size in bytes when known (progress). */
  size?: number;
  open(): AsyncIterable<Uint8Array>;
}

/** What one chunk of an input turned into. */
export interface ParsedBatch {
  /** Events in row order. */
  events: TraceEvent[];
  /** Per event (same index): its relay-attribution refusal, or null. */
  rejections: (Rejection | null)[];
  /** Rows skipped in this batch, in order. */
  skips: SkippedRow[];
  /**
   * Notes for the source record, in order: what was inferred rather than read (a field set), and on
   * the file's last batch what its dates needed (see timestamps.ts).
   */
  notes: SourceNote[];
  rowsRead: number;
  rowsAnalysed: number;
  /** Bytes of the input read so far. */
  bytesRead: number;
}

/** Receives the parse of one input, in order. */
export interface ParseListener {
  /** The detected format, before any batch. */
  format(format: FormatId): void;
  /** A batch; parsing waits for the returned promise (back-pressure). */
  batch(batch: ParsedBatch): void | Promise<void>;
  /** Checked between chunks; returning true stops reading (Lambda deadline). */
  shouldStop?(): boolean;
}

export interface ParseOptions {
  /** True when accepted domains are inferred from the logs (see `rowMayMatter`). */
  inferring: boolean;
}

/**
 * Parses one input in this thread. Throws a `RelayAuditError` (unknown format, bad encoding, …)
 * when the file cannot be analysed; batches already delivered stay valid.
 */
export async function parseInput(
  input: AnalysisInput,
  options: ParseOptions,
  listener: ParseListener,
): Promise<'done' | 'stopped'> {
  let bytesRead = 0;
  const decoded = await decodeBytes(
    decompressed(
      countBytes(input.open(), (bytes) => {
        bytesRead = bytes;
      }),
      input.name,
    ),
    input.name,
  );
  const chunks = decoded.chunks[Symbol.asyncIterator]();
  try {
    return await parseDecoded(chunks, input, options, listener, () => bytesRead);
  } finally {
    // Stopped early or failed: close the file or S3 stream now, not when the process ends.
    await closeEarly(chunks);
  }
}

/** The rest of {@link parseInput}, from decoded text chunks; `bytesRead` reports progress in bytes. */
async function parseDecoded(
  chunks: AsyncIterator<string>,
  input: AnalysisInput,
  options: ParseOptions,
  listener: ParseListener,
  bytesRead: () => number,
): Promise<'done' | 'stopped'> {
  const detection = await detectFormat(chunks, input.name);
  listener.format(detection.format.id);
  // Batches wait while dates of unknown day/month order may still be re-dated (see timestamps.ts).
  const timestamps = new TimestampParser({ delimiter: detection.delimiter });
  const held = new HeldBatches<ParsedBatch>(timestamps);
  const context: RowContext = {
    file: input.name,
    timestamps,
    isRelevant: (eventId, source, status, directionality) =>
      rowMayMatter(eventId, source, status, directionality, options.inferring),
  };
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
    batch.notes.push(...(rowAdapter.notes?.() ?? []));
    fields = headers;
    const format = chooseFormat(headers, true);
    if (format?.id === detection.format.id) {
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
    const what =
      describeUnsupported({
        text: headers.join(','),
        line,
        fieldsDirective: true,
        cells: headers,
        preamble,
        sample: '',
      }) ??
      `has fields of no format relay-audit reads (${headers.slice(0, 8).join(', ')}${headers.length > 8 ? ', …' : ''}).`;
    batch.notes.push({
      code: 'FIELD_SET_UNKNOWN',
      message: `line ${line}: the rows after this #Fields: line are not read: it ${what}`,
    });
    const message = `after the #Fields: line on line ${line}, which is not a message tracking log's, rows are not read`;
    rowAdapter = {
      adapt: (_fields, rowLine, sink) => sink.skip(rowLine, 'UNKNOWN_FIELD_SET', message),
    };
    splitter.expectFields(undefined);
  };
  /** The `#` lines of the current part, before its `#Fields:` line (`#Log-type:` names what it is). */
  let preamble: string[] = [];

  let batch = emptyBatch();
  let rowSkipped = false;
  const skip = (line: number, reason: SkipReason, message: string, column?: string): void => {
    rowSkipped = true;
    const row: SkippedRow = { line, reason, message };
    if (column !== undefined) row.column = column;
    batch.skips.push(row);
  };
  const rowSink: RowSink = {
    event(event) {
      const rejection = relayRejectionIn(event.recipientStatus);
      if (rejection) {
        // Rows that become findings cross the trust boundary into storage: validate them fully.
        const checked = TraceEvent.safeParse(event);
        if (!checked.success) {
          const issue = checked.error.issues[0];
          skip(
            event.line,
            'INVALID_EVENT',
            `invalid ${issue?.path.join('.') ?? 'event'}: ${issue?.message ?? ''}`,
          );
          return;
        }
      }
      timestamps.track(event);
      batch.events.push(event);
      batch.rejections.push(rejection ?? null);
    },
    skip,
  };
  const splitter = new CsvRecordSplitter(
    { delimiter: detection.delimiter, firstLine: detection.restLine },
    {
      onRecord(fields, line) {
        batch.rowsRead++;
        rowSkipped = false;
        rowAdapter.adapt(fields, line, rowSink);
        if (!rowSkipped) batch.rowsAnalysed++;
      },
      onMalformed(line, reason, message) {
        batch.rowsRead++;
        skip(line, reason, message);
      },
      onComment(text, line) {
        if (!detection.format.fieldsDirective) return; // `#` lines of exports are comments
        const headers = parseFieldsDirective(text);
        if (headers === undefined) {
          if (/^#Software:/i.test(text)) preamble = []; // a joined file's next part begins
          if (preamble.length < 10) preamble.push(text);
          return;
        }
        newFieldSet(headers, line);
        preamble = [];
      },
    },
  );
  // A record of another count than the header's that spans lines is a stray quote's (see the splitter).
  if (!detection.headerless) splitter.expectFields(detection.headers.length);
  const deliver = async (last: boolean): Promise<void> => {
    const full = batch;
    batch = emptyBatch();
    full.bytesRead = bytesRead();
    for (const ready of held.take(full, last)) await listener.batch(ready);
  };

  splitter.push(detection.rest);
  // Text arrives in pieces (see decode.ts); a batch is handed on per ~64 K characters.
  let pending = 0;
  for (;;) {
    if (listener.shouldStop?.()) {
      batch.notes.push(...(rowAdapter.notes?.() ?? []));
      await deliver(true);
      return 'stopped';
    }
    if (pending >= BATCH_CHARS) {
      pending = 0;
      await deliver(false);
    }
    let next: IteratorResult<string>;
    try {
      next = await chunks.next();
    } catch (error) {
      // A read error fails the file; rows read before it are handed on as without the wait.
      if (held.holding) await deliver(true);
      throw error;
    }
    if (next.done) break;
    splitter.push(next.value);
    pending += next.value.length;
  }
  splitter.end();
  batch.notes.push(...(rowAdapter.notes?.() ?? []));
  await deliver(true);
  return 'done';
}

/** Characters of text per batch: the granularity of progress, back-pressure and deadline checks. */
const BATCH_CHARS = 64 * 1024;

function emptyBatch(): ParsedBatch {
  return { events: [], rejections: [], skips: [], notes: [], rowsRead: 0, rowsAnalysed: 0, bytesRead: 0 };
}

/** Passes chunks through, reporting the running byte count. */
async function* countBytes(
  source: AsyncIterable<Uint8Array>,
  onBytes: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    onBytes(bytes);
    yield chunk;
  }
}
