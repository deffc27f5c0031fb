/**
 * Readings that are out of date (functions/store/finding-merge.ts): a stored finding judged with
 * other accepted domains gives way to the newer judgement, keeping what only it read; a stored time
 * read under an assumption (a zone taken as UTC, a syslog year) gives way to one read without it.
 */
import { describe, expect, it } from 'vitest';
import {
  DATE_ORDER_ASSUMED_EVIDENCE,
  type Evidence,
  type Finding,
  TIME_ZONE_ASSUMED_EVIDENCE,
} from '../../functions/core/analysis/model/findings.js';
import { mergeFindings } from '../../functions/store/finding-merge.js';
import { type FindingOverrides, makeFinding } from '../support/make-finding.js';

const VERSION = '2026.12.4';

const P1: Evidence = { kind: 'return-path', detail: 'envelope sender (P1) is finance@contoso.com' };
const SESSION: Evidence = {
  kind: 'protocol-log',
  detail: 'the send protocol log SEND.LOG shows the refusal',
};
const CERTIFICATE: Evidence = {
  kind: 'presented-certificate',
  detail: 'EX01.contoso.local presented CN=mail.contoso.com after STARTTLS',
};
const CERTIFICATE_NOT_ACCEPTED: Evidence = {
  kind: 'certificate-no-accepted-domain',
  detail: 'no name on the certificate (mail.contoso.com) is in an accepted domain',
};

/** One refusal of Finance@Contoso.COM as a tracking log gives it (P1, subject, server). */
function refusal(overrides: FindingOverrides = {}): Finding {
  return makeFinding({
    messageId: '28B71A112A349B5EB8F9C29C92482EBE@EX01.contoso.local',
    recipient: 'supplier@litware.com',
    sender: 'finance@contoso.com',
    returnPath: 'finance@contoso.com',
    senderDomain: 'contoso.com',
    subject: 'Remittance advice',
    attr: undefined,
    confidence: 'high',
    classifierVersion: VERSION,
    timestamp: '2026-11-28T09:10:45.301Z',
    source: { sourceId: 'tracking', file: 'MSGTRK2026112800-1.LOG', line: 18 },
    ...overrides,
  });
}

/** Read with a list that lacks contoso.com. */
function judgedForeign(overrides: FindingOverrides = {}): Finding {
  return refusal({
    scenario: 'foreign-sender-domain',
    evidence: [P1, { kind: 'not-accepted', detail: 'contoso.com is not an accepted domain' }],
    remediation: {
      title: 'Accept contoso.com, change the sender, or relay by certificate',
      explanation: 'contoso.com is not an accepted domain.',
      steps: ['Add contoso.com as an accepted domain.'],
      commands: [],
      links: [],
    },
    ...overrides,
  });
}

/** Read with a list that has contoso.com. */
function judgedAccepted(overrides: FindingOverrides = {}): Finding {
  return refusal({
    scenario: 'connector-mismatch',
    evidence: [
      P1,
      { kind: 'accepted-domain', detail: 'contoso.com is an accepted domain' },
      { kind: 'no-attr36', detail: 'no ATTR36: the connection matched no connector (certificate or IP)' },
    ],
    remediation: {
      title: 'Make the inbound connector match the server again',
      explanation: 'The connector no longer matches the server.',
      steps: ['Check the certificate name on the connector.'],
      commands: [],
      links: [],
    },
    ...overrides,
  });
}

