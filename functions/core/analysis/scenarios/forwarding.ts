/**
 * `forwarding`: on-prem routing re-sends outside mail (john@fabrikam.com → kate@contoso.com) to an
 * outside address (kate@tailspintoys.com) — a forwarding rule, a redirect, or a distribution group
 * with an outside member; to EOP neither domain is the organisation's.
 * Needs evidence that the message first arrived for an internal recipient — a REDIRECT/RESOLVE/EXPAND
 * row, a MAILBOXRULE source, or a delivery/receipt for an internal address with the same
 * Message-ID, in any file of the run — and that its sender did not address the refused recipient
 * itself. Without it the message is `foreign-sender-domain`. A refusal without ATTR36 of a sender
 * known to be outside keeps `no-attr36`, as `foreign-sender-domain` does: no connector matched either
 * (`reply-text-unknown` when the log kept only the code).
 */
import { addressedBySender, type InboundTrace, isReceipt, tracesMaking } from '../evidence/inbound-trace.js';
import type { Evidence } from '../model/findings.js';
import { lower, NO_MATCH, noAttr36Evidence, type ScenarioRule, senderEvidence } from './rule.js';

/** Where a trace's row is: its line, and its file when that is not the refusal's own (`file`). */
function placeOf(trace: InboundTrace, file: string | undefined): string {
  return trace.file === undefined || trace.file === file
    ? `line ${trace.line}`
    : `line ${trace.line} of ${trace.file}`;
}

/** What a redirect, resolution or expansion of an internal recipient did. */
function routingDetail(trace: InboundTrace, file: string | undefined): string {
  const target = trace.target ?? 'an outside address';
  const what =
    trace.kind === 'expand'
      ? `the distribution group ${trace.recipient} has the member ${target}`
      : trace.byRule
        ? `an inbox rule of ${trace.recipient} redirected the message to ${target}`
        : `${trace.recipient} was ${trace.kind === 'redirect' ? 'redirected' : 'resolved'} to ${target}`;
  return `${trace.eventId} on ${placeOf(trace, file)}: ${what}`;
}

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

    // Of the redirects, resolutions and expansions, those that led to the refused recipient are its evidence.
    const making = tracesMaking(inbound, refused);
    const evidence: Evidence[] = [];
    const add = (item: Evidence): void => {
      // The same row read twice (a shadow copy's, a resubmission's) says nothing more.
      if (!evidence.some((known) => known.kind === item.kind && known.detail === item.detail))
        evidence.push(item);
    };
    for (const trace of inbound) {
      const internal =
        trace.recipient !== undefined && domains.covers(trace.recipient.split('@')[1]) === true;
      if (trace.kind === 'mailbox-rule') {
        // Evidence of the message, not of one recipient: cited whichever recipient its row names.
        add({
          kind: 'mailbox-rule',
          detail: `an inbox rule generated the message (${placeOf(trace, input.file)})`,
        });
      } else if (isReceipt(trace)) {
        if (internal)
          add({
            kind: 'internal-recipient',
            detail: `the same Message-ID was ${trace.kind === 'delivered-to' ? 'delivered' : 'received'} for ${trace.recipient} (${trace.eventId}, ${placeOf(trace, input.file)})`,
          });
      } else if (internal && making.includes(trace)) {
        add({
          kind: trace.byRule ? 'mailbox-rule' : `${trace.kind}-event`,
          detail: routingDetail(trace, input.file),
        });
      }
    }
    if (evidence.length === 0) return NO_MATCH;
    // A row that made the recipient proves forwarding; a receipt for an internal address suggests it.
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
        // As for foreign-sender-domain: without ATTR36 no connector matched the server either.
        ...(senderAccepted === false && rejection.attr !== 'ATTR36' ? [noAttr36Evidence(rejection)] : []),
        ...evidence.slice(0, 5),
      ],
    };
  },
};
