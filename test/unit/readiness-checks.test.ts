/**
 * Every readiness check: fires when it should, stays quiet when it should not, with certificates
 * generated in the test (test CA, leaf-only and leaf+chain PEMs, wildcard SANs, validity windows
 * judged at a fixed `at`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AcceptedDomainList,
  parseAcceptedDomains,
} from '../../functions/core/organisation/accepted-domains.js';
import {
  type CertificateFile,
  CHECK_IDS,
  type CheckId,
  type InboundConnector,
  parseCertificateFile,
  type ReadinessInput,
  ReadinessResult,
  runReadinessChecks,
  toInboundConnectorInfo,
} from '../../functions/core/readiness/index.js';
import { type CertificateSpec, opensslAvailable, TestPki } from '../support/certificates.js';

/** Inside the default validity (2026-01-01 … 2027-01-01) and more than 30 days from its end. */
const AT = new Date('2026-07-01T00:00:00Z');
const CONTOSO = parseAcceptedDomains('contoso.com', 'test');
const CONTOSO_SUBDOMAINS = parseAcceptedDomains(
  '"Name","DomainName","DomainType","Default","MatchSubDomains"\r\n"contoso.com","contoso.com","InternalRelay","True","True"\r\n',
  'accepted-domains.csv',
);

function connector(fields: Partial<InboundConnector> = {}): InboundConnector {
  return {
    name: 'Inbound from EX01',
    enabled: true,
    connectorType: 'OnPremises',
    connectorSource: 'Default',
    senderIPAddresses: [],
    senderDomains: ['*'],
    requireTls: true,
    tlsSenderCertificateName: '*.contoso.com',
    restrictDomainsToCertificate: true,
    restrictDomainsToIPAddresses: false,
    cloudServicesMailEnabled: undefined,
    associatedAcceptedDomains: [],
    ...fields,
  };
}

const ipOnly = (fields: Partial<InboundConnector> = {}) =>
  connector({
    name: 'Relay from apps',
    senderIPAddresses: ['203.0.113.25'],
    tlsSenderCertificateName: undefined,
    restrictDomainsToCertificate: false,
    restrictDomainsToIPAddresses: true,
    ...fields,
  });

function check(input: Partial<ReadinessInput>): ReadinessResult[] {
  return runReadinessChecks({ acceptedDomains: CONTOSO, at: AT, ...input });
}

function only(results: readonly ReadinessResult[], id: CheckId): ReadinessResult[] {
  return results.filter((result) => result.id === id);
}

function fired(results: readonly ReadinessResult[], id: CheckId): boolean {
  return results.some((result) => result.id === id && result.severity !== 'info');
}

