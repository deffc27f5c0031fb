/**
 * Splitting the `;`-joined recipient and status lists of tracking logs and `-join ';'` exports.
 *
 * A single status can itself contain `;` (`550 5.7.64 TenantAttribution; Relay Access Denied …`,
 * `550 4.4.7 QUEUE.Expired; message expired [{LED=…};{MSG=};…]`), so statuses are split only where a
 * new SMTP status begins: `;` followed by a reply code and an enhanced code *(inferred parsing rule,
 * docs/domain.md §3)*.
 */

const NEXT_STATUS = /;(?=\s*[245]\d\d[ -]+[245]\.\d{1,3}\.\d{1,3})/;

/** Splits a recipient list on `;` or `,`, dropping empties. */
export function splitRecipients(value: string): string[] {
  if (value.indexOf(';') === -1 && value.indexOf(',') === -1) return [value];
  return value
    .split(/[;,]/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** Splits a status list where a new SMTP status starts. */
export function splitStatuses(value: string): string[] {
  if (value.indexOf(';') === -1) return [value];
  return value.split(NEXT_STATUS).map((part) => part.trim());
}

/**
 * Pairs recipients with their statuses. A single status applies to every recipient (Exchange writes
 * one status for a whole FAIL row at times); otherwise statuses pair by position.
 */
export function pairStatuses(
  recipients: readonly string[],
  statuses: readonly string[],
): (string | undefined)[] {
  if (statuses.length === 1) return recipients.map(() => statuses[0]);
  return recipients.map((_, index) => statuses[index]);
}
