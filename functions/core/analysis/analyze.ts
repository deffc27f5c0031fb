/**
 * analyze(): the one flow, shared by the CLI and the Lambda handlers —
 * bytes → (gunzip) → decode → detect → records → adapt → classify → remediate → sink.
 *
 * Files are analysed one after another through one classifier, so evidence correlates across all
 * files of a run. A file that cannot be analysed (unknown format, bad encoding) is recorded as
 * failed with a stable error code and the run goes on with the next one; so is a file that gave
 * nothing to analyse — a header without rows (EMPTY_INPUT), or rows that were all skipped
 * (NO_USABLE_ROWS): "no relay refusals" is only ever said of rows that were analysed. Except a raw
 * Exchange log with only its header beside files that gave rows: a log nothing was written to, read
 * (see `settleEmptyLogs`). Every row is
 * accounted for in the file's source record: rowsRead = rowsAnalysed + rowsSkipped. A refusal
 * already counted from an earlier file (overlapping exports) is counted in the record's
 * `duplicateRefusals`, naming that file in `duplicateOf`. What a file's reader holds back for another
 * file of the run (a mail log rotated during a delivery attempt: see TextRun) is handed on under its
 * own file once every file is read.
 */

import { ErrorCode, isItemRejection, RelayAuditError } from '../kernel/errors.js';
import { WritePipeline } from '../kernel/write-pipeline.js';
import type { DomainOracle } from '../organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../organisation/connector-info.js';
import { type EmittedFinding, type EventOrigin, StreamingClassifier, type Unseen } from './classifier.js';
import { InboundEntries, type InboundEntry } from './evidence/inbound-entry.js';
import { FindingTally, type ForwardingOriginCount, type SenderDomainCount } from './finding-tally.js';
import { FORMATS } from './formats/index.js';
import { type HeldBack, TextRun } from './formats/text-format.js';
import { acceptEvent, emptyBatch, type SkipRow, skippedRow } from './input/batches.js';
import {
  type AnalysisInput,
  type ParsedBatch,
  type ParseInputOptions,
  type ParseListener,
  parseInput,
} from './input/parse-input.js';
import { TimestampParser } from './input/timestamps.js';
import type { TraceEvent } from './model/events.js';
import { emptyScenarioCounts, type Finding, type ScenarioId } from './model/findings.js';
import {
  addSourceNotes,
  MAX_DUPLICATE_OF,
  newSourceRecord,
  type ResumePoint,
  type SourceNote,
  type SourceRecord,
} from './model/source-record.js';
import { ResumedRead, ResumeTracker, resumeAt } from './resume-tracker.js';
import {
  countRows,
  listSkipped,
  noteDroppedDomains,
  noteEvidenceNotJoined,
  noteForwardingForgotten,
  noteForwardingLate,
  noteUnseen,
  settleFailure,
  settleRead,
  type UnseenCounts,
} from './source-accounting.js';
import { TraceFailures } from './trace-failures.js';

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
  /** The organisation's OnPremises inbound connectors (`onPremisesConnectors`), when known. */
  inboundConnectors?: readonly InboundConnectorInfo[] | undefined;
  windowEvents?: number | undefined;
  maxTrackedMessages?: number | undefined;
  /** How many skipped rows a source record lists one by one (the rest are counted by reason). */
  maxSkippedListed?: number | undefined;
  /** Findings handed to the sink per call. */
  batchSize?: number | undefined;
  /**
   * Sink calls in flight at once while reading goes on (default 1: wait for each write). Only for
   * a sink whose calls may overlap, such as the store; an output stream's writes must not.
   */
  writesInFlight?: number | undefined;
  onProgress?: ((progress: AnalysisProgress) => void) | undefined;
  /** The year of syslog dates that have none (`--year`); else each file's modification time says. */
  year?: number | undefined;
  /** Checked between chunks; returning true stops reading (Lambda deadline): a resumable stop. */
  shouldStop?: (() => boolean) | undefined;
  /**
   * Checked between chunks; returning true stops reading for good (the user's Ctrl+C): what was
   * read is classified and written (the window released, counters settled), and each file not read
   * to its end is a failed file, to be analysed again; the files not reached are named (`notRead`).
   */
  interrupted?: (() => boolean) | undefined;
  now?: (() => Date) | undefined;
  /**
   * True when the caller looks the run's `foreign-sender-domain` refusals up in an index of every
   * receipt the run read, once it ends (a run into a store: store/run-correlation.ts): forwarding
   * evidence the classifier forgot for its bound is found there, so the files' records do not note it.
   */
  correlatedAtEnd?: boolean | undefined;
}

