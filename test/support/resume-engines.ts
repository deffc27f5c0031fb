/**
 * For the tests of ingest through continuations (driven with continuations.ts): S3 and DynamoDB on
 * this machine with an ingest handler over them, started before a file's tests and closed after
 * them; the reference an ingest must match, one pass over the same bytes in memory; and what the
 * store holds afterwards.
 */
import { afterAll, beforeAll } from 'vitest';
import { type AnalyzeOptions, analyze } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { createIngestHandler } from '../../functions/ingest/ingest.js';
import { objectOpener } from '../../functions/ingest/object-reader.js';
import { createLogger, levelFromEnv } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import type { IngestLambda } from './continuations.js';
import { type LocalS3, startLocalDynamo, startLocalS3 } from './local-engines.js';
import { MemorySink } from './memory-sink.js';

/** How much the classifier keeps in memory: small, so that a continuation has a real replay to do. */
type ClassifierMemory = Pick<AnalyzeOptions, 'windowEvents' | 'maxTrackedMessages'>;

export interface ResumeEngines {
  s3: LocalS3;
  dynamo: EmbeddedServer;
  handler: IngestLambda;
  /** What the handler sends back (continuations, untried messages); `drainQueue` delivers it. */
  queue: string[];
}

/**
 * Call once at the top of a test file: the engines, with `bucket` and `table`, start before its
 * tests and close after them. The handler reads for contoso.com and stops `marginMs` before its
 * deadline; its logs are silent unless TEST_LOG_LEVEL says otherwise. The fields of what this
 * returns can be read inside the tests, once the engines have started.
 */
export function resumeEnginesForFile(options: {
  bucket: string;
  table: string;
  marginMs: number;
  analysis: ClassifierMemory;
  /** Bytes per piece of an object's body (an S3 body arrives in pieces; a deadline check between them). */
  chunkBytes?: number;
}): ResumeEngines {
  let started: ResumeEngines | undefined;
  beforeAll(async () => {
    const [s3, dynamo] = await Promise.all([startLocalS3([options.bucket]), startLocalDynamo(options.table)]);
    const queue: string[] = [];
    const open = objectOpener(s3.client);
    const { chunkBytes } = options;
    const handler = createIngestHandler({
      store: dynamo.store,
      openObject:
        chunkBytes === undefined
          ? open
          : async (ref, from) => {
              const object = await open(ref, from);
              return { ...object, body: inPieces(object.body, chunkBytes) };
            },
      resolveDomains: async () => ({ oracle: parseAcceptedDomains('contoso.com', 'test'), origin: 'test' }),
      sendToQueue: async (body) => {
        queue.push(body);
      },
      logger: createLogger('test', levelFromEnv({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' })),
      stopMarginMs: options.marginMs,
      analysis: options.analysis,
    });
    started = { s3, dynamo, handler, queue };
  }, 60_000);
  afterAll(async () => {
    await Promise.all([started?.s3.close(), started?.dynamo.close()]);
  });
  const engines = (): ResumeEngines => {
    if (started === undefined) throw new Error('the engines are started before the tests, not before');
    return started;
  };
  return {
    get s3() {
      return engines().s3;
    },
    get dynamo() {
      return engines().dynamo;
    },
    get handler() {
      return engines().handler;
    },
    get queue() {
      return engines().queue;
    },
  };
}

/** `body` in pieces of at most `size` bytes. */
async function* inPieces(body: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  for await (const piece of body)
    for (let start = 0; start < piece.length; start += size)
      yield piece.subarray(start, Math.min(piece.length, start + size));
}

/** One pass over `bytes` in memory with the handler's classifier memory: findings by id. */
export async function onePass(
  bytes: Buffer,
  analysis: ClassifierMemory,
): Promise<{ record: SourceRecord; findings: Map<string, Finding> }> {
  const sink = new MemorySink();
  const result = await analyze(
    [
      {
        name: 'reference',
        sourceId: 'reference',
        open: async function* () {
          yield bytes;
        },
      },
    ],
    { domains: parseAcceptedDomains('contoso.com', 'test'), sink, ...analysis },
  );
  return { record: result.sources[0] as SourceRecord, findings: sink.findings };
}

/** Every finding in the engines' store, of one source or of all, by id. */
export async function storedFindings(
  engines: ResumeEngines,
  sourceId?: string,
): Promise<Map<string, Finding>> {
  const found = new Map<string, Finding>();
  let cursor: string | undefined;
  do {
    const page = await engines.dynamo.store.queryFindings({
      ...(sourceId === undefined ? {} : { sourceId }),
      limit: 500,
      cursor,
    });
    for (const finding of page.items) found.set(finding.id, finding);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return found;
}

/** One field of each finding, by id: what a test compares of two sets of findings. */
export function fieldById<K extends keyof Finding>(
  findings: Map<string, Finding>,
  field: K,
): Map<string, Finding[K]> {
  return new Map([...findings].map(([id, finding]) => [id, finding[field]]));
}
