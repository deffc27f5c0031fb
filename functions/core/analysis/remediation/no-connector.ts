/**
 * A 5.7.64 without ATTR36 for a sender domain the tenant has not accepted (the `no-attr36` evidence,
 * scenarios/rule.ts): Exchange Online matched the server to none of the OnPremises inbound
 * connectors, so fixing the domain side alone still leaves the mail unattributed. Said here once for
 * every scenario whose advice is about such a domain (`foreign-sender-domain`, `forwarding`). A log
 * that kept only the code (`replyTextSeen: false`, the `reply-text-unknown` evidence) cannot tell:
 * then the advice says so and has the admin make sure a connector matches, instead of claiming none did.
 */

import type { RemediationContext } from './context.js';
import { ipv6Sentence } from './ipv6-connection.js';
import { RELAY_SOFTWARE } from './relay-software.js';
import type { Names } from './shared.js';

/**
 * Whether the advice must see to a connector too: ATTR36 says one matched and only the domain
 * failed; without it none matched, or, when the log kept no reply text, none may have.
 */
export function noConnectorMatched(ctx: Pick<RemediationContext, 'attr'>): boolean {
  return ctx.attr !== 'ATTR36';
}

/**
 * What the log lacks, for a refusal whose reply text it did not keep: "sendmail logs only the code,
 * not Exchange Online's reply text" (or "the log holds…" when the software is not known).
 */
export function replyTextMissing(ctx: Pick<RemediationContext, 'relay'>): string {
  const who = ctx.relay === undefined ? 'the log holds' : `${RELAY_SOFTWARE[ctx.relay].name} logs`;
  return `${who} only the code, not Exchange Online's reply text`;
}

/** The explanation's sentence. */
export function noConnectorSentence(
  ctx: Pick<RemediationContext, 'relay' | 'replyTextSeen'>,
  names: Names,
): string {
  if (ctx.replyTextSeen === false) {
    return (
      `Whether an OnPremises inbound connector matched ${names.server} is not known: ` +
      `${replyTextMissing(ctx)} (a reply without ATTR36 would mean none did).`
    );
  }
  return `The reply has no ATTR36, so no OnPremises inbound connector matched ${names.server} either.`;
}

/**
 * How the server can match a connector once the rest of the advice is followed: by its IP address
 * once the sender domain is accepted (IP connectors attribute by the sender domain), or, for mail
 * whose domains stay outside the tenant (forwarded mail), only by certificate.
 */
export type ConnectorMatch = 'ip-once-accepted' | 'certificate-only';

/**
 * The step saying a connector must match the server too. `lead` ties it to the choices it follows
 * ("Whichever of the two you choose").
 */
export function connectorTooStep(
  ctx: Pick<RemediationContext, 'overIpv6' | 'relay' | 'replyTextSeen'>,
  names: Names,
  lead: string,
  match: ConnectorMatch,
): string {
  const head =
    ctx.replyTextSeen === false
      ? `${lead}, make sure a connector matches ${names.server} too: ${replyTextMissing(ctx)}, so whether ` +
        'Exchange Online matched it to one of your OnPremises inbound connectors is not known (a reply without ' +
        'ATTR36 would mean it matched none, neither by certificate nor by IP address).'
      : `${lead}, a connector must match ${names.server} too: the refusal has no ATTR36, so Exchange Online matched ` +
        'it to none of your OnPremises inbound connectors (neither by certificate nor by IP address).';
  if (match === 'certificate-only') {
    return (
      `${head} Forwarded mail can match one only by certificate, with the certificate steps above: its ` +
      "domains are not yours, so the server's IP address is not enough for it."
    );
  }
  const choice = names.connectors;
  const ipConnector = choice?.role === 'ip-only' ? choice.connector : choice?.ipOnly;
  const ipv6 = ipv6Sentence(ctx, names.server);
  const where =
    ipConnector === undefined
      ? 'an OnPremises inbound connector'
      : `your inbound connector "${ipConnector.name}"`;
  return (
    `${head} Once the sender domain is accepted, the public IPv4 address ${names.server} reaches Exchange Online ` +
    `from (the address your firewall or NAT gives it) in the SenderIPAddresses of ${where} is enough; the ` +
    'certificate steps below make it match by certificate instead.' +
    (ipv6 === undefined ? '' : ` ${ipv6}`)
  );
}
