/**
 * `relay-audit check` end to end through `main()`: the sample configuration, certificates generated
 * in the test, human and JSON output, and exit statuses 0 (no error), 1 (an error), 2 (usage / bad
 * input file, naming the file and what was expected).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBytes } from '../../functions/core/organisation/configuration.js';
import { CHECK_IDS, ReadinessResult } from '../../functions/core/readiness/index.js';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { OrganisationConfigStore } from '../../functions/store/organisation-config.js';
import { cli } from '../support/capture-output.js';
import { opensslAvailable, TestPki } from '../support/certificates.js';

const SAMPLE = [
  '--accepted-domains',
  'sample-logs/config/accepted-domains.csv',
  '--connectors',
  'sample-logs/config/inbound-connectors.json',
  '--certificate',
  'sample-logs/config/mail.contoso.com.pem',
  '--at',
  '2026-11-29T12:00:00Z',
];

describe('relay-audit check on the sample configuration', () => {
  it('prints one block per finding and exits 1 because the HCW certificate name is not accepted', async () => {
    const { status, out } = await cli('check', ...SAMPLE);
    expect(status).toBe(1);
    const text = out.stdout;
    expect(text).toMatch(/^relay-audit check — relay readiness at 2026-11-29T12:00:00\.000Z/);
    expect(text).toMatch(/"Relay from on-premises apps" \(OnPremises, enabled, IP 203\.0\.113\.25\)/);
    expect(text).toMatch(
      /Certificate \(sample-logs\/config\/mail\.contoso\.com\.pem\): mail\.contoso\.com, autodiscover\.contoso\.com — valid 2026-06-01 to 2027-06-01/,
    );
    const blocks = text.split('\n\n').filter((block) => /^(ERROR|WARNING) /.test(block));
    expect(blocks.map((block) => block.split('\n')[0])).toEqual([
      'ERROR   certificate-self-signed',
      'ERROR   connector-cert-name-not-accepted',
      'WARNING connector-cert-name-is-host',
      'WARNING connector-ip-only',
      'WARNING connector-tls-not-required',
    ]);
    const notAccepted = blocks[1] ?? '';
    expect(notAccepted).toMatch(
      /Involves: Inbound from 7c1e4b2a-93d5-4f60-8a2e-b14d6c0f3e97; mail\.contoso\.com/,
    );
    expect(notAccepted).toMatch(/What to do:\n {4}1\. Change the certificate domain/);
    expect(notAccepted).toContain(
      "    Set-InboundConnector -Identity 'Inbound from 7c1e4b2a-93d5-4f60-8a2e-b14d6c0f3e97' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true",
    );
    expect(blocks[0]).toMatch(/is self-signed/);
    // A self-signed certificate has no chain or CA to judge: those checks are not checked, not passed.
    expect(text).toMatch(
      /\nPassed: no-onprem-connector, connector-disabled, certificate-name-mismatch, certificate-no-accepted-domain, certificate-expired, certificate-not-yet-valid, certificate-expiring\n/,
    );
    expect(text).toContain(
      '  certificate-chain-missing: not checked: the chain of certificate mail.contoso.com (sample-logs/config/mail.contoso.com.pem) — it is self-signed, which certificate-self-signed reports',
    );
    expect(text).toMatch(/2 errors, 3 warnings, 2 not checked — Exchange Online will refuse relayed mail/);
  });

  it('--json prints the inputs, a summary and results of the documented shape', async () => {
    const { status, out } = await cli('check', ...SAMPLE, '--json');
    expect(status).toBe(1);
    const report = JSON.parse(out.stdout) as {
      at: string;
      inputs: { connectors: { names: string[] }; certificates: { names: string[]; chain: string[] }[] };
      summary: Record<string, number>;
      passed: string[];
      results: unknown[];
    };
    expect(report.at).toBe('2026-11-29T12:00:00.000Z');
    expect(report.inputs.connectors.names).toHaveLength(2);
    expect(report.inputs.certificates[0]?.names).toEqual(['mail.contoso.com', 'autodiscover.contoso.com']);
    expect(report.summary).toEqual({ error: 2, warning: 3, info: 2 });
    const results = report.results.map((result) => ReadinessResult.parse(result));
    expect(results.map((result) => result.id)).toEqual([
      'certificate-self-signed',
      'connector-cert-name-not-accepted',
      'connector-cert-name-is-host',
      'connector-ip-only',
      'connector-tls-not-required',
      'certificate-chain-missing',
      'certificate-not-public-ca',
    ]);
    expect([...report.passed, ...results.map((r) => r.id)].sort()).toEqual([...CHECK_IDS].sort());
  });

  it('judges expiry at --at: the sample certificate is expiring in May 2027 and expired in July 2027', async () => {
    const expiring = await cli('check', ...SAMPLE.slice(0, -2), '--at', '2027-05-15', '--json');
    expect(JSON.parse(expiring.out.stdout).results.map((r: { id: string }) => r.id)).toContain(
      'certificate-expiring',
    );
    const expired = await cli('check', ...SAMPLE.slice(0, -2), '--at', '2027-07-01');
    expect(expired.status).toBe(1);
    expect(expired.out.stdout).toMatch(
      /ERROR {3}certificate-expired\n {2}Certificate mail\.contoso\.com .* expired on 2027-06-01/,
    );
  });

  it('reports what it could not check when only accepted domains are given, and exits 0', async () => {
    const { status, out } = await cli('check', '--accepted-domains', 'contoso.com');
    expect(status).toBe(0);
    expect(out.stdout).toMatch(
      /INFO {4}not checked\n {2}certificate-chain-missing: not checked: no certificates given/,
    );
    expect(out.stdout).toMatch(/connector-ip-only: not checked: no connectors given/);
    expect(out.stdout).toMatch(/0 errors, 0 warnings, 14 not checked — no problems in what was checked/);
  });
});

describe.skipIf(!opensslAvailable())('relay-audit check with generated certificates', () => {
  let pki: TestPki;
  let connectors: string;
  let chainPem: string;
  let expiredPem: string;
  beforeAll(async () => {
    pki = await TestPki.create();
    const leaf = await pki.issue({ commonName: 'mail.contoso.com', dnsNames: ['mail.contoso.com'] });
    const expired = await pki.issue({
      commonName: 'mail.contoso.com',
      notBefore: '2025-01-01',
      notAfter: '2026-01-01',
    });
    chainPem = await pki.write('chain.pem', `${leaf}${pki.caPem}`);
    expiredPem = await pki.write('expired.pem', `${expired}${pki.caPem}`);
    connectors = await pki.write(
      'connectors.json',
      JSON.stringify({
        Name: 'Inbound from EX01',
        Enabled: true,
        ConnectorType: 1,
        SenderIPAddresses: null,
        SenderDomains: 'smtp:*;1',
        RequireTls: true,
        TlsSenderCertificateName: '*.contoso.com',
        RestrictDomainsToCertificate: true,
      }),
    );
  });
  afterAll(async () => {
    await pki?.dispose();
  });

  // The test CA is private, as an internal CA is: everything else right, only that is refused.
  it('exits 1 when connector and certificate are right but a private CA issued it', async () => {
    const { status, out } = await cli(
      'check',
      '--accepted-domains',
      'contoso.com',
      '--connectors',
      connectors,
      '--certificate',
      chainPem,
      '--at',
      '2026-07-01',
    );
    expect(out.stderr).toBe('');
    expect(status).toBe(1);
    expect(out.stdout).toMatch(/\nERROR {3}certificate-not-public-ca\n/);
    expect(out.stdout).toMatch(
      /1 error, 0 warnings, 0 not checked — Exchange Online will refuse relayed mail/,
    );
  });

  it('exits 1 for an expired certificate, among several --certificate files', async () => {
    const { status, out } = await cli(
      'check',
      '--accepted-domains',
      'contoso.com',
      '--connectors',
      connectors,
      '--certificate',
      chainPem,
      '--certificate',
      expiredPem,
      '--at',
      '2026-07-01',
      '--json',
    );
    expect(status).toBe(1);
    const report = JSON.parse(out.stdout) as { results: { id: string; objects: string[] }[] };
    // Both files come from the private test CA (certificate-not-public-ca each); one of them has expired.
    expect(report.results.filter((result) => result.id !== 'certificate-not-public-ca')).toEqual([
      expect.objectContaining({ id: 'certificate-expired', objects: [`mail.contoso.com (${expiredPem})`] }),
    ]);
    expect(report.results.filter((result) => result.id === 'certificate-not-public-ca')).toHaveLength(2);
  });

  it('exits 2 when a --certificate file is not a certificate, naming it and what was expected', async () => {
    const notPem = await pki.write(
      'key-only.pem',
      '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n',
    );
    const { status, out } = await cli('check', '--accepted-domains', 'contoso.com', '--certificate', notPem);
    expect(status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(
      `relay-audit check: ${notPem}: it holds no certificate, only PRIVATE KEY; expected a PEM file`,
    );
  });
});

describe('relay-audit check --store with a private key in the certificate file', () => {
  it('stores only the certificate and says the file holds a key, whatever the form of the key block', async () => {
    // Prepare: the sample certificate followed by a key block whose END label does not match its BEGIN.
    const work = await mkdtemp(join(tmpdir(), 'relay-audit-key-'));
    try {
      const key = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
        type: 'pkcs1',
        format: 'pem',
      }) as string;
      const keyLine = key.split('\n')[5] ?? '';
      const pem = join(work, 'mail.pem');
      const certificate = await readFile('sample-logs/config/mail.contoso.com.pem', 'latin1');
      await writeFile(
        pem,
        `${certificate}${key.replace('-----END RSA PRIVATE KEY-----', '-----END PRIVATE KEY-----')}`,
      );

      // Act
      const { status, out } = await cli(
        'check',
        '--accepted-domains',
        'contoso.com',
        '--certificate',
        pem,
        '--at',
        '2026-11-29T12:00:00Z',
        '--store',
        '--db',
        join(work, 'db'),
      );
      const store = await startEmbeddedStore({ dir: join(work, 'db') });
      const config = await new OrganisationConfigStore(store).getConfig();
      await store.close();

      // Assess
      expect(status).toBeLessThan(2);
      expect(out.stderr).toContain(`relay-audit check: ${pem} holds a private key: it is not stored`);
      const file = config?.files.find((candidate) => candidate.name === pem);
      const stored = Buffer.from(fileBytes(file ?? { name: pem, kind: 'certificate', size: 0, sha256: '' }));
      expect(stored.toString('latin1')).toContain('-----BEGIN CERTIFICATE-----');
      expect(stored.toString('latin1')).not.toContain(keyLine);
      expect(stored.toString('latin1')).not.toMatch(/PRIVATE KEY/i);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('relay-audit check usage and bad input (exit 2)', () => {
  it.each([
    [['check'], /--accepted-domains is required/],
    [
      ['check', '--accepted-domains', 'contoso.com', '--at', 'tomorrow'],
      /--at: expected a date such as 2026-11-28 or an ISO 8601 time .*, got "tomorrow"/,
    ],
    [
      ['check', '--accepted-domains', 'contoso.com', '--at', '2026-13-45'],
      /--at: expected a date such as 2026-11-28 or an ISO 8601 time .*, got "2026-13-45"/,
    ],
    [['check', '--accepted-domains', 'not a domain!'], /invalid accepted domains/],
    [
      ['check', '--accepted-domains', 'contoso.com', '--connectors', 'no-such.json'],
      /--connectors no-such\.json: no such file/,
    ],
    [
      ['check', '--accepted-domains', 'contoso.com', '--certificate', 'sample-logs'],
      /--certificate sample-logs: is a directory/,
    ],
    [['check', '--accepted-domains', 'contoso.com', 'extra'], /unexpected argument "extra"/],
    [
      ['check', '--accepted-domains', 'contoso.com', '--bogus'],
      /unknown option --bogus \(relay-audit help check/,
    ],
  ])('%j', async (argv, pattern) => {
    const { status, out } = await cli(...argv);
    expect(status).toBe(2);
    expect(out.stderr).toMatch(pattern);
  });

  it.each([
    [
      'a CSV export',
      'sample-logs/config/accepted-domains.csv',
      /not valid JSON .*; it looks like CSV \(Export-Csv\)/,
    ],
    ['a certificate given as connectors', 'sample-logs/config/mail.contoso.com.pem', /not valid JSON/],
  ])(
    'a malformed --connectors file (%s) names the file and what was expected',
    async (_label, file, pattern) => {
      const { status, out } = await cli('check', '--accepted-domains', 'contoso.com', '--connectors', file);
      expect(status).toBe(2);
      expect(out.stderr).toMatch(new RegExp(`^relay-audit check: ${file.replace(/\./g, '\\.')}: `));
      expect(out.stderr).toMatch(pattern);
      expect(out.stderr).toMatch(/expected the output of Get-InboundConnector \| ConvertTo-Json/);
    },
  );

  it('a connectors file given as --certificate names the file and the PEM expected', async () => {
    const { status, out } = await cli(
      'check',
      '--accepted-domains',
      'contoso.com',
      '--certificate',
      'sample-logs/config/inbound-connectors.json',
    );
    expect(status).toBe(2);
    expect(out.stderr).toMatch(
      /sample-logs\/config\/inbound-connectors\.json: it contains no PEM block; expected a PEM file with the server certificate/,
    );
  });

  it.each([
    ['2026-11-28', '2026-11-28T00:00:00.000Z'],
    ['2026-11-28T22:00', '2026-11-28T22:00:00.000Z'],
    ['2026-11-28 22:00:00', '2026-11-28T22:00:00.000Z'],
    ['2026-11-29T00:00+02', '2026-11-28T22:00:00.000Z'],
  ])('reads --at %j as findings --since does (a time without a zone is UTC)', async (value, at) => {
    const { status, out } = await cli('check', '--accepted-domains', 'contoso.com', '--at', value, '--json');
    expect(status).toBe(0);
    expect(JSON.parse(out.stdout).at).toBe(at);
  });

  it('help check prints the usage', async () => {
    const { status, out } = await cli('help', 'check');
    expect(status).toBe(0);
    expect(out.stdout).toMatch(/relay-audit check --accepted-domains <list\|file> \[options\]/);
    expect(out.stdout).toMatch(/Exit status: 0 no errors, 1 at least one error, 2 usage error/);
  });
});