describe('a finding judged with other accepted domains', () => {
  it('takes the newer judgement, with the session only the stored reading read', () => {
    // Prepare: day 1, tracking log and send protocol log under a list without contoso.com; day 2,
    // the list corrected and the tracking log alone (its folder is not the protocol log's).
    const stored = judgedForeign({
      evidence: [...judgedForeign().evidence, SESSION, CERTIFICATE, CERTIFICATE_NOT_ACCEPTED],
      source: { sourceId: 'tracking-day-1' },
    });
    const incoming = judgedAccepted({ source: { sourceId: 'tracking-day-2' } });

    // Act
    const merged = mergeFindings(stored, incoming);

    // Assess: its scenario, confidence, remediation and source; the certificate it did not read, but
    // not the stored judgement of it by the old list.
    expect(merged).toEqual({ ...incoming, evidence: [...incoming.evidence, SESSION, CERTIFICATE] });
  });

  it('takes the fields the newer judgement lacks from the stored reading', () => {
    // Prepare: the stored reading names the client; the newer one does not.
    const stored = judgedForeign({ clientIp: '10.0.2.40', evidence: [...judgedForeign().evidence, SESSION] });
    const incoming = judgedAccepted();

    // Act
    const merged = mergeFindings(stored, incoming);

    // Assess
    expect(merged.scenario).toBe('connector-mismatch');
    expect(merged.clientIp).toBe('10.0.2.40');
  });

  it('turns a stored forwarding into the newer judgement, without the receipts judged by the old list', () => {
    // Prepare: forwarding proved by a receipt for an internal recipient, with the session; then
    // contoso.com accepted and the tracking log alone.
    const receipt = {
      kind: 'internal-recipient',
      detail: 'the same Message-ID was received for kate@contoso.com',
    };
    const stored = refusal({
      scenario: 'forwarding',
      evidence: [
        P1,
        { kind: 'foreign-recipient', detail: 'recipient domain litware.com is outside' },
        receipt,
        SESSION,
      ],
    });
    const incoming = judgedAccepted();

    // Act
    const merged = mergeFindings(stored, incoming);

    // Assess
    expect(merged.scenario).toBe('connector-mismatch');
    expect(merged.evidence).toEqual([...incoming.evidence, SESSION]);
  });

  it('keeps a stored forwarding over a newer reading that judged the sender as it did but lacks the receipts', () => {
    // Prepare
    const stored = refusal({
      scenario: 'forwarding',
      evidence: [
        P1,
        { kind: 'foreign-recipient', detail: 'recipient domain litware.com is outside' },
        SESSION,
      ],
    });
    const incoming = judgedForeign();

    // Act / Assess
    expect(mergeFindings(stored, incoming)).toBe(stored);
  });

  it('keeps a stored forwarding proved by a routing row over a newer reading of the refusal alone', () => {
    // Prepare: the REDIRECT (or EXPAND) row was in the first run only; the second read the FAIL row's log.
    for (const kind of ['redirect-event', 'resolve-event', 'expand-event']) {
      const stored = refusal({
        scenario: 'forwarding',
        evidence: [
          P1,
          { kind: 'foreign-recipient', detail: 'recipient domain litware.com is outside' },
          { kind, detail: 'REDIRECT on line 7: kate@contoso.com was redirected to kate@litware.com' },
        ],
      });
      const incoming = judgedForeign();

      // Act / Assess
      expect(mergeFindings(stored, incoming).scenario, kind).toBe('forwarding');
    }
  });

  it('is not judged anew by a reading that could not tell the domains', () => {
    // Prepare: stored readings made with a list; newer ones without (too little traffic to infer the
    // sender's domain), which judged the refusal by its ATTR code or could not judge it at all.
    const stored = judgedForeign({ evidence: [...judgedForeign().evidence, SESSION] });
    const unknown = judgedAccepted({
      confidence: 'low',
      evidence: [
        P1,
        { kind: 'no-attr36', detail: 'the rejection has no ATTR36' },
        { kind: 'domain-unknown', detail: 'cannot tell whether contoso.com is accepted' },
      ],
    });
    const withAttr = judgedForeign({ attr: 'ATTR36', evidence: [...judgedForeign().evidence, SESSION] });
    const byAttr = judgedForeign({
      confidence: 'medium',
      attr: 'ATTR36',
      evidence: [
        P1,
        { kind: 'attr36', detail: 'ATTR36: Exchange Online saw no accepted sender or certificate domain' },
      ],
    });
    const listed = judgedForeign({ attr: 'ATTR36' });

    // Act / Assess: also when it read as much as the stored one.
    expect(mergeFindings(stored, unknown)).toBe(stored);
    expect(mergeFindings(withAttr, byAttr)).toBe(withAttr);
    expect(mergeFindings(listed, byAttr)).toBe(listed);
  });

  it('is not judged anew by a reading of another sender (the header sender where the other read P1)', () => {
    // Prepare: a trace detail judges the header sender's domain, accepted; the stored tracking log
    // reading judged the envelope sender's, not accepted.
    const stored = judgedForeign({
      returnPath: 'bounce@fabrikam.com',
      senderDomain: 'fabrikam.com',
      evidence: [
        { kind: 'return-path', detail: 'envelope sender (P1) is bounce@fabrikam.com' },
        { kind: 'not-accepted', detail: 'fabrikam.com is not an accepted domain' },
        SESSION,
      ],
    });
    const incoming = judgedAccepted({
      returnPath: undefined,
      confidence: 'low',
      evidence: [
        { kind: 'header-sender', detail: 'judged by the header sender finance@contoso.com' },
        { kind: 'accepted-domain', detail: 'contoso.com is an accepted domain' },
      ],
    });

    // Act / Assess
    expect(mergeFindings(stored, incoming)).toBe(stored);
  });
});

