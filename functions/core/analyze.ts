/**
 * analyze(): the one flow, shared by the CLI and the Lambda handlers —
 * bytes → decode → detect → records → adapt → classify → remediate → sink.
 *
 * Files are analysed one after another through one classifier, so evidence correlates across all
 * files of a run. A file that cannot be analysed (unknown format, bad encoding) is recorded as
 * failed with a stable error code and the run goes on with the next one. Every row is accounted
 * for in the file's source record: rowsRead = rowsAnalysed + rowsSkipped.
 */
import type { DomainOracle } from './accepted-domains.js';
import { type EmittedFinding, StreamingClassifier } from './classifier.js';
import { CsvRecordSplitter } from './csv-records.js';
import { decodeBytes } from './decode.js';
import { detectFormat } from './detect.js';
import { ErrorCode, RelayAuditError } from './errors.js';
import { TraceEvent } from './events.js';
import type { Finding, ScenarioId } from './findings.js';
import type { RowSink, SkipReason } from './formats/index.js';
import { type InboundEntry, inboundEntryOf } from './inbound-entry.js';
import type { InboundConnectorInfo } from './remediation/context.js';
import type { SkippedRow, SourceRecord } from './source-record.js';
import { detach } from './strings.js';
import { TimestampParser } from './timestamps.js';

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

/** Where findings and source records go: the DynamoDB store, or an NDJSON printer. */
export interface FindingSink {
  putFindings(findings: Finding[]): Promise<unknown>;
  putSource(record: SourceRecord): Promise<unknown>;
  /**
   * Receives the inbound Message-ID index entries (message M arrived for internal recipient R in
   * this upload), when the sink keeps the index the nightly job correlates across uploads with.
   */
  putInboundMessages?(entries: InboundEntry[]): Promise<unknown>;
}

/**
 * A sink that hands inbound index entries to `record` and everything else to `sink`: how the
 * CLI and the ingest function plug the inbound Message-ID index into an analysis.
 */
export function withInboundRecorder(
  sink: FindingSink,
  record: (entries: InboundEntry[]) => Promise<unknown>,
): FindingSink {
  return {
    putFindings: (findings) => sink.putFindings(findings),
    putSource: (source) => sink.putSource(source),
    putInboundMessages: record,
  };
}

export interface AnalysisProgress {
  file: string;
  bytesRead: number;
  size?: number;
  rowsRead: number;
}

export interface AnalyzeOptions {
  domains: DomainOracle;
  sink: FindingSink;
  inboundConnector?: InboundConnectorInfo;
  windowEvents?: number;
  maxTrackedMessages?: number;
  /** How many skipped rows a source record lists one by one (the rest are counted by reason). */
  maxSkippedListed?: number;
  /** Findings handed to the sink per call. */
  batchSize?: number;
  onProgress?: (progress: AnalysisProgress) => void;
  /** Checked between chunks; returning true stops reading (Lambda deadline). */
  shouldStop?: () => boolean;
  now?: () => Date;
}

export interface AnalysisResult {
  sources: SourceRecord[];
  /** Distinct findings of this run by scenario. */
  findingsByScenario: Record<ScenarioId, number>;
  /** Sender domains of this run's findings, most frequent first. */
  senderDomains: { domain: string; count: number; scenarios: Partial<Record<ScenarioId, number>> }[];
  events: number;
  rejections: number;
  duplicates: number;
  unclassified: number;
  /** True when `shouldStop` ended the run early. */
  stopped: boolean;
}

const MAX_TRACKED_DOMAINS = 10_000;

function emptyScenarioCounts(): Record<ScenarioId, number> {
  return { ndr: 0, forwarding: 0, 'foreign-sender-domain': 0, 'connector-mismatch': 0, 'wrong-region': 0 };
}

