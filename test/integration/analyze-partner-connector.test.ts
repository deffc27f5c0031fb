/**
 * `relay-audit analyze --connectors` with a certificate connector of type Partner (hunt 64): only
 * OnPremises connectors attribute relayed mail, so no finding can name it, but it is usually the
 * servers' connector created with the wrong type. The connectors header names it, with the command
 * that changes its type, instead of dropping it without a word.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';

const LOG = 'test/fixtures/real-world/SEND20261128-1.LOG';
const IP = {
  Name: 'Relay from on-premises apps',
  ConnectorType: 'OnPremises',
  Enabled: true,
  SenderIPAddresses: ['203.0.113.25'],
};
const PARTNER = {
  Name: 'Inbound from 7c1e4b2a',
  ConnectorType: 'Partner',
  Enabled: true,
  RequireTls: true,
  TlsSenderCertificateName: '*.contoso.com',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-partner-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What `analyze --connectors` writes to stderr about the connectors in `exported`. */
async function header(exported: readonly object[]): Promise<string> {
  const path = join(dir, 'connectors.json');
  await writeFile(path, JSON.stringify(exported));
  const { status, out } = await cli(
    'analyze',
    LOG,
    '--accepted-domains',
    'contoso.com',
    '--no-store',
    '--connectors',
    path,
  );
  expect(status, out.stderr).toBe(0);
  return out.stderr.split('\n').find((line) => line.startsWith('Inbound connectors')) ?? '';
}

describe('a certificate connector of type Partner', () => {
  it('is named in the header beside the OnPremises ones, with the command that changes its type', async () => {
    expect(await header([IP, PARTNER])).toBe(
      `Inbound connectors (${join(dir, 'connectors.json')}): "Relay from on-premises apps" (IP address only), ` +
        '"Inbound from 7c1e4b2a" (certificate *.contoso.com, type Partner: no finding uses it, as only OnPremises ' +
        'connectors attribute relayed mail; if it is meant for your servers, Set-InboundConnector -Identity ' +
        "'Inbound from 7c1e4b2a' -ConnectorType OnPremises); each finding's remediation names the one that matters to it.",
    );
  });

  it('is named when no OnPremises connector is enabled, and enabled by the same command when disabled', async () => {
    expect(await header([PARTNER, { ...PARTNER, Name: 'Old partner', Enabled: false }])).toContain(
      'Of type Partner: "Inbound from 7c1e4b2a" (certificate *.contoso.com, type Partner: no finding uses it, ' +
        'as only OnPremises connectors attribute relayed mail; if it is meant for your servers, Set-InboundConnector ' +
        '-Identity \'Inbound from 7c1e4b2a\' -ConnectorType OnPremises), "Old partner" (certificate *.contoso.com, ' +
        'type Partner, disabled: no finding uses it, as only OnPremises connectors attribute relayed mail; if it is ' +
        "meant for your servers, Set-InboundConnector -Identity 'Old partner' -ConnectorType OnPremises -Enabled $true).",
    );
  });

  it('leaves out a Partner connector that identifies by IP address only', async () => {
    const line = await header([
      IP,
      { ...PARTNER, TlsSenderCertificateName: null, SenderIPAddresses: ['198.51.100.7'] },
    ]);
    expect(line).not.toContain('Inbound from 7c1e4b2a');
  });
});
