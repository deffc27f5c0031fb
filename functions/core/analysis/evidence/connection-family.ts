/**
 * Whether the server that was refused reached Exchange Online over IPv6. Exchange Online's inbound
 * connectors list the addresses they match in SenderIPAddresses, which takes IPv4 addresses only, so
 * a server that connects over IPv6 can match a connector by certificate only: advice to add its
 * address to a connector would not work. The finding keeps what was seen as an evidence line, which
 * a stored finding is read again by (a later upload's correlation rebuilds its remediation).
 */

import { type FormatId, MESSAGE_TRACE_FORMATS, type TraceEvent } from '../model/events.js';
import type { Evidence, Rejection } from '../model/findings.js';
import { isMicrosoftHost } from './on-premises-host.js';
import { isPublicAddress } from './public-address.js';

/** The evidence kind of a connection over IPv6. */
export const IPV6_CONNECTION_EVIDENCE = 'ipv6-connection';

/**
 * NAT64's prefixes (RFC 6052 `64:ff9b::/96`, RFC 8215 `64:ff9b:1::/48`): an IPv6-only host reaches an
 * IPv4 server through a translator, so Exchange Online sees the translator's public IPv4 address,
 * which a connector can list.
 */
const NAT64 = /^64:ff9b:(?:1:)?/i;

/** An IPv6 address on the internet, not an IPv4 one written as IPv6 (`::ffff:a.b.c.d`, NAT64). */
function isPublicIpv6(address: string): boolean {
  const text = address
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/^ipv6:/i, '');
  return text.includes(':') && !text.includes('.') && !NAT64.test(text) && isPublicAddress(text) === true;
}

/** True when `host` is a name (not an address literal) that is not one of Exchange Online's. */
function namesAnotherHost(host: string | undefined): boolean {
  if (host === undefined || host.includes(':') || !/[a-z]/i.test(host)) return false;
  return !isMicrosoftHost(host);
}

/**
 * The address of Exchange Online's end of the connection, as the server's own log names the host
 * it delivered to: not the outbound proxy front end a session went through (its log shows the hop
 * to the front end, not the front end's to Exchange Online), nor a host named as another than
 * Exchange Online's (a smart host of the organisation's own).
 */
function deliveredToAddress(event: TraceEvent, rejection: Rejection): string | undefined {
  if (event.session?.frontEnd === true) return undefined;
  // A queue's last error names the host (a QUEUE row's own server columns are the queue's server's).
  if (rejection.remoteAddress !== undefined) return rejection.remoteAddress;
  return event.serverIp === undefined || namesAnotherHost(event.serverHostname) ? undefined : event.serverIp;
}

/**
 * The evidence line of `event`, a refusal read from a log of `format`, when its connection went over
 * IPv6: the server's own log names the address it delivered to (Exchange Online's end), Exchange
 * Online's trace the address the server connected from (FromIP).
 */
export function ipv6ConnectionEvidence(
  event: TraceEvent,
  rejection: Rejection,
  format: FormatId,
): Evidence | undefined {
  if (MESSAGE_TRACE_FORMATS.has(format)) {
    const from = event.clientIp;
    return from !== undefined && isPublicIpv6(from)
      ? {
          kind: IPV6_CONNECTION_EVIDENCE,
          detail: `Exchange Online saw the server connect from an IPv6 address (${from}), which no inbound connector can list`,
        }
      : undefined;
  }
  const to = deliveredToAddress(event, rejection);
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
