/**
 * Part 3 of the readiness issue through the CLI: `relay-audit analyze … --connectors <Get-InboundConnector
 * json>` makes the traffic findings name the organisation's real connectors, each finding the one that
 * matters to it. With the sample export (an IP-only OnPremises connector "Relay from on-premises apps"
 * beside the HCW's certificate connector, which expects the host name mail.contoso.com), the ndr /
 * forwarding / foreign-sender-domain remediations change the HCW connector's name to a wildcard and
 * leave the IP-only connector to the apps that relay through it; a certificate connector that already
 * fits is named as such (nothing to change), a disabled one is to be enabled, and only without any
 * certificate connector is the IP-only one switched.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Finding, type ScenarioId } from '../../functions/core/analysis/model/findings.js';
import { relaySoftwareOf } from '../../functions/core/analysis/remediation/relay-software.js';
import { type CapturedOutput, cli } from '../support/capture-output.js';

const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];
const CONNECTORS = 'sample-logs/config/inbound-connectors.json';
const CONNECTOR = 'Relay from on-premises apps';
const HCW = 'Inbound from 7c1e4b2a-93d5-4f60-8a2e-b14d6c0f3e97';
/** The command that changes the HCW connector's host name to the wildcard over the accepted domain. */
const RENAME_COMMAND = new RegExp(
  `^Set-InboundConnector -Identity '${HCW}' -TlsSenderCertificateName \\S+ ` +
    '-RestrictDomainsToCertificate \\$true -ConnectorType OnPremises -RequireTls \\$true$',
);
const CERTIFICATE_SCENARIOS: readonly ScenarioId[] = ['ndr', 'forwarding', 'foreign-sender-domain'];

let dir: string;

/** Findings printed by `analyze --no-store` (one JSON line each). */
async function analyseSamples(...extra: string[]): Promise<{ findings: Finding[]; out: CapturedOutput }> {
  const { status, out } = await cli('analyze', 'sample-logs', ...DOMAINS, '--no-store', ...extra);
  expect(status, out.stderr).toBe(0);
  const findings = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => Finding.parse(JSON.parse(line)));
  return { findings, out };
}

