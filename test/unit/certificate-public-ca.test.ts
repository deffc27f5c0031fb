/**
 * A certificate from a CA that is not public — an Active Directory Certificate Services CA, or any
 * private root — never attributes relay, since Exchange Online trusts only public CAs:
 * `check`'s `certificate-not-public-ca` judges the chain in the file against the public roots Node
 * ships, and `analyze` says so of a presented certificate whose issuer carries AD CS's `DC=`
 * components. Public chains: real Google Trust Services certificates (fixtures); private ones: test
 * CAs generated with `openssl`.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateFacts,
  certificateFacts,
  sessionEvidence,
} from '../../functions/core/analysis/evidence/presented-certificate.js';
import type { PresentedCertificate } from '../../functions/core/analysis/model/events.js';
import { Remediation } from '../../functions/core/analysis/model/findings.js';
import { type RemediationContext, remediationFor } from '../../functions/core/analysis/remediation/index.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import {
  type CertificateFile,
  parseCertificateFile,
  type ReadinessResult,
  runReadinessChecks,
} from '../../functions/core/readiness/index.js';
import { cli } from '../support/capture-output.js';
import { opensslAvailable, TestPki } from '../support/certificates.js';

const CONTOSO = parseAcceptedDomains('contoso.com', 'test');
const AT = new Date('2026-07-01T00:00:00Z');
const FIXTURES = 'test/fixtures/real-world/certificate-files';
const GOOGLE_LEAF = readFileSync(`${FIXTURES}/www.google.com.pem`, 'latin1');
const GTS_CA_1C3 = readFileSync(`${FIXTURES}/gts-ca-1c3.pem`, 'latin1');
const GTS_ROOT_R1 = readFileSync(`${FIXTURES}/gts-root-r1.pem`, 'latin1');
const ADCS_ROOT = readFileSync(`${FIXTURES}/adcs-contoso-DC01-CA.pem`, 'latin1');
const ADCS_LEAF = readFileSync(`${FIXTURES}/adcs-mail.contoso.com.pem`, 'latin1');

/** One enabled OnPremises connector expecting `name`, as `Get-InboundConnector | ConvertTo-Json` writes it. */
function certificateConnector(name: string) {
  return {
    Name: 'OnPrem cert',
    Enabled: true,
    ConnectorType: 1,
    SenderIPAddresses: null,
    SenderDomains: 'smtp:*;1',
    RequireTls: true,
    TlsSenderCertificateName: name,
    RestrictDomainsToCertificate: true,
  };
}

/** The `certificate-not-public-ca` results for these files. */
function notPublicCa(...certificates: CertificateFile[]): ReadinessResult[] {
  return runReadinessChecks({ acceptedDomains: CONTOSO, at: AT, certificates }).filter(
    (result) => result.id === 'certificate-not-public-ca',
  );
}

describe('certificate-not-public-ca with a public chain', () => {
  it('passes a leaf given with the public intermediate a public root issued', () => {
    const file = parseCertificateFile(`${GOOGLE_LEAF}${GTS_CA_1C3}`, 'google.pem');
    expect(notPublicCa(file)).toEqual([]);
  });

  it('passes a chain given up to its public root, in any order', () => {
    const file = parseCertificateFile(`${GTS_ROOT_R1}${GOOGLE_LEAF}${GTS_CA_1C3}`, 'google-full.pem');
    expect(file.leaf.commonNames).toEqual(['www.google.com']);
    expect(notPublicCa(file)).toEqual([]);
  });

  it('says "not checked" for a leaf without its chain: its issuer is neither given nor a public root', () => {
    const file = parseCertificateFile(GOOGLE_LEAF, 'google-leaf.pem');
    const [result, ...rest] = notPublicCa(file);
    expect(rest).toEqual([]);
    expect(result?.severity).toBe('info');
    expect(result?.message).toBe(
      'not checked: whether certificate www.google.com (google-leaf.pem) comes from a public CA — its chain in ' +
        'the file stops below C=US, O=Google Trust Services LLC, CN=GTS CA 1C3, which is neither in the file nor ' +
        'a public root CA',
    );
    expect(result?.remediation.steps[0]).toMatch(
      /^Give google-leaf\.pem with the whole chain up to the root CA/,
    );
  });
});

