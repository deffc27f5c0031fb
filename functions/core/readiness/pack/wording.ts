/**
 * Names and phrases the readiness texts share: which wildcard to recommend, how to print dates and
 * lists, and the PowerShell commands, filled with the organisation's real names and quoted with
 * `psQuote`/`psArg` (names come from exports, not from us).
 */

import { plural } from '../../kernel/counts-in-words.js';
import { PLACEHOLDER_SEND_CONNECTOR } from '../../kernel/placeholders.js';
import { psArg, psQuote } from '../../kernel/powershell.js';
import { type CertificateFile, certificateNames } from '../../organisation/certificates.js';
import type { InboundConnector } from '../../organisation/connectors.js';
import {
  closestAcceptedDomain,
  isWildcard,
  namesMatch,
  normaliseName,
  parentOf,
  stripWildcard,
} from '../../organisation/host-names.js';
import type { RuleInput } from '../rules/rule.js';
import { certificateConnectors } from '../rules/select.js';
import { DAY_MS } from '../rules/validity.js';

/** `2026-06-01` (UTC). */
export function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The time between two dates in whole days, rounded down, for the validity texts: an hour past
 * notAfter is never "1 day before" the same date, and 29.9 days left is never "30 days" (within the
 * 30 it warns of).
 */
export function wholeDays(from: Date, to: Date): string {
  const days = Math.floor(Math.abs(to.getTime() - from.getTime()) / DAY_MS);
  return days < 1 ? 'less than a day' : plural(days, 'day');
}

/** `a`, `a and b`, `a, b and c`. */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The accepted domain to use when nothing more specific is known: the first Authoritative one. */
export function preferredDomain(input: RuleInput): string {
  const authoritative = input.acceptedDomains.entries.find((entry) => entry.type === 'Authoritative');
  return stripWildcard(authoritative?.domain ?? input.acceptedDomains.domains()[0] ?? 'contoso.com');
}

/**
 * The domains `D` whose connector wildcard `*.D` would cover `name`, most specific first: a wildcard
 * name's own base, a name that is itself an accepted domain (`contoso.com` on the certificate), then
 * each domain above it. Single labels (`com`) are never a domain to name.
 */
function domainsAround(name: string, listed: readonly string[]): string[] {
  const n = normaliseName(name);
  const base = stripWildcard(n);
  const domains = isWildcard(n) || listed.includes(n) ? [base] : [];
  for (let parent = parentOf(base); parent?.includes('.'); parent = parentOf(parent)) domains.push(parent);
  return domains;
}

/**
 * A wildcard over an accepted domain that matches a name on one of `certificates` (`namesMatch`,
 * the rule the checks apply), over the most specific such domain, so the advice names what the real
 * certificate carries; `undefined` when no name lies in an accepted domain.
 */
export function wildcardForCertificates(
  input: RuleInput,
  certificates: readonly CertificateFile[],
): string | undefined {
  const listed = input.acceptedDomains.domains();
  for (const file of certificates) {
    for (const name of certificateNames(file.leaf)) {
      for (const domain of domainsAround(name, listed)) {
        const wildcard = `*.${domain}`;
        if (input.acceptedDomains.covers(domain) === true && namesMatch(wildcard, name)) return wildcard;
      }
    }
  }
  return undefined;
}

/**
 * The certificate domain to recommend for a connector: with `near` (the connector's current name),
 * the wildcard over the accepted domain closest to it, which covers every name in that domain and
 * keeps the connector in it; else {@link wildcardForCertificates} over the given certificates; else
 * a wildcard over {@link preferredDomain}.
 */
export function recommendedCertificateDomain(input: RuleInput, near?: string): string {
  const nearDomain = near === undefined ? undefined : closestAcceptedDomain(near, input.acceptedDomains);
  if (nearDomain !== undefined) return `*.${nearDomain}`;
  return wildcardForCertificates(input, input.certificates) ?? `*.${preferredDomain(input)}`;
}

/**
 * The step that points the OnPremises connector at a certificate with a name in `domain`: an
 * enabled certificate connector whose name already covers `domain` needs no change, and is named
 * as such instead of being told to take the value it has.
 */
