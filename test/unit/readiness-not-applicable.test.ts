/**
 * A check that does not apply to a certificate — because another check reports the deeper problem —
 * is "not checked" with why, never passed; and the expiry warning's days cannot contradict its own
 * "within 30 days" (29.99 days left is "in 29 days").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import {
  type CertificateFile,
  type CheckId,
  parseCertificateFile,
  passedChecks,
  type ReadinessResult,
  runReadinessChecks,
} from '../../functions/core/readiness/index.js';
import { opensslAvailable, TestPki } from '../support/certificates.js';

const CONTOSO = parseAcceptedDomains('contoso.com', 'test');
const AT = new Date('2026-07-01T00:00:00Z');
const MAIL = { commonName: 'mail.contoso.com', dnsNames: ['mail.contoso.com'] };

function resultsOf(results: readonly ReadinessResult[], id: CheckId): ReadinessResult[] {
  return results.filter((result) => result.id === id);
}

describe.skipIf(!opensslAvailable())('checks that do not apply to a self-signed certificate', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await TestPki.create();
  });
  afterAll(async () => {
    await pki?.dispose();
  });

  it.each([
    ['certificate-chain-missing', 'the chain'],
    ['certificate-not-public-ca', 'whether a public CA issued the chain'],
  ] as const)('%s is not checked, saying why, and not passed', async (id, what) => {
    // Prepare
    const file = parseCertificateFile(await pki.selfSigned(MAIL), 'self.pem');
    // Act
    const results = runReadinessChecks({ acceptedDomains: CONTOSO, at: AT, certificates: [file] });
    // Assess
    const [result, ...rest] = resultsOf(results, id);
    expect(rest).toEqual([]);
    expect(result?.severity).toBe('info');
    expect(result?.message).toBe(
      `not checked: ${what} of certificate mail.contoso.com (self.pem) — it is self-signed, which certificate-self-signed reports`,
    );
    expect(result?.objects).toEqual(['mail.contoso.com (self.pem)']);
    expect(passedChecks(results)).not.toContain(id);
    expect(resultsOf(results, 'certificate-self-signed').map((r) => r.severity)).toEqual(['error']);
  });

  it('still passes both for a CA-issued certificate given with its chain, beside a self-signed one', async () => {
    // Prepare
    const issued = parseCertificateFile(`${await pki.issue(MAIL)}${pki.caPem}`, 'issued.pem');
    const self = parseCertificateFile(await pki.selfSigned(MAIL), 'self.pem');
    // Act
    const results = runReadinessChecks({ acceptedDomains: CONTOSO, at: AT, certificates: [issued, self] });
    // Assess: only the self-signed one is not checked for its chain.
    expect(resultsOf(results, 'certificate-chain-missing').map((r) => [r.severity, r.objects])).toEqual([
      ['info', ['mail.contoso.com (self.pem)']],
    ]);
  });
});

describe.skipIf(!opensslAvailable())('certificate-expiring counts whole days left', () => {
  let pki: TestPki;
  let file: CertificateFile;
  beforeAll(async () => {
    pki = await TestPki.create();
    file = parseCertificateFile(
      `${await pki.issue({ ...MAIL, notBefore: '2026-01-01', notAfter: '2026-07-31' })}${pki.caPem}`,
      'mail.pem',
    );
  });
  afterAll(async () => {
    await pki?.dispose();
  });

  it.each([
    ['2026-07-01T00:15:00Z', 'in 29 days (within 30 days of 2026-07-01)'],
    ['2026-07-01T00:00:00Z', 'in 30 days (within 30 days of 2026-07-01)'],
    ['2026-07-30T12:00:00Z', 'in less than a day (within 30 days of 2026-07-30)'],
  ])('at %s says "%s"', (at, said) => {
    // Act
    const results = runReadinessChecks({ acceptedDomains: CONTOSO, at: new Date(at), certificates: [file] });
    // Assess
    const [result] = resultsOf(results, 'certificate-expiring');
    expect(result?.message).toContain(`expires on 2026-07-31, ${said}. After that`);
  });
});
