/**
 * What an operator gets from ingest, on the local engines (s3rver, dynalite) with the real handler:
 * one Powertools embedded-metric-format document per upload and invocation (bytes, rows, findings,
 * seconds, resumptions, DynamoDB retries) whose sums are the upload's own totals, with only the
 * service and function as dimensions, and structured log lines that name the upload's source id.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateTrackingLog } from '../../bench/generate-tracking-log.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { createHandlerFromEnvironment } from '../../functions/ingest/handler.js';
import { createIngestHandler } from '../../functions/ingest/ingest.js';
import { objectOpener } from '../../functions/ingest/object-reader.js';
import { SERVICE_NAMES, UPLOAD_METRICS } from '../../functions/runtime/observability-names.js';
import { powertools } from '../../functions/runtime/powertools.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { createRemoteStore, type StoreHandle } from '../../functions/store/remote-store.js';
import { countRetries } from '../../functions/store/request-retries.js';
import { deadlineContext, drainQueue } from '../support/continuations.js';
import { lambdaContext, sourceIdOfNotification, uploadObject } from '../support/ingest-harness.js';
import { captureJsonLines } from '../support/json-lines.js';
import {
  LOCAL_REGION,
  type LocalS3,
  localFunctionEnvironment,
  sqsEvent,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';
import { printMetrics } from '../support/quiet-metrics.js';

const BUCKET = 'relay-audit-metrics-bucket';
const TABLE = 'relay-audit-metrics-test';
const FUNCTION_NAME = 'relay-audit-ingest-metrics-test';
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'ingest', 'MSGTRK-fixture.LOG');

let s3: LocalS3;
let dynamo: EmbeddedServer;
let environment: Record<string, string>;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  environment = localFunctionEnvironment(
    { table: TABLE, bucket: BUCKET, s3, dynamo },
    { RETENTION_DAYS: '400', LOG_LEVEL: 'info', AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME },
  );
  // The SDK reads endpoints and credentials from process.env when it builds its clients.
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  printMetrics();
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([s3?.close(), dynamo?.close()]);
});

type Document = Record<string, unknown>;

/** The upload metrics documents among `lines` (those with `UploadSeconds`), for one source id. */
function uploadDocuments(lines: Document[], sourceId: string): Document[] {
  return lines.filter((line) => '_aws' in line && line.sourceId === sourceId);
}

/** A metric's sum over the documents. */
function sum(documents: Document[], metric: string): number {
  return documents.reduce((total, document) => total + Number(document[metric]), 0);
}

function findingsOf(record: SourceRecord | undefined): number {
  return Object.values(record?.findingsByScenario ?? {}).reduce((total, n) => total + (n ?? 0), 0);
}

