/**
 * analyze(): the one flow, shared by the CLI and the Lambda handlers —
 * bytes → (gunzip) → decode → detect → records → adapt → classify → remediate → sink.
 *
 * Files are analysed one after another through one classifier, so evidence correlates across all
 * files of a run. A file that cannot be analysed (unknown format, bad encoding) is recorded as
 * failed with a stable error code and the run goes on with the next one; so is a file that gave
 * nothing to analyse — a header without rows (EMPTY_INPUT), or rows that were all skipped
 * (NO_USABLE_ROWS): "no relay refusals" is only ever said of rows that were analysed. Every row is
 * accounted for in the file's source record: rowsRead = rowsAnalysed + rowsSkipped. A refusal
 * already counted from an earlier file (overlapping exports) is counted in the record's
 * `duplicateRefusals`, naming that file in `duplicateOf`.
 */

import { ErrorCode, isItemRejection, RelayAuditError } from '../kernel/errors.js';
import { detach } from '../kernel/strings.js';
import { WritePipeline } from '../kernel/write-pipeline.js';
import type { DomainOracle } from '../organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../organisation/connector-info.js';
import { type EmittedFinding, type EventOrigin, StreamingClassifier } from './classifier.js';
import { type InboundEntry, inboundEntryOf } from './evidence/inbound-entry.js';
import {
  type AnalysisInput,
  type ParseListener,
  type ParseOptions,
  parseInput,
  type ResumeAnchor,
} from './input/parse-input.js';
import type { TraceEvent } from './model/events.js';
import { type Finding, SCENARIO_IDS, type ScenarioId } from './model/findings.js';
import {
  addSourceNotes,
  MAX_DUPLICATE_OF,
  newSourceRecord,
  type ResumePoint,
  type SourceRecord,
} from './model/source-record.js';

export type { AnalysisInput } from './input/parse-input.js';

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
  /**
   * Sink calls in flight at once while reading goes on (default 1: wait for each write). Only for
   * a sink whose calls may overlap, such as the store; an output stream's writes must not.
   */
  writesInFlight?: number;
  onProgress?: (progress: AnalysisProgress) => void;
  /** The year of syslog dates that have none (`--year`); else each file's modification time says. */
  year?: number;
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
  /** Of the unclassified, refusals a scenario rule threw on. */
  ruleFailures: number;
  /** True when `shouldStop` ended the run early. */
  stopped: boolean;
}

const MAX_TRACKED_DOMAINS = 10_000;

function emptyScenarioCounts(): Record<ScenarioId, number> {
  return Object.fromEntries(SCENARIO_IDS.map((id) => [id, 0])) as Record<ScenarioId, number>;
}

