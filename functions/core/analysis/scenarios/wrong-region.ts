/**
 * `wrong-region`: `451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35` — the smart host
 * is not the tenant's MX endpoint, or the relay came from a server without a matching connector.
 * Decided by the code alone, so it takes precedence over every sender-based rule.
 */
import { NO_MATCH, type ScenarioRule } from './rule.js';

export const wrongRegion: ScenarioRule = {
  id: 'wrong-region',
  evaluate({ rejection }) {
    if (rejection.enhancedCode !== '4.4.62' && rejection.attr !== 'ATTR35') return NO_MATCH;
    return {
      outcome: 'match',
      confidence: 'high',
      evidence: [
        {
          kind: 'rejection-code',
          detail:
            `${rejection.smtpCode ?? ''} ${rejection.enhancedCode}${rejection.attr ? ` ${rejection.attr}` : ''}: mail sent to the wrong Office 365 region`.trim(),
        },
      ],
    };
  },
};