export interface AnalysisResult {
  sources: SourceRecord[];
  /** Distinct findings of this run by scenario. */
  findingsByScenario: Record<ScenarioId, number>;
  /** Sender domains of this run's findings, most frequent first. */
  senderDomains: SenderDomainCount[];
  /** Where this run's forwarding findings were passed on outside (`Finding.forwardedFrom`), most frequent first. */
  forwardedFrom: ForwardingOriginCount[];
  events: number;
  rejections: number;
  duplicates: number;
  unclassified: number;
  /** Of the unclassified, refusals a scenario rule threw on. */
  ruleFailures: number;
  /**
   * Messages a message trace of the run says `Failed` for a recipient whose reason no row of the run
   * gives (a trace has no error text; its detail export, or a log, has): refusals, maybe, that no
   * finding stands for. See trace-failures.ts.
   */
  unexplainedFailures: number;
  /** True when `shouldStop` ended the run early. */
  stopped: boolean;
  /**
   * Inputs (their names, in order) a stopped run never reached: nothing of them was read, so they
   * have no source record. Absent from a result that is not one run's (the store's view of uploads).
   */
  notRead?: string[];
  /**
   * Ids of `foreign-sender-domain` findings whose message another file of the run showed arriving
   * for an internal address, forgotten for the classifier's bound (a day's logs of several servers):
   * the end-of-run correlation checks them against the run's other files (store/run-correlation.ts).
   * Absent from a result that is not one run's.
   */
  forwardingForgotten?: string[];
}

/** Whether `format` is a server's own log, told by its `#Fields:` line (not an export of one). */
function isRawLog(format: SourceRecord['format']): boolean {
  return FORMATS.some((adapter) => adapter.id === format && adapter.fieldsDirective === true);
}

/** A note as told apart from another: its code and words. */
function noteKey({ code, message }: SourceNote): string {
  return `${code}\u0000${message}`;
}

/** Two counts of late evidence as one: refusals added up, the largest distance. */
function addLate(
  a: { count: number; gap: number } | undefined,
  b: { count: number; gap: number } | undefined,
): { count: number; gap: number } | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return { count: a.count + b.count, gap: Math.max(a.gap, b.gap) };
}

/** Forgotten-evidence finding ids a run hands to the end-of-run correlation; past them, the file's note says the rest. */
const MAX_FORGOTTEN_IDS = 10_000;

/** Reads `inputs` one after another through one classifier into `options.sink` (see the module comment). */
export async function analyze(
  inputs: readonly AnalysisInput[],
  options: AnalyzeOptions,
): Promise<AnalysisResult> {
  // Evidence of another file forgotten for the bound is told (and settled) only in a run of several.
  return new AnalysisRun(options, inputs.length > 1).run(inputs);
}

/**
 * One call of {@link analyze}: the files' source records, the classifier, the findings and inbound
 * index entries waiting to be written, and the run's totals. Read top to bottom: {@link run} reads
 * every file ({@link analyzeFile}, {@link readFile}), releases the classifier's window, and writes
 * the records; the methods below it count and write what the classifier emits.
 */
