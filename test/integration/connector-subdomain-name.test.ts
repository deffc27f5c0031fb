/**
 * A connector whose `TlsSenderCertificateName` is a host below an accepted domain with
 * MatchSubDomains (test/fixtures/real-world/connector-subdomain-name): `check` counts the name as
 * accepted, and `analyze` must too. Found by a hunt: analyze judged the name against the bare list
 * of domain names, where MatchSubDomains is lost, and told the admin to rename the connector to
 * `*.fabrikam-group.com`. And both commands list a connector's pinned issuer with its name.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { Finding } from '../../functions/core/analysis/model/findings.js';
import { connectorPlan } from '../../functions/core/analysis/remediation/connector-plan.js';
import type { RemediationContext } from '../../functions/core/analysis/remediation/context.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import {
  parseInboundConnectors,
  toInboundConnectorInfo,
} from '../../functions/core/organisation/connectors.js';
import { relayConnector } from '../../functions/core/organisation/relay-connector.js';
import { cli } from '../support/capture-output.js';

const FIXTURES = 'test/fixtures/real-world/connector-subdomain-name';
const CONNECTORS = `${FIXTURES}/fabrikam-group-host.json`;
const LOG = `${FIXTURES}/SEND20261128-1.LOG`;
/** `fabrikam-group.com` is InternalRelay with MatchSubDomains True. */
const ACCEPTED = 'sample-logs/config/accepted-domains.csv';
/** The same domains as a bare list: no MatchSubDomains. */
const BARE = 'contoso.com,corp.contoso.com,fabrikam-group.com';
const HCW = 'Inbound from 7c1e4b2a-93d5-4f60-8a2e-b14d6c0f3e97';
const RENAME = `Set-InboundConnector -Identity '${HCW}' -TlsSenderCertificateName *.fabrikam-group.com`;

/** Whether `check` counts the connector's name as accepted (no connector-cert-name-not-accepted). */
async function checkAccepts(accepted: string): Promise<boolean> {
  const { out } = await cli('check', '--accepted-domains', accepted, '--connectors', CONNECTORS, '--json');
  const report = JSON.parse(out.stdout) as { results: { id: string; objects: string[] }[] };
  return !report.results.some(
    (result) => result.id === 'connector-cert-name-not-accepted' && result.objects.includes(HCW),
  );
}

/** The NDR finding of the fixture's session, as `analyze` writes it. */
async function analyse(accepted: string): Promise<Finding> {
  const { status, out } = await cli(
    'analyze',
    LOG,
    '--no-store',
    '--accepted-domains',
    accepted,
    '--connectors',
    CONNECTORS,
  );
  expect(status, out.stderr).toBe(0);
  const [finding] = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => Finding.parse(JSON.parse(line)));
  expect(finding?.scenario).toBe('ndr');
  return finding as Finding;
}

/** Whether `analyze` leaves the connector's name as it is (and does not tell to rename it). */
function analyzeAccepts(finding: Finding): boolean {
  const { steps, commands } = finding.remediation;
  const renames = commands.some((command) => command.startsWith(RENAME));
  const keeps = steps.some((step) => step.includes(`"${HCW}" already identifies servers`));
  expect(renames).toBe(!keeps);
  return keeps;
}

describe('a connector named for a host below an accepted domain with MatchSubDomains', () => {
  it('check and analyze agree: the name is accepted, nothing to rename', async () => {
    expect(await checkAccepts(ACCEPTED)).toBe(true);
    const finding = await analyse(ACCEPTED);
    expect(analyzeAccepts(finding)).toBe(true);
    expect(finding.remediation.steps.join('\n')).toContain('no connector needs to change');
  });

  it('check and analyze agree without MatchSubDomains: the name is not accepted', async () => {
    expect(await checkAccepts(BARE)).toBe(false);
    expect(analyzeAccepts(await analyse(BARE))).toBe(false);
  });

  it('is the connector chosen without a protocol log too, and the one the readiness report names', async () => {
    const connectors = parseInboundConnectors(await readFile(CONNECTORS), CONNECTORS);
    const list = parseAcceptedDomains(await readFile(ACCEPTED, 'utf8'), ACCEPTED);
    expect(relayConnector(connectors, list)?.name).toBe(HCW);
    const context: RemediationContext = {
      acceptedDomains: list.domains(),
      acceptedDomainsSource: 'given',
      matchSubDomains: ['fabrikam-group.com'],
      code: '5.7.64',
      inboundConnectors: connectors.map(toInboundConnectorInfo),
    };
    expect(connectorPlan(context, 'ndr')).toMatchObject({ role: 'use', connector: { name: HCW } });
    const { matchSubDomains: _none, ...bare } = context;
    expect(connectorPlan(bare, 'ndr')).toMatchObject({ role: 'rename', connector: { name: HCW } });
  });
});

describe('connector listings show a pinned issuer', () => {
  const PINNED = 'test/fixtures/real-world/connector-issuer-pin/contoso-old-issuer.json';
  const SHOWN = 'certificate mail.contoso.com (issuer CN=Contoso Old Issuing CA, O=Old Trust Inc, C=US)';

  it('in check', async () => {
    const { out } = await cli('check', '--accepted-domains', ACCEPTED, '--connectors', PINNED);
    expect(out.stdout).toContain(`"${HCW}" (OnPremises, enabled, ${SHOWN})`);
  });

  it('in analyze', async () => {
    const { out } = await cli(
      'analyze',
      'sample-logs/SEND20261128-1.LOG',
      '--no-store',
      '--accepted-domains',
      ACCEPTED,
      '--connectors',
      PINNED,
    );
    expect(out.stderr).toContain(`"${HCW}" (${SHOWN})`);
  });
});
