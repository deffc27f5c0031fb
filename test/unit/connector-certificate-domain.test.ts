/**
 * A connector's `TlsSenderCertificateName` wildcard as Set-InboundConnector documents it: "a domain
 * and all subdomains", so `*.contoso.com` matches a certificate for `contoso.com` or a name at any
 * depth below it. `check` (certificate-name-mismatch) and `analyze` (the connector a finding names,
 * the certificate-vs-connector evidence) judge it alike, and no advice tells the admin to set a
 * connector to the name it already has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateFacts } from '../../functions/core/analysis/evidence/presented-certificate.js';
import { connectorFit } from '../../functions/core/analysis/evidence/presented-certificate.js';
import { type RemediationContext, remediationFor } from '../../functions/core/analysis/remediation/index.js';
import { certificateConnectorCommand, namesFor } from '../../functions/core/analysis/remediation/shared.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../../functions/core/organisation/connector-info.js';
import {
  type CertificateFile,
  certificateNames,
  type InboundConnector,
  parseCertificateFile,
  type ReadinessResult,
  runReadinessChecks,
  toInboundConnectorInfo,
} from '../../functions/core/readiness/index.js';
import { opensslAvailable, TestPki } from '../support/certificates.js';

const AT = new Date('2026-07-01T00:00:00Z');

function connector(tlsSenderCertificateName: string, name = 'Inbound from EX01'): InboundConnector {
  return {
    name,
    enabled: true,
    connectorType: 'OnPremises',
    connectorSource: 'Default',
    senderIPAddresses: [],
    senderDomains: ['*'],
    requireTls: true,
    tlsSenderCertificateName,
    restrictDomainsToCertificate: true,
    restrictDomainsToIPAddresses: false,
    cloudServicesMailEnabled: undefined,
    associatedAcceptedDomains: [],
  };
}

/**
 * The steps and commands that would set a connector's certificate name to the one it has: by name,
 * or (with it the only connector) "the OnPremises inbound connector".
 */
function renamesToCurrent(result: ReadinessResult, connectors: readonly InboundConnector[]): string[] {
  const text = [...result.remediation.steps, ...result.remediation.commands];
  return connectors.flatMap((c) => {
    const current = c.tlsSenderCertificateName ?? '';
    return text.filter(
      (line) =>
        line.includes(`-Identity '${c.name}' -TlsSenderCertificateName ${current} `) ||
        line.includes(`certificate domain of "${c.name}" to ${current},`) ||
        line.includes(`certificate domain of "${c.name}" to ${current} `) ||
        (connectors.length === 1 &&
          line.includes(`certificate domain to a wildcard over that domain (${current})`)),
    );
  });
}

