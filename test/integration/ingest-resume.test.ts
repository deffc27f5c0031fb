/**
 * Uploads too big for one invocation, on the local engines: the handler stops at its deadline with
 * a resume point, acknowledges the message and sends a continuation; the next invocation goes on
 * from there (a ranged read of a plain object, gzip inflated and skipped). Every upload ends
 * `done` with the counts and findings of one pass, and nothing lands in the retry path.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTrackingLog } from '../../bench/generate-tracking-log.js';
import { analyze } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { createIngestHandler } from '../../functions/ingest/ingest.js';
import { objectOpener } from '../../functions/ingest/object-reader.js';
import { createLogger, levelFromEnv } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { deadlineContext, drainQueue, type IngestLambda } from '../support/continuations.js';
import { sourceIdOfNotification, uploadObject } from '../support/ingest-harness.js';
import { type LocalS3, startLocalDynamo, startLocalS3 } from '../support/local-engines.js';

const BUCKET = 'relay-audit-resume-bucket';
const TABLE = 'relay-audit-resume-test';
/** A small classifier memory, so that a few MB need many invocations with a real replay each. */
const ANALYSIS = { windowEvents: 20, maxTrackedMessages: 10 };
const MARGIN_MS = 1_000;

let s3: LocalS3;
let dynamo: EmbeddedServer;
let handler: IngestLambda;
const queue: string[] = [];

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  handler = createIngestHandler({
    store: dynamo.store,
    openObject: objectOpener(s3.client),
    resolveDomains: async () => ({ oracle: parseAcceptedDomains('contoso.com', 'test'), origin: 'test' }),
    sendToQueue: async (body) => {
      queue.push(body);
    },
    logger: createLogger('test', levelFromEnv({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' })),
    stopMarginMs: MARGIN_MS,
    analysis: ANALYSIS,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([s3?.close(), dynamo?.close()]);
});

async function findingsOf(sourceId: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await dynamo.store.queryFindings({
      sourceId,
      limit: 500,
      cursor,
    });
    for (const finding of page.items) found.set(finding.id, finding.scenario);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return found;
}

/** One pass over the same bytes, in memory: the reference. */
async function onePass(bytes: Buffer): Promise<{ record: SourceRecord; findings: Map<string, string> }> {
  const findings = new Map<string, string>();
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
    {
      domains: parseAcceptedDomains('contoso.com', 'test'),
      sink: {
        putFindings: async (batch: Finding[]) => {
          for (const finding of batch) findings.set(finding.id, finding.scenario);
        },
        putSource: async () => undefined,
      },
      ...ANALYSIS,
    },
  );
  return { record: result.sources[0] as SourceRecord, findings };
}

describe('an upload too big for one invocation', () => {
  for (const compressed of [false, true]) {
    it(`${compressed ? 'gzip' : 'plain'}: goes on through continuations to done, as one pass`, async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'resume-ingest-')), 'MSGTRK.LOG');
      await generateTrackingLog(path, 3_000_000, compressed ? 21 : 22);
      const plain = readFileSync(path);
      const key = `incoming/server1/MSGTRK${compressed ? '.LOG.gz' : '.LOG'}`;
      const notification = await uploadObject(s3, BUCKET, key, compressed ? gzipSync(plain) : plain);
      // Two small uploads in the same batch: never tried in the first invocation, handed back.
      const small = await Promise.all(
        [1, 2].map(async (n) => {
          const smallPath = join(mkdtempSync(join(tmpdir(), 'resume-small-')), 'MSGTRK.LOG');
          await generateTrackingLog(smallPath, 50_000, 100 + n + (compressed ? 10 : 0));
          return uploadObject(
            s3,
            BUCKET,
            `incoming/server${n + 1}/MSGTRK-${compressed}.LOG`,
            readFileSync(smallPath),
          );
        }),
      );
      queue.push(notification, ...small);

      const run = await drainQueue(handler, queue, () => deadlineContext({ checks: 150 }, MARGIN_MS));

      expect(run.failed, 'nothing is retried: no receive is spent').toEqual([]);
      expect(run.invocations).toBeGreaterThan(4);
      const id = sourceIdOfNotification(BUCKET, notification);
      const record = await dynamo.store.getSource(id);
      const reference = await onePass(plain);
      expect(record?.status).toBe('done');
      expect(record?.resume).toBeUndefined();
      for (const field of ['rowsRead', 'rowsAnalysed', 'rowsSkipped', 'events', 'rejections'] as const)
        expect(record?.[field], field).toBe(reference.record[field]);
      expect(record?.findingsByScenario).toEqual(reference.record.findingsByScenario);
      expect(await findingsOf(id)).toEqual(reference.findings);
      for (const body of small)
        expect((await dynamo.store.getSource(sourceIdOfNotification(BUCKET, body)))?.status).toBe('done');
    }, 120_000);
  }
});

describe('a message trace too big for one invocation, without refusals', () => {
  it('goes on through continuations to done: a continuation does not replay it from its first row', async () => {
    // Get-MessageTraceV2 | Export-Csv: three failures without a reason, then thousands of deliveries.
    const header =
      '"Organization","MessageId","Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size","MessageTraceId","StartDate","EndDate"';
    const row = (n: number, status: string) =>
      `"contoso.onmicrosoft.com","<m${n}@EX01.contoso.local>","2026-11-28T22:14:56.9170000Z","kate@contoso.com","info@litware.com","Minutes ${n}","${status}","198.51.100.61","203.0.113.25","31020","00000000-0000-0000-0000-${String(n).padStart(12, '0')}","2026-11-27T00:00:00.0000000Z","2026-11-29T00:00:00.0000000Z"`;
    const rows = [header];
    for (let n = 1; n <= 6_003; n++) rows.push(row(n, n <= 3 ? 'Failed' : 'Delivered'));
    const plain = Buffer.from(`${rows.join('\r\n')}\r\n`);
    const notification = await uploadObject(s3, BUCKET, 'incoming/trace/trace.csv', plain);
    queue.push(notification);

    // Before the fix, a read without refusals resumed at line 1: the second invocation replayed
    // what the first had read, counted nothing new, and the upload failed DEADLINE_REACHED.
    const run = await drainQueue(handler, queue, () => deadlineContext({ checks: 10 }, MARGIN_MS));

    expect(run.failed).toEqual([]);
    expect(run.invocations).toBeGreaterThan(2);
    const record = await dynamo.store.getSource(sourceIdOfNotification(BUCKET, notification));
    const reference = await onePass(plain);
    expect(record?.status, record?.errorMessage).toBe('done');
    for (const field of ['rowsRead', 'rowsAnalysed', 'events', 'unexplainedFailures'] as const)
      expect(record?.[field], field).toBe(reference.record[field]);
    expect(reference.record.unexplainedFailures).toBe(3);
  }, 120_000);
});
