/**
 * Lambda entry of the nightly function (EventBridge schedule, or a manual re-run with a date).
 *
 * Clients and configuration are created on the first invocation and reused. Imports stay on the
 * cloud path — core, the store's remote client, this module — never the embedded engine or CLI.
 * A failure throws: Lambda retries the asynchronous invocation (the run is idempotent) and the
 * error alarm fires.
 */

import type { Metrics } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Logger } from '../runtime/logger.js';
import { SERVICE_NAMES } from '../runtime/observability-names.js';
import { powertools } from '../runtime/powertools.js';
import type { TableRef } from '../store/bound-table.js';
import { createRemoteStore } from '../store/remote-store.js';
import { stackStoreOptions } from './build-report.js';
import { readNightlyConfig } from './config.js';
import { parseNightlyEvent } from './event.js';
import type { HistorySink } from './history.js';
import { publishNightlyCompleted } from './metrics.js';
import type { Publisher } from './publisher.js';
import type { ReportSink } from './report-sink.js';
import { type NightlyFindingsStore, runNightly } from './run-nightly.js';
import { S3HistorySink } from './s3-history-sink.js';
import { S3ReportSink } from './s3-report-sink.js';
import { SnsPublisher } from './sns-publisher.js';

/** What the handler returns (also logged): enough to see what a run did from the console. */
export interface NightlyResponse {
  date: string;
  window: string[];
  findings: number;
  newFindings: number;
  /** Errors of the stored configuration at the run time (null: no configuration stored). */
  readinessErrors: number | null;
  /** Readiness errors new since the previous stored report (`id: objects`), also in the summary. */
  newReadinessErrors: string[];
  reclassified: number;
  rollupsRepaired: number;
  staleRollupsDeleted: number;
  /** History objects the recomputed days now have. */
  historyObjects: number;
  spikes: string[];
  newSenderDomains: string[];
  published: boolean;
  reports: string[];
}

export interface NightlyDependencies {
  store: NightlyFindingsStore;
  table: TableRef;
  reports: ReportSink;
  /** Where each day's history objects go (the bucket's `history/`). */
  history?: HistorySink;
  publisher?: Publisher;
  /** The scenario counts and, after a completed run, the heartbeat the deadline alarm watches; none: no metrics. */
  metrics?: Metrics;
  logger: Logger;
  lookBackDays: number;
  /**
   * The store options the report's suggested commands carry (` --stack NAME --region R` in the
   * cloud, see `stackStoreOptions`); none: commands that read the default local store.
   */
  storeOptions?: string;
  now?: () => Date;
}

export type NightlyHandler = (
  event: unknown,
  context?: { awsRequestId?: string },
) => Promise<NightlyResponse>;

/** Builds the handler around its dependencies (real clients in Lambda, local engines in tests). */
export function createNightlyHandler(deps: NightlyDependencies): NightlyHandler {
  return async (event, context) => {
    const now = deps.now ?? (() => new Date());
    const logger = deps.logger.createChild({ persistentKeys: { requestId: context?.awsRequestId } });
    const request = parseNightlyEvent(event, now());
    logger.info('nightly run', {
      date: request.date,
      lookBackDays: request.lookBackDays ?? deps.lookBackDays,
    });
    const result = await runNightly({
      store: deps.store,
      table: deps.table,
      date: request.date,
      lookBackDays: request.lookBackDays ?? deps.lookBackDays,
      now,
      reports: deps.reports,
      storeOptions: deps.storeOptions,
      ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
      logger,
      tableOptions: { logger },
      ...(deps.publisher === undefined ? {} : { publisher: deps.publisher }),
      ...(deps.history === undefined ? {} : { history: deps.history }),
    });
    // Last, after everything the run promised is done: its absence is what the deadline alarm sees.
    if (deps.metrics !== undefined) publishNightlyCompleted(deps.metrics, result.date);
    return {
      date: result.date,
      window: result.window,
      findings: result.report.totals.findings,
      newFindings: result.newFindings,
      readinessErrors: result.readiness.checked ? result.readiness.errors : null,
      newReadinessErrors: result.readiness.newErrors,
      reclassified: result.reclassified,
      rollupsRepaired: result.rollups.repaired,
      staleRollupsDeleted: result.rollups.deleted,
      historyObjects: result.history?.parts ?? 0,
      spikes: result.report.spikes.map((spike) => spike.scenario),
      newSenderDomains: result.report.newSenderDomains.map((line) => line.domain),
      published: result.published,
      reports: result.locations,
    };
  };
}

/** Wires the handler from the environment. Exported for tests that need a fresh container. */
export function createHandlerFromEnvironment(env: NodeJS.ProcessEnv = process.env): NightlyHandler {
  const config = readNightlyConfig(env);
  const { logger, metrics, tracer } = powertools(SERVICE_NAMES.nightly, config.logLevel, env);
  const handle = createRemoteStore({
    tableName: config.tableName,
    retentionDays: config.retentionDays,
    logger,
  });
  tracer.captureAWSv3Client(handle.client);
  const s3 = tracer.captureAWSv3Client(
    new S3Client({ ...(config.s3ForcePathStyle ? { forcePathStyle: true } : {}) }),
  );
  if (config.alertTopicArn === undefined)
    logger.warn('ALERT_TOPIC_ARN is not set: summaries are not published');
  return createNightlyHandler({
    store: handle.store,
    table: handle,
    reports: new S3ReportSink(s3, config.bucketName),
    history: new S3HistorySink(s3, config.bucketName),
    metrics,
    logger,
    lookBackDays: config.lookBackDays,
    ...(config.stack === undefined ? {} : { storeOptions: stackStoreOptions(config.stack) }),
    ...(config.alertTopicArn === undefined
      ? {}
      : {
          publisher: new SnsPublisher(config.alertTopicArn, () =>
            tracer.captureAWSv3Client(new SNSClient({})),
          ),
        }),
  });
}

let container: NightlyHandler | undefined;

/** The Lambda handler. */
export async function handler(event: unknown, context?: { awsRequestId?: string }): Promise<NightlyResponse> {
  container ??= createHandlerFromEnvironment();
  return container(event, context);
}
