/**
 * Words and commands for the certificate checks: names, validity and chain of the certificate the
 * on-premises server presents to Exchange Online (docs/domain.md §1 steps 1–3, §4).
 */

import { plural } from '../../kernel/counts-in-words.js';
import {
  LINK_ADD_DOMAIN,
  LINK_HYBRID_CERTIFICATES,
  LINK_OFFICE_365_NOTICE,
  LINK_RELAY_ACCESS_DENIED,
  LINK_SET_INBOUND_CONNECTOR,
} from '../../kernel/links.js';
import { psQuote } from '../../kernel/powershell.js';
import {
  type CertificateFile,
  certificateFileLabel,
  certificateLabel,
  certificateNames,
} from '../../organisation/certificates.js';
import type { InboundConnector } from '../../organisation/connectors.js';
import { closestAcceptedDomain, isWildcard, namesMatch } from '../../organisation/host-names.js';
import { windowsDistinguishedName } from '../../organisation/x509-names.js';
import type { CertificateInFile, RuleInput } from '../rules/rule.js';
import { EXPIRY_WARNING_DAYS } from '../rules/validity.js';
import type { ReadinessTemplate, ReadinessText } from './template.js';
import {
  connectorForDomainStep,
  day,
  GET_ACCEPTED_DOMAINS,
  GET_SMTP_CERTIFICATES,
  list,
  preferredDomain,
  quoted,
  recommendedCertificateDomain,
  setCertificateName,
  useNewCertificateCommands,
  wholeDays,
  wildcardForCertificates,
} from './wording.js';

/** `the server certificate mail.contoso.com (file)` or `the chain certificate "CN=…" in file (…)`. */
function which({ file, certificate, role }: CertificateInFile): string {
  return role === 'leaf'
    ? `Certificate ${certificateFileLabel(file)}`
    : `Chain certificate ${certificate.subject} in ${file.file} (part of the chain of ${certificateLabel(file.leaf)})`;
}

/** Steps and commands to put a renewed certificate into use, shared by the validity checks. */
function renewal(entry: CertificateInFile): ReadinessText['remediation'] {
  const names = certificateNames(entry.file.leaf);
  const leaf = entry.role === 'leaf';
  return {
    steps: [
      leaf
        ? `Renew the certificate with the same names (${list(names)}) from your CA, and install it on the server ` +
          'with its intermediate chain.'
        : `Install the current intermediate certificate of your CA on the server (${entry.certificate.subject} ` +
          'was replaced by the CA) and send it with the server certificate; renew the server certificate if the CA ' +
          'issued it under the old intermediate.',
      'Exchange: assign the new certificate to SMTP and point the send connector to Office 365 at it (commands ' +
        'below); in a hybrid deployment, re-run the Hybrid Configuration Wizard instead, which updates both the ' +
        'send connector and the inbound connector.',
      'If the new certificate has other names, check that the OnPremises inbound connector still matches one of ' +
        'them (a wildcard such as *.contoso.com keeps matching), then run relay-audit check with the new PEM.',
    ],
    commands: [GET_SMTP_CERTIFICATES, ...useNewCertificateCommands()],
    links: [LINK_RELAY_ACCESS_DENIED, LINK_HYBRID_CERTIFICATES],
  };
}

export const certificateExpiredText: ReadinessTemplate<'certificate-expired'> = (entry, input) => ({
  message:
    `${which(entry)} expired on ${day(entry.certificate.notAfter)}, ` +
    `${wholeDays(entry.certificate.notAfter, input.at)} before ${day(input.at)}. Exchange Online ` +
    'does not accept an expired certificate, so the server matches no certificate-based connector and relay is ' +
    'refused (550 5.7.64 TenantAttribution).',
  remediation: renewal(entry),
});

export const certificateNotYetValidText: ReadinessTemplate<'certificate-not-yet-valid'> = (entry, input) => ({
  message:
    `${which(entry)} is not valid before ${day(entry.certificate.notBefore)}, ` +
    `${wholeDays(input.at, entry.certificate.notBefore)} after ${day(input.at)}. If the server ` +
    'presents it now, Exchange Online rejects it and relay is refused.',
  remediation: {
    steps: [
      'Keep the current, valid certificate assigned to SMTP until the new one becomes valid, then switch.',
      `If it should already be valid, check the server's clock and the certificate you installed (valid from ` +
        `${day(entry.certificate.notBefore)} to ${day(entry.certificate.notAfter)}).`,
    ],
    commands: [GET_SMTP_CERTIFICATES],
    links: [LINK_RELAY_ACCESS_DENIED, LINK_HYBRID_CERTIFICATES],
  },
});

