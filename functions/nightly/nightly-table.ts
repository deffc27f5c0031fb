/**
 * The nightly job's own access to the findings table (its items, keyed in store/table-design.ts, and stale
 * rollup rows): the client and table name of a store handle, and the store's retry and error
 * translation so throttling and SDK errors behave exactly as in `FindingsStore`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoCall, type DynamoCall } from '../store/dynamo-call.js';
import type { StoreLogger } from '../store/index.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../store/retry.js';

/** Where the nightly items live: a `StoreHandle` (embedded engine or remote table) satisfies it. */
export interface NightlyTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

export interface NightlyTableOptions {
  logger?: StoreLogger;
  retry?: Partial<RetryPolicy>;
}

/** A table plus the policy and call wrapper its repositories share. */
export interface BoundTable extends NightlyTable {
  readonly policy: RetryPolicy;
  readonly logger: StoreLogger;
  readonly call: DynamoCall;
}

const SILENT: StoreLogger = { warn: () => undefined };

/** Binds retry policy, logger and the translating call wrapper to a table. */
export function bindTable(table: NightlyTable, options: NightlyTableOptions = {}): BoundTable {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const logger = options.logger ?? SILENT;
  return {
    client: table.client,
    tableName: table.tableName,
    policy,
    logger,
    call: createDynamoCall(table.tableName, policy, logger),
  };
}

/** Runs `task` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