describe('connector checks', () => {
  it('a certificate-based connector on *.contoso.com with TLS passes every connector check', () => {
    const results = check({ connectors: [connector()] });
    expect(results.filter((r) => r.severity !== 'info')).toEqual([]);
  });

  describe('no-onprem-connector', () => {
    it('fires when there are no connectors at all', () => {
      const [result] = only(check({ connectors: [] }), 'no-onprem-connector');
      expect(result?.severity).toBe('error');
      expect(result?.message).toMatch(/lists no inbound connector/);
      expect(result?.remediation.commands.join('\n')).toMatch(
        /New-InboundConnector -Name 'From on-premises servers \(certificate\)' -ConnectorType OnPremises -SenderDomains \* -RequireTls \$true -TlsSenderCertificateName \*\.contoso\.com -RestrictDomainsToCertificate \$true/,
      );
    });

    it('fires when only Partner connectors exist', () => {
      const [result] = only(
        check({ connectors: [connector({ name: 'Fabrikam partner', connectorType: 'Partner' })] }),
        'no-onprem-connector',
      );
      expect(result?.message).toMatch(
        /^None of your 1 inbound connector \("Fabrikam partner"\) is of type OnPremises/,
      );
    });

    it('fires when the only OnPremises connector is disabled, naming it and the command to enable it', () => {
      const [result] = only(check({ connectors: [connector({ enabled: false })] }), 'no-onprem-connector');
      expect(result?.objects).toEqual(['Inbound from EX01']);
      expect(result?.remediation.commands).toContain(
        "Set-InboundConnector -Identity 'Inbound from EX01' -Enabled $true",
      );
    });

    it('does not fire when an enabled OnPremises connector exists', () => {
      expect(fired(check({ connectors: [ipOnly()] }), 'no-onprem-connector')).toBe(false);
    });
  });

  describe('connector-disabled', () => {
    it('fires for a disabled OnPremises connector, even when another is enabled', () => {
      const results = check({ connectors: [connector(), ipOnly({ enabled: false })] });
      const [result] = only(results, 'connector-disabled');
      expect(result?.severity).toBe('warning');
      expect(result?.objects).toEqual(['Relay from apps']);
      expect(result?.message).toMatch(
        /"Relay from apps" \(identifies servers by IP address \(203\.0\.113\.25\)\) is disabled/,
      );
    });

    it('does not fire for enabled connectors or a disabled Partner connector', () => {
      const results = check({
        connectors: [connector(), connector({ name: 'P', connectorType: 'Partner', enabled: false })],
      });
      expect(fired(results, 'connector-disabled')).toBe(false);
    });
  });

  describe('connector-ip-only', () => {
    it('fires for an enabled OnPremises connector that identifies servers only by IP', () => {
      const [result] = only(check({ connectors: [ipOnly()] }), 'connector-ip-only');
      expect(result?.severity).toBe('warning');
      expect(result?.message).toMatch(/NDRs and automatic replies \(null sender <>\), messages forwarded/);
      expect(result?.remediation.commands[0]).toBe(
        "Set-InboundConnector -Identity 'Relay from apps' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true -RequireTls $true -SenderIPAddresses $null -RestrictDomainsToIPAddresses $false",
      );
    });

    it('fires for a connector that identifies servers by nothing', () => {
      const [result] = only(check({ connectors: [ipOnly({ senderIPAddresses: [] })] }), 'connector-ip-only');
      expect(result?.message).toMatch(/neither by certificate nor by IP address/);
    });

    it('does not fire for certificate-based, disabled or Partner connectors', () => {
      const results = check({
        connectors: [
          connector(),
          ipOnly({ enabled: false }),
          ipOnly({ name: 'P', connectorType: 'Partner' }),
        ],
      });
      expect(fired(results, 'connector-ip-only')).toBe(false);
    });

    it('gives part 3 what it needs to name the connector in traffic findings', () => {
      expect(toInboundConnectorInfo(ipOnly())).toEqual({
        name: 'Relay from apps',
        enabled: true,
        identifiesBy: 'ip',
      });
      expect(toInboundConnectorInfo(connector({ enabled: false }))).toEqual({
        name: 'Inbound from EX01',
        enabled: false,
        identifiesBy: 'certificate',
        tlsSenderCertificateName: '*.contoso.com',
      });
    });
  });

  describe('connector-cert-name-is-host', () => {
    it('fires for a Hybrid-wizard host name such as mail.contoso.com', () => {
      const hcw = connector({
        connectorSource: 'HybridWizard',
        tlsSenderCertificateName: 'mail.contoso.com',
      });
      const [result] = only(check({ connectors: [hcw] }), 'connector-cert-name-is-host');
      expect(result?.severity).toBe('warning');
      expect(result?.objects).toEqual(['Inbound from EX01', 'mail.contoso.com']);
      expect(result?.message).toMatch(/Hybrid Configuration Wizard/);
      expect(result?.remediation.commands[0]).toBe(
        "Set-InboundConnector -Identity 'Inbound from EX01' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true",
      );
    });

    it('fires for any <host>.contoso.com, even when MatchSubDomains makes it accepted', () => {
      const results = runReadinessChecks({
        acceptedDomains: CONTOSO_SUBDOMAINS,
        at: AT,
        connectors: [connector({ tlsSenderCertificateName: 'ex01.contoso.com' })],
      });
      expect(fired(results, 'connector-cert-name-is-host')).toBe(true);
      expect(fired(results, 'connector-cert-name-not-accepted')).toBe(false);
    });

    it.each(['*.contoso.com', 'contoso.com', 'mail.fabrikam.com'])('does not fire for %s', (name) => {
      expect(
        fired(
          check({ connectors: [connector({ tlsSenderCertificateName: name })] }),
          'connector-cert-name-is-host',
        ),
      ).toBe(false);
    });
  });

  describe('connector-cert-name-not-accepted', () => {
    it('fires for mail.contoso.com when contoso.com has no MatchSubDomains, and says so', () => {
      const results = check({ connectors: [connector({ tlsSenderCertificateName: 'mail.contoso.com' })] });
      const [result] = only(results, 'connector-cert-name-not-accepted');
      expect(result?.severity).toBe('error');
      expect(result?.message).toMatch(
        /contoso\.com is, but without MatchSubDomains its subdomains are not covered/,
      );
    });

    it('fires for a wildcard over a subdomain that is not accepted, pointing at KB 4019940', () => {
      const [result] = only(
        check({ connectors: [connector({ tlsSenderCertificateName: '*.sub.contoso.com' })] }),
        'connector-cert-name-not-accepted',
      );
      expect(result?.objects).toEqual(['Inbound from EX01', 'sub.contoso.com']);
      expect(result?.remediation.steps.join(' ')).toMatch(/register sub\.contoso\.com .*KB 4019940/);
    });

    it('fires for a domain outside every accepted domain', () => {
      const [result] = only(
        check({ connectors: [connector({ tlsSenderCertificateName: '*.fabrikam.net' })] }),
        'connector-cert-name-not-accepted',
      );
      expect(result?.message).toMatch(/nor does it lie in any accepted domain: contoso\.com/);
    });

    it.each(['*.contoso.com', 'contoso.com'])('does not fire for %s', (name) => {
      expect(
        fired(
          check({ connectors: [connector({ tlsSenderCertificateName: name })] }),
          'connector-cert-name-not-accepted',
        ),
      ).toBe(false);
    });
  });

  describe('connector-tls-not-required', () => {
    it('fires when RequireTls is false', () => {
      const [result] = only(
        check({ connectors: [connector({ requireTls: false })] }),
        'connector-tls-not-required',
      );
      expect(result?.severity).toBe('warning');
      expect(result?.remediation.commands).toEqual([
        "Set-InboundConnector -Identity 'Inbound from EX01' -RequireTls $true",
      ]);
    });

    it('does not fire when RequireTls is true or unknown', () => {
      const results = check({
        connectors: [connector(), connector({ name: 'Other', requireTls: undefined })],
      });
      expect(fired(results, 'connector-tls-not-required')).toBe(false);
    });
  });

  it('quotes names from the export so a pasted command stays one argument', () => {
    const results = check({ connectors: [ipOnly({ name: "Bob's relay; $(Remove-Item)" })] });
    const commands = only(results, 'connector-ip-only')[0]?.remediation.commands ?? [];
    expect(commands[0]).toMatch(/^Set-InboundConnector -Identity 'Bob''s relay; \$\(Remove-Item\)' /);
  });
});

