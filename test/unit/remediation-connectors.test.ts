/**
 * Several inbound connectors: each finding's remediation names the one that matters to it — an
 * enabled certificate connector that already fits (then what else is wrong), a disabled one that
 * fits (enable it), a certificate one whose name does not fit (rename it), or, with only IP-based
 * connectors, the IP one to switch — and the classifier shares one remediation per set of facts.
 */
import { describe, expect, it } from 'vitest';
import { StreamingClassifier } from '../../functions/core/analysis/classifier.js';
import type { CertificateFacts } from '../../functions/core/analysis/evidence/presented-certificate.js';
import { Remediation, type ScenarioId } from '../../functions/core/analysis/model/findings.js';
import {
  connectorPlan,
  type RemediationContext,
  remediationFor,
} from '../../functions/core/analysis/remediation/index.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../../functions/core/organisation/connector-info.js';
import { parseInboundConnectors } from '../../functions/core/organisation/connectors.js';
import { onPremisesConnectors, relayConnector } from '../../functions/core/organisation/relay-connector.js';
import { fail, NO_ATTR, origin } from '../support/events.js';

const IP: InboundConnectorInfo = { name: 'Relay from apps', enabled: true, identifiesBy: 'ip' };
const certificate = (fields: Partial<InboundConnectorInfo> = {}): InboundConnectorInfo => ({
  name: 'Inbound from EX01',
  enabled: true,
  identifiesBy: 'certificate',
  tlsSenderCertificateName: '*.contoso.com',
  ...fields,
});
const HCW = certificate({ name: 'Inbound from 7c1e4b2a', tlsSenderCertificateName: 'mail.contoso.com' });
const ENABLE = "Set-InboundConnector -Identity 'Inbound from EX01' -Enabled $true";

/** A contoso.com organisation whose EX01 relays through Exchange Online. */
const contoso: RemediationContext = {
  senderDomain: 'contoso.com',
  recipientDomain: 'tailspintoys.com',
  recipient: 'kate@tailspintoys.com',
  acceptedDomains: ['contoso.com'],
  acceptedDomainsSource: 'given',
  serverHostname: 'EX01.contoso.com',
  connectorId: 'EX01\\Outbound to Office 365',
  attr: 'ATTR36',
  code: '5.7.64',
};
const { attr: _attr, ...withoutAttr } = contoso;
const contexts: Record<ScenarioId, RemediationContext> = {
  ndr: { ...contoso, returnPath: '', sender: 'postmaster@contoso.com' },
  forwarding: { ...contoso, senderDomain: 'fabrikam.com', returnPath: 'john@fabrikam.com' },
  'foreign-sender-domain': { ...contoso, senderDomain: 'fabrikam.com', returnPath: 'app@fabrikam.com' },
  'connector-mismatch': withoutAttr,
  'wrong-region': { ...contoso, code: '4.4.62', attr: 'ATTR35' },
};
const CERTIFICATE_SCENARIOS = ['ndr', 'forwarding', 'foreign-sender-domain'] as const;

/** A certificate from a public CA, as a send protocol log shows it. */
const presented: CertificateFacts = {
  subject: 'CN=mail.contoso.com, O=Contoso Ltd',
  issuer: 'CN=Fabrikam TLS RSA CA 2026',
  names: ['mail.contoso.com', 'autodiscover.contoso.com'],
  alternateNames: ['mail.contoso.com', 'autodiscover.contoso.com'],
  acceptedNames: ['mail.contoso.com', 'autodiscover.contoso.com'],
  selfSigned: false,
};

function advice(
  scenario: ScenarioId,
  connectors: InboundConnectorInfo[],
  extra: Partial<RemediationContext> = {},
) {
  const remediation = remediationFor(scenario, {
    ...contexts[scenario],
    ...extra,
    inboundConnectors: connectors,
  });
  expect(Remediation.safeParse(remediation).success).toBe(true);
  return { ...remediation, text: [...remediation.steps, ...remediation.commands].join('\n') };
}

