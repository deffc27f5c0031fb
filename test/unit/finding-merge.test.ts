/**
 * What the store keeps when a refusal it holds is written again (functions/store/finding-merge.ts):
 * the stronger reading, with what the other adds; never a weaker one over a stronger one.
 */
import { describe, expect, it } from 'vitest';
import { CORRELATION_EVIDENCE_KIND } from '../../functions/core/analysis/evidence/correlation.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { mergeFindings, RECLASSIFICATION_KIND, sameItem } from '../../functions/store/finding-merge.js';
import { MAX_EVIDENCE } from '../../functions/store/item-bounds.js';
import { type FindingOverrides, makeFinding } from '../support/make-finding.js';

const VERSION = '2026.12.4';

/** A reading of one refusal (same id), as a tracking log would give it: P1, sender, server, high. */
function tracked(overrides: FindingOverrides = {}): Finding {
  return makeFinding({
    messageId: 'A94AFE@EX01.contoso.local',
    recipient: 'subscriber@proseware.com',
    scenario: 'foreign-sender-domain',
    sender: 'newsletter@contoso.com',
    returnPath: 'bounce@fabrikam.com',
    senderDomain: 'fabrikam.com',
    subject: 'Contoso news',
    evidence: [
      { kind: 'return-path', detail: 'envelope sender (P1) is bounce@fabrikam.com' },
      { kind: 'not-accepted', detail: 'fabrikam.com is not an accepted domain' },
    ],
    confidence: 'high',
    classifierVersion: VERSION,
    source: { sourceId: 'tracking', file: 'MSGTRK.LOG', line: 34 },
    ...overrides,
  });
}

/** The same refusal as a trace detail gives it: no P1, no subject, no server; judged by the header sender. */
function detailed(overrides: FindingOverrides = {}): Finding {
  return tracked({
    scenario: 'connector-mismatch',
    returnPath: undefined,
    senderDomain: 'contoso.com',
    subject: undefined,
    serverHostname: undefined,
    evidence: [
      {
        kind: 'header-sender',
        detail: 'the input has no envelope sender (P1); judged by the header sender newsletter@contoso.com',
      },
      { kind: 'accepted-domain', detail: 'contoso.com is an accepted domain' },
    ],
    confidence: 'low',
    source: { sourceId: 'detail', file: 'detail.csv', line: 3 },
    ...overrides,
  });
}

