/**
 * Forwarding advice names the internal mailbox, contact or group a forwarded message arrived for,
 * when the evidence points at one: the admin starts there, with commands for that address, before
 * searching the whole organisation. The choice (`forwardingOrigin`) prefers the row that made the
 * refused recipient over the steps before it and over receipts, and names nobody when the receipts
 * name two internal recipients; the correlation across uploads names the one internal recipient of
 * its receipts.
 */
import { describe, expect, it } from 'vitest';
import { reclassifyAsForwarding } from '../../functions/core/analysis/evidence/correlation.js';
import type { InboundEntry } from '../../functions/core/analysis/evidence/inbound-entry.js';
import {
  forwardingOrigin,
  type InboundTrace,
  inboundTraceOf,
} from '../../functions/core/analysis/evidence/inbound-trace.js';
import type { ForwardingOrigin } from '../../functions/core/analysis/model/findings.js';
import { adviceFor } from '../../functions/core/analysis/remediation/forwarding-lead.js';
import { remediationFor } from '../../functions/core/analysis/remediation/index.js';
import { makeFinding } from '../support/make-finding.js';

const OUTSIDE = 'kate@tailspintoys.com';
const internal = (address: string) => address.endsWith('@contoso.com');

const redirect = (from: string, to: string, line = 5): InboundTrace => ({
  kind: 'redirect',
  recipient: from,
  target: to,
  eventId: 'REDIRECT',
  line,
});
const expand = (group: string, member: string, line = 5): InboundTrace => ({
  kind: 'expand',
  recipient: group,
  target: member,
  eventId: 'EXPAND',
  line,
});
const received = (recipient: string, line = 3): InboundTrace => ({
  kind: 'received-for',
  recipient,
  eventId: 'RECEIVE',
  line,
});

describe('which internal address a forwarded message is traced to', () => {
  it('is the mailbox whose REDIRECT made the refused recipient, not the receipt before it', () => {
    const inbound = [received('kate@contoso.com'), redirect('kate@contoso.com', OUTSIDE)];
    expect(forwardingOrigin(inbound, OUTSIDE, internal)).toEqual({
      kind: 'redirect',
      address: 'kate@contoso.com',
    });
  });

  it('is the group that has the outside member, not the group that held that group', () => {
    const inbound = [
      received('all@contoso.com'),
      expand('all@contoso.com', 'sales@contoso.com', 4),
      expand('sales@contoso.com', OUTSIDE, 6),
    ];
    expect(forwardingOrigin(inbound, OUTSIDE, internal)).toMatchObject({
      kind: 'expand',
      address: 'sales@contoso.com',
    });
  });

  it('ignores a redirect to another recipient of the message', () => {
    const inbound = [received('kate@contoso.com'), redirect('ben@contoso.com', 'ben@litware.com')];
    expect(forwardingOrigin(inbound, OUTSIDE, internal)).toEqual({
      kind: 'received-for',
      address: 'kate@contoso.com',
    });
  });

  it('names the mailbox of an inbox rule by the one receipt the message had', () => {
    const inbound = [
      received('kate@contoso.com'),
      { kind: 'mailbox-rule', target: OUTSIDE, eventId: 'RECEIVE', line: 6 } satisfies InboundTrace,
    ];
    expect(forwardingOrigin(inbound, OUTSIDE, internal)).toMatchObject({
      kind: 'mailbox-rule',
      address: 'kate@contoso.com',
    });
  });

  it('names an Inbox rule’s REDIRECT (source MAILBOXRULE) as the mailbox’s rule, not its forwarding', () => {
    const row = {
      eventId: 'REDIRECT',
      source: 'MAILBOXRULE',
      recipient: OUTSIDE,
      relatedRecipient: 'kate@contoso.com',
      line: 18,
    } as const;
    const trace = inboundTraceOf(row);
    expect(trace).toMatchObject({
      kind: 'redirect',
      recipient: 'kate@contoso.com',
      target: OUTSIDE,
      byRule: true,
    });
    expect(
      forwardingOrigin([received('kate@contoso.com'), trace as InboundTrace], OUTSIDE, internal),
    ).toEqual({
      kind: 'mailbox-rule',
      address: 'kate@contoso.com',
    });
    // The same row written by routing (the mailbox's forwarding address) stays a redirect.
    const routed = inboundTraceOf({ ...row, source: 'ROUTING' });
    expect(forwardingOrigin([routed as InboundTrace], OUTSIDE, internal)?.kind).toBe('redirect');
  });

  it('names nobody when two internal recipients received the message', () => {
    const inbound = [received('kate@contoso.com'), received('ben@contoso.com', 4)];
    expect(forwardingOrigin(inbound, OUTSIDE, internal)).toBeUndefined();
  });

  it('does not count a receipt for an outside address as the origin', () => {
    expect(forwardingOrigin([received('x@fabrikam.com')], OUTSIDE, internal)).toBeUndefined();
  });
});

