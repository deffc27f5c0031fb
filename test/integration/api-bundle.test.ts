/**
 * The artifact Lambda runs for the query API: bundle `functions/api/handler.ts` with the shared
 * `RelayFunction` construct (local esbuild, ESM, minified, AWS SDK external — exactly what the
 * stack deploys), check what went into it, then import the staged `index.mjs` and query a local
 * dynalite through it with an API Gateway event. Catches what type checks cannot: the embedded
 * engine creeping in, a CommonJS dependency without the `require` shim, a misnamed export.
 *
 * Only this one function is bundled (a bare stack), so the test stays fast.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { RelayFunction } from '../../lib/constructs/relay-function.js';
import { cdkJsonContext } from '../infra/synth-app.js';
import { httpApiEvent, parseLambdaResult } from '../support/api-client.js';
import { startLocalDynamo } from '../support/local-engines.js';
import { makeFindingsSeries } from '../support/make-finding.js';

const TABLE = 'relay-audit-api-bundle';
/** The bundle must stay small: a cold start loads and parses all of it. */
const MAX_BUNDLE_BYTES = 1_000_000;

type BundledModule = { handler: (event: unknown) => Promise<APIGatewayProxyStructuredResultV2> };

let dynamo: EmbeddedServer;
let bundleDir: string;

beforeAll(async () => {
  const app = new App({ context: cdkJsonContext() });
  const stack = new Stack(app, 'ApiBundle');
  const fn = new RelayFunction(stack, 'Api', {
    entry: 'functions/api/handler.ts',
    description: 'query API bundle check',
    timeout: Duration.seconds(25),
  });
  const functionId = stack.getLogicalId(
    fn.function.node.defaultChild as Parameters<typeof stack.getLogicalId>[0],
  );
  const code = Template.fromStack(stack).toJSON().Resources[functionId].Properties.Code as { S3Key: string };
  bundleDir = join(app.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);

  dynamo = await startLocalDynamo(TABLE);
  await dynamo.store.putFindings(
    makeFindingsSeries(3, '2026-11-28T10:00:00.000Z', { scenario: 'wrong-region' }),
  );
  for (const [name, value] of Object.entries({
    TABLE_NAME: TABLE,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    LOG_LEVEL: 'silent',
  })) {
    vi.stubEnv(name, value);
  }
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await dynamo?.close();
});

describe('the bundled query API function', () => {
  it('is an ESM bundle with a source map, without the embedded engine, the SDK left to the runtime', () => {
    const bundle = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
    expect(bundle).toMatch(/sourceMappingURL=index\.mjs\.map/);
    expect(statSync(join(bundleDir, 'index.mjs.map')).isFile()).toBe(true);
    expect(bundle).not.toMatch(/dynalite|leveldown|classic-level|memdown|s3rver/i);
    // The SDK is imported from the runtime, not inlined: DynamoDB, and S3 for the upload grants
    // (the Node.js 22 runtime ships @aws-sdk/s3-presigned-post with the clients).
    expect(bundle).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
    expect(bundle).toMatch(/from\s*"@aws-sdk\/client-s3"/);
    expect(bundle).toMatch(/from\s*"@aws-sdk\/s3-presigned-post"/);
    expect(bundle).not.toMatch(/createPresignedPost\s*=\s*async/);
    const bytes = Buffer.byteLength(bundle);
    expect(bytes).toBeLessThan(MAX_BUNDLE_BYTES);
    console.info(`query API bundle: index.mjs ${bytes} bytes`);
  });

  it('answers an API Gateway event from the local table', async () => {
    // Prepare
    const bundled = (await import(pathToFileURL(join(bundleDir, 'index.mjs')).href)) as BundledModule;
    // Act
    const response = parseLambdaResult<{ items: Finding[] }>(
      await bundled.handler(httpApiEvent('/findings', { scenario: 'wrong-region' })),
    );
    const invalid = parseLambdaResult(await bundled.handler(httpApiEvent('/findings', { limit: 'abc' })));
    // Assess
    expect(response.status).toBe(200);
    expect(response.json.items).toHaveLength(3);
    expect(invalid.status).toBe(400);
  });
});
