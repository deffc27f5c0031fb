/**
 * SMTP multi-line replies (RFC 5321 §4.2.1: every line but the last has a dash after its code,
 * `550-5.7.64 … ATTR36`, the last a space, `550 5.7.64 [host]`) as the protocol-log readers meet
 * them. A server's log writes a reply on one row; a log rewritten by another tool may write each of
 * its lines on a row of its own. The readers then hold the first lines and read the reply whole at
 * its last line's row, as the one-row form has it: the ATTR of a refusal is on its first line.
 * Not for IIS SMTP logs: IIS writes a reply's first line alone (`250-host Hello [ip]`) as the whole
 * answer, so a row of theirs that ends in a dash is never waiting for more (holding it paired the
 * answers of interleaved sessions wrongly).
 */

/**
 * How much of a multi-line reply written one line per row is kept before its last line: the first
 * lines (the ATTR is on the first of a refusal's) and always the last. A real reply (an EHLO answer's
 * dozen lines, a refusal's two or three) stays far below; a session that never ends its reply costs
 * no more.
 */
const CONTINUED_LIMIT = 4096;

/** The first lines of a reply written one line per row, held until its last line. */
export interface HeldLines {
  /** The reply code every line of the reply carries. */
  code: string;
  /** Its lines so far, joined by a space (bounded). */
  text: string;
}

/**
 * True for a row that is only the first lines of a multi-line reply of `code` (`550-5.7.64 … ATTR36`):
 * the code with a dash, and no line of the code with a space, ending the reply, written on the same
 * row (as the one-row form `250-host Hello … 250 SMTPUTF8` has it).
 */
export function continuesReply(row: string, code: string): boolean {
  return row.charAt(code.length) === '-' && !row.includes(` ${code} `) && !row.endsWith(` ${code}`);
}

/** `held` with the row's lines added (a new hold when `held` is not of `code`), within the bound. */
export function holdLines(held: HeldLines | undefined, code: string, row: string): HeldLines {
  if (held === undefined || held.code !== code) return { code, text: row };
  if (held.text.length + row.length < CONTINUED_LIMIT) held.text = `${held.text} ${row}`;
  return held;
}

/** The whole reply the row with its last line ends: the held first lines of its code, then that row. */
export function wholeReply(held: HeldLines | undefined, code: string, row: string): string {
  return held === undefined || held.code !== code ? row : `${held.text} ${row}`;
}