export async function analyze(
  inputs: readonly AnalysisInput[],
  options: AnalyzeOptions,
): Promise<AnalysisResult> {
  const now = options.now ?? (() => new Date());
  const batchSize = options.batchSize ?? 500;
  const maxSkipped = options.maxSkippedListed ?? 100;
  const classifier = new StreamingClassifier({
    domains: options.domains,
    ...(options.windowEvents === undefined ? {} : { windowEvents: options.windowEvents }),
    ...(options.maxTrackedMessages === undefined ? {} : { maxTrackedMessages: options.maxTrackedMessages }),
    ...(options.inboundConnector === undefined ? {} : { inboundConnector: options.inboundConnector }),
  });
  const records = new Map<string, SourceRecord>();
  const totals = emptyScenarioCounts();
  const domains = new Map<string, { count: number; scenarios: Partial<Record<ScenarioId, number>> }>();
  let buffer: Finding[] = [];
  let inbound: InboundEntry[] = [];
  const indexInbound = options.sink.putInboundMessages !== undefined;
  let stopped = false;

  /** Moves emitted findings into the buffer and the per-source/per-run counters. */
  const collect = (emitted: EmittedFinding[]): void => {
    for (const { finding, origin } of emitted) {
      buffer.push(finding);
      totals[finding.scenario]++;
      const record = records.get(origin.sourceId);
      if (record)
        record.findingsByScenario[finding.scenario] = (record.findingsByScenario[finding.scenario] ?? 0) + 1;
      const domain = finding.senderDomain ?? (finding.returnPath === '' ? '<>' : '(unknown)');
      let entry = domains.get(domain);
      if (!entry) {
        if (domains.size >= MAX_TRACKED_DOMAINS) continue;
        entry = { count: 0, scenarios: {} };
        domains.set(detach(domain), entry);
      }
      entry.count++;
      entry.scenarios[finding.scenario] = (entry.scenarios[finding.scenario] ?? 0) + 1;
    }
  };
  const flushBuffer = async (force: boolean): Promise<void> => {
    collect(classifier.drain());
    if (inbound.length > 0 && (force || inbound.length >= batchSize)) {
      const entries = inbound;
      inbound = [];
      await options.sink.putInboundMessages?.(entries);
    }
    if (buffer.length === 0 || (!force && buffer.length < batchSize)) return;
    const batch = buffer;
    buffer = [];
    await options.sink.putFindings(batch);
  };

  for (const input of inputs) {
    if (stopped) break;
    const record: SourceRecord = {
      id: input.sourceId,
      file: input.name,
      status: 'processing',
      startedAt: now().toISOString(),
      bytes: 0,
      rowsRead: 0,
      rowsAnalysed: 0,
      rowsSkipped: 0,
      events: 0,
      rejections: 0,
      skipped: [],
      skippedTruncated: 0,
      skippedByReason: {},
      findingsByScenario: {},
    };
    records.set(input.sourceId, record);
    await options.sink.putSource({ ...record });
    try {
      stopped = await analyzeOne(input, record);
      if (stopped) {
        // Never `done`: a half-read file must be analysed again (findings written so far are real).
        record.status = 'failed';
        record.errorCode = ErrorCode.DeadlineReached;
        record.errorMessage = `${input.name}: stopped before the deadline after ${record.rowsRead} rows; analyse it again`;
      } else {
        record.status = 'done';
      }
    } catch (error) {
      record.status = 'failed';
      if (error instanceof RelayAuditError) {
        record.errorCode = error.code;
        record.errorMessage = error.message;
      } else {
        record.errorCode = 'READ_FAILURE';
        record.errorMessage = `${input.name}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    record.finishedAt = now().toISOString();
    await flushBuffer(false);
  }
  classifier.flush();
  await flushBuffer(true);
  for (const record of records.values()) await options.sink.putSource(record);

  return {
    sources: [...records.values()],
    findingsByScenario: totals,
    senderDomains: [...domains]
      .map(([domain, entry]) => ({ domain, ...entry }))
      .sort((a, b) => b.count - a.count || a.domain.localeCompare(b.domain)),
    ...classifier.stats,
    stopped,
  };

  /** Reads one input through the classifier; returns true when asked to stop early. */
  async function analyzeOne(input: AnalysisInput, record: SourceRecord): Promise<boolean> {
    const counted = countBytes(input.open(), (bytes) => {
      record.bytes = bytes;
    });
    const decoded = await decodeBytes(counted, input.name);
    const chunks = decoded.chunks[Symbol.asyncIterator]();
    const detection = await detectFormat(chunks, input.name);
    record.format = detection.format.id;
    const origin = { file: input.name, format: detection.format.id, sourceId: input.sourceId };
    const rowAdapter = detection.format.createRowAdapter(detection.headers, {
      file: input.name,
      timestamps: new TimestampParser(),
      isRelevant: (eventId, source, status, directionality) =>
        classifier.isRelevant(eventId, source, status, directionality),
    });

    const skip = (line: number, reason: SkipReason, message: string, column?: string): void => {
      record.rowsSkipped++;
      record.skippedByReason[reason] = (record.skippedByReason[reason] ?? 0) + 1;
      if (record.skipped.length < maxSkipped) {
        const row: SkippedRow = { line, reason, message };
        if (column !== undefined) row.column = column;
        record.skipped.push(row);
      } else {
        record.skippedTruncated++;
      }
    };
    let rowSkipped = false;
    const rowSink: RowSink = {
      event(event) {
        const rejection = StreamingClassifier.rejectionOf(event);
        if (rejection) {
          // Rows that become findings cross the trust boundary into storage: validate them fully.
          const checked = TraceEvent.safeParse(event);
          if (!checked.success) {
            const issue = checked.error.issues[0];
            rowSkipped = true;
            skip(
              event.line,
              'INVALID_EVENT',
              `invalid ${issue?.path.join('.') ?? 'event'}: ${issue?.message ?? ''}`,
            );
            return;
          }
          record.rejections++;
        }
        record.events++;
        classifier.push(event, origin, rejection);
        if (indexInbound) {
          const entry = inboundEntryOf(event, origin, options.domains);
          if (entry) inbound.push(entry);
        }
      },
      skip(line, reason, message, column) {
        rowSkipped = true;
        skip(line, reason, message, column);
      },
    };
    const splitter = new CsvRecordSplitter(
      { delimiter: detection.delimiter, firstLine: detection.restLine },
      {
        onRecord(fields, line) {
          record.rowsRead++;
          rowSkipped = false;
          rowAdapter.adapt(fields, line, rowSink);
          if (!rowSkipped) record.rowsAnalysed++;
        },
        onMalformed(line, reason, message) {
          record.rowsRead++;
          skip(line, reason, message);
        },
      },
    );

    let lastProgress = 0;
    const progress = (): void => {
      if (!options.onProgress) return;
      const at = Date.now();
      if (at - lastProgress < 250) return;
      lastProgress = at;
      options.onProgress({
        file: input.name,
        bytesRead: record.bytes,
        rowsRead: record.rowsRead,
        ...(input.size === undefined ? {} : { size: input.size }),
      });
    };
    splitter.push(detection.rest);
    for (;;) {
      if (options.shouldStop?.()) return true;
      const next = await chunks.next();
      if (next.done) break;
      splitter.push(next.value);
      progress();
      await flushBuffer(false);
    }
    splitter.end();
    return false;
  }
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
