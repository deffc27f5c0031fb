/**
 * Source records stay true after the run that wrote them: a later run (or the nightly job) that
 * reclassifies one of their findings as `forwarding` counts it so on their record, once; a finished
 * record carries no lease that would make it look held; and the run that completes a local file
 * supersedes what runs over its earlier versions (another size or time) left unfinished.
 * Real embedded engine (dynalite), the runs as `analyze` and `serve` make them (analyzeIntoStore).
 */
import { copyFile, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { analyzeIntoStore } from '../../bin/support/store-run.js';
import { createRequestHandler } from '../../functions/api/api.js';
import type { SourceView } from '../../functions/api/contract.js';
import { analyze, withInboundRecorder } from '../../functions/core/analysis/analyze.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
import { InferredDomains } from '../../functions/core/organisation/accepted-domains.js';
import { runNightly } from '../../functions/nightly/run-nightly.js';
import { createLogger } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { InboundIndex } from '../../functions/store/inbound-index.js';
import { call } from '../support/api-client.js';
import { startLocalDynamo } from '../support/local-engines.js';

const SAMPLES = resolve(import.meta.dirname, '..', '..', 'sample-logs');
const FIRST = join(SAMPLES, 'MSGTRK2026112800-1.LOG');
const SECOND = join(SAMPLES, 'MSGTRK2026112800-2.LOG');

let dynamo: EmbeddedServer;
let dir: string;

beforeEach(async () => {
  dynamo = await startLocalDynamo('relay-audit-source-upkeep');
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-source-upkeep-'));
}, 60_000);
afterEach(async () => {
  await dynamo?.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(path: string, options: { interrupted?: () => boolean } = {}) {
  return analyzeIntoStore(dynamo, await localInputs([path]), { domains: new InferredDomains(), ...options });
}

async function recordOf(path: string): Promise<SourceRecord> {
  const [input] = await localInputs([path]);
  const record = input && (await dynamo.store.getSource(input.sourceId));
  if (record === undefined) throw new Error(`no record for ${path}`);
  return record;
}

/** Findings in the store by scenario (every page). */
async function storedByScenario(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let cursor: string | undefined;
  do {
    const page = await dynamo.store.queryFindings({ limit: 500, cursor });
    for (const finding of page.items) counts[finding.scenario] = (counts[finding.scenario] ?? 0) + 1;
    cursor = page.cursor;
  } while (cursor !== undefined);
  return counts;
}

/**
 * The sources' findings by scenario, summed. (Only `forwarding` and `foreign-sender-domain` are
 * compared with the store: a refusal both sample logs show is counted by each file's record.)
 */
async function sourcesByScenario(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const source of (await dynamo.store.listSources({ limit: 100 })).items)
    for (const [scenario, n] of Object.entries(source.findingsByScenario))
      counts[scenario] = (counts[scenario] ?? 0) + (n ?? 0);
  return counts;
}

describe('an earlier upload’s record when a later run reclassifies its finding', () => {
  it('counts the finding as forwarding on the earlier record, once however often the correlation runs', async () => {
    // Prepare: the refusal's log first, alone.
    await run(SECOND);
    expect((await recordOf(SECOND)).findingsByScenario).toMatchObject({ 'foreign-sender-domain': 4 });

    // Act: the receipt's log in a later run, then that run again, then the nightly job.
    const later = await run(FIRST);
    await run(FIRST);
    await runNightly({
      store: dynamo.store,
      table: dynamo,
      date: '2026-11-28',
      now: () => new Date('2026-11-29T03:00:00Z'),
    });

    // Assess
    expect(later.correlation.earlierReclassified).toBe(1);
    const second = await recordOf(SECOND);
    expect(second.findingsByScenario['foreign-sender-domain']).toBe(3);
    expect(second.findingsByScenario.forwarding).toBe(1);
    const [sources, stored] = [await sourcesByScenario(), await storedByScenario()];
    expect([sources.forwarding, sources['foreign-sender-domain']]).toEqual([
      stored.forwarding,
      stored['foreign-sender-domain'],
    ]);
  });

  it('is counted again by the nightly correlation when no run did it', async () => {
    // Prepare: the refusal's log, then the receipt's log written without the end-of-run correlation
    // (an upload whose correlation failed): only the nightly job can settle it.
    await run(SECOND);
    const inbound = new InboundIndex(dynamo);
    const [input] = await localInputs([FIRST]);
    if (input === undefined) throw new Error('no input');
    await analyze([input], {
      domains: new InferredDomains(),
      sink: withInboundRecorder(dynamo.store, (entries) => inbound.record(entries)),
    });
    expect((await recordOf(SECOND)).findingsByScenario.forwarding).toBeUndefined();

    // Act: twice, as a re-run of the same night.
    const nightly = () =>
      runNightly({
        store: dynamo.store,
        table: dynamo,
        date: '2026-11-28',
        now: () => new Date('2026-11-29T03:00:00Z'),
      });
    const first = await nightly();
    await nightly();

    // Assess
    expect(first.reclassified).toBe(1);
    expect((await recordOf(SECOND)).findingsByScenario).toMatchObject({
      'foreign-sender-domain': 3,
      forwarding: 1,
    });
    const [sources, stored] = [await sourcesByScenario(), await storedByScenario()];
    expect([sources.forwarding, sources['foreign-sender-domain']]).toEqual([
      stored.forwarding,
      stored['foreign-sender-domain'],
    ]);
  });
});

describe('a finished record', () => {
  it('carries no lease, in the store or through the API', async () => {
    const api = createRequestHandler({ store: dynamo.store, logger: createLogger('test', 'silent') });
    await run(FIRST);
    const record = await recordOf(FIRST);
    expect(record.status).toBe('done');
    expect(record.lease).toBeUndefined();

    // A record finished under a lease kept for fencing (as ingest writes it) shows none either.
    const fenced = {
      ...record,
      id: 'f'.repeat(32),
      lease: { owner: 'request/1', expiresAt: new Date(Date.now() + 600_000).toISOString() },
    };
    await dynamo.store.putSource(fenced);
    const shown = await call<SourceView>(api, `/sources/${fenced.id}`);
    expect(shown.json.status).toBe('done');
    expect(shown.json.lease).toBeUndefined();
    const listed = await call<{ items: SourceView[] }>(api, '/sources');
    expect(listed.json.items.every((item) => item.lease === undefined)).toBe(true);
  });
});

describe('a run’s record', () => {
  it('says done only once the run’s correlation with earlier uploads is over', async () => {
    // Prepare: the refusal's log first; the receipt's log then reclassifies its finding.
    await run(SECOND);
    const order: string[] = [];
    const { store } = dynamo;
    const putSource = store.putSource.bind(store);
    const putFindings = store.putFindings.bind(store);
    store.putSource = (record, options) => {
      if (record.file.endsWith(basename(FIRST))) order.push(`record ${record.status}`);
      return putSource(record, options);
    };
    store.putFindings = (findings, options) => {
      if (findings.some((finding) => finding.scenario === 'forwarding')) order.push('reclassified');
      return putFindings(findings, options);
    };

    // Act
    const later = await run(FIRST);

    // Assess: the reclassification is written before the record says done, which it says once.
    expect(later.correlation.earlierReclassified).toBe(1);
    expect(order.filter((step) => step !== 'record processing')).toEqual(['reclassified', 'record done']);
    expect(order.at(-1)).toBe('record done');
    expect((await recordOf(FIRST)).status).toBe('done');
  });
});

describe('a local file analysed again after it changed', () => {
  it('supersedes the record an interrupted run over its earlier version left', async () => {
    const api = createRequestHandler({ store: dynamo.store, logger: createLogger('test', 'silent') });
    const file = join(dir, 'MSGTRK2026112800-2.LOG');
    await copyFile(SECOND, file);
    // Prepare: Ctrl+C at once leaves the file `failed` / INTERRUPTED; then the file is touched.
    await run(file, { interrupted: () => true });
    const interrupted = await recordOf(file);
    expect(interrupted).toMatchObject({ status: 'failed', errorCode: ErrorCode.Interrupted });
    await utimes(file, new Date(), new Date(Date.now() + 5_000));

    // Act
    await run(file);

    // Assess: the new record is done, the old one kept as history, marked superseded by it.
    const completed = await recordOf(file);
    expect(completed.id).not.toBe(interrupted.id);
    expect(completed.status).toBe('done');
    const old = await dynamo.store.getSource(interrupted.id);
    expect(old).toMatchObject({ status: 'failed', supersededBy: completed.id });
    const listed = await call<{ items: SourceView[] }>(api, '/sources');
    const live = listed.json.items.filter((item) => item.supersededBy === undefined);
    expect(live.map((item) => [item.id, item.status])).toEqual([[completed.id, 'done']]);

    // Analysing the same version again changes nothing more.
    await run(file);
    expect(await dynamo.store.getSource(interrupted.id)).toMatchObject({ supersededBy: completed.id });
    expect((await recordOf(file)).supersededBy).toBeUndefined();
  });
});
