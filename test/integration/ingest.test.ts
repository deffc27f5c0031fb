/**
 * The ingest handler end to end on real local engines: s3rver stores the uploads and emits the
 * S3 event notifications, dynalite (the store's embedded engine) holds the findings. Each
 * notification is wrapped as SQS delivers it and given to the Lambda handler, configured only
 * through its environment — the same variables the CDK stack sets.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyze } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import type { InvocationContext } from '../../functions/ingest/ingest.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import type { FindingsStore } from '../../functions/store/findings-store.js';
import {
  INGEST_BATCH_SIZE,
  lambdaContext,
  sourceIdOfNotification,
  traceFiles,
  uploadObject,
} from '../support/ingest-harness.js';
import {
  LOCAL_REGION,
  type LocalS3,
  S3RVER_CREDENTIALS,
  sqsEvent,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SAMPLE_LOGS = join(ROOT, 'sample-logs');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'ingest');
/** The organisation's Get-AcceptedDomain export, uploaded where the handler looks for it. */
const ACCEPTED_DOMAINS = join(FIXTURES, 'accepted-domains.csv');
const BUCKET = 'relay-audit-test-bucket';
const TABLE = 'relay-audit-ingest-test';

/** The format each sample file must be detected as (independent of the engine's own answer). */
const EXPECTED_FORMAT: [RegExp, string][] = [
  [/^MSGTRK.*\.LOG$/i, 'exchange-tracking-log'],
  [/^tracking-export-.*\.csv$/, 'tracking-log-export'],
  [/^message-trace\.csv$/, 'message-trace'],
  [/^message-trace-detail\.csv$/, 'message-trace-detail'],
  [/^historical-search-summary\.csv$/, 'historical-search-summary'],
  [/^historical-search-extended\.csv$/, 'historical-search-extended'],
];

interface Upload {
  /** Path relative to the folder it came from. */
  file: string;
  path: string;
  key: string;
  /** The notification s3rver emitted for it. */
  notification: string;
}

let s3: LocalS3;
let dynamo: EmbeddedServer;
let store: FindingsStore;
let handler: (event: unknown, context: InvocationContext) => Promise<SQSBatchResponse>;
const uploads: Upload[] = [];

async function uploadFile(file: string, path: string, key: string): Promise<Upload> {
  return { file, path, key, notification: await uploadObject(s3, BUCKET, key, await readFile(path)) };
}

/** Delivers notifications in SQS batches of {@link INGEST_BATCH_SIZE}; returns the failed message bodies. */
async function deliver(bodies: readonly string[]): Promise<{ failed: string[]; events: SQSEvent[] }> {
  const failed: string[] = [];
  const events: SQSEvent[] = [];
  for (let i = 0; i < bodies.length; i += INGEST_BATCH_SIZE) {
    const event = sqsEvent(bodies.slice(i, i + INGEST_BATCH_SIZE));
    events.push(event);
    const response = await handler(event, lambdaContext());
    for (const failure of response.batchItemFailures) {
      const record = event.Records.find((r) => r.messageId === failure.itemIdentifier);
      failed.push(record?.body ?? failure.itemIdentifier);
    }
  }
  return { failed, events };
}

