/**
 * What a send protocol log's session proves about a refusal: whether the server used TLS, which
 * certificate it presented, whether that certificate names an accepted domain, and whether it
 * matches the OnPremises connector's `TlsSenderCertificateName` (docs/domain.md §1: attribution by
 * certificate needs a name on the certificate that is an accepted domain and matches the connector).
 */
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../../organisation/connector-info.js';
import { attributeName, namesMatch } from '../../organisation/host-names.js';
import type { PresentedCertificate, SmtpSession } from '../model/events.js';
import type { Evidence } from '../model/findings.js';

/** The certificate facts remediation text is built from (see RemediationContext). */
export interface CertificateFacts {
  /** `CN=mail.contoso.com` style subject, or the first name when the log gave no subject. */
  subject: string;
  issuer?: string;
  thumbprint?: string;
  /** CN then SANs. */
  names: readonly string[];
  alternateNames: readonly string[];
  /** Names Exchange Online can attribute to the tenant (an accepted domain, KB 4019940). */
  acceptedNames: readonly string[];
  /** Subject and issuer are the same: no public CA issued it, so Exchange Online cannot trust it. */
  selfSigned: boolean;
  /** The day (YYYY-MM-DD) the certificate expired, when that was before the refusal. */
  expiredOn?: string;
}

/**
 * The day a certificate's logged "Not after" passed, when it passed at least a day before `at` (the
 * log writes the date in the server's culture and time zone: a day's margin keeps a local time
 * from reading as expired). `undefined` when the text is no date JavaScript reads.
 */
function expiredBefore(notAfter: string | undefined, at: string | undefined): string | undefined {
  if (notAfter === undefined || at === undefined) return undefined;
  const end = Date.parse(notAfter);
  const refused = Date.parse(at);
  if (Number.isNaN(end) || Number.isNaN(refused) || end > refused - 86_400_000) return undefined;
  return new Date(end).toISOString().slice(0, 10);
}

/** How the presented certificate relates to the connector's expected name. */
export type ConnectorFit = 'matches' | 'differs' | 'ip-only' | 'no-name';

/** At most this many names are listed in a sentence. */
const LISTED_NAMES = 6;

/** What the certificate says, judged at `at` (the refusal's time) when given. */
export function certificateFacts(
  certificate: PresentedCertificate,
  domains: DomainOracle,
  at?: string,
): CertificateFacts {
  const facts: CertificateFacts = {
    subject:
      certificate.subject ??
      (certificate.names[0] === undefined ? '(no subject logged)' : `CN=${certificate.names[0]}`),
    names: certificate.names,
    alternateNames: certificate.alternateNames,
    acceptedNames: certificate.names.filter((name) => attributeName(name, domains).accepted),
    selfSigned:
      certificate.subject !== undefined &&
      certificate.issuer !== undefined &&
      normaliseDn(certificate.subject) === normaliseDn(certificate.issuer),
  };
  if (certificate.issuer !== undefined) facts.issuer = certificate.issuer;
  if (certificate.thumbprint !== undefined) facts.thumbprint = certificate.thumbprint;
  const expiredOn = expiredBefore(certificate.notAfter, at);
  if (expiredOn !== undefined) facts.expiredOn = expiredOn;
  return facts;
}

function normaliseDn(dn: string): string {
  return dn
    .replace(/\s*,\s*/g, ',')
    .trim()
    .toLowerCase();
}

/** Whether a name on the certificate matches what the connector expects. */
export function connectorFit(names: readonly string[], connector: InboundConnectorInfo): ConnectorFit {
  if (connector.identifiesBy === 'ip') return 'ip-only';
  const expected = connector.tlsSenderCertificateName?.trim();
  if (expected === undefined || expected === '') return 'no-name';
  return names.some((name) => namesMatch(expected, name)) ? 'matches' : 'differs';
}

/** `CN=mail.contoso.com (SAN mail.contoso.com, autodiscover.contoso.com)`: the certificate in one phrase. */
export function describeCertificate(facts: Pick<CertificateFacts, 'subject' | 'alternateNames'>): string {
  const sans = facts.alternateNames;
  if (sans.length === 0) return facts.subject;
  const listed = sans.slice(0, LISTED_NAMES).join(', ') + (sans.length > LISTED_NAMES ? ', …' : '');
  return `${facts.subject} (SAN ${listed})`;
}

