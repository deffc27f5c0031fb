/**
 * `forwarding`: an on-prem forwarding rule re-sends outside mail (john@fabrikam.com → kate@contoso.com)
 * to an outside address (kate@tailspintoys.com); to EOP neither domain is the organisation's.
 * Needs evidence that the message first arrived for an internal recipient — a REDIRECT/RESOLVE
 * row, a MAILBOXRULE source, or a delivery/receipt for an internal address with the same
 * Message-ID, in any file of the run — and that its sender did not address the refused recipient
 * itself. Without it the message is `foreign-sender-domain`.
 */
import { addressedBySender, isReceipt } from '../evidence/inbound-trace.js';
import type { Evidence } from '../model/findings.js';
import { lower, NO_MATCH, type ScenarioRule, senderEvidence } from './rule.js';

export const forwarding: ScenarioRule = {
  id: 'forwarding',
  evaluate(input) {
    const { rejection, senderDomain, recipientDomain, domains, inbound } = input;
    if (rejection.enhancedCode !== '5.7.64') return NO_MATCH;
    if (input.senderBasis === 'return-path' && input.attributedSender === '') return NO_MATCH;
    const senderAccepted = domains.covers(senderDomain);
    if (senderAccepted === true) return NO_MATCH;
    if (domains.covers(recipientDomain) === true) return NO_MATCH;
    if (senderAccepted === undefined && rejection.attr !== 'ATTR36') return NO_MATCH;
    // A receipt named the refused recipient: the sender sent it there, nothing forwarded it.
    const refused = input.event.recipient;
    if (refused !== undefined && addressedBySender(inbound, refused)) return NO_MATCH;

    const evidence: Evidence[] = [];
    for (const trace of inbound) {
      const internal =
        trace.recipient !== undefined && domains.covers(trace.recipient.split('@')[1]) === true;
      if (trace.kind === 'mailbox-rule') {
        evidence.push({
          kind: 'mailbox-rule',
          detail: `an inbox rule generated the message (line ${trace.line})`,
        });
      } else if ((trace.kind === 'redirect' || trace.kind === 'resolve') && internal) {
        evidence.push({
          kind: `${trace.kind}-event`,
          detail: `${trace.eventId} on line ${trace.line}: ${trace.recipient} was ${trace.kind === 'redirect' ? 'redirected' : 'resolved'} to ${trace.target ?? 'an outside address'}`,
        });
      } else if (isReceipt(trace) && internal) {
        evidence.push({
          kind: 'internal-recipient',
          detail: `the same Message-ID was ${trace.kind === 'delivered-to' ? 'delivered' : 'received'} for ${trace.recipient} (${trace.eventId}, line ${trace.line})`,
        });
      }
    }
    if (evidence.length === 0) return NO_MATCH;
    const strong = evidence.some((item) => item.kind !== 'internal-recipient');
    let confidence: 'high' | 'medium' | 'low' = strong ? 'high' : 'medium';
    if (input.senderBasis !== 'return-path' || domains.basis !== 'given') confidence = lower(confidence);
    return {
      outcome: 'match',
      confidence,
      evidence: [
        senderEvidence(input),
        {
          kind: 'foreign-recipient',
          detail: `recipient domain ${recipientDomain ?? '?'} is outside the organisation`,
        },
        ...evidence.slice(0, 5),
      ],
    };
  },
};