class AnalysisRun {
  private readonly sink: FindingSink;
  private readonly now: () => Date;
  private readonly batchSize: number;
  /** How many skipped rows a source record lists one by one. */
  private readonly maxSkipped: number;
  /** See `AnalyzeOptions.correlatedAtEnd`. */
  private readonly correlatedAtEnd: boolean;
  /** One source record per input, by source id, in reading order. */
  private readonly records = new Map<string, SourceRecord>();
  private readonly classifier: StreamingClassifier;
  /** Per source: repeats of a refusal whose finding was released before the repeat was read. */
  private readonly unjoined = new Map<string, number>();
  /** Per source: findings classified without a part their file said another file had (see `Unseen`). */
  private readonly unseen = new Map<string, UnseenCounts>();
  /** Per source: findings whose message's forwarding evidence the classifier forgot (see `EmittedFinding`). */
  private readonly forgotten = new Map<string, number>();
  /** Ids of those findings, for the end-of-run correlation (at most `MAX_FORGOTTEN_IDS`). */
  private readonly forgottenIds = new Set<string>();
  /** Distinct findings of the run by scenario; and by sender domain and forwarding origin. */
  private readonly totals = emptyScenarioCounts();
  private readonly tally = new FindingTally();
  /** Findings and inbound index entries not yet handed to the sink. */
  private findings: Finding[] = [];
  private readonly inbound: InboundEntries;
  private readonly writes: WritePipeline;
  /** Rows of a file whose finding the store refused, already moved from analysed to skipped. */
  private readonly refusedRows = new Set<string>();
  /** True once `shouldStop` ended the reading. */
  private stopped = false;
  /** Names of the inputs the run was stopped before. */
  private notRead: string[] = [];
  /** The resumed read of the current input (ingest's continuations), when it is one. */
  private resumed: ResumedRead | undefined;
  /** Follows the current input's read, for its resume point. */
  private tracker: ResumeTracker | undefined;
  /**
   * The input a stopped read left to a later invocation, and the line that one starts reading at:
   * failures its trace names from there on are judged by the read that ends it.
   */
  private open: { sourceId: string; fromLine: number } | undefined;
  /** Per source: what findings released by earlier invocations lacked (see ResumePoint.lacked). */
  private readonly lateCarried = new Map<string, { count: number; gap: number }>();
  /** True while the classifier is fed an event of a row an earlier invocation counted. */
  private replaying = false;
  /** Failures a trace names without their reason, and the reasons any file of the run gives. */
  private readonly traceFailures = new TraceFailures();
  /** Set when a stopped read took a resume point: the window is left, not released half-informed. */
  private resumable = false;
  /** What the readers of the run's files keep for one another (a mail log rotated mid-attempt). */
  private readonly textRun = new TextRun();
  /** Each file read, by its name (as its reader knows it): its record and where its events come from. */
  private readonly readFiles = new Map<string, { record: SourceRecord; origin: EventOrigin }>();

  public constructor(
    private readonly options: AnalyzeOptions,
    several: boolean,
  ) {
    this.sink = options.sink;
    this.now = options.now ?? (() => new Date());
    this.batchSize = options.batchSize ?? 500;
    this.maxSkipped = options.maxSkippedListed ?? 100;
    this.correlatedAtEnd = options.correlatedAtEnd === true;
    this.writes = new WritePipeline(options.writesInFlight ?? 1);
    this.inbound = new InboundEntries(options.domains);
    this.classifier = new StreamingClassifier({
      domains: options.domains,
      windowEvents: options.windowEvents,
      maxTrackedMessages: options.maxTrackedMessages,
      inboundConnectors: options.inboundConnectors,
      noteForgotten: several,
      released: (event) => {
        const released = this.resumed?.released(event) ?? false;
        this.tracker?.refusal(event.line, this.classifier.stats.events, released);
        return released;
      },
      // A repeat in a row an earlier invocation counted was counted there.
      onDuplicate: (duplicate, first, joined) => {
        if (!this.replaying) this.countDuplicate(duplicate, first, joined);
      },
    });
  }

  /** Reads every input, releases the classifier's window, waits for every write, writes the records. */
  public async run(inputs: readonly AnalysisInput[]): Promise<AnalysisResult> {
    try {
      for (const [index, input] of inputs.entries()) {
        if (this.stopped) {
          // Every input is accounted for: those the stop left unread are named, to be analysed again.
          this.notRead = inputs.slice(index).map((unread) => unread.name);
          break;
        }
        await this.analyzeFile(input);
      }
      for (const held of this.textRun.settle()) this.settleHeldBack(held);
      // The window is released a batch at a time: thousands of findings are never built at once.
      // A read that will be resumed leaves it: its refusals are released by the next invocation.
      if (!this.resumable) while (this.classifier.flush(this.batchSize) > 0) await this.flush(false);
      await this.flush(true);
    } catch (error) {
      await this.recordFailure(error);
      throw error;
    }
    this.countUnexplainedFailures();
    this.noteWhatTheRunLacked();
    this.settleEmptyLogs();
    for (const record of this.records.values()) await this.sink.putSource(record);
    return this.result();
  }

