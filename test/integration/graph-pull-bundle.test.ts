/**
 * The artifact Lambda runs: synthesize the trace pull (local esbuild bundling, as `cdk synth` does),
 * import the staged `index.mjs` and let it run once with the environment the construct sets —
 * the certificate from (a local) Secrets Manager, sign-in and Graph at the local server, the
 * bucket on s3rver. Catches what type checks cannot: a module left out, the handler export, the
 * SDK clients resolving from the runtime.
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PullResult } from '../../functions/graph-pull/run-pull.js';
import { GRAPH_TRACE_CURSOR_KEY } from '../../functions/runtime/bucket-layout.js';
import { Alerts } from '../../lib/constructs/alerts.js';
import { GraphTracePull } from '../../lib/constructs/graph-trace-pull.js';
import { analyzeFiles } from '../support/analyze-text.js';
import { stagedBundleDir } from '../support/bundle-dir.js';
import { LOCAL_REGION, type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from '../support/local-engines.js';
import {
  createAppCertificate,
  graphTrace,
  LocalGraph,
  refusedDetails,
  startLocalSecrets,
} from '../support/local-graph.js';

const BUCKET = 'relay-audit-graph-bundle';
const TENANT = 'contoso.onmicrosoft.com';
const CLIENT = '99999999-8888-7777-6666-555555555555';
const SECRET = 'relay-audit/graph-certificate';
const HOUR = 3_600_000;

type BundledModule = {
  handler: (event: unknown, context?: { getRemainingTimeInMillis(): number }) => Promise<PullResult>;
};

let dir: string;
let bundleDir: string;
let s3: LocalS3;
let graph: LocalGraph;
let secrets: Awaited<ReturnType<typeof startLocalSecrets>>;
/** The last whole hour the function pulls now (15 minutes of lag). */
const lastFrom = Math.floor((Date.now() - 15 * 60_000) / HOUR) * HOUR - HOUR;

function bundleTracePull(): string {
  const app = new App();
  const stack = new Stack(app, 'GraphPullBundle');
  const pull = new GraphTracePull(stack, 'GraphTracePull', {
    bucket: new Bucket(stack, 'Bucket'),
    alerts: new Alerts(stack, 'Alerts'),
    tenantId: TENANT,
    clientId: CLIENT,
    certificateSecret: SECRET,
    schedule: 'rate(1 hour)',
  });
  app.synth();
  return stagedBundleDir(app, stack, pull.handler.function);
}

beforeAll(async () => {
  bundleDir = bundleTracePull();
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-graph-bundle-'));
  const { certificatePem, secretPem } = await createAppCertificate(dir);
  const refused = graphTrace(
    1,
    new Date(lastFrom + 5 * 60_000).toISOString(),
    'alerts@app.fabrikam.com',
    'vendor@adatum.com',
    'Failed',
  );
  graph = new LocalGraph({
    tenantId: TENANT,
    clientId: CLIENT,
    certificatePem,
    traces: [refused],
    details: { [refused.id]: refusedDetails(refused) },
    pageSize: 1000,
  });
  await graph.start();
  secrets = await startLocalSecrets({ [SECRET]: secretPem });
  s3 = await startLocalS3([BUCKET]);
  const environment: Record<string, string> = {
    BUCKET_NAME: BUCKET,
    TENANT_ID: TENANT,
    CLIENT_ID: CLIENT,
    CERTIFICATE_SECRET_ID: SECRET,
    AUTHORITY_HOST: graph.origin,
    GRAPH_BASE_URL: graph.graphBase,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    LOG_LEVEL: 'silent',
  };
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([graph?.close(), secrets?.close(), s3?.close()]);
  await rm(dir, { recursive: true, force: true });
});

describe('the bundled trace pull function', () => {
  it('is an ESM bundle that leaves the AWS SDK to the runtime and carries no sign-in library', () => {
    const bundle = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
    expect(bundle).toMatch(/from\s*"@aws-sdk\/client-secrets-manager"/);
    expect(bundle).toMatch(/from\s*"@aws-sdk\/client-s3"/);
    expect(bundle).not.toMatch(/msal|dynalite/i);
    // About 475 KB of our code and 160 KB of Powertools (most of it the Tracer's X-Ray SDK); a
    // sign-in library would add far more.
    expect(Buffer.byteLength(bundle)).toBeLessThan(700_000);
  });

  it('reads its certificate, pulls the first day hour by hour and writes the hour with the refusal', async () => {
    const bundled = (await import(pathToFileURL(join(bundleDir, 'index.mjs')).href)) as BundledModule;
    const result = await bundled.handler({}, { getRemainingTimeInMillis: () => 900_000 });
    // The first run goes 24 hours back: 24 windows, one of them with a trace.
    expect(result.windows).toHaveLength(24);
    const written = result.windows.filter((window) => window.written);
    expect(written).toEqual([expect.objectContaining({ traces: 1, details: 2 })]);
    expect(result.cursor).toBe(new Date(lastFrom + HOUR).toISOString());
    const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: written[0]?.key }));
    const text = (await object.Body?.transformToString('utf-8')) ?? '';
    const { findings } = await analyzeFiles([{ name: 'graph.json', content: text }]);
    expect(findings.map((f) => [f.recipient, f.sender, f.scenario])).toEqual([
      ['vendor@adatum.com', 'alerts@app.fabrikam.com', 'foreign-sender-domain'],
    ]);
    const cursor = await s3.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: GRAPH_TRACE_CURSOR_KEY }),
    );
    expect(JSON.parse((await cursor.Body?.transformToString('utf-8')) ?? '{}')).toMatchObject({
      cursor: result.cursor,
    });
  }, 120_000);
});
