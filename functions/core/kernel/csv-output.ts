/**
 * CSV for spreadsheets, safe against formula injection: a cell that starts with `=`, `+`, `-`, `@`,
 * tab, carriage return or NUL is prefixed with `'` so Excel and LibreOffice show it as text, and one
 * that holds a separator of any culture is quoted
 * (OWASP "CSV injection"). Attacker-controlled subjects and addresses end up in these files.
 */

const FORMULA_START = /^[=+\-@\t\r\0]/;
/**
 * What makes a cell quoted: RFC 4180's quote, comma and line ends, and `;`, the list separator Excel
 * splits a `.csv` on in most European cultures: unquoted, `Rechnung;=cmd|…` would be two cells there,
 * the second a formula.
 */
const NEEDS_QUOTES = /[",;\r\n]/;

/** One CSV cell: neutralised, then quoted when needed. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line (CRLF-terminated, as RFC 4180 and Excel expect). */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