describe.each(CERTIFICATE_SCENARIOS)('%s with several inbound connectors', (scenario) => {
  it('says an enabled certificate connector that fits already exists, changes no connector, and leaves the IP one alone', () => {
    const result = advice(scenario, [IP, certificate()]);
    expect(result.text).toContain(
      'Your inbound connector "Inbound from EX01" already identifies servers by the certificate name *.contoso.com: no connector needs to change.',
    );
    expect(result.text).toContain(
      'EX01.contoso.com must present a certificate matching *.contoso.com over TLS when it sends to Exchange Online',
    );
    expect(result.text).toContain(
      'Leave "Relay from apps" as it is: it identifies servers by IP address only',
    );
    expect(result.commands.filter((command) => command.startsWith('Set-InboundConnector'))).toEqual([]);
    expect(result.commands).toContain(
      "Get-InboundConnector -Identity 'Inbound from EX01' | Format-List Name,Enabled,ConnectorType,SenderIPAddresses,TlsSenderCertificateName,RestrictDomainsToCertificate,RestrictDomainsToIPAddresses,RequireTls",
    );
    expect(result.commands).toContain(
      "Set-SendConnector -Identity 'Outbound to Office 365' -RequireTLS $true -TlsAuthLevel CertificateValidation -Fqdn ex01.contoso.com -CloudServicesMailEnabled $true",
    );
  });

  it('says to enable a disabled certificate connector that fits, not to build or switch one', () => {
    const result = advice(scenario, [IP, certificate({ enabled: false })]);
    expect(result.text).toContain(
      'Your inbound connector "Inbound from EX01" expects the certificate name *.contoso.com, but it is disabled',
    );
    expect(result.commands).toContain(ENABLE);
    expect(result.text).not.toContain('-SenderIPAddresses $null');
    expect(result.text).not.toContain('New-InboundConnector -Name');
  });

  it("renames a Hybrid wizard connector's host name rather than switching the IP-only connector", () => {
    const result = advice(scenario, [IP, HCW]);
    expect(result.text).toContain(
      'Your inbound connector "Inbound from 7c1e4b2a" expects the certificate name mail.contoso.com, but a host name',
    );
    expect(result.commands).toContain(
      "Set-InboundConnector -Identity 'Inbound from 7c1e4b2a' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true -ConnectorType OnPremises -RequireTls $true",
    );
    expect(result.text).not.toContain('-SenderIPAddresses $null');
    expect(result.text).toContain('Leave "Relay from apps" as it is');
  });

  it('switches the IP-only connector when there is no certificate connector', () => {
    const result = advice(scenario, [
      IP,
      certificate({ enabled: false, tlsSenderCertificateName: 'smtp.fabrikam.com' }),
    ]);
    expect(result.commands).toContain(
      "Set-InboundConnector -Identity 'Relay from apps' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true -ConnectorType OnPremises -RequireTls $true -SenderIPAddresses $null -RestrictDomainsToIPAddresses $false",
    );
    expect(result.text).not.toContain('-Enabled $true');
  });
});

describe('ndr with the certificate a send protocol log showed', () => {
  it('says the server presented a matching certificate, so the chain or the domain is what is left', () => {
    const result = advice('ndr', [IP, certificate()], { session: { tls: true, certificate: presented } });
    expect(result.steps.join('\n')).toContain(
      'Your inbound connector "Inbound from EX01" already identifies servers by the certificate name *.contoso.com, ' +
        'which the certificate EX01.contoso.com presented matches (mail.contoso.com): no connector needs to change. ' +
        'Exchange Online attributes NDRs and automatic replies to your tenant only through a certificate-based connector, ' +
        'so this refusal means it did not use "Inbound from EX01": EX01.contoso.com did present a matching certificate, ' +
        'so check that it sends the intermediate CA certificates with it (KB 3212877) and that contoso.com is still an accepted domain of the tenant.',
    );
    expect(result.text).toContain(
      'matches *.contoso.com of "Inbound from EX01", so this certificate can attribute these messages.',
    );
  });

  it('prefers a disabled connector the certificate matches over an enabled one it does not', () => {
    const other = certificate({
      name: 'Inbound from EX02',
      tlsSenderCertificateName: '*.fabrikam-group.com',
    });
    const result = advice('ndr', [IP, other, certificate({ enabled: false })], {
      acceptedDomains: ['contoso.com', 'fabrikam-group.com'],
      session: { tls: true, certificate: presented },
    });
    expect(result.commands).toContain(ENABLE);
    expect(result.text).not.toContain("-Identity 'Inbound from EX02'");
  });

  it('still says the certificate must change when it is self-signed, naming the connector that fits', () => {
    const result = advice('ndr', [IP, certificate()], {
      session: { tls: true, certificate: { ...presented, selfSigned: true } },
    });
    expect(result.text).toContain(
      'It is self-signed, so even a certificate-based connector cannot attribute these messages',
    );
    // It matches by name: the connector step says it cannot attribute mail, not that one must be presented.
    expect(result.steps[0]).toMatch(
      /^The certificate EX01\.contoso\.com presented matches \*\.contoso\.com \(mail\.contoso\.com\), but that certificate cannot attribute mail to your tenant: the send connector step below says why/,
    );
    expect(result.text).not.toContain('must present a certificate matching');
    expect(result.text).not.toContain('did present a matching certificate');
  });
});

