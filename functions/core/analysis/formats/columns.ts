/**
 * Column lookup by header name, shared by the format adapters: formats are recognised and read by
 * header names, never by position (docs/domain.md §3).
 */

import { UnknownFormatError } from '../../kernel/errors.js';
import { normaliseHeader } from '../../text/csv-records.js';
import type { FormatAdapter } from './format-adapter.js';

export type ColumnMap<K extends string> = Partial<Record<K, number>>;

/**
 * The header names `format` requires that `present` (normalised header cells) lacks, spelt as the
 * format declares them: none when the header is the format's.
 */
export function missingColumns(format: FormatAdapter, present: ReadonlySet<string>): string[] {
  // Called once per header row, not per row: nothing to keep between calls.
  return format.requiredHeaders.filter((name) => !present.has(normaliseHeader(name)));
}

/**
 * Builds `canonical name → column index` from the file's headers and the format's naming table
 * (canonical name → header name as the format writes it).
 *
 * A column the format reads that the header names twice (a spreadsheet merge, a hand-edited export)
 * is refused: which copy holds the values cannot be known before the rows are read, and reading the
 * wrong one — an empty second `Detail` — would report no refusal where the file has one. Copies of a
 * column the format does not read are harmless and left alone.
 */
export function mapColumns<K extends string>(
  headers: readonly string[],
  names: Readonly<Record<K, string>>,
  file: string,
): ColumnMap<K> {
  const positions = new Map<string, number[]>();
  headers.forEach((header, position) => {
    const name = normaliseHeader(header);
    const seen = positions.get(name);
    if (seen === undefined) positions.set(name, [position]);
    else seen.push(position);
  });
  const map: ColumnMap<K> = {};
  for (const key of Object.keys(names) as K[]) {
    const found = positions.get(normaliseHeader(names[key]));
    if (found === undefined) continue;
    if (found.length > 1) throw repeatedColumn(file, headers, found);
    map[key] = found[0];
  }
  return map;
}

/** The error for a column the header names more than once (`positions` are 0-based). */
function repeatedColumn(
  file: string,
  headers: readonly string[],
  positions: readonly number[],
): UnknownFormatError {
  const spellings = positions.map((position) => headers[position]?.trim() ?? '');
  const name = spellings[0] ?? '';
  // `Message ID` and `MessageId` are one column: say how each copy is spelt when they differ.
  const same = spellings.every((spelling) => spelling === name);
  const columns = positions.map((position, index) =>
    same ? `${position + 1}` : `${position + 1} ("${spellings[index]}")`,
  );
  const times = positions.length === 2 ? 'twice' : `${positions.length} times`;
  return new UnknownFormatError(
    `${file}: the header row names the column "${name}" ${times}, as columns ${columns.slice(0, -1).join(', ')} and ${columns.at(-1)}. ` +
      'relay-audit reads a column by its name and cannot tell which copy holds the values (an empty copy ' +
      'would hide a refusal), so the file is not read. Delete the copy that does not belong (one a ' +
      'spreadsheet merge or edit added?) or export the file again, and analyse it again.',
    { file, column: name },
  );
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
