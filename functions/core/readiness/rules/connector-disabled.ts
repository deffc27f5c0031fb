/** `connector-disabled`: an OnPremises connector exists but is disabled, so Exchange Online ignores it. */
import { type InboundConnector, isOnPremises } from '../../organisation/connectors.js';
import type { ReadinessRule } from './rule.js';
import { enabledOnPremises } from './select.js';

/** What one `connector-disabled` occurrence names, for the text pack. */
export type ConnectorDisabledDetails = { connector: InboundConnector; anotherEnabled: boolean };

export const connectorDisabled: ReadinessRule<'connector-disabled', ConnectorDisabledDetails> = {
  id: 'connector-disabled',
  severity: 'warning',
  needs: ['connectors'],
  evaluate(input) {
    const anotherEnabled = enabledOnPremises(input).length > 0;
    return input.connectors
      .filter((connector) => isOnPremises(connector) && !connector.enabled)
      .map((connector) => ({ objects: [connector.name], details: { connector, anotherEnabled } }));
  },
};
