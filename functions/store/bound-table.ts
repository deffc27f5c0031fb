/**
 * Access to the findings table for the repositories beside `FindingsStore` (the inbound Message-ID
 * index, the nightly job's day states and rollups): the client and table name of a store handle,
 * with the store's retry and error translation, so throttling and SDK errors behave exactly as in
 * `FindingsStore`.
 */
import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoCall, type DynamoCall } from './dynamo-call.js';
import type { StoreLogger } from './logger.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';

/** A table to work on: a `StoreHandle` (embedded engine or remote table) satisfies it. */
export interface TableRef {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

export interface BoundTableOptions {
  logger?: StoreLogger;
  retry?: Partial<RetryPolicy>;
}

/** A table plus the policy and call wrapper its repositories share. */
export interface BoundTable extends TableRef {
  readonly policy: RetryPolicy;
  readonly logger: StoreLogger;
  readonly call: DynamoCall;
}

const SILENT: StoreLogger = { warn: () => undefined };

/** Binds retry policy, logger and the translating call wrapper to a table. */
export function bindTable(table: TableRef, options: BoundTableOptions = {}): BoundTable {
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

/**
 * Every item of the partition `partition` (key attribute `pk`), page after page, through the table's
 * call wrapper: for the small partitions read whole (an inbound Message-ID's receipts, the runs not
 * yet settled). `consistent`: a strongly consistent read.
 */
export async function queryPartition(
  table: BoundTable,
  partition: string,
  options: { consistent?: boolean } = {},
): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const response = await table.call('Query', () =>
      table.client.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':pk': { S: partition } },
          ...(options.consistent ? { ConsistentRead: true } : {}),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      ),
    );
    items.push(...(response.Items ?? []));
    startKey = response.LastEvaluatedKey;
  } while (startKey);
  return items;
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
