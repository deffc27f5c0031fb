/**
 * Remediation for `foreign-sender-domain`: the on-premises server relays mail whose envelope sender
 * domain is not an accepted domain (fabrikam.com, or a subdomain such as alerts.contoso.com when
 * only contoso.com is accepted). Fix by accepting the domain, changing the sender, or relaying by
 * certificate. Without ATTR36 no connector matched the server either, and that must be fixed too.
 */

import { LINK_DEVICE_RELAY, LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS } from '../../kernel/links.js';
import { psArg } from '../../kernel/powershell.js';
import type { RemediationContext, RemediationTemplate } from './context.js';
import { ipv4Commands } from './ipv6-connection.js';
import { connectorTooStep, noConnectorMatched, noConnectorSentence } from './no-connector.js';
import {
  acceptedDomainStep,
  type CertificateNeed,
  capitalise,
  certificateConnectorStep,
  closestAcceptedDomain,
  inboundConnectorCommands,
  namesFor,
  normaliseDomain,
  normalisedAcceptedDomains,
  presentCertificateCommands,
  presentCertificateStep,
  registrationCommands,
  verifyStep,
} from './shared.js';

/** How many accepted domains to list in prose before cutting off. */
const LISTED_DOMAINS = 3;

/** Add the domain, change the sender, or relay by certificate. */
export const foreignSenderDomain: RemediationTemplate = (ctx) => {
  const names = namesFor(ctx, 'foreign-sender-domain');
  const accepted = normalisedAcceptedDomains(ctx);
  const senderDomain = normaliseDomain(ctx.senderDomain);
  const shown = senderDomain ?? 'the sender domain';
  // A subdomain of an accepted domain is the common app case (alerts.contoso.com) and has its own fix.
  const parent = closestAcceptedDomain(senderDomain, accepted);
  const parentOf = parent !== undefined && parent !== senderDomain ? parent : undefined;
  const address = senderAddress(ctx, senderDomain);
  const need: CertificateNeed = {
    messages: `mail from domains you have not added, such as ${shown},`,
    whyIpFails: `such a connector attributes mail only by its sender domain, and ${shown} is not one of yours`,
  };

  const noConnector = noConnectorMatched(ctx);

  const explanation = [
    `${capitalise(names.server)} relayed mail from ${address} to ${names.recipient}, but ${shown} is not ` +
      `${acceptedPhrase(ctx, accepted)}, so Exchange Online refused it (${names.codeText}).`,
    parentOf === undefined
      ? undefined
      : `A subdomain is not covered by its parent: that ${parentOf} is accepted does not make ${shown} accepted.`,
    'Since November 2023 Exchange Online relays only when the envelope sender (MAIL FROM) domain or the domain ' +
      "on your server's certificate is accepted; the header From no longer counts.",
    noConnector ? noConnectorSentence(ctx, names) : undefined,
  ]
    .filter((sentence): sentence is string => sentence !== undefined)
    .join(' ');

  // root@[10.0.2.80]: a host without a fully qualified name sends as its address, which no tenant can
  // accept: the host is given a mail domain instead.
  const literal = ctx.senderLiteral;
  const addDomainStep =
    literal !== undefined
      ? `The sender (…@[${literal}]) has no domain: an address literal, which sendmail and Postfix write for a host without a ` +
        `fully qualified name, and which no tenant can add as a domain. Give the host that sends it (${literal}) ` +
        `a mail domain that is accepted, such as ${names.domain}: Postfix myorigin = ${names.domain}, sendmail ` +
        `MASQUERADE_AS(\`${names.domain}')dnl with FEATURE(\`masquerade_envelope')dnl, or the application's own ` +
        'sender setting.'
      : parentOf === undefined
        ? `If your organisation owns ${shown}, add it as an accepted domain (Microsoft 365 admin center > Settings > ` +
          'Domains > Add domain, then verify it in DNS); mail from it is then relayed without further changes.'
        : `If ${shown} should stay a sender domain, either register ${shown} itself as a domain of the tenant ` +
          `(Microsoft 365 admin center > Settings > Domains), or set MatchSubDomains on ${parentOf} so its ` +
          `subdomains count. MatchSubDomains works only on an InternalRelay domain: switching ${parentOf} from ` +
          `Authoritative to InternalRelay also makes Exchange Online pass mail for unknown ${parentOf} recipients ` +
          'on through your connectors instead of rejecting it, so check that first, and test afterwards (subdomain ' +
          'matching for relay attribution is not spelled out in the documentation).';

  const commands = ['Get-AcceptedDomain | Format-Table DomainName,DomainType,Default,MatchSubDomains'];
  if (parentOf !== undefined) {
    commands.push(
      `Set-AcceptedDomain -Identity ${psArg(parentOf)} -DomainType InternalRelay -MatchSubDomains $true`,
    );
  }
  commands.push(
    ...inboundConnectorCommands(names),
    ...registrationCommands(names),
    ...presentCertificateCommands(ctx, names),
    // The IPv4 choice of the connector step's IPv6 sentence.
    ...(noConnector ? ipv4Commands(ctx) : []),
  );

  return {
    title:
      literal !== undefined
        ? `Give ${literal} a mail domain, change the sender, or relay by certificate`
        : parentOf === undefined
          ? `Accept ${shown}, change the sender, or relay by certificate`
          : `Register ${shown} or match subdomains of ${parentOf}, change the sender, or relay by certificate`,
    explanation,
    steps: [
      addDomainStep,
      `Or change the sender of the application or device that sends as ${address} to an address in an ` +
        `accepted domain, such as ${localPart(address)}@${names.domain}. The envelope sender (MAIL FROM) must ` +
        'change, not only the From header.',
      ...(noConnector
        ? [connectorTooStep(ctx, names, 'Whichever of the two you choose', 'ip-once-accepted')]
        : []),
      `If ${names.server} must keep sending as ${shown} (${parentOf === undefined ? 'a domain you do not own' : 'without registering it'}, for example), let Exchange ` +
        'Online attribute the mail by certificate with the next three steps. Keep such volumes low: a tenant ' +
        'that sends much mail from domains it has not added can be blocked (550 5.7.750, unregistered domains).',
      certificateConnectorStep(ctx, names, need),
      acceptedDomainStep(ctx, names),
      presentCertificateStep(ctx, names),
      verifyStep(ctx, names, `message from ${shown}`),
    ],
    commands,
    links: [LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS, LINK_DEVICE_RELAY],
  };
};

