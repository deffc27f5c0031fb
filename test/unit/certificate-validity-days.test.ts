/**
 * The days in the expired, not-yet-valid and expiring texts follow one rule: whole days rounded
 * down, "less than a day" under one. An hour after notAfter is not "1 day before" the same date,
 * and 25 hours is 1 day, not 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import {
  type CertificateFile,
  type CheckId,
  parseCertificateFile,
  runReadinessChecks,
} from '../../functions/core/readiness/index.js';
import { opensslAvailable, TestPki } from '../support/certificates.js';

const CONTOSO = parseAcceptedDomains('contoso.com', 'test');

let pki: TestPki;
let file: CertificateFile;

beforeAll(async () => {
  if (!opensslAvailable()) return;
  pki = await TestPki.create();
  const pem = await pki.issue({
    commonName: 'mail.contoso.com',
    dnsNames: ['mail.contoso.com'],
    notBefore: '2026-01-01',
    notAfter: '2027-01-01',
  });
  file = parseCertificateFile(pem + pki.caPem, 'mail.contoso.com.pem');
});

afterAll(async () => {
  await pki?.dispose();
});

/** The message of check `id` at `at`. */
function message(id: CheckId, at: string): string | undefined {
  return runReadinessChecks({ acceptedDomains: CONTOSO, at: new Date(at), certificates: [file] }).find(
    (result) => result.id === id && result.severity !== 'info',
  )?.message;
}

describe.skipIf(!opensslAvailable())('days in the validity texts', () => {
  it('an hour after notAfter: less than a day, not 1 day before the same date', () => {
    expect(message('certificate-expired', '2027-01-01T01:00:00Z')).toMatch(
      /expired on 2027-01-01, less than a day before 2027-01-01\./,
    );
  });

  it('25 hours after notAfter: 1 day, not 2', () => {
    expect(message('certificate-expired', '2027-01-02T01:00:00Z')).toMatch(
      /expired on 2027-01-01, 1 day before 2027-01-02\./,
    );
  });

  it('an hour before notBefore: less than a day, not 1 day after', () => {
    expect(message('certificate-not-yet-valid', '2025-12-31T23:00:00Z')).toMatch(
      /not valid before 2026-01-01, less than a day after 2025-12-31\./,
    );
  });

  it('an hour before notAfter: in less than a day, as the expiring text already said', () => {
    expect(message('certificate-expiring', '2026-12-31T23:00:00Z')).toMatch(
      /expires on 2027-01-01, in less than a day \(/,
    );
  });
});
