/**
 * A file analysed again on its own after a run that read it with the file holding its forwarding
 * evidence (`analyze <folder>`, then `analyze MSGTRK…-2.LOG`), on the embedded engine. The store
 * keeps the refusal `forwarding` (the earlier run read the REDIRECT row and the receipts), so the
 * file's record must count it `forwarding` too, as one run over both files does, whatever came
 * first and however often the file is analysed again: the records add up to the store's counts.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScenarioId } from '../../functions/core/analysis/model/findings.js';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { cli } from '../support/capture-output.js';

const SAMPLES = resolve(import.meta.dirname, '..', '..', 'sample-logs');
const DOMAINS = ['--accepted-domains', join(SAMPLES, 'config', 'accepted-domains.csv')];
const DAY = '2026-11-28';
/** The scenarios the end-of-run correlation moves a refusal between. */
const MOVED: readonly ScenarioId[] = ['forwarding', 'foreign-sender-domain'];

let dir: string;
let logs: string;
let db: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-again-alone-'));
  logs = join(dir, 'logs');
  db = join(dir, 'db');
  await mkdir(logs);
  for (const name of ['MSGTRK2026112800-1.LOG', 'MSGTRK2026112800-2.LOG'])
    await copyFile(join(SAMPLES, name), join(logs, name));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Summary {
  store: { reclassifiedAsForwarding: { thisRun: number } };
  sources: { file: string; findingsByScenario: Partial<Record<ScenarioId, number>> }[];
}

/** The counts of `-2.LOG`'s record in a run's summary, of {@link MOVED}. */
function secondFile(summary: Summary): Partial<Record<ScenarioId, number>> {
  const record = summary.sources.find((source) => source.file.endsWith('MSGTRK2026112800-2.LOG'));
  return moved(record?.findingsByScenario ?? {});
}

/** `analyze <path> --db` into the test's store, its `--json` summary. */
async function analyzeInto(path: string): Promise<Summary> {
  const run = await cli('analyze', path, ...DOMAINS, '--db', db, '--json');
  expect(run.status).toBe(0);
  return JSON.parse(run.out.stdout) as Summary;
}

function moved(counts: Partial<Record<ScenarioId, number>>): Partial<Record<ScenarioId, number>> {
  return Object.fromEntries(MOVED.map((scenario) => [scenario, counts[scenario] ?? 0]));
}

/** The records' counts summed, the store's findings and the day's counters, of {@link MOVED}. */
async function storeCounts() {
  const store = await startEmbeddedStore({ dir: db });
  try {
    const records: Partial<Record<ScenarioId, number>> = {};
    for (const source of (await store.store.listSources({ limit: 10 })).items)
      for (const [scenario, count] of Object.entries(source.findingsByScenario ?? {}))
        records[scenario as ScenarioId] = (records[scenario as ScenarioId] ?? 0) + (count ?? 0);
    const rollups: Partial<Record<ScenarioId, number>> = {};
    for (const row of await store.store.queryRollups({ from: DAY, to: DAY }))
      rollups[row.scenario] = (rollups[row.scenario] ?? 0) + row.count;
    return {
      records: moved(records),
      findings: moved(await store.store.countFindingsByScenario()),
      rollups: moved(rollups),
    };
  } finally {
    await store.close();
  }
}

/** What one run over both files says: the forwarded refusal is `-2.LOG`'s, `forwarding`. */
const TOGETHER = { forwarding: 1, 'foreign-sender-domain': 4 };
const SECOND_FILE = { forwarding: 1, 'foreign-sender-domain': 3 };

describe('a file analysed again on its own', () => {
  it('counts the refusal the store holds forwarding as forwarding, run after run', async () => {
    const both = await analyzeInto(logs);
    expect(secondFile(both)).toEqual(SECOND_FILE);

    for (let again = 0; again < 2; again++) {
      const alone = await analyzeInto(join(logs, 'MSGTRK2026112800-2.LOG'));

      expect(alone.store.reclassifiedAsForwarding.thisRun).toBe(1);
      expect(secondFile(alone)).toEqual(SECOND_FILE);
      expect(await storeCounts()).toEqual({ records: TOGETHER, findings: TOGETHER, rollups: TOGETHER });
    }
  });

  it('says the same when the file came alone first, then with the other, then alone again', async () => {
    const first = await analyzeInto(join(logs, 'MSGTRK2026112800-2.LOG'));
    expect(secondFile(first)).toEqual({
      forwarding: 0,
      'foreign-sender-domain': 4,
    });
    await analyzeInto(logs);
    expect(await storeCounts()).toEqual({ records: TOGETHER, findings: TOGETHER, rollups: TOGETHER });

    const again = await analyzeInto(join(logs, 'MSGTRK2026112800-2.LOG'));

    expect(secondFile(again)).toEqual(SECOND_FILE);
    expect(await storeCounts()).toEqual({ records: TOGETHER, findings: TOGETHER, rollups: TOGETHER });
  });
});