async function allFindings(): Promise<Finding[]> {
  const findings: Finding[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.queryFindings({ limit: 1000, cursor });
    findings.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return findings;
}

/** What analysing the file directly (no S3, no SQS, no store) gives: the reference for the handler. */
async function reference(
  path: string,
  name: string,
): Promise<{ record: SourceRecord; findingIds: string[] }> {
  const domains = parseAcceptedDomains(await readFile(ACCEPTED_DOMAINS, 'utf8'), 'accepted-domains.csv');
  const findingIds: string[] = [];
  const result = await analyze([{ name, sourceId: 'reference', open: () => createReadStream(path) }], {
    domains,
    sink: {
      putFindings: async (findings) => findingIds.push(...findings.map((finding) => finding.id)),
      putSource: async () => undefined,
    },
  });
  const record = result.sources[0];
  if (!record) throw new Error('no reference record');
  return { record, findingIds };
}

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  store = dynamo.store;
  // The handler's whole configuration: what the CDK stack sets, plus the local endpoints.
  vi.stubEnv('TABLE_NAME', TABLE);
  vi.stubEnv('BUCKET_NAME', BUCKET);
  vi.stubEnv('RETENTION_DAYS', '400');
  vi.stubEnv('ACCEPTED_DOMAINS', '');
  vi.stubEnv('AWS_REGION', LOCAL_REGION);
  vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
  vi.stubEnv('AWS_ENDPOINT_URL_S3', s3.endpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
  vi.stubEnv('S3_FORCE_PATH_STYLE', 'true');
  vi.stubEnv('LOG_LEVEL', process.env.TEST_LOG_LEVEL ?? 'silent');
  ({ handler } = await import('../../functions/ingest/handler.js'));

  // The organisation's accepted domains, where the stack's handler looks for them.
  await s3.client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'config/accepted-domains.csv',
      Body: await readFile(ACCEPTED_DOMAINS),
    }),
  );
  let files = (await traceFiles(SAMPLE_LOGS)).map((path) => ({ path, file: relative(SAMPLE_LOGS, path) }));
  if (files.length === 0) {
    // The sample set is written by another contributor; until it exists, use this test's own log.
    files = [{ path: join(FIXTURES, 'MSGTRK-fixture.LOG'), file: 'MSGTRK-fixture.LOG' }];
  }
  for (const [index, { path, file }] of files.entries()) {
    // One upload sits in a folder whose name needs URL encoding (space and plus), as real ones do.
    const folder = index === 0 ? 'EX01 exports+2026' : '2026-11-28';
    uploads.push(await uploadFile(file, path, `incoming/${folder}/${file}`));
  }
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([s3?.close(), dynamo?.close()]);
});

