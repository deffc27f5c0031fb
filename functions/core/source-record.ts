/**
 * The source record: what happened to one analysed file. Every row is accounted for:
 * `rowsRead = rowsAnalysed + rowsSkipped`.
 */
import { z } from 'zod';
import { FormatId } from './events.js';
import { ScenarioId } from './findings.js';

export const SkippedRow = z.object({
  line: z.number().int().positive(),
  /** Stable reason code, e.g. `COLUMN_COUNT`, `BAD_TIMESTAMP`, `SYSTEM_STRING_ARRAY`. */
  reason: z.string(),
  /** Column involved, when one is. */
  column: z.string().optional(),
  message: z.string(),
});
export type SkippedRow = z.infer<typeof SkippedRow>;

/** Something the reader should know about how a file was read, e.g. that its dates' day/month order was assumed. */
export const SourceNote = z.object({
  /** Stable code, e.g. `DATE_ORDER_ASSUMED`, `DATE_ORDER_LATE`, `DATE_ORDER_MIXED`. */
  code: z.string(),
  message: z.string(),
});
export type SourceNote = z.infer<typeof SourceNote>;

export const SourceStatus = z.enum(['processing', 'done', 'failed']);
export type SourceStatus = z.infer<typeof SourceStatus>;

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
  /** Skipped rows with line and reason; capped, with `skippedTruncated` counting the rest. */
  skipped: z.array(SkippedRow),
  skippedTruncated: z.number().int().nonnegative(),
  /** Skipped rows by reason code (complete, never capped). */
  skippedByReason: z.record(z.string(), z.number().int().nonnegative()),
  /** Notes on how the file was read (absent when there are none). */
  notes: z.array(SourceNote).optional(),
  /** Distinct findings by scenario attributed to this file. */
  findingsByScenario: z.partialRecord(ScenarioId, z.number().int().nonnegative()),
});
export type SourceRecord = z.infer<typeof SourceRecord>;
