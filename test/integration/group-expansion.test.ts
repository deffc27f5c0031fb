/**
 * Outside mail for a distribution group with an outside member: Exchange expands the group (an
 * `EXPAND` row: the group as related recipient, its members as recipients) and the copy for the
 * outside member is refused by Exchange Online. Routing made that recipient, not the sender, so the
 * refusal is `forwarding`, proven by the EXPAND row as a REDIRECT row proves it — also when the copy
 * is received and refused on another server, whose receipt names the outside member. Its evidence
 * lists only the rows that made the refused recipient.
 * Fixtures: test/fixtures/real-world/group-expansion/ (described in its README.md).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { correlatingEntries } from '../../functions/core/analysis/evidence/correlation.js';
import { InboundEntries, type InboundEntry } from '../../functions/core/analysis/evidence/inbound-entry.js';
import {
  type InboundTrace,
  inboundTraceOf,
  mayBeEvidence,
} from '../../functions/core/analysis/evidence/inbound-trace.js';
import { parseRejection } from '../../functions/core/analysis/evidence/rejections.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { adviceFor } from '../../functions/core/analysis/remediation/forwarding-lead.js';
import { remediationFor } from '../../functions/core/analysis/remediation/index.js';
import { forwarding } from '../../functions/core/analysis/scenarios/forwarding.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { analyzeNoStore } from '../support/analyze-no-store.js';
import { ATTR36 } from '../support/events.js';
import { makeFinding } from '../support/make-finding.js';

const DIR = 'test/fixtures/real-world/group-expansion';
const DOMAINS = ['--accepted-domains', 'contoso.com'];
const CONTOSO = parseAcceptedDomains('contoso.com', 'test');

const summary = (findings: Finding[]) =>
  findings.map((f) => [f.source.line, f.recipient, f.scenario, f.confidence]);
const details = (finding: Finding | undefined) => finding?.evidence.map((item) => item.detail) ?? [];

describe('a group with an outside member, expanded and refused on one server', () => {
  it('is forwarding, proven by the EXPAND row, whichever member the outside one is', async () => {
    const { status, source, findings } = await analyzeNoStore(`${DIR}/one-server`, ...DOMAINS);
    expect(status).toBe(0);
    expect(source.rowsSkipped).toBe(0);
    expect(summary(findings)).toEqual([
      [9, 'partner@tailspintoys.com', 'forwarding', 'high'],
      [13, 'partner@tailspintoys.com', 'forwarding', 'high'],
      [13, 'agent@litware.com', 'forwarding', 'high'],
      // The application addressed ap@ itself; the group it also wrote to explains nothing.
      [17, 'ap@litware.com', 'foreign-sender-domain', 'high'],
    ]);
    const [sixth, partner, agent] = findings;
    // The outside member is the sixth of six: the members in the group's own domain leave it room.
    expect(details(sixth)).toContain(
      'EXPAND on line 7: the distribution group sales@contoso.com has the member partner@tailspintoys.com',
    );
    // One EXPAND row, two outside members: each refusal names its own.
    expect(
      partner?.evidence.filter((item) => item.kind === 'expand-event').map((item) => item.detail),
    ).toEqual([
      'EXPAND on line 11: the distribution group bids@contoso.com has the member partner@tailspintoys.com',
    ]);
    expect(agent?.evidence.filter((item) => item.kind === 'expand-event').map((item) => item.detail)).toEqual(
      ['EXPAND on line 11: the distribution group bids@contoso.com has the member agent@litware.com'],
    );
  });

  it('is advised as a group’s outside member: relay by certificate; forwarding from Exchange Online does not fix it', async () => {
    const { findings } = await analyzeNoStore(`${DIR}/one-server`, ...DOMAINS);
    const { remediation } = findings[0] as Finding;
    expect(remediation.explanation).toContain('a distribution group with an outside member on EX01');
    expect(remediation.steps[0]).toMatch(/^Find what sends to .*: a distribution group with it as a member/);
    expect(remediation.steps[1]).toContain(
      "A distribution group's outside member is not fixed that way: the copy for it leaves from the server that expanded the group, so relay it by certificate (next step)",
    );
    expect(remediation.steps[2]).toMatch(/certificate/);
    expect(remediation.commands.some((command) => command.includes('Get-DistributionGroupMember'))).toBe(
      true,
    );
    // The EXPAND row names the group: the advice shown starts there, with that group's members.
    expect(findings.map((finding) => finding.forwardedFrom)).toEqual([
      { kind: 'expand', address: 'sales@contoso.com' },
      { kind: 'expand', address: 'bids@contoso.com' },
      { kind: 'expand', address: 'bids@contoso.com' },
      undefined,
    ]);
    const shown = adviceFor(findings[0] as Finding);
    expect(shown.steps[0]).toBe(
      'Start with the distribution group sales@contoso.com: its EXPAND row shows partner@tailspintoys.com among its members, so EX01.contoso.local sends every message for the group on to that outside member (a mail contact or mail user).',
    );
    expect(shown.commands[0]).toBe(
      "Get-DistributionGroupMember -Identity 'sales@contoso.com' -ResultSize Unlimited | Where-Object { $_.RecipientType -in 'MailContact','MailUser' } | Format-Table Name,RecipientType,ExternalEmailAddress",
    );
    // The remediation text stays the one every such refusal shares; only what is shown names the group.
    expect(findings[1]?.remediation).toEqual(remediation);
    // The foreign sender's domain is no one's to add or change.
    expect(remediation.steps.join('\n')).not.toMatch(/add it as an accepted domain|change the sender/i);
  });
});

describe('a group expanded on one server, its outside copy refused on another', () => {
  it('is forwarding when both logs are read, in one folder', async () => {
    const { findings } = await analyzeNoStore(`${DIR}/two-servers`, ...DOMAINS);
    expect(summary(findings)).toEqual([[7, 'partner@tailspintoys.com', 'forwarding', 'high']]);
    // The refusal is in EX02's log; the row that proves the forwarding is in EX01's, so it names that file.
    expect(findings[0]?.source.file).toMatch(/EX02[\\/]MSGTRK2026112812-1\.LOG$/);
    expect(details(findings[0])).toContain(
      `EXPAND on line 7 of ${join(DIR, 'two-servers', 'EX01', 'MSGTRK2026112812-1.LOG')}: the distribution group sales@contoso.com has the member partner@tailspintoys.com`,
    );
  });

  it('is forwarding in one Get-MessageTrackingLog export of both servers', async () => {
    const { source, findings } = await analyzeNoStore(`${DIR}/export/track-CAJx7GrpB1.csv`, ...DOMAINS);
    expect(source.format).toBe('tracking-log-export');
    expect(source.rowsSkipped).toBe(0);
    expect(summary(findings)).toEqual([[7, 'partner@tailspintoys.com', 'forwarding', 'high']]);
    expect(details(findings[0])).toContain(
      'EXPAND on line 3: the distribution group sales@contoso.com has the member partner@tailspintoys.com',
    );
  });

  it('stays the sender’s domain on the refusing server’s log alone: nothing there shows the group', async () => {
    const { findings } = await analyzeNoStore(`${DIR}/two-servers/EX02/MSGTRK2026112812-1.LOG`, ...DOMAINS);
    expect(summary(findings)).toEqual([[7, 'partner@tailspintoys.com', 'foreign-sender-domain', 'high']]);
  });
});

describe('an EXPAND row as inbound evidence', () => {
  const expandRow = (member: string): TraceEvent => ({
    timestamp: '2026-11-28T12:02:10.305Z',
    eventId: 'EXPAND',
    source: 'ROUTING',
    messageId: 'CAJx7GrpB1@mail.fabrikam.com',
    recipient: member,
    relatedRecipient: 'sales@contoso.com',
    returnPath: 'john@fabrikam.com',
    directionality: 'incoming',
    line: 7,
  });

  it('names the group and the member it made, and passes the row filter', () => {
    expect(mayBeEvidence('EXPAND', 'ROUTING', 'incoming')).toBe(true);
    expect(inboundTraceOf(expandRow('partner@tailspintoys.com'))).toEqual({
      kind: 'expand',
      recipient: 'sales@contoso.com',
      target: 'partner@tailspintoys.com',
      eventId: 'EXPAND',
      line: 7,
    });
    // A member in the group's own domain is internal: no refusal is for it.
    expect(inboundTraceOf(expandRow('anna@contoso.com'))).toBeUndefined();
  });

  it('is indexed once per row, for the group, and proves forwarding across uploads', () => {
    const entries = new InboundEntries(CONTOSO);
    for (const member of ['anna@contoso.com', 'partner@tailspintoys.com', 'agent@litware.com'])
      entries.add(expandRow(member), { sourceId: 'upload-ex01', file: 'EX01/MSGTRK2026112812-1.LOG' });
    const expanded = entries.take();
    expect(expanded.map((entry) => [entry.eventId, entry.recipient])).toEqual([
      ['EXPAND', 'sales@contoso.com'],
    ]);

    // Another upload's receipt named the outside member along with an internal recipient.
    const named: InboundEntry = {
      messageId: 'CAJx7GrpB1@mail.fabrikam.com',
      recipient: 'lee2@contoso.com',
      receivedAt: '2026-11-28T12:02:11.064Z',
      sourceId: 'upload-ex03',
      eventId: 'RECEIVE',
      outside: ['partner@tailspintoys.com'],
    };
    const refusal = makeFinding({
      scenario: 'foreign-sender-domain',
      messageId: 'CAJx7GrpB1@mail.fabrikam.com',
      recipient: 'partner@tailspintoys.com',
      recipientDomain: 'tailspintoys.com',
      senderDomain: 'fabrikam.com',
      returnPath: 'john@fabrikam.com',
      timestamp: '2026-11-28T12:02:11.731Z',
      source: { sourceId: 'upload-ex02' },
    });
    // Without the expansion the receipt says the sender addressed partner@ itself.
    expect(correlatingEntries(refusal, [named])).toEqual([]);
    expect(
      correlatingEntries(refusal, [named, ...expanded]).map((entry) => [entry.eventId, entry.recipient]),
    ).toEqual([
      ['EXPAND', 'sales@contoso.com'],
      ['RECEIVE', 'lee2@contoso.com'],
    ]);
  });
});

describe('the rows a forwarding finding cites', () => {
  const refusalOf = (inbound: InboundTrace[]) => {
    const rejection = parseRejection(ATTR36);
    if (!rejection) throw new Error('bad status in test');
    return forwarding.evaluate({
      event: {
        timestamp: '2026-11-28T14:00:01.400Z',
        eventId: 'FAIL',
        recipient: 'kate@tailspintoys.com',
        line: 9,
      },
      rejection,
      attributedSender: 'john@fabrikam.com',
      senderBasis: 'return-path',
      senderDomain: 'fabrikam.com',
      recipientDomain: 'tailspintoys.com',
      domains: CONTOSO,
      inbound,
    });
  };
  const redirect = (recipient: string, target: string, fields: Partial<InboundTrace> = {}): InboundTrace => ({
    kind: 'redirect',
    recipient,
    target,
    eventId: 'REDIRECT',
    line: 8,
    ...fields,
  });
  const cited = (inbound: InboundTrace[]) => {
    const result = refusalOf(inbound);
    return result.outcome === 'match'
      ? result.evidence.filter((item) => item.kind.endsWith('-event')).map((item) => item.detail)
      : [];
  };

  it('are those that made the refused recipient, and the steps before them', () => {
    expect(
      cited([
        redirect('kate@contoso.com', 'kate@tailspintoys.com'),
        redirect('kate@contoso.com', 'k2@tailspintoys.com'),
      ]),
    ).toEqual(['REDIRECT on line 8: kate@contoso.com was redirected to kate@tailspintoys.com']);
    expect(
      cited([
        redirect('sales@contoso.com', 'kate@contoso.com', { line: 7 }),
        redirect('kate@contoso.com', 'kate@tailspintoys.com'),
      ]),
    ).toEqual([
      'REDIRECT on line 7: sales@contoso.com was redirected to kate@contoso.com',
      'REDIRECT on line 8: kate@contoso.com was redirected to kate@tailspintoys.com',
    ]);
  });

  it('name their file when it is known, and the same row read twice once', () => {
    const row = redirect('kate@contoso.com', 'kate@tailspintoys.com');
    expect(cited([row, { ...row }])).toEqual([
      'REDIRECT on line 8: kate@contoso.com was redirected to kate@tailspintoys.com',
    ]);
    expect(
      cited([
        { ...row, file: 'EX01/MSGTRK2026112814-1.LOG' },
        { ...row, file: 'EX02/MSGTRK2026112814-1.LOG' },
      ]),
    ).toEqual([
      'REDIRECT on line 8 of EX01/MSGTRK2026112814-1.LOG: kate@contoso.com was redirected to kate@tailspintoys.com',
      'REDIRECT on line 8 of EX02/MSGTRK2026112814-1.LOG: kate@contoso.com was redirected to kate@tailspintoys.com',
    ]);
  });
});

describe('the forwarding remediation', () => {
  it('still leads with forwarding from Exchange Online for a mailbox, and covers a group', () => {
    const result = remediationFor('forwarding', {
      code: '5.7.64',
      attr: 'ATTR36',
      senderDomain: 'fabrikam.com',
      recipientDomain: 'tailspintoys.com',
      acceptedDomains: ['contoso.com'],
      acceptedDomainsSource: 'given',
    });
    expect(result.title).toMatch(/^Forward outside mail from Exchange Online/);
    expect(result.steps[1]).toMatch(/^For a mailbox's forwarding, preferably forward in Exchange Online/);
    expect(result.steps[1]).toContain("A distribution group's outside member is not fixed that way");
  });
});
