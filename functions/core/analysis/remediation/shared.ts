/**
 * Building blocks shared by the scenario templates: deriving the real names a finding implies
 * (organisation domain, certificate wildcard, connectors, tenant endpoint) and KB 3169958's three
 * steps (certificate connector, accepted domain, TLS on the on-premises side; docs/domain.md §1),
 * worded once so the scenarios cannot drift apart. The on-premises side (certificate, smart host, MX
 * lookup) and the check of the result follow what sent the message: an Exchange server, or a relay
 * that is not Exchange (`ctx.relay`).
 */

import {
  PLACEHOLDER_DOMAIN,
  PLACEHOLDER_INBOUND_CONNECTOR,
  PLACEHOLDER_SEND_CONNECTOR,
  PLACEHOLDER_TENANT_ENDPOINT,
} from '../../kernel/placeholders.js';
import { psArg, psQuote } from '../../kernel/powershell.js';
import { certificateWildcardCovers, namesMatch, stripWildcard } from '../../organisation/host-names.js';
import type { ScenarioId } from '../model/findings.js';
import { type ConnectorChoice, connectorPlan, presentedNames } from './connector-plan.js';
import type { RemediationContext } from './context.js';
import { presentedCertificateNote } from './presented-certificate.js';
import { RELAY_SOFTWARE, type RelaySoftware } from './relay-software.js';
import {
  registeredSubdomainCommand,
  registerSubdomainText,
  type SubdomainRegistration,
  subdomainRegistration,
} from './subdomain-registration.js';

/** Lower-case a domain or host name and drop what exports add around it (`*.`, `@`, a final dot). */
export function normaliseDomain(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const domain = value.trim().toLowerCase().replace(/^\*\./, '').replace(/^@/, '').replace(/\.$/, '');
  return domain === '' ? undefined : domain;
}

/** True when `name` is `domain` itself or a name below it (`mail.contoso.com` is within `contoso.com`). */
export function isWithin(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}

/** The accepted domains, normalised and without duplicates, in the order given. */
export function normalisedAcceptedDomains(ctx: RemediationContext): string[] {
  const seen = new Set<string>();
  for (const raw of ctx.acceptedDomains) {
    const domain = normaliseDomain(raw);
    if (domain !== undefined) seen.add(domain);
  }
  return [...seen];
}

/**
 * The most specific accepted domain that `name` is within. The longest match wins so that
 * `host.sub.contoso.com` maps to `sub.contoso.com` when both it and `contoso.com` are accepted.
 */
export function closestAcceptedDomain(
  name: string | undefined,
  accepted: readonly string[],
): string | undefined {
  const normalised = normaliseDomain(name);
  if (normalised === undefined) return undefined;
  let best: string | undefined;
  for (const domain of accepted) {
    if (isWithin(normalised, domain) && (best === undefined || domain.length > best.length)) best = domain;
  }
  return best;
}

/**
 * The accepted domain the server's certificate should be named in. The server's own host name is
 * the best hint (the certificate is the server's), then the sender domain (an app sending as
 * `alerts.contoso.com` belongs to `contoso.com`), then simply the first accepted domain.
 * `connectorName`, the certificate name of the connector the advice names, comes before the host
 * name: that connector already expects the server's certificate in its domain, and every finding
 * that names it must give it the same new name.
 */
export function organisationDomain(ctx: RemediationContext, connectorName?: string): string | undefined {
  const accepted = normalisedAcceptedDomains(ctx);
  // A name on the certificate the server really presents (send protocol log) is the best hint of all,
  // even one that counts only once its subdomain is registered (KB 4019940).
  const presented = ctx.session?.certificate?.acceptedNames[0] ?? presentedRegistration(ctx)?.name;
  return (
    closestAcceptedDomain(presented, accepted) ??
    closestAcceptedDomain(connectorName, accepted) ??
    closestAcceptedDomain(ctx.serverHostname, accepted) ??
    closestAcceptedDomain(ctx.senderDomain, accepted) ??
    accepted[0]
  );
}

/** Where the tenant's endpoint came from, so the text can say how sure it is. */
export type EndpointOrigin = 'observed' | 'pattern' | 'placeholder';

