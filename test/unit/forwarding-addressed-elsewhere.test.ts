/**
 * A `forwarding` finding the classifier concluded from receipts, and an inbound index entry of
 * another upload whose receipt named the refused recipient itself (its sender addressed it): the
 * finding goes back to the classifier's reading without the receipts, as one run over every upload
 * would read it (`readingAddressedBySender`). A row that made the refused recipient, in the run or
 * in the index, keeps it forwarding; so does a receipt of its own upload (the classifier judged with it).
 */
import { describe, expect, it } from 'vitest';
import {
  forwardedOnReceipts,
  ReadingWithoutInbound,
  readingAddressedBySender,
} from '../../functions/core/analysis/evidence/correlation.js';
import type { InboundEntry } from '../../functions/core/analysis/evidence/inbound-entry.js';
import { RunEvidence } from '../../functions/core/analysis/evidence/run-evidence.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { makeFinding } from '../support/make-finding.js';

const MESSAGE = 'CAJx7rT2mQ9kFz1v0b8YwP3n@mail.fabrikam.com';
const REFUSED = 'kate@tailspintoys.com';
const reading = new ReadingWithoutInbound({ domains: parseAcceptedDomains('contoso.com', 'test') });

/** The classifier's `forwarding` reading of the refusal, from the receipt for kate@contoso.com. */
function forwarded(overrides: Partial<Finding> = {}): Finding {
  return makeFinding({
    scenario: 'forwarding',
    messageId: MESSAGE,
    recipient: REFUSED,
    sender: 'john@fabrikam.com',
    returnPath: 'john@fabrikam.com',
    senderDomain: 'fabrikam.com',
    confidence: 'medium',
    evidence: [
      { kind: 'return-path', detail: 'envelope sender (P1) is john@fabrikam.com' },
      { kind: 'foreign-recipient', detail: 'recipient domain tailspintoys.com is outside the organisation' },
      {
        kind: 'internal-recipient',
        detail: 'the same Message-ID was received for kate@contoso.com (RECEIVE, line 6 of EX01/x.LOG)',
      },
      { kind: 'also-in', detail: 'the same refusal is in EX03/y.LOG line 9 (tracking log)' },
    ],
    forwardedFrom: { kind: 'received-for', address: 'kate@contoso.com' },
    source: { sourceId: 'run-2' },
    ...overrides,
  });
}

/** An entry of upload `sourceId` whose receipt named only `outside` (an envelope of its own). */
function addressed(sourceId: string, outside = [REFUSED]): InboundEntry {
  return {
    messageId: MESSAGE,
    receivedAt: '2026-11-28T22:14:57.806Z',
    sourceId,
    eventId: 'RECEIVE',
    outside,
  };
}

describe('a forwarding finding whose refused recipient another upload shows addressed by the sender', () => {
  it('is the classifier’s reading without the receipts: foreign-sender-domain, its own evidence and advice', () => {
    const updated = readingAddressedBySender(forwarded(), [addressed('run-1')], reading);

    expect(updated).toMatchObject({ scenario: 'foreign-sender-domain', confidence: 'high' });
    expect(updated?.forwardedFrom).toBeUndefined();
    expect(updated?.evidence.map((item) => item.kind)).toEqual(['return-path', 'not-accepted', 'also-in']);
    expect(updated?.remediation.title).toBe(
      'Accept fabrikam.com, change the sender, or relay by certificate',
    );
  });

  it('is judged by the header sender, one step less sure, when the input had no envelope sender', () => {
    const finding = forwarded({ returnPath: undefined });
    delete finding.returnPath;

    const updated = readingAddressedBySender(finding, [addressed('run-1')], reading);

    expect(updated).toMatchObject({ scenario: 'foreign-sender-domain', confidence: 'medium' });
    expect(updated?.evidence[0]?.kind).toBe('header-sender');
  });

  it('stays forwarding when only its own upload’s receipt names the recipient, or another outside one', () => {
    expect(readingAddressedBySender(forwarded(), [addressed('run-2')], reading)).toBeUndefined();
    expect(
      readingAddressedBySender(forwarded(), [addressed('run-1', ['someone@tailspintoys.com'])], reading),
    ).toBeUndefined();
  });

  it('stays forwarding when a row made the refused recipient, in the run or in the index', () => {
    const redirected = forwarded({
      evidence: [
        { kind: 'return-path', detail: 'envelope sender (P1) is john@fabrikam.com' },
        { kind: 'redirect-event', detail: 'REDIRECT on line 7: kate@contoso.com was redirected to kate@…' },
      ],
    });
    const routing: InboundEntry = {
      messageId: MESSAGE,
      recipient: 'kate@contoso.com',
      receivedAt: '2026-11-28T22:14:58.000Z',
      sourceId: 'run-1',
      eventId: 'REDIRECT',
    };

    expect(readingAddressedBySender(redirected, [addressed('run-1')], reading)).toBeUndefined();
    expect(readingAddressedBySender(forwarded(), [addressed('run-1'), routing], reading)).toBeUndefined();
  });

  it('leaves a finding the correlation made forwarding to the correlation', () => {
    const finding = forwarded({
      evidence: [
        ...forwarded().evidence,
        { kind: 'cross-upload-correlation', detail: 'reclassified from foreign-sender-domain' },
      ],
    });
    expect(forwardedOnReceipts(finding)).toBe(false);
    expect(readingAddressedBySender(finding, [addressed('run-1')], reading)).toBeUndefined();
  });
});

describe('the run’s forwarding findings concluded from receipts', () => {
  it('are remembered by Message-ID, and forgotten when a later batch judges them otherwise', () => {
    const run = new RunEvidence();
    const finding = forwarded();
    const routed = forwarded({
      messageId: 'other@mail.fabrikam.com',
      evidence: [{ kind: 'expand-event', detail: 'EXPAND on line 8: the group has the member kate@…' }],
    });

    run.observeFindings([finding, routed]);
    expect(run.forwardedOnReceipts()).toEqual(new Map([[MESSAGE, [finding.id]]]));

    run.observeFindings([{ ...finding, scenario: 'foreign-sender-domain' }]);
    expect(run.forwardedOnReceipts()).toEqual(new Map([[MESSAGE, []]]));
    expect(run.candidates()).toEqual(new Map([[MESSAGE, [finding.id]]]));
  });
});
