/**
 * Remediation for `connector-mismatch`: the sender domain is accepted, but no OnPremises inbound
 * connector matched the server (5.7.64 without ATTR36): the certificate was renewed or renamed, the
 * public IP changed, or the intermediate chain is not sent (KB 3212877). The rule also takes a
 * refusal whose sender domain nothing shows to be accepted (no list given, the logs do not show it):
 * then the advice says so and gives the domain's choices before the connector's.
 */

import {
  LINK_OFFICE_365_NOTICE,
  LINK_RELAY_ACCESS_DENIED,
  LINK_UPDATED_REQUIREMENTS,
} from '../../kernel/links.js';
import { psArg, psQuote } from '../../kernel/powershell.js';
import type { RemediationContext, RemediationTemplate } from './context.js';
import { ipv4Commands, ipv6Sentence } from './ipv6-connection.js';
import { replyTextMissing } from './no-connector.js';
import {
  certificateSideCommands,
  certificateSideStep,
  certificateVerdict,
  LIST_CERTIFICATES_COMMAND,
} from './presented-certificate.js';
import { RELAY_SOFTWARE, type RelaySoftware } from './relay-software.js';
import {
  capitalise,
  certificateConnectorCommand,
  getInboundConnectorCommand,
  type Names,
  namesFor,
  normaliseDomain,
  normalisedAcceptedDomains,
  presentCertificateCommands,
  relayCertificateStep,
  relaySettings,
  verifyStep,
} from './shared.js';

const GET_ACCEPTED_DOMAINS =
  'Get-AcceptedDomain | Format-Table DomainName,DomainType,Default,MatchSubDomains';