/** The shared forwarding text of a contoso.com organisation, as every forwarding finding of EX01 has it. */
const shared = remediationFor('forwarding', {
  senderDomain: 'fabrikam.com',
  recipientDomain: 'tailspintoys.com',
  acceptedDomains: ['contoso.com'],
  acceptedDomainsSource: 'given',
  serverHostname: 'EX01.contoso.com',
  attr: 'ATTR36',
  code: '5.7.64',
});
const adviceOf = (origin: ForwardingOrigin | undefined) =>
  adviceFor({
    remediation: shared,
    recipient: OUTSIDE,
    serverHostname: 'EX01.contoso.com',
    ...(origin === undefined ? {} : { forwardedFrom: origin }),
  });

describe('forwarding advice for a traced origin', () => {
  it('starts with the redirecting mailbox, its forwarding and its inbox rules', () => {
    const advice = adviceOf({ kind: 'redirect', address: 'kate@contoso.com' });
    expect(advice.steps[0]).toMatch(
      /^Start with kate@contoso\.com: its REDIRECT row shows EX01\.contoso\.com/,
    );
    expect(advice.steps[0]).toContain(OUTSIDE);
    // Then the shared text: the search of the whole organisation, and the rest as every finding has it.
    expect(advice.steps.slice(1)).toEqual(shared.steps);
    expect(advice.commands.slice(3)).toEqual(shared.commands);
    expect(advice.commands.slice(0, 2)).toEqual([
      "Get-Mailbox -Identity 'kate@contoso.com' | Format-List Name,PrimarySmtpAddress,ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward",
      "Get-InboxRule -Mailbox 'kate@contoso.com' | Where-Object { $_.ForwardTo -or $_.RedirectTo -or $_.ForwardAsAttachmentTo } | Format-Table Name,Enabled,ForwardTo,RedirectTo,ForwardAsAttachmentTo",
    ]);
  });

  it('starts with the group and lists its outside members', () => {
    const advice = adviceOf({ kind: 'expand', address: 'sales@contoso.com' });
    expect(advice.steps[0]).toContain('the distribution group sales@contoso.com');
    expect(advice.commands[0]).toMatch(/^Get-DistributionGroupMember -Identity 'sales@contoso\.com' /);
  });

  it('looks up a resolved address as a recipient first, and an inbox rule first for a rule', () => {
    expect(adviceOf({ kind: 'resolve', address: 'k@contoso.com' }).commands[0]).toMatch(/^Get-Recipient /);
    expect(adviceOf({ kind: 'mailbox-rule', address: 'k@contoso.com' }).commands[0]).toMatch(
      /^Get-InboxRule -Mailbox 'k@contoso\.com'/,
    );
  });

  it('keeps an address from a log one literal argument in the commands', () => {
    const advice = adviceOf({ kind: 'received-for', address: "o'brien$(calc)@contoso.com" });
    expect(advice.commands[0]).toContain("-Identity 'o''brien$(calc)@contoso.com' |");
  });

  it('is the shared text alone when nothing points at one address', () => {
    expect(adviceOf(undefined)).toBe(shared);
    expect(shared.steps[0]).toMatch(/^Find what sends to tailspintoys\.com/);
  });
});

describe('a finding reclassified across uploads', () => {
  const finding = makeFinding({
    scenario: 'foreign-sender-domain',
    messageId: 'abc@fabrikam.com',
    recipient: OUTSIDE,
    senderDomain: 'fabrikam.com',
    returnPath: 'john@fabrikam.com',
    timestamp: '2026-11-28T22:15:03.000Z',
    source: { sourceId: 'upload-b' },
  });
  const entry = (recipient: string): InboundEntry => ({
    messageId: 'abc@fabrikam.com',
    recipient,
    receivedAt: '2026-11-28T22:14:57.000Z',
    sourceId: 'upload-a',
  });

  it('names the one internal recipient its receipts show', () => {
    const reclassified = reclassifyAsForwarding(finding, [entry('kate@contoso.com')]);
    expect(reclassified?.forwardedFrom).toEqual({ kind: 'received-for', address: 'kate@contoso.com' });
    const advice = reclassified && adviceFor(reclassified);
    expect(advice?.steps[0]).toMatch(/^Start with kate@contoso\.com: the message arrived for it before/);
    expect(advice?.commands[0]).toContain("Get-Mailbox -Identity 'kate@contoso.com'");
  });

  it('names nobody when its receipts show two', () => {
    const reclassified = reclassifyAsForwarding(finding, [
      entry('kate@contoso.com'),
      entry('ben@contoso.com'),
    ]);
    expect(reclassified?.scenario).toBe('forwarding');
    expect(reclassified?.forwardedFrom).toBeUndefined();
  });
});
