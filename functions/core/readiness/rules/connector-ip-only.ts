/**
 * `connector-ip-only`: an enabled OnPremises connector recognises the server only by IP address
 * (or not at all). Such a connector attributes only mail whose envelope sender domain is accepted:
 * NDRs (null sender), forwarded mail and foreign sender domains are refused (docs/domain.md §1).
 */
import { type InboundConnector, identifiesBy } from '../../organisation/connectors.js';
import type { ReadinessRule } from './rule.js';
import { certificateConnectors, enabledOnPremises } from './select.js';

/** What one `connector-ip-only` occurrence names, for the text pack. */
export type ConnectorIpOnlyDetails = {
  connector: InboundConnector;
  certificateConnectors: InboundConnector[];
};

export const connectorIpOnly: ReadinessRule<'connector-ip-only', ConnectorIpOnlyDetails> = {
  id: 'connector-ip-only',
  severity: 'warning',
  needs: ['connectors'],
  evaluate(input) {
    const withCertificate = certificateConnectors(input);
    return enabledOnPremises(input)
      .filter((connector) => identifiesBy(connector) !== 'certificate')
      .map((connector) => ({
        objects: [connector.name],
        details: { connector, certificateConnectors: withCertificate },
      }));
  },
};