/** Compare certificate and IP with the connector, re-run HCW, send the full chain. */
export const connectorMismatch: RemediationTemplate = (ctx) => {
  if (ctx.relay !== undefined) return relayConnectorMismatch(ctx, ctx.relay);
  const names = namesFor(ctx, 'connector-mismatch');
  const choice = names.connectors;
  const connector = choice?.connector;
  const connectorText = connector === undefined ? 'your OnPremises inbound connector' : `"${connector.name}"`;
  const current = connector?.tlsSenderCertificateName?.trim();
  const currentText = current === undefined || current === '' ? '' : ` (now ${current})`;
  const known = senderDomainAccepted(ctx);
  const domainFirst = domainMayBeTheCause(ctx, known);
  const senderDomain = ctx.senderDomain ?? (known ? 'your domain' : 'the sender domain');
  // The connector that identifies servers by IP address, for the SenderIPAddresses check.
  const ipConnector = choice?.role === 'ip-only' ? choice.connector : choice?.ipOnly;
  const ipText = ipConnector === undefined ? 'your OnPremises inbound connector' : `"${ipConnector.name}"`;

  const ipCommand =
    `Set-InboundConnector -Identity ${psQuote(names.inboundConnector)} ` +
    `-SenderIPAddresses @{Add=${psQuote(`<public IPv4 address of ${names.server}>`)}}`;

  // With a send protocol log the certificate is known: say which side to change instead of how to look.
  const decided = certificateSideStep(ctx, names);
  const verdict = certificateVerdict(ctx, names);
  const sideCommands = certificateSideCommands(ctx, names);
  // A disabled connector that fits: the 'neither' verdict already says to enable it.
  const enableStep =
    choice?.role === 'enable' && verdict?.side !== 'neither'
      ? `${connectorText} expects ${current ?? 'a certificate'} but is disabled, and a disabled connector matches no ` +
        'server: enable it (command below).'
      : undefined;
  // What to change on the Exchange Online side (and the certificate binding the verdict asks for).
  const change = certificateConnectorCommand(names);
  const enable = choice?.role === 'enable' ? change : undefined;
  const inboundCommands =
    verdict?.side === 'neither'
      ? // Certificate and connector already agree: a Set- command would change nothing but enabling it.
        enable === undefined
        ? []
        : [enable]
      : choice?.role === 'ip-only'
        ? [ipCommand, ...sideCommands]
        : [...new Set([enable, ...(sideCommands.length > 0 ? sideCommands : [change])])].filter(
            (command): command is string => command !== undefined,
          );
  const connectorCause =
    "Usually the connector's certificate name or IP address no longer fits the server: the certificate was " +
    'renewed or renamed, the public IP address changed, or the server does not send the intermediate certificate chain.';
  return {
    title: !domainFirst
      ? 'Make the inbound connector match the server again'
      : `Check whether ${senderDomain} is accepted, then accept it, change the sender, or make a connector match the server`,
    explanation: !domainFirst
      ? `${capitalise(names.server)} sent mail from ${senderDomain}, which ${acceptedPhrase(ctx, senderDomain)}, and Exchange ` +
        `Online still refused it (${names.codeText}${attrNote(ctx)}). ` +
        'That means Exchange Online could not match the server to any of your OnPremises inbound connectors. ' +
        `${connectorCause}${known ? '' : ` ${domainAfterConnector(senderDomain)}`}`
      : `${unknownDomainExplanation(ctx, names, senderDomain)} If it is accepted, Exchange Online could not match ` +
        `the server to any of your OnPremises inbound connectors. ${connectorCause}`,
    steps: [
      ...(domainFirst ? unknownDomainSteps(names, senderDomain) : []),
      decided ??
        `Find the certificate ${names.server} presents to Exchange Online: set protocol logging to Verbose on send ` +
          `connector "${names.sendConnector}" and read the send protocol log (Exchange: ` +
          'TransportRoles\\Logs\\Hub\\ProtocolLog\\SmtpSend) for the certificate sent after STARTTLS: its subject, ' +
          'subject alternative names and expiry date; or give that log to relay-audit analyze.',
      ...(decided !== undefined
        ? []
        : [
            choice?.role === 'ip-only'
              ? `${connectorText} identifies the server by IP address, not by certificate: the certificate only counts ` +
                `once an OnPremises connector has a TlsSenderCertificateName matching its CN or a SAN, such as ` +
                `${names.wildcard} (an accepted domain or a wildcard over one).`
              : `Compare it with TlsSenderCertificateName of ${connectorText}${currentText}. The name must match the ` +
                `certificate's CN or a SAN and be an accepted domain or a wildcard over one: ${names.wildcard} keeps ` +
                `matching when the certificate is renewed with another host name in ${names.domain}, unlike a host name ` +
                `such as mail.${names.domain}.`,
          ]),
      ...(enableStep === undefined ? [] : [enableStep]),
      'In a hybrid deployment, re-run the Hybrid Configuration Wizard after renewing or replacing the certificate: ' +
        'it updates the certificate on the on-premises send connector and on the inbound connector together.',
      ipv6Sentence(ctx, names.server) ??
        `If ${ipText} identifies the server by IP address, check SenderIPAddresses: it must contain the ` +
          `public IPv4 address ${names.server} reaches Exchange Online from now (single addresses or ranges from ` +
          '/24 to /32; IPv6 addresses are not accepted there).',
      `Install the intermediate CA certificates on ${names.server} so that it sends the full chain: Exchange ` +
        'Online cannot validate a certificate whose chain is incomplete (KB 3212877).',
      verifyStep(ctx, names, `message from ${senderDomain}`),
    ],
    commands: [
      ...(known ? [] : [GET_ACCEPTED_DOMAINS]),
      getInboundConnectorCommand(names),
      LIST_CERTIFICATES_COMMAND,
      ...(ctx.session === undefined
        ? [`Set-SendConnector -Identity ${psQuote(names.sendConnector)} -ProtocolLoggingLevel Verbose`]
        : []),
      ...inboundCommands,
      ...ipv4Commands(ctx),
    ],
    links: [LINK_RELAY_ACCESS_DENIED, LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS],
  };
};

/**
 * Whether the sender domain is known to be accepted. A given list covers it whenever the rule took
 * the refusal with a sender domain (its `covers` answers yes or no); domains inferred from the logs
 * cover only the domains they name; without either, nothing shows it.
 */
function senderDomainAccepted(ctx: RemediationContext): boolean {
  const domain = normaliseDomain(ctx.senderDomain);
  if (domain === undefined) return false;
  switch (ctx.acceptedDomainsSource) {
    case 'given':
      return true;
    case 'inferred':
      return normalisedAcceptedDomains(ctx).includes(domain);
    case 'none':
      return false;
  }
}

/** How sure we are that the sender domain is accepted, for the explanation. */
function acceptedPhrase(ctx: RemediationContext, senderDomain: string): string {
  if (!senderDomainAccepted(ctx))
    return `whose status as an accepted domain is not known (${unknownWhy(ctx, senderDomain)})`;
  return ctx.acceptedDomainsSource === 'given'
    ? 'is an accepted domain of your tenant'
    : 'the logs show as one of your domains';
}

/**
 * Whether the advice starts with the sender domain: only when nothing shows it accepted and the log
 * does not hold Exchange Online's reply. A reply seen without ATTR36 says no connector matched the
 * server, whatever the domain (Exchange Online adds ATTR36 when a connector matched and the domain
 * is not accepted), so the connector leads and the domain is checked after it.
 */
function domainMayBeTheCause(ctx: RemediationContext, known: boolean): boolean {
  return !known && ctx.replyTextSeen === false;
}