describe.skipIf(!opensslAvailable())('certificate checks', () => {
  let pki: TestPki;
  let otherPki: TestPki;
  beforeAll(async () => {
    [pki, otherPki] = await Promise.all([TestPki.create(), TestPki.create('Other Test CA')]);
  });
  afterAll(async () => {
    await Promise.all([pki?.dispose(), otherPki?.dispose()]);
  });

  /** A leaf signed by the test CA, given with its chain unless `leafOnly`. */
  async function certificate(
    spec: CertificateSpec,
    options: { leafOnly?: boolean } = {},
  ): Promise<CertificateFile> {
    const leaf = await pki.issue(spec);
    const pem = options.leafOnly ? leaf : `${leaf}${pki.caPem}`;
    return parseCertificateFile(pem, `${spec.commonName ?? 'nameless'}.pem`);
  }

  const mail = { commonName: 'mail.contoso.com', dnsNames: ['mail.contoso.com', 'autodiscover.contoso.com'] };

  it('a CA-issued certificate with its chain, matching *.contoso.com, passes every check but the public CA', async () => {
    // The test CA is private: Exchange Online would not trust it, and that is the one result.
    const results = check({ connectors: [connector()], certificates: [await certificate(mail)] });
    expect(results.map((r) => `${r.severity} ${r.id}`)).toEqual(['error certificate-not-public-ca']);
    expect(results[0]?.message).toContain('which is not a public CA');
  });

  describe('certificate-name-mismatch', () => {
    it('fires when no CN/SAN matches the connector name (smtp.contoso.com is not mail.contoso.com)', async () => {
      const file = await certificate({ commonName: 'smtp.contoso.com', dnsNames: ['smtp.contoso.com'] });
      const hcw = connector({ tlsSenderCertificateName: 'mail.contoso.com' });
      const [result] = only(check({ connectors: [hcw], certificates: [file] }), 'certificate-name-mismatch');
      expect(result?.severity).toBe('error');
      expect(result?.objects).toEqual(['smtp.contoso.com (smtp.contoso.com.pem)', 'Inbound from EX01']);
      expect(result?.message).toMatch(/"Inbound from EX01" expects mail\.contoso\.com/);
    });

    it('does not fire for the bare domain contoso.com, nor a name deeper below it: *.contoso.com is the domain and all subdomains', async () => {
      for (const name of ['contoso.com', 'a.b.contoso.com']) {
        const file = await certificate({ commonName: name, dnsNames: [name] });
        expect(
          fired(check({ connectors: [connector()], certificates: [file] }), 'certificate-name-mismatch'),
        ).toBe(false);
      }
    });

    it('does not fire when a wildcard SAN covers the connector host name', async () => {
      const file = await certificate({ commonName: 'Contoso Exchange', dnsNames: ['*.contoso.com'] });
      const hcw = connector({ tlsSenderCertificateName: 'mail.contoso.com' });
      expect(fired(check({ connectors: [hcw], certificates: [file] }), 'certificate-name-mismatch')).toBe(
        false,
      );
    });

    it('recommends a wildcard that matches the real certificate', async () => {
      const file = await certificate({
        commonName: 'smtp.corp.contoso.com',
        dnsNames: ['smtp.corp.contoso.com'],
      });
      const domains = parseAcceptedDomains('contoso.com,corp.contoso.com', 'test');
      const results = runReadinessChecks({
        acceptedDomains: domains,
        at: AT,
        connectors: [connector({ tlsSenderCertificateName: 'mail.contoso.com' })],
        certificates: [file],
      });
      expect(only(results, 'certificate-name-mismatch')[0]?.remediation.commands[0]).toBe(
        "Set-InboundConnector -Identity 'Inbound from EX01' -TlsSenderCertificateName *.corp.contoso.com -RestrictDomainsToCertificate $true",
      );
    });

    it('is reported as not checked when no connector identifies by certificate', async () => {
      const [result] = only(
        check({ connectors: [ipOnly()], certificates: [await certificate(mail)] }),
        'certificate-name-mismatch',
      );
      expect(result?.severity).toBe('info');
      expect(result?.message).toMatch(
        /^not checked: no enabled OnPremises connector identifies servers by certificate/,
      );
    });
  });

  describe('certificate-no-accepted-domain', () => {
    it('fires for host.sub.contoso.com when only contoso.com is accepted, naming sub.contoso.com (KB 4019940)', async () => {
      const file = await certificate({
        commonName: 'host.sub.contoso.com',
        dnsNames: ['host.sub.contoso.com'],
      });
      const [result] = only(check({ certificates: [file] }), 'certificate-no-accepted-domain');
      expect(result?.severity).toBe('error');
      expect(result?.objects).toEqual(['host.sub.contoso.com (host.sub.contoso.com.pem)', 'sub.contoso.com']);
      expect(result?.remediation.steps[0]).toMatch(/^Register sub\.contoso\.com as a domain of the tenant/);
    });

    it('does not fire once sub.contoso.com is accepted, or contoso.com has MatchSubDomains', async () => {
      const file = await certificate({
        commonName: 'host.sub.contoso.com',
        dnsNames: ['host.sub.contoso.com'],
      });
      const withSub = parseAcceptedDomains('contoso.com,sub.contoso.com', 'test');
      for (const acceptedDomains of [withSub, CONTOSO_SUBDOMAINS] as AcceptedDomainList[]) {
        const results = runReadinessChecks({ acceptedDomains, at: AT, certificates: [file] });
        expect(fired(results, 'certificate-no-accepted-domain')).toBe(false);
      }
    });

    it('fires for an internal name only', async () => {
      const file = await certificate({
        commonName: 'ex01.contoso.local',
        dnsNames: ['ex01.contoso.local', 'ex01'],
      });
      const [result] = only(check({ certificates: [file] }), 'certificate-no-accepted-domain');
      expect(result?.objects).toEqual(['ex01.contoso.local (ex01.contoso.local.pem)']);
      expect(result?.remediation.steps[0]).toMatch(/name in an accepted domain, such as mail\.contoso\.com/);
    });

    it.each([['mail.contoso.com'], ['*.contoso.com'], ['contoso.com']])(
      'does not fire for %s',
      async (name) => {
        const file = await certificate({ commonName: name, dnsNames: [name] });
        expect(fired(check({ certificates: [file] }), 'certificate-no-accepted-domain')).toBe(false);
      },
    );
  });

  describe('validity', () => {
    it('certificate-expired fires after notAfter, with the date and days', async () => {
      const file = await certificate({ ...mail, notBefore: '2025-06-01', notAfter: '2026-06-01' });
      const results = check({ certificates: [file] });
      const [result] = only(results, 'certificate-expired');
      expect(result?.severity).toBe('error');
      expect(result?.message).toMatch(/expired on 2026-06-01, 30 days before 2026-07-01/);
      expect(fired(results, 'certificate-expiring')).toBe(false);
      expect(
        fired(
          runReadinessChecks({
            acceptedDomains: CONTOSO,
            at: new Date('2026-05-31T00:00:00Z'),
            certificates: [file],
          }),
          'certificate-expired',
        ),
      ).toBe(false);
    });

    it('certificate-not-yet-valid fires before notBefore', async () => {
      const file = await certificate({ ...mail, notBefore: '2026-08-01', notAfter: '2027-08-01' });
      const [result] = only(check({ certificates: [file] }), 'certificate-not-yet-valid');
      expect(result?.severity).toBe('error');
      expect(result?.message).toMatch(/not valid before 2026-08-01, 31 days after 2026-07-01/);
      expect(
        fired(
          runReadinessChecks({
            acceptedDomains: CONTOSO,
            at: new Date('2026-08-02T00:00:00Z'),
            certificates: [file],
          }),
          'certificate-not-yet-valid',
        ),
      ).toBe(false);
    });

    it('certificate-expiring fires within 30 days of --at, not 31 days before', async () => {
      const file = await certificate({ ...mail, notBefore: '2026-01-01', notAfter: '2026-07-31' });
      const [result] = only(check({ certificates: [file] }), 'certificate-expiring');
      expect(result?.severity).toBe('warning');
      expect(result?.message).toMatch(/expires on 2026-07-31, in 30 days/);
      expect(fired(check({ certificates: [file] }), 'certificate-expired')).toBe(false);
      const earlier = runReadinessChecks({
        acceptedDomains: CONTOSO,
        at: new Date('2026-06-30T00:00:00Z'),
        certificates: [file],
      });
      expect(fired(earlier, 'certificate-expiring')).toBe(false);
    });
  });

  describe('certificate-self-signed', () => {
    it('is an error: Exchange Online trusts no self-signed certificate, whatever its names', async () => {
      const file = parseCertificateFile(await pki.selfSigned(mail), 'self.pem');
      const [result] = only(check({ certificates: [file] }), 'certificate-self-signed');
      expect(result?.severity).toBe('error');
      expect(result?.message).toMatch(/is self-signed: no CA vouches for it.*KB 3212877/);
      expect(result?.remediation.steps[0]).toMatch(
        /from a public CA with the same names \(mail\.contoso\.com/,
      );
    });

    it('does not fire for a certificate a CA issued', async () => {
      expect(fired(check({ certificates: [await certificate(mail)] }), 'certificate-self-signed')).toBe(
        false,
      );
    });
  });

  describe('certificate-chain-missing', () => {
    it('fires for a leaf-only file (KB 3212877), with the real thumbprint in the command', async () => {
      const file = await certificate(mail, { leafOnly: true });
      const [result] = only(check({ certificates: [file] }), 'certificate-chain-missing');
      expect(result?.severity).toBe('warning');
      expect(result?.message).toMatch(/holds only the server certificate mail\.contoso\.com.*KB 3212877/);
      expect(result?.remediation.commands[0]).toBe(
        `Get-ExchangeCertificate -Thumbprint '${file.leaf.thumbprint}' | Format-List Subject,Issuer,NotAfter,Status`,
      );
    });

    it('fires when the file holds other certificates but not the issuer', async () => {
      const file = parseCertificateFile(`${await pki.issue(mail)}${otherPki.caPem}`, 'wrong-chain.pem');
      const [result] = only(check({ certificates: [file] }), 'certificate-chain-missing');
      expect(result?.message).toMatch(/holds 1 other certificate, but none of them issued/);
    });

    it('leaves a self-signed certificate to certificate-self-signed', async () => {
      const file = parseCertificateFile(await pki.selfSigned(mail), 'self.pem');
      expect(fired(check({ certificates: [file] }), 'certificate-chain-missing')).toBe(false);
    });

    it('does not fire when the issuing CA is in the file', async () => {
      expect(fired(check({ certificates: [await certificate(mail)] }), 'certificate-chain-missing')).toBe(
        false,
      );
    });
  });
});

describe('results', () => {
  it('reports checks whose input is absent as info "not checked", not silently skipped', () => {
    const results = check({});
    expect(results.map((r) => r.id).sort()).toEqual([...CHECK_IDS].sort());
    for (const result of results) {
      expect(result.severity).toBe('info');
      expect(result.message).toMatch(
        /^not checked: no (connectors|certificates|connectors or certificates) given$/,
      );
    }
    expect(only(results, 'connector-ip-only')[0]?.message).toBe('not checked: no connectors given');
    expect(only(results, 'connector-ip-only')[0]?.remediation.commands[0]).toMatch(
      /Get-InboundConnector \| ConvertTo-Json -Depth 5/,
    );
  });

  it('orders by severity, then id, and every result has the documented shape', () => {
    const results = check({
      connectors: [
        ipOnly({ requireTls: false }),
        connector({ name: 'HCW', tlsSenderCertificateName: 'mail.contoso.com', enabled: true }),
        connector({ name: 'Old', enabled: false }),
      ],
    });
    const order = results.map((r) => `${r.severity} ${r.id}`);
    expect(order).toEqual([
      'error connector-cert-name-not-accepted',
      'warning connector-cert-name-is-host',
      'warning connector-disabled',
      'warning connector-ip-only',
      'warning connector-tls-not-required',
      'info certificate-chain-missing',
      'info certificate-expired',
      'info certificate-expiring',
      'info certificate-name-mismatch',
      'info certificate-no-accepted-domain',
      'info certificate-not-public-ca',
      'info certificate-not-yet-valid',
      'info certificate-self-signed',
    ]);
    for (const result of results) {
      expect(ReadinessResult.safeParse(result).success).toBe(true);
      if (result.severity !== 'info') {
        expect(result.objects.length).toBeGreaterThan(0);
        expect(result.remediation.steps.length).toBeGreaterThan(0);
        expect(result.remediation.commands.length).toBeGreaterThan(0);
        expect(result.remediation.links.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('a rule that throws', () => {
  it('becomes a warning result for that check; the other checks still run', () => {
    // A certificate file whose leaf cannot be read: every certificate rule throws on it.
    const broken = {
      file: 'broken.pem',
      get leaf(): never {
        throw new Error('leaf unreadable');
      },
      chain: [],
    } as unknown as CertificateFile;
    const results = check({ connectors: [ipOnly()], certificates: [broken] });
    const failed = results.filter((result) => result.message.includes('check failed on these inputs'));
    expect(failed.length).toBeGreaterThan(0);
    for (const result of failed) {
      expect(result.severity).toBe('warning');
      expect(result.message).toContain('leaf unreadable');
    }
    expect(failed.map((result) => result.id)).toContain('certificate-expired');
    // The rules that do not read certificates still reported what they found.
    expect(results.filter((result) => !failed.includes(result)).length).toBeGreaterThan(0);
  });
});
