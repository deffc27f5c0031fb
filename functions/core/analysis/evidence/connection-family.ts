/**
 * Whether the server that was refused reached Exchange Online over IPv6. Exchange Online's inbound
 * connectors list the addresses they match in SenderIPAddresses, which takes IPv4 addresses only, so
 * a server that connects over IPv6 can match a connector by certificate only: advice to add its
 * address to a connector would not work. The finding keeps what was seen as an evidence line, which
 * a stored finding is read again by (a later upload's correlation rebuilds its remediation).
 */

import { type FormatId, MESSAGE_TRACE_FORMATS, type TraceEvent } from '../model/events.js';
import type { Evidence } from '../model/findings.js';
import { isPublicAddress } from './public-address.js';

/** The evidence kind of a connection over IPv6. */
export const IPV6_CONNECTION_EVIDENCE = 'ipv6-connection';

/** An IPv6 address on the internet (an IPv4 address written as IPv6, `::ffff:a.b.c.d`, is IPv4). */
function isPublicIpv6(address: string): boolean {
  const text = address
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/^ipv6:/i, '');
  return text.includes(':') && !text.includes('.') && isPublicAddress(text) === true;
}

/**
 * The evidence line of `event`, a refusal read from a log of `format`, when its connection went over
 * IPv6: the server's own log names the address it delivered to (Exchange Online's end), Exchange
 * Online's trace the address the server connected from (FromIP).
 */
export function ipv6ConnectionEvidence(event: TraceEvent, format: FormatId): Evidence | undefined {
  if (MESSAGE_TRACE_FORMATS.has(format)) {
    const from = event.clientIp;
    return from !== undefined && isPublicIpv6(from)
      ? {
          kind: IPV6_CONNECTION_EVIDENCE,
          detail: `Exchange Online saw the server connect from an IPv6 address (${from}), which no inbound connector can list`,
        }
      : undefined;
  }
  const to = event.serverIp;
  return to !== undefined && isPublicIpv6(to)
    ? {
        kind: IPV6_CONNECTION_EVIDENCE,
        detail: `the server reached Exchange Online over IPv6 (${to}), so it connected from an IPv6 address, which no inbound connector can list`,
      }
    : undefined;
}

/** Whether a finding's evidence says its connection went over IPv6. */
export function connectedOverIpv6(evidence: readonly Evidence[]): boolean {
  return evidence.some((item) => item.kind === IPV6_CONNECTION_EVIDENCE);
}
