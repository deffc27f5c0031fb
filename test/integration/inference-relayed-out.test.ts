/**
 * Without accepted domains, an application's mail received on an anonymous relay connector (marked
 * `Incoming`, as mail from the internet) and sent on to an internet address for the same recipient
 * is mail relayed out, not an arrival: its recipients' domain is not the organisation's, and the
 * remediation never names it. Fixtures: test/fixtures/real-world/inference-relayed-out/ (README.md).
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { InferredDomainEvidence } from '../../functions/core/organisation/accepted-domains.js';
import { cli } from '../support/capture-output.js';

const DIR = 'test/fixtures/real-world/inference-relayed-out';

/** `analyze <file> --no-store --json` without accepted domains. */
async function inferred(file: string) {
  const { status, out } = await cli('analyze', `${DIR}/${file}`, '--no-store', '--json');
  expect(status, out.stderr).toBe(0);
  const summary = JSON.parse(out.stderr) as { acceptedDomains: { domains: InferredDomainEvidence[] } };
  const findings = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Finding);
  return { findings, domains: summary.acceptedDomains.domains.map((item) => item.domain) };
}

/** The certificate domains a finding's remediation names (`*.contoso.com`). */
const wildcards = (finding: Finding) => [
  ...new Set(JSON.stringify(finding.remediation).match(/\*\.[a-z0-9.<>-]*[a-z>]/g) ?? []),
];

describe('mail relayed out is no arrival for the inference', () => {
  it('a relay server’s log infers nothing from the customers its applications wrote to', async () => {
    const run = await inferred('relay-server/MSGTRK2026112800-1.LOG');
    expect(run.domains).toEqual([]);
    expect(run.findings.map((f) => [f.source.line, f.scenario])).toEqual([
      [11, 'foreign-sender-domain'],
      [13, 'ndr'],
    ]);
    for (const finding of run.findings) expect(wildcards(finding)).toEqual(['*.<your-accepted-domain>']);
  });

  it('a partner reached by its own send connector is not the organisation, and a forward stays one', async () => {
    const run = await inferred('partner-connector/MSGTRK2026112812-1.LOG');
    expect(run.domains).toEqual(['contoso.com']);
    expect(run.findings.map((f) => [f.source.line, f.scenario, f.confidence])).toEqual([
      [13, 'forwarding', 'medium'],
      [17, 'ndr', 'high'],
    ]);
    for (const finding of run.findings) expect(wildcards(finding)).toEqual(['*.contoso.com']);
  });
});
