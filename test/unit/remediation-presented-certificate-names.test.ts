/**
 * Remediation that follows the certificate a send protocol log showed (hunt 64): a certificate that
 * matches the connector but cannot attribute mail (KB 4019940: `mail.eu.contoso.com` with only
 * `contoso.com` accepted) is not said to be missing, and the connector step leads with the real
 * cause; `-Fqdn` keeps the server's own name when a wildcard on the certificate covers it.
 */
import { describe, expect, it } from 'vitest';
import type { CertificateFacts } from '../../functions/core/analysis/evidence/presented-certificate.js';
import { Remediation } from '../../functions/core/analysis/model/findings.js';
import { type RemediationContext, remediationFor } from '../../functions/core/analysis/remediation/index.js';
import type { InboundConnectorInfo } from '../../functions/core/organisation/connector-info.js';

const IP: InboundConnectorInfo = { name: 'Relay from on-premises apps', enabled: true, identifiesBy: 'ip' };
const WILDCARD: InboundConnectorInfo = {
  name: 'Inbound from 7c1e4b2a',
  enabled: true,
  identifiesBy: 'certificate',
  tlsSenderCertificateName: '*.contoso.com',
};

/** An NDR from `server` refused with ATTR36, with both connectors known. */
function ndr(server: string, certificate: CertificateFacts): RemediationContext {
  return {
    returnPath: '',
    recipientDomain: 'litware.com',
    acceptedDomains: ['contoso.com'],
    acceptedDomainsSource: 'given',
    serverHostname: server,
    connectorId: 'EX01\\Outbound to Office 365',
    code: '5.7.64',
    attr: 'ATTR36',
    inboundConnectors: [IP, WILDCARD],
    session: { tls: true, certificate },
  };
}

function advice(ctx: RemediationContext) {
  const remediation = remediationFor('ndr', ctx);
  expect(Remediation.safeParse(remediation).success).toBe(true);
  return remediation;
}

describe('a presented certificate that matches the connector but does not count', () => {
  const deep: CertificateFacts = {
    subject: 'CN=mail.eu.contoso.com, O=Contoso Ltd, C=US',
    issuer: 'CN=Fabrikam TLS RSA CA 2026, O=Fabrikam Trust Services, C=US',
    names: ['mail.eu.contoso.com'],
    alternateNames: ['mail.eu.contoso.com'],
    acceptedNames: [],
    selfSigned: false,
  };

  it('leads the connector step with the real cause instead of asking for a matching certificate', () => {
    const first = advice(ndr('mail.eu.contoso.com', deep)).steps[0] ?? '';
    expect(first).not.toContain('must present a certificate matching');
    expect(first).toBe(
      'The certificate mail.eu.contoso.com presented matches *.contoso.com (mail.eu.contoso.com), but it cannot ' +
        'attribute mail to your tenant yet: Exchange Online attributes mail.eu.contoso.com through eu.contoso.com, ' +
        "the domain just above it, and only contoso.com is accepted (a name deeper than an accepted domain does not count, whatever the connector's wildcard covers). " +
        'Register eu.contoso.com (the accepted domain step below) or bind a certificate with a name directly in ' +
        'contoso.com (the send connector step below). Your inbound connector "Inbound from 7c1e4b2a" already ' +
        'identifies servers by the certificate name *.contoso.com: no connector needs to change. Leave ' +
        '"Relay from on-premises apps" as it is: it identifies servers by IP address only, and NDRs and automatic ' +
        'replies have a null sender, so such a connector can never attribute them to your tenant.',
    );
  });

  it('says a self-signed certificate that matches cannot attribute mail, and points at the step that replaces it', () => {
    const selfSigned: CertificateFacts = {
      subject: 'CN=mail.contoso.com',
      issuer: 'CN=mail.contoso.com',
      names: ['mail.contoso.com'],
      alternateNames: ['mail.contoso.com'],
      acceptedNames: ['mail.contoso.com'],
      selfSigned: true,
    };
    const first = advice(ndr('mail.contoso.com', selfSigned)).steps[0] ?? '';
    expect(first).not.toContain('must present a certificate matching');
    expect(first).toContain(
      'The certificate mail.contoso.com presented matches *.contoso.com (mail.contoso.com), but that certificate ' +
        'cannot attribute mail to your tenant: the send connector step below says why and which certificate to bind instead.',
    );
  });

  it('still asks for a matching certificate when the presented one matches no connector name', () => {
    const other: CertificateFacts = {
      ...deep,
      names: ['mail.fabrikam.com'],
      alternateNames: ['mail.fabrikam.com'],
    };
    const first = advice(ndr('mail.fabrikam.com', other)).steps[0] ?? '';
    expect(first).not.toContain('The certificate mail.fabrikam.com presented matches');
  });
});

describe('-Fqdn with a wildcard certificate', () => {
  const wildcard: CertificateFacts = {
    subject: 'CN=*.contoso.com',
    issuer: 'CN=Fabrikam TLS RSA CA 2026, O=Fabrikam Trust Services, C=US',
    names: ['*.contoso.com', 'contoso.com'],
    alternateNames: ['*.contoso.com', 'contoso.com'],
    acceptedNames: ['*.contoso.com', 'contoso.com'],
    selfSigned: false,
  };

  it("keeps the server's own name, which the wildcard covers, rather than the bare domain", () => {
    const { steps, commands } = advice(ndr('mail.contoso.com', wildcard));
    expect(steps.join('\n')).toContain('-Fqdn set to a name on the certificate (mail.contoso.com)');
    expect(commands).toContain(
      "Set-SendConnector -Identity 'Outbound to Office 365' -RequireTLS $true -TlsAuthLevel CertificateValidation -Fqdn mail.contoso.com -CloudServicesMailEnabled $true",
    );
  });

  it('takes a name on the certificate when the wildcard does not cover the server (one label only)', () => {
    const { commands } = advice(ndr('ex01.eu.contoso.com', wildcard));
    expect(commands.join('\n')).toContain('-Fqdn contoso.com ');
  });
});