describe('ingest of every sample log', () => {
  let firstDelivery: { failed: string[] };
  let sourcesAfterFirst: Map<string, SourceRecord | undefined>;
  let findingsAfterFirst: Finding[];

  beforeAll(async () => {
    firstDelivery = await deliver(uploads.map((u) => u.notification));
    sourcesAfterFirst = new Map();
    for (const u of uploads)
      sourcesAfterFirst.set(u.key, await store.getSource(sourceIdOfNotification(BUCKET, u.notification)));
    findingsAfterFirst = await allFindings();
  }, 60_000);

  it('uploads a real sample set', () => {
    expect(uploads.length).toBeGreaterThanOrEqual(1);
    expect(uploads[0]?.key).toContain(' ');
    expect(uploads[0]?.key).toContain('+');
  });

  it('succeeds for every message', () => {
    expect(firstDelivery.failed).toEqual([]);
  });

  it('records each upload as done, with the format and row counts a direct analysis gives', async () => {
    for (const u of uploads) {
      // Prepare
      const expected = await reference(u.path, u.key);
      const format = EXPECTED_FORMAT.find(([pattern]) => pattern.test(u.file.split('/').pop() ?? ''))?.[1];
      // Act
      const record = sourcesAfterFirst.get(u.key);
      // Assess
      expect(record, u.key).toBeDefined();
      expect(record).toMatchObject({
        id: sourceIdOfNotification(BUCKET, u.notification),
        file: u.key,
        status: 'done',
        format: expected.record.format,
        rowsRead: expected.record.rowsRead,
        rowsAnalysed: expected.record.rowsAnalysed,
        rowsSkipped: expected.record.rowsSkipped,
        events: expected.record.events,
        rejections: expected.record.rejections,
        skippedByReason: expected.record.skippedByReason,
      });
      expect(forwardingMerged(record?.findingsByScenario), u.key).toEqual(
        forwardingMerged(expected.record.findingsByScenario),
      );
      expect(record?.rowsRead, u.key).toBeGreaterThan(0);
      expect(record?.bytes).toBe((await readFile(u.path)).length);
      if (format !== undefined) expect(record?.format, u.key).toBe(format);
    }
  });

  it("reads the year of syslog dates from the object's upload time (S3 LastModified)", () => {
    const postfix = uploads.find((u) => u.key.endsWith('postfix-mail.log'));
    expect(postfix).toBeDefined();
    const note = sourcesAfterFirst.get(postfix?.key ?? '')?.notes?.find((n) => n.code === 'SYSLOG_YEAR');
    // A PutObject without file-modified (as `aws s3 cp`): the upload's time, named as such.
    expect(note?.message).toMatch(/the year of the upload \(\d{4}-\d{2}-\d{2}: the object's LastModified/);
  });

  it('stores exactly the findings a direct analysis of each file finds', async () => {
    const expectedIds = new Set<string>();
    for (const u of uploads)
      for (const id of (await reference(u.path, u.key)).findingIds) expectedIds.add(id);
    expect(expectedIds.size).toBeGreaterThan(0);
    expect(new Set(findingsAfterFirst.map((finding) => finding.id))).toEqual(expectedIds);
    const sourceIds = new Set(uploads.map((u) => sourceIdOfNotification(BUCKET, u.notification)));
    for (const finding of findingsAfterFirst) expect(sourceIds).toContain(finding.source.sourceId);
    expect(new Set(findingsAfterFirst.map((finding) => finding.scenario)).size).toBeGreaterThanOrEqual(3);
  });

  it('does nothing on redelivery of the same notifications', async () => {
    // Act: SQS delivers every message again (at-least-once delivery, or a retried batch).
    const again = await deliver(uploads.map((u) => u.notification));
    // Assess: no failure, no second analysis (startedAt would change), the same findings.
    expect(again.failed).toEqual([]);
    for (const u of uploads) {
      expect(await store.getSource(sourceIdOfNotification(BUCKET, u.notification)), u.key).toEqual(
        sourcesAfterFirst.get(u.key),
      );
    }
    expect(await allFindings()).toEqual(findingsAfterFirst);
  });

  it('analyses a re-upload with new content as a new source', async () => {
    // Prepare: the same key, different bytes → a new eTag.
    const first = uploads.find((u) => /tracking-export-en-US/.test(u.file)) ?? uploads[0];
    if (!first) throw new Error('no upload');
    const original = await readFile(first.path, 'utf8');
    const shorter = original.split(/\r?\n/).slice(0, 6).join('\r\n');
    const notification = await uploadObject(s3, BUCKET, first.key, shorter);
    expect(sourceIdOfNotification(BUCKET, notification)).not.toBe(
      sourceIdOfNotification(BUCKET, first.notification),
    );
    // Act
    const { failed } = await deliver([notification]);
    // Assess
    expect(failed).toEqual([]);
    const record = await store.getSource(sourceIdOfNotification(BUCKET, notification));
    expect(record).toMatchObject({ status: 'done', file: first.key });
    expect(record?.rowsRead).toBeLessThan(sourcesAfterFirst.get(first.key)?.rowsRead ?? 0);
    expect(await store.getSource(sourceIdOfNotification(BUCKET, first.notification))).toEqual(
      sourcesAfterFirst.get(first.key),
    );
  });

  it('leaves an upload under re-analysis to the re-analysis (only it removes what the older classifier found)', async () => {
    // Prepare: a re-analysis of an analysed upload stopped mid-way (failed, to be retried by the
    // state machine), and S3 delivers the upload's notification once more.
    const upload = uploads.find((u) => /message-trace\.csv$/.test(u.file)) ?? uploads[0];
    if (!upload) throw new Error('no upload');
    const id = sourceIdOfNotification(BUCKET, upload.notification);
    const analysed = await store.getSource(id);
    if (!analysed) throw new Error('upload not analysed');
    const underReanalysis: SourceRecord = {
      ...analysed,
      status: 'failed',
      errorCode: 'STORE_FAILURE',
      errorMessage: 're-analysis interrupted',
      replacedVersion: 'older-classifier',
    };
    await store.putSource(underReanalysis);
    const findingsBefore = (await allFindings()).map((finding) => finding.id).sort();
    // Act
    const { failed } = await deliver([upload.notification]);
    // Assess: acknowledged, not analysed again: the record and the findings are as they were.
    expect(failed).toEqual([]);
    expect(await store.getSource(id)).toEqual(underReanalysis);
    expect((await allFindings()).map((finding) => finding.id).sort()).toEqual(findingsBefore);
    // Tidy: the upload as analysed, for the tests after this one.
    await store.putSource(analysed);
  });
});

/**
 * Per-scenario counts with forwarding and foreign-sender-domain as one: an upload analysed after
 * another may find one of its foreign-sender-domain refusals proven forwarding by the other's
 * receipt (the end-of-upload correlation), which a direct analysis of the file alone cannot.
 */
function forwardingMerged(counts: Partial<Record<string, number>> | undefined): Record<string, number> {
  const { forwarding = 0, 'foreign-sender-domain': foreign = 0, ...rest } = counts ?? {};
  return { ...rest, 'forwarding or foreign-sender-domain': forwarding + foreign } as Record<string, number>;
}

describe('a gzip-compressed upload', () => {
  it('is analysed like the plain file, and a damaged one is recorded as failed with BAD_ENCODING', async () => {
    const path = join(SAMPLE_LOGS, 'MSGTRK2026112800-2.LOG');
    const packed = gzipSync(await readFile(path));
    const notification = await uploadObject(
      s3,
      BUCKET,
      'incoming/2026-11-29/MSGTRK2026112800-2.LOG.gz',
      packed,
    );
    const damaged = await uploadObject(
      s3,
      BUCKET,
      'incoming/2026-11-29/MSGTRK2026112900-1.LOG.gz',
      packed.subarray(0, packed.length - 40),
    );
    const { failed } = await deliver([notification, damaged]);
    expect(failed).toEqual([]);
    const expected = await reference(path, 'MSGTRK2026112800-2.LOG');
    const record = await store.getSource(sourceIdOfNotification(BUCKET, notification));
    expect(record).toMatchObject({
      status: 'done',
      format: 'exchange-tracking-log',
      rowsRead: expected.record.rowsRead,
    });
    expect(forwardingMerged(record?.findingsByScenario)).toEqual(
      forwardingMerged(expected.record.findingsByScenario),
    );
    const stored = new Set((await allFindings()).map((finding) => finding.id));
    for (const id of expected.findingIds) expect(stored.has(id)).toBe(true);
    const broken = await store.getSource(sourceIdOfNotification(BUCKET, damaged));
    expect(broken).toMatchObject({ status: 'failed', errorCode: 'BAD_ENCODING' });
    expect(broken?.errorMessage).toMatch(
      /MSGTRK2026112900-1\.LOG\.gz is gzip-compressed, but its compressed data/,
    );
  });
});

describe('a file that cannot be analysed', () => {
  it('is recorded as failed with UNKNOWN_FORMAT and not retried', async () => {
    // Prepare
    const notification = await uploadObject(
      s3,
      BUCKET,
      'incoming/2026-11-28/mailbox-statistics.csv',
      await readFile(join(FIXTURES, 'unknown-format.csv')),
    );
    // Act
    const { failed } = await deliver([notification]);
    // Assess
    expect(failed).toEqual([]);
    const record = await store.getSource(sourceIdOfNotification(BUCKET, notification));
    expect(record).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(record?.errorMessage).toMatch(/mailbox-statistics\.csv/);

    // Act again: a redelivery does not analyse it a second time.
    const again = await deliver([notification]);
    expect(again.failed).toEqual([]);
    expect(await store.getSource(sourceIdOfNotification(BUCKET, notification))).toEqual(record);
  });

  it('is recorded as failed with NO_USABLE_ROWS when every row is skipped, and not retried', async () => {
    // An export made without -join: every list cell is "System.String[]", so no row can be read.
    const notification = await uploadObject(
      s3,
      BUCKET,
      'incoming/2026-11-29/string-array-export.csv',
      await readFile(join(ROOT, 'test', 'fixtures', 'real-world', 'string-array-export.csv')),
    );
    const { failed } = await deliver([notification]);
    expect(failed).toEqual([]);
    const record = await store.getSource(sourceIdOfNotification(BUCKET, notification));
    expect(record).toMatchObject({
      status: 'failed',
      errorCode: 'NO_USABLE_ROWS',
      rowsRead: 6,
      rowsAnalysed: 0,
    });
    // The two FAIL rows lost their status, the RECEIVE and SEND rows their lists.
    expect(record?.skippedByReason).toEqual({ SYSTEM_STRING_ARRAY: 4, STATUS_NOT_EXPORTED: 2 });
    expect(record?.errorMessage).toMatch(/string-array-export\.csv: all 6 of its rows had to be skipped/);
    // A finished file: a redelivery neither analyses it again nor asks SQS to retry.
    const again = await deliver([notification]);
    expect(again.failed).toEqual([]);
    expect(await store.getSource(sourceIdOfNotification(BUCKET, notification))).toEqual(record);
  });

  it('is recorded as failed with EMPTY_INPUT when it has a header and no rows', async () => {
    const notification = await uploadObject(
      s3,
      BUCKET,
      'incoming/2026-11-29/message-trace-empty-range.csv',
      await readFile(join(ROOT, 'test', 'fixtures', 'bad', 'header-only.csv')),
    );
    const { failed } = await deliver([notification]);
    expect(failed).toEqual([]);
    expect(await store.getSource(sourceIdOfNotification(BUCKET, notification))).toMatchObject({
      status: 'failed',
      errorCode: 'EMPTY_INPUT',
      format: 'message-trace',
    });
  });

  it('is recorded as failed with EMPTY_INPUT when it has no bytes', async () => {
    const notification = await uploadObject(s3, BUCKET, 'incoming/2026-11-28/empty.csv', '');
    const { failed } = await deliver([notification]);
    expect(failed).toEqual([]);
    expect(await store.getSource(sourceIdOfNotification(BUCKET, notification))).toMatchObject({
      status: 'failed',
      errorCode: 'EMPTY_INPUT',
    });
  });
});

describe('messages that are not uploads', () => {
  it('ignores the s3:TestEvent S3 sends when the notification is configured', async () => {
    const testEvent = JSON.stringify({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: new Date().toISOString(),
      Bucket: BUCKET,
      RequestId: 'ABC',
      HostId: 'xyz',
    });
    expect((await deliver([testEvent])).failed).toEqual([]);
  });

  it('skips folder placeholders and keys outside incoming/', async () => {
    const folder = await uploadObject(s3, BUCKET, 'incoming/new folder/', '');
    const config = await uploadObject(s3, BUCKET, 'config/other.csv', 'x');
    expect((await deliver([folder, config])).failed).toEqual([]);
    expect(await store.getSource(sourceIdOfNotification(BUCKET, folder))).toBeUndefined();
    expect(await store.getSource(sourceIdOfNotification(BUCKET, config))).toBeUndefined();
  });

  it('sends a body that is not an S3 notification on towards the dead-letter queue', async () => {
    const { failed } = await deliver(['{"hello":"world"}', 'not json']);
    expect(failed).toEqual(['{"hello":"world"}', 'not json']);
  });

  it('fails the whole invocation for an event that is not from SQS', async () => {
    await expect(handler({ detail: {} }, lambdaContext())).rejects.toThrow(/not an SQS event/);
  });
});
