/**
 * Real local engines for integration tests: s3rver (an S3-compatible server that also emits the
 * S3 event notification of every upload) and dynalite through the store's own embedded launcher.
 * Both listen on loopback with an OS-chosen port and keep their data in a temp dir or memory.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { type EmbeddedServer, startEmbeddedStore } from '../../functions/store/embedded-engine.js';

/** Credentials s3rver's built-in account accepts. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_REGION = 'us-east-1';

/** One record of an S3 event notification (the shape S3 — and s3rver — emit). */
export interface S3NotificationRecord {
  eventSource: string;
  eventName: string;
  s3: {
    bucket: { name: string; arn?: string };
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer?: string };
  };
  [field: string]: unknown;
}

/** An S3 event notification: `{ Records: [...] }`. */
export interface S3Notification {
  Records: S3NotificationRecord[];
}

/** The parts of s3rver 3 the tests use (the package ships no types). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(event: 'event', listener: (notification: S3Notification) => void): void;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  allowMismatchedSignatures: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const require = createRequire(import.meta.url);

export interface LocalS3 {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A client for the test's own uploads (path-style, local credentials). */
  client: S3Client;
  /** Every notification s3rver emitted, oldest first. */
  notifications: S3Notification[];
  /** The notification of the most recent upload of `key` (throws if there is none). */
  lastNotificationFor(key: string): S3Notification;
  close(): Promise<void>;
}

/** Starts s3rver on a loopback port with `buckets` created, recording its event notifications. */
export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'relay-audit-s3rver-'));
  const S3rver = require('s3rver') as S3rverConstructor;
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    // Signature checks are not what these tests are about (s3rver's SigV4 support is partial).
    allowMismatchedSignatures: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const notifications: S3Notification[] = [];
  server.on('event', (notification) => notifications.push(notification));
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({
    region: LOCAL_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    // s3rver predates flexible checksums; only send them when an operation requires one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    notifications,
    lastNotificationFor(key) {
      const found = notifications.findLast((notification) =>
        notification.Records.some((record) => record.s3.object.key === key),
      );
      if (!found) throw new Error(`s3rver emitted no notification for ${key}`);
      return found;
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * A function's environment pointing at the local engines: what the CDK stack sets (table, bucket)
 * plus the endpoints, region and credentials the AWS SDK reads from `process.env`. `extra` adds or
 * overrides variables (RETENTION_DAYS, LOG_LEVEL…).
 */
export function localFunctionEnvironment(
  engines: { table: string; bucket: string; s3: LocalS3; dynamo: EmbeddedServer },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    TABLE_NAME: engines.table,
    BUCKET_NAME: engines.bucket,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: engines.s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: engines.dynamo.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

/** dynalite in memory with the findings table created from the key design. */
export function startLocalDynamo(tableName = 'relay-audit-test'): Promise<EmbeddedServer> {
  return startEmbeddedStore({ inMemory: true, tableName, listen: true });
}

/**
 * S3 URL-encodes object keys in notifications (a space becomes `+`, `+` becomes `%2B`); s3rver
 * sends them raw. Applying S3's encoding makes the notification exactly what S3 would deliver.
 */
export function encodeS3NotificationKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** The notification as S3 would send it: keys URL-encoded. */
export function asS3WouldSend(notification: S3Notification): S3Notification {
  return {
    Records: notification.Records.map((record) => ({
      ...record,
      s3: {
        ...record.s3,
        object: { ...record.s3.object, key: encodeS3NotificationKey(record.s3.object.key) },
      },
    })),
  };
}

/** Wraps message bodies as the SQS event source mapping delivers them to Lambda. */
export function sqsEvent(bodies: readonly string[], queueName = 'relay-audit-ingest'): SQSEvent {
  const now = String(Date.now());
  return {
    Records: bodies.map(
      (body): SQSRecord => ({
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'AIDAIENQZJOLO23YVJ4VO',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:000000000000:${queueName}`,
        awsRegion: LOCAL_REGION,
      }),
    ),
  };
}
