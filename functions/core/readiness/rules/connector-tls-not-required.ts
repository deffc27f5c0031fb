/**
 * `connector-tls-not-required`: an enabled OnPremises connector has `RequireTls` false. Without TLS
 * there is no certificate to attribute by; an unknown value (property absent) is not reported.
 */
import type { InboundConnector } from '../../organisation/connectors.js';
import type { ReadinessRule } from './rule.js';
import { enabledOnPremises } from './select.js';

/** What one `connector-tls-not-required` occurrence names, for the text pack. */
export type ConnectorTlsNotRequiredDetails = { connector: InboundConnector };

export const connectorTlsNotRequired: ReadinessRule<
  'connector-tls-not-required',
  ConnectorTlsNotRequiredDetails
> = {
  id: 'connector-tls-not-required',
  severity: 'warning',
  needs: ['connectors'],
  evaluate(input) {
    return enabledOnPremises(input)
      .filter((connector) => connector.requireTls === false)
      .map((connector) => ({ objects: [connector.name], details: { connector } }));
  },
};
