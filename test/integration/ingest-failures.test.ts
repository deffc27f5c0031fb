/**
 * How the ingest handler treats failures, on the same local engines: transient ones (S3 or
 * DynamoDB unreachable, a stream cut mid-object, the Lambda deadline) are reported as batch item
 * failures so SQS retries them — and the retry analyses the object — while the accepted-domains
 * source falls back and caches as documented.
 */

import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
import { AcceptedDomainList, InferredDomains } from '../../functions/core/organisation/accepted-domains.js';
import { DomainSource } from '../../functions/ingest/domain-source.js';
import {
  createIngestHandler,
  type IngestDependencies,
  type IngestStore,
  type InvocationContext,
} from '../../functions/ingest/ingest.js';
import { openObject } from '../../functions/ingest/object-reader.js';
import type { S3ObjectRef } from '../../functions/ingest/s3-event.js';
import { createLogger } from '../../functions/runtime/logger.js';
import type { EmbeddedStore } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/findings-store.js';
import { StoreWriteError } from '../../functions/store/store-errors.js';
import { sourceId } from '../../functions/store/table-design.js';
import {
  asS3WouldSend,
  LOCAL_REGION,
  type LocalS3,
  S3RVER_CREDENTIALS,
  sqsEvent,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUCKET = 'relay-audit-failures-bucket';
/** A tracking log with relay rejections, owned by these tests (see test/fixtures/ingest/README.md). */
const SAMPLE = join(ROOT, 'test', 'fixtures', 'ingest', 'MSGTRK-fixture.LOG');

let s3: LocalS3;
let dynamo: EmbeddedStore;
let deadEndpoint: string;
let sample: Buffer;
const silent = createLogger('test', 'silent');

/** A loopback port nothing listens on: connections are refused, like an unreachable endpoint. */
async function unusedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

function s3Client(endpoint: string): S3Client {
  return new S3Client({
    region: LOCAL_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function storeAt(endpoint: string): FindingsStore {
  const client = new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return new FindingsStore({ client, tableName: dynamo.tableName, retry: { maxAttempts: 1 } });
}

/** A handler on the local engines; any dependency can be swapped for a failing one. */
function handlerWith(overrides: Partial<IngestDependencies> = {}) {
  const client = s3Client(s3.endpoint);
  const domains = new DomainSource({ s3: client, bucket: BUCKET });
  return createIngestHandler({
    store: dynamo.store,
    openObject: (ref) => openObject(client, ref),
    resolveDomains: () => domains.resolve(),
    logger: silent,
    ...overrides,
  });
}

function context(remaining: () => number = () => 300_000): InvocationContext {
  return { awsRequestId: 'test', getRemainingTimeInMillis: remaining };
}

async function upload(key: string, body: Buffer): Promise<{ body: string; id: string }> {
  await s3.client.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: body.length }),
  );
  const notification = asS3WouldSend(s3.lastNotificationFor(key));
  const eTag = notification.Records[0]?.s3.object.eTag ?? '';
  return { body: JSON.stringify(notification), id: sourceId(`s3://${BUCKET}/${key}#etag:${eTag}`) };
}

beforeAll(async () => {
  [s3, dynamo, deadEndpoint] = await Promise.all([
    startLocalS3([BUCKET]),
    startLocalDynamo(),
    unusedEndpoint(),
  ]);
  sample = await readFile(SAMPLE);
}, 60_000);

afterAll(async () => {
  await Promise.all([s3?.close(), dynamo?.close()]);
});

describe('transient failures are retried', () => {
  it('reports the message when S3 is unreachable, and analyses it on redelivery', async () => {
    // Prepare
    const { body, id } = await upload('incoming/s3-down/MSGTRK.LOG', sample);
    const event = sqsEvent([body]);
    const broken = s3Client(deadEndpoint);
    // Act
    const response = await handlerWith({
      openObject: (ref) => openObject(broken, ref),
      resolveDomains: () => new DomainSource({ s3: broken, bucket: BUCKET }).resolve(),
    })(event, context());
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(await dynamo.store.getSource(id)).toBeUndefined();
    // Act: SQS redelivers after the visibility timeout, S3 is back.
    const retried = await handlerWith()(event, context());
    expect(retried.batchItemFailures).toEqual([]);
    expect(await dynamo.store.getSource(id)).toMatchObject({ status: 'done' });
  });

  it('reports the message when DynamoDB is unreachable', async () => {
    const { body, id } = await upload('incoming/ddb-down/MSGTRK.LOG', sample);
    const event = sqsEvent([body]);
    const response = await handlerWith({ store: storeAt(deadEndpoint) })(event, context());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(await dynamo.store.getSource(id)).toBeUndefined();
  });

  it('records a stream cut mid-object as READ_FAILURE, retries it, and analyses it again', async () => {
    // Prepare: the body delivers some bytes, then the connection resets.
    const { body, id } = await upload('incoming/reset/MSGTRK.LOG', sample);
    const event = sqsEvent([body]);
    const client = s3Client(s3.endpoint);
    const cutOff = async (ref: S3ObjectRef) => {
      const real = await openObject(client, ref);
      async function* partial(): AsyncGenerator<Uint8Array> {
        yield sample.subarray(0, Math.floor(sample.length / 2));
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      real.close();
      return { body: partial(), size: sample.length, close: () => undefined };
    };
    // Act
    const response = await handlerWith({ openObject: cutOff })(event, context());
    // Assess
    expect(response.batchItemFailures).toHaveLength(1);
    expect(await dynamo.store.getSource(id)).toMatchObject({ status: 'failed', errorCode: 'READ_FAILURE' });
    // Act: redelivery with a healthy connection re-analyses the retryable failure.
    expect((await handlerWith()(event, context())).batchItemFailures).toEqual([]);
    expect(await dynamo.store.getSource(id)).toMatchObject({ status: 'done' });
  });

  it('records a failed write of findings as STORE_FAILURE (not processing forever) and retries it', async () => {
    const { body, id } = await upload('incoming/store-fails/MSGTRK.LOG', sample);
    const event = sqsEvent([body]);
    // The table takes the source record but not the findings (throttled past every retry).
    const failingFindings: IngestStore = {
      getSource: (sourceId) => dynamo.store.getSource(sourceId),
      putSource: (record, options) => dynamo.store.putSource(record, options),
      claimSource: (record, previous) => dynamo.store.claimSource(record, previous),
      putFindings: async (findings) => {
        throw new StoreWriteError('BatchWriteItem: throttled after 8 attempts', {
          notWritten: findings.length,
          attempted: findings.length,
        });
      },
    };
    const response = await handlerWith({ store: failingFindings })(event, context());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    const failed = await dynamo.store.getSource(id);
    expect(failed).toMatchObject({ status: 'failed', errorCode: ErrorCode.StoreFailure });
    expect(failed?.errorMessage).toMatch(/throttled after 8 attempts/);
    // The redelivery, with a healthy table, analyses it again.
    expect((await handlerWith()(event, context())).batchItemFailures).toEqual([]);
    expect(await dynamo.store.getSource(id)).toMatchObject({ status: 'done' });
  });

  it('passes over a notification whose object was deleted in the meantime', async () => {
    const { body, id } = await upload('incoming/deleted/MSGTRK.LOG', sample);
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'incoming/deleted/MSGTRK.LOG' }));
    expect((await handlerWith()(sqsEvent([body]), context())).batchItemFailures).toEqual([]);
    // Claimed before the read, so recorded: not `processing` under a lease nobody will finish.
    expect(await dynamo.store.getSource(id)).toMatchObject({
      status: 'failed',
      errorCode: ErrorCode.StaleObject,
    });
  });

  it('analyses the same bytes put back under the key after a delivery found the object deleted (a bucket without versions)', async () => {
    // Prepare: the object is deleted before its notification is processed, which records STALE_OBJECT.
    const key = 'incoming/put-back/MSGTRK.LOG';
    const { body, id } = await upload(key, sample);
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    await handlerWith()(sqsEvent([body]), context());
    expect(await dynamo.store.getSource(id)).toMatchObject({ errorCode: ErrorCode.StaleObject });

    // Act: the same bytes are uploaded again; without versions they have the same identity (key and ETag).
    const again = await upload(key, sample);
    expect(again.id).toBe(id);
    const response = await handlerWith()(sqsEvent([again.body]), context());

    // Assess: read this time, not passed over as "already failed permanently".
    expect(response.batchItemFailures).toEqual([]);
    const record = await dynamo.store.getSource(id);
    expect(record).toMatchObject({ status: 'done' });
    expect(record?.rowsAnalysed).toBeGreaterThan(0);
  });
});

