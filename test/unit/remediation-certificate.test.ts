/**
 * connector-mismatch remediation with the certificate a send protocol log showed: which side to
 * change (connector, certificate, TLS, neither) and the command that does it.
 */
import { describe, expect, it } from 'vitest';
import type { CertificateFacts } from '../../functions/core/analysis/evidence/presented-certificate.js';
import { Remediation } from '../../functions/core/analysis/model/findings.js';
import {
  connectorMismatch,
  type RemediationContext,
} from '../../functions/core/analysis/remediation/index.js';

const base: RemediationContext = {
  senderDomain: 'contoso.com',
  acceptedDomains: ['contoso.com'],
  acceptedDomainsSource: 'given',
  serverHostname: 'EX01.contoso.local',
  connectorId: 'EX01\\Outbound to Office 365',
  code: '5.7.64',
  inboundConnectors: [
    {
      name: 'Inbound from EX01',
      enabled: true,
      identifiesBy: 'certificate',
      tlsSenderCertificateName: '*.contoso.com',
    },
  ],
};

const internal: CertificateFacts = {
  subject: 'CN=ex01.contoso.local',
  issuer: 'CN=Contoso Issuing CA, DC=contoso, DC=local',
  names: ['ex01.contoso.local'],
  alternateNames: ['ex01.contoso.local'],
  acceptedNames: [],
  selfSigned: false,
};

const usable: CertificateFacts = {
  subject: 'CN=mail.contoso.com, O=Contoso Ltd',
  issuer: 'CN=Fabrikam TLS RSA CA 2026',
  names: ['mail.contoso.com', 'autodiscover.contoso.com'],
  alternateNames: ['mail.contoso.com', 'autodiscover.contoso.com'],
  acceptedNames: ['mail.contoso.com', 'autodiscover.contoso.com'],
  selfSigned: false,
};

function advice(ctx: RemediationContext) {
  const remediation = connectorMismatch(ctx);
  expect(Remediation.safeParse(remediation).success).toBe(true);
  return { first: remediation.steps[0] ?? '', commands: remediation.commands };
}

