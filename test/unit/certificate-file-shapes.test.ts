/**
 * Certificate file shapes admins give `--certificate` besides plain PEM: the same certificate twice
 * (certbot's `cat cert.pem fullchain.pem`), OpenSSL's `BEGIN TRUSTED CERTIFICATE` blocks, and the
 * containers that are no certificate file (`.pfx`/`.p12`, a binary `.p7b`), refused with the command
 * that converts them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, parseCertificateFile } from '../../functions/core/readiness/index.js';

const FIXTURES = 'test/fixtures/real-world/certificate-files';
const LEAF = readFileSync(`${FIXTURES}/adcs-mail.contoso.com.pem`, 'latin1');
const ROOT = readFileSync(`${FIXTURES}/adcs-contoso-DC01-CA.pem`, 'latin1');
const TRUSTED_LEAF = readFileSync(`${FIXTURES}/trusted-adcs-mail.contoso.com.pem`, 'latin1');
const ROOT_SUBJECT = 'DC=local, DC=contoso, CN=contoso-DC01-CA';

function refusal(input: string | Uint8Array, file: string): ConfigFileError {
  try {
    parseCertificateFile(input, file);
  } catch (error) {
    if (error instanceof ConfigFileError) return error;
    throw error;
  }
  throw new Error(`${file} was not refused`);
}

describe('the same certificate twice in one file', () => {
  it('counts once: cat cert.pem fullchain.pem, where fullchain.pem starts with the server certificate', () => {
    const fullchain = `${LEAF}${ROOT}`;
    const file = parseCertificateFile(`${LEAF}${fullchain}`, 'bundle.pem');
    expect(file.leaf.commonNames).toEqual(['mail.contoso.com']);
    expect(file.chain.map((certificate) => certificate.subject)).toEqual([ROOT_SUBJECT]);
    expect(file.issuerGiven).toBe(true);
  });

  it('keeps a repeated chain certificate once as well', () => {
    const file = parseCertificateFile(`${LEAF}${ROOT}${ROOT}`, 'bundle.pem');
    expect(file.chain.map((certificate) => certificate.subject)).toEqual([ROOT_SUBJECT]);
  });
});

describe('BEGIN TRUSTED CERTIFICATE blocks (openssl x509 -trustout)', () => {
  it('are read as certificates: the server certificate stays the leaf, not the CA after it', () => {
    expect(TRUSTED_LEAF).toContain('-----BEGIN TRUSTED CERTIFICATE-----');
    const file = parseCertificateFile(`${TRUSTED_LEAF}${ROOT}`, 'trusted.pem');
    expect(file.leaf.commonNames).toEqual(['mail.contoso.com']);
    expect(file.leaf.thumbprint).toBe(parseCertificateFile(LEAF, 'plain.pem').leaf.thumbprint);
    expect(file.chain.map((certificate) => certificate.subject)).toEqual([ROOT_SUBJECT]);
  });

  it('are read alone, and so is the old X509 CERTIFICATE label', () => {
    expect(parseCertificateFile(TRUSTED_LEAF, 'trusted.pem').leaf.commonNames).toEqual(['mail.contoso.com']);
    const old = LEAF.replace(/(BEGIN|END) CERTIFICATE/g, '$1 X509 CERTIFICATE');
    expect(parseCertificateFile(`${old}${ROOT}`, 'old.pem').leaf.commonNames).toEqual(['mail.contoso.com']);
  });
});

describe('containers that hold certificates but are no certificate file', () => {
  it('refuses a .pfx with the openssl pkcs12 command that converts it', () => {
    const error = refusal(readFileSync(`${FIXTURES}/adcs-mail.contoso.com.pfx`), 'mail.pfx');
    expect(error.file).toBe('mail.pfx');
    expect(error.problem).toBe(
      'it is a PKCS #12 file (.pfx, .p12), not a certificate (convert a .pfx or .p12 with: openssl pkcs12 ' +
        '-in file.pfx -nokeys -out file.pem, adding -legacy if OpenSSL 3 says the algorithm is unsupported)',
    );
  });

  it('refuses a binary .p7b with the openssl pkcs7 -inform DER command, a PEM one without -inform', () => {
    const der = refusal(readFileSync(`${FIXTURES}/adcs-mail.contoso.com.p7b`), 'chain.p7b');
    expect(der.problem).toBe(
      'it is a PKCS #7 file (.p7b), not a certificate (convert a .p7b with: openssl pkcs7 -inform DER ' +
        '-print_certs -in file.p7b -out file.pem)',
    );
    const pem = refusal('-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n', 'chain.p7b');
    expect(pem.problem).toBe(
      'it holds no certificate, only PKCS7 (convert a .p7b with: openssl pkcs7 -print_certs -in file.p7b -out file.pem)',
    );
  });

  it('still says neither PEM nor DER for other binary data', () => {
    expect(refusal(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x07]), 'x.bin').problem).toBe(
      'it is neither PEM nor a DER certificate',
    );
    expect(refusal(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), 'x.bin').problem).toBe(
      'it is neither PEM nor a DER certificate',
    );
  });
});
