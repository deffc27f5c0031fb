/**
 * What a send protocol log's session proves about a refusal: whether the server used TLS, which
 * certificate it presented, whether that certificate names an accepted domain, and whether it
 * matches the OnPremises connector's `TlsSenderCertificateName` (docs/domain.md §1: attribution by
 * certificate needs a name on the certificate that is an accepted domain and matches the connector).
 * A session through the outbound proxy front end is judged by the certificate the front end was told
 * to present, or not at all ({@link SmtpSession.frontEnd}).
 */
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../../organisation/connector-info.js';
import { attributeName, namesMatch, normaliseName } from '../../organisation/host-names.js';
import { sameDistinguishedName } from '../../organisation/x509-names.js';
import { type DayOrder, TimestampParser } from '../input/timestamps.js';
import type { PresentedCertificate, SmtpSession } from '../model/events.js';
import type { Evidence } from '../model/findings.js';
import { subdomainRegistration } from '../remediation/subdomain-registration.js';

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
  /**
   * The issuer's name has `DC=` components, which Active Directory Certificate Services writes: an
   * internal CA issued it, and Exchange Online trusts only public CAs. Other issuer names tell nothing.
   */
  internalCa?: true;
  /** The day (YYYY-MM-DD) the certificate expired, when that was before the refusal. */
  expiredOn?: string;
  /** The outbound proxy front end presented it, on the server's instruction (not the server itself). */
  viaFrontEnd?: true;
}

/** The margin before a logged "Not after" reads as expired: the log writes it in the server's zone. */
const DAY_MS = 86_400_000;

/** What a certificate's logged validity says of its expiry at the refusal. */
type Expiry =
  /** Expired under every reading of its dates; `on` the likeliest day, `otherwise` the other reading's. */
  | { kind: 'expired'; on: string; otherwise?: string }
  /** Expired under one day/month order and not under the other, and nothing in the log settles it. */
  | { kind: 'unclear'; notAfter: string; dayFirst: string; monthFirst: string; expiredIf: DayOrder };

/** A date that proves its order: a parser that read it reads the ambiguous dates after it the same way. */
const PROOF: Readonly<Record<DayOrder, string>> = {
  'day-first': '31/12/2000 00:00:00',
  'month-first': '12/31/2000 00:00:00',
};

/** A numeric date whose day and month order may matter (`01/12/2026`, `1-12-2026`). */
const NUMERIC_DATE = /\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}/;

/** `text` read by the culture-aware parser, `order` first when the date does not prove its order. */
function readAs(text: string, order: DayOrder | undefined): number | undefined {
  const parser = new TimestampParser();
  if (order !== undefined) parser.parse(PROOF[order]);
  const iso = parser.parse(text);
  return iso === undefined ? undefined : Date.parse(iso);
}

/**
 * Whether the certificate had expired at least a day before `at` (the day's margin keeps a local
 * time from reading as expired). The log writes its validity in the server's culture (en-GB
 * `01/12/2026`, de-DE `01.12.2026`, en-US `12/1/2026 … PM`), read with the project's timestamp
 * parser. When day and month could be either way, the certificate's own dates decide if they can
 * (one proves its order; a validity that would end before it starts is the wrong order); the log's
 * own timestamps are ISO and tell nothing. When the readings still disagree, no expiry is claimed:
 * `unclear` says so, as a wrong "expired" would send the admin to renew a valid certificate.
 */
function expiry(certificate: PresentedCertificate, at: string | undefined): Expiry | undefined {
  const { notBefore, notAfter } = certificate;
  if (notAfter === undefined || at === undefined) return undefined;
  const refused = Date.parse(at);
  if (Number.isNaN(refused)) return undefined;
  const probe = new TimestampParser();
  if (notBefore !== undefined) probe.parse(notBefore);
  const likeliest = probe.parse(notAfter);
  const orders: (DayOrder | undefined)[] =
    probe.learntOrder !== undefined ? [probe.learntOrder] : ['day-first', 'month-first'];
  const readings = new Map<DayOrder | undefined, number>();
  for (const order of orders) {
    const end = readAs(notAfter, order);
    if (end === undefined) continue;
    const start = notBefore === undefined ? undefined : readAs(notBefore, order);
    if (start === undefined || start <= end) readings.set(order, end);
  }
  // A form the parser does not read (a month name…) but JavaScript does, when no order is at stake.
  if (readings.size === 0 && !NUMERIC_DATE.test(notAfter)) {
    const end = Date.parse(notAfter);
    if (!Number.isNaN(end)) readings.set(undefined, end);
  }
  const ends = [...new Set(readings.values())];
  const expired = ends.filter((end) => end <= refused - DAY_MS);
  if (expired.length === 0) return undefined;
  const day = (time: number) => new Date(time).toISOString().slice(0, 10);
  if (expired.length < ends.length) {
    const dayFirst = readings.get('day-first');
    const monthFirst = readings.get('month-first');
    if (dayFirst === undefined || monthFirst === undefined) return undefined;
    return {
      kind: 'unclear',
      notAfter,
      dayFirst: day(dayFirst),
      monthFirst: day(monthFirst),
      expiredIf: expired.includes(dayFirst) ? 'day-first' : 'month-first',
    };
  }
  // The parser's own reading (the order the file's other dates would get) when the pair allows it.
  const likely = likeliest === undefined ? undefined : Date.parse(likeliest);
  const on = likely !== undefined && ends.includes(likely) ? likely : (ends[0] as number);
  const other = ends.find((end) => end !== on);
  return other === undefined
    ? { kind: 'expired', on: day(on) }
    : { kind: 'expired', on: day(on), otherwise: day(other) };
}

