/**
 * A mail log read newest first (a `tac` or Splunk export) cannot be resumed: an invocation that
 * reaches its deadline stores the refusals it still holds, keyed as it could then (by queue id: the
 * Message-ID line comes later in such a file), ends `DEADLINE_REACHED`, and SQS delivers the message
 * again, which reads the file from its start and keys the same refusals by Message-ID. The upload
 * must end with the findings, record counts and rollup counters of one whole read, not both sets.
 * The handler runs on the local engines (s3rver, dynalite), its object read in small pieces as S3
 * bodies arrive, each invocation's clock running out after a few checks (more on each retry, as a
 * larger share of the file is read before the deadline).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { createIngestHandler } from '../../functions/ingest/ingest.js';
import { objectOpener } from '../../functions/ingest/object-reader.js';
import { createLogger, levelFromEnv } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/findings-store.js';
import { rollupKey } from '../../functions/store/table-design.js';
import { deadlineContext } from '../support/continuations.js';
import { sourceIdOfNotification, uploadObject } from '../support/ingest-harness.js';
import { type LocalS3, sqsEvent, startLocalDynamo, startLocalS3 } from '../support/local-engines.js';
import { onePass } from '../support/resume-engines.js';
import { countsPerCell } from '../support/rollup-counts.js';

const REAL_WORLD = join(import.meta.dirname, '..', 'fixtures', 'real-world');
const BUCKET = 'relay-audit-retry-bucket';
const MARGIN_MS = 1_000;
/** Bytes per piece of the S3 body: a few lines, so the deadline falls inside the file. */
const PIECE_BYTES = 256;
/** Clock checks the first invocation gets; each retry gets that many more. */
const CHECKS = 3;
const DOMAINS = parseAcceptedDomains('contoso.com', 'test');

let s3: LocalS3;
let dynamo: EmbeddedServer;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo('relay-audit-retry-0')]);
}, 60_000);
afterAll(async () => {
  await Promise.all([s3?.close(), dynamo?.close()]);
});

async function* inPieces(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const piece of body)
    for (let at = 0; at < piece.length; at += PIECE_BYTES) yield piece.subarray(at, at + PIECE_BYTES);
}

async function storedIds(store: FindingsStore): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.queryFindings({ limit: 500, cursor });
    ids.push(...page.items.map((finding) => finding.id));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return ids.sort();
}

describe('a mail log that cannot be resumed, retried after its deadline', () => {
  it.each([
    ['mail-logs-out-of-order/postfix-newest-first.log'],
    ['mail-logs-out-of-order/postfix-reused-queue-id-newest-first.log'],
    ['mta-log-repeats/postfix-next-server-newest-first.log'],
  ])('%s ends with the findings and counters of one whole read', async (file) => {
    // Prepare: a table of its own (the counters are the upload's alone), the upload, the reference.
    const table = `relay-audit-retry-${file.replace(/\W+/g, '-')}`.slice(0, 200);
    const store = new FindingsStore({ client: dynamo.client, tableName: table, retentionDays: 400 });
    await store.ensureTable();
    const open = objectOpener(s3.client);
    const handler = createIngestHandler({
      store,
      openObject: async (ref, from) => {
        const object = await open(ref, from);
        return { ...object, body: inPieces(object.body) };
      },
      resolveDomains: async () => ({ oracle: DOMAINS, origin: 'test' }),
      logger: createLogger('test', levelFromEnv({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' })),
      stopMarginMs: MARGIN_MS,
    });
    const bytes = await readFile(join(REAL_WORLD, file));
    const notification = await uploadObject(s3, BUCKET, `incoming/relay01/${file}`, bytes);
    const id = sourceIdOfNotification(BUCKET, notification);
    const reference = await onePass(bytes, {});
    const expected = { record: reference.record, findings: [...reference.findings.values()] };
    const expectedIds = [...reference.findings.keys()].sort();

    // Act: deliver the message until it succeeds, as SQS redelivers a batch item failure.
    const stops: { record: SourceRecord | undefined; ids: string[] }[] = [];
    for (let attempt = 1; attempt <= 50; attempt++) {
      const response = await handler(
        sqsEvent([notification]),
        deadlineContext({ checks: CHECKS * attempt }, MARGIN_MS),
      );
      if (response.batchItemFailures.length === 0) break;
      stops.push({ record: await store.getSource(id), ids: await storedIds(store) });
    }

    // Assess: it was stopped without a resume point, with findings keyed otherwise stored...
    expect(stops.length).toBeGreaterThan(0);
    expect(stops[0]?.record).toMatchObject({ status: 'failed', errorCode: ErrorCode.DeadlineReached });
    expect(stops[0]?.record?.resume).toBeUndefined();
    expect(stops.some((stop) => stop.ids.some((stored) => !expectedIds.includes(stored)))).toBe(true);
    // ...and ends as one whole read: its findings, its record's counts, the summary's counters.
    const record = await store.getSource(id);
    expect(record?.status).toBe('done');
    expect(record?.findingsByScenario).toEqual(expected.record.findingsByScenario);
    expect(await storedIds(store)).toEqual(expectedIds);
    const days = expected.findings.map((finding) => finding.timestamp.slice(0, 10)).sort();
    const range = { from: days[0] ?? '', to: days.at(-1) ?? '' };
    const counters = new Map(
      (await store.queryRollups(range)).map((row) => {
        const key = rollupKey(row);
        return [`${key.pk} ${key.sk}`, row.count];
      }),
    );
    expect(counters).toEqual(countsPerCell(expected.findings));
    expect((await store.queryRollupCounters(range)).filter((row) => row.count < 0)).toEqual([]);
  });
});
