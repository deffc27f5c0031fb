/**
 * Splitting the recipient and status lists of tracking logs and `Get-MessageTrackingLog | Export-Csv`
 * files, however the export joined them (docs/domain.md §3, §5):
 * `;` (tracking logs, `-join ';'`), `-join '; '`, `-join ','`, `-join ' | '`, `[string]$_.Recipients`
 * (space-joined) and `Out-String` (one value per line, with a trailing newline).
 *
 * An address never contains `;`, `,`, `|` or white space, so recipients split on any run of them.
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

const RECIPIENT_SEPARATORS = /[\s;,|]+/;

/** Splits a recipient list on `;`, `,`, `|` or white space, dropping empties. */
export function splitRecipients(value: string): string[] {
  if (!RECIPIENT_SEPARATORS.test(value)) return [value];
  return value.split(RECIPIENT_SEPARATORS).filter((part) => part.length > 0);
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function isListSeparator(code: number): boolean {
  return code === 59 /* ; */ || code === 44 /* , */ || code === 124 /* | */;
}

/** Splits a status list where a new SMTP status starts (see the module comment). */
export function splitStatuses(value: string): string[] {
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