/** The check of a sender domain of unknown status, after the connector that the reply blames. */
function domainAfterConnector(senderDomain: string): string {
  return (
    `Once a connector matches, mail from a domain that is not accepted is refused with ATTR36: check with ` +
    `Get-AcceptedDomain (command below) that ${senderDomain} is one of yours.`
  );
}

/** Why the sender domain's status is not known. */
function unknownWhy(ctx: RemediationContext, senderDomain: string): string {
  const accepted = normalisedAcceptedDomains(ctx);
  if (ctx.senderDomain === undefined) return 'the log names no sender';
  return ctx.acceptedDomainsSource === 'inferred' && accepted.length > 0
    ? `no list of accepted domains was given, and ${senderDomain} is not among the domains the logs show as ` +
        `yours (${accepted.slice(0, 3).join(', ')}${accepted.length > 3 ? ', …' : ''})`
    : 'no list of accepted domains was given, and the logs do not show it as one of yours';
}

/**
 * What follows the code in the explanation: the ATTR36 the reply did not have, or, for a log that
 * kept no reply text of Exchange Online's (`replyTextSeen: false`: sendmail writes a permanent
 * refusal as its code and its own words, `dsn=5.7.64, stat=Service unavailable`), that it is not known.
 */
function attrNote(ctx: RemediationContext): string {
  if (ctx.attr !== undefined) return '';
  if (ctx.replyTextSeen !== false) return ', without ATTR36';
  return `; ${replyTextMissing(ctx)}, so whether it had ATTR36 is not known`;
}

/** The explanation's start when nothing shows the sender domain to be accepted. */
function unknownDomainExplanation(ctx: RemediationContext, names: Names, senderDomain: string): string {
  return (
    `${capitalise(names.server)} sent mail from ${senderDomain} and Exchange Online refused it ` +
    `(${names.codeText}${attrNote(ctx)}). Whether ${senderDomain} is an accepted domain of your tenant is not ` +
    `known: ${unknownWhy(ctx, senderDomain)}. If it is not, that alone explains the refusal: Exchange Online relays mail only when the ` +
    "envelope sender (MAIL FROM) domain or the domain on your server's certificate is accepted."
  );
}

/** The choices for a sender domain that may not be the organisation's, before the connector steps. */
function unknownDomainSteps(names: Names, senderDomain: string): string[] {
  return [
    `First check whether ${senderDomain} is an accepted domain: run Get-AcceptedDomain (command below) and look ` +
      `for it, or for a domain above it with MatchSubDomains. If it is there, the domain is not the problem: go on ` +
      'with the connector steps after the next three. If it is not, choose one of the next three.',
    `If your organisation owns ${senderDomain}, add it as an accepted domain (Microsoft 365 admin center > ` +
      'Settings > Domains > Add domain, then verify it in DNS); then only the connector steps below remain.',
    `Or change the sender of the application or device that sends from ${senderDomain} to an address in an ` +
      `accepted domain, such as noreply@${names.domain}. The envelope sender (MAIL FROM) must change, not only ` +
      'the From header.',
    `Or, if ${names.server} must keep sending as ${senderDomain} (a domain you do not own, for example), relay ` +
      `by a certificate-based connector: an OnPremises inbound connector with TlsSenderCertificateName ` +
      `${names.wildcard} and RestrictDomainsToCertificate $true, matched by the certificate ${names.server} ` +
      'presents (the certificate steps below), attributes its mail whatever the sender domain; one that ' +
      'identifies the server by IP address does not. Keep such volumes low: a tenant that sends much mail from ' +
      'domains it has not added can be blocked (550 5.7.750, unregistered domains).',
  ];
}

/**
 * The same finding from a relay that is not Exchange (Postfix, sendmail, Exim, IIS SMTP): no
 * connector matched it, so Exchange Online needs an OnPremises inbound connector for the relay's
 * public IP address or for the certificate it presents — and the relay must present one, which
 * MTAs do only when told to (KB 3169958's rule for the name: CN or a SAN in an accepted domain).
 */