export const certificateExpiringText: ReadinessTemplate<'certificate-expiring'> = (entry, input) => ({
  message:
    `${which(entry)} expires on ${day(entry.certificate.notAfter)}, in ${wholeDays(input.at, entry.certificate.notAfter)} ` +
    `(within ${EXPIRY_WARNING_DAYS} days of ${day(input.at)}). After that, Exchange Online no longer ` +
    'matches the server to its certificate-based connector and relay is refused.',
  remediation: renewal(entry),
});

/** Steps and commands to replace a certificate Exchange Online does not trust with one from a public CA. */
function publicCaCertificate(names: readonly string[]): ReadinessText['remediation'] {
  return {
    steps: [
      `Get a certificate from a public CA with the same names (${list(names)}) and install it on the server ` +
        'with its intermediate chain.',
      'Exchange: assign it to SMTP and to the send connector to Office 365 (commands below), or re-run the ' +
        'Hybrid Configuration Wizard in a hybrid deployment.',
    ],
    commands: [GET_SMTP_CERTIFICATES, ...useNewCertificateCommands()],
    links: [LINK_RELAY_ACCESS_DENIED, LINK_HYBRID_CERTIFICATES],
  };
}

export const certificateSelfSignedText: ReadinessTemplate<'certificate-self-signed'> = ({ certificate }) => ({
  message:
    `Certificate ${certificateFileLabel(certificate)} is self-signed: no CA vouches for it, so Exchange Online ` +
    'does not trust it and cannot attribute relayed mail by it (KB 3212877).',
  remediation: publicCaCertificate(certificateNames(certificate.leaf)),
});

/** Why a private CA's certificate never attributes relay, after the sentence naming the CA. */
const ONLY_PUBLIC_CAS =
  'Exchange Online trusts only certificates a public CA issued, so no certificate-based connector matches a ' +
  'server that presents this one and relay is refused (550 5.7.64 TenantAttribution; KB 3212877).';

/**
 * A check that does not apply to a self-signed certificate (it has no CA and no chain): "not
 * checked", with why, never passed; `certificate-self-signed` reports the certificate and its fix.
 */
function selfSignedNotChecked(certificate: CertificateFile, what: string): ReadinessText {
  return {
    message:
      `not checked: ${what} of certificate ${certificateFileLabel(certificate)} — it is self-signed, which ` +
      'certificate-self-signed reports',
    remediation: {
      steps: [
        'Replace the self-signed certificate with one from a public CA (see certificate-self-signed), then check ' +
          'again with the new certificate and its chain.',
      ],
      commands: [],
      links: [],
    },
  };
}

export const certificateNotPublicCaText: ReadinessTemplate<'certificate-not-public-ca'> = (
  { certificate, reason, ca, activeDirectory },
  input,
) => {
  if (reason === 'self-signed')
    return selfSignedNotChecked(certificate, 'whether a public CA issued the chain');
  const label = certificateFileLabel(certificate);
  if (reason === 'unknown-issuer') {
    return {
      message:
        `not checked: whether certificate ${label} comes from a public CA — its chain in the file stops below ` +
        `${ca}, which is neither in the file nor a public root CA`,
      remediation: {
        steps: [
          `Give ${certificate.file} with the whole chain up to the root CA (export it with "Include all ` +
            'certificates in the certification path", or capture what the server sends: openssl s_client ' +
            '-connect <server>:25 -starttls smtp -showcerts) and run relay-audit check again.',
        ],
        commands: [],
        links: [],
      },
    };
  }
  const internal = 'its DC= components mark an internal Active Directory Certificate Services CA';
  const message =
    reason === 'private-root'
      ? `Certificate ${label} leads to the root CA ${ca}, which is not a public CA${activeDirectory ? `: ${internal}` : ''}. `
      : `Certificate ${label} comes from the CA ${ca}: ${internal}. `;
  // Internal names (ex01.contoso.local) cannot be on a public certificate: keep the accepted ones.
  const names = certificateNames(certificate.leaf);
  const accepted = names.filter((name) => closestAcceptedDomain(name, input.acceptedDomains) !== undefined);
  const replace = publicCaCertificate(accepted.length > 0 ? accepted : names);
  return {
    message: `${message}${ONLY_PUBLIC_CAS}`,
    remediation: {
      ...replace,
      steps: [
        ...replace.steps,
        "relay-audit knows the public root CAs Node.js ships (Mozilla's list); if your CA is public but its " +
          "root is not on that list, check that Microsoft's Trusted Root Program includes it.",
      ],
    },
  };
};