  /** One input: its record written as `processing`, its rows read, its outcome settled. */
  private async analyzeFile(input: AnalysisInput): Promise<void> {
    // A resumed read goes on with the counts of the record so far.
    const record =
      input.resume === undefined
        ? newSourceRecord(input.sourceId, input.name, this.now())
        : structuredClone(input.resume.record);
    this.records.set(input.sourceId, record);
    await this.sink.putSource({ ...record });
    const previous = input.resume?.record.resume;
    this.resumed = previous === undefined ? undefined : new ResumedRead(previous);
    if (previous?.lacked !== undefined) this.carryLacked(input.sourceId, previous.lacked);
    const tracker = new ResumeTracker(this.classifier.windowSize, this.classifier.trackedMessages);
    this.tracker = tracker;
    try {
      this.stopped = await this.readFile(input, record, tracker);
      const interrupted = this.stopped && this.options.interrupted?.() === true;
      const point =
        this.stopped && !interrupted ? tracker.point(this.classifier, this.resumed?.point) : undefined;
      delete record.resume;
      if (point !== undefined) {
        // Findings written so far are final (or replaced by a read from the start: see resumeAt);
        // the next invocation reads on from `point`.
        this.resumable = true;
        this.open = { sourceId: input.sourceId, fromLine: point.fromLine };
        // A next read from the first row reads it all again and says the file's notes: not twice.
        if (point.fromLine <= (tracker.anchor?.firstRow.line ?? 1)) delete record.notes;
        resumeAt(record, point);
      } else settleRead(record, this.stopped ? (interrupted ? 'interrupted' : 'deadline') : undefined);
    } catch (error) {
      // A file refused after a stop (its format, a row it could not read) is not read on.
      delete record.resume;
      settleFailure(record, error);
    }
    this.tracker = undefined;
    if (record.resume === undefined) record.finishedAt = this.now().toISOString();
    await this.flush(false);
  }

  /** Parses one input and feeds its batches through the classifier; returns true when asked to stop early. */
  private async readFile(
    input: AnalysisInput,
    record: SourceRecord,
    tracker: ResumeTracker,
  ): Promise<boolean> {
    // Notes an earlier invocation left on the record are said once, however often their rows are read.
    const said = new Set((record.notes ?? []).map(noteKey));
    let origin: EventOrigin | undefined; // known once the format is detected, before any batch
    const progress = this.progressReporter(input, record);
    const listener: ParseListener = {
      format: (format) => {
        record.format = format;
        origin = { file: input.name, format, sourceId: input.sourceId };
        this.readFiles.set(input.name, { record, origin });
      },
      batch: async (batch) => {
        if (origin === undefined)
          throw new Error(`${input.name}: rows arrived before the format was detected`);
        if (said.size > 0) batch.notes = batch.notes.filter((note) => !said.has(noteKey(note)));
        countRows(record, batch, this.maxSkipped);
        if (batch.nextLine !== undefined) {
          tracker.nextLine = batch.nextLine;
          tracker.heldFrom = batch.heldFrom;
        }
        this.classify(record, batch, origin, tracker);
        progress();
        await this.flush(false);
      },
      shouldStop: () => this.options.shouldStop?.() === true || this.options.interrupted?.() === true,
      resumable: (anchor) => {
        tracker.anchor = anchor;
      },
    };
    const parse: ParseInputOptions = {
      inferring: this.classifier.inferring,
      now: this.now(),
      year: this.options.year,
      run: this.textRun,
      // The SEND rows the row filter drops still name the organisation's servers: the classifier learns them.
      noteServerHop: (hop) => {
        if (origin !== undefined) this.classifier.noteServerHop(origin.format, hop);
      },
    };
    return (await parseInput(input, parse, listener)) === 'stopped';
  }

  /** Pushes a batch's events through the classifier, and keeps their inbound index entries when the sink wants them. */
  private classify(
    record: SourceRecord,
    batch: ParsedBatch,
    origin: EventOrigin,
    tracker: ResumeTracker,
  ): void {
    const { events, rejections } = batch;
    const indexInbound = this.sink.putInboundMessages !== undefined;
    for (let index = 0; index < events.length; index++) {
      const event = events[index] as TraceEvent;
      const rejection = rejections[index] ?? null;
      // An event an earlier invocation handed on is read again as evidence only (see ResumePoint).
      this.replaying = this.resumed?.counted(event) ?? false;
      if (!this.replaying) {
        if (rejection) record.rejections++;
        record.events++;
      }
      // Every format: a log's refusal explains a trace's failure of the same message and recipient.
      this.traceFailures.see(event, origin.format, origin.sourceId, rejection);
      tracker.saw(event.line);
      this.classifier.push(event, origin, rejection);
      if (indexInbound && !this.replaying) this.inbound.add(event, origin);
    }
  }

