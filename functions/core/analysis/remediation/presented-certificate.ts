/**
 * Advice from the certificate a send protocol log shows the server presented: which side to change
 * — the inbound connector's `TlsSenderCertificateName`, or the certificate bound to the on-premises
 * send connector (`Set-SendConnector -TlsCertificateName "<I>issuer<S>subject"`) — and the
 * commands that do it.
 */

import { psArg, psQuote } from '../../kernel/powershell.js';
import { isWildcard, namesMatch, parentOf } from '../../organisation/host-names.js';
import { connectorFit, describeCertificate } from '../evidence/presented-certificate.js';
import type { ConnectorChoice } from './connector-plan.js';
import type { RemediationContext } from './context.js';
import {
  registeredSubdomainCommand,
  registerSubdomainText,
  type SubdomainRegistration,
} from './subdomain-registration.js';

/** The names of `shared.ts`'s `Names` this module uses (declared here: shared.ts imports this module). */
interface Names {
  server: string;
  domain: string;
  wildcard: string;
  sendConnector: string;
  inboundConnector: string;
  connectors: ConnectorChoice | undefined;
  registration: SubdomainRegistration | undefined;
}

/**
 * The connector name to expect for a certificate name: the advice's wildcard over its accepted
 * domain when that matches it (`*.contoso.com` covers `contoso.com` and every name below it, and
 * keeps matching when the certificate is renewed with another name there); without an accepted
 * domain, the wildcard over the name's parent, or a bare domain (`contoso.com`) itself.
 */
export function connectorNameFor(certificateName: string, wildcard: string): string {
  if (namesMatch(wildcard, certificateName)) return wildcard;
  if (isWildcard(certificateName)) return certificateName;
  const parent = parentOf(certificateName);
  return parent?.includes('.') ? `*.${parent}` : certificateName;
}

/** What the protocol log lets us say should change. */
export type CertificateVerdict =
  /** The session used no TLS: no certificate was presented. */
  | { side: 'server-tls' }
  /**
   * The certificate expired, is self-signed, comes from an internal CA or names no accepted domain:
   * another certificate is needed, unless registering a subdomain makes its name count (`registration`).
   */
  | {
      side: 'certificate';
      why: 'expired' | 'self-signed' | 'internal-ca' | 'no-accepted-name';
      registration?: SubdomainRegistration;
    }
  /** The certificate is fine; the connector must expect one of its names. */
  | { side: 'connector'; target: string; name: string }
  /**
   * The connector's name matches, but it pins (`<I>…`) another issuer than the certificate's: the
   * connector must pin none (the domain form `target`) or the certificate's issuer.
   */
  | { side: 'issuer'; target: string; name: string; pinned: string; issuer: string }
  /** Certificate and connector agree: the cause is elsewhere (chain, IP, enablement). */
  | { side: 'neither' };

/**
 * Which side to change, judged against the connector the finding names, or `undefined` when no
 * protocol log showed the session.
 */
export function certificateVerdict(ctx: RemediationContext, names: Names): CertificateVerdict | undefined {
  const session = ctx.session;
  if (session === undefined) return undefined;
  const certificate = session.certificate;
  if (certificate === undefined) return session.tls ? undefined : { side: 'server-tls' };
  if (certificate.selfSigned) return { side: 'certificate', why: 'self-signed' };
  if (certificate.internalCa) return { side: 'certificate', why: 'internal-ca' };
  if (certificate.expiredOn !== undefined) return { side: 'certificate', why: 'expired' };
  const name = certificate.acceptedNames[0];
  if (name === undefined) {
    // With no accepted domains known we cannot tell; only a given or inferred list decides.
    if (ctx.acceptedDomains.length === 0) return undefined;
    return names.registration === undefined
      ? { side: 'certificate', why: 'no-accepted-name' }
      : { side: 'certificate', why: 'no-accepted-name', registration: names.registration };
  }
  const connector = names.connectors?.connector;
  const fit =
    connector === undefined ? undefined : connectorFit(certificate.names, connector, certificate.issuer);
  if (fit === 'matches') return { side: 'neither' };
  const target = connectorNameFor(name, names.wildcard);
  if (fit === 'issuer-differs' && connector?.tlsSenderCertificateIssuer !== undefined) {
    const pinned = connector.tlsSenderCertificateIssuer;
    return { side: 'issuer', target, name, pinned, issuer: certificate.issuer ?? '' };
  }
  return { side: 'connector', target, name };
}

/** `<I>issuer<S>subject` pinning the presented certificate's issuer, with the connector's subject. */
function issuerPinValue(verdict: Extract<CertificateVerdict, { side: 'issuer' }>, names: Names): string {
  const connector = names.connectors?.connector;
  const subject =
    connector?.tlsSenderCertificateSubject ?? `CN=${connector?.tlsSenderCertificateName ?? verdict.name}`;
  return `<I>${verdict.issuer}<S>${subject}`;
}

