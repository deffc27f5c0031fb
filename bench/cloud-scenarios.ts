/**
 * The cloud pipeline's two hard cases on the local engines (s3rver, dynalite), with the real ingest
 * handler: one upload far bigger than an invocation (continuations), and a burst of uploads
 * landing at once on a store that throttles. Shared by `npm run bench:cloud` (big) and the tests
 * (small, test/integration/cloud-scenarios.test.ts).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { analyze } from '../functions/core/analysis/analyze.js';
import type { Finding } from '../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../functions/core/organisation/accepted-domains.js';
import {
  createIngestHandler,
  type IngestDependencies,
  type IngestStore,
} from '../functions/ingest/ingest.js';
import { objectOpener } from '../functions/ingest/object-reader.js';
import { createLogger } from '../functions/runtime/logger.js';
import { createRemoteStore, type StoreHandle } from '../functions/store/remote-store.js';
import { deadlineContext, drainQueue } from '../test/support/continuations.js';
import { sourceIdOfNotification, uploadObject } from '../test/support/ingest-harness.js';
import {
  LOCAL_REGION,
  S3RVER_CREDENTIALS,
  startLocalDynamo,
  startLocalS3,
} from '../test/support/local-engines.js';
import { ACCEPTED_DOMAIN, generateTrackingLog } from './generate-tracking-log.js';

export const BUCKET = 'relay-audit-cloud-bench';
const TABLE = 'relay-audit-cloud-bench';
export const STOP_MARGIN_MS = 1_000;

/** The classifier's memory for both the reference and the handler: a replay fits a short deadline. */
export interface ClassifierMemory {
  windowEvents: number;
  maxTrackedMessages: number;
}

/** Write calls the store made, and how many of them were throttled on purpose (then retried). */
export interface WriteCounts {
  calls: number;
  throttled: number;
}

