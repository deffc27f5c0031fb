/**
 * One server certificate per `--certificate` file: a second one `cat` into the file (`cat ex01.pem
 * int.pem ex02.pem`) is not chain, and was never checked when it passed for it. Such a file is
 * refused as invalid input, naming the server certificates; CA certificates stay chain, related
 * to the leaf or not.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
import { ConfigFileError, parseCertificateFile } from '../../functions/core/readiness/index.js';
import { cli } from '../support/capture-output.js';
import { opensslAvailable, TestPki } from '../support/certificates.js';

const FIXTURES = 'test/fixtures/real-world/certificate-files';
/** EX02's self-signed certificate as `openssl req -x509` makes it: CA:TRUE, SAN EX02, EX02.contoso.local. */
const EX02_REQ_X509 = readFileSync(`${FIXTURES}/ex02-openssl-req-x509.pem`, 'latin1');

function refusal(pem: string, file: string): ConfigFileError {
  try {
    parseCertificateFile(pem, file);
  } catch (error) {
    if (error instanceof ConfigFileError) return error;
    throw error;
  }
  throw new Error(`${file} was not refused`);
}

describe.skipIf(!opensslAvailable())('a certificate file with more than one server certificate', () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let ex01: string;
  let ex02: string;
  beforeAll(async () => {
    [pki, otherPki] = await Promise.all([TestPki.create(), TestPki.create('Other Test CA')]);
    ex01 = await pki.issue({ commonName: 'mail.contoso.com', dnsNames: ['mail.contoso.com'] });
    ex02 = await pki.issue({ commonName: 'ex02.contoso.com', dnsNames: ['ex02.contoso.com'] });
  });
  afterAll(async () => {
    await Promise.all([pki?.dispose(), otherPki?.dispose()]);
  });

  it('is refused, naming both, whatever their order (cat ex01.pem ca.pem ex02.pem)', () => {
    for (const [pem, names] of [
      [`${ex01}${pki.caPem}${ex02}`, 'mail.contoso.com, ex02.contoso.com'],
      [`${ex02}${ex01}${pki.caPem}`, 'ex02.contoso.com, mail.contoso.com'],
    ] as const) {
      const error = refusal(pem, 'servers.pem');
      expect(error.code).toBe(ErrorCode.InvalidConfig);
      expect(error.file).toBe('servers.pem');
      expect(error.problem).toBe(
        `it holds 2 server certificates (${names}), but a certificate file is one server certificate and its ` +
          'chain: give each server certificate in a file of its own (each with its own --certificate, or ' +
          'uploaded as its own config/<server name>.pem)',
      );
    }
  });

  it('is refused when the second is a self-signed certificate that calls itself a CA, as openssl req -x509 makes', () => {
    const error = refusal(`${ex01}${pki.caPem}${EX02_REQ_X509}`, 'servers.pem');
    expect(error.problem).toMatch(
      /^it holds 2 server certificates \(mail\.contoso\.com, ex02\.contoso\.local\)/,
    );
  });

  it('counts every server certificate', async () => {
    const ex03 = await pki.selfSigned({ commonName: 'ex03.contoso.com', dnsNames: ['ex03.contoso.com'] });
    expect(refusal(`${ex01}${ex02}${ex03}${pki.caPem}`, 'three.pem').problem).toMatch(
      /^it holds 3 server certificates \(mail\.contoso\.com, ex02\.contoso\.com, ex03\.contoso\.com\)/,
    );
  });

  it('keeps CA certificates as chain: the issuer, and a CA that issued nothing in the file', () => {
    const file = parseCertificateFile(`${otherPki.caPem}${ex01}${pki.caPem}`, 'chain.pem');
    expect(file.leaf.commonNames).toEqual(['mail.contoso.com']);
    expect(file.chain.map((certificate) => certificate.subject)).toEqual([
      'O=Contoso Test, CN=Other Test CA',
      'O=Contoso Test, CN=Contoso Test Issuing CA',
    ]);
    expect(file.issuerGiven).toBe(true);
  });

  it('makes check exit 2, naming the file, instead of checking only the first server certificate', async () => {
    const path = await pki.write('servers.pem', `${ex01}${pki.caPem}${EX02_REQ_X509}`);
    const { status, out } = await cli('check', '--accepted-domains', 'contoso.com', '--certificate', path);
    expect(status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(
      `relay-audit check: ${path}: it holds 2 server certificates (mail.contoso.com, ex02.contoso.local)`,
    );
    expect(out.stderr).toContain('give each server certificate in a file of its own');
  });
});