describe('the correlation after the analysis', () => {
  it('runs while the record still says processing; the record says done once it is over', async () => {
    const { body, id } = await upload('incoming/correlated/MSGTRK.LOG', sample);
    let during: string | undefined;

    const response = await handlerWith({
      correlateRun: async () => {
        during = (await dynamo.store.getSource(id))?.status;
        return { ownReclassified: [], earlierReclassified: 0, complete: true };
      },
    })(sqsEvent([body]), context());

    expect(response.batchItemFailures).toEqual([]);
    expect(during).toBe('processing');
    expect(await dynamo.store.getSource(id)).toMatchObject({ status: 'done' });
  });

  it('that fails leaves the record done (the file was analysed) and the message retried', async () => {
    const { body, id } = await upload('incoming/correlation-fails/MSGTRK.LOG', sample);
    const event = sqsEvent([body]);

    const response = await handlerWith({
      correlateRun: () =>
        Promise.reject(new StoreWriteError('the store went away', { notWritten: 1, attempted: 1 })),
    })(event, context());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(await dynamo.store.getSource(id)).toMatchObject({ status: 'done' });
  });
});

describe('the Lambda deadline', () => {
  it('leaves messages it has no time to start for redelivery', async () => {
    const { body, id } = await upload('incoming/late/MSGTRK.LOG', sample);
    const event = sqsEvent([body]);
    const response = await handlerWith()(
      event,
      context(() => 10_000),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(await dynamo.store.getSource(id)).toBeUndefined();
  });

  it('stops an analysis before the deadline at a resume point; the redelivery goes on from there', async () => {
    // Prepare: the object arrives in small chunks; plenty of time when the message starts, and
    // 20 s left after a few chunks.
    const { body, id } = await upload('incoming/slow/MSGTRK.LOG', sample);
    const event = sqsEvent([body]);
    const client = s3Client(s3.endpoint);
    const smallChunks = async (ref: S3ObjectRef) => {
      const real = await openObject(client, ref);
      async function* rechunk(): AsyncGenerator<Uint8Array> {
        for await (const chunk of real.body) {
          for (let at = 0; at < chunk.length; at += 512) yield chunk.subarray(at, at + 512);
        }
      }
      return { ...real, body: rechunk() };
    };
    let calls = 0;
    const remaining = () => (++calls <= 5 ? 300_000 : 20_000);
    // Act
    const response = await handlerWith({ openObject: smallChunks })(event, context(remaining));
    // Assess
    expect(response.batchItemFailures).toHaveLength(1);
    const unfinished = await dynamo.store.getSource(id);
    // Without a queue to send a continuation to, SQS's redelivery is the continuation.
    expect(unfinished).toMatchObject({ status: 'processing', resume: { continuations: 0 } });
    expect(unfinished?.errorCode).toBeUndefined();
    expect(Date.parse(unfinished?.lease?.expiresAt ?? '')).toBeLessThanOrEqual(Date.now());
    // Act: the redelivery has time and finishes the job from the resume point.
    expect((await handlerWith()(event, context())).batchItemFailures).toEqual([]);
    const done = await dynamo.store.getSource(id);
    expect(done).toMatchObject({ status: 'done' });
    expect(done?.resume).toBeUndefined();
    expect(done?.rowsRead).toBeGreaterThan(unfinished?.rowsRead ?? 0);
    expect(done?.startedAt).toBe(unfinished?.startedAt);
  });
});

describe('accepted domains', () => {
  it('prefers config/accepted-domains.csv, caches it for five minutes, then reloads it', async () => {
    // Prepare
    await s3.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'config/accepted-domains.csv', Body: 'contoso.com\n' }),
    );
    const client = s3Client(s3.endpoint);
    const send = vi.spyOn(client, 'send');
    let now = 0;
    const source = new DomainSource({
      s3: client,
      bucket: BUCKET,
      fallbackList: 'fabrikam.com',
      now: () => now,
    });
    // Act + Assess
    const first = await source.resolve();
    expect(first.oracle.domains()).toEqual(['contoso.com']);
    expect(first.origin).toBe(`s3://${BUCKET}/config/accepted-domains.csv`);
    now += 4 * 60_000;
    await source.resolve();
    expect(send).toHaveBeenCalledTimes(1);
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'config/accepted-domains.csv',
        Body: 'contoso.com,tailspintoys.com',
      }),
    );
    now += 60_000;
    expect((await source.resolve()).oracle.domains()).toEqual(['contoso.com', 'tailspintoys.com']);
    expect(send).toHaveBeenCalledTimes(2);
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'config/accepted-domains.csv' }));
  });

  it('falls back to ACCEPTED_DOMAINS, then to inferring them from the traffic', async () => {
    const client = s3Client(s3.endpoint);
    const fromEnv = await new DomainSource({
      s3: client,
      bucket: BUCKET,
      fallbackList: 'fabrikam.com',
    }).resolve();
    expect(fromEnv.oracle).toBeInstanceOf(AcceptedDomainList);
    expect(fromEnv.oracle.domains()).toEqual(['fabrikam.com']);
    const inferred = await new DomainSource({ s3: client, bucket: BUCKET }).resolve();
    expect(inferred.oracle).toBeInstanceOf(InferredDomains);
  });

  it('fails the upload, not retried, rather than analysing with a broken accepted-domains file', async () => {
    // Prepare
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'config/accepted-domains.csv',
        Body: 'contoso.com, not a domain!',
      }),
    );
    const { body, id } = await upload('incoming/bad-config/MSGTRK.LOG', sample);
    // Act
    const response = await handlerWith()(sqsEvent([body]), context());
    // Assess: a new file fixes it, not a redelivery (see ingest-invalid-accepted-domains.test.ts).
    expect(response.batchItemFailures).toHaveLength(0);
    expect(await dynamo.store.getSource(id)).toMatchObject({
      status: 'failed',
      errorCode: ErrorCode.InvalidConfig,
      errorMessage: expect.stringContaining('"not" is not a domain name'),
    });
    expect(await dynamo.store.queryFindings({ sourceId: id, limit: 10 })).toMatchObject({ items: [] });
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'config/accepted-domains.csv' }));
  });
});