/** Counts DynamoDB write calls; with `throttleShare`, fails that share of them as throttled. */
function instrument(handle: StoreHandle, throttleShare: number, random: () => number): WriteCounts {
  const counts: WriteCounts = { calls: 0, throttled: 0 };
  const writes = new Set([
    'BatchWriteItemCommand',
    'PutItemCommand',
    'UpdateItemCommand',
    'TransactWriteItemsCommand',
  ]);
  // Inside the SDK's retry middleware (finalizeRequest, low priority): each attempt is counted,
  // and an injected throttle is retried by the SDK as a real one would be.
  handle.client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      if (writes.has(command)) {
        counts.calls++;
        if (random() < throttleShare) {
          counts.throttled++;
          const error = new Error('Rate of requests exceeds the allowed throughput (injected)');
          Object.assign(error, {
            name: 'ThrottlingException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
          throw error;
        }
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchWriteFaults' },
  );
  return counts;
}

/** A deterministic source of randomness, so a run's injected faults can be repeated. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The local engines and a real ingest handler over them, with an in-memory queue. */
export async function pipeline(memory: ClassifierMemory, throttleShare: number) {
  const [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  // The cloud's store: the remote client (adaptive retries) talking to dynalite, which takes any key.
  process.env.AWS_ACCESS_KEY_ID ??= S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= S3RVER_CREDENTIALS.secretAccessKey;
  const handle = createRemoteStore({ tableName: TABLE, endpoint: dynamo.endpoint, region: LOCAL_REGION });
  const writes = instrument(handle, throttleShare, seeded(17));
  const queue: string[] = [];
  const store: IngestStore = handle.store;
  const deps: IngestDependencies = {
    store,
    openObject: objectOpener(s3.client),
    resolveDomains: async () => ({ oracle: parseAcceptedDomains(ACCEPTED_DOMAIN, 'bench'), origin: 'bench' }),
    sendToQueue: async (body) => {
      queue.push(body);
    },
    logger: createLogger('test', 'silent'),
    stopMarginMs: STOP_MARGIN_MS,
    analysis: memory,
  };
  const handler = createIngestHandler(deps);
  const close = async (): Promise<void> => {
    await handle.close();
    await Promise.all([s3.close(), dynamo.close()]);
  };
  return { s3, dynamo, handle, writes, queue, deps, handler, close };
}

/** Every finding of a source in the store, as id → scenario (or what `describe` says of it). */
export async function storedFindings(
  handle: StoreHandle,
  sourceId?: string,
  describe: (finding: Finding) => string = (finding) => finding.scenario,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await handle.store.queryFindings({
      limit: 1000,
      ...(sourceId === undefined ? {} : { sourceId }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const finding of page.items) found.set(finding.id, describe(finding));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return found;
}

/** What one pass of `analyze` (the engine of `relay-audit analyze`) finds in a file: id → scenario, and its writes. */
async function onePass(path: string, memory: ClassifierMemory) {
  const findings = new Map<string, string>();
  let written = 0;
  const started = performance.now();
  await analyze(
    [
      {
        name: path,
        sourceId: 'reference',
        open: async function* () {
          yield readFileSync(path);
        },
      },
    ],
    {
      domains: parseAcceptedDomains(ACCEPTED_DOMAIN, 'bench'),
      sink: {
        putFindings: async (batch: Finding[]) => {
          written += batch.length;
          for (const finding of batch) findings.set(finding.id, finding.scenario);
        },
        putSource: async () => undefined,
      },
      ...memory,
    },
  );
  return { findings, written, seconds: (performance.now() - started) / 1000 };
}

export interface BigUploadResult {
  bytes: number;
  seconds: number;
  referenceSeconds: number;
  invocations: number;
  continuations: number;
  status: string | undefined;
  /** Findings items one pass writes, and the handler wrote (write calls of the store besides). */
  itemsOnePass: number;
  itemsWritten: number;
  writes: WriteCounts;
  sameFindings: boolean;
  findings: number;
  failedMessages: number;
}

/** Scenario (a): one upload of `bytes`, analysed by invocations that each get `deadlineMs`. */
export async function bigUpload(options: {
  path: string;
  bytes: number;
  deadlineMs: number;
  memory: ClassifierMemory;
}): Promise<BigUploadResult> {
  await generateTrackingLog(options.path, options.bytes, 5);
  const reference = await onePass(options.path, options.memory);
  const engines = await pipeline(options.memory, 0);
  try {
    const body = readFileSync(options.path);
    const notification = await uploadObject(engines.s3, BUCKET, 'incoming/big/MSGTRK-big.LOG', body);
    engines.queue.push(notification);
    // Items written: every BatchWriteItem/PutItem request's items, counted by the store's wrapper.
    let itemsWritten = 0;
    const putFindings = engines.handle.store.putFindings.bind(engines.handle.store);
    engines.handle.store.putFindings = async (findings) => {
      itemsWritten += findings.length;
      return putFindings(findings);
    };
    const started = performance.now();
    const run = await drainQueue(engines.handler, engines.queue, () =>
      deadlineContext({ ms: options.deadlineMs }, STOP_MARGIN_MS),
    );
    const seconds = (performance.now() - started) / 1000;
    const id = sourceIdOfNotification(BUCKET, notification);
    const record = await engines.handle.store.getSource(id);
    const stored = await storedFindings(engines.handle, id);
    return {
      bytes: body.length,
      seconds,
      referenceSeconds: reference.seconds,
      invocations: run.invocations,
      continuations: run.sentBack,
      status: record?.status,
      itemsOnePass: reference.written,
      itemsWritten,
      writes: engines.writes,
      sameFindings: sameMap(stored, reference.findings),
      findings: stored.size,
      failedMessages: run.failed.length,
    };
  } finally {
    await engines.close();
  }
}

export interface BurstResult {
  files: number;
  seconds: number;
  invocations: number;
  done: number;
  failedMessages: number;
  writes: WriteCounts;
  findings: Map<string, string>;
}

/** Scenario (b): `files` uploads at once, `concurrency` invocations, a share of write calls throttled. */
export async function burst(options: {
  dir: string;
  files: number;
  bytesEach: number;
  concurrency: number;
  throttleShare: number;
  memory: ClassifierMemory;
}): Promise<BurstResult> {
  const engines = await pipeline(options.memory, options.throttleShare);
  try {
    const notifications: string[] = [];
    for (let n = 0; n < options.files; n++) {
      const path = `${options.dir}/MSGTRK-burst-${options.bytesEach}-${n}.LOG`;
      await generateTrackingLog(path, options.bytesEach, 1000 + n);
      notifications.push(
        await uploadObject(engines.s3, BUCKET, `incoming/burst/MSGTRK-${n}.LOG`, readFileSync(path)),
      );
    }
    engines.queue.push(...notifications);
    const started = performance.now();
    const run = await drainQueue(
      engines.handler,
      engines.queue,
      () => deadlineContext({ ms: 600_000 }, STOP_MARGIN_MS),
      { concurrency: options.concurrency },
    );
    const seconds = (performance.now() - started) / 1000;
    let done = 0;
    for (const body of notifications) {
      const record = await engines.handle.store.getSource(sourceIdOfNotification(BUCKET, body));
      if (record?.status === 'done') done++;
    }
    return {
      files: options.files,
      seconds,
      invocations: run.invocations,
      done,
      failedMessages: run.failed.length,
      writes: engines.writes,
      findings: await storedFindings(engines.handle),
    };
  } finally {
    await engines.close();
  }
}

/** True when two maps hold the same keys with the same values. */
export function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}
