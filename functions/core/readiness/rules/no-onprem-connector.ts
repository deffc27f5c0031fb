/** `no-onprem-connector`: no enabled inbound connector of type OnPremises, so nothing attributes relay. */
import { type InboundConnector, isOnPremises } from '../../organisation/connectors.js';
import type { ReadinessRule } from './rule.js';
import { enabledOnPremises } from './select.js';

/** What one `no-onprem-connector` occurrence names, for the text pack. */
export type NoOnpremConnectorDetails = { disabled: InboundConnector[]; others: InboundConnector[] };

export const noOnPremConnector: ReadinessRule<'no-onprem-connector', NoOnpremConnectorDetails> = {
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