export const certificateChainMissingText: ReadinessTemplate<'certificate-chain-missing'> = ({
  certificate,
  reason,
}) => {
  if (reason === 'self-signed') return selfSignedNotChecked(certificate, 'the chain');
  const message =
    reason === 'leaf-only'
      ? `${certificate.file} holds only the server certificate ${certificateLabel(certificate.leaf)}, issued by ` +
        `${certificate.leaf.issuer}, without the intermediate CA certificates. The server must send them with ` +
        'its own certificate, or Exchange Online cannot validate it and the connector does not match (KB 3212877).'
      : `${certificate.file} holds ${plural(certificate.chain.length, 'other certificate')}, but none of them ` +
        `issued the server certificate ${certificateLabel(certificate.leaf)} (issuer ${certificate.leaf.issuer}): ` +
        'the chain is incomplete, and Exchange Online cannot validate the certificate (KB 3212877).';
  return {
    message,
    remediation: {
      steps: [
        `Install the intermediate CA certificates of ${certificate.leaf.issuer} on the server (Windows: the ` +
          'Local Computer "Intermediate Certification Authorities" store) so that it sends the full chain after ' +
          'STARTTLS.',
        'If the server already has them and only this file lacks them, export the certificate again with its ' +
          'chain (or capture it: openssl s_client -connect <server>:25 -starttls smtp -showcerts) and run ' +
          'relay-audit check with that PEM.',
      ],
      commands: [
        `Get-ExchangeCertificate -Thumbprint ${psQuote(certificate.leaf.thumbprint)} | Format-List Subject,Issuer,NotAfter,Status`,
        `Import-Certificate -FilePath ${psQuote('<intermediate CA certificate>.cer')} -CertStoreLocation Cert:\\LocalMachine\\CA`,
      ],
      links: [LINK_RELAY_ACCESS_DENIED, LINK_HYBRID_CERTIFICATES],
    },
  };
};

/**
 * The connectors' names match the certificate, but each pins (`<I>…`) an issuer that did not issue
 * it: Exchange Online matches the connector to a certificate from that issuer only.
 */
function issuerPinText(
  certificate: CertificateFile,
  pins: readonly InboundConnector[],
  input: RuleInput,
): ReadinessText {
  const issuer = windowsDistinguishedName(certificate.leaf.x509.issuer);
  const fixes = pins.map((connector) => {
    const name = connector.tlsSenderCertificateName ?? '';
    return {
      connector,
      domainForm: isWildcard(name) ? name : recommendedCertificateDomain(input, name),
      x500: `<I>${issuer}<S>${connector.tlsSenderCertificateSubject ?? `CN=${name}`}`,
    };
  });
  const pinned = pins.map(
    (connector) => `${quoted(connector)} pins the issuer ${connector.tlsSenderCertificateIssuer ?? ''}`,
  );
  return {
    message:
      `Certificate ${certificateFileLabel(certificate)} was issued by ${issuer}, but ${list(pinned)} in its ` +
      'TlsSenderCertificateName (the <I>issuer<S>subject form), which is not that issuer, although the name ' +
      'matches. Exchange Online then matches the server to no connector — typical after a certificate is ' +
      'renewed from another CA — and relay is refused with 550 5.7.64 TenantAttribution.',
    remediation: {
      steps: [
        ...fixes.map(
          ({ connector, domainForm, x500 }) =>
            `Set the certificate domain of ${quoted(connector)} to the domain form ${domainForm}, which pins no ` +
            'issuer and keeps matching when the certificate is renewed from another CA (command below) — or, to ' +
            `keep pinning the issuer, to ${x500} (the alternative command), which must change again whenever the ` +
            'issuer does.',
        ),
        'Check that this is the certificate the server presents to Exchange Online, and its issuer as Windows ' +
          'shows it (last command below) — to be sure, in the send protocol log, whose "Certificate issuer name" ' +
          'line follows the certificate sent after STARTTLS.',
      ],
      commands: [
        ...fixes.flatMap(({ connector, domainForm, x500 }) => [
          setCertificateName(connector, domainForm),
          `Set-InboundConnector -Identity ${psQuote(connector.name)} -TlsSenderCertificateName ${psQuote(x500)} ` +
            '-RestrictDomainsToCertificate $true',
        ]),
        `Get-ExchangeCertificate -Thumbprint ${psQuote(certificate.leaf.thumbprint)} | Format-List Subject,Issuer,Services,NotAfter,Status`,
      ],
      links: [LINK_RELAY_ACCESS_DENIED, LINK_SET_INBOUND_CONNECTOR],
    },
  };
}

