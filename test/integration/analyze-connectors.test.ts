/**
 * Part 3 of the readiness issue through the CLI: `relay-audit analyze … --connectors <Get-InboundConnector
 * json>` makes the traffic findings name the organisation's real connector. With the sample export
 * (an IP-only OnPremises connector "Relay from on-premises apps" beside the HCW's certificate
 * connector), every ndr / forwarding / foreign-sender-domain remediation names the IP-only connector
 * and carries the exact Set-InboundConnector that switches it to certificate identification; the
 * wrong-region and connector-mismatch remediations, which are not about certificate relay, do not.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Finding, type ScenarioId } from '../../functions/core/analysis/model/findings.js';
import { type CapturedOutput, cli } from '../support/capture-output.js';

const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];
const CONNECTORS = 'sample-logs/config/inbound-connectors.json';
const CONNECTOR = 'Relay from on-premises apps';
/** The command that switches the IP-only connector to certificate identification. */
const SWITCH_COMMAND = new RegExp(
  `^Set-InboundConnector -Identity '${CONNECTOR}' -TlsSenderCertificateName \\S+ ` +
    '-RestrictDomainsToCertificate \\$true -ConnectorType OnPremises -RequireTls \\$true ' +
    '-SenderIPAddresses \\$null -RestrictDomainsToIPAddresses \\$false$',
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
      `Inbound connector (${CONNECTORS}): "${CONNECTOR}", identified by IP address only`,
    );
  });

  it('names the IP-only connector and the command to change it in every ndr, forwarding and foreign-sender-domain finding', () => {
    const relevant = findings.filter((finding) => CERTIFICATE_SCENARIOS.includes(finding.scenario));
    expect(new Set(relevant.map((finding) => finding.scenario))).toEqual(new Set(CERTIFICATE_SCENARIOS));
    for (const finding of relevant) {
      const { steps, commands } = finding.remediation;
      expect(steps.join('\n'), finding.id).toContain(`Your inbound connector "${CONNECTOR}" identifies`);
      expect(commands, finding.id).toContain(
        `Get-InboundConnector -Identity '${CONNECTOR}' | Format-List Name,Enabled,ConnectorType,SenderIPAddresses,TlsSenderCertificateName,RestrictDomainsToCertificate,RestrictDomainsToIPAddresses,RequireTls`,
      );
      expect(
        commands.filter((command) => SWITCH_COMMAND.test(command)),
        finding.id,
      ).toHaveLength(1);
    }
    // The certificate domain is the organisation's wildcard, not a placeholder.
    const ndr = relevant.find((finding) => finding.scenario === 'ndr');
    expect(ndr?.remediation.commands.find((command) => SWITCH_COMMAND.test(command))).toContain(
      '-TlsSenderCertificateName *.contoso.com',
    );
  });

  it('does not put the certificate switch into wrong-region and connector-mismatch findings', () => {
    const others = findings.filter((finding) => !CERTIFICATE_SCENARIOS.includes(finding.scenario));
    expect(new Set(others.map((finding) => finding.scenario))).toEqual(
      new Set(['wrong-region', 'connector-mismatch']),
    );
    for (const finding of others) {
      expect(
        finding.remediation.commands.some((command) => SWITCH_COMMAND.test(command)),
        finding.id,
      ).toBe(false);
      expect(text(finding)).not.toMatch(/-TlsSenderCertificateName \S+ .*-SenderIPAddresses \$null/);
    }
  });

  it('uses a placeholder without --connectors, with the same findings', async () => {
    const { findings: plain } = await analyseSamples();
    expect(plain.map((finding) => finding.id).sort()).toEqual(findings.map((finding) => finding.id).sort());
    for (const finding of plain) expect(text(finding)).not.toContain(CONNECTOR);
  });

  it('prefers an IP-only connector over a certificate one, whatever the order, and skips disabled ones', async () => {
    const path = join(dir, 'connectors.json');
    await writeFile(
      path,
      JSON.stringify([
        {
          Name: 'Cert connector',
          ConnectorType: 'OnPremises',
          Enabled: true,
          TlsSenderCertificateName: '*.contoso.com',
        },
        {
          Name: 'Old IP connector',
          ConnectorType: 'OnPremises',
          Enabled: false,
          SenderIPAddresses: ['198.51.100.7'],
        },
        { Name: 'Partner in', ConnectorType: 'Partner', Enabled: true, SenderIPAddresses: ['192.0.2.1'] },
        { Name: "Scanners' relay", ConnectorType: 1, Enabled: true, SenderIPAddresses: ['203.0.113.25'] },
      ]),
    );
    const { findings: named } = await analyseSamples('--connectors', path);
    const ndr = named.find((finding) => finding.scenario === 'ndr');
    expect(ndr?.remediation.commands).toContainEqual(
      expect.stringMatching(/^Set-InboundConnector -Identity 'Scanners'' relay' -TlsSenderCertificateName /),
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