describe('connector-mismatch with several inbound connectors', () => {
  it('enables a disabled certificate connector the presented certificate matches', () => {
    const result = advice('connector-mismatch', [IP, certificate({ enabled: false })], {
      session: { tls: true, certificate: presented },
    });
    expect(result.steps[0]).toContain(
      'It matches *.contoso.com of "Inbound from EX01", so the certificate names are not the cause: "Inbound from EX01" is disabled, and a disabled connector matches no server. Enable it (command below).',
    );
    expect(result.commands).toContain(ENABLE);
    expect(result.text).not.toContain('New-InboundConnector');
    expect(result.text).not.toContain('identifies the server by IP address only');
  });

  it('says the names are not the cause when an enabled certificate connector matches, whatever the IP-only one', () => {
    const result = advice('connector-mismatch', [IP, certificate()], {
      session: { tls: true, certificate: presented },
    });
    expect(result.steps[0]).toContain(
      'It matches *.contoso.com of "Inbound from EX01", so the certificate names are not the cause, and "Inbound from EX01" is an enabled OnPremises connector',
    );
    expect(result.commands.join('\n')).not.toMatch(/^(Set|New)-InboundConnector/m);
  });

  it('without a protocol log, compares with the certificate connector, enables it, and checks the IP one', () => {
    const result = advice('connector-mismatch', [IP, certificate({ enabled: false })]);
    expect(result.text).toContain(
      'Compare it with TlsSenderCertificateName of "Inbound from EX01" (now *.contoso.com)',
    );
    expect(result.text).toContain('"Inbound from EX01" expects *.contoso.com but is disabled');
    expect(result.text).toContain(
      'If "Relay from apps" identifies the server by IP address, check SenderIPAddresses',
    );
    expect(result.commands).toContain(ENABLE);
  });

  it('matches a Hybrid wizard host name when the certificate carries it: the sender domain is accepted', () => {
    const result = advice('connector-mismatch', [IP, HCW], {
      session: { tls: true, certificate: presented },
    });
    expect(result.steps[0]).toContain(
      'It matches mail.contoso.com of "Inbound from 7c1e4b2a", so the certificate names are not the cause',
    );
  });

  it('adds the public IP of a non-Exchange relay to the IP-only connector, never to a certificate one', () => {
    const result = advice('connector-mismatch', [certificate({ enabled: false }), IP], { relay: 'postfix' });
    expect(result.commands).toContain(
      "Set-InboundConnector -Identity 'Relay from apps' -SenderIPAddresses @{Add='<public IPv4 address of EX01.contoso.com>'}",
    );
    expect(result.commands).toContain(ENABLE);
  });
});

describe('wrong-region with several inbound connectors', () => {
  it('enables a disabled certificate connector that fits and names the IP-only one for relays by IP', () => {
    const result = advice('wrong-region', [IP, certificate({ enabled: false })]);
    expect(result.text).toContain(
      '"Inbound from EX01" expects the certificate name *.contoso.com but is disabled',
    );
    expect(result.text).toContain('"Relay from apps"');
    expect(result.commands).toContain(ENABLE);
  });
});