export function connectorForDomainStep(input: RuleInput, domain: string): string {
  const fitting = certificateConnectors(input).find((connector) => {
    const name = connector.tlsSenderCertificateName ?? '';
    return isWildcard(name) && namesMatch(name, domain);
  });
  return fitting === undefined
    ? `Then set the OnPremises inbound connector's certificate domain to a wildcard over that domain (*.${domain}).`
    : `${quoted(fitting)} already expects ${fitting.tlsSenderCertificateName}, which covers names in ${domain}: ` +
        'it needs no change once the certificate carries such a name.';
}

/** `"Inbound from EX01"` for prose. */
export function quoted(connector: InboundConnector): string {
  return `"${connector.name}"`;
}

/** How a connector identifies the server, in words. */
export function identification(connector: InboundConnector): string {
  if (connector.tlsSenderCertificateName !== undefined) {
    return `by certificate ${connector.tlsSenderCertificateName}`;
  }
  if (connector.senderIPAddresses.length > 0) return `by IP address (${list(connector.senderIPAddresses)})`;
  return 'by nothing (neither certificate nor IP address)';
}

const INBOUND_PROPERTIES =
  'Name,Enabled,ConnectorType,ConnectorSource,SenderIPAddresses,TlsSenderCertificateName,RestrictDomainsToCertificate,RestrictDomainsToIPAddresses,RequireTls';

/** Lists one connector (or all) with the properties the checks read. */
export function getInboundConnector(connector?: InboundConnector): string {
  const identity = connector === undefined ? '' : ` -Identity ${psQuote(connector.name)}`;
  return `Get-InboundConnector${identity} | Format-List ${INBOUND_PROPERTIES}`;
}

/** KB step 1 on an existing connector: identify by `certificateDomain` and attribute by it. */
export function setCertificateName(connector: InboundConnector, certificateDomain: string): string {
  return (
    `Set-InboundConnector -Identity ${psQuote(connector.name)} ` +
    `-TlsSenderCertificateName ${psArg(normaliseName(certificateDomain))} -RestrictDomainsToCertificate $true`
  );
}

/**
 * An IP-only connector switched to certificate identification. The IP identification is removed
 * too: while RestrictDomainsToIPAddresses is on, the IP list keeps deciding attribution.
 */
export function switchToCertificate(connector: InboundConnector, certificateDomain: string): string {
  return (
    `${setCertificateName(connector, certificateDomain)} -RequireTls $true` +
    ' -SenderIPAddresses $null -RestrictDomainsToIPAddresses $false'
  );
}

/** A new certificate-based OnPremises connector, as KB 3169958 describes it. */
export function newCertificateConnector(name: string, certificateDomain: string): string {
  return (
    `New-InboundConnector -Name ${psQuote(name)} -ConnectorType OnPremises -SenderDomains * ` +
    `-RequireTls $true -TlsSenderCertificateName ${psArg(certificateDomain)} -RestrictDomainsToCertificate $true`
  );
}

export const GET_ACCEPTED_DOMAINS = 'Get-AcceptedDomain | Format-Table DomainName,DomainType,MatchSubDomains';

export const GET_SMTP_CERTIFICATES =
  "Get-ExchangeCertificate | Where-Object { $_.Services -match 'SMTP' } | Format-List Subject,CertificateDomains,NotBefore,NotAfter,Thumbprint,Status";

const RENEWED = '<thumbprint of the new certificate>';

/** On-premises Exchange: put a new certificate into use for SMTP and on the send connector. */
export function useNewCertificateCommands(): string[] {
  return [
    `Enable-ExchangeCertificate -Thumbprint ${psQuote(RENEWED)} -Services SMTP`,
    `$cert = Get-ExchangeCertificate -Thumbprint ${psQuote(RENEWED)}`,
    `Set-SendConnector -Identity ${psQuote(PLACEHOLDER_SEND_CONNECTOR)} -TlsCertificateName "<I>$($cert.Issuer)<S>$($cert.Subject)"`,
  ];
}
