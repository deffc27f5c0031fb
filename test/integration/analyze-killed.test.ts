/**
 * A run of `analyze` killed outright (SIGKILL: the OOM killer, a power loss) holds back the counter
 * changes of the findings it wrote since its last checkpoint. The findings stay stored; the run that
 * analyses the files again puts the identical findings and sees no cell change. So the next run
 * recounts the days the killed run named (its unsettled item) and the store ends exactly as clean
 * runs leave it: the same findings, every rollup cell the same — also when the next run is over
 * another file. The command runs as a user runs it (its own process) and is killed mid-run. A run beside
 * another in one process (uploads on `serve`) leaves the recount to the next run alone.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTrackingLog } from '../../bench/generate-tracking-log.js';
import { localInputs } from '../../bin/support/inputs.js';
import { SDK_NODE_VERSION_NOTICE_SWITCH } from '../../bin/support/quiet-sdk-notice.js';
import { analyzeIntoStore } from '../../bin/support/store-run.js';
import { type Finding, SCENARIO_IDS } from '../../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { rollupKey } from '../../functions/store/table-design.js';
import { UnsettledRuns } from '../../functions/store/unsettled-runs.js';
import { cli } from '../support/capture-output.js';
import { bytesUnder } from '../support/interrupted-run.js';
import { countsPerCell } from '../support/rollup-counts.js';

const ACCEPTED = ['--accepted-domains', 'contoso.com'];
/** A log of another day than the generated ones (2026-11-28). */
const OTHER_DAY_LOG = join(import.meta.dirname, '..', '..', 'sample-logs', 'MSGTRK2026112800-1.LOG');

let dir: string;
let logs: string[];
/** The store of one clean run over `logs`. */
let clean: string;
let cleanBytes: number;

interface StoreContents {
  /** Finding ids, sorted. */
  ids: string[];
  /** Every rollup counter as stored (zero included), `<pk> <sk>` → count. */
  counters: Map<string, number>;
  /** The counts the stored findings give, per cell. */
  counted: Map<string, number>;
}

/** What the store in `db` holds (see {@link StoreContents}). */
async function contents(db: string): Promise<StoreContents> {
  const handle = await startEmbeddedStore({ dir: db });
  try {
    const findings: Finding[] = [];
    for (const scenario of SCENARIO_IDS) {
      let cursor: string | undefined;
      do {
        const page = await handle.store.queryFindings({ scenario, limit: 1000, cursor });
        findings.push(...page.items);
        cursor = page.cursor;
      } while (cursor !== undefined);
    }
    const rows = await handle.store.queryRollupCounters({ from: '2026-01-01', to: '2026-12-31' });
    return {
      ids: findings.map((finding) => finding.id).sort(),
      counters: new Map(
        rows.map((row) => {
          const key = rollupKey(row);
          return [`${key.pk} ${key.sk}`, row.count] as const;
        }),
      ),
      counted: countsPerCell(findings),
    };
  } finally {
    await handle.close();
  }
}

function total(counters: ReadonlyMap<string, number>): number {
  return [...counters.values()].reduce((sum, count) => sum + count, 0);
}

/**
 * Runs `analyze` over `logs` into `db` in its own process and kills it (SIGKILL) once the store has
 * grown to half the size a whole run leaves: findings written, the run far from its end.
 */
async function killedRun(db: string): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  const env = { ...process.env };
  delete env[SDK_NODE_VERSION_NOTICE_SWITCH];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bin/relay-audit.ts', 'analyze', ...logs, '--db', db, ...ACCEPTED],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const closed = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('close', (_code, signal) => resolve(signal)),
  );
  let running = true;
  void closed.then(() => {
    running = false;
  });
  while (running && (await bytesUnder(db)) < cleanBytes / 2) await sleep(20);
  child.kill('SIGKILL');
  return { signal: await closed, stderr };
}

let killedStore: Promise<string> | undefined;

/**
 * Kills a run over `logs` into a new store (once for the file: a process of its own costs seconds)
 * and checks it left findings stored but not counted; each caller gets a copy of that store, at
 * `dir/<name>`, to run again into.
 */