  /**
   * What a file's reader held back for a later file of the run (see TextRun): its events, handed on
   * under the file once every file is read, and its notes. An event that is not valid skips its row.
   */
  private settleHeldBack({ file, events, notes }: HeldBack): void {
    const read = this.readFiles.get(file);
    if (read === undefined) return;
    const { record, origin } = read;
    addSourceNotes(record, notes);
    const batch = emptyBatch();
    const skippedLines = new Set<number>();
    const skip: SkipRow = (line, reason, message) => {
      // The row was counted as analysed when it was read.
      if (skippedLines.has(line)) return;
      skippedLines.add(line);
      listSkipped(record, skippedRow(line, reason, message), this.maxSkipped);
      record.rowsSkipped++;
      record.rowsAnalysed--;
    };
    const timestamps = new TimestampParser();
    for (const event of events) acceptEvent(event, batch, timestamps, skip);
    // Of no read in progress: its lines are the file's own.
    this.resumed = undefined;
    const tracker = new ResumeTracker(this.classifier.windowSize, this.classifier.trackedMessages);
    this.tracker = tracker;
    this.classify(record, batch, origin, tracker);
    this.tracker = undefined;
  }

  /**
   * Counts, in each file's record, the failures its trace names that no row of the run explains:
   * once every file is read, so a reason in a later file counts as much as one in an earlier. Of a
   * file a later invocation reads on (its count so far carried in the record), only the failures
   * before where that one starts: it reads the others again.
   */
  private countUnexplainedFailures(): void {
    for (const [sourceId, count] of this.traceFailures.unexplained(this.open)) {
      const record = this.records.get(sourceId);
      if (record) record.unexplainedFailures = (record.unexplainedFailures ?? 0) + count;
    }
  }

  /**
   * Notes, on each file's record, what its refusals lacked in the end: evidence of the file that could
   * not join a finding already released, a part of them (a sender, a session's start) no file of the
   * run had. Said once every file is read: a refusal is released as late as the end of the run.
   */
  private noteWhatTheRunLacked(): void {
    const lateEvidence = this.classifier.lateEvidence();
    for (const [sourceId, record] of this.records) {
      const late = this.unjoined.get(sourceId);
      const unseen = this.unseen.get(sourceId);
      const forgotten = this.forgotten.get(sourceId);
      const lateCount = addLate(lateEvidence.get(sourceId), this.lateCarried.get(sourceId));
      if (record.resume !== undefined) {
        // Read on by a later invocation: counted on, and said once, by the read that ends the file.
        const lacked = {
          ...(late === undefined ? {} : { unjoined: late }),
          ...(unseen === undefined ? {} : unseen),
          ...(forgotten === undefined ? {} : { forgotten }),
          ...(lateCount === undefined ? {} : { late: lateCount }),
        };
        if (Object.keys(lacked).length > 0) record.resume.lacked = lacked;
        continue;
      }
      if (late !== undefined) noteEvidenceNotJoined(record, late);
      if (unseen !== undefined) noteUnseen(record, unseen);
      if (forgotten !== undefined && !this.correlatedAtEnd)
        noteForwardingForgotten(record, forgotten, this.classifier.trackedMessages);
      if (lateCount !== undefined) noteForwardingLate(record, lateCount, this.classifier.windowSize);
      noteDroppedDomains(record, this.classifier.droppedDomains(sourceId));
    }
  }

  /** Takes on what the findings an earlier invocation released lacked, counted on by this one. */
  private carryLacked(sourceId: string, lacked: NonNullable<ResumePoint['lacked']>): void {
    const { unjoined, sender, traceSender, sessionStart, forgotten, late } = lacked;
    if (unjoined !== undefined && unjoined > 0) this.unjoined.set(sourceId, unjoined);
    if ((sender ?? 0) > 0 || (traceSender ?? 0) > 0 || (sessionStart ?? 0) > 0)
      this.unseen.set(sourceId, {
        sender: sender ?? 0,
        traceSender: traceSender ?? 0,
        sessionStart: sessionStart ?? 0,
      });
    if (forgotten !== undefined && forgotten > 0) this.forgotten.set(sourceId, forgotten);
    if (late !== undefined && late.count > 0) this.lateCarried.set(sourceId, late);
  }

