/**
 * Checks every adapter applies before converting a row, so a bad row is always reported the same way.
 */
import { quoteText } from '../../kernel/strings.js';
import { MAX_TIMESTAMP_CHARS } from '../input/timestamps.js';
import type { RowContext, RowSink } from './format-adapter.js';

/** False (and the row reported) when the row's field count differs from the header's. */
export function hasHeaderShape(
  fields: readonly string[],
  headerCount: number,
  line: number,
  sink: RowSink,
): boolean {
  if (fields.length === headerCount) return true;
  sink.skip(line, 'COLUMN_COUNT', `expected ${headerCount} fields, found ${fields.length}`);
  return false;
}

/**
 * The UTC ISO timestamp of a cell, or `undefined` (and the row reported) when it is not one. The cell
 * is quoted with its control characters escaped (the NULs of a damaged log), so the report stays text.
 */
export function timestampOrSkip(
  raw: string | undefined,
  column: string,
  line: number,
  context: RowContext,
  sink: RowSink,
): string | undefined {
  const timestamp = raw === undefined ? undefined : context.timestamps.parse(raw, line);
  if (timestamp === undefined) {
    sink.skip(
      line,
      'BAD_TIMESTAMP',
      raw === undefined
        ? 'the timestamp is empty'
        : raw.length > MAX_TIMESTAMP_CHARS
          ? `"${quoteText(raw, MAX_TIMESTAMP_CHARS)}" (${raw.length} characters) is not a date and time`
          : `"${quoteText(raw, MAX_TIMESTAMP_CHARS)}" is not a date and time`,
      column,
    );
  }
  return timestamp;
}
