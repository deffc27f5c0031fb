/** `no-onprem-connector`: no enabled inbound connector of type OnPremises, so nothing attributes relay. */
import { isOnPremises } from '../../organisation/connectors.js';
import type { ReadinessRule } from './rule.js';
import { enabledOnPremises } from './select.js';

export const noOnPremConnector: ReadinessRule<'no-onprem-connector'> = {
  id: 'no-onprem-connector',
  severity: 'error',
  needs: ['connectors'],
  evaluate(input) {
    if (enabledOnPremises(input).length > 0) return [];
    const disabled = input.connectors.filter((connector) => isOnPremises(connector));
    const others = input.connectors.filter((connector) => !isOnPremises(connector));
    return [{ objects: disabled.map((connector) => connector.name), details: { disabled, others } }];
  },
};
