/**
 * Remediation for `forwarding`: on-premises routing re-sends mail from outside to an outside address
 * — a forwarding rule, a redirect, or a distribution group with an outside member (the finding's
 * evidence names the row and, for a group, the group and the member). Exchange Online sees neither
 * the envelope sender domain nor the recipient domain as the organisation's, so the fix is to relay
 * by certificate, which covers every kind; for a mailbox's forwarding, also to forward in Exchange
 * Online (which rewrites P1 with SRS) or to stop redirecting outside on-premises. A group's
 * membership has no such move: its copies to outside members leave from the server that expanded it.
 * Without ATTR36 no connector matched the server either, and that must be fixed too (no-connector.ts).
 */

import { LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS } from '../../kernel/links.js';
import type { RemediationTemplate } from './context.js';
import { connectorTooStep, noConnectorMatched, noConnectorSentence } from './no-connector.js';
import {
  acceptedDomainStep,
  type CertificateNeed,
  certificateConnectorStep,
  inboundConnectorCommands,
  namesFor,
  presentCertificateCommands,
  presentCertificateStep,
  registrationCommands,
  verifyStep,
} from './shared.js';

/** Forwarding advice: relay forwarded and group mail by certificate; move a mailbox's forwarding to Exchange Online, or stop it. */
export const forwarding: RemediationTemplate = (ctx) => {
  const names = namesFor(ctx, 'forwarding');
  const senderDomain = ctx.senderDomain ?? 'an outside domain';
  const recipientDomain = ctx.recipientDomain ?? 'an outside domain';
  const need: CertificateNeed = {
    messages: 'forwarded mail',
    whyIpFails: `forwarded mail from ${senderDomain} to ${recipientDomain} carries no domain of yours, so such a connector cannot attribute it`,
  };
  // Without ATTR36 no connector matched the server either (no-attr36), as for any unaccepted sender.
  const noConnector = noConnectorMatched(ctx);
  return {
    title: 'Forward outside mail from Exchange Online, or relay forwarded mail by certificate',
    explanation:
      `A forwarding rule, a redirect or a distribution group with an outside member on ${names.server} re-sent a ` +
      `message from ${senderDomain} to ${names.recipient}, outside your organisation, and Exchange Online refused ` +
      `to relay it (${names.codeText}); the evidence names the row that did it (REDIRECT, RESOLVE, EXPAND or an ` +
      'inbox rule). ' +
      `To Exchange Online neither the envelope sender domain (${senderDomain}) nor the recipient domain ` +
      `(${recipientDomain}) belongs to your tenant, so nothing attributes the message to you. ` +
      'Forwarding done in Exchange Online rewrites the envelope sender (SRS) and is attributed; forwarding done ' +
      `on-premises, and a group's copy to an outside member, need a certificate-based connector with a name in ${names.domain}.` +
      (noConnector ? ` ${noConnectorSentence(ctx, names)}` : ''),
    steps: [
      `Find what sends to ${names.recipient}: a distribution group with it as a member (an EXPAND row names the ` +
        'group: a mail contact or mail user among its members), mailbox forwarding (ForwardingSmtpAddress, ' +
        'ForwardingAddress), Inbox rules that forward or redirect (ForwardTo, RedirectTo, ForwardAsAttachmentTo), ' +
        'transport rules and mail contacts used as forwarding targets (commands below).',
      "For a mailbox's forwarding, preferably forward in Exchange Online instead: for a mailbox in Exchange Online, " +
        'set the forwarding there (Exchange Online rewrites the envelope sender with SRS, so the relay is attributed ' +
        'to your tenant) and allow external forwarding for that mailbox in the outbound spam filter policy. Or stop ' +
        `redirecting mail to outside addresses on ${names.server} if it is not needed. A distribution group's outside ` +
        'member is not fixed that way: the copy for it leaves from the server that expanded the group, so relay it ' +
        'by certificate (next step), or remove the member if the group need not reach it.',
      certificateConnectorStep(ctx, names, need),
      acceptedDomainStep(ctx, names),
      presentCertificateStep(ctx, names),
      ...(noConnector
        ? [connectorTooStep(ctx, names, 'Whatever you change of the forwarding', 'certificate-only')]
        : []),
      verifyStep(ctx, names, `forwarded message to ${names.recipient}`),
    ],
    commands: [
      'Get-Mailbox -ResultSize Unlimited | Where-Object { $_.ForwardingSmtpAddress -or $_.ForwardingAddress } | Format-Table Name,PrimarySmtpAddress,ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward',
      'Get-Mailbox -ResultSize Unlimited | ForEach-Object { Get-InboxRule -Mailbox $_.Identity } | Where-Object { $_.ForwardTo -or $_.RedirectTo -or $_.ForwardAsAttachmentTo } | Format-Table MailboxOwnerId,Name,ForwardTo,RedirectTo,ForwardAsAttachmentTo',
      "Get-DistributionGroup -ResultSize Unlimited | ForEach-Object { $group = $_.PrimarySmtpAddress; Get-DistributionGroupMember -Identity $_.Identity -ResultSize Unlimited | Where-Object { $_.RecipientType -in 'MailContact','MailUser' } | Select-Object @{n='Group';e={$group}},Name,RecipientType,ExternalEmailAddress } | Format-Table",
      ...inboundConnectorCommands(names),
      ...registrationCommands(names),
      ...presentCertificateCommands(ctx, names),
    ],
    links: [LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS],
  };
};
