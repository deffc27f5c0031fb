/**
 * The source record: what happened to one analysed file. Every row is accounted for:
 * `rowsRead = rowsAnalysed + rowsSkipped`.
 */
import { z } from 'zod';
import { CLASSIFIER_VERSION } from '../classifier-version.js';
import { FormatId } from './events.js';
import { ScenarioId } from './findings.js';

/** Bounds of `SourceRecord.notes`: few, short sentences (stored with the record). */
export const MAX_SOURCE_NOTES = 20;
/** A note's length at most (longer ones are cut, ending in …). */
export const MAX_NOTE_CHARS = 500;

export const SkippedRow = z.object({
  line: z.number().int().positive(),
  /** Stable reason code, e.g. `COLUMN_COUNT`, `BAD_TIMESTAMP`, `SYSTEM_STRING_ARRAY`. */
  reason: z.string(),
  /** Column involved, when one is. */
  column: z.string().optional(),
  message: z.string(),
});
export type SkippedRow = z.infer<typeof SkippedRow>;

/** How many earlier files a source record names in `duplicateOf`. */
export const MAX_DUPLICATE_OF = 10;

/** Something the reader should know about how a file was read, e.g. that its dates' day/month order was assumed. */
export const SourceNote = z.object({
  /**
   * Stable code: `DATE_ORDER_ASSUMED`, `DATE_ORDER_LATE`, `DATE_ORDER_MIXED` (culture dates),
   * `FIELD_SET_INFERRED` (tracking rows without a header), `FIELD_SET_CHANGED` and
   * `FIELD_SET_UNKNOWN` (a new `#Fields:` line in a joined log), `EMPTY_LOG` (an Exchange log with only
   * its header, beside files that gave rows); protocol logs: `SESSIONS_CLOSED_EARLY`,
   * `SESSIONS_JOINED_LATE` (refusals whose session start no file of the run has), `SESSION_ORDER_UNKNOWN`
   * (rows of one time whose `sequence-number` cannot restore their order), `EVIDENCE_NOT_JOINED`
   * (a repeat read after its finding was released); MTA logs: `SENDER_NOT_SEEN` (refusals whose
   * `from=` line no file of the run has), `RECIPIENTS_NOT_PAIRED` (next-server refusals whose
   * recipients lines out of order left untold, or whose attempt the file ended during, the next file
   * not in the run), `NUL_BYTES_REMOVED`; text logs: `NOT_UTF8_LINES`; IIS SMTP logs: `SESSIONS_INTERLEAVED`
   * (sessions to one remote open at once), `ANSWERS_UNPAIRED` (replies whose command is not logged;
   * in send protocol logs too, rows missing inside a session while commands waited);
   * `FORWARDING_EVIDENCE_FORGOTTEN` (refusals whose forwarding evidence the run read too far back to keep),
   * `FORWARDING_EVIDENCE_LATE` (refusals classified before such evidence, read past the window),
   * `INFERRED_DOMAIN_DROPPED` (findings classified with an inferred domain that later rows dropped).
   */
  code: z.string(),
  message: z.string().max(MAX_NOTE_CHARS),
});
export type SourceNote = z.infer<typeof SourceNote>;

export const SourceStatus = z.enum(['processing', 'done', 'failed']);
export type SourceStatus = z.infer<typeof SourceStatus>;

/**
 * Who is analysing a source right now, and until when: the claim one attempt takes before it reads
 * the object, so that a second delivery of the same upload backs off instead of analysing it again.
 * A `processing` record whose lease has run out was interrupted.
 */
export const SourceLease = z.object({
  owner: z.string().min(1).max(200),
  expiresAt: z.iso.datetime(),
});
export type SourceLease = z.infer<typeof SourceLease>;

/** The order of the day and the month in a date such as `3/9/2021` (see input/timestamps.ts). */
export const DayOrder = z.enum(['month-first', 'day-first']);
export type DayOrder = z.infer<typeof DayOrder>;

/** Why an order was assumed for dates that do not prove one (see input/timestamps.ts). */
export const DateOrderBasis = z.enum(['semicolons', 'meridiem', '24-hour', 'spreadsheet']);
export type DateOrderBasis = z.infer<typeof DateOrderBasis>;

/** A date that proved its file's day/month order, for notes: `28/11/2026 …` on line 7. */
const DateProof = z.object({
  order: DayOrder,
  line: z.number().int().positive().optional(),
  value: z.string().max(64),
});

/** Rows whose dates were read with an assumed order: how many, and the lines of the first and last. */
const DatedRows = z.object({
  order: DayOrder,
  rows: z.number().int().nonnegative(),
  firstLine: z.number().int().positive().optional(),
  lastLine: z.number().int().positive().optional(),
});

