/**
 * The uploaded file's modification time, carried with an upload as S3 user metadata
 * (`x-amz-meta-file-modified`, ISO 8601 UTC): it gives the year of syslog dates, which have none and
 * which S3's `LastModified` (the upload's time) gets wrong for a log of last year. One name for all
 * who set or read it: `relay-audit upload`, the dashboard's form, the upload grant, `serve` and ingest.
 */
import { z } from 'zod';

/** The user metadata key (S3 returns it without its `x-amz-meta-` prefix). */
export const FILE_MODIFIED_METADATA = 'file-modified';

/** The form field (or header) that sets it. */
export const FILE_MODIFIED_FIELD = `x-amz-meta-${FILE_MODIFIED_METADATA}`;

const FileModified = z.iso.datetime();

/**
 * The time an upload names, or undefined when it names none or one that is no ISO 8601 UTC time:
 * whoever uploads sets it, so it is checked.
 */
export function fileModifiedOf(value: string | undefined): Date | undefined {
  const parsed = FileModified.safeParse(value);
  return parsed.success ? new Date(parsed.data) : undefined;
}
