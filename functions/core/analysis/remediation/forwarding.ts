/**
 * Remediation for `forwarding`: on-premises routing re-sends mail from outside to an outside address
 * — a forwarding rule, a redirect, or a distribution group with an outside member (the finding's
 * evidence names the row and, for a group, the group and the member). Exchange Online sees neither
 * the envelope sender domain nor the recipient domain as the organisation's, so the fix is to relay
 * by certificate, which covers every kind; for a mailbox's forwarding, also to forward in Exchange
 * Online (which rewrites P1 with SRS) or to stop redirecting outside on-premises. A group's
 * membership has no such move: its copies to outside members leave from the server that expanded it.
 * When a routing row proved which group or mailbox did it (`ctx.routing`), the advice starts there.
 */

import { LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS } from '../../kernel/links.js';
import { psQuote } from '../../kernel/powershell.js';
import type { ForwardingRouting, RemediationContext, RemediationTemplate } from './context.js';
import {
  acceptedDomainStep,
  type CertificateNeed,
  certificateConnectorStep,
  inboundConnectorCommands,
  type Names,
  namesFor,
  presentCertificateCommands,
  presentCertificateStep,
  verifyStep,
} from './shared.js';

/** The searches of the whole organisation for what sends outside: forwarding, Inbox rules, groups' outside members. */
const SEARCH_COMMANDS: readonly string[] = [
  'Get-Mailbox -ResultSize Unlimited | Where-Object { $_.ForwardingSmtpAddress -or $_.ForwardingAddress } | Format-Table Name,PrimarySmtpAddress,ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward',
  'Get-Mailbox -ResultSize Unlimited | ForEach-Object { Get-InboxRule -Mailbox $_.Identity } | Where-Object { $_.ForwardTo -or $_.RedirectTo -or $_.ForwardAsAttachmentTo } | Format-Table MailboxOwnerId,Name,ForwardTo,RedirectTo,ForwardAsAttachmentTo',
  "Get-DistributionGroup -ResultSize Unlimited | ForEach-Object { $group = $_.PrimarySmtpAddress; Get-DistributionGroupMember -Identity $_.Identity -ResultSize Unlimited | Where-Object { $_.RecipientType -in 'MailContact','MailUser' } | Select-Object @{n='Group';e={$group}},Name,RecipientType,ExternalEmailAddress } | Format-Table",
];

/**
 * The outside address the routing sent to, for prose: the refused address when the facts have it,
 * else its domain — a shared text names the domain only, so a group's refusals keep one text.
 */
function outsideTarget(ctx: RemediationContext, noun: 'member' | 'address'): string {
  if (ctx.recipient !== undefined) return noun === 'member' ? `the member ${ctx.recipient}` : ctx.recipient;
  const some = noun === 'member' ? 'a member' : 'an address';
  if (ctx.recipientDomain !== undefined)
    return `${some} in ${ctx.recipientDomain}, the refused recipient's domain`;
  return `an outside ${noun}`;
}

/** What the routing row proved, as a sentence of the explanation. */
function provenSentence(ctx: RemediationContext, routing: ForwardingRouting): string {
  const { address } = routing;
  switch (routing.kind) {
    case 'expand':
      return `Here the distribution group ${address} expanded the message to ${outsideTarget(ctx, 'member')} (its EXPAND row).`;
    case 'redirect':
      return `Here the mailbox ${address} redirected the message to ${outsideTarget(ctx, 'address')} (its REDIRECT row).`;
    case 'resolve':
      return `Here ${address} resolved to ${outsideTarget(ctx, 'address')} (its RESOLVE row).`;
    case 'mailbox-rule':
      return `Here the message was delivered to the mailbox ${address} and an Inbox rule sent it on to ${outsideTarget(ctx, 'address')}.`;
  }
}

