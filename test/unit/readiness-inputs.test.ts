/**
 * Readiness inputs: `Get-InboundConnector | ConvertTo-Json` with its PowerShell quirks, PEM/DER
 * certificates read with X509Certificate, and malformed inputs → ConfigFileError.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
import {
  ConfigFileError,
  parseCertificateFile,
  parseInboundConnectors,
} from '../../functions/core/readiness/index.js';
import { opensslAvailable, TestPki } from '../support/certificates.js';

const connector = (fields: Record<string, unknown>) => ({
  Name: 'Inbound from EX01',
  Enabled: true,
  ConnectorType: 'OnPremises',
  ...fields,
});

function parse(value: unknown) {
  return parseInboundConnectors(JSON.stringify(value), 'connectors.json');
}

function inputError(action: () => unknown): ConfigFileError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigFileError) return error;
    throw error;
  }
  throw new Error('expected a ConfigFileError');
}

describe('parseInboundConnectors', () => {
  it('reads the sample export (UTF-8 BOM, CRLF, Windows PowerShell 5.1 layout)', async () => {
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile('sample-logs/config/inbound-connectors.json');
    const connectors = parseInboundConnectors(bytes, 'sample-logs/config/inbound-connectors.json');
    expect(
      connectors.map((c) => [c.name, c.connectorType, c.connectorSource, c.tlsSenderCertificateName]),
    ).toEqual([
      ['Relay from on-premises apps', 'OnPremises', 'Default', undefined],
      ['Inbound from 7c1e4b2a-93d5-4f60-8a2e-b14d6c0f3e97', 'OnPremises', 'HybridWizard', 'mail.contoso.com'],
    ]);
    expect(connectors[0]?.senderIPAddresses).toEqual(['203.0.113.25']);
    expect(connectors[0]?.senderDomains).toEqual(['*']);
    expect(connectors[0]?.requireTls).toBe(false);
  });

  it('accepts a single object as well as an array, and the { value, Count } wrapper', () => {
    expect(parse(connector({}))).toHaveLength(1);
    expect(parse([connector({}), connector({ Name: 'Second' })])).toHaveLength(2);
    expect(parse({ value: [connector({}), connector({ Name: 'Second' })], Count: 2 })).toHaveLength(2);
    expect(parse([])).toEqual([]);
  });

  it('reads ConnectorType and ConnectorSource as names or numbers', () => {
    const [byNumber, partner, unknown, byName] = parse([
      connector({ ConnectorType: 1, ConnectorSource: 2 }),
      connector({ ConnectorType: 2 }),
      connector({ ConnectorType: 7 }),
      connector({ ConnectorType: 'onpremises', ConnectorSource: 'HybridWizard' }),
    ]);
    expect(byNumber?.connectorType).toBe('OnPremises');
    expect(byNumber?.connectorSource).toBe('HybridWizard');
    expect(partner?.connectorType).toBe('Partner');
    expect(unknown?.connectorType).toBe('Unknown (7)');
    expect(byName?.connectorType).toBe('OnPremises');
  });

  it('reads multi-valued properties written as null, one value, an array or a wrapper', () => {
    const [none, one, many, wrapped] = parse([
      connector({ SenderIPAddresses: null, SenderDomains: null }),
      connector({ SenderIPAddresses: '203.0.113.25', SenderDomains: 'smtp:*;1' }),
      connector({ SenderIPAddresses: ['203.0.113.25', '198.51.100.0/24'], SenderDomains: ['contoso.com'] }),
      connector({ SenderIPAddresses: { value: ['203.0.113.25'], Count: 1 } }),
    ]);
    expect(none?.senderIPAddresses).toEqual([]);
    expect(none?.senderDomains).toEqual([]);
    expect(one?.senderIPAddresses).toEqual(['203.0.113.25']);
    expect(one?.senderDomains).toEqual(['*']);
    expect(many?.senderIPAddresses).toEqual(['203.0.113.25', '198.51.100.0/24']);
    expect(wrapped?.senderIPAddresses).toEqual(['203.0.113.25']);
  });

  it('reads TlsSenderCertificateName as null, a domain, the X.500 TlsCertificate string or an object', () => {
    const names = parse([
      connector({ TlsSenderCertificateName: null }),
      connector({ TlsSenderCertificateName: '' }),
      connector({ TlsSenderCertificateName: '*.Contoso.com' }),
      connector({
        TlsSenderCertificateName: '<I>CN=Contoso Issuing CA, O=Contoso<S>CN=mail.contoso.com, O=Contoso',
      }),
      connector({ TlsSenderCertificateName: { CertificateDomain: 'mail.contoso.com' } }),
      connector({ TlsSenderCertificateName: { CertificateSubject: 'CN=smtp.contoso.com, O=Contoso' } }),
    ]).map((c) => c.tlsSenderCertificateName);
    expect(names).toEqual([
      undefined,
      undefined,
      '*.contoso.com',
      'mail.contoso.com',
      'mail.contoso.com',
      'smtp.contoso.com',
    ]);
  });

  it('reads a TlsCertificate object whose TlsCertificateName holds the X.500 form as the string form is read', () => {
    const x500 = '<I>CN=Contoso Issuing CA, O=Contoso<S>CN=*.contoso.com, O=Contoso, C=US';
    const [asString, asObject] = parse([
      connector({ TlsSenderCertificateName: x500 }),
      connector({ TlsSenderCertificateName: { CertificateDomain: null, TlsCertificateName: x500 } }),
    ]).map((c) => c.tlsSenderCertificateName);
    expect(asString).toBe('*.contoso.com');
    expect(asObject).toBe('*.contoso.com');
  });

  it('reads booleans written as True/False strings, and counts a missing Enabled as enabled', () => {
    const [strings, missing] = parse([
      connector({ Enabled: 'False', RequireTls: 'True' }),
      { Name: 'No Enabled', ConnectorType: 'OnPremises' },
    ]);
    expect(strings?.enabled).toBe(false);
    expect(strings?.requireTls).toBe(true);
    expect(missing?.enabled).toBe(true);
    expect(missing?.requireTls).toBeUndefined();
  });

  it('decodes a UTF-16LE export with BOM (Windows PowerShell 5.1 `> file`)', () => {
    const text = JSON.stringify([connector({ Name: 'Entrée Hybride' })]);
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(parseInboundConnectors(bytes, 'utf16.json')[0]?.name).toBe('Entrée Hybride');
  });

  it.each([
    ['bad JSON', '[{"Name": "x",', /not valid JSON/],
    ['an empty file', '   ', /empty/],
    ['a JSON number', '42', /the JSON is the number 42/],
    ['an array of strings', '["a"]', /connector 1 is the text "a"/],
    [
      'Get-AcceptedDomain output',
      JSON.stringify([{ Name: 'contoso.com', DomainName: 'contoso.com', DomainType: 'Authoritative' }]),
      /connector 1 \("contoso\.com"\) has no ConnectorType \(it looks like Get-AcceptedDomain output\)/,
    ],
    ['an object without Name', JSON.stringify({ ConnectorType: 'OnPremises' }), /has no Name/],
    [
      'a property cut off by -Depth',
      JSON.stringify(connector({ SenderIPAddresses: 'System.Collections.Generic.List`1[System.String]' })),
      /SenderIPAddresses .*type name.*ConvertTo-Json -Depth 5/,
    ],
    [
      'a certificate name of the wrong type',
      JSON.stringify(connector({ TlsSenderCertificateName: [1, 2] })),
      /TlsSenderCertificateName is an array/,
    ],
  ])('rejects %s with a named error naming the file and what was expected', (_label, text, pattern) => {
    const error = inputError(() => parseInboundConnectors(text, 'config/connectors.json'));
    expect(error.code).toBe(ErrorCode.InvalidConfig);
    expect(error.file).toBe('config/connectors.json');
    expect(error.message).toMatch(/^config\/connectors\.json: /);
    expect(error.message).toMatch(pattern);
    expect(error.message).toMatch(/expected the output of Get-InboundConnector \| ConvertTo-Json/);
  });

  it('rejects bytes that are not valid UTF-8', () => {
    const error = inputError(() =>
      parseInboundConnectors(new Uint8Array([0x5b, 0xc3, 0x28, 0x5d]), 'bad.json'),
    );
    expect(error.message).toMatch(/bad\.json: the bytes are not valid utf-8 text/);
  });
});

describe.skipIf(!opensslAvailable())('parseCertificateFile', () => {
  let pki: TestPki;
  let leaf: string;
  beforeAll(async () => {
    pki = await TestPki.create();
    leaf = await pki.issue({
      commonName: 'mail.contoso.com',
      dnsNames: ['mail.contoso.com', 'autodiscover.contoso.com', '*.contoso.com'],
      notBefore: '2026-06-01',
      notAfter: '2027-06-01',
    });
  });
  afterAll(async () => {
    await pki?.dispose();
  });

  it('reads CN, SAN DNS names, validity, issuer and thumbprint of a leaf-only file', () => {
    const file = parseCertificateFile(leaf, 'mail.pem');
    expect(file.leaf.commonNames).toEqual(['mail.contoso.com']);
    expect(file.leaf.dnsNames).toEqual(['mail.contoso.com', 'autodiscover.contoso.com', '*.contoso.com']);
    expect(file.leaf.notBefore.toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(file.leaf.notAfter.toISOString()).toBe('2027-06-01T00:00:00.000Z');
    expect(file.leaf.issuer).toBe('O=Contoso Test, CN=Contoso Test Issuing CA');
    expect(file.leaf.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(file.leaf.selfSigned).toBe(false);
    expect(file.chain).toEqual([]);
    expect(file.issuerGiven).toBe(false);
  });

  it('finds the leaf among several blocks whatever their order, and sees its issuer', () => {
    for (const pem of [`${leaf}${pki.caPem}`, `${pki.caPem}\n${leaf}`]) {
      const file = parseCertificateFile(pem, 'chain.pem');
      expect(file.leaf.commonNames).toEqual(['mail.contoso.com']);
      expect(file.chain.map((c) => c.subject)).toEqual(['O=Contoso Test, CN=Contoso Test Issuing CA']);
      expect(file.issuerGiven).toBe(true);
    }
  });

  it('ignores a private-key block next to the certificate', () => {
    const pem = `-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n${leaf}`;
    expect(parseCertificateFile(pem, 'with-key.pem').leaf.commonNames).toEqual(['mail.contoso.com']);
  });

  it('reads a DER certificate (.cer)', () => {
    const base64 = leaf.replace(/-----[A-Z ]+-----|\s/g, '');
    const file = parseCertificateFile(Buffer.from(base64, 'base64'), 'mail.cer');
    expect(file.leaf.dnsNames).toContain('autodiscover.contoso.com');
  });

  it('recognises a self-signed certificate without keyCertSign', async () => {
    const pem = await pki.selfSigned({ commonName: 'ex01.contoso.local' });
    const file = parseCertificateFile(pem, 'self.pem');
    expect(file.leaf.selfSigned).toBe(true);
    expect(file.leaf.dnsNames).toEqual([]);
  });

  it.each([
    ['an empty file', '', /the file is empty/],
    ['text without PEM', 'hello, not a certificate\n', /contains no PEM block/],
    [
      'only a private key',
      '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n',
      /holds no certificate, only PRIVATE KEY/,
    ],
    ['a PKCS#7 bundle', '-----BEGIN PKCS7-----\nMIGH\n-----END PKCS7-----\n', /openssl pkcs7 -print_certs/],
    [
      'a corrupted certificate block',
      '-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
      /certificate block 1 is not a valid X\.509 certificate/,
    ],
  ])('rejects %s with a named error naming the file and what was expected', (_label, text, pattern) => {
    const error = inputError(() => parseCertificateFile(text, 'server.pem'));
    expect(error.code).toBe(ErrorCode.InvalidConfig);
    expect(error.file).toBe('server.pem');
    expect(error.message).toMatch(pattern);
    expect(error.message).toMatch(/expected a PEM file with the server certificate/);
  });

  it('rejects binary that is not DER', () => {
    const error = inputError(() => parseCertificateFile(new Uint8Array([0x30, 0x03, 0x01, 0x02]), 'x.cer'));
    expect(error.message).toMatch(/neither PEM nor a DER certificate/);
  });
});

describe('PEM blocks in a hostile certificate file', () => {
  const pem = readFileSync(
    new URL('../../sample-logs/config/mail.contoso.com.pem', import.meta.url),
    'latin1',
  );

  it('finds the certificates behind thousands of BEGIN lines that never end', () => {
    const noise = '-----BEGIN X509 CRL-----\nMIIB\n'.repeat(20_000);
    const file = parseCertificateFile(Buffer.from(`${noise}${pem}`, 'latin1'), 'noisy.pem');
    expect(file.leaf.subject.toLowerCase()).toContain('contoso');
  });

  it('still names what a file holds when it has no certificate block that ends', () => {
    const text = '-----BEGIN CERTIFICATE-----\nMIIB\n'.repeat(100);
    expect(() => parseCertificateFile(Buffer.from(text), 'cut.pem')).toThrow(/no PEM block/);
  });
});