describe.skipIf(!opensslAvailable())(
  'check: the connector wildcard covers the domain and all subdomains',
  () => {
    let pki: TestPki;
    const files = new Map<string, CertificateFile>();
    const NAMES = [
      'contoso.com',
      'mail.contoso.com',
      'smtp.eu.contoso.com',
      '*.contoso.com',
      'mail.fabrikam.com',
    ];
    beforeAll(async () => {
      pki = await TestPki.create();
      for (const name of NAMES) {
        const leaf = await pki.issue({ commonName: name, dnsNames: [name] });
        files.set(name, parseCertificateFile(`${leaf}${pki.caPem}`, `${name}.pem`));
      }
    });
    afterAll(async () => {
      await pki?.dispose();
    });
    const file = (name: string) => files.get(name) as CertificateFile;
    const errors = (results: readonly ReadinessResult[]) =>
      results.filter((result) => result.severity === 'error').map((result) => result.id);

    it('passes a certificate for the bare domain contoso.com against *.contoso.com (the test CA is the only error)', () => {
      const results = runReadinessChecks({
        acceptedDomains: parseAcceptedDomains('contoso.com', 'test'),
        at: AT,
        connectors: [connector('*.contoso.com')],
        certificates: [file('contoso.com')],
      });
      expect(errors(results)).toEqual(['certificate-not-public-ca']);
    });

    it('passes smtp.eu.contoso.com against *.contoso.com once eu.contoso.com is accepted', () => {
      const results = runReadinessChecks({
        acceptedDomains: parseAcceptedDomains('contoso.com,eu.contoso.com', 'test'),
        at: AT,
        connectors: [connector('*.contoso.com')],
        certificates: [file('smtp.eu.contoso.com')],
      });
      expect(errors(results)).toEqual(['certificate-not-public-ca']);
    });

    it('keeps KB 4019940 apart: smtp.eu.contoso.com needs eu.contoso.com, and the connector that already covers it is left as it is', () => {
      const results = runReadinessChecks({
        acceptedDomains: parseAcceptedDomains('contoso.com', 'test'),
        at: AT,
        connectors: [connector('*.contoso.com')],
        certificates: [file('smtp.eu.contoso.com')],
      });
      expect(errors(results)).toEqual(['certificate-no-accepted-domain', 'certificate-not-public-ca']);
      const result = results.find((r) => r.id === 'certificate-no-accepted-domain');
      expect(result?.remediation.steps).toContain(
        '"Inbound from EX01" already expects *.contoso.com, which covers names in contoso.com: it needs no change once the certificate carries such a name.',
      );
      expect(result?.remediation.commands.join('\n')).not.toContain('Set-InboundConnector');
    });

    it('says what the wildcard covers, with no one-label rule', () => {
      const results = runReadinessChecks({
        acceptedDomains: parseAcceptedDomains('contoso.com', 'test'),
        at: AT,
        connectors: [connector('mail.contoso.com')],
        certificates: [file('mail.fabrikam.com'), file('contoso.com')],
      });
      const mismatch = results.find(
        (r) => r.id === 'certificate-name-mismatch' && r.objects[0] === 'contoso.com (contoso.com.pem)',
      );
      expect(mismatch?.remediation.steps[0]).toBe(
        'Set the certificate domain of "Inbound from EX01" to *.contoso.com, which matches contoso.com on this ' +
          'certificate (command below) — or, if "Inbound from EX01" must keep expecting mail.contoso.com, install a ' +
          'certificate whose CN or a SAN matches that name.',
      );
      expect(mismatch?.remediation.steps[2]).toBe(
        'A wildcard certificate domain such as *.contoso.com matches contoso.com and every name below it ' +
          '(mail.contoso.com, smtp.eu.contoso.com); a certificate domain without wildcard, such as mail.contoso.com, ' +
          'matches only a certificate for that name (mail.contoso.com itself, or a wildcard certificate *.contoso.com).',
      );
      const host = results.find((r) => r.id === 'connector-cert-name-is-host');
      expect(host?.remediation.steps[0]).toBe(
        'Change the certificate domain of "Inbound from EX01" to *.contoso.com (command below): it matches ' +
          'contoso.com and every name below it that the certificate carries, such as mail.contoso.com.',
      );
      for (const result of results) expect(JSON.stringify(result)).not.toMatch(/one label|single-label/);
    });

    const CONNECTORS = [
      '*.contoso.com',
      'mail.contoso.com',
      'contoso.com',
      '*.eu.contoso.com',
      '*.fabrikam.com',
    ];
    const ACCEPTED = ['contoso.com', 'contoso.com,eu.contoso.com', 'contoso.com,fabrikam.com'];

    it.each(ACCEPTED)(
      'with %s accepted, no result tells the admin to set a connector to the name it has, and check agrees with analyze on every pair',
      (accepted) => {
        const acceptedDomains = parseAcceptedDomains(accepted, 'test');
        for (const name of CONNECTORS) {
          for (const certificateName of NAMES) {
            const connectors = [connector(name)];
            const results = runReadinessChecks({
              acceptedDomains,
              at: AT,
              connectors,
              certificates: [file(certificateName)],
            });
            for (const result of results) expect(renamesToCurrent(result, connectors)).toEqual([]);
            const mismatch = results.some(
              (r) => r.id === 'certificate-name-mismatch' && r.severity === 'error',
            );
            const fit = connectorFit(
              certificateNames(file(certificateName).leaf),
              toInboundConnectorInfo(connectors[0] as InboundConnector),
            );
            expect({ name, certificateName, mismatch }).toEqual({
              name,
              certificateName,
              mismatch: fit === 'differs',
            });
          }
        }
      },
    );
  },
);

