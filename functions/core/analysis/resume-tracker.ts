/**
 * Resuming a file's analysis in a later invocation (ingest's continuations): which events an earlier
 * invocation already counted and which refusals it released, and, when a read is stopped, where the
 * next one goes on.
 */
import type { StreamingClassifier } from './classifier.js';
import type { ResumeAnchor } from './input/parse-input.js';
import { DATE_ORDER_NOTE_CODES } from './input/timestamps.js';
import type { TraceEvent } from './model/events.js';
import {
  MAX_LINES_LISTED,
  newSourceRecord,
  type ResumePoint,
  type SourceRecord,
} from './model/source-record.js';

/**
 * What a resumed read finds the earlier reads did, event by event: the events they handed to the
 * classifier (counted in the record), and the refusals they released (their findings written). An
 * event is known by its line and its place among the events of that line: a reader hands a row's
 * events on in one order every time, but not always in the order of the rows (see ResumePoint).
 */
export class ResumedRead {
  private readonly events: LineMarks;
  private readonly refusals: LineMarks;

  public constructor(public readonly point: ResumePoint) {
    const { countFrom, eventsFrom, eventsOnLines, emitFrom, releasedOnLine, releasedOnLines } = point;
    this.events = new LineMarks(eventsFrom ?? countFrom, eventsOnLines ?? []);
    const onEmitLine: [number, number][] = releasedOnLine > 0 ? [[emitFrom, releasedOnLine]] : [];
    this.refusals = new LineMarks(emitFrom, [...onEmitLine, ...(releasedOnLines ?? [])]);
  }

  /** True when an earlier read handed `event` on: read again as evidence only. Asked once per event, in order. */
  public counted(event: TraceEvent): boolean {
    return this.events.next(event.line);
  }

  /** True when an earlier read released the refusal `event`. Asked once per refusal the classifier would hold. */
  public released(event: TraceEvent): boolean {
    return this.refusals.next(event.line);
  }
}

/** Lines before `from`, and the first `count` of each line listed. */
class LineMarks {
  private readonly left = new Map<number, number>();

  public constructor(
    private readonly from: number,
    listed: readonly (readonly [number, number])[],
  ) {
    for (const [line, count] of listed) if (line >= from) this.left.set(line, count);
  }

  /** Whether the next of line `line` is marked. */
  public next(line: number): boolean {
    if (line < this.from) return true;
    const left = this.left.get(line);
    if (left === undefined) return false;
    if (left <= 1) this.left.delete(line);
    else this.left.set(line, left - 1);
    return true;
  }
}

/**
 * Per line from `from` on, how many entries of the ring `lines` (`total` entries written to it, the
 * latest kept) that `include` takes lie there; `undefined` when the ring forgot some it might count.
 */
