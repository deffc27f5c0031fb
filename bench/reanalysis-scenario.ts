/**
 * Scenario (c) of `npm run bench:cloud`, small in test/integration/reanalysis.test.ts: uploads an
 * older classifier version analysed are re-analysed with the current one, through the re-analysis
 * worker the state machine runs, item by item as its Distributed Map would (the listing of
 * `incoming/`, a few items at once, an item invoked again while it ends `continued`, retried with
 * backoff when it throws). Afterwards no finding of the older version is left, the findings are
 * those of a fresh analysis of the same uploads (ids, scenarios, version), what the older version
 * found and the current one does not is removed, and the rollup counters are a fresh run's.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CLASSIFIER_VERSION } from '../functions/core/analysis/classifier-version.js';
import { type Finding, SCENARIO_IDS } from '../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../functions/core/analysis/model/source-record.js';
import { createIngestHandler, createReanalysisWorker, type IngestStore } from '../functions/ingest/ingest.js';
import {
  createReanalysisHandler,
  type ReanalysisResult,
  ReanalysisRetryError,
} from '../functions/reanalyze/reanalyse.js';
import { BUCKET_PREFIX } from '../functions/runtime/bucket-layout.js';
import { headObjectWith } from '../functions/runtime/head-object.js';
import { createLogger } from '../functions/runtime/logger.js';
import { mapLimit } from '../functions/store/bound-table.js';
import { createRemoteStore, type StoreHandle } from '../functions/store/remote-store.js';
import { deadlineContext, drainQueue } from '../test/support/continuations.js';
import { uploadObject } from '../test/support/ingest-harness.js';
import { LOCAL_REGION } from '../test/support/local-engines.js';
import {
  BUCKET,
  type ClassifierMemory,
  pipeline,
  STOP_MARGIN_MS,
  sameMap,
  storedFindings,
} from './cloud-scenarios.js';
import { generateTrackingLog } from './generate-tracking-log.js';

/** The version the "older classifier" of the scenario stamps. */
export const OLDER_VERSION = 'older-classifier';
/** Attempts per item, and the first backoff: the state machine's retrier, scaled down. */
const ITEM_ATTEMPTS = 4;
const FIRST_BACKOFF_MS = 50;
/** Every rollup the generated logs can touch. */
const ROLLUP_RANGE = { from: '2026-01-01', to: '2027-12-31' };

/** A stable small hash of a finding id: which findings the older classifier got wrong. */
function bucketOf(id: string, modulo: number): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % modulo;
}

/**
 * The store as an older classifier wrote to it: everything stamped with {@link OLDER_VERSION}, one
 * finding in seven in another scenario (reclassified since), and one in ten accompanied by a finding
 * the current classifier does not find at all.
 */
function asOlderClassifier(store: IngestStore): IngestStore & { extras: number; reclassified: number } {
  const older = (record: SourceRecord): SourceRecord => ({ ...record, classifierVersion: OLDER_VERSION });
  const wrapper = {
    extras: 0,
    reclassified: 0,
    getSource: (id: string) => store.getSource(id),
    claimSource: (record: SourceRecord, previous: SourceRecord | undefined) =>
      store.claimSource(older(record), previous),
    putSource: (record: SourceRecord, options?: { leaseOwner?: string }) =>
      store.putSource(older(record), options),
    putFindings: (findings: readonly Finding[]) => {
      const written: Finding[] = [];
      for (const finding of findings) {
        const stamped = { ...finding, classifierVersion: OLDER_VERSION };
        if (bucketOf(finding.id, 7) === 0) {
          wrapper.reclassified++;
          const other = SCENARIO_IDS.find((scenario) => scenario !== finding.scenario) ?? finding.scenario;
          written.push({ ...stamped, scenario: other });
        } else written.push(stamped);
        if (bucketOf(finding.id, 10) === 0) {
          wrapper.extras++;
          written.push({
            ...stamped,
            id: `gone-${finding.id}`,
            messageId: `<gone-${finding.messageId.slice(1)}`,
          });
        }
      }
      return store.putFindings(written);
    },
  };
  return wrapper;
}

export interface ReanalysisBenchResult {
  files: number;
  bytes: number;
  /** The older version's ingest, the re-analysis, and a fresh ingest of the same uploads. */
  olderSeconds: number;
  seconds: number;
  freshSeconds: number;
  invocations: number;
  continuations: number;
  /** Item attempts that threw and were retried (the state machine's retrier). */
  retries: number;
  outcomes: Record<ReanalysisResult['outcome'], number>;
  /** What the failed attempts said. */
  errors: string[];
  /** DynamoDB write calls of the re-analysis and of the fresh run. */
  writeCalls: number;
  freshWriteCalls: number;
  /** A second run over the same uploads: every item skipped, nothing written. */
  again: { outcomes: Record<ReanalysisResult['outcome'], number>; writeCalls: number };
  /** What the older version wrote that the current one must change or remove. */
  olderExtras: number;
  olderReclassified: number;
  olderLeft: number;
  gonesLeft: number;
  findings: number;
  sameFindings: boolean;
  sameRollups: boolean;
  allCurrent: boolean;
}