describe('a time read under an assumption', () => {
  const ZONE = { ...TIME_ZONE_ASSUMED_EVIDENCE };
  const ORDER = { ...DATE_ORDER_ASSUMED_EVIDENCE };

  /** An en-US export in US Eastern time: 8:05:32 PM taken as UTC, five hours early. */
  const local = judgedAccepted({
    timestamp: '2026-11-28T20:05:32.000Z',
    evidence: [...judgedAccepted().evidence, ZONE],
    source: { sourceId: 'export-local', file: 'tracking-local-time.csv', line: 2 },
  });
  /** The same row exported as ISO 8601 UTC. */
  const utc = judgedAccepted({
    timestamp: '2026-11-29T01:05:32.770Z',
    source: { sourceId: 'export-utc', file: 'tracking-utc-iso.csv', line: 2 },
  });

  it('never wins over a time read with a zone, earlier or not, in either order', () => {
    // Act
    const merged = [mergeFindings(local, utc), mergeFindings(utc, local)];

    // Assess: the time of the zoned reading, and no mark of an assumption it was not read under.
    for (const finding of merged) {
      expect(finding.timestamp).toBe(utc.timestamp);
      expect(finding.evidence).toEqual(utc.evidence);
    }
  });

  it('gives way to a zoned time also when its reading is the one kept', () => {
    // Prepare: the export in local time was read with the send protocol log; the UTC one alone.
    const richer = { ...local, evidence: [...local.evidence, SESSION] };

    // Act
    const merged = mergeFindings(richer, utc);

    // Assess
    expect(merged.source.sourceId).toBe('export-local');
    expect(merged.timestamp).toBe(utc.timestamp);
    expect(merged.evidence).toEqual([...judgedAccepted().evidence, SESSION]);
  });

  it('gives way to a time read under fewer assumptions, marked with those it was read under', () => {
    // Prepare: an ambiguous date of assumed order without a zone, and a proven one without a zone.
    const both = { ...local, timestamp: '2026-10-11T20:05:32.000Z', evidence: [...local.evidence, ORDER] };

    // Act
    const merged = [mergeFindings(both, local), mergeFindings(local, both)];

    // Assess
    for (const finding of merged) {
      expect(finding.timestamp).toBe(local.timestamp);
      expect(finding.evidence.filter((item) => item.kind.endsWith('-assumed'))).toEqual([ZONE]);
    }
  });

  it('keeps the earlier of two times read under the same assumption', () => {
    // Prepare: two exports in local time that overlap; the second sees only the retry.
    const retry = {
      ...local,
      timestamp: '2026-11-28T20:20:32.000Z',
      source: { ...local.source, sourceId: 'b' },
    };

    // Act / Assess
    expect(mergeFindings(local, retry).timestamp).toBe(local.timestamp);
    expect(mergeFindings(retry, local).timestamp).toBe(local.timestamp);
  });
});

describe('a syslog date read again in another year', () => {
  /** A Postfix refusal (no year in its date) read with --year 2025 by mistake. */
  const mistaken = judgedForeign({
    timestamp: '2025-11-28T22:10:03.000Z',
    source: { sourceId: 'mail-log', file: 'postfix-mail.log', line: 9, format: 'postfix-log' },
  });
  const corrected = { ...mistaken, timestamp: '2026-11-28T22:10:03.000Z' };

  it('takes the year of the newer reading of the same row, either way', () => {
    // Act / Assess
    expect(mergeFindings(mistaken, corrected).timestamp).toBe(corrected.timestamp);
    expect(mergeFindings(corrected, mistaken).timestamp).toBe(mistaken.timestamp);
  });

  it('keeps the earliest time when the row is another one, or the time is not a whole number of years off', () => {
    // Prepare: another file with the refusal (which year is sure cannot be told), and the same row
    // over a stored finding whose time came from an earlier retry in another file.
    const copy = { ...corrected, source: { ...corrected.source, sourceId: 'mail-log-copy' } };
    const firstSeen = { ...corrected, timestamp: '2026-11-28T21:58:03.000Z' };

    // Act / Assess
    expect(mergeFindings(mistaken, copy).timestamp).toBe(mistaken.timestamp);
    expect(mergeFindings(firstSeen, corrected).timestamp).toBe(firstSeen.timestamp);
  });
});
