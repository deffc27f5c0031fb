/**
 * The first half of the flow, for one input: bytes → (gunzip) → decode → detect → records → adapt → events,
 * handed on in batches (one per chunk read). The second half — classify, count, store — is
 * `analyze()`; this half needs no classifier state, only whether domains are inferred.
 *
 * Every row is accounted for here: a batch says how many rows were read and analysed and which
 * were skipped, with line and reason. Events that carry a relay refusal are validated with the
 * canonical zod schema (they become findings, which cross into storage).
 */
import { closeEarly } from './byte-source.js';
import { CsvRecordSplitter } from './csv-records.js';
import { decodeBytes } from './decode.js';
import { decompressed } from './decompress.js';
import { detectFormat } from './detect.js';
import { type FormatId, TraceEvent } from './events.js';
import type { Rejection } from './findings.js';
import type { RowSink, SkipReason } from './formats/index.js';
import { relayRejectionIn } from './rejections.js';
import { rowMayMatter } from './relevance.js';
import type { SkippedRow, SourceNote } from './source-record.js';
import { HeldBatches, TimestampParser } from './timestamps.js';

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
  rowsRead: number;
  rowsAnalysed: number;
  /** Bytes of the input read so far. */
  bytesRead: number;
  /** Notes on the file (e.g. its dates' day/month order was assumed); only on its last batch. */
  notes?: SourceNote[];
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
  const rowAdapter = detection.format.createRowAdapter(detection.headers, {
    file: input.name,
    timestamps,
    isRelevant: (eventId, source, status, directionality) =>
      rowMayMatter(eventId, source, status, directionality, options.inferring),
  });

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
    },
  );
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
  await deliver(true);
  return 'done';
}

/** Characters of text per batch: the granularity of progress, back-pressure and deadline checks. */
const BATCH_CHARS = 64 * 1024;

function emptyBatch(): ParsedBatch {
  return { events: [], rejections: [], skips: [], rowsRead: 0, rowsAnalysed: 0, bytesRead: 0 };
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
