/**
 * The sender domain of a merged finding (functions/store/finding-merge.ts) is its envelope sender's
 * when a reading knows it, else the header sender's: an NDR whose null envelope sender one reading
 * read keeps no sender domain, whatever the domain another reading took from the header sender, in
 * either order of the readings.
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { mergeFindings } from '../../functions/store/finding-merge.js';
import { type FindingOverrides, makeFinding } from '../support/make-finding.js';

const VERSION = '2026.12.4';

/** An NDR read with its trace detail's `Receive` row: the null envelope sender, high confidence. */
function nullSender(overrides: FindingOverrides = {}): Finding {
  return makeFinding({
    messageId: 'NDR.4C1B@EX01.contoso.local',
    recipient: 'orders@adatum.com',
    scenario: 'ndr',
    sender: 'postmaster@contoso.com',
    returnPath: '',
    senderDomain: undefined,
    serverHostname: undefined,
    evidence: [{ kind: 'null-return-path', detail: 'envelope sender (P1) is <> (null sender)' }],
    confidence: 'high',
    classifierVersion: VERSION,
    timestamp: '2026-11-28T22:15:03.412Z',
    source: {
      sourceId: 'detail-2200',
      file: 'detail-2200-2305.csv',
      line: 3,
      format: 'message-trace-detail',
    },
    ...overrides,
  });
}

/** The same NDR read from an export without its `Receive` row: by its header sender. */
function headerSender(overrides: FindingOverrides = {}): Finding {
  return nullSender({
    returnPath: undefined,
    senderDomain: 'contoso.com',
    evidence: [
      { kind: 'system-sender', detail: 'sender postmaster@contoso.com is a system mailbox that sends NDRs' },
    ],
    confidence: 'medium',
    source: {
      sourceId: 'detail-2215',
      file: 'detail-221503-2305.csv',
      line: 3,
      format: 'message-trace-detail',
    },
    ...overrides,
  });
}

describe('mergeFindings: the sender domain goes with the envelope sender', () => {
  it('keeps no sender domain for the null envelope sender, in either order', () => {
    // Prepare
    const known = nullSender();
    const header = headerSender();
    // Act
    const later = mergeFindings(known, header);
    const earlier = mergeFindings(header, known);
    // Assess: the reading of the null sender, as it is, whichever came first.
    expect(later).toEqual(known);
    expect(earlier).toEqual(known);
    expect(later.senderDomain).toBeUndefined();
  });

  it('drops the header sender’s domain when the kept reading takes the null envelope sender from the other', () => {
    // Prepare: readings of equal confidence, each naming what the other lacks (the subject, the
    // envelope sender), so the one written last is kept and fills in from the other.
    const known = nullSender({ confidence: 'medium' });
    const header = headerSender({ subject: 'Undeliverable: Order 4471' });
    // Act
    const later = mergeFindings(known, header);
    const earlier = mergeFindings(header, known);
    // Assess: whichever is kept, the merge names the null sender, the subject and no sender domain.
    for (const merged of [later, earlier]) {
      expect(merged.returnPath).toBe('');
      expect(merged.subject).toBe('Undeliverable: Order 4471');
      expect(merged.senderDomain).toBeUndefined();
    }
  });

  it('takes the envelope sender’s domain with the envelope sender, over the header sender’s', () => {
    // Prepare: the header sender's reading is kept (equal confidence, written last) and lacks the P1
    // that the other read, bounce@fabrikam.com.
    const envelope = headerSender({
      scenario: 'foreign-sender-domain',
      returnPath: 'bounce@fabrikam.com',
      senderDomain: 'fabrikam.com',
      evidence: [{ kind: 'return-path', detail: 'envelope sender (P1) is bounce@fabrikam.com' }],
    });
    const header = headerSender({ subject: 'Order 4471' });
    // Act
    const merged = mergeFindings(envelope, header);
    // Assess
    expect(merged.returnPath).toBe('bounce@fabrikam.com');
    expect(merged.senderDomain).toBe('fabrikam.com');
    expect(merged.subject).toBe('Order 4471');
  });

  it('still fills the header sender’s domain when neither reading knows the envelope sender', () => {
    // Prepare
    const named = headerSender({ senderDomain: undefined, subject: 'Order 4471' });
    const other = headerSender();
    // Act
    const merged = mergeFindings(named, other);
    // Assess
    expect(merged.senderDomain).toBe('contoso.com');
  });
});
