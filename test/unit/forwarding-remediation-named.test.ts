/**
 * Forwarding advice names what the evidence proved: the distribution group an EXPAND row expanded,
 * the mailbox a REDIRECT or RESOLVE row routed, or the mailbox an Inbox rule ran in, with the
 * commands for that object before the searches of the whole organisation. A receipt for an internal
 * address alone proves no object, and neither do several objects: the advice stays the search.
 */
import { describe, expect, it } from 'vitest';
import { type EmittedFinding, StreamingClassifier } from '../../functions/core/analysis/classifier.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import {
  remediationContextOf,
  remediationKey,
} from '../../functions/core/analysis/remediation/context-of.js';
import { remediationFor } from '../../functions/core/analysis/remediation/index.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { event, fail, origin } from '../support/events.js';

const domains = parseAcceptedDomains('contoso.com', 'test');
const SENDER = 'john@fabrikam.com';

const ORG_MAILBOX_SEARCH =
  'Get-Mailbox -ResultSize Unlimited | Where-Object { $_.ForwardingSmtpAddress -or $_.ForwardingAddress } | Format-Table Name,PrimarySmtpAddress,ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward';
const mailboxCommands = (quoted: string) => [
  `Get-Mailbox -Identity ${quoted} | Format-List ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward`,
  `Get-InboxRule -Mailbox ${quoted} | Where-Object { $_.ForwardTo -or $_.RedirectTo -or $_.ForwardAsAttachmentTo } | Format-List Name,ForwardTo,RedirectTo,ForwardAsAttachmentTo`,
];
const groupCommand = (quoted: string) =>
  `Get-DistributionGroupMember -Identity ${quoted} -ResultSize Unlimited | Where-Object { $_.RecipientType -in 'MailContact','MailUser' } | Format-Table Name,RecipientType,ExternalEmailAddress`;

/** The findings of these rows, read in order from one file. */
function classify(rows: TraceEvent[]): Finding[] {
  const classifier = new StreamingClassifier({ domains });
  const out: EmittedFinding[] = [];
  for (const row of rows) {
    classifier.push(row, origin('MSGTRK.LOG'));
    out.push(...classifier.drain());
  }
  classifier.flush();
  return [...out, ...classifier.drain()].map((emitted) => emitted.finding);
}

/** The single forwarding finding of these rows. */
function forwardingOf(rows: TraceEvent[]): Finding {
  const findings = classify(rows);
  expect(findings.map((finding) => finding.scenario)).toEqual(['forwarding']);
  return findings[0] as Finding;
}

const receive = (messageId: string, recipient: string) =>
  event({
    eventId: 'RECEIVE',
    source: 'SMTP',
    messageId,
    recipient,
    returnPath: SENDER,
    directionality: 'incoming',
  });
const deliver = (messageId: string, recipient: string) =>
  event({ eventId: 'DELIVER', source: 'STOREDRIVER', messageId, recipient, returnPath: SENDER });
const routed = (eventId: 'REDIRECT' | 'RESOLVE' | 'EXPAND', messageId: string, from: string, to: string) =>
  event({ eventId, source: 'ROUTING', messageId, recipient: to, relatedRecipient: from, returnPath: SENDER });
const inboxRule = (messageId: string, to: string) =>
  event({ eventId: 'RECEIVE', source: 'MAILBOXRULE', messageId, recipient: to, returnPath: SENDER });

describe('forwarding advice for a proven distribution group', () => {
  it('names the group and lists its outside members first; its refusals share one text', () => {
    const findings = classify([
      receive('g1', 'sales@contoso.com'),
      routed('EXPAND', 'g1', 'sales@contoso.com', 'partner@tailspintoys.com'),
      routed('EXPAND', 'g1', 'sales@contoso.com', 'buyer@tailspintoys.com'),
      fail('g1', 'partner@tailspintoys.com', SENDER),
      fail('g1', 'buyer@tailspintoys.com', SENDER),
    ]);
    expect(findings.map((finding) => finding.scenario)).toEqual(['forwarding', 'forwarding']);
    const [partner, buyer] = findings as [Finding, Finding];
    const { remediation } = partner;
    expect(remediation.commands[0]).toBe(groupCommand("'sales@contoso.com'"));
    expect(remediation.steps[0]).toMatch(/^Start with the distribution group sales@contoso\.com: /);
    expect(remediation.steps[0]).toContain('the one in tailspintoys.com is the refused recipient');
    expect(remediation.explanation).toContain(
      "the distribution group sales@contoso.com expanded the message to a member in tailspintoys.com, the refused recipient's domain",
    );
    // The group, not the member: both refusals get the same text, built once.
    expect(JSON.stringify(remediation)).not.toContain('partner@');
    expect(buyer.remediation).toBe(remediation);
    // The search of the whole organisation stays, after the group's command.
    expect(remediation.commands).toContain(ORG_MAILBOX_SEARCH);
  });

  it('names no group when two groups made the same recipient', () => {
    const { remediation } = forwardingOf([
      routed('EXPAND', 'g2', 'sales@contoso.com', 'partner@tailspintoys.com'),
      routed('EXPAND', 'g2', 'bids@contoso.com', 'partner@tailspintoys.com'),
      fail('g2', 'partner@tailspintoys.com', SENDER),
    ]);
    expect(remediation.steps[0]).toMatch(/^Find what sends to tailspintoys\.com: /);
    expect(remediation.commands[0]).toBe(ORG_MAILBOX_SEARCH);
  });
});

