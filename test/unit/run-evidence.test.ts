/** What a run remembers for the end-of-run correlation, and how its counts move to forwarding. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../functions/core/analysis/analyze.js';
import { mayBecomeForwarding } from '../../functions/core/analysis/evidence/correlation.js';
import { countAsForwarding, RunEvidence } from '../../functions/core/analysis/evidence/run-evidence.js';
import { normaliseMessageId } from '../../functions/core/analysis/model/events.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { makeFinding } from '../support/make-finding.js';

const candidate = (messageId: string) =>
  makeFinding({ scenario: 'foreign-sender-domain', messageId, returnPath: 'john@fabrikam.com' });

describe('RunEvidence', () => {
  it('keeps only refusals a receipt elsewhere could prove forwarding, by Message-ID', () => {
    const evidence = new RunEvidence();
    evidence.observeFindings([
      candidate('<a@x>'),
      makeFinding({ scenario: 'ndr', messageId: '<b@x>', returnPath: '' }),
      makeFinding({ scenario: 'foreign-sender-domain', messageId: '<c@x>', returnPath: '' }),
      makeFinding({ scenario: 'wrong-region', messageId: '<d@x>', code: '4.4.62' }),
    ]);
    expect([...evidence.candidates().keys()]).toEqual(['a@x']);
  });

  it('forgets a candidate the run later judged otherwise (the same finding id re-emitted)', () => {
    const evidence = new RunEvidence();
    const first = candidate('<a@x>');
    evidence.observeFindings([first]);
    evidence.observeFindings([{ ...first, scenario: 'forwarding' }]);
    expect(evidence.candidates().get('a@x')).toEqual([]);
  });

  it('answers as a map of Message-IDs to finding ids would, over many batches and re-judgements', () => {
    // The straightforward model the packed log replaces: last judgement of each finding wins.
    const model = (batches: Finding[][], limit: number) => {
      const candidates = new Map<string, string[]>();
      let complete = true;
      for (const finding of batches.flat()) {
        const key = normaliseMessageId(finding.messageId);
        if (key === '') continue;
        const ids = candidates.get(key);
        if (!mayBecomeForwarding(finding)) {
          if (ids)
            candidates.set(
              key,
              ids.filter((id) => id !== finding.id),
            );
        } else if (ids) {
          if (!ids.includes(finding.id)) ids.push(finding.id);
        } else if (candidates.size < limit) candidates.set(key, [finding.id]);
        else complete = false;
      }
      return { candidates, complete };
    };
    // Few Message-IDs and recipients, so that ids repeat across batches and judgements change.
    const finding = fc
      .record({
        message: fc.integer({ min: 0, max: 40 }),
        recipient: fc.integer({ min: 0, max: 3 }),
        candidate: fc.boolean(),
      })
      .map(({ message, recipient, candidate: isCandidate }) => {
        const fields = {
          messageId: message === 0 ? '' : `<m${message}@x>`,
          recipient: `r${recipient}@fabrikam.com`,
        };
        return isCandidate
          ? makeFinding({ ...fields, scenario: 'foreign-sender-domain', returnPath: 'john@fabrikam.com' })
          : makeFinding({ ...fields, scenario: 'forwarding' });
      });
    fc.assert(
      fc.property(
        fc.array(fc.array(finding, { maxLength: 80 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 50 }),
        (batches, limit) => {
          const evidence = new RunEvidence(limit);
          for (const batch of batches) evidence.observeFindings(batch);
          const expected = model(batches, limit);
          expect(evidence.candidates()).toEqual(expected.candidates);
          expect(evidence.complete).toBe(expected.complete);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('remembers receipts with their time span, and says when its limit left something out', () => {
    const evidence = new RunEvidence(1);
    const receipt = (messageId: string, receivedAt: string) => ({
      messageId,
      recipient: 'kate@contoso.com',
      receivedAt,
      sourceId: 's1',
    });
    evidence.observeReceipts([
      receipt('<a@x>', '2026-11-28T10:00:00.000Z'),
      receipt('<a@x>', '2026-11-28T09:00:00.000Z'),
      receipt('<b@x>', '2026-11-28T12:00:00.000Z'),
    ]);
    expect(evidence.receipts.has('a@x')).toBe(true);
    expect(evidence.receipts.has('b@x')).toBe(false);
    expect([evidence.firstReceipt, evidence.lastReceipt]).toEqual([
      '2026-11-28T09:00:00.000Z',
      '2026-11-28T10:00:00.000Z',
    ]);
    expect(evidence.complete).toBe(false);
  });

  it('knows each Message-ID it received, in either form, and no other', () => {
    const evidence = new RunEvidence();
    const receipt = (messageId: string, sourceId: string) => ({
      messageId,
      recipient: 'kate@contoso.com',
      receivedAt: '2026-11-28T10:00:00.000Z',
      sourceId,
    });
    evidence.observeReceipts([receipt('<a@x>', 's1'), receipt('a@x', 's2'), receipt('<c@x>', 's1')]);
    expect(evidence.receipts.has('a@x')).toBe(true);
    expect(evidence.receipts.has('c@x')).toBe(true);
    expect(evidence.receipts.has('b@x')).toBe(false);
    expect(evidence.receipts.size).toBe(2);
  });
});

describe('countAsForwarding', () => {
  it('moves each reclassified finding from foreign-sender-domain to forwarding everywhere it was counted', () => {
    const finding = { ...candidate('<a@x>'), senderDomain: 'fabrikam.com' };
    const result = {
      findingsByScenario: {
        ndr: 0,
        forwarding: 0,
        'foreign-sender-domain': 2,
        'connector-mismatch': 0,
        'wrong-region': 0,
      },
      sources: [{ id: finding.source.sourceId, findingsByScenario: { 'foreign-sender-domain': 1 } }],
      senderDomains: [{ domain: 'fabrikam.com', count: 2, scenarios: { 'foreign-sender-domain': 2 } }],
      forwardedFrom: [{ kind: 'redirect', address: 'ben@contoso.com', count: 1 }],
    } as unknown as AnalysisResult;
    const received = { kind: 'received-for', address: 'kate@contoso.com' } as const;
    countAsForwarding(result, [{ ...finding, forwardedFrom: received }]);
    expect(result.findingsByScenario).toMatchObject({ forwarding: 1, 'foreign-sender-domain': 1 });
    expect(result.sources[0]?.findingsByScenario).toEqual({ forwarding: 1 });
    expect(result.senderDomains[0]?.scenarios).toEqual({ forwarding: 1, 'foreign-sender-domain': 1 });
    // The mailbox the correlation found it received for joins those the run's own findings named.
    expect(result.forwardedFrom).toEqual([
      { kind: 'redirect', address: 'ben@contoso.com', count: 1 },
      { ...received, count: 1 },
    ]);
  });
});