/** The first step: the group or mailbox the evidence proved, else a search of the whole organisation. */
function findStep(ctx: RemediationContext, names: Names): string {
  const routing = ctx.routing;
  if (routing === undefined)
    return (
      `Find what sends to ${names.recipient}: a distribution group with it as a member (an EXPAND row names the ` +
      'group: a mail contact or mail user among its members), mailbox forwarding (ForwardingSmtpAddress, ' +
      'ForwardingAddress), Inbox rules that forward or redirect (ForwardTo, RedirectTo, ForwardAsAttachmentTo), ' +
      'transport rules and mail contacts used as forwarding targets (commands below).'
    );
  const others = `the searches of the whole organisation that follow find any other group, forwarding or rule that sends to ${names.recipient}.`;
  if (routing.kind === 'expand')
    return (
      `Start with the distribution group ${routing.address}: list its members that are mail contacts or mail users ` +
      `(first command); ${ctx.recipientDomain === undefined ? 'the outside one' : `the one in ${ctx.recipientDomain}`} ` +
      'is the refused recipient. ' +
      `Relay its copies by certificate (below), or remove it from the group; ${others}`
    );
  const check =
    `Start with the mailbox ${routing.address}: check its forwarding (ForwardingSmtpAddress, ForwardingAddress) and its ` +
    'Inbox rules that forward or redirect (ForwardTo, RedirectTo, ForwardAsAttachmentTo) (first two commands)';
  const contact =
    routing.kind === 'resolve'
      ? `; if ${routing.address} is a mail contact or mail user rather than a mailbox, its external address is the outside one (third command)`
      : '';
  return `${check}${contact}; ${others}`;
}

/** The commands for the group or mailbox the evidence proved, which come before the searches. */
function routingCommands(routing: ForwardingRouting | undefined): string[] {
  if (routing === undefined) return [];
  const identity = psQuote(routing.address);
  if (routing.kind === 'expand')
    return [
      `Get-DistributionGroupMember -Identity ${identity} -ResultSize Unlimited | Where-Object { $_.RecipientType -in 'MailContact','MailUser' } | Format-Table Name,RecipientType,ExternalEmailAddress`,
    ];
  const mailbox = [
    `Get-Mailbox -Identity ${identity} | Format-List ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward`,
    `Get-InboxRule -Mailbox ${identity} | Where-Object { $_.ForwardTo -or $_.RedirectTo -or $_.ForwardAsAttachmentTo } | Format-List Name,ForwardTo,RedirectTo,ForwardAsAttachmentTo`,
  ];
  if (routing.kind !== 'resolve') return mailbox;
  return [
    ...mailbox,
    `Get-Recipient -Identity ${identity} | Format-List Name,RecipientType,PrimarySmtpAddress,ExternalEmailAddress`,
  ];
}

/** Forwarding advice: relay forwarded and group mail by certificate; move a mailbox's forwarding to Exchange Online, or stop it. */
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
      `A forwarding rule, a redirect or a distribution group with an outside member on ${names.server} re-sent a ` +
      `message from ${senderDomain} to ${names.recipient}, outside your organisation, and Exchange Online refused ` +
      `to relay it (${names.codeText}); the evidence names the row that did it (REDIRECT, RESOLVE, EXPAND or an ` +
      'inbox rule). ' +
      (ctx.routing === undefined ? '' : `${provenSentence(ctx, ctx.routing)} `) +
      `To Exchange Online neither the envelope sender domain (${senderDomain}) nor the recipient domain ` +
      `(${recipientDomain}) belongs to your tenant, so nothing attributes the message to you. ` +
      'Forwarding done in Exchange Online rewrites the envelope sender (SRS) and is attributed; forwarding done ' +
      `on-premises, and a group's copy to an outside member, need a certificate-based connector with a name in ${names.domain}.`,
    steps: [
      findStep(ctx, names),
      "For a mailbox's forwarding, preferably forward in Exchange Online instead: for a mailbox in Exchange Online, " +
        'set the forwarding there (Exchange Online rewrites the envelope sender with SRS, so the relay is attributed ' +
        'to your tenant) and allow external forwarding for that mailbox in the outbound spam filter policy. Or stop ' +
        `redirecting mail to outside addresses on ${names.server} if it is not needed. A distribution group's outside ` +
        'member is not fixed that way: the copy for it leaves from the server that expanded the group, so relay it ' +
        'by certificate (next step), or remove the member if the group need not reach it.',
      certificateConnectorStep(ctx, names, need),
      acceptedDomainStep(ctx, names),
      presentCertificateStep(ctx, names, need),
      verifyStep(ctx, names, `forwarded message to ${names.recipient}`),
    ],
    commands: [
      ...routingCommands(ctx.routing),
      ...SEARCH_COMMANDS,
      ...inboundConnectorCommands(names),
      ...presentCertificateCommands(ctx, names),
    ],
    links: [LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS],
  };
};