describe('the ingest function', () => {
  it('emits one metrics document for an upload, its values those of the stored source record', async () => {
    // Prepare
    const notification = await uploadObject(
      s3,
      BUCKET,
      'incoming/ex01/MSGTRK-fixture.LOG',
      readFileSync(FIXTURE),
    );
    const id = sourceIdOfNotification(BUCKET, notification);
    const handler = createHandlerFromEnvironment(environment);
    // Act
    const { result, lines } = await captureJsonLines(() =>
      handler(sqsEvent([notification]), lambdaContext()),
    );
    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const record = await dynamo.store.getSource(id);
    expect(record).toMatchObject({ status: 'done' });
    const documents = uploadDocuments(lines, id);
    expect(documents).toHaveLength(1);
    const [document] = documents as [Document];
    expect(document._aws).toEqual({
      Timestamp: expect.any(Number),
      CloudWatchMetrics: [
        {
          Namespace: 'RelayAudit',
          // Few dimensions: the upload's id, key and format are metadata, not dimensions.
          Dimensions: [['service', 'FunctionName']],
          Metrics: expect.arrayContaining([
            { Name: UPLOAD_METRICS.bytes, Unit: 'Bytes' },
            { Name: UPLOAD_METRICS.rows, Unit: 'Count' },
            { Name: UPLOAD_METRICS.findings, Unit: 'Count' },
            { Name: UPLOAD_METRICS.seconds, Unit: 'Seconds' },
            { Name: UPLOAD_METRICS.resumptions, Unit: 'Count' },
            { Name: UPLOAD_METRICS.retries, Unit: 'Count' },
          ]),
        },
      ],
    });
    expect(document).toMatchObject({
      service: SERVICE_NAMES.ingest,
      FunctionName: FUNCTION_NAME,
      key: 'incoming/ex01/MSGTRK-fixture.LOG',
      format: 'exchange-tracking-log',
      outcome: 'analysed',
      [UPLOAD_METRICS.bytes]: record?.bytes,
      [UPLOAD_METRICS.rows]: record?.rowsRead,
      [UPLOAD_METRICS.findings]: findingsOf(record),
      [UPLOAD_METRICS.resumptions]: 0,
      // dynalite never throttles: no request was sent twice.
      [UPLOAD_METRICS.retries]: 0,
    });
    expect(record?.rowsRead).toBeGreaterThan(0);
    expect(findingsOf(record)).toBeGreaterThan(0);
    expect(document[UPLOAD_METRICS.seconds]).toBeGreaterThan(0);
    // The log lines: Powertools' structured entries, the upload named by its source id.
    const logged = lines.filter((line) => !('_aws' in line));
    expect(logged.find((line) => line.message === 'analysing')).toMatchObject({
      level: 'INFO',
      service: SERVICE_NAMES.ingest,
      sourceId: id,
      key: 'incoming/ex01/MSGTRK-fixture.LOG',
      requestId: 'test-request',
    });
    expect(logged.find((line) => line.message === 'analysed')).toMatchObject({
      sourceId: id,
      rowsRead: record?.rowsRead,
    });
  });

  it('sums to the upload’s totals over continuations, counting resumptions and throttling retries', async () => {
    // Prepare: a store whose first BatchWriteItem attempts are throttled (dynalite cannot be made to).
    const handle: StoreHandle = createRemoteStore({
      tableName: TABLE,
      endpoint: dynamo.endpoint,
      region: LOCAL_REGION,
    });
    let throttles = 3;
    handle.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchWriteItemCommand' && throttles > 0) {
          throttles -= 1;
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput (injected)'), {
            name: 'ThrottlingException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      // Inside the SDK's retry loop, as a real throttled response would be.
      { step: 'finalizeRequest', priority: 'low', name: 'injectedThrottling' },
    );
    const retries = countRetries(handle.client);
    const queue: string[] = [];
    const { logger, metrics } = powertools(
      SERVICE_NAMES.ingest,
      (process.env.TEST_LOG_LEVEL as 'silent' | undefined) ?? 'silent',
      environment,
    );
    const handler = createIngestHandler({
      store: handle.store,
      openObject: objectOpener(s3.client),
      resolveDomains: async () => ({ oracle: parseAcceptedDomains('contoso.com', 'test'), origin: 'test' }),
      sendToQueue: async (body) => {
        queue.push(body);
      },
      logger,
      metrics,
      retries: () => retries.total,
      stopMarginMs: 1_000,
      analysis: { windowEvents: 20, maxTrackedMessages: 10 },
    });
    const path = join(mkdtempSync(join(tmpdir(), 'metrics-ingest-')), 'MSGTRK.LOG');
    await generateTrackingLog(path, 2_000_000, 31);
    const notification = await uploadObject(s3, BUCKET, 'incoming/ex02/MSGTRK.LOG', readFileSync(path));
    const id = sourceIdOfNotification(BUCKET, notification);
    queue.push(notification);
    // Act
    const { result: run, lines } = await captureJsonLines(() =>
      drainQueue(handler, queue, () => deadlineContext({ checks: 150 }, 1_000)),
    );
    // Assess
    handle.client.destroy();
    expect(run.failed).toEqual([]);
    const record = await dynamo.store.getSource(id);
    expect(record?.status).toBe('done');
    const documents = uploadDocuments(lines, id);
    expect(run.invocations).toBeGreaterThan(2);
    expect(documents).toHaveLength(run.invocations);
    expect(documents.map((document) => document.outcome)).toEqual([
      ...Array.from({ length: run.invocations - 1 }, () => 'continued'),
      'analysed',
    ]);
    expect(sum(documents, UPLOAD_METRICS.bytes)).toBe(record?.bytes);
    expect(sum(documents, UPLOAD_METRICS.rows)).toBe(record?.rowsRead);
    expect(sum(documents, UPLOAD_METRICS.findings)).toBe(findingsOf(record));
    expect(sum(documents, UPLOAD_METRICS.resumptions)).toBe(run.invocations - 1);
    expect(sum(documents, UPLOAD_METRICS.retries)).toBe(3);
    expect(throttles).toBe(0);
  }, 120_000);
});
