/**
 * Lambda entry of the ingest function (SQS event source, partial batch responses).
 *
 * Clients, configuration and the accepted-domains cache are created on the first invocation and
 * reused by the container's later invocations. Imports stay on the cloud path: core, the store's
 * remote client and table design — never the embedded engine or CLI code.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { createRemoteStore } from '../store/remote-store.js';
import { readConfig } from './config.js';
import { DomainSource } from './domain-source.js';
import { createIngestHandler, type IngestHandler, type InvocationContext } from './ingest.js';
import { Logger } from './logger.js';
import { openObject } from './object-reader.js';

/** Wires the handler from the environment. Exported for tests that need a fresh container. */
export function createHandlerFromEnvironment(env: NodeJS.ProcessEnv = process.env): IngestHandler {
  const config = readConfig(env);
  const logger = new Logger({ level: config.logLevel, fields: { service: 'relay-audit-ingest' } });
  const s3 = new S3Client({ ...(config.s3ForcePathStyle ? { forcePathStyle: true } : {}) });
  const { store } = createRemoteStore({
    tableName: config.tableName,
    retentionDays: config.retentionDays,
    logger,
  });
  const domains = new DomainSource({
    s3,
    bucket: config.bucketName,
    ...(config.acceptedDomains === undefined ? {} : { fallbackList: config.acceptedDomains }),
  });
  return createIngestHandler({
    store,
    openObject: (ref) => openObject(s3, ref),
    resolveDomains: () => domains.resolve(),
    logger,
  });
}

let container: IngestHandler | undefined;

/** The Lambda handler. */
export async function handler(event: unknown, context: InvocationContext): Promise<SQSBatchResponse> {
  container ??= createHandlerFromEnvironment();
  return container(event, context);
}