function relayConnectorMismatch(
  ctx: RemediationContext,
  relay: RelaySoftware,
): ReturnType<RemediationTemplate> {
  const names = namesFor(ctx, 'connector-mismatch');
  const choice = names.connectors;
  const software = RELAY_SOFTWARE[relay];
  const known = senderDomainAccepted(ctx);
  const domainFirst = domainMayBeTheCause(ctx, known);
  const senderDomain = ctx.senderDomain ?? (known ? 'your domain' : 'the sender domain');
  const { certificate } = relaySettings(ctx, names);
  const ip = `<public IPv4 address of ${names.server}>`;
  // Over IPv6 the relay first has to connect over IPv4 for its address to be listed at all.
  const ipv6 = ipv6Sentence(ctx, names.server);
  // The address goes to a connector that identifies servers by IP address, never to a certificate one.
  const ipConnector = choice?.role === 'ip-only' ? choice.connector : choice?.ipOnly;
  const ipCommand =
    ipConnector === undefined
      ? `New-InboundConnector -Name ${psQuote(`Relay ${names.server}`)} -ConnectorType OnPremises -SenderDomains * ` +
        `-SenderIPAddresses ${psQuote(ip)} -RestrictDomainsToIPAddresses $true`
      : `Set-InboundConnector -Identity ${psQuote(ipConnector.name)} -SenderIPAddresses @{Add=${psQuote(ip)}}`;
  // An IP-only connector keeps serving the relay by IP: the certificate gets a connector of its own.
  const certificateCommand =
    choice === undefined || choice.role === 'ip-only'
      ? `New-InboundConnector -Name ${psQuote(`Relay ${names.server} by certificate`)} -ConnectorType OnPremises ` +
        `-SenderDomains * -RequireTls $true -TlsSenderCertificateName ${psArg(names.wildcard)} -RestrictDomainsToCertificate $true`
      : certificateConnectorCommand(names);
  const expected = choice?.connector.tlsSenderCertificateName ?? '';
  const certificateConnector =
    choice?.role === 'use'
      ? `use "${choice.connector.name}", which already expects ${expected}`
      : choice?.role === 'enable'
        ? `enable "${choice.connector.name}", which expects ${expected} (command below)`
        : `set TlsSenderCertificateName of the connector to ${names.wildcard}, which keeps matching when the ` +
          'certificate is renewed with another host name';
  const noMatch =
    'no connector lists the public IP address it connects from, and it presents no TLS certificate (or one whose ' +
    'name no connector expects, or one without the intermediate CA certificates Exchange Online needs to validate ' +
    `it, KB 3212877). ${capitalise(software.name)} sends no client certificate unless it is configured to.`;
  return {
    title: !domainFirst
      ? `Let Exchange Online recognise ${names.server} (${software.name}) by its IP address or certificate`
      : `Check whether ${senderDomain} is accepted, then accept it, change the sender, or let Exchange Online ` +
        `recognise ${names.server} (${software.name})`,
    explanation: !domainFirst
      ? // "a relay running …": the relay names do not all take "a" (Exim, the IIS SMTP service).
        `${capitalise(names.server)}, a relay running ${software.name}, sent mail from ${senderDomain}, which ${acceptedPhrase(ctx, senderDomain)}, ` +
        `and Exchange Online still refused it (${names.codeText}${attrNote(ctx)}). ` +
        `So Exchange Online could not match the relay to any of your OnPremises inbound connectors: ${noMatch}` +
        `${known ? '' : ` ${domainAfterConnector(senderDomain)}`}`
      : `${unknownDomainExplanation(ctx, names, senderDomain)} If it is accepted, Exchange Online could not match ` +
        `the relay (${software.name}) to any of your OnPremises inbound connectors: ${noMatch}`,
    steps: [
      ...(domainFirst ? unknownDomainSteps(names, senderDomain) : []),
      ...(ipv6 === undefined ? [] : [ipv6]),
      `Find the public IPv4 address ${names.server} reaches Exchange Online from (the address your firewall or NAT ` +
        `gives it, not its internal one) and compare it with SenderIPAddresses of your OnPremises inbound connectors.`,
      `Either add that address to an OnPremises inbound connector (single addresses or ranges from /24 to /32; IPv6 ` +
        `addresses are not accepted there). ${known ? 'Because' : 'Once'} ${senderDomain} is accepted, the IP address ` +
        `is enough to relay its mail; it is not enough for NDRs (null sender) or mail from domains you have not added.`,
      `Or identify the relay by certificate: give it a certificate whose CN or a SAN is a name in an accepted domain ` +
        `(for example ${certificate}; for a name such as host.sub.${names.domain} the domain sub.${names.domain} must be ` +
        `accepted too, KB 4019940) and ${certificateConnector}.`,
      // Every relay's certificate step sends the intermediate CA certificates with it (KB 3212877).
      relayCertificateStep(ctx, names, relay),
      verifyStep(ctx, names, `message from ${senderDomain}`),
    ],
    commands: [
      ...(known ? [] : [GET_ACCEPTED_DOMAINS]),
      getInboundConnectorCommand(names),
      ...ipv4Commands(ctx),
      ipCommand,
      ...(certificateCommand === undefined ? [] : [certificateCommand]),
      ...presentCertificateCommands(ctx, names),
    ],
    links: [LINK_RELAY_ACCESS_DENIED, LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS],
  };
}