describe('mergeFindings', () => {
  it('never replaces a higher confidence by a lower one, in either order', () => {
    // Prepare
    const strong = tracked();
    const weak = detailed();

    // Act
    const later = mergeFindings(strong, weak);
    const earlier = mergeFindings(weak, strong);

    // Assess: the tracking log's reading, as it is, whichever came first.
    expect(later).toBe(strong);
    expect(earlier).toBe(strong);
  });

  it('fills the fields the kept reading lacks from the other', () => {
    // Prepare: the stronger reading names no subject and no client; the weaker one does.
    const strong = tracked({ subject: undefined });
    const weak = detailed({ subject: 'Contoso news', clientIp: '10.0.1.11' });

    // Act
    const merged = mergeFindings(strong, weak);

    // Assess
    expect(merged).toEqual({ ...strong, subject: 'Contoso news', clientIp: '10.0.1.11' });
  });

  it('at equal confidence keeps the reading that names more, and adds the evidence of the other', () => {
    // Prepare: a trace page + details (names the sender) and the details alone; then a send log's
    // reading of the same refusal with its certificate (names less, knows the certificate).
    const named = detailed({ scenario: 'foreign-sender-domain', senderDomain: 'contoso.com' });
    const unnamed = detailed({
      scenario: 'foreign-sender-domain',
      sender: undefined,
      senderDomain: undefined,
      evidence: [{ kind: 'no-sender', detail: 'the input names no sender for this message' }],
    });
    const certificate = { kind: 'presented-certificate', detail: 'EX01 presented CN=mail.contoso.com' };
    const session = tracked({
      sender: undefined,
      subject: undefined,
      evidence: [...tracked().evidence, certificate],
      source: { sourceId: 'send', file: 'SEND.LOG', line: 42 },
    });

    // Act
    const fromUnnamed = [mergeFindings(named, unnamed), mergeFindings(unnamed, named)];
    const withSession = [mergeFindings(tracked(), session), mergeFindings(session, tracked())];

    // Assess: the sender is kept and "names no sender" is not added; the certificate is.
    expect(fromUnnamed[0]).toBe(named);
    expect(fromUnnamed[1]).toBe(named);
    for (const merged of withSession) {
      expect(merged.source.sourceId).toBe('tracking');
      expect(merged.sender).toBe('newsletter@contoso.com');
      expect(merged.evidence).toEqual([...tracked().evidence, certificate]);
    }
  });

  it('keeps a reading that holds all of the other as it is, and the newer when both hold the same', () => {
    // Prepare
    const stored = tracked();
    const again = tracked({ source: { sourceId: 'copy', file: 'copy.LOG', line: 34 } });
    const richer = tracked({
      evidence: [...tracked().evidence, { kind: 'protocol-log', detail: 'SEND.LOG line 42' }],
    });

    // Act / Assess
    expect(mergeFindings(stored, again)).toBe(again);
    expect(mergeFindings(richer, stored)).toBe(richer);
    expect(mergeFindings(stored, richer)).toBe(richer);
  });

  it('lets the cross-upload reclassification of the stored finding lower its confidence', () => {
    // Prepare: the stored finding, reclassified with its proof (as correlation.ts builds it).
    const stored = tracked();
    const reclassified = tracked({
      scenario: 'forwarding',
      confidence: 'medium',
      evidence: [
        ...stored.evidence,
        { kind: 'internal-recipient', detail: 'received for kate@contoso.com in another upload' },
        { kind: CORRELATION_EVIDENCE_KIND, detail: 'reclassified from foreign-sender-domain' },
      ],
    });

    // Act
    const corrected = mergeFindings(stored, reclassified);
    const reanalysed = mergeFindings(reclassified, stored);

    // Assess: analysed again, the refusal reads high again (the run's correlation reclassifies it).
    expect(RECLASSIFICATION_KIND).toBe(CORRELATION_EVIDENCE_KIND);
    expect(corrected).toBe(reclassified);
    expect(reanalysed).toBe(stored);
  });

  it('lets a reading of the same input stand as it is, whatever it concludes (the configuration may have changed)', () => {
    // Prepare: the same row judged again after alerts.contoso.com became an accepted domain.
    const before = tracked();
    const after = tracked({
      scenario: 'connector-mismatch',
      senderDomain: 'contoso.com',
      confidence: 'medium',
    });

    // Act / Assess
    expect(mergeFindings(before, after)).toBe(after);
    expect(mergeFindings(after, before)).toBe(before);
  });

  it('does not let a reading that could not tell the domains replace one that could', () => {
    // Prepare: the same row, from a run with too little traffic to infer the accepted domains.
    const judged = tracked();
    const unknown = tracked({
      confidence: 'low',
      evidence: [
        { kind: 'return-path', detail: 'envelope sender (P1) is bounce@fabrikam.com' },
        { kind: 'domain-unknown', detail: 'the accepted domains are not known' },
      ],
    });

    // Act / Assess
    expect(mergeFindings(judged, unknown)).toBe(judged);
  });

  it('at equal confidence keeps the reading that could tell the domains, even when the other names more', () => {
    // Prepare: a send log's reading (judged, with the certificate, no subject) and a tracking log's
    // from a run too small to infer the accepted domains (the subject, no certificate), both low.
    const certificate = { kind: 'presented-certificate', detail: 'EX01 presented CN=mail.contoso.com' };
    const unknownMark = { kind: 'domain-unknown', detail: 'the accepted domains are not known' };
    const judged = detailed({ subject: undefined, evidence: [...detailed().evidence, certificate] });
    const small = { sourceId: 'small-run', file: 'MSGTRK.LOG', line: 34 };
    const unknown = detailed({ subject: 'Contoso news', evidence: [unknownMark], source: small });
    const unknownWithAll = detailed({
      subject: 'Contoso news',
      evidence: [...judged.evidence, unknownMark],
      source: small,
    });

    // Act
    const merged = [
      mergeFindings(judged, unknown),
      mergeFindings(unknown, judged),
      mergeFindings(judged, unknownWithAll),
      mergeFindings(unknownWithAll, judged),
    ];

    // Assess: the judged reading, its subject filled in, and no "domains not known" added to it.
    for (const finding of merged) {
      expect(finding.source.sourceId).toBe('detail');
      expect(finding.subject).toBe('Contoso news');
      expect(finding.evidence).toEqual(judged.evidence);
    }
  });

  it('keeps the reclassification of a stored finding that has gained evidence since, with that evidence', () => {
    // Prepare: the correlation reclassified the finding as it read it; meanwhile a send log added
    // the certificate to the stored one.
    const certificate = { kind: 'presented-certificate', detail: 'EX01 presented CN=mail.contoso.com' };
    const stored = tracked({ evidence: [...tracked().evidence, certificate] });
    const proof = [
      { kind: 'internal-recipient', detail: 'received for kate@contoso.com in another upload' },
      { kind: CORRELATION_EVIDENCE_KIND, detail: 'reclassified from foreign-sender-domain' },
    ];
    const reclassified = tracked({
      scenario: 'forwarding',
      confidence: 'medium',
      evidence: [...tracked().evidence, ...proof],
    });

    // Act
    const merged = mergeFindings(stored, reclassified);

    // Assess
    expect(merged.scenario).toBe('forwarding');
    expect(merged.evidence).toEqual([...reclassified.evidence, certificate]);
  });

  it('keeps the earliest time either reading saw (an overlapping export sees only later retries)', () => {
    // Prepare: a 4.4.62 deferral first refused before midnight; the next day's export, overlapping,
    // sees its retry after midnight.
    const first = tracked({ timestamp: '2026-11-27T23:58:10.000Z' });
    const retry = tracked({ timestamp: '2026-11-28T00:01:10.000Z' });
    const richerRetry = tracked({
      timestamp: '2026-11-28T00:01:10.000Z',
      evidence: [...tracked().evidence, { kind: 'protocol-log', detail: 'SEND.LOG line 42' }],
    });

    // Act / Assess: whichever reading is kept, and in either order.
    expect(mergeFindings(first, retry).timestamp).toBe(first.timestamp);
    expect(mergeFindings(retry, first).timestamp).toBe(first.timestamp);
    const richer = mergeFindings(first, richerRetry);
    expect(richer.timestamp).toBe(first.timestamp);
    expect(richer.evidence).toEqual(richerRetry.evidence);
    // The same reading again costs nothing: the incoming finding itself.
    const again = tracked({ timestamp: first.timestamp });
    expect(mergeFindings(first, again)).toBe(again);
  });

  it('lets a finding of another classifier version replace the stored one outright', () => {
    // Prepare
    const stored = tracked();
    const newer = detailed({ classifierVersion: '2027.1.1' });

    // Act / Assess
    expect(mergeFindings(stored, newer)).toBe(newer);
  });

  it(`keeps at most ${MAX_EVIDENCE} evidence items`, () => {
    // Prepare: two readings of equal confidence, each with evidence of its own and a fact the other
    // lacks (the stored one the client's address, the incoming one the subject); neither names more,
    // so the incoming one is kept and the stored one's evidence added to it.
    const own = (prefix: string) =>
      Array.from({ length: 15 }, (_, i) => ({ kind: `${prefix}-${i}`, detail: `${prefix} ${i}` }));
    const stored = tracked({ subject: undefined, clientIp: '203.0.113.25', evidence: own('stored') });
    const incoming = tracked({ evidence: own('incoming') });

    // Act
    const merged = mergeFindings(stored, incoming);

    // Assess
    expect(merged.evidence).toHaveLength(MAX_EVIDENCE);
    expect(merged.evidence.slice(0, 15)).toEqual(incoming.evidence);
  });
});

describe('sameItem', () => {
  it('compares stored items attribute by attribute, their revision aside', () => {
    // Prepare
    const item = { pk: { S: 'FINDING#1' }, evidence: { L: [{ M: { kind: { S: 'a' } } }] }, rv: { S: 'x1' } };

    // Act / Assess
    expect(sameItem(item, { ...item, rv: { S: 'y2' } })).toBe(true);
    expect(sameItem(item, { pk: item.pk, evidence: item.evidence })).toBe(true);
    expect(sameItem(item, { ...item, evidence: { L: [{ M: { kind: { S: 'b' } } }] } })).toBe(false);
    expect(sameItem(item, { ...item, subject: { S: 'more' } })).toBe(false);
  });
});
