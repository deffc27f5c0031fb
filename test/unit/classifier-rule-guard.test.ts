/**
 * A scenario rule that throws (a defect) costs the refusal it threw on — counted, reported as
 * unclassified — and never the run nor a guess by a later rule. The throwing rule is injected in
 * front of the real precedence: no real rule throws on purpose.
 */
import { describe, expect, it, vi } from 'vitest';
import { StreamingClassifier } from '../../functions/core/analysis/classifier.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { fail, origin } from '../support/events.js';

vi.mock('../../functions/core/analysis/scenarios/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../functions/core/analysis/scenarios/index.js')>();
  const throwing = {
    id: 'ndr' as const,
    evaluate(input: { event: { messageId?: string } }) {
      if (input.event.messageId === 'boom') throw new Error('rule defect');
      return { outcome: 'no-match' as const };
    },
  };
  return { ...real, PRECEDENCE: [throwing, ...real.PRECEDENCE] };
});

describe('a scenario rule that throws', () => {
  it('leaves that refusal unclassified and counted, and classifies the others', () => {
    const classifier = new StreamingClassifier({ domains: parseAcceptedDomains('contoso.com', 'test') });
    classifier.push(fail('boom', 'kate@tailspintoys.com', 'john@fabrikam.com'), origin());
    classifier.push(fail('fine', 'kate@tailspintoys.com', 'john@fabrikam.com'), origin());
    classifier.flush();
    const findings = classifier.drain().map((emitted) => emitted.finding.messageId);
    expect(findings).toEqual(['fine']);
    expect(classifier.stats.ruleFailures).toBe(1);
    expect(classifier.stats.unclassified).toBe(1);
  });
});