/** What an issuer the connector pins but did not issue the certificate does, in one sentence. */
function issuerPinProblem(
  verdict: Extract<CertificateVerdict, { side: 'issuer' }>,
  connectorText: string,
): string {
  return (
    `${connectorText} expects a name the certificate matches, but its TlsSenderCertificateName also pins the ` +
    `issuer ${verdict.pinned} (the <I>issuer<S>subject form), and the issuer the connector pins is not the ` +
    `presented certificate's issuer ${verdict.issuer}: a certificate renewed from another CA no longer matches ` +
    'the connector, which can make Exchange Online refuse to attribute the connection to your tenant.'
  );
}

/** The certificate in a sentence: `EX01 presented CN=… (SAN …)`. */
export function presentedText(ctx: RemediationContext, names: Names): string | undefined {
  const session = ctx.session;
  if (session === undefined) return undefined;
  if (session.certificate === undefined) {
    return session.tls
      ? undefined
      : `The send protocol log shows ${names.server} sent this message without STARTTLS, so it presented no certificate at all.`;
  }
  const certificate = describeCertificate(session.certificate);
  return session.certificate.viaFrontEnd
    ? `The send protocol log shows ${names.server} sent through the outbound proxy front end and told it to present ${certificate} to Exchange Online (the certificate send connector "${names.sendConnector}" names).`
    : `The send protocol log shows ${names.server} presented ${certificate} after STARTTLS.`;
}

/**
 * The connector-mismatch step that says which side to change and why, from the presented
 * certificate and (when known) the connector. `undefined` when no protocol log showed the session.
 */
export function certificateSideStep(ctx: RemediationContext, names: Names): string | undefined {
  const verdict = certificateVerdict(ctx, names);
  const presented = presentedText(ctx, names);
  if (verdict === undefined || presented === undefined) return undefined;
  const connector = names.connectors?.connector;
  const connectorText = connector === undefined ? 'your OnPremises inbound connector' : `"${connector.name}"`;
  const expected = connector?.tlsSenderCertificateName?.trim();
  switch (verdict.side) {
    case 'server-tls':
      return (
        `${presented} Change the server side: send connector "${names.sendConnector}" must use TLS to Exchange ` +
        `Online (-RequireTLS $true -TlsAuthLevel CertificateValidation, command below) and present a certificate ` +
        `with a name in ${names.domain}; until then only the IP address can identify ${names.server}.`
      );
    case 'certificate':
      if (verdict.registration !== undefined) {
        return registrationStep(verdict.registration, presented, names, connectorText, expected);
      }
      return (
        `${presented} Change the certificate, not the connector: ` +
        (verdict.why === 'self-signed'
          ? 'it is self-signed, and Exchange Online only trusts certificates issued by a public certification authority. '
          : verdict.why === 'internal-ca'
            ? `it was ${internalCaText(ctx)}, and Exchange Online only trusts certificates issued by a public certification authority. `
            : verdict.why === 'expired'
              ? `it had expired (on ${ctx.session?.certificate?.expiredOn}) before the refusal: renew it. `
              : `none of its names is in an accepted domain, so no connector setting can attribute mail by it. `) +
        `Bind a certificate from a public CA with a name in ${names.domain}` +
        (expected ? ` that matches ${expected}` : '') +
        ` to send connector "${names.sendConnector}" with Set-SendConnector -TlsCertificateName ` +
        `"<I>issuer<S>subject" (its issuer and subject as Get-ExchangeCertificate shows them; commands below).`
      );
    case 'connector': {
      if (connector?.identifiesBy === 'ip') {
        // Switching the IP-only connector would cut off what relays through it by IP: add a second one.
        return (
          `${presented} The certificate is usable: ${verdict.name} is in an accepted domain. But ${connectorText} ` +
          `identifies the server by IP address only, so the certificate is not used. Either add the public IP ` +
          `address ${names.server} reaches Exchange Online from to ${connectorText}, or let the certificate ` +
          `attribute the mail: create a second, certificate-based OnPremises connector expecting ${verdict.target}, ` +
          `which matches ${verdict.name} (command below), and keep ${connectorText} for what relays by IP address.`
        );
      }
      const now =
        connector === undefined
          ? ''
          : expected
            ? ` (it expects ${expected}, which no name on the certificate matches)`
            : ' (it names no certificate now)';
      return (
        `${presented} The certificate is usable: ${verdict.name} is in an accepted domain. Change the connector, ` +
        `not the certificate: set TlsSenderCertificateName of ${connectorText}${now} to ${verdict.target}, which ` +
        `matches ${verdict.name} and keeps matching when the certificate is renewed (command below). ` +
        (expected
          ? `Alternatively bind a certificate that carries ${expected} to send connector "${names.sendConnector}" ` +
            '(Set-SendConnector -TlsCertificateName).'
          : '')
      ).trim();
    }
    case 'issuer':
      return (
        `${presented} ${issuerPinProblem(verdict, connectorText)} Change the connector: set its ` +
        `TlsSenderCertificateName to the domain form ${verdict.target}, which pins no issuer and matches ` +
        `${verdict.name} (command below), or, to keep pinning the issuer, to "${issuerPinValue(verdict, names)}".`
      );
    case 'neither': {
      const matches = `${presented} It matches ${expected ?? 'the connector'} of ${connectorText}, so the certificate names are not the cause`;
      switch (names.connectors?.role) {
        case 'enable':
          return `${matches}: ${connectorText} is disabled, and a disabled connector matches no server. Enable it (command below).`;
        case 'use':
          return (
            `${matches}, and ${connectorText} is an enabled OnPremises connector: check that its name is an accepted ` +
            `domain or a wildcard over one, and that ${names.server} sends the intermediate chain (next steps).`
          );
        default:
          return (
            `${matches}: check that the connector is enabled, of type OnPremises, that its name is an accepted domain ` +
            `or a wildcard over one, and that ${names.server} sends the intermediate chain (next steps).`
          );
      }
    }
  }
}