/** "an accepted domain of your tenant (accepted: a, b, c)", worded by how sure we are of the list. */
function acceptedPhrase(ctx: RemediationContext, accepted: readonly string[]): string {
  if (accepted.length === 0 || ctx.acceptedDomainsSource === 'none')
    return 'an accepted domain of your tenant';
  const listed =
    accepted.slice(0, LISTED_DOMAINS).join(', ') + (accepted.length > LISTED_DOMAINS ? ', …' : '');
  return ctx.acceptedDomainsSource === 'given'
    ? `an accepted domain of your tenant (accepted: ${listed})`
    : `among the domains the logs show as yours (${listed})`;
}

/** The P1 address when known (it is what Exchange Online judges), else the header sender. */
function senderAddress(ctx: RemediationContext, senderDomain: string | undefined): string {
  const candidate = ctx.returnPath !== undefined && ctx.returnPath !== '' ? ctx.returnPath : ctx.sender;
  if (candidate?.includes('@')) return candidate;
  return senderDomain === undefined ? 'an unaccepted domain' : `an address in ${senderDomain}`;
}

/** Local part to keep when suggesting a new sender (`alerts@alerts.contoso.com` → `alerts`). */
function localPart(address: string): string {
  const at = address.lastIndexOf('@');
  return at > 0 ? address.slice(0, at) : 'noreply';
}
