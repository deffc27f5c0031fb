/**
 * A finding an overlapping export moves to an earlier day (the store keeps the earliest time) leaves
 * its old day's counter to be lowered by the run's held-back counter change. A run killed before it
 * applies that change must have named the old day too, so that the next run's recount lowers it:
 * otherwise the old day counts the finding for good (found by a hunt: `kill -9` during a run over an
 * export a day earlier than one analysed before).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { leasedSink } from '../../bin/support/source-lease.js';
import { analyzeIntoStore } from '../../bin/support/store-run.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { UnsettledRuns } from '../../functions/store/unsettled-runs.js';
import { makeFinding } from '../support/make-finding.js';

/** A log of another day, for the run after the killed one. */
const OTHER_DAY_LOG = join(import.meta.dirname, '..', '..', 'sample-logs', 'MSGTRK2026112800-1.LOG');

let dir: string;
let handle: EmbeddedStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-moved-day-'));
  handle = await startEmbeddedStore({ dir: join(dir, 'db') });
});
afterAll(async () => {
  await handle?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The stored counters of a day, cell by cell (zeros left out). */
async function countersOf(day: string): Promise<number[]> {
  const rows = await handle.store.queryRollupCounters({ from: day, to: day });
  return rows.map((row) => row.count).filter((count) => count !== 0);
}

describe('a run killed after moving a finding to an earlier day', () => {
  it('names the day the finding left, and the next run recounts it to what is stored', async () => {
    const journal = new UnsettledRuns(handle);
    const first = makeFinding({ timestamp: '2026-10-04T08:00:00.000Z' });
    await handle.store.putFindings([first]);
    expect(await countersOf('2026-10-04')).toEqual([1]);

    // The same refusal in an export that saw it the evening before: the store moves it to 3 October.
    const killed = leasedSink(handle.store, { journal });
    await killed.sink.putFindings([{ ...first, timestamp: '2026-10-03T21:00:00.000Z' }]);
    expect((await handle.store.getFinding(first.id))?.timestamp).toBe('2026-10-03T21:00:00.000Z');
    const named = (await journal.list()).find((run) => run.owner === killed.owner);
    expect([...(named?.days ?? [])].sort()).toEqual(['2026-10-03', '2026-10-04']);
    // Killed here: its counter change is never applied, its item stays for the next run.
    killed.stop();
    expect(await countersOf('2026-10-04')).toEqual([1]);

    const next = await analyzeIntoStore(handle, await localInputs([OTHER_DAY_LOG]), {
      domains: parseAcceptedDomains('contoso.com', 'test'),
    });

    expect(next.recounted.days).toEqual(['2026-10-03', '2026-10-04']);
    expect(await countersOf('2026-10-04')).toEqual([]);
    expect(await countersOf('2026-10-03')).toEqual([1]);
  });
});
