/**
 * Rejection parser: SMTP code, enhanced code, `ATTRnn` and the answering host of a status text,
 * found inside queue wrappers such as
 * `550 4.4.7 QUEUE.Expired; message expired [{LED=451 4.4.62 … ATTR35 […]};{MSG=};{FQDN=…};…]`
 * — the `LED` (last error description) is the real error; the outer 4.4.7 only says the queue gave up.
 */
import type { Rejection } from './findings.js';

const LAST_ERROR = /\{LED=([^}]*)\}/i;
const CODE_PAIR = /(?:^|[^\d.])([245]\d\d)[ -]+([245]\.\d{1,3}\.\d{1,3})(?![\d.])/;
const ENHANCED_ONLY = /(?:^|[^\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])/;
const ATTR = /\bATTR(\d{1,3})\b/i;
const REMOTE_HOST = /\[([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\]/;

/** Enhanced codes of relay-attribution refusals (docs/domain.md §2). Only these become findings. */
export const RELAY_ATTRIBUTION_CODES: ReadonlySet<string> = new Set(['5.7.64', '4.4.62']);

/**
 * Cheap test for the hot path: can this status text hold a relay-attribution refusal?
 * False negatives are impossible (every such text names its enhanced code).
 */
export function mayBeRelayRejection(status: string): boolean {
  return status.includes('5.7.64') || status.includes('4.4.62');
}

/** Parses a status/detail text. Returns `undefined` when it holds no enhanced status code. */
export function parseRejection(status: string): Rejection | undefined {
  const led = LAST_ERROR.exec(status);
  const inner = (led?.[1] ?? status).trim();
  let smtpCode: string | undefined;
  let enhancedCode: string | undefined;
  const pair = CODE_PAIR.exec(inner);
  if (pair) {
    smtpCode = pair[1];
    enhancedCode = pair[2];
  } else {
    enhancedCode = ENHANCED_ONLY.exec(inner)?.[1];
  }
  if (enhancedCode === undefined) return undefined;
  const rejection: Rejection = { enhancedCode, text: inner };
  if (smtpCode !== undefined) rejection.smtpCode = smtpCode;
  const attr = ATTR.exec(inner);
  if (attr) rejection.attr = `ATTR${attr[1]}`;
  const host = REMOTE_HOST.exec(inner);
  if (host?.[1]) rejection.remoteHost = host[1];
  return rejection;
}

/** True for the refusals relay-audit classifies: 5.7.64 TenantAttribution and 4.4.62/ATTR35. */
export function isRelayAttribution(rejection: Rejection): boolean {
  return RELAY_ATTRIBUTION_CODES.has(rejection.enhancedCode);
}

/** The relay-attribution refusal a status text holds, or `undefined` (cheap pre-check first). */
export function relayRejectionIn(status: string | undefined): Rejection | undefined {
  if (status === undefined || !mayBeRelayRejection(status)) return undefined;
  const rejection = parseRejection(status);
  return rejection && isRelayAttribution(rejection) ? rejection : undefined;
}
