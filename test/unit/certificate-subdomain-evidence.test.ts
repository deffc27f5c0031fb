/**
 * The `certificate-no-accepted-domain` evidence of a certificate whose name lies below an accepted
 * domain, deeper than that domain lets it count (KB 4019940: `hostname.subdomain.contoso.com` with
 * only `contoso.com` accepted). "No name on the certificate is in an accepted domain" reads as false
 * there: the evidence says the name is under contoso.com and which domain would make it count, as
 * the remediation's `subdomainRegistration` tells the case.
 */
import { describe, expect, it } from 'vitest';
import { sessionEvidence } from '../../functions/core/analysis/evidence/presented-certificate.js';
import type { PresentedCertificate } from '../../functions/core/analysis/model/events.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';

const CONTOSO = parseAcceptedDomains('contoso.com', 'test');

/** The `certificate-no-accepted-domain` detail of a session presenting a certificate with `names`. */
function noAcceptedName(names: string[], domains = CONTOSO): string | undefined {
  const certificate: PresentedCertificate = {
    subject: `CN=${names[0]}`,
    issuer: 'CN=Public CA, O=Example Trust, C=US',
    names,
    alternateNames: names.slice(1),
  };
  const evidence = sessionEvidence(
    { id: '08DC1C2E3F4A5B6C', tls: true, certificate, line: 7 },
    { file: 'SEND20240124-1.LOG', sourceId: 'SEND20240124-1.LOG', line: 24 },
    { server: 'mail.contoso.com', domains, domainsKnown: true },
  );
  return evidence.find((item) => item.kind === 'certificate-no-accepted-domain')?.detail;
}

describe('certificate-no-accepted-domain for a name below an accepted domain (KB 4019940)', () => {
  it('says the name is under the accepted domain and which subdomain is not accepted', () => {
    expect(noAcceptedName(['hostname.subdomain.contoso.com'])).toBe(
      'hostname.subdomain.contoso.com on the certificate is under contoso.com, but only a name directly in an ' +
        'accepted domain counts: subdomain.contoso.com is not accepted (KB 4019940), so the certificate cannot ' +
        'attribute mail to the tenant',
    );
  });

  it('names the other names on the certificate, which count no more', () => {
    expect(noAcceptedName(['ex01.contoso.local', 'relay.branch.contoso.com', 'ex01'])).toBe(
      'relay.branch.contoso.com on the certificate is under contoso.com, but only a name directly in an ' +
        'accepted domain counts: branch.contoso.com is not accepted (KB 4019940), and no other name on it ' +
        '(ex01.contoso.local, ex01) is in an accepted domain, so the certificate cannot attribute mail to the tenant',
    );
  });

  it('keeps the plain sentence for names outside every accepted domain', () => {
    expect(noAcceptedName(['ex01.contoso.local'])).toBe(
      'no name on the certificate (ex01.contoso.local) is in an accepted domain, so it cannot attribute mail to the tenant',
    );
  });

  it('says nothing of the kind once the subdomain is accepted', () => {
    const both = parseAcceptedDomains('contoso.com\nsubdomain.contoso.com', 'test');
    expect(noAcceptedName(['hostname.subdomain.contoso.com'], both)).toBeUndefined();
  });
});
