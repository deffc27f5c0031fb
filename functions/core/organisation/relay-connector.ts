/**
 * The organisation's OnPremises inbound connectors as the analysis is given them, and the one the
 * readiness report says findings name (see `connector-choice.ts` for how a finding chooses).
 */

import { type AcceptedDomains, acceptedNameTest, chooseConnector } from './connector-choice.js';
import type { InboundConnectorInfo } from './connector-info.js';
import { type InboundConnector, identifiesBy, isOnPremises, toInboundConnectorInfo } from './connectors.js';

/** The OnPremises connectors (the only type that attributes relayed mail), enabled or not, in export order. */
export function onPremisesConnectors(connectors: readonly InboundConnector[]): InboundConnectorInfo[] {
  return connectors.filter(isOnPremises).map(toInboundConnectorInfo);
}

/**
 * The Partner connectors (the only other type) that expect a certificate name. No finding can use one,
 * as only OnPremises connectors attribute relayed mail, so they are named rather than dropped without
 * a word. One whose name is in an accepted domain (`isAcceptedConnectorName`) is usually the servers'
 * connector created with the wrong type, and changing its type the fix; any other is a partner's.
 */
export function partnerCertificateConnectors(
  connectors: readonly InboundConnector[],
): InboundConnectorInfo[] {
  return connectors
    .filter((connector) => !isOnPremises(connector) && identifiesBy(connector) === 'certificate')
    .map(toInboundConnectorInfo);
}

/**
 * The connector NDR, forwarding and foreign-sender-domain findings name when no protocol log shows
 * the certificate (the readiness report shows it), or `undefined` when no OnPremises connector can
 * serve. Given the accepted-domain list itself, MatchSubDomains counts, as in the findings.
 */
export function relayConnector(
  connectors: readonly InboundConnector[],
  acceptedDomains: readonly string[] | AcceptedDomains = [],
): InboundConnectorInfo | undefined {
  return chooseConnector(onPremisesConnectors(connectors), {
    isAcceptedName: acceptedNameTest(acceptedDomains),
    byCertificateDomain: true,
  })?.connector;
}
