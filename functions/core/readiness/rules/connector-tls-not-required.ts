/**
 * `connector-tls-not-required`: an enabled OnPremises connector has `RequireTls` false. Without TLS
 * there is no certificate to attribute by; an unknown value (property absent) is not reported.
 */
import type { ReadinessRule } from './rule.js';
import { enabledOnPremises } from './select.js';

export const connectorTlsNotRequired: ReadinessRule<'connector-tls-not-required'> = {
  id: 'connector-tls-not-required',
  severity: 'warning',
  needs: ['connectors'],
  evaluate(input) {
    return enabledOnPremises(input)
      .filter((connector) => connector.requireTls === false)
      .map((connector) => ({ objects: [connector.name], details: { connector } }));
  },
};
