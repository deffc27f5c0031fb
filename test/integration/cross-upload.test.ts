/**
 * Cross-upload correlation end to end on the embedded engine: the receipt of a forwarded message
 * is analysed in one run, its refusal in another; the refusal is `forwarding` as soon as the second
 * run returns, whichever order the two runs came in, and the nightly report keeps it so.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';

const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];
let dir: string;

async function scenarioOf(db: string, recipient: string): Promise<string | undefined> {
  const { out } = await cli(
    'findings',
    '--db',
    db,
    '--recipient-domain',
    recipient.split('@')[1] ?? '',
    '--format',
    'ndjson',
  );
  const findings = out.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { recipient: string; scenario: string });
  return findings.find((finding) => finding.recipient === recipient)?.scenario;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-cross-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cross-upload correlation', () => {
  it('reclassifies a refusal whose receipt came in an earlier, separate analysis, at once', async () => {
    const db = join(dir, 'db');
    // Act: two separate runs, the receipt first, the refusal later (as two uploads would be).
    expect((await cli('analyze', 'sample-logs/MSGTRK2026112800-1.LOG', ...DOMAINS, '--db', db)).status).toBe(
      0,
    );
    expect((await cli('analyze', 'sample-logs/MSGTRK2026112800-2.LOG', ...DOMAINS, '--db', db)).status).toBe(
      0,
    );
    const before = await scenarioOf(db, 'kate@tailspintoys.com');
    const report = await cli(
      'report',
      '--date',
      '2026-11-28',
      '--db',
      db,
      '--out',
      join(dir, 'reports'),
      '--json',
    );

    // Assess
    expect(before).toBe('forwarding');
    expect(report.status).toBe(0);
    expect(await scenarioOf(db, 'kate@tailspintoys.com')).toBe('forwarding');
  });

  it('reclassifies a stored refusal when a later run brings its receipt, and says so', async () => {
    // Prepare: the refusal is analysed first (the rolled-over logs in the wrong order).
    const db = join(dir, 'db');
    const first = await cli(
      'analyze',
      'sample-logs/MSGTRK2026112800-2.LOG',
      ...DOMAINS,
      '--db',
      db,
      '--json',
    );
    const alone = await scenarioOf(db, 'kate@tailspintoys.com');

    // Act
    const second = await cli('analyze', 'sample-logs/MSGTRK2026112800-1.LOG', ...DOMAINS, '--db', db);

    // Assess
    expect(first.status).toBe(0);
    expect(JSON.parse(first.out.stdout).store.reclassifiedAsForwarding).toEqual({
      thisRun: 0,
      earlierRuns: 0,
      complete: true,
    });
    expect(alone).toBe('foreign-sender-domain');
    expect(second.status).toBe(0);
    expect(second.out.stdout).toContain(
      "1 refusal stored by earlier runs is now forwarding, proven by this run's receipts",
    );
    expect(await scenarioOf(db, 'kate@tailspintoys.com')).toBe('forwarding');
  });

  it("counts this run's refusals proven by an earlier run as forwarding in the report", async () => {
    const db = join(dir, 'db');
    await cli('analyze', 'sample-logs/MSGTRK2026112800-1.LOG', ...DOMAINS, '--db', db);
    const second = await cli(
      'analyze',
      'sample-logs/MSGTRK2026112800-2.LOG',
      ...DOMAINS,
      '--db',
      db,
      '--json',
    );
    const summary = JSON.parse(second.out.stdout);
    expect(summary.store.reclassifiedAsForwarding.thisRun).toBe(1);
    expect(summary.findingsByScenario.forwarding).toBe(1);
    expect(summary.sources[0].findingsByScenario.forwarding).toBe(1);
  });
});
