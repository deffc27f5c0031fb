/**
 * Lambda entry of the Exchange Online message trace pull (EventBridge schedule). The certificate is
 * read from Secrets Manager on the first invocation and kept with the clients for the container's
 * life. A failure throws: the next scheduled run pulls the same windows again (the cursor did not move).
 * A run that runs out of time returns instead (its result says `stopped`): what it wrote stays written.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SERVICE_NAMES } from '../runtime/observability-names.js';
import { powertools } from '../runtime/powertools.js';
import { readSigningCertificate } from './certificate.js';
import { readGraphPullConfig } from './config.js';
import { CursorStore } from './cursor-store.js';
import { type PullDependencies, type PullResult, runPull } from './run-pull.js';
import { TokenSource } from './token-source.js';

type Context = { getRemainingTimeInMillis?: () => number } | undefined;

let ready: Promise<Omit<PullDependencies, 'remainingMs'>> | undefined;

async function setUp(): Promise<Omit<PullDependencies, 'remainingMs'>> {
  const config = readGraphPullConfig();
  const { logger, tracer } = powertools(SERVICE_NAMES.graphPull, config.logLevel);
  const secret = await tracer
    .captureAWSv3Client(new SecretsManagerClient({}))
    .send(new GetSecretValueCommand({ SecretId: config.certificateSecretId }));
  const certificate = readSigningCertificate(secret.SecretString ?? '');
  const s3 = tracer.captureAWSv3Client(
    new S3Client({ ...(config.s3ForcePathStyle ? { forcePathStyle: true } : {}) }),
  );
  return {
    s3,
    bucket: config.bucketName,
    cursor: new CursorStore(s3, config.bucketName),
    tokens: new TokenSource({
      authorityHost: config.authorityHost,
      tenantId: config.tenantId,
      clientId: config.clientId,
      certificate,
    }),
    logger,
    settings: config.settings,
  };
}

export async function handler(_event: unknown, context?: Context): Promise<PullResult> {
  ready ??= setUp().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  const deps = await ready;
  const remaining = context?.getRemainingTimeInMillis?.bind(context);
  return runPull({ ...deps, ...(remaining === undefined ? {} : { remainingMs: remaining }) });
}
