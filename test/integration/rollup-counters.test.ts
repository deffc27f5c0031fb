/**
 * The rollup counters ingest keeps as it writes findings, against a real dynalite: a finding counts
 * once however often it is written (re-analysed source, overlapping upload), moves when it is
 * reclassified, and `/summary` reads the same number of times whatever the number of findings.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestHandler } from '../../functions/api/api.js';
import type { Summary } from '../../functions/api/contract.js';
import { type Finding, SCENARIO_IDS, type ScenarioId } from '../../functions/core/analysis/model/findings.js';
import { createLogger } from '../../functions/runtime/logger.js';
import { type EmbeddedServer, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/findings-store.js';
import { call } from '../support/api-client.js';
import { makeFinding, makeSource } from '../support/make-finding.js';

let engine: EmbeddedServer;
let client: DynamoDBClient;
/** The name of every command `client` sent, in order (an SDK middleware: what DynamoDB would bill). */
const calls: string[] = [];
/** Counter updates to fail, as a table throttling past every retry would (a fault the engine cannot produce). */
let failUpdates = 0;
let tables = 0;

beforeAll(async () => {
  engine = await startEmbeddedStore({ inMemory: true, listen: true, tableName: 'rollup-counters-0' });
  client = new DynamoDBClient({
    endpoint: engine.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'count-calls' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand' && failUpdates > 0) {
        failUpdates -= 1;
        throw Object.assign(new Error('injected: counter update failed'), { name: 'InternalServerError' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'fail-updates' },
  );
});

afterAll(async () => {
  client?.destroy();
  await engine?.close();
});

async function freshStore(): Promise<FindingsStore> {
  tables += 1;
  // No retries: a failed update fails its call at once.
  const store = new FindingsStore({
    client,
    tableName: `rollup-counters-${tables}`,
    retry: { maxAttempts: 1 },
  });
  await store.ensureTable();
  return store;
}

/** `count` findings over three days, five scenarios, three sender domains and two servers. */
function findings(count: number, prefix: string): Finding[] {
  return Array.from({ length: count }, (_, i) =>
    makeFinding({
      scenario: SCENARIO_IDS[i % SCENARIO_IDS.length] as ScenarioId,
      messageId: `${prefix}-${i}@contoso.com`,
      timestamp: new Date(
        Date.parse('2026-11-26T00:00:00.000Z') + (i % 3) * 86_400_000 + i * 1000,
      ).toISOString(),
      senderDomain: ['contoso.com', 'fabrikam.com', 'tailspin.example'][i % 3],
      serverHostname: i % 2 === 0 ? 'EX01' : 'EX02',
    }),
  );
}

async function total(store: FindingsStore): Promise<number> {
  const rows = await store.queryRollups({ from: '2026-11-01', to: '2026-11-30' });
  return rows.reduce((sum, row) => sum + row.count, 0);
}

describe('rollup counters kept at write time', () => {
  it('count a finding once, whether it is written again or by an overlapping upload', async () => {
    // Prepare
    const store = await freshStore();
    const batch = findings(40, 'once');
    await store.putFindings(batch);
    // Act: the same upload re-analysed, then an overlapping export of half of it under another source.
    await store.putFindings(batch);
    await store.putFindings(
      batch.slice(0, 20).map((finding) => ({ ...finding, source: { ...finding.source, sourceId: 'other' } })),
    );
    // Assess
    expect(await total(store)).toBe(40);
  });

  it('count a new finding once when two writers put it at the same moment', async () => {
    // Prepare: two writers (two ingest invocations with overlapping uploads) on their own clients
    const store = await freshStore();
    const otherClient = new DynamoDBClient({
      endpoint: engine.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const other = new FindingsStore({ client: otherClient, tableName: store.tableName });
    const batch = findings(60, 'race');
    const overlapping = batch.map((finding) => ({
      ...finding,
      source: { ...finding.source, sourceId: 'other' },
    }));
    try {
      // Act: both write the same new findings at once, three times over
      for (let round = 0; round < 3; round += 1) {
        const fresh = findings(60, `race-${round}`);
        await Promise.all([store.putFindings(fresh), other.putFindings(fresh)]);
      }
      await Promise.all([store.putFindings(batch), other.putFindings(overlapping)]);
    } finally {
      otherClient.destroy();
    }
    // Assess
    expect(await total(store)).toBe(240);
  });

  it('move a reclassified finding from its old cell to its new one', async () => {
    // Prepare
    const store = await freshStore();
    const [first] = findings(1, 'moved');
    if (!first) throw new Error('no finding');
    await store.putFindings([{ ...first, scenario: 'foreign-sender-domain' }]);
    // Act
    await store.putFindings([{ ...first, scenario: 'forwarding', serverHostname: 'EX09' }]);
    // Assess
    const rows = await store.queryRollups({ from: '2026-11-26', to: '2026-11-26' });
    expect(rows.map((row) => [row.scenario, row.server, row.count])).toEqual([['forwarding', 'ex09', 1]]);
  });

  it('let /summary read the same number of times for ten times the findings', async () => {
    // Prepare: two tables with the same cells, one with 10× the findings; every SDK call counted.
    const small = await freshStore();
    const large = await freshStore();
    await small.putFindings(findings(60, 'small'));
    await large.putFindings(findings(600, 'large'));
    const summaryOf = async (store: FindingsStore) => {
      calls.length = 0;
      const handler = createRequestHandler({ store, logger: createLogger('test', 'silent') });
      const response = await call<Summary>(handler, '/summary', { from: '2026-11-01', to: '2026-11-30' });
      return { summary: response.json, calls: [...calls] };
    };
    // Act
    const few = await summaryOf(small);
    const many = await summaryOf(large);
    // Assess
    expect(few.summary.total).toBe(60);
    expect(many.summary.total).toBe(600);
    expect(many.calls).toEqual(few.calls);
    expect(many.calls).toEqual(['QueryCommand']);
  });

  it('with deferCounters, count the findings of a run at its next source record, each once', async () => {
    // Prepare
    const store = await freshStore();
    const batch = findings(30, 'deferred');
    // Act: a run writes its batches (one finding twice, as overlapping batches may), then its record.
    await store.putFindings(batch.slice(0, 20), { deferCounters: true });
    await store.putFindings(batch.slice(19), { deferCounters: true });
    const beforeRecord = await total(store);
    await store.putSource(makeSource({ id: 'deferred' }));
    // Assess
    expect(beforeRecord).toBe(0);
    expect(await total(store)).toBe(30);
  });

  it('keep a counter update that failed pending, and apply it once with the next flush', async () => {
    // Prepare
    const store = await freshStore();
    await store.putFindings(findings(30, 'retried'), { deferCounters: true });
    failUpdates = 1;
    // Act
    const failed = await store.flushRollups().then(
      () => undefined,
      (error: unknown) => error,
    );
    const afterFailure = await total(store);
    await store.flushRollups();
    await store.flushRollups();
    // Assess: the failed cell's findings were missing, then counted exactly once.
    expect(failed).toBeInstanceOf(Error);
    expect(afterFailure).toBeLessThan(30);
    expect(afterFailure).toBeGreaterThan(0);
    expect(await total(store)).toBe(30);
  });
});
