/**
 * The embedded store keeps exactly what the analysis found: on a generated tracking log (the bench's
 * generator, a few thousand refusals of every scenario) the findings read back from the store are the
 * same set, field for field, as `analyze --no-store` prints — with the engine in its own thread and
 * writes overlapping the reading. Analysing the file again adds nothing, and the rollup counters the
 * runs kept (summed over each run, applied at its records) are the counts of those findings.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTrackingLog } from '../../bench/generate-tracking-log.js';
import { cli } from '../support/capture-output.js';
import { countsPerCell, findingsOf, storedCounters } from '../support/rollup-counts.js';

let dir: string;
let log: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-equivalence-'));
  log = join(dir, 'MSGTRK-generated.LOG');
  await generateTrackingLog(log, 3 * 1024 * 1024, 7);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('analyze into the embedded store', () => {
  it('stores the same findings as --no-store prints, and none twice when run again', async () => {
    // Prepare
    const db = join(dir, 'db');
    const printed = await cli('analyze', log, '--no-store', '--accepted-domains', 'contoso.com');
    expect(printed.status).toBe(0);
    const expected = findingsOf(printed.out.stdout);
    expect(expected.size).toBeGreaterThan(300);

    // Act
    const first = await cli('analyze', log, '--db', db, '--accepted-domains', 'contoso.com', '--json');
    const second = await cli('analyze', log, '--db', db, '--accepted-domains', 'contoso.com', '--json');
    const stored = await cli('findings', '--db', db, '--format', 'ndjson');

    // Assess
    expect(first.status).toBe(0);
    expect(second.status).toBe(0);
    expect(JSON.parse(first.out.stdout).store.findingsWritten).toBe(expected.size);
    const actual = findingsOf(stored.out.stdout);
    expect(stored.out.stdout.split('\n').filter(Boolean)).toHaveLength(expected.size);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, finding] of expected) expect(actual.get(id)).toEqual(finding);
    expect(await storedCounters(db, [...expected.values()])).toEqual(countsPerCell([...expected.values()]));
  });
});

describe('analyze the same log under another name into the same store', () => {
  it('counts an IIS SMTP log (no Message-ID in the format) once, whatever the file is called', async () => {
    // Prepare: the sample log, and a copy of it under another name in another folder.
    const db = join(dir, 'db-renamed');
    const copy = join(dir, 'rotated', 'ex261128.log.1');
    await mkdir(join(dir, 'rotated'), { recursive: true });
    await copyFile(join('sample-logs', 'iis-smtp-ex261128.log'), copy);

    // Act
    const first = await cli(
      'analyze',
      join('sample-logs', 'iis-smtp-ex261128.log'),
      '--db',
      db,
      '--accepted-domains',
      'contoso.com',
      '--json',
    );
    const second = await cli('analyze', copy, '--db', db, '--accepted-domains', 'contoso.com', '--json');
    const stored = await cli('findings', '--db', db, '--format', 'ndjson');

    // Assess
    expect(first.status).toBe(0);
    expect(second.status).toBe(0);
    const findings = stored.out.stdout.split('\n').filter(Boolean);
    expect(findings).toHaveLength(2);
    expect(findingsOf(stored.out.stdout).size).toBe(2);
  });
});
