/**
 * `foreign-sender-domain`: the on-prem server sends as a domain the tenant has not added (an app
 * sending as fabrikam.com, or as alerts.contoso.com when only contoso.com is accepted without
 * MatchSubDomains). Also the reading of ATTR36 when we cannot check the domain ourselves:
 * ATTR36 means EOP saw no accepted P1 or certificate domain. A refusal without ATTR36 stays here
 * (the domain is the first thing to fix) but keeps `no-attr36`: no connector matched the server either
 * (or `reply-text-unknown` for a log that kept only the code: whether one matched is not known).
 */
import { AcceptedDomainList } from '../../organisation/accepted-domains.js';
import type { Evidence } from '../model/findings.js';
import { lower, NO_MATCH, noAttr36Evidence, type ScenarioRule, senderEvidence } from './rule.js';

export const foreignSenderDomain: ScenarioRule = {
  id: 'foreign-sender-domain',
  evaluate(input) {
    const { rejection, senderDomain, domains } = input;
    if (rejection.enhancedCode !== '5.7.64') return NO_MATCH;
    const accepted = domains.covers(senderDomain);
    if (accepted === true) return NO_MATCH;
    if (accepted === undefined && rejection.attr !== 'ATTR36') return NO_MATCH;
    const evidence: Evidence[] = [senderEvidence(input)];
    if (accepted === false) {
      const parent =
        senderDomain && domains instanceof AcceptedDomainList
          ? domains.uncoveredParentOf(senderDomain)
          : undefined;
      evidence.push({
        kind: 'not-accepted',
        detail: parent
          ? `${senderDomain} is a subdomain of the accepted domain ${parent.domain}, which does not have MatchSubDomains`
          : `${senderDomain ?? 'the sender domain'} is not an accepted domain`,
      });
      if (rejection.attr !== 'ATTR36') evidence.push(noAttr36Evidence(rejection));
    } else {
      evidence.push({
        kind: 'attr36',
        detail: 'ATTR36: Exchange Online saw no accepted sender or certificate domain',
      });
    }
    let confidence: 'high' | 'medium' | 'low' = accepted === false ? 'high' : 'medium';
    if (input.senderBasis !== 'return-path') confidence = lower(confidence);
    return { outcome: 'match', confidence, evidence };
  },
};
