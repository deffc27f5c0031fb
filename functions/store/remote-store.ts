/**
 * Connecting to a real DynamoDB table (`relay-audit … --table NAME`), with the standard AWS
 * credential chain; `endpoint` lets the same path target any DynamoDB-compatible endpoint.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FindingsStore } from './findings-store.js';
import type { StoreLogger } from './logger.js';

/** A connected store plus what is needed to release it. */
export interface StoreHandle {
  client: DynamoDBClient;
  tableName: string;
  store: FindingsStore;
  /** Releases sockets (and, for the embedded engine, stops it and closes its database). */
  close(): Promise<void>;
}

export interface RemoteStoreOptions {
  tableName: string;
  /** Custom endpoint (e.g. a DynamoDB-compatible server); default: the region's DynamoDB. */
  endpoint?: string;
  /** Default: the SDK's region resolution (AWS_REGION, profile…). */
  region?: string;
  retentionDays?: number;
  logger?: StoreLogger;
}

/** Attempts of one DynamoDB call, SDK retries included (a burst on a table that is still scaling). */
export const DYNAMO_MAX_ATTEMPTS = 8;

/**
 * Builds a store on an existing DynamoDB table. Does not create the table (in the cloud the CDK
 * stack owns it) and makes no call until the first operation, so it needs no extra permissions.
 *
 * One retry layer: the SDK's adaptive mode retries throttled calls with backoff and, while the
 * table throttles, slows this client's sends (a client-side token bucket), so a burst of
 * invocations paces its writes instead of failing them; the store retries only `UnprocessedItems`.
 */
export function createRemoteStore(options: RemoteStoreOptions): StoreHandle {
  const client = new DynamoDBClient({
    retryMode: 'adaptive',
    maxAttempts: DYNAMO_MAX_ATTEMPTS,
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
  const store = new FindingsStore({
    client,
    tableName: options.tableName,
    retry: { clientRetries: true },
    ...(options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return {
    client,
    tableName: options.tableName,
    store,
    close: async () => {
      client.destroy();
    },
  };
}