/** Scenario (c): `files` uploads analysed by an older version, then re-analysed. */
export async function reanalysis(options: {
  dir: string;
  files: number;
  bytesEach: number;
  concurrency: number;
  memory: ClassifierMemory;
  /** What ends an invocation: a time, or a number of deadline checks (tests: continuations for sure). */
  deadline: { ms?: number; checks?: number };
}): Promise<ReanalysisBenchResult> {
  const engines = await pipeline(options.memory, 0);
  let fresh: StoreHandle | undefined;
  try {
    const notifications: string[] = [];
    let bytes = 0;
    for (let n = 0; n < options.files; n++) {
      const path = `${options.dir}/MSGTRK-reanalysis-${options.bytesEach}-${n}.LOG`;
      await generateTrackingLog(path, options.bytesEach, 2000 + n);
      const body = readFileSync(path);
      bytes += body.length;
      notifications.push(await uploadObject(engines.s3, BUCKET, `incoming/reanalysis/MSGTRK-${n}.LOG`, body));
    }
    const calm = () => deadlineContext({ ms: 600_000 }, STOP_MARGIN_MS);

    // The older classifier's ingest.
    const olderStore = asOlderClassifier(engines.deps.store);
    let started = performance.now();
    await drainQueue(createIngestHandler({ ...engines.deps, store: olderStore }), [...notifications], calm);
    const olderSeconds = (performance.now() - started) / 1000;

    // The re-analysis, as the state machine runs it.
    const handler = createReanalysisHandler({
      worker: createReanalysisWorker(engines.deps),
      headObject: headObjectWith(engines.s3.client),
      logger: createLogger('test', 'silent'),
    });
    const keys = await listIncoming(engines.s3.client);
    const callsBefore = engines.writes.calls;
    started = performance.now();
    const map = await runMap(keys, options.concurrency, (key) =>
      handler(
        { bucket: BUCKET, key, from: null, to: null },
        deadlineContext(options.deadline, STOP_MARGIN_MS),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const writeCalls = engines.writes.calls - callsBefore;
    // Started again (an operator's second run, a redriven execution): nothing is analysed twice.
    const again = await runMap(keys, options.concurrency, (key) =>
      handler(
        { bucket: BUCKET, key, from: null, to: null },
        deadlineContext(options.deadline, STOP_MARGIN_MS),
      ),
    );
    const againWriteCalls = engines.writes.calls - callsBefore - writeCalls;

    // A fresh analysis of the same uploads, in a table of its own on the same engine.
    fresh = createRemoteStore({
      tableName: 'relay-audit-cloud-bench-fresh',
      endpoint: engines.dynamo.endpoint,
      region: LOCAL_REGION,
    });
    await fresh.store.ensureTable();
    let freshCalls = 0;
    fresh.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (/^(BatchWrite|Put|Update|Delete)Item/.test(context.commandName ?? '')) freshCalls++;
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'benchFreshWrites' },
    );
    started = performance.now();
    await drainQueue(createIngestHandler({ ...engines.deps, store: fresh.store }), [...notifications], calm);
    const freshSeconds = (performance.now() - started) / 1000;

    const describe = (finding: Finding) => `${finding.scenario} ${finding.classifierVersion ?? '-'}`;
    const after = await storedFindings(engines.handle, undefined, describe);
    const expected = await storedFindings(fresh, undefined, describe);
    const rollups = JSON.stringify(await engines.handle.store.queryRollups(ROLLUP_RANGE));
    const freshRollups = JSON.stringify(await fresh.store.queryRollups(ROLLUP_RANGE));
    const records = (await engines.handle.store.listSources({ limit: 1000 })).items;
    return {
      files: options.files,
      bytes,
      olderSeconds,
      seconds,
      freshSeconds,
      ...map,
      writeCalls,
      freshWriteCalls: freshCalls,
      again: { outcomes: again.outcomes, writeCalls: againWriteCalls },
      olderExtras: olderStore.extras,
      olderReclassified: olderStore.reclassified,
      olderLeft: [...after.values()].filter((value) => value.endsWith(OLDER_VERSION)).length,
      gonesLeft: [...after.keys()].filter((id) => id.startsWith('gone-')).length,
      findings: after.size,
      sameFindings: sameMap(after, expected),
      sameRollups: rollups === freshRollups,
      allCurrent:
        records.length === options.files &&
        records.every(
          (record) =>
            record.status === 'done' &&
            record.classifierVersion === CLASSIFIER_VERSION &&
            record.replacedVersion === OLDER_VERSION,
        ),
    };
  } finally {
    await fresh?.close();
    await engines.close();
  }
}

/** The keys under `incoming/`, as the Distributed Map's S3 reader lists them (ListObjectsV2). */
async function listIncoming(s3: S3Client): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: BUCKET_PREFIX.incoming,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return keys;
}

/**
 * The Distributed Map's item processor, in-process: `concurrency` items at once; an item invoked
 * again while it ends `continued`; an attempt that throws retried with exponential backoff, up to
 * {@link ITEM_ATTEMPTS}; an item that keeps failing counted `failed`.
 */
async function runMap(
  keys: readonly string[],
  concurrency: number,
  invoke: (key: string) => Promise<ReanalysisResult>,
) {
  const outcomes: Record<ReanalysisResult['outcome'], number> = {
    analysed: 0,
    skipped: 0,
    continued: 0,
    failed: 0,
  };
  let invocations = 0;
  let continuations = 0;
  let retries = 0;
  const errors: string[] = [];
  await mapLimit(keys, concurrency, async (key) => {
    let attempt = 1;
    for (;;) {
      invocations++;
      let result: ReanalysisResult;
      try {
        result = await invoke(key);
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
        if (!(error instanceof ReanalysisRetryError) || attempt >= ITEM_ATTEMPTS) {
          outcomes.failed++;
          return;
        }
        retries++;
        await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
        attempt++;
        continue;
      }
      if (result.outcome !== 'continued') {
        outcomes[result.outcome]++;
        return;
      }
      continuations++;
    }
  });
  return { invocations, continuations, retries, outcomes, errors };
}
