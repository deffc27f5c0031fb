/**
 * Splitting the recipient and status lists of tracking logs and `Get-MessageTrackingLog | Export-Csv`
 * files, however the export joined them (docs/domain.md §3, §5):
 * `;` (tracking logs, `-join ';'`), `-join '; '`, `-join ','`, `-join ' | '`, `[string]$_.Recipients`
 * (space-joined), `Out-String` (one value per line, with a trailing newline) and PowerShell's display
 * form `{a, b}` (rows copied from Out-GridView or Format-Table, see {@link displayedListItems}).
 *
 * An address holds no `;`, `,`, `|` or white space outside a quoted local part, so recipients split on
 * any run of them outside quotes.
 * A status does contain `;`, `,` and spaces (`550 5.7.64 TenantAttribution; Relay Access Denied …`,
 * `550 4.4.7 QUEUE.Expired; message expired [{LED=…};{MSG=};…]`), so statuses are split only where a
 * new SMTP status begins: a separator (white space, and at most one `;`, `,` or `|`) followed by a
 * reply code and an enhanced code *(inferred parsing rule, docs/domain.md §3)*. An answer Exchange
 * wraps in a queue error or a quote (`{LED=550 5.7.64 …}`, `responded with: "550 5.7.64 …"`) follows
 * `=` or a quote, never a separator, so it stays part of its status. Both splits are linear scans.
 */
import { statusesIn } from '../evidence/rejections.js';

/** The literals PowerShell writes for a list exported without joining it, never addresses. */
export const UNJOINED_LIST_LITERALS: ReadonlySet<string> = new Set([
  'System.String[]',
  'System.Object[]',
  // What a remote PowerShell session (deserialised objects) writes for the same lists.
  'System.Collections.ArrayList',
]);

/**
 * The items of a list in PowerShell's display form, `{a, b}`, without its braces: Format-Table,
 * Format-List and Out-GridView show an array so, and a copy of their rows keeps the braces, which
 * would end up in an address (`litware.com}`) or a status. Only braces that wrap the whole cell are
 * the list's: a status's own parts (`{LED=550 5.7.64 …};{MSG=}`) open and close inside it, so a
 * cell whose first brace closes before its end, or whose braces do not pair, is returned as it is.
 */
export function displayedListItems(value: string): string {
  const cell = value.trim();
  if (cell.charCodeAt(0) !== 123 /* { */ || cell.charCodeAt(cell.length - 1) !== 125 /* } */) return value;
  let depth = 0;
  for (let i = 0; i < cell.length; i++) {
    const code = cell.charCodeAt(i);
    if (code === 123) depth++;
    else if (code === 125 && --depth === 0 && i < cell.length - 1) return value;
  }
  return depth === 0 ? cell.slice(1, -1).trim() : value;
}

const RECIPIENT_SEPARATORS = /[\s;,|]+/;

/**
 * Splits a recipient list on `;`, `,`, `|` or white space, dropping empties (`{}`: none). The one
 * address that may hold those is one with a quoted local part (RFC 5321: `"smith, john"@litware.com`),
 * which an outside sender can choose: a list with a quote splits only outside quotes, so such an
 * address stays one recipient (one refusal), not two made-up ones.
 */
export function splitRecipients(value: string): string[] {
  const items = displayedListItems(value);
  if (!RECIPIENT_SEPARATORS.test(items)) return items.length === 0 ? [] : [items];
  if (!items.includes('"')) return items.split(RECIPIENT_SEPARATORS).filter((part) => part.length > 0);
  return splitOutsideQuotes(items);
}

/** {@link splitRecipients} for a list with quotes: separators inside `"…"` (with `\"` escapes) belong to the address. */
function splitOutsideQuotes(items: string): string[] {
  const parts: string[] = [];
  let from = 0;
  let quoted = false;
  for (let i = 0; i < items.length; i++) {
    const code = items.charCodeAt(i);
    if (quoted) {
      if (code === 92 /* \ */) i++;
      else if (code === 34 /* " */) quoted = false;
    } else if (code === 34) {
      quoted = true;
    } else if (isSpace(code) || isListSeparator(code)) {
      if (i > from) parts.push(items.slice(from, i));
      from = i + 1;
    }
  }
  // A quote that never closes is a stray one, not an address's: split as if it were not there.
  if (quoted) return items.split(RECIPIENT_SEPARATORS).filter((part) => part.length > 0);
  if (from < items.length) parts.push(items.slice(from));
  return parts;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function isListSeparator(code: number): boolean {
  return code === 59 /* ; */ || code === 44 /* , */ || code === 124 /* | */;
}

/** Splits a status list where a new SMTP status starts (see the module comment). */
export function splitStatuses(list: string): string[] {
  const value = displayedListItems(list);
  const parts: string[] = [];
  let from = 0;
  for (const status of statusesIn(value, Number.POSITIVE_INFINITY)) {
    if (status.smtpCode === undefined || status.start === 0) continue;
    // Walk back over the separator: white space, at most one `;` `,` `|`, white space.
    let end = status.start;
    while (end > from && isSpace(value.charCodeAt(end - 1))) end--;
    if (end > from && isListSeparator(value.charCodeAt(end - 1))) end--;
    while (end > from && isSpace(value.charCodeAt(end - 1))) end--;
    if (end === status.start || end === from) continue;
    parts.push(value.slice(from, end).trim());
    from = status.start;
  }
  parts.push(value.slice(from).trim());
  return parts;
}

/**
 * Pairs recipients with their statuses. A single status applies to every recipient (Exchange writes
 * one status for a whole row at times, and `To;Cc` lists of a RECEIVE row are not split); otherwise
 * there must be one status per recipient, paired by position. Returns `undefined` when the counts
 * differ: which status belongs to which recipient cannot be told, so the row is refused.
 */
export function pairStatuses(
  recipients: readonly string[],
  statuses: readonly string[],
): (string | undefined)[] | undefined {
  if (statuses.length === 1) return recipients.map(() => statuses[0]);
  if (statuses.length !== recipients.length) return undefined;
  return [...statuses];
}
