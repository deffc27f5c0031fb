/**
 * Ctrl+C during `analyze` into the store stops the reading, not the process: what was read is stored
 * and counted, the file is recorded as interrupted (exit 130), and analysing it again leaves the
 * store exactly as one uninterrupted run does — findings and the dashboard's counters alike.
 * The command runs as a user runs it (its own process), and gets a real SIGINT mid-run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTrackingLog } from '../../bench/generate-tracking-log.js';
import { cli } from '../support/capture-output.js';
import { interruptedRun } from '../support/interrupted-run.js';
import { countsPerCell, findingsOf, storedCounters } from '../support/rollup-counts.js';

let dir: string;
let log: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-interrupt-'));
  log = join(dir, 'MSGTRK-generated.LOG');
  await generateTrackingLog(log, 12 * 1024 * 1024, 11);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Ctrl+C during analyze into the store', () => {
  it('stores and counts what was read, says so, and a second run completes the store exactly', async () => {
    // Prepare: what one whole run finds.
    const printed = await cli('analyze', log, '--no-store', '--accepted-domains', 'contoso.com');
    const expected = [...findingsOf(printed.out.stdout).values()];
    expect(expected.length).toBeGreaterThan(1000);
    const db = join(dir, 'db');

    // Act: interrupt a run, then analyse the file again.
    const interrupted = await interruptedRun(db, [
      'analyze',
      log,
      '--db',
      db,
      '--accepted-domains',
      'contoso.com',
    ]);
    const stored = findingsOf((await cli('findings', '--db', db, '--format', 'ndjson')).out.stdout);
    const again = await cli('analyze', log, '--db', db, '--accepted-domains', 'contoso.com');
    const after = findingsOf((await cli('findings', '--db', db, '--format', 'ndjson')).out.stdout);

    // Assess: stopped part-way, with its own status and words, what it found stored...
    expect(interrupted.status).toBe(130);
    expect(interrupted.stderr).toContain('Interrupted: storing what was read so far');
    // The report (stdout, with the store) names the file as not analysed, and why.
    expect(interrupted.stdout).toMatch(
      /not analysed: INTERRUPTED\n.*stopped by Ctrl\+C after \d+ rows; analyse it again\n\n/,
    );
    expect(stored.size).toBeGreaterThan(0);
    expect(stored.size).toBeLessThan(expected.length);
    // ...and the second run leaves the findings and the counters of one whole run.
    expect(again.status).toBe(0);
    expect([...after.keys()].sort()).toEqual(expected.map((finding) => finding.id).sort());
    expect(await storedCounters(db, expected)).toEqual(countsPerCell(expected));
  });
});