export async function analyze(
  inputs: readonly AnalysisInput[],
  options: AnalyzeOptions,
): Promise<AnalysisResult> {
  const now = options.now ?? (() => new Date());
  const batchSize = options.batchSize ?? 500;
  const maxSkipped = options.maxSkippedListed ?? 100;
  const records = new Map<string, SourceRecord>();
  /** The resumed read of the current input (ingest's continuations), when it is one. */
  let resumed: ResumedRead | undefined;
  /** True while the classifier is fed an event of a row an earlier invocation counted. */
  let replaying = false;
  /** Per source: repeats of a refusal whose finding was released before the repeat was read. */
  const unjoined = new Map<string, number>();
  const classifier = new StreamingClassifier({
    domains: options.domains,
    ...(options.windowEvents === undefined ? {} : { windowEvents: options.windowEvents }),
    ...(options.maxTrackedMessages === undefined ? {} : { maxTrackedMessages: options.maxTrackedMessages }),
    ...(options.inboundConnector === undefined ? {} : { inboundConnector: options.inboundConnector }),
    released: (event) => resumed?.released(event) ?? false,
    onDuplicate(duplicate, first, joined) {
      if (replaying) return; // counted by the invocation this one resumes
      // A repeat within the file (a DEFER and then its FAIL) is part of the file's own finding.
      if (duplicate.sourceId === first.sourceId) return;
      const record = records.get(duplicate.sourceId);
      if (!record) return;
      // A protocol log's session evidence (the certificate) is lost to a finding already released: say so.
      if (
        !joined &&
        (duplicate.format === 'exchange-protocol-log' || first.format === 'exchange-protocol-log')
      )
        unjoined.set(duplicate.sourceId, (unjoined.get(duplicate.sourceId) ?? 0) + 1);
      record.duplicateRefusals = (record.duplicateRefusals ?? 0) + 1;
      const from = record.duplicateOf ?? [];
      if (from.length < MAX_DUPLICATE_OF && !from.includes(first.file)) from.push(first.file);
      record.duplicateOf = from;
    },
  });
  const totals = emptyScenarioCounts();
  const domains = new Map<string, { count: number; scenarios: Partial<Record<ScenarioId, number>> }>();
  let buffer: Finding[] = [];
  let inbound: InboundEntry[] = [];
  const indexInbound = options.sink.putInboundMessages !== undefined;
  let stopped = false;
  /** Set when a stopped read took a resume point: the window is left, not released half-informed. */
  let resumable = false;
  const writes = new WritePipeline(options.writesInFlight ?? 1);

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
  /** Rows of a file whose finding the store refused, already moved from analysed to skipped. */
  const refusedRows = new Set<string>();
  /**
   * A finding the store refuses for what it is (see isItemRejection) becomes a skipped row of its
   * file, with why; the run goes on. Its row no longer counts as analysed, nor the finding as found.
   */
  const notStored = (finding: Finding, error: unknown): void => {
    totals[finding.scenario]--;
    const record = records.get(finding.source.sourceId);
    if (!record) return;
    const count = record.findingsByScenario[finding.scenario] ?? 0;
    if (count > 1) record.findingsByScenario[finding.scenario] = count - 1;
    else delete record.findingsByScenario[finding.scenario];
    const reason = error instanceof Error ? error.message : String(error);
    const row = {
      line: finding.source.line,
      reason: 'FINDING_NOT_STORED',
      message: `the store refused the finding for ${finding.recipient.slice(0, 320)} (${finding.scenario}): ${reason.slice(0, 500)}`,
    };
    record.skippedByReason[row.reason] = (record.skippedByReason[row.reason] ?? 0) + 1;
    if (record.skipped.length < maxSkipped) record.skipped.push(row);
    else record.skippedTruncated++;
    // A row of several recipients may have several refused findings: it is skipped once.
    const key = `${record.id}\u0000${finding.source.line}`;
    if (refusedRows.has(key)) return;
    refusedRows.add(key);
    record.rowsSkipped++;
    record.rowsAnalysed--;
  };
  /**
   * Writes a batch; when the store refuses an item of it for what it is, writes the batch a finding
   * at a time, so one finding it will never take (DynamoDB's 400 KB, after bounding) costs its row,
   * not the run and the other findings. Any other failure (a store down) fails the run as before.
   */
  const putFindings = async (batch: Finding[]): Promise<void> => {
    try {
      await options.sink.putFindings(batch);
    } catch (error) {
      if (!isItemRejection(error)) throw error;
      for (const finding of batch) {
        try {
          await options.sink.putFindings([finding]);
        } catch (single) {
          if (!isItemRejection(single)) throw single;
          notStored(finding, single);
        }
      }
    }
  };
  const flushBuffer = async (force: boolean): Promise<void> => {
    collect(classifier.drain());
    if (inbound.length > 0 && (force || inbound.length >= batchSize)) {
      const entries = inbound;
      inbound = [];
      const { sink } = options;
      await writes.add(async () => sink.putInboundMessages?.(entries));
    }
    if (buffer.length > 0 && (force || buffer.length >= batchSize)) {
      const ready = buffer;
      buffer = [];
      // In batches of `batchSize` even when many arrive at once (the window's release at the end of a
      // run is thousands): a sink holds a whole call's items in memory while it writes them.
      for (let start = 0; start < ready.length; start += batchSize) {
        const batch = ready.slice(start, start + batchSize);
        await writes.add(() => putFindings(batch));
      }
    }
    // At the end of a run every write must have landed (or failed the run), whatever was left to add.
    if (force) await writes.drain();
  };

  try {
    await analyzeAll();
  } catch (error) {
    await recordFailure(error);
    throw error;
  }
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

  /** Reads every input, then releases the classifier's window and waits for every write. */
  async function analyzeAll(): Promise<void> {
    for (const input of inputs) {
      if (stopped) break;
      const record =
        input.resume === undefined
          ? newSourceRecord(input.sourceId, input.name, now())
          : structuredClone(input.resume.record);
      records.set(input.sourceId, record);
      await options.sink.putSource({ ...record });
      resumed = input.resume === undefined ? undefined : new ResumedRead(input.resume.record.resume);
      const tracker = new ResumeTracker(classifier.windowEvents, classifier.trackedMessages);
      try {
        stopped = await analyzeOne(input, record, tracker);
        const point = stopped ? tracker.point(classifier, resumed?.point) : undefined;
        delete record.resume;
        if (point !== undefined) {
          // Findings written so far are final; the next invocation reads on from `point`.
          resumable = true;
          record.resume = point;
        } else if (stopped) {
          // Never `done`: a half-read file must be analysed again (findings written so far are real).
          record.status = 'failed';
          record.errorCode = ErrorCode.DeadlineReached;
          record.errorMessage = `${input.name}: stopped before the deadline after ${record.rowsRead} rows; analyse it again`;
        } else if (record.rowsAnalysed === 0) {
          // Nothing was analysed, so nothing can be said about this file: it failed.
          record.status = 'failed';
          record.errorCode = record.rowsRead === 0 ? ErrorCode.EmptyInput : ErrorCode.NoUsableRows;
          record.errorMessage = nothingAnalysed(record);
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
      const late = unjoined.get(input.sourceId);
      if (late !== undefined) {
        addSourceNotes(record, [
          {
            code: 'EVIDENCE_NOT_JOINED',
            message:
              `${late} of its refusals repeat findings released before it was read (more than the classifier's window ` +
              'of events earlier), so those findings lack its evidence: analyse the send protocol log first, or the two ' +
              'files together with a larger --window',
          },
        ]);
      }
      if (record.resume === undefined) record.finishedAt = now().toISOString();
      await flushBuffer(false);
    }
    // The window is released a batch at a time: thousands of findings are never built at once.
    // A read that will be resumed leaves it: its refusals are released by the next invocation.
    if (!resumable) while (classifier.flush(batchSize) > 0) await flushBuffer(false);
    await flushBuffer(true);
  }

  /**
   * The run failed outside one file's reading (a write of findings, or of a record, failed): every
   * record it touched says `failed` with the cause, never `processing` forever nor `done` with
   * findings missing. Written on a best-effort basis: the store may be the thing that failed.
   */
  async function recordFailure(error: unknown): Promise<void> {
    const code = error instanceof RelayAuditError ? error.code : ErrorCode.StoreFailure;
    const reason = error instanceof Error ? error.message : String(error);
    for (const record of records.values()) {
      // A file that failed on its own (bad format, a failed write caught while reading) keeps its cause.
      if (record.status === 'failed') continue;
      record.status = 'failed';
      record.errorCode = code;
      record.errorMessage = `${record.file}: the findings could not all be stored: ${reason}`;
      record.finishedAt ??= now().toISOString();
    }
    for (const record of records.values()) {
      await options.sink.putSource(record).catch(() => undefined);
    }
  }

  /** Parses one input and feeds its batches through the classifier; returns true when asked to stop early. */
  async function analyzeOne(
    input: AnalysisInput,
    record: SourceRecord,
    tracker: ResumeTracker,
  ): Promise<boolean> {
    // Rows an earlier invocation counted are read again as evidence only (see ResumePoint).
    const countFrom = input.resume?.record.resume.countFrom ?? 0;
    let origin: EventOrigin | undefined; // known once the format is detected, before any batch
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
    const listener: ParseListener = {
      format(format) {
        record.format = format;
        origin = { file: input.name, format, sourceId: input.sourceId };
      },
      async batch(batch) {
        if (origin === undefined)
          throw new Error(`${input.name}: rows arrived before the format was detected`);
        record.bytes = Math.max(record.bytes, batch.bytesRead);
        if (batch.nextLine !== undefined) tracker.nextLine = batch.nextLine;
        record.rowsRead += batch.rowsRead;
        record.rowsAnalysed += batch.rowsAnalysed;
        for (const row of batch.skips) {
          record.rowsSkipped++;
          record.skippedByReason[row.reason] = (record.skippedByReason[row.reason] ?? 0) + 1;
          if (record.skipped.length < maxSkipped) record.skipped.push(row);
          else record.skippedTruncated++;
        }
        for (const [reason, count = 0] of Object.entries(batch.counted ?? {})) {
          record.rowsSkipped += count;
          record.skippedByReason[reason] = (record.skippedByReason[reason] ?? 0) + count;
        }
        addSourceNotes(record, batch.notes);
        const { events, rejections } = batch;
        for (let index = 0; index < events.length; index++) {
          const event = events[index] as TraceEvent;
          const rejection = rejections[index] ?? null;
          replaying = event.line < countFrom;
          if (!replaying) {
            if (rejection) record.rejections++;
            record.events++;
          }
          const duplicates = classifier.stats.duplicates;
          classifier.push(event, origin, rejection);
          tracker.saw(event.line, rejection !== null && classifier.stats.duplicates === duplicates);
          if (indexInbound && !replaying) {
            const entry = inboundEntryOf(event, origin, options.domains);
            if (entry) inbound.push(entry);
          }
        }
        progress();
        await flushBuffer(false);
      },
      ...(options.shouldStop === undefined ? {} : { shouldStop: options.shouldStop }),
      resumable: (anchor) => {
        tracker.anchor = anchor;
      },
    };
    const parse: ParseOptions = { inferring: classifier.inferring, now: now() };
    if (options.year !== undefined) parse.year = options.year;
    return (await parseInput(input, parse, listener)) === 'stopped';
  }
}

/**
 * The refusals a resumed read must not release again: those before the resume point's `emitFrom`
 * line, and the first `releasedOnLine` of that line.
 */
class ResumedRead {
  private seenOnLine = 0;
  public constructor(public readonly point: ResumePoint) {}

  public released(event: TraceEvent): boolean {
    if (event.line < this.point.emitFrom) return true;
    if (event.line > this.point.emitFrom) return false;
    return this.seenOnLine++ < this.point.releasedOnLine;
  }
}

/**
 * Follows one read so that, when it is stopped, it can say where the next invocation goes on: the
 * first line not read to its end (rows counted up to there), the oldest refusal still pending
 * (released from there), and a start early enough to refill what the classifier remembers — the
 * events of its window and its message indexes before that refusal, and the refusals its
 * de-duplication remembers — so that the next invocation's findings are the ones one pass gives.
 */
class ResumeTracker {
  /** Told by the reader once it can be resumed (CSV-like, UTF-8). */
  public anchor: ResumeAnchor | undefined;
  public nextLine: number | undefined;
  /** The lines of the latest events and of the latest refusals, by their order in this read (rings). */
  private readonly eventLines: Int32Array;
  private readonly refusalLines: Int32Array;
  private events = 0;
  private refusals = 0;

  public constructor(
    private readonly window: number,
    private readonly tracked: number,
  ) {
    this.eventLines = new Int32Array(2 * window + tracked + 1024);
    this.refusalLines = new Int32Array(tracked + window + 1);
  }

  /** Records the line of the next event pushed to the classifier; `refusal`: a refusal not seen before. */
  public saw(line: number, refusal: boolean): void {
    this.events++;
    this.eventLines[this.events % this.eventLines.length] = line;
    if (!refusal) return;
    this.refusals++;
    this.refusalLines[this.refusals % this.refusalLines.length] = line;
  }

  /** The resume point of a stopped read, or `undefined` when it cannot be resumed. */
  public point(classifier: StreamingClassifier, previous: ResumePoint | undefined): ResumePoint | undefined {
    const { anchor, nextLine } = this;
    if (anchor === undefined || nextLine === undefined) return undefined;
    // A read that counted no new row made no progress: going on would loop forever.
    if (previous !== undefined && nextLine <= previous.countFrom) return undefined;
    const pending = classifier.pendingFrom();
    const emitFrom = pending?.line ?? nextLine;
    // Arrival numbers are the classifier's; this read's first event is `offset + 1`. Whatever lies
    // before this read's first event: start where this read started.
    const offset = classifier.stats.events - this.events;
    const fromEvent = (pending?.seq ?? classifier.stats.events + 1) - this.window - this.tracked - offset;
    const eventLine = fromEvent >= 1 ? (this.eventLines[fromEvent % this.eventLines.length] as number) : 1;
    // The de-duplication remembers the last `tracked` distinct refusals released (those still
    // pending, at most a window of them, come after).
    const fromRefusal = this.refusals - this.tracked - this.window;
    const refusalLine =
      fromRefusal >= 1 ? (this.refusalLines[fromRefusal % this.refusalLines.length] as number) : 1;
    const start = anchor.lineStart(Math.min(eventLine, refusalLine, emitFrom));
    return {
      fromLine: start.line,
      fromByte: start.byte,
      headBytes: anchor.headBytes,
      countFrom: nextLine,
      emitFrom,
      releasedOnLine: pending?.releasedOnLine ?? 0,
      compressed: anchor.compressed,
      continuations: previous?.continuations ?? 0,
    };
  }
}

/** How many skip reasons the message of a file without usable rows explains. */
const REASONS_EXPLAINED = 3;

/**
 * Why a read file gave nothing to analyse: no rows after the header, or the main reasons its rows
 * were skipped, each with the first such row (its line, column and what to do).
 */
function nothingAnalysed(record: SourceRecord): string {
  if (record.rowsRead === 0) {
    return (
      `${record.file} has a header (${record.format ?? 'unknown format'}) but no rows after it: there is nothing to analyse. ` +
      'An export of a time range or filter without messages looks like this; export a range with mail in it.'
    );
  }
  const rows = record.rowsRead === 1 ? 'its only row' : `all ${record.rowsRead} of its rows`;
  const reasons = Object.entries(record.skippedByReason).sort((a, b) => b[1] - a[1]);
  const lines = [`${record.file}: ${rows} had to be skipped, so it says nothing about relay refusals.`];
  for (const [reason, count] of reasons.slice(0, REASONS_EXPLAINED)) {
    const example = record.skipped.find((row) => row.reason === reason);
    const where = example
      ? `, e.g. line ${example.line}${example.column ? ` (${example.column})` : ''}: ${example.message}`
      : '';
    lines.push(`${reason}: ${count} ${count === 1 ? 'row' : 'rows'}${where}`);
  }
  if (reasons.length > REASONS_EXPLAINED) {
    const rest = reasons.slice(REASONS_EXPLAINED).map(([reason, count]) => `${reason} ${count}`);
    lines.push(`also ${rest.join(', ')}`);
  }
  return lines.join('\n');
}
