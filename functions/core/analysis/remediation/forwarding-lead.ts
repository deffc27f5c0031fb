/**
 * Forwarding advice that starts where the evidence points: a forwarding finding's remediation is
 * shared by every forwarding refusal with the same names (stored once), so the internal mailbox,
 * contact or group the message arrived for (`forwardedFrom`) is kept on the finding and put in
 * front of the shared steps and commands when the advice is shown. One text per mailbox would be
 * one stored remediation per mailbox, and an organisation can have thousands.
 */
import { psQuote } from '../../kernel/powershell.js';
import type { Finding, ForwardingOrigin, Remediation } from '../model/findings.js';

/** The first step and its commands for one origin: what to look at before the organisation-wide search. */
export function forwardingLead(
  origin: ForwardingOrigin,
  recipient: string,
  server: string | undefined,
): { step: string; commands: string[] } {
  const { address } = origin;
  const quoted = psQuote(address);
  const on = server ?? 'your on-premises server';
  const mailbox = `Get-Mailbox -Identity ${quoted} | Format-List Name,PrimarySmtpAddress,ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward`;
  const inboxRules = `Get-InboxRule -Mailbox ${quoted} | Where-Object { $_.ForwardTo -or $_.RedirectTo -or $_.ForwardAsAttachmentTo } | Format-Table Name,Enabled,ForwardTo,RedirectTo,ForwardAsAttachmentTo`;
  const asRecipient = `Get-Recipient -Identity ${quoted} | Format-List Name,RecipientType,PrimarySmtpAddress,ExternalEmailAddress,EmailAddresses`;
  switch (origin.kind) {
    case 'expand':
      return {
        step:
          `Start with the distribution group ${address}: its EXPAND row shows ${recipient} among its members, ` +
          `so ${on} sends every message for the group on to that outside member (a mail contact or mail user).`,
        commands: [
          `Get-DistributionGroupMember -Identity ${quoted} -ResultSize Unlimited | Where-Object { $_.RecipientType -in 'MailContact','MailUser' } | Format-Table Name,RecipientType,ExternalEmailAddress`,
        ],
      };
    case 'redirect':
      return {
        step:
          `Start with ${address}: its REDIRECT row shows ${on} sending its mail on to ${recipient}: the ` +
          "mailbox's forwarding (ForwardingSmtpAddress, or ForwardingAddress naming a mail contact) or a transport " +
          'rule that redirects.',
        commands: [mailbox, inboxRules, asRecipient],
      };
    case 'resolve':
      return {
        step:
          `Start with ${address}: its RESOLVE row shows the address resolving to ${recipient}, so it belongs to a ` +
          'mail contact or mail user whose external address is outside, or to a mailbox that forwards there.',
        commands: [asRecipient, mailbox],
      };
    case 'mailbox-rule':
      return {
        step: `Start with the Inbox rules of ${address}: the message arrived for it and an Inbox rule sent it on to ${recipient}.`,
        commands: [inboxRules, mailbox],
      };
    case 'received-for':
      return {
        step:
          `Start with ${address}: the message arrived for it before ${on} sent it on to ${recipient}, so its ` +
          'forwarding, its Inbox rules or a group it belongs to sent it outside.',
        commands: [mailbox, inboxRules, asRecipient],
      };
  }
}

/**
 * The advice to show for `finding`: its remediation, led by the step and commands for the address it
 * was forwarded from when it names one. Every view of a finding's remediation shows it through this.
 */
export function adviceFor(
  finding: Pick<Finding, 'remediation' | 'forwardedFrom' | 'recipient' | 'serverHostname'>,
): Remediation {
  const { remediation, forwardedFrom } = finding;
  if (forwardedFrom === undefined) return remediation;
  const lead = forwardingLead(
    forwardedFrom,
    finding.recipient || 'an outside address',
    finding.serverHostname,
  );
  return {
    ...remediation,
    steps: [lead.step, ...remediation.steps],
    commands: [...lead.commands, ...remediation.commands],
  };
}
