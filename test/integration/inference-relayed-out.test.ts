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
async function inferred(file: string, ...args: string[]) {
  const { status, out } = await cli('analyze', `${DIR}/${file}`, '--no-store', '--json', ...args);
  expect(status, out.stderr).toBe(0);
  const summary = JSON.parse(out.stderr) as {
    acceptedDomains: { domains: InferredDomainEvidence[] };
    sources: { notes?: { code: string; message: string }[] }[];
  };
  const findings = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Finding);
  return {
    findings,
    domains: summary.acceptedDomains.domains.map((item) => item.domain),
    notes: summary.sources.flatMap((source) => source.notes ?? []),
  };
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

  it('a domain dropped past the window is named on the findings classified before, and no later one uses it', async () => {
    // The scans' receipts make litware.com the organisation's until their SEND, 66 events later:
    // past a window of 40, so the refusals on lines 9 and 11 were classified with it.
    const run = await inferred('queued-past-window/MSGTRK2026112808-1.LOG', '--window', '40');
    expect(run.domains).toEqual([]);
    expect(run.findings.map((f) => [f.source.line, f.scenario])).toEqual([
      [9, 'foreign-sender-domain'],
      [11, 'ndr'],
      [75, 'foreign-sender-domain'],
    ]);
    const [early, ndr, later] = run.findings as [Finding, Finding, Finding];
    expect(wildcards(early)).toEqual(['*.litware.com']);
    expect(wildcards(ndr)).toEqual(['*.litware.com']);
    // The same facts as line 9's, classified after the drop: not the text cached before it.
    expect(wildcards(later)).toEqual(['*.<your-accepted-domain>']);
    expect(run.notes.map((note) => note.code)).toEqual(['INFERRED_DOMAIN_DROPPED']);
    expect(run.notes[0]?.message).toContain(
      '2 findings were classified while litware.com counted as your domain',
    );
    expect(run.notes[0]?.message).toContain('--accepted-domains');
  });

  it('the same file read with a window that holds the queue gets no note and never names litware.com', async () => {
    const run = await inferred('queued-past-window/MSGTRK2026112808-1.LOG');
    expect(run.findings).toHaveLength(3);
    for (const finding of run.findings) expect(wildcards(finding)).toEqual(['*.<your-accepted-domain>']);
    expect(run.notes).toEqual([]);
  });
});
