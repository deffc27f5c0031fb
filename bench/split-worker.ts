/**
 * One worker of the split measurement (bench/split-measurement.ts), in a process of its own as a
 * Lambda worker would be: re-analyses one object of the local S3 engine into the local DynamoDB
 * engine through the re-analysis worker, and prints `{ "ms": … }` — how long the analysis took.
 *
 *   node --import tsx bench/split-worker.ts <s3 endpoint> <dynamodb endpoint> <bucket> <table> <key>
 */
import { performance } from 'node:perf_hooks';
import { S3Client } from '@aws-sdk/client-s3';
import { parseAcceptedDomains } from '../functions/core/organisation/accepted-domains.js';
import { createReanalysisWorker } from '../functions/ingest/ingest.js';
import { openObject, openObjectFrom } from '../functions/ingest/object-reader.js';
import { createReanalysisHandler } from '../functions/reanalyze/reanalyse.js';
import { headObjectWith } from '../functions/runtime/head-object.js';
import { createLogger } from '../functions/runtime/logger.js';
import { createRemoteStore } from '../functions/store/remote-store.js';
import { LOCAL_REGION, S3RVER_CREDENTIALS } from '../test/support/local-engines.js';
import { ACCEPTED_DOMAIN } from './generate-tracking-log.js';

const [s3Endpoint, dynamoEndpoint, bucket, table, key] = process.argv.slice(2);
if (
  key === undefined ||
  s3Endpoint === undefined ||
  dynamoEndpoint === undefined ||
  bucket === undefined ||
  table === undefined
)
  throw new Error('usage: split-worker <s3> <dynamodb> <bucket> <table> <key>');
process.env.AWS_ACCESS_KEY_ID ??= S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY ??= S3RVER_CREDENTIALS.secretAccessKey;
const s3 = new S3Client({
  region: LOCAL_REGION,
  endpoint: s3Endpoint,
  forcePathStyle: true,
  credentials: S3RVER_CREDENTIALS,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const handle = createRemoteStore({ tableName: table, endpoint: dynamoEndpoint, region: LOCAL_REGION });
const logger = createLogger('test', 'silent');
const handler = createReanalysisHandler({
  worker: createReanalysisWorker({
    store: handle.store,
    openObject: (ref, from) => (from === undefined ? openObject(s3, ref) : openObjectFrom(s3, ref, from)),
    resolveDomains: async () => ({ oracle: parseAcceptedDomains(ACCEPTED_DOMAIN, 'bench'), origin: 'bench' }),
    logger,
    analysis: { windowEvents: 500, maxTrackedMessages: 500 },
  }),
  headObject: headObjectWith(s3),
  logger,
});
const started = performance.now();
const result = await handler(
  { bucket, key, from: null, to: null },
  { awsRequestId: 'split', getRemainingTimeInMillis: () => 3_600_000 },
);
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ ms, outcome: result.outcome, findings: result.findings ?? 0 })}\n`);
s3.destroy();
await handle.close();
