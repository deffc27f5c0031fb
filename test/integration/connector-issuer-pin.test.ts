/**
 * A connector's `TlsSenderCertificateName` in the X.500 form `<I>issuer<S>subject` pins the issuer:
 * a certificate from another CA (a renewal elsewhere) does not match the connector. `check` compares
 * the pin with the certificate file's issuer and `analyze` with the send protocol log's "Certificate
 * issuer name"; the same issuer spelt another way (RDN order, case, spacing) still matches.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Finding } from '../../functions/core/analysis/model/findings.js';
import {
  expectedCertificateText,
  type InboundConnector,
  parseInboundConnectors,
  toInboundConnectorInfo,
} from '../../functions/core/organisation/connectors.js';
import { sameDistinguishedName } from '../../functions/core/organisation/x509-names.js';
import { ReadinessResult } from '../../functions/core/readiness/result.js';
import { cli } from '../support/capture-output.js';

const FIXTURES = 'test/fixtures/real-world/connector-issuer-pin';
const CERTIFICATES = 'test/fixtures/real-world/certificate-files';
const GOOGLE_PIN = `${FIXTURES}/google-other-issuer.json`;
const CONTOSO_PIN = `${FIXTURES}/contoso-old-issuer.json`;
const HCW = 'Inbound from 7c1e4b2a-93d5-4f60-8a2e-b14d6c0f3e97';
const LOG = 'sample-logs/SEND20261128-1.LOG';

let dir: string;
let chain: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'issuer-pin-'));
  chain = join(dir, 'www.google.com-chain.pem');
  const pems = await Promise.all(
    ['www.google.com.pem', 'gts-ca-1c3.pem'].map((file) => readFile(join(CERTIFICATES, file), 'utf8')),
  );
  await writeFile(chain, pems.join(''));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The connectors file with its pinned issuer replaced. */
