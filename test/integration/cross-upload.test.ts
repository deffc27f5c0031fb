/**
 * Cross-upload correlation end to end on the embedded engine: the receipt of a forwarded message
 * is analysed in one run, its refusal in a later run; the nightly report turns the
 * foreign-sender-domain finding into forwarding using the inbound index the first run recorded.
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
  it('reclassifies a refusal whose receipt came in an earlier, separate analysis', async () => {
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
    expect(before).toBe('foreign-sender-domain');
    expect(report.status).toBe(0);
    expect(await scenarioOf(db, 'kate@tailspintoys.com')).toBe('forwarding');
  });
});
