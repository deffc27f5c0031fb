/**
 * CSV for spreadsheets, safe against formula injection: a cell that starts with `=`, `+`, `-`, `@`,
 * tab or carriage return is prefixed with `'` so Excel and LibreOffice show it as text
 * (OWASP "CSV injection"). Attacker-controlled subjects and addresses end up in these files.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: neutralised, then quoted when needed. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line (CRLF-terminated, as RFC 4180 and Excel expect). */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