async function storeOfKilledRun(name: string): Promise<string> {
  killedStore ??= (async () => {
    const db = join(dir, 'killed');
    const killed = await killedRun(db);
    // Killed mid-run, not finished before the signal (then there would be nothing to test).
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const left = await contents(db);
    expect(left.ids.length).toBeGreaterThan(0);
    expect(total(left.counters)).toBeLessThan(left.ids.length);
    return db;
  })();
  const db = join(dir, name);
  await cp(await killedStore, db, { recursive: true });
  return db;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-killed-'));
  logs = [join(dir, 'MSGTRK-generated-1.LOG'), join(dir, 'MSGTRK-generated-2.LOG')];
  await generateTrackingLog(logs[0] ?? '', 2.5 * 1024 * 1024, 31);
  await generateTrackingLog(logs[1] ?? '', 2.5 * 1024 * 1024, 32);
  clean = join(dir, 'clean');
  expect((await cli('analyze', ...logs, '--db', clean, ...ACCEPTED)).status).toBe(0);
  cleanBytes = await bytesUnder(clean);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('analyze killed with SIGKILL, then run again', () => {
  it('over the same two files: the store ends as one clean run leaves it, every cell', async () => {
    const expected = await contents(clean);
    expect(expected.ids.length).toBeGreaterThan(500);
    const db = await storeOfKilledRun('same-files');

    const again = await cli('analyze', ...logs, '--db', db, ...ACCEPTED);

    expect(again.status).toBe(0);
    const after = await contents(db);
    expect(after.ids).toEqual(expected.ids);
    expect(after.counters).toEqual(expected.counters);
  });

  it('over another file first: the killed run’s days are recounted, and the files again complete the store', async () => {
    // Expected: the clean store with the other file analysed too.
    const cleanWithOther = join(dir, 'clean-with-other');
    await cp(clean, cleanWithOther, { recursive: true });
    expect((await cli('analyze', OTHER_DAY_LOG, '--db', cleanWithOther, ...ACCEPTED)).status).toBe(0);
    const expected = await contents(cleanWithOther);
    const db = await storeOfKilledRun('other-file');

    // A run over a file of another day: the killed run's days are counted from what it stored.
    expect((await cli('analyze', OTHER_DAY_LOG, '--db', db, ...ACCEPTED)).status).toBe(0);
    const between = await contents(db);
    expect(new Map([...between.counters].filter(([, count]) => count !== 0))).toEqual(between.counted);
    // Then the killed run's files again.
    expect((await cli('analyze', ...logs, '--db', db, ...ACCEPTED)).status).toBe(0);

    const after = await contents(db);
    expect(after.ids).toEqual(expected.ids);
    expect(after.counters).toEqual(expected.counters);
  });
});

describe('the recount, with runs side by side in one process (uploads on serve)', () => {
  it('is left by a run that is not alone, and done by the next run alone', async () => {
    const db = join(dir, 'side-by-side');
    const handle = await startEmbeddedStore({ dir: db });
    const journal = new UnsettledRuns(handle);
    try {
      const domains = parseAcceptedDomains('contoso.com', 'test');
      let longDone = false;
      const long = analyzeIntoStore(handle, await localInputs(logs), { domains }).finally(() => {
        longDone = true;
      });
      // The long run is live once it names its first day.
      while ((await journal.list()).length === 0) await sleep(10);
      // A run killed elsewhere, whose days its next run must recount.
      await journal.addDays(
        { owner: 'cli:elsewhere:1:dead', host: 'elsewhere', pid: 1, leaseExpiresAt: '2026-01-01T00:00:00Z' },
        ['2026-11-28'],
      );

      const beside = await analyzeIntoStore(handle, await localInputs([OTHER_DAY_LOG]), { domains });
      const besideWasBeside = !longDone;
      await long;
      const alone = await analyzeIntoStore(handle, await localInputs([OTHER_DAY_LOG]), { domains });

      // Recounting beside a writing run could count that run's findings twice.
      expect(besideWasBeside).toBe(true);
      expect(beside.recounted.days).toEqual([]);
      expect(alone.recounted.days).toEqual(['2026-11-28']);
      expect(await journal.list()).toEqual([]);
    } finally {
      await handle.close();
    }
    const after = await contents(db);
    expect(new Map([...after.counters].filter(([, count]) => count !== 0))).toEqual(after.counted);
  });
});
