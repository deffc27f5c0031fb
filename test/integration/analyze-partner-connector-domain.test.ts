/**
 * `relay-audit analyze --connectors` with a certificate connector of type Partner whose name is in
 * none of the accepted domains (a bank's `*.woodgrovebank.com`): it is a partner's connector, and
 * turning it into an OnPremises one would attribute the bank's servers to the tenant. The header
 * names it without that advice; only one whose name is accepted (isAcceptedConnectorName, as
 * `check` judges it) gets `-ConnectorType OnPremises`, and none when the accepted domains are not
 * given (they cannot tell whose it is).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';

const LOG = 'test/fixtures/real-world/SEND20261128-1.LOG';
const HCW = {
  Name: 'Inbound from 7c1e4b2a',
  ConnectorType: 'OnPremises',
  Enabled: true,
  RequireTls: true,
  TlsSenderCertificateName: 'mail.contoso.com',
};
const BANK = {
  Name: 'Woodgrove Bank secure mail',
  ConnectorType: 'Partner',
  Enabled: true,
  RequireTls: true,
  TlsSenderCertificateName: '*.woodgrovebank.com',
};
const MISTYPED = { ...BANK, Name: 'Relay from EX01', TlsSenderCertificateName: 'mail.sub.contoso.com' };
const SUBDOMAINS =
  '"Name","DomainName","DomainType","Default","MatchSubDomains"\r\n' +
  '"contoso.com","contoso.com","InternalRelay","True","True"\r\n';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-partner-domain-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The connectors line `analyze --connectors` writes to stderr, with `domains` as --accepted-domains. */
async function header(exported: readonly object[], domains?: string): Promise<string> {
  const path = join(dir, 'connectors.json');
  await writeFile(path, JSON.stringify(exported));
  const { status, out } = await cli(
    'analyze',
    LOG,
    '--no-store',
    ...(domains === undefined ? [] : ['--accepted-domains', domains]),
    '--connectors',
    path,
  );
  expect(status, out.stderr).toBe(0);
  return out.stderr.split('\n').find((line) => line.startsWith('Inbound connectors')) ?? '';
}

describe("a Partner connector for a partner's certificate", () => {
  it('is named without the advice to make it OnPremises', async () => {
    const line = await header([HCW, BANK], 'contoso.com');
    expect(line).toContain(
      '"Woodgrove Bank secure mail" (certificate *.woodgrovebank.com, type Partner: *.woodgrovebank.com is not in ' +
        "your accepted domains (MatchSubDomains counted), so it is taken for a partner's connector, which no " +
        'finding uses)',
    );
    expect(line).not.toContain('Set-InboundConnector');
    expect(line).not.toContain('meant for your servers');
  });

  it('gets the advice when its name is accepted, MatchSubDomains counted, and none when no domains are given', async () => {
    const csv = join(dir, 'accepted-domains.csv');
    await writeFile(csv, SUBDOMAINS);
    const accepted = await header([HCW, BANK, MISTYPED], csv);
    expect(accepted).toContain(
      '"Relay from EX01" (certificate mail.sub.contoso.com, type Partner: no finding uses it, as only OnPremises connectors attribute relayed mail; if it is meant for your servers, Set-InboundConnector -Identity \'Relay from EX01\' -ConnectorType OnPremises)',
    );
    expect(accepted).not.toContain("-Identity 'Woodgrove Bank secure mail'");

    const unknown = await header([HCW, BANK, MISTYPED]);
    expect(unknown).not.toContain('Set-InboundConnector');
    expect(unknown).toContain(
      '"Woodgrove Bank secure mail" (certificate *.woodgrovebank.com, type Partner: no finding uses it, as only ' +
        'OnPremises connectors attribute relayed mail; give --accepted-domains to tell whether it is meant for your servers)',
    );
  });
});