  /**
   * A raw Exchange log (told by its `#Fields:` line) with only the `#` lines Exchange writes when it
   * opens the file is a log nothing was written to — a copied MessageTracking folder holds such
   * MSGTRKMA/MSGTRKMS files — not an export of an empty range; so is a file of 0 bytes (a mail.log
   * just rotated): beside files that gave rows to analyse, it is read, with no events, and noted.
   * When no file of the run gave a row (it is named alone, or every file is empty), it stays
   * EMPTY_INPUT: the run must not say "nothing to fix" of nothing, and says why in a log's words.
   */
  private settleEmptyLogs(): void {
    const records = [...this.records.values()];
    const analysed = records.some((record) => record.rowsAnalysed > 0);
    for (const record of records) {
      if (record.errorCode !== ErrorCode.EmptyInput) continue;
      // A file of 0 bytes is as empty: the current mail.log logrotate's `create` has just made.
      const empty = isRawLog(record.format)
        ? 'it holds only the #Software … #Fields: lines Exchange writes when it opens a log file, and no ' +
          'event: nothing was logged in it'
        : record.bytes === 0
          ? 'it is empty (0 bytes): nothing was logged in it yet, as in a log just rotated'
          : undefined;
      // Alone, a file of 0 bytes keeps detection's own words ("is empty: there is no header…").
      if (empty === undefined || (!analysed && !isRawLog(record.format))) continue;
      if (!analysed) {
        record.errorMessage =
          `${record.file}: ${empty}, and no file of the run gave a row to analyse, so nothing is known. ` +
          'Analyse the log files of the days in question, those with events in them.';
        continue;
      }
      record.status = 'done';
      delete record.errorCode;
      delete record.errorMessage;
      addSourceNotes(record, [{ code: 'EMPTY_LOG', message: `${empty}, so it holds no refusal` }]);
    }
  }

  /** Calls `onProgress` at most every 250 ms while `input` is read. */
  private progressReporter(input: AnalysisInput, record: SourceRecord): () => void {
    const { onProgress } = this.options;
    let last = 0;
    return () => {
      if (!onProgress) return;
      const at = Date.now();
      if (at - last < 250) return;
      last = at;
      onProgress({
        file: input.name,
        bytesRead: record.bytes,
        rowsRead: record.rowsRead,
        ...(input.size === undefined ? {} : { size: input.size }),
      });
    };
  }

  /**
   * A refusal the classifier had already seen (see `ClassifierOptions.onDuplicate`): counted in the
   * repeat's record when it comes from another file, naming the file of the first.
   */
  private countDuplicate(duplicate: EventOrigin, first: EventOrigin, joined: boolean): void {
    // A repeat within the file (a DEFER and then its FAIL) is part of the file's own finding.
    if (duplicate.sourceId === first.sourceId) return;
    const record = this.records.get(duplicate.sourceId);
    if (!record) return;
    // A protocol log's session evidence (the certificate) is lost to a finding already released: say so.
    if (!joined && (duplicate.format === 'exchange-protocol-log' || first.format === 'exchange-protocol-log'))
      this.unjoined.set(duplicate.sourceId, (this.unjoined.get(duplicate.sourceId) ?? 0) + 1);
    record.duplicateRefusals = (record.duplicateRefusals ?? 0) + 1;
    const from = record.duplicateOf ?? [];
    if (from.length < MAX_DUPLICATE_OF && !from.includes(first.file)) from.push(first.file);
    record.duplicateOf = from;
  }

  /**
   * Takes what the classifier emitted and writes what is due: a full batch of findings or entries,
   * or, with `force` (the end of the run), everything, waiting until every write has landed.
   */
  private async flush(force: boolean): Promise<void> {
    this.collect(this.classifier.drain());
    if (this.inbound.length > 0 && (force || this.inbound.length >= this.batchSize)) {
      const entries = this.inbound.take();
      const { sink } = this;
      await this.writes.add(async () => sink.putInboundMessages?.(entries));
    }
    if (this.findings.length > 0 && (force || this.findings.length >= this.batchSize)) {
      const ready = this.findings;
      this.findings = [];
      // In batches of `batchSize` even when many arrive at once (the window's release at the end of a
      // run is thousands): a sink holds a whole call's items in memory while it writes them.
      for (let start = 0; start < ready.length; start += this.batchSize) {
        const batch = ready.slice(start, start + this.batchSize);
        await this.writes.add(() => this.putFindings(batch));
      }
    }
    // At the end of a run every write must have landed (or failed the run), whatever was left to add.
    if (force) await this.writes.drain();
  }