describe('analyze: the connector a finding names and what the advice does with it', () => {
  const wildcard: InboundConnectorInfo = {
    name: 'Relay from EX by certificate',
    enabled: true,
    identifiesBy: 'certificate',
    tlsSenderCertificateName: '*.contoso.com',
  };
  const base: RemediationContext = {
    acceptedDomains: ['contoso.com'],
    acceptedDomainsSource: 'given',
    serverHostname: 'mail.contoso.com',
    connectorId: 'EX01\\Outbound to Office 365',
    code: '5.7.64',
    attr: 'ATTR36',
    returnPath: '',
    inboundConnectors: [wildcard],
  };
  const presented = (names: string[]): CertificateFacts => ({
    subject: `CN=${names[0]}, O=Contoso, C=US`,
    issuer: 'CN=Test TLS RSA CA 2026, O=Test Trust Services, C=US',
    names,
    alternateNames: names,
    acceptedNames: names,
    selfSigned: false,
  });

  it('an NDR whose server presented contoso.com uses *.contoso.com as it is: no Set-InboundConnector', () => {
    const ctx = { ...base, session: { tls: true, certificate: presented(['contoso.com']) } };
    expect(connectorFit(['contoso.com'], wildcard)).toBe('matches');
    const remediation = remediationFor('ndr', ctx);
    expect(remediation.steps[0]).toMatch(
      /^Your inbound connector "Relay from EX by certificate" already identifies servers by the certificate name \*\.contoso\.com, which the certificate mail\.contoso\.com presented matches \(contoso\.com\): no connector needs to change\./,
    );
    expect(remediation.commands.filter((command) => command.includes('InboundConnector -Identity'))).toEqual([
      "Get-InboundConnector -Identity 'Relay from EX by certificate' | Format-List Name,Enabled,ConnectorType,SenderIPAddresses,TlsSenderCertificateName,RestrictDomainsToCertificate,RestrictDomainsToIPAddresses,RequireTls",
    ]);
  });

  it('a connector-mismatch with smtp.eu.contoso.com presented keeps *.contoso.com, not *.eu.contoso.com', () => {
    const { attr: _attr, ...withoutAttr } = base;
    const ctx: RemediationContext = {
      ...withoutAttr,
      returnPath: 'finance@contoso.com',
      senderDomain: 'contoso.com',
      acceptedDomains: ['contoso.com', 'eu.contoso.com'],
      session: { tls: true, certificate: presented(['smtp.eu.contoso.com']) },
    };
    const remediation = remediationFor('connector-mismatch', ctx);
    expect(remediation.steps[0]).toContain(
      'It matches *.contoso.com of "Relay from EX by certificate", so the certificate names are not the cause',
    );
    expect(remediation.commands.join('\n')).not.toMatch(/(Set|New)-InboundConnector/);
  });

  it('points a connector that does not match at the wildcard over the accepted domain, never over a public suffix', () => {
    const { attr: _attr, ...withoutAttr } = base;
    const ctx: RemediationContext = {
      ...withoutAttr,
      returnPath: 'finance@contoso.co.uk',
      senderDomain: 'contoso.co.uk',
      serverHostname: 'mail.contoso.co.uk',
      acceptedDomains: ['contoso.co.uk'],
      inboundConnectors: [{ ...wildcard, tlsSenderCertificateName: 'mail.contoso.co.uk' }],
      session: { tls: true, certificate: presented(['contoso.co.uk']) },
    };
    const remediation = remediationFor('connector-mismatch', ctx);
    expect(remediation.commands).toContain(
      "Set-InboundConnector -Identity 'Relay from EX by certificate' -TlsSenderCertificateName *.contoso.co.uk -RestrictDomainsToCertificate $true",
    );
  });

  it('never renames a connector to the name it has', () => {
    const names = namesFor(base, 'ndr');
    expect(names.wildcard).toBe('*.contoso.com');
    expect(
      certificateConnectorCommand({ ...names, connectors: { role: 'rename', connector: wildcard } }),
    ).toBe(undefined);
    const host = { ...wildcard, tlsSenderCertificateName: 'mail.contoso.com' };
    expect(certificateConnectorCommand({ ...names, connectors: { role: 'rename', connector: host } })).toBe(
      "Set-InboundConnector -Identity 'Relay from EX by certificate' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true -ConnectorType OnPremises -RequireTls $true",
    );
  });
});
