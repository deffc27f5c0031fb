/**
 * The artifact Lambda runs: synthesize the nightly job (local esbuild bundling, as `cdk synth` does),
 * check what the bundle contains, import the staged `index.mjs` and let it run one night on the
 * local engines. Catches what type checks cannot: a module left out, the `require` shim, the
 * handler export, and the SNS client's run-time import surviving bundling.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { NightlyResponse } from '../../functions/nightly/handler.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { Alerts } from '../../lib/constructs/alerts.js';
import { FindingsTable } from '../../lib/constructs/findings-table.js';
import { NightlyJob } from '../../lib/constructs/nightly-job.js';
import {
  type LocalS3,
  localFunctionEnvironment,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';
import { makeFinding } from '../support/make-finding.js';
import { printMetrics } from '../support/quiet-metrics.js';

const BUCKET = 'relay-audit-nightly-bundle';
const TABLE = 'relay-audit-nightly-bundle';

type BundledModule = {
  handler: (event: unknown, context?: { awsRequestId?: string }) => Promise<NightlyResponse>;
};

let s3: LocalS3;
let dynamo: EmbeddedServer;
let bundleDir: string;

/** Synthesizes the nightly job alone (one function to bundle) and returns its staged asset directory. */
function bundleNightly(): string {
  const app = new App();
  const stack = new Stack(app, 'NightlyBundle');
  new NightlyJob(stack, 'Nightly', {
    bucket: new Bucket(stack, 'Bucket'),
    table: new FindingsTable(stack, 'Findings').table,
    alerts: new Alerts(stack, 'Alerts'),
    schedule: 'cron(0 2 * * ? *)',
    retentionDays: 400,
  });
  app.synth();
  const assets = readdirSync(app.outdir)
    .map((name) => join(app.outdir, name))
    .filter((dir) => statSync(dir).isDirectory() && readdirSync(dir).includes('index.mjs'));
  if (assets.length !== 1) throw new Error(`expected one bundled function, found ${assets.length}`);
  return assets[0] as string;
}

beforeAll(async () => {
  bundleDir = bundleNightly();
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  const environment = localFunctionEnvironment({ table: TABLE, bucket: BUCKET, s3, dynamo });
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  printMetrics();
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await Promise.all([s3?.close(), dynamo?.close()]);
});

describe('the bundled nightly function', () => {
  it('is an ESM bundle with a source map, without the embedded engine or CLI code, the AWS SDK left to the runtime', () => {
    const bundle = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
    expect(readdirSync(bundleDir)).toContain('index.mjs.map');
    expect(bundle).not.toMatch(/dynalite|leveldown|classic-level|memdown/i);
    expect(bundle).not.toMatch(/parseArgs|FileReportSink/);
    expect(bundle).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
    expect(bundle).toMatch(/from\s*"@aws-sdk\/client-s3"/);
    // The SNS client is imported at run time from the runtime's SDK, not resolved at bundle time.
    expect(bundle).toContain('@aws-sdk/client-sns');
    expect(Buffer.byteLength(bundle)).toBeLessThan(1_000_000);
  });

  it('runs one night end to end', async () => {
    // Prepare
    await dynamo.store.putFindings([makeFinding({ scenario: 'ndr', timestamp: '2026-11-20T09:00:00.000Z' })]);
    const emitted: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      emitted.push(String(chunk));
      return true;
    });
    const bundled = (await import(pathToFileURL(join(bundleDir, 'index.mjs')).href)) as BundledModule;
    // Act
    const response = await bundled.handler({
      'detail-type': 'Scheduled Event',
      time: '2026-11-21T02:00:00Z',
      detail: {},
    });
    vi.restoreAllMocks();
    // Assess
    expect(response).toMatchObject({ date: '2026-11-20', findings: 1, published: false });
    const object = await s3.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'reports/2026-11-20.json' }),
    );
    expect(JSON.parse((await object.Body?.transformToString('utf-8')) ?? '')).toMatchObject({
      date: '2026-11-20',
    });
    // One line per scenario, then the heartbeat of a completed run (the nightly deadline alarm's metric).
    const metricLines = emitted.filter((line) => line.includes('"Namespace":"RelayAudit"'));
    expect(metricLines).toHaveLength(6);
    expect(metricLines.at(-1)).toContain('"NightlyRunCompleted":1');
  });
});
