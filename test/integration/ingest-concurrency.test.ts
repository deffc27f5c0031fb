/**
 * Concurrent deliveries of one S3 event (SQS delivers at least once; a notification can reach
 * several Lambda containers at the same moment), on the real ingest handler and local engines:
 * s3rver and dynalite. Exactly one delivery takes the lease on the source record and reads the
 * object; the others back off (their message is returned) and, redelivered once it is done, are
 * acknowledged without reading anything. A `processing` record whose lease ran out (a killed
 * attempt) is shown as interrupted and replaced by the next delivery.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { isInterrupted, newSourceRecord } from '../../functions/core/analysis/model/source-record.js';
import type { IngestHandler } from '../../functions/ingest/ingest.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/findings-store.js';
import { lambdaContext, sourceIdOfNotification, uploadObject } from '../support/ingest-harness.js';
import {
  type LocalS3,
  localFunctionEnvironment,
  sqsEvent,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SAMPLE = join(ROOT, 'test', 'fixtures', 'ingest', 'MSGTRK-fixture.LOG');
const BUCKET = 'relay-audit-concurrency-bucket';
const TABLE = 'relay-audit-concurrency-test';
const DELIVERIES = 5;

let s3: LocalS3;
let dynamo: EmbeddedServer;
let containers: IngestHandler[];

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  const environment = localFunctionEnvironment(
    { table: TABLE, bucket: BUCKET, s3, dynamo },
    {
      ACCEPTED_DOMAINS: 'contoso.com,corp.contoso.com,fabrikam-group.com',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    },
  );
  // The SDK reads endpoints and credentials from process.env when it builds its clients.
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  const { createHandlerFromEnvironment } = await import('../../functions/ingest/handler.js');
  // One container per delivery, as Lambda runs concurrent invocations.
  containers = Array.from({ length: DELIVERIES }, () => createHandlerFromEnvironment(environment));
}, 60_000);

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([s3?.close(), dynamo?.close()]);
});

/** Watches (without changing) the object reads and the findings written. */
function watch(key: string): { reads: () => number; findingWrites: () => Map<string, number> } {
  const send = vi.spyOn(S3Client.prototype, 'send');
  const putFindings = vi.spyOn(FindingsStore.prototype, 'putFindings');
  return {
    reads: () =>
      send.mock.calls.filter(([command]) => command instanceof GetObjectCommand && command.input.Key === key)
        .length,
    findingWrites: () => {
      const counts = new Map<string, number>();
      for (const [findings] of putFindings.mock.calls) {
        for (const finding of findings as readonly Finding[])
          counts.set(finding.id, (counts.get(finding.id) ?? 0) + 1);
      }
      return counts;
    },
  };
}

describe('concurrent deliveries of one upload', () => {
  it('analyse it once: one reads the object and writes each finding once, the others back off', async () => {
    const key = 'incoming/concurrent/MSGTRK20261201-1.LOG';
    const notification = await uploadObject(s3, BUCKET, key, await readFile(SAMPLE));
    const id = sourceIdOfNotification(BUCKET, notification);
    const watched = watch(key);

    const events = containers.map(() => sqsEvent([notification]));
    const responses = await Promise.all(containers.map((handler, i) => handler(events[i], lambdaContext())));

    expect(watched.reads()).toBe(1);
    const writes = watched.findingWrites();
    expect(writes.size).toBeGreaterThan(0);
    expect([...writes.values()].every((count) => count === 1)).toBe(true);
    // One acknowledged, four returned to the queue while the first held the lease.
    const returned = responses.filter((response) => response.batchItemFailures.length > 0);
    expect(returned).toHaveLength(DELIVERIES - 1);
    const record = await dynamo.store.getSource(id);
    expect(record).toMatchObject({ status: 'done' });
    expect(record?.lease?.owner).toMatch(/^test-request\//);

    // SQS brings the returned messages back: the upload is done, so they are acknowledged unread.
    const again = await Promise.all(
      returned.map((_, i) => containers[i]?.(sqsEvent([notification]), lambdaContext())),
    );
    expect(again.map((response) => response?.batchItemFailures)).toEqual(returned.map(() => []));
    expect(watched.reads()).toBe(1);
    expect([...watched.findingWrites().values()].every((count) => count === 1)).toBe(true);
  });

  it('replaces a processing record whose lease ran out (a killed attempt), shown as interrupted', async () => {
    const key = 'incoming/killed/MSGTRK20261202-1.LOG';
    const notification = await uploadObject(s3, BUCKET, key, await readFile(SAMPLE));
    const id = sourceIdOfNotification(BUCKET, notification);
    // What a container killed mid-analysis leaves: `processing`, its lease run out a minute ago.
    const killed = {
      ...newSourceRecord(id, key, new Date(Date.now() - 16 * 60_000)),
      lease: { owner: 'killed-request/1', expiresAt: new Date(Date.now() - 60_000).toISOString() },
    };
    await dynamo.store.putSource(killed);
    expect(isInterrupted((await dynamo.store.getSource(id)) ?? killed)).toBe(true);

    const response = await containers[0]?.(sqsEvent([notification]), lambdaContext());
    expect(response?.batchItemFailures).toEqual([]);
    const record = await dynamo.store.getSource(id);
    expect(record).toMatchObject({ status: 'done' });
    expect(record?.lease?.owner).not.toBe('killed-request/1');
    // The killed attempt, had it woken up, could no longer overwrite the outcome.
    await expect(dynamo.store.putSource(killed, { leaseOwner: 'killed-request/1' })).rejects.toMatchObject({
      code: 'STORE_FAILURE',
      name: 'SourceLeaseLostError',
    });
    expect(await dynamo.store.getSource(id)).toMatchObject({ status: 'done' });
  });

  it('backs off while another attempt’s lease is live, without reading the object', async () => {
    const key = 'incoming/busy/MSGTRK20261203-1.LOG';
    const notification = await uploadObject(s3, BUCKET, key, await readFile(SAMPLE));
    const id = sourceIdOfNotification(BUCKET, notification);
    await dynamo.store.putSource({
      ...newSourceRecord(id, key, new Date()),
      lease: { owner: 'busy-request/1', expiresAt: new Date(Date.now() + 600_000).toISOString() },
    });
    const watched = watch(key);
    const event = sqsEvent([notification]);
    const response = await containers[0]?.(event, lambdaContext());
    expect(response?.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(watched.reads()).toBe(0);
    expect(await dynamo.store.getSource(id)).toMatchObject({
      status: 'processing',
      lease: { owner: 'busy-request/1' },
    });
  });
});