describe('forwarding advice for a proven mailbox', () => {
  it('names the redirected mailbox, its forwarding and Inbox rules first', () => {
    const { remediation } = forwardingOf([
      receive('r1', 'kate@contoso.com'),
      routed('REDIRECT', 'r1', 'kate@contoso.com', 'kate@tailspintoys.com'),
      fail('r1', 'kate@tailspintoys.com', SENDER),
    ]);
    expect(remediation.commands.slice(0, 3)).toEqual([
      ...mailboxCommands("'kate@contoso.com'"),
      ORG_MAILBOX_SEARCH,
    ]);
    expect(remediation.steps[0]).toMatch(/^Start with the mailbox kate@contoso\.com: check its forwarding/);
    expect(remediation.explanation).toContain('the mailbox kate@contoso.com redirected the message');
  });

  it('names a resolved address, and asks what recipient it is', () => {
    const { remediation } = forwardingOf([
      routed('RESOLVE', 'v1', 'kate.k@contoso.com', 'kate@tailspintoys.com'),
      fail('v1', 'kate@tailspintoys.com', SENDER),
    ]);
    expect(remediation.commands.slice(0, 3)).toEqual([
      ...mailboxCommands("'kate.k@contoso.com'"),
      "Get-Recipient -Identity 'kate.k@contoso.com' | Format-List Name,RecipientType,PrimarySmtpAddress,ExternalEmailAddress",
    ]);
    expect(remediation.steps[0]).toContain('if kate.k@contoso.com is a mail contact or mail user');
  });

  it('names the last mailbox of a chain: the one that sent the message outside', () => {
    const { remediation } = forwardingOf([
      routed('REDIRECT', 'c1', 'kate@contoso.com', 'lee@contoso.com'),
      routed('REDIRECT', 'c1', 'lee@contoso.com', 'lee@tailspintoys.com'),
      fail('c1', 'lee@tailspintoys.com', SENDER),
    ]);
    expect(remediation.commands.slice(0, 2)).toEqual(mailboxCommands("'lee@contoso.com'"));
  });

  it('names the mailbox an Inbox rule ran in: the one mailbox the message was delivered to', () => {
    const { remediation } = forwardingOf([
      receive('i1', 'kate@contoso.com'),
      deliver('i1', 'kate@contoso.com'),
      inboxRule('i1', 'kate@tailspintoys.com'),
      fail('i1', 'kate@tailspintoys.com', SENDER),
    ]);
    expect(remediation.commands.slice(0, 2)).toEqual(mailboxCommands("'kate@contoso.com'"));
    expect(remediation.explanation).toContain(
      'the message was delivered to the mailbox kate@contoso.com and an Inbox rule sent it on',
    );
  });

  it('names no mailbox for an Inbox rule when the message was delivered to two', () => {
    const { remediation } = forwardingOf([
      deliver('i2', 'kate@contoso.com'),
      deliver('i2', 'lee@contoso.com'),
      inboxRule('i2', 'kate@tailspintoys.com'),
      fail('i2', 'kate@tailspintoys.com', SENDER),
    ]);
    expect(remediation.commands[0]).toBe(ORG_MAILBOX_SEARCH);
    expect(remediation.steps[0]).toMatch(/^Find what sends to /);
  });

  it('quotes an address from the log as one literal PowerShell argument', () => {
    const { remediation } = forwardingOf([
      routed('REDIRECT', 'q1', "o'brien$(calc)@contoso.com", 'ob@tailspintoys.com'),
      fail('q1', 'ob@tailspintoys.com', SENDER),
    ]);
    expect(remediation.commands.slice(0, 2)).toEqual(mailboxCommands("'o''brien$(calc)@contoso.com'"));
  });
});

describe('forwarding advice without a proven object', () => {
  it('keeps the search of the whole organisation for a receipt for an internal address alone', () => {
    const finding = forwardingOf([
      receive('n1', 'kate@contoso.com'),
      fail('n1', 'kate@tailspintoys.com', SENDER),
    ]);
    expect(finding.evidence.map((item) => item.kind)).toContain('internal-recipient');
    expect(finding.confidence).toBe('medium');
    expect(finding.remediation.steps[0]).toMatch(/^Find what sends to tailspintoys\.com: /);
    expect(finding.remediation.commands[0]).toBe(ORG_MAILBOX_SEARCH);
    expect(finding.remediation.commands.join('\n')).not.toContain("-Identity 'kate@contoso.com'");
  });

  it('keeps it for facts without routing (the cross-upload correlation), and other scenarios ignore routing', () => {
    const facts = {
      code: '5.7.64',
      attr: 'ATTR36',
      senderDomain: 'fabrikam.com',
      recipientDomain: 'tailspintoys.com',
    };
    const organisation = { acceptedDomains: ['contoso.com'], acceptedDomainsSource: 'given' as const };
    const generic = remediationFor('forwarding', remediationContextOf('forwarding', facts, organisation));
    expect(generic.commands[0]).toBe(ORG_MAILBOX_SEARCH);

    const routing = { kind: 'expand' as const, address: 'sales@contoso.com' };
    expect(remediationKey('forwarding', { ...facts, routing })).not.toBe(remediationKey('forwarding', facts));
    expect(remediationKey('foreign-sender-domain', { ...facts, routing })).toBe(
      remediationKey('foreign-sender-domain', facts),
    );
    expect(
      remediationContextOf('foreign-sender-domain', { ...facts, routing }, organisation),
    ).not.toHaveProperty('routing');
  });
});
