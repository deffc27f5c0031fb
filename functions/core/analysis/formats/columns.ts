/**
 * Column lookup by header name, shared by the format adapters: formats are recognised and read by
 * header names, never by position (docs/domain.md §3).
 */

import { normaliseHeader } from '../../text/csv-records.js';

export type ColumnMap<K extends string> = Partial<Record<K, number>>;

/**
 * Builds `canonical name → column index` from the file's headers and the format's naming table
 * (canonical name → header name as the format writes it).
 */
export function mapColumns<K extends string>(
  headers: readonly string[],
  names: Readonly<Record<K, string>>,
): ColumnMap<K> {
  const index = new Map<string, number>();
  headers.forEach((header, position) => {
    index.set(normaliseHeader(header), position);
  });
  const map: ColumnMap<K> = {};
  for (const key of Object.keys(names) as K[]) {
    const position = index.get(normaliseHeader(names[key]));
    if (position !== undefined) map[key] = position;
  }
  return map;
}

/** The trimmed value of a column, or `undefined` when the column is absent or the cell empty. */
export function cell<K extends string>(
  fields: readonly string[],
  map: ColumnMap<K>,
  key: K,
): string | undefined {
  const position = map[key];
  if (position === undefined) return undefined;
  const value = fields[position];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed.length === 0 ? undefined : trimmed;
}