/**
 * The commands that make the change {@link certificateVerdict} calls for (none when nothing is to
 * change): for a name that counts once its subdomain is registered, the check of the registration and
 * the connector change it still needs, then the other certificate as the alternative.
 */
export function certificateSideCommands(ctx: RemediationContext, names: Names): string[] {
  const verdict = certificateVerdict(ctx, names);
  if (verdict === undefined || verdict.side === 'neither' || verdict.side === 'server-tls') return [];
  if (verdict.side === 'connector' || verdict.side === 'issuer')
    return [connectorCommand(names, verdict.target)];
  const rebind =
    `Set-SendConnector -Identity ${psQuote(names.sendConnector)} -TlsCertificateName ` +
    psQuote(`<I><issuer of a certificate for ${names.wildcard}><S><its subject>`);
  const registration = verdict.registration;
  if (registration === undefined) return [rebind];
  const target = registrationTarget(registration, names);
  return [
    registeredSubdomainCommand(registration),
    ...(target === undefined ? [] : [connectorCommand(names, target)]),
    rebind,
  ];
}

/** Makes the named connector expect `target`; beside an IP-only one, a second, certificate-based one. */
function connectorCommand(names: Names, target: string): string {
  const connector = names.connectors?.connector;
  if (connector?.identifiesBy === 'ip') {
    return (
      `New-InboundConnector -Name ${psQuote(`${connector.name} (certificate)`)} -ConnectorType OnPremises ` +
      `-SenderDomains * -RequireTls $true -TlsSenderCertificateName ${psArg(target)} -RestrictDomainsToCertificate $true`
    );
  }
  return (
    `Set-InboundConnector -Identity ${psQuote(names.inboundConnector)} -TlsSenderCertificateName ` +
    `${psArg(target)} -RestrictDomainsToCertificate $true`
  );
}

/**
 * The certificate name the connector must expect once the subdomain is registered, or `undefined`
 * when the connector the finding names already expects one that matches.
 */
function registrationTarget(registration: SubdomainRegistration, names: Names): string | undefined {
  const connector = names.connectors?.connector;
  if (connector !== undefined && connectorFit([registration.name], connector) === 'matches') return undefined;
  return connectorNameFor(registration.name, names.wildcard);
}

/**
 * KB 4019940's preferred fix as the connector-mismatch step: register the subdomain so the
 * certificate counts as it is, with the connector change that still needs; the other certificate
 * second.
 */
function registrationStep(
  registration: SubdomainRegistration,
  presented: string,
  names: Names,
  connectorText: string,
  expected: string | undefined,
): string {
  const { name, domain, acceptedParent } = registration;
  const target = registrationTarget(registration, names);
  const connector =
    target === undefined
      ? `${connectorText} already expects ${expected}, which matches it`
      : names.connectors?.connector.identifiesBy === 'ip'
        ? `${connectorText} identifies servers by IP address only, so add a second, certificate-based ` +
          `OnPremises connector expecting ${target}, which matches it (command below)`
        : `set TlsSenderCertificateName of ${connectorText} to ${target}, which matches it (command below)`;
  return (
    `${presented} No name on it counts yet: Exchange Online attributes ${name} through ${domain}, the domain ` +
    `just above it, and only ${acceptedParent} is accepted. Preferably keep the certificate: ` +
    `${registerSubdomainText(registration)}; then ${connector}. Or change the certificate: bind one from a ` +
    `public CA with a name directly in ${acceptedParent} to send connector "${names.sendConnector}" with ` +
    'Set-SendConnector -TlsCertificateName "<I>issuer<S>subject" (its issuer and subject as ' +
    'Get-ExchangeCertificate shows them; commands below).'
  );
}