export const certificateNameMismatchText: ReadinessTemplate<'certificate-name-mismatch'> = (
  { certificate, connectors, issuerPins },
  input,
) => {
  if (issuerPins.length > 0) return issuerPinText(certificate, issuerPins, input);
  const names = certificateNames(certificate.leaf);
  const expected = connectors.map(
    (connector) => `${quoted(connector)} expects ${connector.tlsSenderCertificateName}`,
  );
  const target = connectors[0];
  // It matches a name on the certificate and no connector here does: never the value `target` has.
  const wildcard = wildcardForCertificates(input, [certificate]);
  const matched = wildcard === undefined ? undefined : names.find((name) => namesMatch(wildcard, name));
  const steps = [
    wildcard !== undefined && target !== undefined
      ? `Set the certificate domain of ${quoted(target)} to ${wildcard}, which matches ${matched} on this ` +
        `certificate (command below) — or, if ${quoted(target)} must keep expecting ${target.tlsSenderCertificateName}, ` +
        'install a certificate whose CN or a SAN matches that name.'
      : `Install a certificate on the server whose CN or a SAN matches ${list(connectors.map((c) => c.tlsSenderCertificateName ?? ''))} ` +
        'and lies in an accepted domain.',
    'Check which certificate the server really presents to Exchange Online: the certificate assigned to SMTP ' +
      '(command below) and, to be sure, the send protocol log, which shows the certificate sent after STARTTLS.',
    'A wildcard certificate domain such as *.contoso.com matches contoso.com and every name below it ' +
      '(mail.contoso.com, smtp.eu.contoso.com); a certificate domain without wildcard, such as mail.contoso.com, ' +
      'matches only a certificate for that name (mail.contoso.com itself, or a wildcard certificate *.contoso.com).',
  ];
  return {
    message:
      `No name on certificate ${certificateFileLabel(certificate)} (${list(names) || 'no DNS names'}) matches an ` +
      `enabled certificate-based OnPremises connector: ${list(expected)}. Exchange Online will not match the ` +
      'server to a connector, and relay is refused with 550 5.7.64 TenantAttribution.',
    remediation: {
      steps,
      commands: [
        ...(wildcard !== undefined && target !== undefined ? [setCertificateName(target, wildcard)] : []),
        GET_SMTP_CERTIFICATES,
      ],
      links: [LINK_RELAY_ACCESS_DENIED, LINK_OFFICE_365_NOTICE, LINK_SET_INBOUND_CONNECTOR],
    },
  };
};

export const certificateNoAcceptedDomainText: ReadinessTemplate<'certificate-no-accepted-domain'> = (
  { certificate, names, registrable },
  input,
) => {
  const domain = preferredDomain(input);
  const steps = [
    ...registrable.map(
      ({ domain: sub, acceptedAncestor }) =>
        `Register ${sub} as a domain of the tenant (Microsoft 365 admin center > Settings > Domains) so that ` +
        `names such as host.${sub} count (KB 4019940), or use a certificate with a name directly in ` +
        `${acceptedAncestor}, such as mail.${acceptedAncestor}.`,
    ),
    ...(registrable.length === 0
      ? [
          `Get a certificate from a public CA with a name in an accepted domain, such as mail.${domain}, and ` +
            'install it on the server with its chain (internal names such as server.contoso.local cannot be ' +
            'on a public certificate).',
        ]
      : []),
    // `*.contoso.com` covers host.sub.contoso.com as well as mail.contoso.com: either fix above fits it.
    connectorForDomainStep(input, registrable[0]?.acceptedAncestor ?? domain),
  ];
  return {
    message:
      `No name on certificate ${certificateFileLabel(certificate)} (${list(names) || 'it has no DNS names'}) lies ` +
      `in an accepted domain (${list(input.acceptedDomains.domains())}). Exchange Online counts a certificate ` +
      'only when its CN or a SAN is in an accepted domain — for a host name, the domain just above it must be ' +
      'accepted (host.sub.contoso.com needs sub.contoso.com, KB 4019940) unless an accepted parent has ' +
      'MatchSubDomains — so NDRs, forwarded mail and mail from other domains are refused with 550 5.7.64 ATTR36.',
    remediation: {
      steps,
      commands: [GET_ACCEPTED_DOMAINS, GET_SMTP_CERTIFICATES],
      links: [LINK_OFFICE_365_NOTICE, LINK_ADD_DOMAIN, LINK_HYBRID_CERTIFICATES],
    },
  };
};
