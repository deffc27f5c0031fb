/**
 * The embedded store keeps exactly what the analysis found: on a generated tracking log (the bench's
 * generator, a few thousand refusals of every scenario) the findings read back from the store are the
 * same set, field for field, as `analyze --no-store` prints — with the engine in its own thread and
 * writes overlapping the reading. Analysing the file again adds nothing, and the rollup counters the
 * runs kept (summed over each run, applied at its records) are the counts of those findings.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTrackingLog } from '../../bench/generate-tracking-log.js';
import { Finding } from '../../functions/core/analysis/model/findings.js';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { rollupCellOf } from '../../functions/store/rollups.js';
import { rollupKey } from '../../functions/store/table-design.js';
import { cli } from '../support/capture-output.js';

let dir: string;
let log: string;

function findingsOf(ndjson: string): Map<string, Finding> {
  const lines = ndjson.split('\n').filter(Boolean);
  return new Map(
    lines.map((line) => Finding.parse(JSON.parse(line))).map((finding) => [finding.id, finding]),
  );
}

/** Each rollup cell's count, recomputed from findings: `<pk> <sk>` → count. */
function countsPerCell(findings: readonly Finding[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const finding of findings) {
    const key = rollupKey(rollupCellOf(finding));
    counts.set(`${key.pk} ${key.sk}`, (counts.get(`${key.pk} ${key.sk}`) ?? 0) + 1);
  }
  return counts;
}

/** The counters stored in `db` over the days of `findings`, as `countsPerCell` keys them. */
async function storedCounters(db: string, findings: readonly Finding[]): Promise<Map<string, number>> {
  const days = findings.map((finding) => finding.timestamp.slice(0, 10)).sort();
  const handle = await startEmbeddedStore({ dir: db });
  try {
    const rows = await handle.store.queryRollups({ from: days[0] ?? '', to: days.at(-1) ?? '' });
    return new Map(
      rows.map((row) => {
        const key = rollupKey(row);
        return [`${key.pk} ${key.sk}`, row.count];
      }),
    );
  } finally {
    await handle.close();
  }
}

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
