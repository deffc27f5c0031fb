/**
 * Resuming a file's analysis in a later invocation (ingest's continuations): which refusals an
 * earlier invocation already released, and, when a read is stopped, where the next one goes on.
 */
import type { StreamingClassifier } from './classifier.js';
import type { ResumeAnchor } from './input/parse-input.js';
import { DATE_ORDER_NOTE_CODES } from './input/timestamps.js';
import type { TraceEvent } from './model/events.js';
import { newSourceRecord, type ResumePoint, type SourceRecord } from './model/source-record.js';

/**
 * The refusals a resumed read must not release again: those before the resume point's `emitFrom`
 * line, and the first `releasedOnLine` of that line.
 */
export class ResumedRead {
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
export class ResumeTracker {
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
    if (anchor === undefined) return undefined;
    const dates = anchor.dates();
    if (dates?.reread) return readAgain(anchor, dates, previous);
    if (nextLine === undefined) return undefined;
    // A read that counted no new row made no progress: going on would loop forever.
    if (previous !== undefined && nextLine <= previous.countFrom) return undefined;
    const pending = classifier.pendingFrom();
    const emitFrom = pending?.line ?? nextLine;
    // Arrival numbers are the classifier's; this read's first event is `offset + 1`. Whatever lies
    // before this read's first event: start where this read started.
    // What the classifier remembers was all seen in this read (a resumed read refilled it), so a
    // start before this read's first event, or its first refusal, is never needed: starting at line 1
    // instead made every continuation of a file with few refusals replay it all, and one that could
    // not get past its replay ended DEADLINE_REACHED.
    const offset = classifier.stats.events - this.events;
    const fromEvent = Math.max(
      1,
      (pending?.seq ?? classifier.stats.events + 1) - this.window - this.tracked - offset,
    );
    const eventLine = this.events >= 1 ? (this.eventLines[fromEvent % this.eventLines.length] as number) : 1;
    // The de-duplication remembers the last `tracked` distinct refusals released (those still
    // pending, at most a window of them, come after); a read without refusals has none to refill.
    const fromRefusal = Math.max(1, this.refusals - this.tracked - this.window);
    const refusalLine =
      this.refusals >= 1
        ? (this.refusalLines[fromRefusal % this.refusalLines.length] as number)
        : Number.POSITIVE_INFINITY;
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
      ...(dates === undefined ? {} : { dates }),
    };
  }
}

/**
 * The resume point that reads the file again from its first row, counting and releasing every row
 * again, with the day/month order `dates` proved: its findings replace those written before.
 */
function readAgain(
  anchor: ResumeAnchor,
  dates: NonNullable<ResumePoint['dates']>,
  previous: ResumePoint | undefined,
): ResumePoint {
  const { firstRow } = anchor;
  return {
    fromLine: firstRow.line,
    fromByte: firstRow.byte,
    headBytes: anchor.headBytes,
    countFrom: firstRow.line,
    emitFrom: 1,
    releasedOnLine: 0,
    compressed: anchor.compressed,
    continuations: previous?.continuations ?? 0,
    dates,
  };
}

/**
 * Leaves the record of a stopped read for the next invocation to go on from `point`. The notes on
 * the file's dates go: the point carries what they say to the read that ends the file, which says
 * it once. A point that reads the file again starts the counts over.
 */
export function resumeAt(record: SourceRecord, point: ResumePoint): void {
  if (point.dates?.reread) countAgain(record);
  const notes = record.notes?.filter((note) => !DATE_ORDER_NOTE_CODES.has(note.code));
  if (notes !== undefined && notes.length > 0) record.notes = notes;
  else delete record.notes;
  record.resume = point;
}

/** Zeroes what the reads of the file counted so far: the read from its start counts it all again. */
function countAgain(record: SourceRecord): void {
  Object.assign(record, newSourceRecord(record.id, record.file, new Date(record.startedAt)));
  delete record.duplicateOf;
  delete record.unexplainedFailures;
  delete record.notes;
}