/**
 * What the reads of a file so far learnt of its day/month order, handed to the next invocation so
 * that it reads on as one pass would and the file gets one note of each kind.
 */
export const DateOrderState = z.object({
  /** The first date that proved the order, and one that proved the other (the file mixes both). */
  proof: DateProof.optional(),
  conflict: DateProof.optional(),
  /** Ambiguous dates read with an assumed order before any proof, why, and an example. */
  assumed: DatedRows.extend({ basis: DateOrderBasis, example: z.string().max(64) }).optional(),
  /** Rows handed on (their findings written) dated with an assumed order, before any proof. */
  released: DatedRows.optional(),
  /**
   * A proof showed that rows an earlier invocation handed on were dated in the wrong order: the
   * read starts the file over, reading every date in the proven order.
   */
  reread: z.literal(true).optional(),
});
export type DateOrderState = z.infer<typeof DateOrderState>;

/** A line and how many of its events (or refusals) a {@link ResumePoint} says were handed on. */
const LineCount = z.tuple([z.number().int().positive(), z.number().int().positive()]);
/** Lines a resume point lists one by one: a handful in practice (rows of one millisecond). */
export const MAX_LINES_LISTED = 1000;

/**
 * Where the next invocation goes on reading a file the previous one could not finish (ingest's
 * continuations, see functions/core/analysis/input/resume-bytes.ts). Lines and bytes count the
 * uncompressed text: a gzip file is inflated again up to `fromByte`, a plain one read with a range.
 */
export const ResumePoint = z.object({
  /** The line reading starts at: early enough to refill the classifier's correlation window. */
  fromLine: z.number().int().positive(),
  /** The uncompressed byte offset where `fromLine` starts. */
  fromByte: z.number().int().nonnegative(),
  /** Bytes of the preamble and header, read again before `fromByte` so the format is known. */
  headBytes: z.number().int().nonnegative(),
  /** Rows before this line were counted already: they are read again as evidence only. */
  countFrom: z.number().int().positive(),
  /**
   * Events of lines before this one were handed to the classifier (and counted) already, and so were
   * the first of some lines from it on (`eventsOnLines`): a reader hands a row's events on after later
   * rows (rows of one millisecond put back in order, sessions handed on at the end of the file).
   * Absent (a point of an earlier version): `countFrom`.
   */
  eventsFrom: z.number().int().positive().optional(),
  eventsOnLines: z.array(LineCount).max(MAX_LINES_LISTED).optional(),
  /** Refusals before this line were released already (their findings are written); ... */
  emitFrom: z.number().int().positive(),
  /** ... and so were the first `releasedOnLine` refusals of line `emitFrom`, ... */
  releasedOnLine: z.number().int().nonnegative(),
  /**
   * ... and the first of these later lines: refusals are released in the order they were handed on,
   * which is not always the order of their lines (rows of one millisecond put back in order).
   */
  releasedOnLines: z.array(LineCount).max(MAX_LINES_LISTED).optional(),
  /**
   * What the findings released so far lacked, counted for the file's notes, which the read that ends
   * the file writes once (see analyze.ts `noteWhatTheRunLacked`).
   */
  lacked: z
    .object({
      unjoined: z.number().int().nonnegative(),
      sender: z.number().int().nonnegative(),
      traceSender: z.number().int().nonnegative(),
      sessionStart: z.number().int().nonnegative(),
      forgotten: z.number().int().nonnegative(),
      late: z.object({ count: z.number().int().nonnegative(), gap: z.number().int().nonnegative() }),
    })
    .partial()
    .optional(),
  /** True when the object is gzip: it cannot be entered mid-stream. */
  compressed: z.boolean(),
  /** Invocations that went on from an earlier one's resume point so far. */
  continuations: z.number().int().nonnegative(),
  /** What the reads so far learnt of the file's day/month order (absent: nothing to carry). */
  dates: DateOrderState.optional(),
});
export type ResumePoint = z.infer<typeof ResumePoint>;