/** How the presented certificate relates to the connector's expected name. */
export type ConnectorFit = 'matches' | 'differs' | 'issuer-differs' | 'ip-only' | 'no-name';

/** At most this many names are listed in a sentence. */
const LISTED_NAMES = 6;

/** A `DC=` component of a one-line distinguished name (`CN=contoso-DC01-CA, DC=contoso, DC=local`). */
const DOMAIN_COMPONENT = /(?:^|[,;+])\s*DC\s*=/i;

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
      sameDistinguishedName(certificate.subject, certificate.issuer),
  };
  if (certificate.issuer !== undefined) facts.issuer = certificate.issuer;
  if (!facts.selfSigned && certificate.issuer !== undefined && DOMAIN_COMPONENT.test(certificate.issuer))
    facts.internalCa = true;
  if (certificate.thumbprint !== undefined) facts.thumbprint = certificate.thumbprint;
  if (certificate.instructed) facts.viaFrontEnd = true;
  const expired = expiry(certificate, at);
  if (expired?.kind === 'expired') facts.expiredOn = expired.on;
  return facts;
}

/**
 * Whether a name on the certificate matches what the connector expects and, when the connector
 * pins an issuer (`<I>issuer<S>subject`) and `issuer` (the certificate's, from the log) is known,
 * whether that issuer is the pinned one: a certificate from another CA does not match the connector.
 * An issuer that is not known is not held against the certificate ({@link issuerPinUnchecked}).
 */
export function connectorFit(
  names: readonly string[],
  connector: InboundConnectorInfo,
  issuer?: string,
): ConnectorFit {
  if (connector.identifiesBy === 'ip') return 'ip-only';
  const expected = connector.tlsSenderCertificateName?.trim();
  if (expected === undefined || expected === '') return 'no-name';
  if (!names.some((name) => namesMatch(expected, name))) return 'differs';
  const pinned = connector.tlsSenderCertificateIssuer;
  if (pinned !== undefined && issuer !== undefined && !sameDistinguishedName(pinned, issuer))
    return 'issuer-differs';
  return 'matches';
}

/** The connector pins an issuer that could not be compared: the log named no issuer. */
export function issuerPinUnchecked(connector: InboundConnectorInfo, issuer: string | undefined): boolean {
  return (
    connector.identifiesBy === 'certificate' &&
    connector.tlsSenderCertificateIssuer !== undefined &&
    issuer === undefined
  );
}

/** `CN=mail.contoso.com (SAN mail.contoso.com, autodiscover.contoso.com)`: the certificate in one phrase. */
export function describeCertificate(facts: Pick<CertificateFacts, 'subject' | 'alternateNames'>): string {
  const sans = facts.alternateNames;
  if (sans.length === 0) return facts.subject;
  const listed = sans.slice(0, LISTED_NAMES).join(', ') + (sans.length > LISTED_NAMES ? ', …' : '');
  return `${facts.subject} (SAN ${listed})`;
}

/**
 * Why no name on the certificate counts. A name below an accepted domain but deeper than it lets
 * count (`hostname.sub.contoso.com` with `contoso.com` accepted, KB 4019940) is said as such: "no
 * name is in an accepted domain" reads as false to an admin who sees contoso.com in it. Which case
 * it is, is the remediation's {@link subdomainRegistration}, so evidence and advice agree.
 */
