/**
 * The labels the summaries count findings under when they have no sender domain to name: the null
 * sender of NDRs and automatic replies, and an input that did not say. Not domains: a filter by
 * sender domain cannot take them (the dashboard shows the null sender's findings by their scenario).
 * No imports: the dashboard's bundle takes it too.
 */

/** The "domain" of findings whose envelope sender is the null sender `<>` (NDRs, auto-replies). */
export const NULL_SENDER_DOMAIN = '<>';
/** The "domain" / "server" when the input did not say. */
export const UNKNOWN = '(unknown)';

/** Placeholders that are not domains: never reported as "new sender domains", never a filter. */
export function isPseudoDomain(domain: string): boolean {
  return domain === NULL_SENDER_DOMAIN || domain === UNKNOWN;
}