export const SourceRecord = z.object({
  /** Stable id of the file's content/identity (see store/keys sourceId). */
  id: z.string(),
  file: z.string(),
  /** Unset when the format could not be detected. */
  format: FormatId.optional(),
  status: SourceStatus,
  /** Stable error code when `status` is `failed`. */
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
  bytes: z.number().int().nonnegative(),
  rowsRead: z.number().int().nonnegative(),
  rowsAnalysed: z.number().int().nonnegative(),
  rowsSkipped: z.number().int().nonnegative(),
  /** Events produced (one per recipient). */
  events: z.number().int().nonnegative(),
  /** Relay-attribution rejections found (before de-duplication). */
  rejections: z.number().int().nonnegative(),
  /**
   * Of `rejections`, those already counted from an earlier file of the same run (overlapping
   * exports): the same message, recipient and code, so the same finding, attributed to that file.
   */
  duplicateRefusals: z.number().int().nonnegative().optional(),
  /**
   * Messages this file's message trace says `Failed` that no row of the run gives a reason for (a
   * trace has no error text; its detail export has): refusals, maybe, that no finding stands for.
   */
  unexplainedFailures: z.number().int().positive().optional(),
  /** The earlier files `duplicateRefusals` were counted from (at most {@link MAX_DUPLICATE_OF}). */
  duplicateOf: z.array(z.string()).optional(),
  /** Skipped rows with line and reason; capped, with `skippedTruncated` counting the rest. */
  skipped: z.array(SkippedRow),
  skippedTruncated: z.number().int().nonnegative(),
  /** Skipped rows by reason code (complete, never capped). */
  skippedByReason: z.record(z.string(), z.number().int().nonnegative()),
  /** Distinct findings by scenario attributed to this file. */
  findingsByScenario: z.partialRecord(ScenarioId, z.number().int().nonnegative()),
  /**
   * How the file was read where it was not plain (dates of assumed day/month order, a field set
   * inferred or changed mid-file); at most {@link MAX_SOURCE_NOTES}, absent when there are none.
   */
  notes: z.array(SourceNote).max(MAX_SOURCE_NOTES).optional(),
  /**
   * The claim of the attempt that wrote it (see {@link SourceLease}); it means something only while
   * `processing`, and stays on the finished record so that a late write of that attempt is fenced.
   */
  lease: SourceLease.optional(),
  /** Set while `processing` between invocations: where the next one goes on (see {@link ResumePoint}). */
  resume: ResumePoint.optional(),
  /** The classifier version that analysed the file (see classifier-version.ts); absent before versions were recorded. */
  classifierVersion: z.string().min(1).optional(),
  /**
   * Set by a re-analysis: the version whose findings it replaces (`unversioned` for findings from
   * before versions were recorded). When it is done, the findings of this source that another
   * version wrote — refusals the current classifier no longer finds — are removed.
   */
  replacedVersion: z.string().min(1).optional(),
  /**
   * Set on a record a run did not finish (failed, interrupted) once a later run completed the same
   * local file in another version (it grew, or was touched): the id of that run's record. The
   * record stays as history; it is no failure to act on any more.
   */
  supersededBy: z.string().min(1).optional(),
});
export type SourceRecord = z.infer<typeof SourceRecord>;

/**
 * True for a record still `processing` whose lease has run out: the attempt was killed or lost its
 * store before it could record an outcome. Such a record is shown as interrupted and is replaced
 * by the next attempt. (A record without a lease predates leases: it cannot be told, so it is not;
 * nor is one superseded by a later run of its file.) Where more can be told of the lease's holder
 * (a local run names its process), `isLeaseGone` says so before the lease runs out.
 */
export function isInterrupted(
  record: Pick<SourceRecord, 'status' | 'lease' | 'supersededBy'>,
  now: Date = new Date(),
  isLeaseGone: (lease: SourceLease) => boolean = (lease) => Date.parse(lease.expiresAt) <= now.getTime(),
): boolean {
  return (
    record.status === 'processing' &&
    record.supersededBy === undefined &&
    record.lease !== undefined &&
    isLeaseGone(record.lease)
  );
}

/** The record of a source whose analysis starts now: `processing`, nothing counted yet. */
export function newSourceRecord(id: string, file: string, startedAt: Date): SourceRecord {
  return {
    id,
    file,
    classifierVersion: CLASSIFIER_VERSION,
    status: 'processing',
    startedAt: startedAt.toISOString(),
    bytes: 0,
    rowsRead: 0,
    rowsAnalysed: 0,
    rowsSkipped: 0,
    events: 0,
    rejections: 0,
    duplicateRefusals: 0,
    skipped: [],
    skippedTruncated: 0,
    skippedByReason: {},
    findingsByScenario: {},
  };
}

/** Appends notes to a record, keeping the schema's bounds (extra notes are dropped, long ones cut). */
export function addSourceNotes(record: SourceRecord, notes: readonly SourceNote[]): void {
  if (notes.length === 0) return;
  const kept = record.notes ?? [];
  for (const note of notes) {
    if (kept.length >= MAX_SOURCE_NOTES) break;
    const { code, message } = note;
    kept.push({
      code,
      message: message.length > MAX_NOTE_CHARS ? `${message.slice(0, MAX_NOTE_CHARS - 1)}…` : message,
    });
  }
  record.notes = kept;
}