function noAcceptedNameEvidence(names: readonly string[], domains: DomainOracle): Evidence {
  const kind = 'certificate-no-accepted-domain';
  const registration = subdomainRegistration(names, domains.domains());
  if (registration === undefined) {
    return {
      kind,
      detail: `no name on the certificate (${names.slice(0, LISTED_NAMES).join(', ') || 'none logged'}) is in an accepted domain, so it cannot attribute mail to the tenant`,
    };
  }
  const { name, domain, acceptedParent } = registration;
  const others = names.filter((other) => normaliseName(other) !== name);
  return {
    kind,
    detail:
      `${name} on the certificate is under ${acceptedParent}, but only a name directly in an accepted domain ` +
      `counts: ${domain} is not accepted (KB 4019940)` +
      (others.length === 0
        ? ''
        : `, and no other name on it (${others.slice(0, LISTED_NAMES).join(', ')}) is in an accepted domain`) +
      ', so the certificate cannot attribute mail to the tenant',
  };
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
  if (certificate === undefined && session.frontEnd === true) {
    evidence.push({
      kind: 'certificate-not-logged',
      detail:
        `the session went to the outbound proxy front end (a send connector with FrontendProxyEnabled), which opened ` +
        `its own session to Exchange Online: how ${options.server} reached the front end is not what Exchange Online ` +
        `saw, and this log does not name the certificate the front end presented; the front end's ` +
        `FrontEnd\\ProtocolLog\\SmtpSend log shows that session`,
    });
    return evidence;
  }
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
  const presented =
    session.frontEnd === true
      ? `the session went to the outbound proxy front end (a send connector with FrontendProxyEnabled), which ` +
        `presented ${describeCertificate(facts)} to Exchange Online on ${options.server}'s instruction ` +
        `(the log's "Instructing the next hop" line)`
      : `${options.server} presented ${describeCertificate(facts)} after STARTTLS`;
  evidence.push({
    kind: 'presented-certificate',
    detail:
      presented +
      (details.length > 0 ? `; ${details.join(', ')}` : '') +
      (facts.selfSigned
        ? '; it is self-signed (subject = issuer), which Exchange Online does not trust'
        : '') +
      (facts.internalCa
        ? "; the issuer's DC= components mark an internal Active Directory CA, which Exchange Online does not trust"
        : ''),
  });
  const expired = expiry(certificate, options.at);
  if (expired?.kind === 'expired') {
    evidence.push({
      kind: 'certificate-expired',
      detail:
        `the certificate had expired (on ${expired.on}) before the refusal: Exchange Online matches no connector to an expired certificate` +
        (expired.otherwise === undefined
          ? ''
          : ` (its Not after "${certificate.notAfter}" reads ${expired.otherwise} with day and month the other way: expired either way)`),
    });
  } else if (expired?.kind === 'unclear') {
    const check =
      facts.thumbprint === undefined
        ? ''
        : `: Get-ExchangeCertificate -Thumbprint ${facts.thumbprint} | Format-List NotAfter`;
    const [expiredDay, validDay] =
      expired.expiredIf === 'day-first'
        ? [expired.dayFirst, expired.monthFirst]
        : [expired.monthFirst, expired.dayFirst];
    const [expiredRead, validRead] =
      expired.expiredIf === 'day-first' ? ['day first', 'month first'] : ['month first', 'day first'];
    evidence.push({
      kind: 'certificate-expiry-unclear',
      detail:
        `whether the certificate had expired before the refusal cannot be told: its Not after "${expired.notAfter}" is ` +
        `${validDay} read ${validRead} (valid then) but ${expiredDay} read ${expiredRead} (expired), ` +
        `and nothing in the log settles the order; check it on the server${check}`,
    });
  }
  if (options.domainsKnown) {
    evidence.push(
      facts.acceptedNames.length > 0
        ? {
            kind: 'certificate-accepted-domain',
            detail: `${facts.acceptedNames.slice(0, LISTED_NAMES).join(', ')} on the certificate ${facts.acceptedNames.length === 1 ? 'is' : 'are'} in an accepted domain`,
          }
        : noAcceptedNameEvidence(facts.names, options.domains),
    );
  }
  const connector = options.connector;
  if (connector !== undefined) {
    const expected = connector.tlsSenderCertificateName?.trim() ?? '';
    const pinned = connector.tlsSenderCertificateIssuer ?? '';
    const text: Record<ConnectorFit, string> = {
      matches:
        `the OnPremises connector "${connector.name}" expects ${expected}, which a name on the certificate matches` +
        (issuerPinUnchecked(connector, facts.issuer)
          ? `; it also pins the issuer ${pinned}, which the log does not name, so the issuer was not checked`
          : ''),
      'issuer-differs':
        `the OnPremises connector "${connector.name}" expects ${expected}, which a name on the certificate matches, ` +
        `but it also pins the issuer ${pinned} (TlsSenderCertificateName <I>issuer<S>subject), and the presented ` +
        `certificate's issuer is ${facts.issuer ?? ''}: a certificate from another CA does not match the connector, ` +
        'so Exchange Online can refuse to attribute the connection to the tenant',
      differs: `the OnPremises connector "${connector.name}" expects ${expected}; no name on the certificate matches it`,
      'ip-only': `the OnPremises connector "${connector.name}" identifies the server by IP address only, so the certificate is not used to attribute the mail`,
      'no-name': `the OnPremises connector "${connector.name}" names no certificate (TlsSenderCertificateName is empty)`,
    };
    evidence.push({
      kind: 'certificate-vs-connector',
      detail: text[connectorFit(facts.names, connector, facts.issuer)],
    });
  }
  return evidence;
}