const TENANT_ENDPOINT = /^[a-z0-9-]+\.(?:mail\.protection\.outlook\.com|[a-z0-9-]+\.mx\.microsoft)$/;

/**
 * True for a tenant's MX endpoint (`contoso-com.mail.protection.outlook.com`, or
 * `contoso-com.o-v1.mx.microsoft` for domains added since 2024), not for Exchange Online's
 * front-end host names, which vary per connection. Any case, surrounding space ignored.
 */
export function isTenantEndpoint(host: string | undefined): boolean {
  const normalised = normaliseDomain(host);
  return normalised !== undefined && TENANT_ENDPOINT.test(normalised);
}

/**
 * The tenant's MX endpoint used as smart host. An observed `*.mail.protection.outlook.com` (or
 * `*.mx.microsoft`) remote host is the real one; otherwise the usual pattern
 * `contoso-com.mail.protection.outlook.com` is offered, which the text tells the admin to confirm
 * with `Resolve-DnsName`, since domains added since 2024 may be under `mx.microsoft` instead.
 */
export function tenantEndpoint(
  ctx: RemediationContext,
  orgDomain: string | undefined,
  options: { trustRemoteHost: boolean },
): { host: string; origin: EndpointOrigin } {
  const remote = normaliseDomain(ctx.remoteHost);
  if (options.trustRemoteHost && remote !== undefined && isTenantEndpoint(remote)) {
    return { host: remote, origin: 'observed' };
  }
  if (orgDomain !== undefined) {
    return { host: `${orgDomain.replaceAll('.', '-')}.mail.protection.outlook.com`, origin: 'pattern' };
  }
  return { host: PLACEHOLDER_TENANT_ENDPOINT, origin: 'placeholder' };
}

/** The real names one finding implies, with placeholders where the data does not say. */
export interface Names {
  /** Accepted domain for the certificate, when derivable. */
  orgDomain: string | undefined;
  /** `orgDomain` or {@link PLACEHOLDER_DOMAIN}. */
  domain: string;
  /** `*.` + `domain`: the TlsSenderCertificateName the KB recommends. */
  wildcard: string;
  /** The on-premises server for prose: its host name or "your on-premises server". */
  server: string;
  /** The inbound connector this finding's advice names, and what to do with it; `undefined`: none known. */
  connectors: ConnectorChoice | undefined;
  /** Name of that connector, or {@link PLACEHOLDER_INBOUND_CONNECTOR}. */
  inboundConnector: string;
  /** On-premises send connector name (without the `SERVER\` prefix) or {@link PLACEHOLDER_SEND_CONNECTOR}. */
  sendConnector: string;
  /** A name the certificate should carry, for `-Fqdn` on the send connector. */
  certificateHost: string;
  /** `5.7.64 ATTR36` style code for prose. */
  codeText: string;
  /** The recipient for prose: address, domain, or "an internet recipient". */
  recipient: string;
  /**
   * The subdomain whose registration would make the presented certificate count (KB 4019940:
   * `hostname.sub.contoso.com` with only `contoso.com` accepted), or `undefined`.
   */
  registration: SubdomainRegistration | undefined;
}

/**
 * {@link subdomainRegistration} for the certificate a send protocol log showed, when only its names
 * keep it from counting: a self-signed, internal-CA or expired one has to be replaced anyway.
 */
function presentedRegistration(ctx: RemediationContext): SubdomainRegistration | undefined {
  const certificate = ctx.session?.certificate;
  if (
    certificate === undefined ||
    certificate.acceptedNames.length > 0 ||
    certificate.selfSigned ||
    certificate.internalCa ||
    certificate.expiredOn !== undefined
  ) {
    return undefined;
  }
  return subdomainRegistration(certificate.names, ctx.acceptedDomains);
}

/** Derive all {@link Names} for one finding of `scenario`. */
export function namesFor(ctx: RemediationContext, scenario: ScenarioId): Names {
  const connectors = connectorPlan(ctx, scenario);
  const orgDomain = organisationDomain(ctx, connectors?.connector.tlsSenderCertificateName);
  const domain = orgDomain ?? PLACEHOLDER_DOMAIN;
  const registration = presentedRegistration(ctx);
  return {
    orgDomain,
    domain,
    wildcard: `*.${domain}`,
    server: ctx.serverHostname ?? 'your on-premises server',
    connectors,
    inboundConnector: connectors?.connector.name ?? PLACEHOLDER_INBOUND_CONNECTOR,
    sendConnector: sendConnectorName(ctx.connectorId),
    certificateHost: certificateHost(ctx, orgDomain, connectors, registration),
    codeText: ctx.attr === undefined ? ctx.code : `${ctx.code} ${ctx.attr}`,
    recipient: ctx.recipient ?? ctx.recipientDomain ?? 'an internet recipient',
    registration,
  };
}

