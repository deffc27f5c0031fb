/**
 * Lambda entry of the query API (API Gateway HTTP API, payload format 2.0).
 *
 * The store client and logger are created on the first invocation and reused by the container.
 * Imports stay on the cloud path — core, the store's cloud-safe entry — never the embedded engine.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SERVICE_NAMES } from '../runtime/observability-names.js';
import { powertools } from '../runtime/powertools.js';
import { createRemoteStore } from '../store/index.js';
import { OrganisationConfigStore } from '../store/organisation-config.js';
import { createRequestHandler, type RequestHandler } from './api.js';
import { readConfig } from './config.js';
import type { ExportLimits } from './dependencies.js';
import { requestFromEvent, resultFromResponse } from './lambda-event.js';
import { S3UploadSigner } from './s3-upload-signer.js';

/**
 * Export caps in Lambda: API Gateway passes on a Lambda response of at most 6 MB (the JSON
 * envelope included), so the CSV body stays under 5 MB; the row cap is the API's usual one.
 */
export const LAMBDA_EXPORT_LIMITS: ExportLimits = { maxRows: 50_000, maxBytes: 5_000_000 };

/** Wires the request handler from the environment. Exported for tests that need a fresh container. */
export function createHandlerFromEnvironment(env: NodeJS.ProcessEnv = process.env): RequestHandler {
  const config = readConfig(env);
  const { logger, tracer } = powertools(SERVICE_NAMES.api, config.logLevel, env);
  const handle = createRemoteStore({ tableName: config.tableName, logger });
  tracer.captureAWSv3Client(handle.client);
  return createRequestHandler({
    store: handle.store,
    readiness: new OrganisationConfigStore(handle, { logger }),
    logger,
    exportLimits: LAMBDA_EXPORT_LIMITS,
    ...(config.bucketName === undefined
      ? {}
      : { uploads: new S3UploadSigner(tracer.captureAWSv3Client(new S3Client({})), config.bucketName) }),
  });
}

let container: RequestHandler | undefined;

/** The Lambda handler. An event that is not from an HTTP API throws (the function's error alarm sees it). */
export async function handler(event: unknown): Promise<APIGatewayProxyStructuredResultV2> {
  container ??= createHandlerFromEnvironment();
  return resultFromResponse(await container(requestFromEvent(event)));
}
