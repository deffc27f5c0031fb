/**
 * Which of the organisation's inbound connectors the on-premises server relays through, so traffic
 * findings can name it (`InboundConnectorInfo` in the remediation pack).
 *
 * Only an enabled connector of type OnPremises attributes relayed mail. When there are several,
 * the IP-only ones come first: they are what refuses NDRs, forwarded mail and foreign sender domains
 * (`connector-ip-only`), so the remediation of such a finding must name one of them and the exact
 * `Set-InboundConnector` that changes it. Among equals the export's order decides.
 */

import type { InboundConnectorInfo } from './connector-info.js';
import { type InboundConnector, identifiesBy, isOnPremises, toInboundConnectorInfo } from './connectors.js';

/** Preference among enabled OnPremises connectors: IP-only first, then none, then certificate. */
const RANK: Readonly<Record<ReturnType<typeof identifiesBy>, number>> = { ip: 0, nothing: 1, certificate: 2 };

/** The connector relayed mail goes through, or `undefined` when no enabled OnPremises connector exists. */
export function relayConnector(connectors: readonly InboundConnector[]): InboundConnector | undefined {
  let best: InboundConnector | undefined;
  for (const connector of connectors) {
    if (!connector.enabled || !isOnPremises(connector)) continue;
    if (best === undefined || RANK[identifiesBy(connector)] < RANK[identifiesBy(best)]) best = connector;
  }
  return best;
}

/** {@link relayConnector} as the remediation pack describes it. */
export function relayConnectorInfo(
  connectors: readonly InboundConnector[],
): InboundConnectorInfo | undefined {
  const connector = relayConnector(connectors);
  return connector === undefined ? undefined : toInboundConnectorInfo(connector);
}