/**
 * Tracking logs write the send connector as `EX01\Outbound to Office 365`, but send connectors are
 * organisation-wide and `Set-SendConnector -Identity` wants the bare name.
 */
function sendConnectorName(connectorId: string | undefined): string {
  const name = connectorId?.split('\\').pop()?.trim();
  return name === undefined || name === '' ? PLACEHOLDER_SEND_CONNECTOR : name;
}

/**
 * The host name to put in `-Fqdn`: it must be a name on the certificate. The server's own name when
 * the certificate it presented is valid for it (a wildcard covers one label); else a concrete name
 * on that certificate; a concrete (non-wildcard) TlsSenderCertificateName is exactly that; otherwise
 * the server's own name when it lies in the organisation domain; otherwise a placeholder, because an
 * internal name (`EX01.contoso.local`) cannot be on a publicly trusted certificate. A presented name
 * that counts once its subdomain is registered (`registration`) is the name the certificate keeps.
 */
function certificateHost(
  ctx: RemediationContext,
  orgDomain: string | undefined,
  connectors: ConnectorChoice | undefined,
  registration: SubdomainRegistration | undefined,
): string {
  const configured = connectors?.connector.tlsSenderCertificateName?.trim().toLowerCase();
  const server = normaliseDomain(ctx.serverHostname);
  const certificate = ctx.session?.certificate;
  const presented =
    certificate?.acceptedNames.find((name) => !name.startsWith('*')) ??
    (registration?.name.startsWith('*') === false ? registration.name : undefined);
  if (orgDomain !== undefined) {
    // The server's own name, when the presented certificate is valid for it (`*.contoso.com` for
    // mail.contoso.com), beats another name on it: it is the name the server already uses and resolves to.
    const serverCovered =
      server !== undefined &&
      isWithin(server, orgDomain) &&
      certificate?.acceptedNames.some((name) => certificateWildcardCovers(name, server)) === true;
    if (serverCovered) return server;
    if (presented !== undefined && isWithin(presented, orgDomain)) return presented;
    if (configured !== undefined && !configured.startsWith('*') && isWithin(configured, orgDomain)) {
      return configured;
    }
    if (server !== undefined && server !== orgDomain && isWithin(server, orgDomain)) return server;
  }
  return `<name on the certificate>.${orgDomain ?? PLACEHOLDER_DOMAIN}`;
}

/**
 * Upper-case the first letter, for names used at the start of a sentence; an IPv6 address (a relay
 * whose syslog names it by address) stays as written.
 */
