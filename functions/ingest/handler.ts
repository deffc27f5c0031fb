/**
 * Lambda entry of the ingest function (SQS event source, partial batch responses).
 *
 * Clients, configuration and the caches of accepted domains and inbound connector are created on
 * the first invocation and reused by the container's later invocations. Imports stay on the cloud path: core, the store's
 * remote client and table design — never the embedded engine or CLI code.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { headObjectWith } from '../runtime/head-object.js';
import { SERVICE_NAMES, type ServiceName } from '../runtime/observability-names.js';
import { powertools } from '../runtime/powertools.js';
import { InboundIndex } from '../store/inbound-index.js';
import { OrganisationConfigStore } from '../store/organisation-config.js';
import { createRemoteStore } from '../store/remote-store.js';
import { countRetries } from '../store/request-retries.js';
import { correlateRun } from '../store/run-correlation.js';
import { SourceUpdates } from '../store/source-updates.js';
import { readConfig } from './config.js';
import { DomainSource } from './domain-source.js';
import {
  createIngestHandler,
  type IngestDependencies,
  type IngestHandler,
  type InvocationContext,
} from './ingest.js';
import { objectOpener } from './object-reader.js';
import { ConnectorSource, createConfigurationUpdater } from './organisation-config.js';

/** Wires the handler from the environment. Exported for tests that need a fresh container. */
export function createHandlerFromEnvironment(env: NodeJS.ProcessEnv = process.env): IngestHandler {
  return createIngestHandler(ingestDependenciesFromEnvironment(env, SERVICE_NAMES.ingest));
}

/**
 * The clients, configuration and caches of an ingest from the environment: the upload handler's,
 * and the re-analysis worker's (functions/reanalyze/handler.ts), which analyses the same way.
 */
export function ingestDependenciesFromEnvironment(
  env: NodeJS.ProcessEnv,
  service: ServiceName,
): IngestDependencies & { s3: S3Client } {
  const config = readConfig(env);
  const { logger, metrics, tracer } = powertools(service, config.logLevel, env);
  const s3 = tracer.captureAWSv3Client(
    new S3Client({ ...(config.s3ForcePathStyle ? { forcePathStyle: true } : {}) }),
  );
  const handle = createRemoteStore({
    tableName: config.tableName,
    retentionDays: config.retentionDays,
    logger,
  });
  tracer.captureAWSv3Client(handle.client);
  const retries = countRetries(handle.client);
  const repository = new OrganisationConfigStore(handle, { logger });
  const connectors = new ConnectorSource({ repository });
  const domains = new DomainSource({
    s3,
    bucket: config.bucketName,
    ...(config.acceptedDomains === undefined ? {} : { fallbackList: config.acceptedDomains }),
  });
  const inbound = new InboundIndex(handle, { logger });
  const sources = new SourceUpdates(handle, { logger });
  const { ingestQueueUrl } = config;
  const sqs =
    ingestQueueUrl === undefined
      ? undefined
      : tracer.captureAWSv3Client(new SQSClient({ retryMode: 'adaptive' }));
  return {
    s3,
    store: handle.store,
    recordInbound: (entries) => inbound.record(entries),
    correlateRun: (evidence, sourceId, organisation) =>
      correlateRun(
        {
          getFinding: (id) => handle.store.getFinding(id),
          putFindings: (findings, options) => handle.store.putFindings(findings, options),
          foreignSenderFindingKeys: (range) => handle.store.foreignSenderFindingKeys(range),
          listSources: (options) => handle.store.listSources(options),
          // The records of earlier uploads whose findings it reclassifies are counted again too.
          moveToForwarding: (moves) => sources.moveToForwarding(moves),
        },
        inbound,
        evidence,
        new Set([sourceId]),
        new Set(),
        organisation,
      ),
    ...(sqs === undefined || ingestQueueUrl === undefined
      ? {}
      : {
          sendToQueue: async (body: string) => {
            await sqs.send(new SendMessageCommand({ QueueUrl: ingestQueueUrl, MessageBody: body }));
          },
        }),
    openObject: objectOpener(s3),
    headObject: headObjectWith(s3),
    resolveDomains: () => domains.resolve(),
    resolveConnectors: () => connectors.resolve(),
    configuration: createConfigurationUpdater({
      s3,
      bucket: config.bucketName,
      repository,
      ...(config.acceptedDomains === undefined ? {} : { fallbackAcceptedDomains: config.acceptedDomains }),
    }),
    invalidateConfiguration: () => {
      domains.invalidate();
      connectors.invalidate();
    },
    logger,
    metrics,
    retries: () => retries.total,
  };
}

let container: IngestHandler | undefined;

/** The Lambda handler. */
export async function handler(event: unknown, context: InvocationContext): Promise<SQSBatchResponse> {
  container ??= createHandlerFromEnvironment();
  return container(event, context);
}