describe('connectorPlan', () => {
  it('knows nothing without connectors', () => {
    expect(connectorPlan(contexts.ndr, 'ndr')).toBeUndefined();
    expect(connectorPlan({ ...contexts.ndr, inboundConnectors: [] }, 'ndr')).toBeUndefined();
  });

  it('prefers an enabled certificate connector that fits, then a disabled one, then renaming, then the IP-only one', () => {
    const plan = (connectors: InboundConnectorInfo[]) =>
      connectorPlan({ ...contexts.ndr, inboundConnectors: connectors }, 'ndr');
    const disabled = certificate({ name: 'Disabled', enabled: false });
    expect(plan([IP, HCW, disabled, certificate()])).toEqual({
      role: 'use',
      connector: certificate(),
      ipOnly: IP,
    });
    expect(plan([IP, HCW, disabled])).toEqual({ role: 'enable', connector: disabled, ipOnly: IP });
    expect(plan([IP, HCW])).toEqual({ role: 'rename', connector: HCW, ipOnly: IP });
    expect(plan([HCW, { ...IP, enabled: false }])).toEqual({ role: 'rename', connector: HCW });
    expect(plan([IP])).toEqual({ role: 'ip-only', connector: IP });
    expect(
      plan([
        { ...IP, enabled: false },
        { ...HCW, enabled: false },
      ]),
    ).toBeUndefined();
  });

  it('does not take a certificate name outside the accepted domains as fitting a null sender', () => {
    const foreign = certificate({ tlsSenderCertificateName: '*.fabrikam.com' });
    expect(connectorPlan({ ...contexts.ndr, inboundConnectors: [foreign] }, 'ndr')?.role).toBe('rename');
    // Without accepted domains only a wildcard counts.
    const unknown = { ...contexts.ndr, acceptedDomains: [], acceptedDomainsSource: 'none' as const };
    expect(connectorPlan({ ...unknown, inboundConnectors: [foreign] }, 'ndr')?.role).toBe('use');
  });
});

describe('relayConnector (the readiness report names it)', () => {
  const exported = parseInboundConnectors(
    JSON.stringify([
      { Name: 'Relay from apps', ConnectorType: 'OnPremises', SenderIPAddresses: ['203.0.113.25'] },
      {
        Name: 'Inbound from 7c1e4b2a',
        ConnectorType: 'OnPremises',
        TlsSenderCertificateName: 'mail.contoso.com',
      },
      { Name: 'Partner in', ConnectorType: 'Partner', TlsSenderCertificateName: '*.contoso.com' },
    ]),
    'inbound-connectors.json',
  );

  it('keeps OnPremises connectors only, enabled or not', () => {
    expect(onPremisesConnectors(exported).map((connector) => connector.name)).toEqual([
      'Relay from apps',
      'Inbound from 7c1e4b2a',
    ]);
  });

  it('is the certificate connector NDRs need, not the IP-only one listed first', () => {
    expect(relayConnector(exported, ['contoso.com'])?.name).toBe('Inbound from 7c1e4b2a');
  });
});

describe('the classifier with several inbound connectors', () => {
  const domains = parseAcceptedDomains('contoso.com', 'test');

  it('gives every NDR of the same facts one shared remediation naming the connector that fits', () => {
    const classifier = new StreamingClassifier({
      domains,
      inboundConnectors: [IP, certificate({ enabled: false })],
    });
    const extra = { serverHostname: 'EX01.contoso.com', connectorId: 'EX01\\Outbound to Office 365' };
    for (const [id, recipient] of [
      ['n1', 'a@gmail.com'],
      ['n2', 'b@yahoo.com'],
      ['n3', 'c@outlook.com'],
    ] as const) {
      classifier.push(fail(id, recipient, '', undefined, extra), origin('MSGTRK.LOG'));
    }
    classifier.flush();
    const findings = classifier.drain().map((emitted) => emitted.finding);
    expect(findings.map((finding) => finding.scenario)).toEqual(['ndr', 'ndr', 'ndr']);
    const [first, ...others] = findings.map((finding) => finding.remediation);
    for (const other of others) expect(other).toBe(first);
    expect(first?.commands).toContain(ENABLE);
  });

  it('compares the presented certificate with the connector the remediation names', () => {
    const classifier = new StreamingClassifier({ domains, inboundConnectors: [IP, certificate()] });
    classifier.push(
      fail('m1', 'ap@litware.com', 'finance@contoso.com', NO_ATTR, {
        serverHostname: 'EX01.contoso.com',
        session: {
          id: '08DF1C44A0B7E2D1',
          tls: true,
          line: 3,
          certificate: {
            subject: 'CN=mail.contoso.com',
            issuer: 'CN=Fabrikam TLS RSA CA 2026',
            names: ['mail.contoso.com'],
            alternateNames: ['mail.contoso.com'],
          },
        },
      }),
      { file: 'SEND.LOG', format: 'exchange-protocol-log', sourceId: 'src-send' },
    );
    classifier.flush();
    const [finding] = classifier.drain().map((emitted) => emitted.finding);
    expect(finding?.scenario).toBe('connector-mismatch');
    expect(finding?.evidence).toContainEqual({
      kind: 'certificate-vs-connector',
      detail:
        'the OnPremises connector "Inbound from EX01" expects *.contoso.com, which a name on the certificate matches',
    });
    expect(finding?.remediation.steps[0]).toContain('so the certificate names are not the cause');
  });
});
