/**
 * Validation of domain names taken from log data (kept apart from events.ts, whose types the
 * dashboard also compiles, because it needs Node's IDN conversion).
 */
import { domainToASCII } from 'node:url';

/**
 * A DNS name as mail uses it: labels of letters, digits and inner hyphens (1-63 characters),
 * joined by dots, 253 characters at most. An IDN passes in its punycode (`xn--`) form.
 */
const DOMAIN_NAME =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * `value` lower-cased when it is a domain name, else `undefined`. Log data is hostile input: a
 * "domain" with line breaks or Markdown would otherwise travel into reports, alerts and commands.
 */
export function validDomain(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let domain = value.toLowerCase().replace(/\.$/, '');
  // An IDN in Unicode (bücher.de) is turned into its punycode form; nothing else is rewritten.
  if (/[^\p{ASCII}]/u.test(domain) && /^[\p{L}\p{M}\p{N}.-]+$/u.test(domain)) domain = domainToASCII(domain);
  return DOMAIN_NAME.test(domain) ? domain : undefined;
}
