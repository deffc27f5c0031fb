/**
 * A source record never says `processing` forever: a failed write of findings records `failed`
 * with the cause (as the CLI runs it: overlapping writes into a real store), and a run killed
 * mid-way leaves a lease that runs out, after which the API shows the record as interrupted and
 * the next run replaces it. Real embedded engine (dynalite); the one fault is injected at the sink.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leasedSink } from '../../bin/support/source-lease.js';
import { createRequestHandler } from '../../functions/api/api.js';
import { type AnalysisInput, analyze } from '../../functions/core/analysis/analyze.js';
import { isInterrupted } from '../../functions/core/analysis/model/source-record.js';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { createLogger } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { StoreWriteError } from '../../functions/store/store-errors.js';
import { sourceId } from '../../functions/store/table-design.js';
import { call } from '../support/api-client.js';
import { startLocalDynamo } from '../support/local-engines.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'ingest');
const SAMPLE = join(FIXTURES, 'MSGTRK-fixture.LOG');

let dynamo: EmbeddedServer;

beforeAll(async () => {
  dynamo = await startLocalDynamo('relay-audit-source-outcome');
}, 60_000);

afterAll(async () => {
  await dynamo?.close();
});

async function domains() {
  return parseAcceptedDomains(await readFile(join(FIXTURES, 'accepted-domains.csv'), 'utf8'), 'domains.csv');
}

function input(sourceId: string): AnalysisInput {
  return { name: 'MSGTRK-fixture.LOG', sourceId, open: () => createReadStream(SAMPLE) };
}

/** Source ids as the CLI derives them (the API takes only this form). */
const KILLED = sourceId('killed-run');
const SLOW = sourceId('slow-run');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A file whose reading stops half-way and never goes on (a process frozen or about to be killed). */
async function* stuckHalfWay(): AsyncGenerator<Uint8Array> {
  const bytes = await readFile(SAMPLE);
  yield bytes.subarray(0, bytes.length >> 1);
  await new Promise<never>(() => undefined);
}

describe('a store failure during a run', () => {
  it('records the file as failed with STORE_FAILURE and the cause, never processing', async () => {
    const leased = leasedSink(dynamo.store);
    const sink = {
      ...leased.sink,
      // The table takes the records but not the findings (throttled past every retry).
      putFindings: async () => {
        throw new StoreWriteError('BatchWriteItem: throttled after 8 attempts', {
          notWritten: 1,
          attempted: 1,
        });
      },
    };
    try {
      await expect(
        analyze([input('store-fails')], { domains: await domains(), sink, writesInFlight: 4 }),
      ).rejects.toMatchObject({ code: ErrorCode.StoreFailure });
    } finally {
      leased.stop();
    }
    const record = await dynamo.store.getSource('store-fails');
    expect(record).toMatchObject({ status: 'failed', errorCode: ErrorCode.StoreFailure });
    expect(record?.errorMessage).toMatch(/throttled after 8 attempts/);
  });
});

describe('a run killed mid-way', () => {
  it('is shown as interrupted once its lease runs out, and the next run replaces it', async () => {
    const api = createRequestHandler({ store: dynamo.store, logger: createLogger('test', 'silent') });
    // The run writes its `processing` record, then dies: nothing renews its 300 ms lease.
    const killed = leasedSink(dynamo.store, { durationMs: 300 });
    void analyze([{ ...input(KILLED), open: stuckHalfWay }], {
      domains: await domains(),
      sink: killed.sink,
    });
    await expect.poll(() => dynamo.store.getSource(KILLED)).toMatchObject({ status: 'processing' });
    killed.stop();
    const live = await call<{ status: string; interrupted?: boolean }>(api, `/sources/${KILLED}`);
    expect(live.json.interrupted).toBeUndefined();

    await sleep(400);
    const stale = await call<{ status: string; interrupted?: boolean }>(api, `/sources/${KILLED}`);
    expect(stale.json).toMatchObject({ status: 'processing', interrupted: true });
    const listed = await call<{ items: { id: string; interrupted?: boolean }[] }>(api, '/sources');
    expect(listed.json.items.find((item) => item.id === KILLED)?.interrupted).toBe(true);

    // The next run over the same file replaces it.
    const next = leasedSink(dynamo.store);
    try {
      await analyze([input(KILLED)], { domains: await domains(), sink: next.sink });
    } finally {
      next.stop();
    }
    const replaced = await call<{ status: string; interrupted?: boolean }>(api, `/sources/${KILLED}`);
    expect(replaced.json.status).toBe('done');
    expect(replaced.json.interrupted).toBeUndefined();
  });

  it('is not interrupted while it is alive: the lease is renewed', async () => {
    const alive = leasedSink(dynamo.store, { durationMs: 300 });
    try {
      void analyze([{ ...input(SLOW), open: stuckHalfWay }], {
        domains: await domains(),
        sink: alive.sink,
      });
      await expect.poll(() => dynamo.store.getSource(SLOW)).toMatchObject({ status: 'processing' });
      await sleep(700);
      const record = await dynamo.store.getSource(SLOW);
      expect(record && isInterrupted(record)).toBe(false);
    } finally {
      alive.stop();
    }
  });
});