describe('relay-audit check with a public chain', () => {
  it('says ready when the chain leads to a public root and the rest fits (judged while the leaf was valid)', async () => {
    const work = await mkdtemp(join(tmpdir(), 'relay-audit-public-'));
    try {
      const pem = join(work, 'www.google.com.pem');
      const connectors = join(work, 'connectors.json');
      await writeFile(pem, `${GOOGLE_LEAF}${GTS_CA_1C3}`);
      await writeFile(connectors, JSON.stringify(certificateConnector('*.google.com')));
      const { status, out } = await cli(
        'check',
        '--accepted-domains',
        'google.com',
        '--connectors',
        connectors,
        '--certificate',
        pem,
        '--at',
        '2023-02-01',
      );
      expect(out.stderr).toBe('');
      expect(status).toBe(0);
      expect(out.stdout).toMatch(/\nPassed: .*certificate-not-public-ca\n/);
      expect(out.stdout).toMatch(/0 errors, 0 warnings, 0 not checked — ready\.\n$/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!opensslAvailable())('certificate-not-public-ca with private CAs', () => {
  let privateCa: TestPki;
  const mail = {
    commonName: 'mail.contoso.com',
    dnsNames: ['mail.contoso.com', 'autodiscover.contoso.com', 'ex01.contoso.local'],
  };
  beforeAll(async () => {
    privateCa = await TestPki.create('Fabrikam Root CA');
  });
  afterAll(async () => {
    await privateCa?.dispose();
  });

  it('is an error when the chain ends in a root that is not public, naming that root', async () => {
    const file = parseCertificateFile(`${await privateCa.issue(mail)}${privateCa.caPem}`, 'private.pem');
    const [result, ...rest] = notPublicCa(file);
    expect(rest).toEqual([]);
    expect(result?.severity).toBe('error');
    expect(result?.message).toMatch(
      /^Certificate mail\.contoso\.com \(private\.pem\) leads to the root CA O=Contoso Test, CN=Fabrikam Root CA, which is not a public CA\. Exchange Online trusts only certificates a public CA issued/,
    );
    expect(result?.message).not.toContain('Active Directory');
    expect(result?.objects).toEqual([
      'mail.contoso.com (private.pem)',
      'O=Contoso Test, CN=Fabrikam Root CA',
    ]);
    // Internal names cannot be on a public certificate: only the accepted ones are asked for.
    expect(result?.remediation.steps[0]).toBe(
      'Get a certificate from a public CA with the same names (mail.contoso.com and autodiscover.contoso.com) ' +
        'and install it on the server with its intermediate chain.',
    );
  });

  it('says "not checked" for a leaf whose absent issuer is an ordinary name', async () => {
    const file = parseCertificateFile(await privateCa.issue(mail), 'leaf.pem');
    expect(notPublicCa(file).map((result) => result.severity)).toEqual(['info']);
  });

  it('leaves a self-signed certificate to certificate-self-signed: one error for one cause', async () => {
    const file = parseCertificateFile(await privateCa.selfSigned(mail), 'self.pem');
    const results = runReadinessChecks({ acceptedDomains: CONTOSO, at: AT, certificates: [file] });
    expect(results.filter((result) => result.severity === 'error').map((result) => result.id)).toEqual([
      'certificate-self-signed',
    ]);
    // Not passed either: not checked, saying why.
    expect(notPublicCa(file).map((result) => [result.severity, result.message])).toEqual([
      [
        'info',
        expect.stringMatching(/^not checked: .* it is self-signed, which certificate-self-signed reports$/),
      ],
    ]);
  });
});

describe('certificate-not-public-ca with an Active Directory Certificate Services CA', () => {
  it('says an AD CS root is an internal Active Directory CA (leaf and domain CA exported together)', () => {
    const file = parseCertificateFile(`${ADCS_LEAF}${ADCS_ROOT}`, 'enterprise-ca-chain.pem');
    const [result, ...rest] = notPublicCa(file);
    expect(rest).toEqual([]);
    expect(result?.severity).toBe('error');
    expect(result?.message).toMatch(
      /^Certificate mail\.contoso\.com \(enterprise-ca-chain\.pem\) leads to the root CA DC=local, DC=contoso, CN=contoso-DC01-CA, which is not a public CA: its DC= components mark an internal Active Directory Certificate Services CA\. Exchange Online trusts only certificates a public CA issued/,
    );
  });

  it('is an error, not "not checked", for a leaf whose absent issuer has DC= components', () => {
    const file = parseCertificateFile(ADCS_LEAF, 'adcs-leaf.pem');
    const [result, ...rest] = notPublicCa(file);
    expect(rest).toEqual([]);
    expect(result?.severity).toBe('error');
    expect(result?.message).toMatch(
      /^Certificate mail\.contoso\.com \(adcs-leaf\.pem\) comes from the CA DC=local, DC=contoso, CN=contoso-DC01-CA: its DC= components mark an internal Active Directory Certificate Services CA\./,
    );
  });

  it('makes check exit 1 for the AD CS chain that was "ready" with a matching connector', async () => {
    const work = await mkdtemp(join(tmpdir(), 'relay-audit-adcs-'));
    try {
      const pem = join(work, 'enterprise-ca-chain.pem');
      const connectors = join(work, 'connectors.json');
      await writeFile(pem, `${ADCS_LEAF}${ADCS_ROOT}`);
      await writeFile(connectors, JSON.stringify(certificateConnector('*.contoso.com')));
      const { status, out } = await cli(
        'check',
        '--accepted-domains',
        'contoso.com',
        '--connectors',
        connectors,
        '--certificate',
        pem,
        '--at',
        '2027-06-01',
      );
      expect(out.stderr).toBe('');
      expect(status).toBe(1);
      expect(out.stdout).toMatch(/\nERROR {3}certificate-not-public-ca\n/);
      expect(out.stdout).toMatch(
        /1 error, 0 warnings, 0 not checked — Exchange Online will refuse relayed mail/,
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('analyze: a presented certificate whose issuer has DC= components', () => {
  const ADCS_ISSUER = 'CN=contoso-DC01-CA, DC=contoso, DC=local';
  const presented = (issuer: string, subject = 'CN=mail.contoso.com, O=Contoso'): PresentedCertificate => ({
    subject,
    issuer,
    thumbprint: '3C6E1F0B9A42D8E57C1B0F6A2D94E3B8C5A7F102',
    names: ['mail.contoso.com', 'autodiscover.contoso.com', 'ex01.contoso.local'],
    alternateNames: ['mail.contoso.com', 'autodiscover.contoso.com', 'ex01.contoso.local'],
  });

  /** An NDR relayed by EX01 through the enabled connector the certificate matches. */
  const ndr = (certificate: CertificateFacts): RemediationContext => ({
    senderDomain: 'contoso.com',
    recipientDomain: 'litware.com',
    returnPath: '',
    acceptedDomains: ['contoso.com'],
    acceptedDomainsSource: 'given',
    serverHostname: 'mail.contoso.com',
    connectorId: 'Outbound to Office 365',
    attr: 'ATTR36',
    code: '5.7.64',
    inboundConnectors: [
      {
        name: 'OnPrem cert',
        enabled: true,
        identifiesBy: 'certificate',
        tlsSenderCertificateName: '*.contoso.com',
      },
    ],
    session: { tls: true, certificate },
  });

  function advice(ctx: RemediationContext, scenario: 'ndr' | 'connector-mismatch' = 'ndr') {
    const remediation = remediationFor(scenario, ctx);
    expect(Remediation.safeParse(remediation).success).toBe(true);
    return [...remediation.steps, ...remediation.commands].join('\n');
  }

  it('marks the certificate as from an internal CA, and only for DC= components', () => {
    expect(certificateFacts(presented(ADCS_ISSUER), CONTOSO).internalCa).toBe(true);
    expect(certificateFacts(presented('DC=local, DC=contoso, CN=contoso-DC01-CA'), CONTOSO).internalCa).toBe(
      true,
    );
    // No guess from other issuer names, even one in the tenant's own domain.
    expect(
      certificateFacts(presented('CN=Contoso Issuing CA, O=contoso.local'), CONTOSO).internalCa,
    ).toBeUndefined();
    expect(
      certificateFacts(presented('CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1'), CONTOSO).internalCa,
    ).toBeUndefined();
  });

  it('says so in the evidence', () => {
    const evidence = sessionEvidence(
      { id: '08DF000000000008', tls: true, certificate: presented(ADCS_ISSUER), line: 8 },
      { file: 'SEND.LOG', sourceId: 'SEND.LOG', line: 31 },
      { server: 'mail.contoso.com', domains: CONTOSO, domainsKnown: true },
    );
    expect(evidence.find((item) => item.kind === 'presented-certificate')?.detail).toContain(
      `issued by ${ADCS_ISSUER}; the issuer's DC= components mark an internal Active Directory CA, which Exchange Online does not trust`,
    );
  });

  it('asks for a certificate from a public CA instead of the chain, for an NDR through a matching connector', () => {
    const text = advice(ndr(certificateFacts(presented(ADCS_ISSUER), CONTOSO)));
    expect(text).toContain(
      `It was issued by your internal CA ${ADCS_ISSUER} (its DC= components are the ones Active Directory ` +
        'Certificate Services writes), so even a certificate-based connector cannot attribute these messages by ' +
        'it: bind a certificate from a public CA with a name in contoso.com',
    );
    expect(text).not.toContain('did present a matching certificate');
    expect(text).not.toContain('sends the intermediate CA certificates');
    expect(text).not.toContain('so this certificate can attribute these messages');
  });

  it('changes the certificate, not the connector, for a connector-mismatch', () => {
    const {
      attr: _attr,
      returnPath: _returnPath,
      ...ctx
    } = ndr(certificateFacts(presented(ADCS_ISSUER), CONTOSO));
    const text = advice({ ...ctx, sender: 'finance@contoso.com' }, 'connector-mismatch');
    expect(text).toContain(
      `Change the certificate, not the connector: it was issued by your internal CA ${ADCS_ISSUER}`,
    );
    expect(text).not.toContain('the certificate names are not the cause');
    expect(text).toContain(
      "Set-SendConnector -Identity 'Outbound to Office 365' -TlsCertificateName '<I><issuer of a certificate for *.contoso.com><S><its subject>'",
    );
  });

  it('keeps the advice for a certificate from another issuer', () => {
    const text = advice(ndr(certificateFacts(presented('CN=Fabrikam TLS RSA CA 2026'), CONTOSO)));
    expect(text).toContain('did present a matching certificate');
    expect(text).not.toContain('internal CA');
  });
});
