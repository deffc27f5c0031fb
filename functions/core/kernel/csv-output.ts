/**
 * CSV for spreadsheets, safe against formula injection (OWASP "CSV injection"): attacker-chosen
 * subjects and addresses end up in these files. A spreadsheet makes a formula of any cell it sees
 * start with `=`, `+`, `-` or `@` (or tab, carriage return, NUL before one), and which cells it sees
 * depends on the separator it splits on: `,`, or `;` in most European cultures, or tab when pasted.
 * It honours a quote only at the start of a cell, so in a `;` split the quotes of a `,` file protect
 * nothing: `"Rechnung;=cmd|…"` is the cells `"Rechnung` and `=cmd|…"`. So each place inside a
 * cell where another separator or a line end could start a cell is neutralised too, not only the
 * cell's own start.
 */

/** A formula start at the cell's start. */
const FORMULA_START = /^[=+\-@\t\r\0]/;
/**
 * A formula start where a `;`, `,` or tab split, or a line end, would begin a cell (spaces between
 * are skipped by some spreadsheets, so they are passed over).
 */
const FORMULA_AFTER_SEPARATOR = /([,;\t\r\n] *)([=+\-@])/g;
/** What makes a cell quoted: RFC 4180's quote, comma and line ends, and `;` (kept together in any split). */
const NEEDS_QUOTES = /[",;\r\n]/;

/** One CSV cell: neutralised (a `'` before each formula start), then quoted when needed. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  if (!NEEDS_QUOTES.test(text) && !text.includes('\t')) return text;
  text = text.replace(FORMULA_AFTER_SEPARATOR, "$1'$2");
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line (CRLF-terminated, as RFC 4180 and Excel expect). */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
