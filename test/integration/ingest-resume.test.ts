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
import { describe, expect, it } from 'vitest';
import { generateTrackingLog } from '../../bench/generate-tracking-log.js';
import { deadlineContext, drainQueue } from '../support/continuations.js';
import { sourceIdOfNotification, uploadObject } from '../support/ingest-harness.js';
import { fieldById, onePass, resumeEnginesForFile, storedFindings } from '../support/resume-engines.js';

const BUCKET = 'relay-audit-resume-bucket';
const TABLE = 'relay-audit-resume-test';
/** A small classifier memory, so that a few MB need many invocations with a real replay each. */
const ANALYSIS = { windowEvents: 20, maxTrackedMessages: 10 };
const MARGIN_MS = 1_000;

const engines = resumeEnginesForFile({
  bucket: BUCKET,
  table: TABLE,
  marginMs: MARGIN_MS,
  analysis: ANALYSIS,
});

describe('an upload too big for one invocation', () => {
  for (const compressed of [false, true]) {
    it(`${compressed ? 'gzip' : 'plain'}: goes on through continuations to done, as one pass`, async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'resume-ingest-')), 'MSGTRK.LOG');
      await generateTrackingLog(path, 3_000_000, compressed ? 21 : 22);
      const plain = readFileSync(path);
      const key = `incoming/server1/MSGTRK${compressed ? '.LOG.gz' : '.LOG'}`;
      const notification = await uploadObject(engines.s3, BUCKET, key, compressed ? gzipSync(plain) : plain);
      // Two small uploads in the same batch: never tried in the first invocation, handed back.
      const small = await Promise.all(
        [1, 2].map(async (n) => {
          const smallPath = join(mkdtempSync(join(tmpdir(), 'resume-small-')), 'MSGTRK.LOG');
          await generateTrackingLog(smallPath, 50_000, 100 + n + (compressed ? 10 : 0));
          return uploadObject(
            engines.s3,
            BUCKET,
            `incoming/server${n + 1}/MSGTRK-${compressed}.LOG`,
            readFileSync(smallPath),
          );
        }),
      );
      engines.queue.push(notification, ...small);

      const run = await drainQueue(engines.handler, engines.queue, () =>
        deadlineContext({ checks: 150 }, MARGIN_MS),
      );

      expect(run.failed, 'nothing is retried: no receive is spent').toEqual([]);
      expect(run.invocations).toBeGreaterThan(4);
      const id = sourceIdOfNotification(BUCKET, notification);
      const record = await engines.dynamo.store.getSource(id);
      const reference = await onePass(plain, ANALYSIS);
      expect(record?.status).toBe('done');
      expect(record?.resume).toBeUndefined();
      for (const field of ['rowsRead', 'rowsAnalysed', 'rowsSkipped', 'events', 'rejections'] as const)
        expect(record?.[field], field).toBe(reference.record[field]);
      expect(record?.findingsByScenario).toEqual(reference.record.findingsByScenario);
      expect(fieldById(await storedFindings(engines, id), 'scenario')).toEqual(
        fieldById(reference.findings, 'scenario'),
      );
      for (const body of small) {
        const smallRecord = await engines.dynamo.store.getSource(sourceIdOfNotification(BUCKET, body));
        expect(smallRecord?.status).toBe('done');
      }
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
    const notification = await uploadObject(engines.s3, BUCKET, 'incoming/trace/trace.csv', plain);
    engines.queue.push(notification);

    // Before the fix, a read without refusals resumed at line 1: the second invocation replayed
    // what the first had read, counted nothing new, and the upload failed DEADLINE_REACHED.
    const run = await drainQueue(engines.handler, engines.queue, () =>
      deadlineContext({ checks: 10 }, MARGIN_MS),
    );

    expect(run.failed).toEqual([]);
    expect(run.invocations).toBeGreaterThan(2);
    const record = await engines.dynamo.store.getSource(sourceIdOfNotification(BUCKET, notification));
    const reference = await onePass(plain, ANALYSIS);
    expect(record?.status, record?.errorMessage).toBe('done');
    for (const field of ['rowsRead', 'rowsAnalysed', 'events', 'unexplainedFailures'] as const)
      expect(record?.[field], field).toBe(reference.record[field]);
    expect(reference.record.unexplainedFailures).toBe(3);
  }, 120_000);
});