/** Where the session was read, for evidence lines. */
export interface SessionPlace {
  file: string;
  /** That file's source id: its notes say when no file of the run had the session's start. */
  sourceId: string;
  /** The row of the refusal in that file. */
  line: number;
}

/**
 * Evidence lines of a refusal's protocol-log session. `server` names the on-premises server in
 * prose; `connector` is the organisation's relay connector when known; `domainsKnown` is false when
 * no accepted domain was given or inferred (then nothing is said about them).
 */
export function sessionEvidence(
  session: SmtpSession,
  place: SessionPlace,
  options: {
    server: string;
    domains: DomainOracle;
    domainsKnown: boolean;
    connector?: InboundConnectorInfo | undefined;
    /** When the refusal happened: the certificate's expiry is judged against it. */
    at?: string;
  },
): Evidence[] {
  const evidence: Evidence[] = [
    {
      kind: 'protocol-log',
      detail: `the send protocol log ${place.file} shows the refusal (line ${place.line}, session ${session.id})`,
    },
  ];
  const certificate = session.certificate;
  if (certificate === undefined && session.partial === true) {
    evidence.push({
      kind: 'session-start-missing',
      detail: `the log does not have the start of session ${session.id}: whether it used TLS, and which certificate ${options.server} presented, are not known`,
    });
    return evidence;
  }
  if (certificate === undefined) {
    evidence.push(
      session.tls
        ? {
            kind: 'certificate-not-logged',
            detail: `the session used STARTTLS but the log has no "Sending certificate" line for it (protocol logging below Verbose, or ${options.server} sent no certificate)`,
          }
        : {
            kind: 'no-tls',
            detail: `the session did not use STARTTLS: ${options.server} presented no certificate, so only its IP address could identify it to Exchange Online`,
          },
    );
    return evidence;
  }
  const facts = certificateFacts(certificate, options.domains, options.at);
  const details = [
    facts.thumbprint === undefined ? undefined : `thumbprint ${facts.thumbprint}`,
    facts.issuer === undefined ? undefined : `issued by ${facts.issuer}`,
  ].filter((part) => part !== undefined);
  evidence.push({
    kind: 'presented-certificate',
    detail:
      `${options.server} presented ${describeCertificate(facts)} after STARTTLS` +
      (details.length > 0 ? `; ${details.join(', ')}` : '') +
      (facts.selfSigned
        ? '; it is self-signed (subject = issuer), which Exchange Online does not trust'
        : ''),
  });
  if (facts.expiredOn !== undefined) {
    evidence.push({
      kind: 'certificate-expired',
      detail: `the certificate had expired (on ${facts.expiredOn}) before the refusal: Exchange Online matches no connector to an expired certificate`,
    });
  }
  if (options.domainsKnown) {
    evidence.push(
      facts.acceptedNames.length > 0
        ? {
            kind: 'certificate-accepted-domain',
            detail: `${facts.acceptedNames.slice(0, LISTED_NAMES).join(', ')} on the certificate ${facts.acceptedNames.length === 1 ? 'is' : 'are'} in an accepted domain`,
          }
        : {
            kind: 'certificate-no-accepted-domain',
            detail: `no name on the certificate (${facts.names.slice(0, LISTED_NAMES).join(', ') || 'none logged'}) is in an accepted domain, so it cannot attribute mail to the tenant`,
          },
    );
  }
  const connector = options.connector;
  if (connector !== undefined) {
    const expected = connector.tlsSenderCertificateName?.trim() ?? '';
    const text: Record<ConnectorFit, string> = {
      matches: `the OnPremises connector "${connector.name}" expects ${expected}, which a name on the certificate matches`,
      differs: `the OnPremises connector "${connector.name}" expects ${expected}; no name on the certificate matches it`,
      'ip-only': `the OnPremises connector "${connector.name}" identifies the server by IP address only, so the certificate is not used to attribute the mail`,
      'no-name': `the OnPremises connector "${connector.name}" names no certificate (TlsSenderCertificateName is empty)`,
    };
    evidence.push({ kind: 'certificate-vs-connector', detail: text[connectorFit(facts.names, connector)] });
  }
  return evidence;
}
