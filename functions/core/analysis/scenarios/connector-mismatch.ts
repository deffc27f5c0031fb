/**
 * `connector-mismatch`: the sender domain *is* accepted, yet attribution failed — the connector's
 * certificate name or IP no longer matches the server (renewed/renamed certificate, new public IP,
 * missing intermediate chain). Also the reading of a 5.7.64 *without* ATTR36 when we cannot tell
 * whether the domain is accepted: EOP then says it did not attribute the connection at all. A log
 * that keeps only the code (sendmail's `dsn=5.7.64, stat=Service unavailable`) cannot say whether
 * ATTR36 was there: the reading stays (no other rule takes an unknown domain without ATTR36), at
 * low confidence, but its evidence says the reply text is missing instead of claiming `no-attr36`.
 */
import { replyTextSeen } from '../evidence/rejections.js';
import type { Confidence, Evidence } from '../model/findings.js';
import {
  lower,
  NO_MATCH,
  noAttr36Evidence,
  replyTextUnknownEvidence,
  type ScenarioRule,
  senderEvidence,
} from './rule.js';

export const connectorMismatch: ScenarioRule = {
  id: 'connector-mismatch',
  evaluate(input) {
    const { rejection, senderDomain, domains } = input;
    if (rejection.enhancedCode !== '5.7.64') return NO_MATCH;
    const accepted = domains.covers(senderDomain);
    if (accepted === false) return NO_MATCH;
    if (accepted === undefined) {
      if (rejection.attr === 'ATTR36') return NO_MATCH;
      return {
        outcome: 'match',
        confidence: 'low',
        evidence: [
          senderEvidence(input),
          replyTextSeen(rejection)
            ? {
                kind: 'no-attr36',
                detail:
                  'the rejection has no ATTR36: Exchange Online did not attribute the connection to a connector',
              }
            : replyTextUnknownEvidence(rejection),
          {
            kind: 'domain-unknown',
            detail: `cannot tell whether ${senderDomain ?? 'the sender domain'} is accepted`,
          },
        ],
      };
    }
    let confidence: Confidence =
      domains.basis === 'given' && input.senderBasis === 'return-path' ? 'high' : 'medium';
    const evidence: Evidence[] = [
      senderEvidence(input),
      {
        kind: 'accepted-domain',
        detail: `${senderDomain} is ${domains.basis === 'given' ? 'an accepted domain' : 'inferred to be the organisation’s'}`,
      },
    ];
    if (rejection.attr === 'ATTR36') {
      // ATTR36 says EOP saw no accepted domain: the list we were given may be out of date.
      confidence = lower(confidence);
      evidence.push({
        kind: 'attr36-conflict',
        detail:
          'ATTR36 means Exchange Online did not see an accepted domain: check the tenant really lists it',
      });
    } else {
      evidence.push(noAttr36Evidence(rejection));
    }
    return { outcome: 'match', confidence, evidence };
  },
};