export function capitalise(text: string): string {
  if (/^[0-9a-f]*:[0-9a-f:]*(?![0-9a-z.])/i.test(text)) return text;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `Format-List` properties that show how an inbound connector identifies the server. */
const INBOUND_PROPERTIES =
  'Name,Enabled,ConnectorType,SenderIPAddresses,TlsSenderCertificateName,RestrictDomainsToCertificate,RestrictDomainsToIPAddresses,RequireTls';

/** Command listing the inbound connector(s): the named one when known, else all of them. */
export function getInboundConnectorCommand(names: Names): string {
  const identity = names.connectors === undefined ? '' : ` -Identity ${psQuote(names.inboundConnector)}`;
  return `Get-InboundConnector${identity} | Format-List ${INBOUND_PROPERTIES}`;
}

/** Turns on a connector that is disabled. */
export function enableConnectorCommand(name: string): string {
  return `Set-InboundConnector -Identity ${psQuote(name)} -Enabled $true`;
}

/**
 * KB step 1 as a command: make the named inbound connector identify the server by certificate, or
 * `undefined` when it already does with a name that fits, or already has the name the command would
 * set (a command that changes nothing). A disabled one that fits only needs enabling. For an IP-only
 * connector the IP identification is removed as well, because while `RestrictDomainsToIPAddresses`
 * is on, mail from other addresses is refused and the IP list would keep deciding attribution.
 */
export function certificateConnectorCommand(names: Names): string | undefined {
  const role = names.connectors?.role;
  if (role === 'use') return undefined;
  if (role === 'enable') return enableConnectorCommand(names.inboundConnector);
  const current = names.connectors?.connector.tlsSenderCertificateName?.trim().toLowerCase();
  if (role === 'rename' && current === names.wildcard) return undefined;
  const base =
    `Set-InboundConnector -Identity ${psQuote(names.inboundConnector)}` +
    ` -TlsSenderCertificateName ${psArg(names.wildcard)} -RestrictDomainsToCertificate $true` +
    ' -ConnectorType OnPremises -RequireTls $true';
  return role === 'ip-only' ? `${base} -SenderIPAddresses $null -RestrictDomainsToIPAddresses $false` : base;
}

/** The inbound connector commands of KB step 1: look at the connector, then change it if needed. */
export function inboundConnectorCommands(names: Names): string[] {
  const change = certificateConnectorCommand(names);
  return change === undefined
    ? [getInboundConnectorCommand(names)]
    : [getInboundConnectorCommand(names), change];
}

/** KB 3169958's rule for the certificate domain, with the organisation's names. */
function certificateNameRule({ domain, wildcard }: Names): string {
  return (
    `the certificate domain must match the certificate's CN or one of its SANs and be an accepted domain; ` +
    `if the certificate holds several names (mail1.${domain}, mail2.${domain}) use ${wildcard}`
  );
}

/** What a certificate-based scenario tells {@link certificateConnectorStep} about its messages. */
export interface CertificateNeed {
  /** The messages in prose, e.g. `NDRs and automatic replies`. */
  messages: string;
  /** Why identification by IP address cannot attribute them ("such a connector" is an IP-only one). */
  whyIpFails: string;
}

/**
 * KB step 1 in words, tailored to the connector {@link Names.connectors} names: one that fits
 * already (then what else must hold), one to enable, one whose name to change, an IP-only one to
 * switch, or none known.
 */
export function certificateConnectorStep(
  ctx: RemediationContext,
  names: Names,
  need: CertificateNeed,
): string {
  const { wildcard, domain, server } = names;
  const rule = certificateNameRule(names);
  const choice = names.connectors;
  if (choice === undefined) {
    return (
      `Create or edit the OnPremises inbound connector (from "Your organization's email server" to Office 365) ` +
      `so that it identifies ${server} by TLS certificate, with ${wildcard} as the certificate domain: ${rule}. ` +
      `Connectors made by the Hybrid Configuration Wizard often say mail.${domain} or <host>.${domain}; change ` +
      `them to ${wildcard}, because such host names are usually not registered domains. Find the connector with ` +
      `Get-InboundConnector; if there is none, create one with New-InboundConnector -ConnectorType OnPremises ` +
      `-SenderDomains * -RequireTls $true -TlsSenderCertificateName ${wildcard} -RestrictDomainsToCertificate $true.`
    );
  }
  const name = `"${choice.connector.name}"`;
  if (choice.role === 'ip-only') {
    return (
      `Your inbound connector ${name} identifies ${server} by IP address only: ${need.whyIpFails}. ` +
      `Switch ${name} to identify the server by TLS certificate ${wildcard} with RestrictDomainsToCertificate ` +
      `(command below); ${rule}. The command also removes the IP identification: if scanners or applications ` +
      `still relay through ${name} by IP address, keep ${name} as it is and create a second, certificate-based ` +
      `OnPremises connector instead.`
    );
  }
  // The IP-only connector beside it serves apps and scanners; changing it would cut them off.
  const keepIp =
    choice.ipOnly === undefined
      ? ''
      : ` Leave "${choice.ipOnly.name}" as it is: it identifies servers by IP address only, and ${need.whyIpFails}.`;
  const current = choice.connector.tlsSenderCertificateName?.trim().toLowerCase() ?? '';
  const matched = presentedMatch(ctx, current);
  const matchedText =
    matched === undefined ? '' : `, which the certificate ${server} presented matches (${matched})`;
  switch (choice.role) {
    case 'use': {
      const uncounted = matched === undefined ? uncountedMatchLead(ctx, names, current) : undefined;
      if (uncounted !== undefined) {
        return (
          `${uncounted} Your inbound connector ${name} already identifies servers by the certificate name ` +
          `${current}: no connector needs to change.${keepIp}`
        );
      }
      return (
        `Your inbound connector ${name} already identifies servers by the certificate name ${current}${matchedText}: ` +
        `no connector needs to change. Exchange Online attributes ${need.messages} to your tenant only through a ` +
        `certificate-based connector, so this refusal means it did not use ${name}: ` +
        (matched === undefined
          ? `${server} must present a certificate matching ${current} over TLS when it sends to Exchange Online ` +
            `(${presentStepReference(ctx)}).`
          : `${server} did present a matching certificate, so check that it sends the intermediate CA certificates ` +
            `with it (KB 3212877) and that ${stripWildcard(current)} is still an accepted domain of the tenant.`) +
        keepIp
      );
    }
    case 'enable':
      return (
        `Your inbound connector ${name} expects the certificate name ${current}${matchedText}, but it is disabled, ` +
        `and a disabled connector matches no server: enable it (command below); no new connector is needed.${keepIp}`
      );
    case 'rename':
      return `${renameStep(ctx, names, name, current)}${keepIp}`;
  }
}

/**
 * The name on the presented certificate that `connectorName` matches, when a protocol log showed a
 * certificate that can attribute mail (a self-signed or expired one is to be replaced anyway).
 */
function presentedMatch(ctx: RemediationContext, connectorName: string): string | undefined {
  if (connectorName === '') return undefined;
  return presentedNames(ctx)?.find((name) => namesMatch(connectorName, name));
}

/**
 * When the certificate a protocol log showed matches `connectorName` by one of its names but cannot
 * attribute mail, the sentence that says so and names the real cause, to lead the connector step:
 * "it must present a matching certificate" would be false, and the cause would come only later.
 * `undefined` when no presented certificate matches.
 */
function uncountedMatchLead(
  ctx: RemediationContext,
  names: Names,
  connectorName: string,
): string | undefined {
  const certificate = ctx.session?.certificate;
  if (certificate === undefined || connectorName === '') return undefined;
  const match = certificate.names.find((name) => namesMatch(connectorName, name));
  if (match === undefined) return undefined;
  const { server } = names;
  const presented = `The certificate ${server} presented matches ${connectorName} (${match})`;
  const registration = names.registration;
  if (registration !== undefined) {
    return (
      `${presented}, but it cannot attribute mail to your tenant yet: Exchange Online attributes ` +
      `${registration.name} through ${registration.domain}, the domain just above it, and only ` +
      `${registration.acceptedParent} is accepted (a name deeper than an accepted domain does not count, ` +
      `whatever the connector's wildcard covers). Register ${registration.domain} (the accepted domain step ` +
      `below) or bind a certificate with a name directly in ${registration.acceptedParent} ` +
      `(${presentStepReference(ctx)}).`
    );
  }
  return (
    `${presented}, but that certificate cannot attribute mail to your tenant: ${presentStepReference(ctx)} ` +
    'says why and which certificate to bind instead.'
  );
}

/** An enabled certificate connector whose name does not fit: what is wrong with the name, and the fix. */
function renameStep(ctx: RemediationContext, names: Names, name: string, current: string): string {
  const { wildcard, domain, server } = names;
  const rule = certificateNameRule(names);
  if (current === '') {
    return `Your inbound connector ${name} identifies by certificate but names none: set its certificate domain to ${wildcard}; ${rule}.`;
  }
  if (current === wildcard) {
    return (
      `Your inbound connector ${name} already expects ${wildcard}. Make sure it is enabled, of type OnPremises, ` +
      `with RestrictDomainsToCertificate $true, and that ${server} really presents a certificate with a name in ` +
      `${domain} (the send protocol log shows it).`
    );
  }
  const why =
    presentedNames(ctx) !== undefined && presentedMatch(ctx, current) === undefined
      ? `no name on the certificate ${server} presented matches it`
      : current.startsWith('*.')
        ? `${current} is not a wildcard over the accepted domain ${domain}`
        : `a host name such as ${current}, as the Hybrid Configuration Wizard writes it, is usually not a registered domain`;
  return `Your inbound connector ${name} expects the certificate name ${current}, but ${why}: change it to ${wildcard} (command below); ${rule}.`;
}

/** KB step 2 in words: the certificate domain only counts when it is an accepted domain. */
export function acceptedDomainStep(ctx: RemediationContext, names: Names): string {
  const { orgDomain } = names;
  if (orgDomain === undefined) {
    return (
      `Your accepted domains were not provided. Run Get-AcceptedDomain, choose the accepted domain your ` +
      `server's certificate names belong to, and use it in place of ${PLACEHOLDER_DOMAIN} in the commands ` +
      `below; if it is not there, register it (Microsoft 365 admin center > Settings > Domains).`
    );
  }
  const base =
    ctx.acceptedDomainsSource === 'given'
      ? `Make sure ${orgDomain} stays an accepted domain of the tenant (Microsoft 365 admin center > Settings > Domains): the certificate domain only counts when it is accepted.`
      : `${orgDomain} was inferred from the logs, not read from your configuration: confirm with Get-AcceptedDomain that it is an accepted domain of the tenant, or register it (Microsoft 365 admin center > Settings > Domains).`;
  // KB 4019940: a certificate for host.sub.contoso.com is attributed through sub.contoso.com. The
  // certificate the server presented says it for sure; its host name only that it may be so.
  if (names.registration !== undefined) {
    const { name, domain, acceptedParent } = names.registration;
    return (
      `${base} The certificate ${names.server} presented does not count yet: its name ${name} is attributed ` +
      `through ${domain}, the domain just above it, and only ${acceptedParent} is accepted. Preferably ` +
      `${registerSubdomainText(names.registration)}, rather than replacing the certificate.`
    );
  }
  const server = normaliseDomain(ctx.serverHostname);
  const hinted = server === undefined ? undefined : subdomainRegistration([server], [orgDomain]);
  return hinted === undefined
    ? base
    : `${base} If the certificate is for ${server}, ${registerSubdomainText(hinted)}, and use *.${hinted.domain} as the certificate domain.`;
}

/** The command of the registration {@link acceptedDomainStep} offers (KB 4019940), if it offers one. */
export function registrationCommands(names: Names): string[] {
  return names.registration === undefined ? [] : [registeredSubdomainCommand(names.registration)];
}

/**
 * KB step 3 in words: the on-premises side must present that certificate over TLS. An Exchange
 * server does it through its send connector; a relay that is not Exchange through its own settings
 * ({@link relayCertificateStep}).
 */
export function presentCertificateStep(ctx: RemediationContext, names: Names): string {
  if (ctx.relay !== undefined) return relayCertificateStep(ctx, names, ctx.relay);
  const { server, domain, sendConnector, certificateHost } = names;
  const host = normaliseDomain(ctx.serverHostname);
  const internalName =
    host !== undefined && names.orgDomain !== undefined && !isWithin(host, names.orgDomain)
      ? ` (${host} is not in ${domain}, so the certificate needs a public name such as mail.${domain})`
      : '';
  // Only Exchange writes send protocol logs, so only an Exchange finding knows the presented certificate.
  const note = presentedCertificateNote(ctx, names);
  return (
    `${note === undefined ? '' : `${note} `}` +
    `On ${server}, send to Exchange Online over TLS with that certificate${internalName}. Exchange: send ` +
    `connector "${sendConnector}" needs -RequireTLS $true, -TlsAuthLevel CertificateValidation, ` +
    `-CloudServicesMailEnabled $true and -Fqdn set to a name on the certificate (${certificateHost}); keep its ` +
    `smart host on your tenant's endpoint. Install the certificate with its full chain (intermediate CA ` +
    `certificates). Postfix and other MTAs: present the same certificate with STARTTLS (smtp_tls_cert_file, ` +
    `smtp_tls_key_file).`
  );
}

/** KB step 3 as commands: the Exchange send connector, or the relay's own settings. */
export function presentCertificateCommands(ctx: RemediationContext, names: Names): string[] {
  if (ctx.relay !== undefined) {
    const { certificate, endpoint } = relaySettings(ctx, names);
    return RELAY_SOFTWARE[ctx.relay].certificateCommands(certificate, endpoint);
  }
  return [
    `Set-SendConnector -Identity ${psQuote(names.sendConnector)} -RequireTLS $true ` +
      `-TlsAuthLevel CertificateValidation -Fqdn ${psArg(names.certificateHost)} -CloudServicesMailEnabled $true`,
  ];
}

/** How {@link certificateConnectorStep} points at the step {@link presentCertificateStep} writes. */
function presentStepReference(ctx: RemediationContext): string {
  return ctx.relay === undefined ? 'the send connector step below' : 'the step below';
}

/**
 * The certificate a relay that is not Exchange is told to present (an example name in the
 * organisation domain) and the tenant endpoint it keeps relaying to.
 */
export function relaySettings(
  ctx: RemediationContext,
  names: Names,
): { certificate: string; endpoint: string } {
  return {
    certificate: `relay.${names.domain}`,
    endpoint: tenantEndpoint(ctx, names.orgDomain, { trustRemoteHost: true }).host,
  };
}

/** How `relay` presents the certificate. */
export function relayCertificateStep(ctx: RemediationContext, names: Names, relay: RelaySoftware): string {
  const { certificate, endpoint } = relaySettings(ctx, names);
  return RELAY_SOFTWARE[relay].certificateStep(certificate, endpoint);
}

/** What sets the smart host the message was sent to, for prose: the send connector's, or the relay's own setting. */
export function smartHostSetting(ctx: RemediationContext): string {
  return ctx.relay === undefined ? "the send connector's smart host" : RELAY_SOFTWARE[ctx.relay].smartHost;
}

/** The step that points the smart host at `endpoint`, the tenant's MX endpoint, and only there. */
export function smartHostStep(ctx: RemediationContext, names: Names, endpoint: string): string {
  if (ctx.relay !== undefined) return RELAY_SOFTWARE[ctx.relay].smartHostStep(endpoint);
  return (
    `Set the smart host of send connector "${names.sendConnector}" to that endpoint only: not an IP address, ` +
    "not another tenant's or region's host."
  );
}

/** The commands of {@link smartHostStep}: show and set the send connector's, or the relay's lines. */
export function smartHostCommands(ctx: RemediationContext, names: Names, endpoint: string): string[] {
  if (ctx.relay !== undefined) return RELAY_SOFTWARE[ctx.relay].smartHostCommands(endpoint);
  return [
    `Get-SendConnector -Identity ${psQuote(names.sendConnector)} | Format-List SmartHosts,DNSRoutingEnabled,RequireTLS,TlsAuthLevel,Fqdn`,
    `Set-SendConnector -Identity ${psQuote(names.sendConnector)} -SmartHosts ${psArg(endpoint)} -DNSRoutingEnabled $false`,
  ];
}

/**
 * How to look up `domain`'s MX endpoint where the sending server runs: `dig` on a Unix relay,
 * Resolve-DnsName on Windows (Exchange, IIS). `inProse` is the form a step quotes.
 */
export function mxLookup(ctx: RemediationContext, domain: string): { inProse: string; command: string } {
  const unix = ctx.relay === undefined ? undefined : RELAY_SOFTWARE[ctx.relay].mxLookup?.(domain);
  if (unix !== undefined) return { inProse: unix, command: unix };
  return {
    inProse: `Resolve-DnsName -Type MX ${domain}`,
    command: `Resolve-DnsName -Type MX -Name ${psArg(domain)}`,
  };
}

/**
 * Final step: how to see that the change worked, in the log of what sent the message: Exchange's
 * message tracking log, or the relay's own mail log. `what` names the next such message;
 * `exchangeRefusal` what a tracking log shows instead of SEND while the refusal lasts.
 */
export function verifyStep(
  ctx: RemediationContext,
  names: Names,
  what: string,
  exchangeRefusal = `FAIL with ${names.codeText}`,
): string {
  if (ctx.relay !== undefined) {
    const verify = RELAY_SOFTWARE[ctx.relay].verify(what, { code: ctx.code, codeText: names.codeText });
    return `Check the result on ${names.server}: ${verify}.`;
  }
  return `Check the result in the message tracking log on ${names.server}: the next ${what} should show a SEND event to Office 365 instead of ${exchangeRefusal}.`;
}
