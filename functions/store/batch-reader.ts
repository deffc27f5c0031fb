/**
 * BatchGetItem by primary key, in calls of 100 keys, `UnprocessedKeys` retried with backoff: how a
 * page of index entries becomes the items it shows, and how remediations are joined to findings.
 */
import { type AttributeValue, BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StoreError } from '../core/kernel/errors.js';
import type { Item } from './batch-writer.js';
import type { DynamoCall } from './dynamo-call.js';
import { backoffDelay, type RetryPolicy } from './retry.js';
import { type PrimaryKey, primaryKeyOf } from './table-design.js';

/** DynamoDB's limit of keys per BatchGetItem call. */
export const BATCH_GET_SIZE = 100;

export interface BatchReaderContext {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly call: DynamoCall;
  readonly policy: RetryPolicy;
}

/**
 * The items of `keys` (duplicates read once), by `primaryKeyOf`; a key with no item is absent from
 * the map. With `attributes`, only those attributes of each item (name `pk` and `sk` among them to
 * have the items keyed). Throws `StoreError` when DynamoDB still leaves keys unprocessed after every
 * attempt.
 */
export async function batchGet(
  keys: readonly PrimaryKey[],
  ctx: BatchReaderContext,
  attributes?: readonly string[],
): Promise<Map<string, Item>> {
  const projection =
    attributes === undefined
      ? {}
      : {
          ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name])),
        };
  const unique = new Map<string, PrimaryKey>();
  for (const key of keys) unique.set(`${key.pk}\u0000${key.sk}`, key);
  const all = [...unique.values()];
  const found = new Map<string, Item>();
  for (let start = 0; start < all.length; start += BATCH_GET_SIZE) {
    let pending: Record<string, AttributeValue>[] = all
      .slice(start, start + BATCH_GET_SIZE)
      .map((key) => ({ pk: { S: key.pk }, sk: { S: key.sk } }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > ctx.policy.maxAttempts) {
        throw new StoreError(`${pending.length} items could not be read from "${ctx.tableName}"`);
      }
      if (attempt > 1) await ctx.policy.sleep(backoffDelay(attempt - 1, ctx.policy));
      const request = { [ctx.tableName]: { Keys: pending, ...projection } };
      const response = await ctx.call('BatchGetItem', () =>
        ctx.client.send(new BatchGetItemCommand({ RequestItems: request })),
      );
      for (const item of response.Responses?.[ctx.tableName] ?? []) found.set(primaryKeyOf(item), item);
      pending = response.UnprocessedKeys?.[ctx.tableName]?.Keys ?? [];
    }
  }
  return found;
}

/** The primary key of a raw item (e.g. an index entry), as plain strings. */
export function primaryKeyOfItem(item: Item): PrimaryKey {
  return { pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' };
}
