/**
 * Driving the ingest Lambda the way the cloud does, for end-to-end tests: upload to s3rver, take
 * the notification it emits, encode it as S3 would, wrap it in SQS batches, invoke the handler.
 * (The same steps as test/integration/ingest.test.ts, shared here for the API end-to-end test.)
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import type { InvocationContext } from '../../functions/ingest/ingest.js';
import { sourceId } from '../../functions/store/table-design.js';
import { asS3WouldSend, type LocalS3, sqsEvent } from './local-engines.js';

/** Messages per invocation, as the stack's event source mapping delivers them. */
export const INGEST_BATCH_SIZE = 5;

export type IngestLambda = (event: unknown, context: InvocationContext) => Promise<SQSBatchResponse>;

/** A Lambda context with plenty of time left. */
export function lambdaContext(remainingMs = 300_000): InvocationContext {
  return { awsRequestId: 'test-request', getRemainingTimeInMillis: () => remainingMs };
}

/** Every trace file under `dir`, recursively, minus `config/`, README files and dot-files; sorted. */
export async function traceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => {
      const rel = relative(dir, path);
      return (
        !rel.startsWith('config/') &&
        !/readme\.md$/i.test(rel) &&
        !rel.split('/').some((part) => part.startsWith('.'))
      );
    })
    .sort();
}

/** Uploads `body` to `key` and returns the notification body SQS would carry for it. */
export async function uploadObject(
  s3: LocalS3,
  bucket: string,
  key: string,
  body: Buffer | string,
): Promise<string> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  await s3.client.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.length }),
  );
  return JSON.stringify(asS3WouldSend(s3.lastNotificationFor(key)));
}

/** Delivers notification bodies in SQS batches; returns the bodies the handler asked to retry. */
export async function deliverInBatches(
  handler: IngestLambda,
  bodies: readonly string[],
  batchSize = INGEST_BATCH_SIZE,
): Promise<string[]> {
  const failed: string[] = [];
  for (let i = 0; i < bodies.length; i += batchSize) {
    const event = sqsEvent(bodies.slice(i, i + batchSize));
    const response = await handler(event, lambdaContext());
    for (const failure of response.batchItemFailures) {
      failed.push(
        event.Records.find((r) => r.messageId === failure.itemIdentifier)?.body ?? failure.itemIdentifier,
      );
    }
  }
  return failed;
}

/** The source id the ingest handler derives from an upload's identity (bucket, decoded key, eTag). */
export function sourceIdOfNotification(bucket: string, notification: string): string {
  const record = (
    JSON.parse(notification) as { Records: { s3: { object: { key: string; eTag: string } } }[] }
  ).Records[0];
  if (!record) throw new Error('empty notification');
  const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
  return sourceId(`s3://${bucket}/${key}#etag:${record.s3.object.eTag}`);
}
