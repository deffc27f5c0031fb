/**
 * The artifact Lambda runs: synthesize the stack (local esbuild bundling, as `cdk synth` does),
 * import the staged `index.mjs` — ESM, minified, AWS SDK external — and let it ingest one upload
 * on the local engines. Catches what type checks cannot: a CommonJS dependency without the
 * `require` shim, a module left out of the bundle, a handler export under the wrong name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InvocationContext } from '../../functions/ingest/ingest.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { buildApp } from '../infra/synth-app.js';
import { stagedBundleDir } from '../support/bundle-dir.js';
import { captureJsonLines } from '../support/json-lines.js';
import {
  asS3WouldSend,
  type LocalS3,
  localFunctionEnvironment,
  sqsEvent,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';
import { printMetrics } from '../support/quiet-metrics.js';

const BUCKET = 'relay-audit-bundle-bucket';
const TABLE = 'relay-audit-bundle-test';
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'ingest', 'MSGTRK-fixture.LOG');

type BundledModule = { handler: (event: unknown, context: InvocationContext) => Promise<SQSBatchResponse> };

let s3: LocalS3;
let dynamo: EmbeddedServer;
let bundleDir: string;

beforeAll(async () => {
  const { app, stack } = buildApp();
  app.synth();
  bundleDir = stagedBundleDir(app, stack, stack.ingest.handler.function);
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  const environment = localFunctionEnvironment(
    { table: TABLE, bucket: BUCKET, s3, dynamo },
    { RETENTION_DAYS: '400' },
  );
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  printMetrics();
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([s3?.close(), dynamo?.close()]);
});

describe('the bundled ingest function', () => {
  it('contains no embedded engine and imports the AWS SDK from the runtime', () => {
    const bundle = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
    expect(bundle).not.toMatch(/dynalite|leveldown|classic-level/i);
    expect(bundle).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
  });

  it('analyses an upload end to end', async () => {
    // Prepare
    const body = readFileSync(FIXTURE);
    const key = 'incoming/bundle check/MSGTRK-fixture.LOG';
    await s3.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: body.length }),
    );
    const event = sqsEvent([JSON.stringify(asS3WouldSend(s3.lastNotificationFor(key)))]);
    const bundled = (await import(pathToFileURL(join(bundleDir, 'index.mjs')).href)) as BundledModule;
    // Act
    const { result: response, lines } = await captureJsonLines(() =>
      bundled.handler(event, { awsRequestId: 'bundle', getRemainingTimeInMillis: () => 300_000 }),
    );
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const sources = await dynamo.store.listSources();
    expect(sources.items).toHaveLength(1);
    expect(sources.items[0]).toMatchObject({ status: 'done', file: key, format: 'exchange-tracking-log' });
    const counts = await dynamo.store.countFindingsByScenario();
    expect(Object.values(counts).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
    // Powertools, bundled: the upload's metrics document, with the rows the source record counted.
    expect(lines.find((line) => '_aws' in line)).toMatchObject({
      service: 'relay-audit-ingest',
      outcome: 'analysed',
      UploadRows: sources.items[0]?.rowsRead,
    });
  });
});