function countOnLines(
  lines: Int32Array,
  total: number,
  from: number,
  include: (index: number) => boolean = () => true,
): Map<number, number> | undefined {
  const counts = new Map<number, number>();
  const kept = Math.min(total, lines.length);
  for (let back = 0; back < kept; back++) {
    const index = (total - back) % lines.length;
    const line = lines[index] as number;
    if (line < from || !include(index)) continue;
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  // The ring forgot older entries, and the oldest kept is on a line it must count: it cannot tell.
  if (total > lines.length && (lines[(total - kept + 1) % lines.length] as number) >= from) return undefined;
  return counts;
}

/**
 * `counts` as a resume point lists them, with what an earlier point listed from `from` on (the most
 * of each line: this read went over those lines again, so it knows them as well); `undefined` past
 * {@link MAX_LINES_LISTED} lines.
 */
function listed(
  counts: Map<number, number>,
  from: number,
  earlier: readonly (readonly [number, number])[],
): [number, number][] | undefined {
  for (const [line, count] of earlier)
    if (line >= from && count > (counts.get(line) ?? 0)) counts.set(line, count);
  if (counts.size > MAX_LINES_LISTED) return undefined;
  return [...counts].sort((a, b) => a[0] - b[0]);
}

/**
 * Follows one read so that, when it is stopped, it can say where the next invocation goes on: the
 * first line not read to its end (rows counted up to there), the events handed to the classifier and
 * the refusals released (see ResumedRead), and a start early enough to refill what the classifier
 * remembers — the events of its window and its message indexes before the oldest refusal pending,
 * and the refusals its de-duplication remembers — and what the reader holds back, so that the next
 * invocation's findings are the ones one pass gives.
 */
export class ResumeTracker {
  /** Told by the reader once it can be resumed (CSV-like, UTF-8). */
  public anchor: ResumeAnchor | undefined;
  public nextLine: number | undefined;
  /** The first line whose events the reader may still hand on (see ParsedBatch.heldFrom). */
  public heldFrom: number | undefined;
  /** The lines of the latest events, by their order in this read (a ring). */
  private readonly eventLines: Int32Array;
  /**
   * The refusals the classifier would hold (not repeats), by their order in this read (rings): their
   * lines, their arrival numbers, and whether an earlier read had released them.
   */
  private readonly refusalLines: Int32Array;
  private readonly refusalSeqs: Float64Array;
  private readonly refusalDone: Uint8Array;
  private events = 0;
  private refusals = 0;

  public constructor(
    private readonly window: number,
    private readonly tracked: number,
  ) {
    this.eventLines = new Int32Array(2 * window + tracked + 1024);
    const refusals = tracked + window + 1;
    this.refusalLines = new Int32Array(refusals);
    this.refusalSeqs = new Float64Array(refusals);
    this.refusalDone = new Uint8Array(refusals);
  }

  /** Records the line of the next event pushed to the classifier. */
  public saw(line: number): void {
    this.events++;
    this.eventLines[this.events % this.eventLines.length] = line;
  }

  /**
   * Records a refusal the classifier would hold, of line `line` and arrival number `seq`;
   * `released`: an earlier read released it.
   */
  public refusal(line: number, seq: number, released: boolean): void {
    this.refusals++;
    const index = this.refusals % this.refusalLines.length;
    this.refusalLines[index] = line;
    this.refusalSeqs[index] = seq;
    this.refusalDone[index] = released ? 1 : 0;
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
    // Events of rows the reader still holds were not handed on: the next read hands them on.
    const eventsFrom = Math.min(nextLine, this.heldFrom ?? nextLine);
    const eventCounts = countOnLines(this.eventLines, this.events, eventsFrom);
    // Refusals are released in the order they arrived, every one before the oldest pending; the
    // pending ones, and those of the rows held, from the lowest of their lines on.
    const pending = classifier.pending();
    const pendingSeq = pending?.seq ?? Number.POSITIVE_INFINITY;
    const emitFrom = Math.min(eventsFrom, pending?.line ?? eventsFrom);
    const releasedCounts = countOnLines(
      this.refusalLines,
      this.refusals,
      emitFrom,
      (index) => this.refusalDone[index] === 1 || (this.refusalSeqs[index] as number) < pendingSeq,
    );
    if (eventCounts === undefined || releasedCounts === undefined) return undefined;
    const eventsOnLines = listed(eventCounts, eventsFrom, previous?.eventsOnLines ?? []);
    const releasedOnLines = listed(releasedCounts, emitFrom, [
      ...(previous === undefined ? [] : [[previous.emitFrom, previous.releasedOnLine] as const]),
      ...(previous?.releasedOnLines ?? []),
    ]);
    if (eventsOnLines === undefined || releasedOnLines === undefined) return undefined;
    // The count of line `emitFrom` has a field of its own (points of earlier versions have only it).
    const onEmitLine = releasedOnLines[0]?.[0] === emitFrom ? (releasedOnLines.shift()?.[1] ?? 0) : 0;
    // Arrival numbers are the classifier's; this read's first event is `offset + 1`. Whatever lies
    // before this read's first event: start where this read started.
    // What the classifier remembers was all seen in this read (a resumed read refilled it), so a
    // start before this read's first event, or its first refusal, is never needed: starting at line 1
    // instead made every continuation of a file with few refusals replay it all, and one that could
    // not get past its replay ended DEADLINE_REACHED.
    const offset = classifier.stats.events - this.events;
    const fromEvent = Math.max(
      1,
      (Number.isFinite(pendingSeq) ? pendingSeq : classifier.stats.events + 1) -
        this.window -
        this.tracked -
        offset,
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
      eventsFrom,
      ...(eventsOnLines.length === 0 ? {} : { eventsOnLines }),
      emitFrom,
      releasedOnLine: onEmitLine,
      ...(releasedOnLines.length === 0 ? {} : { releasedOnLines }),
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
