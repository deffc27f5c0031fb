/**
 * `connector-ip-only`: an enabled OnPremises connector recognises the server only by IP address
 * (or not at all). Such a connector attributes only mail whose envelope sender domain is accepted:
 * NDRs (null sender), forwarded mail and foreign sender domains are refused (docs/domain.md §1).
 */
import { identifiesBy } from '../../organisation/connectors.js';
import type { ReadinessRule } from './rule.js';
import { certificateConnectors, enabledOnPremises } from './select.js';

export const connectorIpOnly: ReadinessRule<'connector-ip-only'> = {
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