async function repinned(file: string, from: string, to: string): Promise<string> {
  const text = (await readFile(file, 'utf8')).replace(from, to);
  const target = join(dir, `repinned-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(target, text);
  return target;
}

async function check(connectors: string, ...extra: string[]) {
  const { status, out } = await cli(
    'check',
    '--accepted-domains',
    'google.com',
    '--connectors',
    connectors,
    ...extra,
    '--at',
    '2023-02-01',
    '--json',
  );
  const report = JSON.parse(out.stdout) as { results: unknown[]; passed: string[] };
  return { status, results: report.results.map((r) => ReadinessResult.parse(r)), passed: report.passed };
}

async function analyse(connectors: string, log = LOG): Promise<Finding> {
  const { status, out } = await cli(
    'analyze',
    log,
    '--no-store',
    '--accepted-domains',
    'contoso.com',
    '--connectors',
    connectors,
  );
  expect(status, out.stderr).toBe(0);
  const findings = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => Finding.parse(JSON.parse(line)));
  const mismatch = findings.find((finding) => finding.scenario === 'connector-mismatch');
  expect(mismatch).toBeDefined();
  return mismatch as Finding;
}

describe('distinguished names as Windows, OpenSSL and Node print them', () => {
  it('are the same whatever the RDN order, case, spacing and S/ST spelling', () => {
    const windows = 'CN=mail.contoso.com, O=Contoso Ltd, L=Seattle, S=WA, C=US';
    expect(
      sameDistinguishedName(windows, 'C = US, ST = WA, L = Seattle, O = Contoso Ltd, CN = mail.contoso.com'),
    ).toBe(true);
    expect(sameDistinguishedName(windows, 'C=US\nST=WA\nL=Seattle\nO=contoso ltd\nCN=MAIL.contoso.com')).toBe(
      true,
    );
    expect(sameDistinguishedName('O="Contoso, Ltd", C=US', 'C = US, O = "Contoso, Ltd"')).toBe(true);
    expect(sameDistinguishedName(windows, 'CN=mail.contoso.com, O=Contoso Ltd, C=US')).toBe(false);
    expect(sameDistinguishedName('O="Contoso, Ltd", C=US', 'O=Contoso, OU=Ltd, C=US')).toBe(false);
  });
});

describe('the connectors file', () => {
  it('keeps the issuer and the whole subject of the X.500 form, and none for the domain form', async () => {
    const [ip, hcw] = parseInboundConnectors(await readFile(CONTOSO_PIN), CONTOSO_PIN);
    expect(ip?.tlsSenderCertificateIssuer).toBeUndefined();
    expect(hcw?.tlsSenderCertificateName).toBe('mail.contoso.com');
    expect(hcw?.tlsSenderCertificateIssuer).toBe('CN=Contoso Old Issuing CA, O=Old Trust Inc, C=US');
    expect(hcw?.tlsSenderCertificateSubject).toBe(
      'CN=mail.contoso.com, O=Contoso Ltd, L=Seattle, S=WA, C=US',
    );
  });
});

describe('check', () => {
  it('does not say ready when the connector pins another issuer than the certificate’s', async () => {
    const { status, results } = await check(GOOGLE_PIN, '--certificate', chain);
    expect(status).not.toBe(0);
    const pin = results.find((result) => result.id === 'certificate-name-mismatch');
    expect(pin?.severity).toBe('error');
    expect(pin?.message).toContain('CN=Some Other CA, O=Other Trust, C=US');
    expect(pin?.message).toContain('CN=GTS CA 1C3, O=Google Trust Services LLC, C=US');
    expect(pin?.remediation.commands).toContain(
      `Set-InboundConnector -Identity '${HCW}' -TlsSenderCertificateName *.google.com -RestrictDomainsToCertificate $true`,
    );
    expect(pin?.remediation.commands).toContain(
      `Set-InboundConnector -Identity '${HCW}' -TlsSenderCertificateName ` +
        `'<I>CN=GTS CA 1C3, O=Google Trust Services LLC, C=US<S>CN=*.google.com' -RestrictDomainsToCertificate $true`,
    );
  });

  it('passes when the pinned issuer is the certificate’s, spelt another way', async () => {
    const same = await repinned(
      GOOGLE_PIN,
      'CN=Some Other CA, O=Other Trust, C=US',
      'c = US, o = google trust services llc, CN = GTS CA 1C3',
    );
    const { status, results, passed } = await check(same, '--certificate', chain);
    expect(results.map((result) => result.id)).not.toContain('certificate-name-mismatch');
    expect(passed).toContain('certificate-name-mismatch');
    expect(status).toBe(0);
  });

  it('says the pin was not checked without a certificate file', async () => {
    const { results, passed } = await check(GOOGLE_PIN);
    expect(passed).not.toContain('certificate-name-mismatch');
    const pin = results.find((result) => result.id === 'certificate-name-mismatch');
    expect(pin?.severity).toBe('info');
    expect(pin?.message).toMatch(/^not checked/);
  });
});

describe('analyze', () => {
  it('says the connector pins another issuer than the presented certificate’s, and how to fix it', async () => {
    const finding = await analyse(CONTOSO_PIN);
    const versus = finding.evidence.find((item) => item.kind === 'certificate-vs-connector')?.detail ?? '';
    expect(versus).toContain('pins the issuer CN=Contoso Old Issuing CA, O=Old Trust Inc, C=US');
    expect(versus).toContain(
      "certificate's issuer is CN=Fabrikam TLS RSA CA 2026, O=Fabrikam Trust Services, C=US",
    );
    expect(versus).not.toMatch(/which a name on the certificate matches$/);
    const steps = finding.remediation.steps.join('\n');
    expect(steps).not.toContain('the certificate names are not the cause');
    expect(steps).toContain("the issuer the connector pins is not the presented certificate's issuer");
    expect(steps).toContain('refuse to attribute the connection');
    expect(steps).toContain(
      '<I>CN=Fabrikam TLS RSA CA 2026, O=Fabrikam Trust Services, C=US<S>CN=mail.contoso.com, O=Contoso Ltd, L=Seattle, S=WA, C=US',
    );
    expect(finding.remediation.commands).toContain(
      `Set-InboundConnector -Identity '${HCW}' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true`,
    );
  });

  it('changes nothing when the pinned issuer is the presented certificate’s, spelt another way', async () => {
    const same = await repinned(
      CONTOSO_PIN,
      'CN=Contoso Old Issuing CA, O=Old Trust Inc, C=US',
      'C = US, O = Fabrikam Trust Services, CN = Fabrikam TLS RSA CA 2026',
    );
    const finding = await analyse(same);
    const versus = finding.evidence.find((item) => item.kind === 'certificate-vs-connector')?.detail;
    expect(versus).toBe(
      `the OnPremises connector "${HCW}" expects mail.contoso.com, which a name on the certificate matches`,
    );
    expect(finding.remediation.steps.join('\n')).toContain('the certificate names are not the cause');
  });

  it('says the pin was not checked when the log names no issuer', async () => {
    const text = await readFile(LOG, 'utf8');
    const withoutIssuer = text
      .split('\n')
      .filter(
        (line) => !(line.includes('08DF006B9F7584FD') && line.trimEnd().endsWith(',Certificate issuer name')),
      )
      .join('\n');
    expect(withoutIssuer).not.toBe(text);
    const logDir = await mkdtemp(join(dir, 'log-'));
    const log = join(logDir, 'SEND20261128-1.LOG');
    await writeFile(log, withoutIssuer);
    const finding = await analyse(CONTOSO_PIN, log);
    const versus = finding.evidence.find((item) => item.kind === 'certificate-vs-connector')?.detail;
    expect(versus).toContain(
      'it also pins the issuer CN=Contoso Old Issuing CA, O=Old Trust Inc, C=US, which the log does not name, so the issuer was not checked',
    );
  });
});

describe('connector listings', () => {
  it('show the issuer an X.500 name pins', async () => {
    const [ip, hcw] = parseInboundConnectors(await readFile(CONTOSO_PIN), CONTOSO_PIN);
    expect(expectedCertificateText(hcw as InboundConnector)).toBe(
      'mail.contoso.com (issuer CN=Contoso Old Issuing CA, O=Old Trust Inc, C=US)',
    );
    expect(expectedCertificateText(toInboundConnectorInfo(hcw as InboundConnector))).toBe(
      'mail.contoso.com (issuer CN=Contoso Old Issuing CA, O=Old Trust Inc, C=US)',
    );
    expect(expectedCertificateText(ip as InboundConnector)).toBe('');
  });
});
