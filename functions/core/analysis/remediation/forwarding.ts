/**
 * Remediation for `forwarding`: an on-premises rule re-sends mail from outside to an outside address.
 * Exchange Online sees neither the envelope sender domain nor the recipient domain as the
 * organisation's, so the fix is to forward in Exchange Online (which rewrites P1 with SRS), to stop
 * redirecting outside on-premises, or to relay by certificate.
 */

import { LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS } from '../../kernel/links.js';
import type { RemediationTemplate } from './context.js';
import {
  acceptedDomainStep,
  type CertificateNeed,
  certificateConnectorStep,
  inboundConnectorCommands,
  namesFor,
  presentCertificateCommands,
  presentCertificateStep,
  verifyStep,
} from './shared.js';

/** Forwarding advice: move forwarding to Exchange Online, stop it, or relay it by certificate. */
export const forwarding: RemediationTemplate = (ctx) => {
  const names = namesFor(ctx, 'forwarding');
  const senderDomain = ctx.senderDomain ?? 'an outside domain';
  const recipientDomain = ctx.recipientDomain ?? 'an outside domain';
  const need: CertificateNeed = {
    messages: 'forwarded mail',
    whyIpFails: `forwarded mail from ${senderDomain} to ${recipientDomain} carries no domain of yours, so such a connector cannot attribute it`,
  };
  return {
    title: 'Forward outside mail from Exchange Online, or relay forwarded mail by certificate',
    explanation:
      `A forwarding rule or redirect on ${names.server} re-sent a message from ${senderDomain} to ` +
      `${names.recipient}, outside your organisation, and Exchange Online refused to relay it (${names.codeText}). ` +
      `To Exchange Online neither the envelope sender domain (${senderDomain}) nor the recipient domain ` +
      `(${recipientDomain}) belongs to your tenant, so nothing attributes the message to you. ` +
      'Forwarding done in Exchange Online rewrites the envelope sender (SRS) and is attributed; forwarding done ' +
      `on-premises needs a certificate-based connector with a name in ${names.domain}.`,
    steps: [
      `Find what forwards to ${names.recipient}: mailbox forwarding (ForwardingSmtpAddress, ForwardingAddress), ` +
        'Inbox rules that forward or redirect (ForwardTo, RedirectTo, ForwardAsAttachmentTo), transport rules ' +
        'and mail contacts used as forwarding targets (commands below).',
      'Preferably forward in Exchange Online instead: for a mailbox in Exchange Online, set the forwarding there ' +
        '(Exchange Online rewrites the envelope sender with SRS, so the relay is attributed to your tenant) and ' +
        'allow external forwarding for that mailbox in the outbound spam filter policy. Or stop redirecting mail ' +
        `to outside addresses on ${names.server} if it is not needed.`,
      certificateConnectorStep(ctx, names, need),
      acceptedDomainStep(ctx, names),
      presentCertificateStep(ctx, names, need),
      verifyStep(ctx, names, `forwarded message to ${names.recipient}`),
    ],
    commands: [
      'Get-Mailbox -ResultSize Unlimited | Where-Object { $_.ForwardingSmtpAddress -or $_.ForwardingAddress } | Format-Table Name,PrimarySmtpAddress,ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward',
      'Get-Mailbox -ResultSize Unlimited | ForEach-Object { Get-InboxRule -Mailbox $_.Identity } | Where-Object { $_.ForwardTo -or $_.RedirectTo -or $_.ForwardAsAttachmentTo } | Format-Table MailboxOwnerId,Name,ForwardTo,RedirectTo,ForwardAsAttachmentTo',
      ...inboundConnectorCommands(names),
      ...presentCertificateCommands(ctx, names),
    ],
    links: [LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS],
  };
};