function text(finding: Finding): string {
  const { remediation } = finding;
  return [remediation.explanation, ...remediation.steps, ...remediation.commands].join('\n');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-connectors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('relay-audit analyze --connectors', () => {
  let findings: Finding[];

  beforeAll(async () => {
    const result = await analyseSamples('--connectors', CONNECTORS);
    findings = result.findings;
    expect(result.out.stderr).toContain(
      `Inbound connectors (${CONNECTORS}): "${CONNECTOR}" (IP address only), "${HCW}" (certificate mail.contoso.com); ` +
        "each finding's remediation names the one that matters to it.",
    );
  });

  it("changes the HCW connector's host name in every ndr, forwarding and foreign-sender-domain finding, and leaves the IP-only one", () => {
    const relevant = findings.filter((finding) => CERTIFICATE_SCENARIOS.includes(finding.scenario));
    expect(new Set(relevant.map((finding) => finding.scenario))).toEqual(new Set(CERTIFICATE_SCENARIOS));
    for (const finding of relevant) {
      const { steps, commands } = finding.remediation;
      const text = steps.join('\n');
      expect(text, finding.id).toContain(
        `Your inbound connector "${HCW}" expects the certificate name mail.contoso.com, but a host name`,
      );
      expect(text, finding.id).toContain(
        `Leave "${CONNECTOR}" as it is: it identifies servers by IP address only`,
      );
      expect(commands, finding.id).toContain(
        `Get-InboundConnector -Identity '${HCW}' | Format-List Name,Enabled,ConnectorType,SenderIPAddresses,TlsSenderCertificateName,RestrictDomainsToCertificate,RestrictDomainsToIPAddresses,RequireTls`,
      );
      expect(
        commands.filter((command) => RENAME_COMMAND.test(command)),
        finding.id,
      ).toHaveLength(1);
      // The IP-only connector serves the scanners and apps: nothing switches it to a certificate.
      expect(commands.join('\n'), finding.id).not.toContain('-SenderIPAddresses $null');
    }
    // The certificate domain is the organisation's wildcard, not a placeholder.
    const ndr = relevant.find((finding) => finding.scenario === 'ndr');
    expect(ndr?.remediation.commands.find((command) => RENAME_COMMAND.test(command))).toContain(
      '-TlsSenderCertificateName *.contoso.com',
    );
  });

  it('says the names are not the cause when the certificate the protocol log shows matches the HCW connector', () => {
    const finding = findings.find(
      (candidate) =>
        candidate.recipient === 'supplier@litware.com' &&
        candidate.messageId === '28B71A112A349B5EB8F9C29C92482EBE@EX01.contoso.local',
    );
    expect(finding?.scenario).toBe('connector-mismatch');
    expect(finding?.evidence).toContainEqual({
      kind: 'certificate-vs-connector',
      detail: `the OnPremises connector "${HCW}" expects mail.contoso.com, which a name on the certificate matches`,
    });
    expect(finding?.remediation.steps[0]).toContain(
      `It matches mail.contoso.com of "${HCW}", so the certificate names are not the cause`,
    );
    expect(finding?.remediation.commands.join('\n')).not.toMatch(/^(Set|New)-InboundConnector/m);
  });

  it('does not put a certificate switch of the IP-only connector into wrong-region and connector-mismatch findings', () => {
    const others = findings.filter((finding) => !CERTIFICATE_SCENARIOS.includes(finding.scenario));
    expect(new Set(others.map((finding) => finding.scenario))).toEqual(
      new Set(['wrong-region', 'connector-mismatch']),
    );
    for (const finding of others) {
      expect(text(finding)).not.toMatch(/-TlsSenderCertificateName \S+ .*-SenderIPAddresses \$null/);
      expect(text(finding)).not.toContain(`New-InboundConnector -Name '${CONNECTOR} (certificate)'`);
    }
  });

  it('uses a placeholder without --connectors, with the same findings', async () => {
    const { findings: plain } = await analyseSamples();
    expect(plain.map((finding) => finding.id).sort()).toEqual(findings.map((finding) => finding.id).sort());
    for (const finding of plain) {
      expect(text(finding)).not.toContain(CONNECTOR);
      expect(text(finding)).not.toContain(HCW);
    }
  });

  it('says a certificate connector that fits already exists, and changes no connector', async () => {
    const path = join(dir, 'fitting.json');
    await writeFile(
      path,
      JSON.stringify([
        { Name: "Scanners' relay", ConnectorType: 1, Enabled: true, SenderIPAddresses: ['203.0.113.25'] },
        {
          Name: 'Cert connector',
          ConnectorType: 'OnPremises',
          Enabled: true,
          TlsSenderCertificateName: '*.contoso.com',
        },
      ]),
    );
    const { findings: named } = await analyseSamples('--connectors', path);
    const ndr = named.filter((finding) => finding.scenario === 'ndr');
    expect(ndr.length).toBeGreaterThan(0);
    for (const finding of ndr) {
      expect(text(finding), finding.id).toContain(
        'Your inbound connector "Cert connector" already identifies servers by the certificate name *.contoso.com',
      );
      expect(text(finding), finding.id).toContain(`Leave "Scanners' relay" as it is`);
      expect(finding.remediation.commands.join('\n'), finding.id).not.toMatch(/^(Set|New)-InboundConnector/m);
    }
  });

  it('says to enable a disabled certificate connector that fits, in ndr and connector-mismatch findings alike', async () => {
    const path = join(dir, 'disabled.json');
    await writeFile(
      path,
      JSON.stringify([
        { Name: "Scanners' relay", ConnectorType: 1, Enabled: true, SenderIPAddresses: ['203.0.113.25'] },
        {
          Name: 'Cert connector',
          ConnectorType: 'OnPremises',
          Enabled: false,
          TlsSenderCertificateName: '*.contoso.com',
        },
      ]),
    );
    const { findings: named, out } = await analyseSamples('--connectors', path);
    expect(out.stderr).toContain('"Cert connector" (certificate *.contoso.com, disabled)');
    const enable = "Set-InboundConnector -Identity 'Cert connector' -Enabled $true";
    for (const scenario of ['ndr', 'forwarding', 'foreign-sender-domain', 'connector-mismatch'] as const) {
      const finding = named.find(
        (candidate) =>
          candidate.scenario === scenario && relaySoftwareOf(candidate.source.format) === undefined,
      );
      expect(finding?.remediation.commands, scenario).toContain(enable);
      expect(text(finding as Finding), scenario).not.toContain('-SenderIPAddresses $null');
    }
    const matched = named.find(
      (finding) => finding.messageId === '28B71A112A349B5EB8F9C29C92482EBE@EX01.contoso.local',
    );
    expect(matched?.remediation.steps[0]).toContain(
      'It matches *.contoso.com of "Cert connector", so the certificate names are not the cause: "Cert connector" is disabled',
    );
  });

  it('switches the IP-only connector when no certificate connector can serve, skipping disabled and partner ones', async () => {
    const path = join(dir, 'connectors.json');
    await writeFile(
      path,
      JSON.stringify([
        {
          Name: 'Old IP connector',
          ConnectorType: 'OnPremises',
          Enabled: false,
          SenderIPAddresses: ['198.51.100.7'],
        },
        {
          Name: 'Partner in',
          ConnectorType: 'Partner',
          Enabled: true,
          TlsSenderCertificateName: '*.contoso.com',
        },
        { Name: "Scanners' relay", ConnectorType: 1, Enabled: true, SenderIPAddresses: ['203.0.113.25'] },
      ]),
    );
    const { findings: named } = await analyseSamples('--connectors', path);
    const ndr = named.find((finding) => finding.scenario === 'ndr');
    expect(ndr?.remediation.commands).toContainEqual(
      expect.stringMatching(
        /^Set-InboundConnector -Identity 'Scanners'' relay' -TlsSenderCertificateName \*\.contoso\.com .* -SenderIPAddresses \$null -RestrictDomainsToIPAddresses \$false$/,
      ),
    );
  });

  it('names a certificate connector when it is the only OnPremises one, without removing IP identification', async () => {
    const path = join(dir, 'certificate-only.json');
    await writeFile(
      path,
      JSON.stringify({
        Name: 'Cert connector',
        ConnectorType: 'OnPremises',
        TlsSenderCertificateName: 'mail.contoso.com',
      }),
    );
    const { findings: named } = await analyseSamples('--connectors', path);
    const forwarding = named.find((finding) => finding.scenario === 'forwarding');
    const command = forwarding?.remediation.commands.find((c) => c.startsWith('Set-InboundConnector'));
    expect(command).toMatch(
      /^Set-InboundConnector -Identity 'Cert connector' -TlsSenderCertificateName \*\.contoso\.com /,
    );
    expect(command).not.toContain('-SenderIPAddresses $null');
  });

  it('analyses with a placeholder and says so when no enabled OnPremises connector exists', async () => {
    const path = join(dir, 'partner-only.json');
    await writeFile(path, JSON.stringify([{ Name: 'Partner in', ConnectorType: 'Partner' }]));
    const { findings: plain, out } = await analyseSamples('--connectors', path);
    expect(out.stderr).toContain('no enabled OnPremises connector among "Partner in"');
    expect(plain.some((finding) => text(finding).includes('Partner in'))).toBe(false);
  });

  it('exits 2 naming the file when it is not a connectors export', async () => {
    const path = join(dir, 'accepted.json');
    await writeFile(path, JSON.stringify([{ DomainName: 'contoso.com' }]));
    const bad = await cli('analyze', 'sample-logs', ...DOMAINS, '--no-store', '--connectors', path);
    expect(bad.status).toBe(2);
    expect(bad.out.stderr).toContain(
      `${path}: connector 1 has no Name (it looks like Get-AcceptedDomain output)`,
    );
    const missing = await cli(
      'analyze',
      'sample-logs',
      ...DOMAINS,
      '--no-store',
      '--connectors',
      join(dir, 'nope.json'),
    );
    expect(missing.status).toBe(2);
    expect(missing.out.stderr).toContain('--connectors');
    expect(missing.out.stderr).toContain('no such file');
  });
});