/** Lists the server's certificates with the names and issuer `-TlsCertificateName` needs. */
export const LIST_CERTIFICATES_COMMAND =
  "Get-ExchangeCertificate | Where-Object { $_.Services -match 'SMTP' } | Format-List Subject,Issuer,CertificateDomains,NotAfter,Thumbprint,Status";

/** Why the presented certificate cannot attribute mail, as the note's first words say it. */
const CERTIFICATE_PROBLEM: Record<
  Extract<CertificateVerdict, { side: 'certificate' }>['why'],
  (ctx: RemediationContext) => string
> = {
  'self-signed': () => 'It is self-signed',
  'internal-ca': (ctx) => `It was ${internalCaText(ctx)}`,
  expired: (ctx) => `It had expired (on ${ctx.session?.certificate?.expiredOn}) before the refusal`,
  'no-accepted-name': () => 'None of its names is in an accepted domain',
};

/** `issued by your internal CA CN=… (…)`: the issuer's `DC=` components are the ones AD CS writes. */
function internalCaText(ctx: RemediationContext): string {
  return (
    `issued by your internal CA ${ctx.session?.certificate?.issuer ?? ''} (its DC= components are the ones ` +
    'Active Directory Certificate Services writes)'
  );
}

/**
 * For the other scenarios: one sentence on what the presented certificate means for the
 * certificate-based connector they need, or `undefined` without a protocol log.
 */
export function presentedCertificateNote(ctx: RemediationContext, names: Names): string | undefined {
  const presented = presentedText(ctx, names);
  const verdict = certificateVerdict(ctx, names);
  if (presented === undefined || verdict === undefined) return presented;
  switch (verdict.side) {
    case 'server-tls':
      return `${presented} A certificate-based connector needs TLS: enable it on the send connector first.`;
    case 'certificate':
      if (verdict.registration !== undefined) {
        // The accepted domain step, before this one, offers the registration (KB 4019940's preferred fix).
        return (
          `${presented} None of its names counts yet, so unless you register ${verdict.registration.domain} ` +
          `(the accepted domain step above), bind a certificate from a public CA with a name directly in ` +
          `${verdict.registration.acceptedParent} to send connector "${names.sendConnector}" ` +
          '(Set-SendConnector -TlsCertificateName "<I>issuer<S>subject").'
        );
      }
      return (
        `${presented} ${CERTIFICATE_PROBLEM[verdict.why](ctx)}, ` +
        `so even a certificate-based connector cannot attribute these messages by it: ${verdict.why === 'expired' ? 'renew it, or ' : ''}bind a certificate from a public ` +
        `CA with a name in ${names.domain} to send connector "${names.sendConnector}" ` +
        '(Set-SendConnector -TlsCertificateName "<I>issuer<S>subject").'
      );
    case 'issuer':
      return (
        `${presented} Its name ${verdict.name} is in an accepted domain, but ` +
        `${issuerPinProblem(verdict, `"${names.connectors?.connector.name ?? names.inboundConnector}"`)} Set its TlsSenderCertificateName to ` +
        `${verdict.target}, which pins no issuer, or to "${issuerPinValue(verdict, names)}".`
      );
    case 'connector':
    case 'neither': {
      const accepted = `${presented} Its name ${certificateName(verdict, ctx)} is in an accepted domain`;
      const choice = names.connectors;
      // Only a connector whose name fits can attribute by it: a matching host name (the Hybrid wizard's) cannot.
      if (verdict.side === 'neither' && (choice?.role === 'use' || choice?.role === 'enable')) {
        const expects = `and matches ${choice.connector.tlsSenderCertificateName ?? ''} of "${choice.connector.name}"`;
        return choice.role === 'use'
          ? `${accepted} ${expects}, so this certificate can attribute these messages.`
          : `${accepted} ${expects}, so this certificate can attribute these messages once that connector is enabled.`;
      }
      return `${accepted}, so the certificate itself can attribute these messages once a connector expects it.`;
    }
  }
}

function certificateName(verdict: CertificateVerdict, ctx: RemediationContext): string {
  return verdict.side === 'connector' ? verdict.name : (ctx.session?.certificate?.acceptedNames[0] ?? '');
}