  /** Moves emitted findings into the write buffer and the per-source and per-run counters. */
  private collect(emitted: EmittedFinding[]): void {
    for (const { finding, origin, unseen, forgotten } of emitted) {
      this.findings.push(finding);
      if (unseen !== undefined) this.countUnseen(unseen);
      if (forgotten) {
        this.forgotten.set(origin.sourceId, (this.forgotten.get(origin.sourceId) ?? 0) + 1);
        if (this.forgottenIds.size < MAX_FORGOTTEN_IDS) this.forgottenIds.add(finding.id);
      }
      this.totals[finding.scenario]++;
      const record = this.records.get(origin.sourceId);
      if (record)
        record.findingsByScenario[finding.scenario] = (record.findingsByScenario[finding.scenario] ?? 0) + 1;
      this.tally.add(finding);
    }
  }

  private countUnseen({ what, sourceId }: Unseen): void {
    let counts = this.unseen.get(sourceId);
    if (counts === undefined) {
      counts = { sender: 0, traceSender: 0, sessionStart: 0 };
      this.unseen.set(sourceId, counts);
    }
    if (what === 'sender') counts.sender++;
    else if (what === 'trace-sender') counts.traceSender++;
    else counts.sessionStart++;
  }

  /**
   * Writes a batch; when the store refuses an item of it for what it is, writes the batch a finding
   * at a time, so one finding it will never take (DynamoDB's 400 KB, after bounding) costs its row,
   * not the run and the other findings. Any other failure (a store down) fails the run as before.
   */
  private async putFindings(batch: Finding[]): Promise<void> {
    try {
      await this.sink.putFindings(batch);
    } catch (error) {
      if (!isItemRejection(error)) throw error;
      for (const finding of batch) {
        try {
          await this.sink.putFindings([finding]);
        } catch (single) {
          if (!isItemRejection(single)) throw single;
          this.notStored(finding, single);
        }
      }
    }
  }

  /**
   * A finding the store refuses for what it is (see isItemRejection) becomes a skipped row of its
   * file, with why; the run goes on. Its row no longer counts as analysed, nor the finding as found.
   */
  private notStored(finding: Finding, error: unknown): void {
    this.totals[finding.scenario]--;
    const record = this.records.get(finding.source.sourceId);
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
    listSkipped(record, row, this.maxSkipped);
    // A row of several recipients may have several refused findings: it is skipped once.
    const key = `${record.id}\u0000${finding.source.line}`;
    if (this.refusedRows.has(key)) return;
    this.refusedRows.add(key);
    record.rowsSkipped++;
    record.rowsAnalysed--;
  }

  /**
   * The run failed outside one file's reading (a write of findings, or of a record, failed): every
   * record it touched says `failed` with the cause, never `processing` forever nor `done` with
   * findings missing. Written on a best-effort basis: the store may be the thing that failed.
   */
  private async recordFailure(error: unknown): Promise<void> {
    const code = error instanceof RelayAuditError ? error.code : ErrorCode.StoreFailure;
    const reason = error instanceof Error ? error.message : String(error);
    for (const record of this.records.values()) {
      // A file that failed on its own (bad format, a failed write caught while reading) keeps its cause.
      if (record.status === 'failed') continue;
      record.status = 'failed';
      record.errorCode = code;
      record.errorMessage = `${record.file}: the findings could not all be stored: ${reason}`;
      record.finishedAt ??= this.now().toISOString();
    }
    for (const record of this.records.values()) {
      await this.sink.putSource(record).catch(() => undefined);
    }
  }

  private result(): AnalysisResult {
    return {
      sources: [...this.records.values()],
      findingsByScenario: this.totals,
      senderDomains: this.tally.senderDomains(),
      forwardedFrom: this.tally.forwardedFrom(),
      ...this.classifier.stats,
      unexplainedFailures: [...this.records.values()].reduce(
        (total, record) => total + (record.unexplainedFailures ?? 0),
        0,
      ),
      stopped: this.stopped,
      notRead: this.notRead,
      forwardingForgotten: [...this.forgottenIds],
    };
  }
}