describe('connector-mismatch with the presented certificate', () => {
  it('changes the certificate when none of its names is in an accepted domain', () => {
    const { first, commands } = advice({ ...base, session: { tls: true, certificate: internal } });
    expect(first).toBe(
      'The send protocol log shows EX01.contoso.local presented CN=ex01.contoso.local (SAN ex01.contoso.local) after STARTTLS. ' +
        'Change the certificate, not the connector: none of its names is in an accepted domain, so no connector setting can ' +
        'attribute mail by it. Bind a certificate from a public CA with a name in contoso.com that matches *.contoso.com to send ' +
        'connector "Outbound to Office 365" with Set-SendConnector -TlsCertificateName "<I>issuer<S>subject" (its issuer and ' +
        'subject as Get-ExchangeCertificate shows them; commands below).',
    );
    expect(commands).toContain(
      "Set-SendConnector -Identity 'Outbound to Office 365' -TlsCertificateName '<I><issuer of a certificate for *.contoso.com><S><its subject>'",
    );
    expect(commands.join('\n')).not.toContain('Set-InboundConnector');
  });

  it('changes the connector when the certificate is usable and the connector expects a host name it lacks', () => {
    const { first, commands } = advice({
      ...base,
      inboundConnectors: [
        {
          name: 'Inbound from EX01',
          enabled: true,
          identifiesBy: 'certificate',
          tlsSenderCertificateName: 'hybrid.contoso.com',
        },
      ],
      session: { tls: true, certificate: usable },
    });
    expect(first).toContain('Change the connector, not the certificate');
    expect(first).toContain('Alternatively bind a certificate that carries hybrid.contoso.com');
    expect(commands).toContain(
      "Set-InboundConnector -Identity 'Inbound from EX01' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true",
    );
  });

  it('keeps an IP-only connector and offers a second, certificate-based one', () => {
    const { first, commands } = advice({
      ...base,
      inboundConnectors: [{ name: 'Relay from apps', enabled: true, identifiesBy: 'ip' }],
      session: { tls: true, certificate: usable },
    });
    expect(first).toContain('identifies the server by IP address only, so the certificate is not used');
    expect(commands).toContain(
      "New-InboundConnector -Name 'Relay from apps (certificate)' -ConnectorType OnPremises -SenderDomains * -RequireTls $true -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true",
    );
    expect(commands.join('\n')).not.toMatch(/-SenderIPAddresses \$null/);
  });

  it('says the names are not the cause when the certificate matches, and changes nothing', () => {
    const { first, commands } = advice({ ...base, session: { tls: true, certificate: usable } });
    expect(first).toContain(
      'It matches *.contoso.com of "Inbound from EX01", so the certificate names are not the cause',
    );
    expect(commands.join('\n')).not.toMatch(/^Set-/m);
  });

  it('asks for a certificate from a public CA when the one presented is self-signed', () => {
    const { first } = advice({
      ...base,
      session: { tls: true, certificate: { ...usable, selfSigned: true } },
    });
    expect(first).toContain('Change the certificate, not the connector: it is self-signed');
  });

  it('changes the send connector when the session used no TLS', () => {
    const { first } = advice({ ...base, session: { tls: false } });
    expect(first).toContain(
      'sent this message without STARTTLS, so it presented no certificate at all. Change the server side',
    );
  });

  describe('a name one level below what contoso.com covers (KB 4019940)', () => {
    const deep: CertificateFacts = {
      subject: 'CN=hostname.subdomain.contoso.com',
      issuer: 'CN=Fabrikam TLS RSA CA 2026',
      names: ['hostname.subdomain.contoso.com'],
      alternateNames: [],
      acceptedNames: [],
      selfSigned: false,
    };
    const REGISTER =
      'Preferably keep the certificate: register subdomain.contoso.com as a domain of the tenant (Microsoft 365 ' +
      'admin center > Settings > Domains > Add domain), so that hostname.subdomain.contoso.com counts as it is ' +
      '(KB 4019940); then ';
    const CHECK = 'Get-AcceptedDomain -Identity subdomain.contoso.com | Format-List DomainName,DomainType';
    const REBIND =
      "Set-SendConnector -Identity 'Outbound to Office 365' -TlsCertificateName '<I><issuer of a certificate for *.contoso.com><S><its subject>'";

    it('offers registering the subdomain first; the connector that covers it stays as it is', () => {
      const { first, commands } = advice({ ...base, session: { tls: true, certificate: deep } });
      expect(first).toBe(
        'The send protocol log shows EX01.contoso.local presented CN=hostname.subdomain.contoso.com after STARTTLS. ' +
          'No name on it counts yet: Exchange Online attributes hostname.subdomain.contoso.com through ' +
          'subdomain.contoso.com, the domain just above it, and only contoso.com is accepted. ' +
          REGISTER +
          '"Inbound from EX01" already expects *.contoso.com, which matches it. Or change the certificate: bind one ' +
          'from a public CA with a name directly in contoso.com to send connector "Outbound to Office 365" with ' +
          'Set-SendConnector -TlsCertificateName "<I>issuer<S>subject" (its issuer and subject as ' +
          'Get-ExchangeCertificate shows them; commands below).',
      );
      expect(commands.slice(-2)).toEqual([CHECK, REBIND]);
      expect(commands.join('\n')).not.toContain('Set-InboundConnector');
    });

    it('has a connector expecting a host name changed to the wildcard, and an IP-only one joined by a second', () => {
      const host = advice({
        ...base,
        inboundConnectors: [
          {
            name: 'Inbound from EX01',
            enabled: true,
            identifiesBy: 'certificate',
            tlsSenderCertificateName: 'mail.contoso.com',
          },
        ],
        session: { tls: true, certificate: deep },
      });
      expect(host.first).toContain(
        `${REGISTER}set TlsSenderCertificateName of "Inbound from EX01" to *.contoso.com`,
      );
      expect(host.commands.slice(-3)).toEqual([
        CHECK,
        "Set-InboundConnector -Identity 'Inbound from EX01' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true",
        REBIND,
      ]);
      const ip = advice({
        ...base,
        inboundConnectors: [{ name: 'Relay from apps', enabled: true, identifiesBy: 'ip' }],
        session: { tls: true, certificate: deep },
      });
      expect(ip.first).toContain(`${REGISTER}"Relay from apps" identifies servers by IP address only`);
      expect(ip.commands).toContain(
        "New-InboundConnector -Name 'Relay from apps (certificate)' -ConnectorType OnPremises -SenderDomains * -RequireTls $true -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true",
      );
    });

    it('asks for another certificate only, when the deep name is on a self-signed one', () => {
      const { first, commands } = advice({
        ...base,
        session: { tls: true, certificate: { ...deep, selfSigned: true } },
      });
      expect(first).toContain('Change the certificate, not the connector: it is self-signed');
      expect(first).not.toContain('register');
      expect(commands).not.toContain(CHECK);
    });
  });

  it('still tells how to find the certificate without a protocol log', () => {
    const { first, commands } = advice(base);
    expect(first).toMatch(/^Find the certificate EX01\.contoso\.local presents/);
    expect(commands).toContain(
      "Set-SendConnector -Identity 'Outbound to Office 365' -ProtocolLoggingLevel Verbose",
    );
  });
});
