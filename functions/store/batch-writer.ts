/**
 * Idempotent bulk writes: BatchWriteItem in chunks of 25, duplicates removed, `UnprocessedItems`
 * and throttling retried with bounded backoff, and an exact count of what could not be written.
 */
import { type AttributeValue, BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StoreLogger } from './logger.js';
import { backoffDelay, type RetryPolicy, withRetry } from './retry.js';
import { StoreWriteError, toStoreError } from './store-errors.js';
import { primaryKeyOf } from './table-design.js';

/** DynamoDB's limit of write requests per BatchWriteItem call. */
export const BATCH_SIZE = 25;

export type Item = Record<string, AttributeValue>;

export interface BatchWriterContext {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly policy: RetryPolicy;
  /** Chunks in flight at once; bounded so one big ingest does not monopolise the connection pool. */
  readonly concurrency: number;
  readonly logger: StoreLogger;
}

/**
 * Removes items with the same primary key, keeping the last one. DynamoDB rejects a whole
 * BatchWriteItem call that names one key twice, and with chunks written concurrently the only
 * way to make "last wins" hold is to decide it before chunking.
 */
export function dedupeByPrimaryKey(items: readonly Item[]): Item[] {
  const byKey = new Map<string, Item>();
  for (const item of items) byKey.set(primaryKeyOf(item), item);
  return [...byKey.values()];
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

interface ChunkOutcome {
  notWritten: number;
  error?: unknown;
}

async function writeChunk(items: readonly Item[], ctx: BatchWriterContext): Promise<ChunkOutcome> {
  let pending: Item[] = [...items];
  for (let attempt = 1; ; attempt += 1) {
    let unprocessed: Item[];
    try {
      const requests = pending.map((item) => ({ PutRequest: { Item: item } }));
      const response = await withRetry(
        () => ctx.client.send(new BatchWriteItemCommand({ RequestItems: { [ctx.tableName]: requests } })),
        ctx.policy,
        (retry, delayMs, error) =>
          ctx.logger.warn('DynamoDB throttled BatchWriteItem; retrying', {
            table: ctx.tableName,
            retry,
            delayMs,
            error: error instanceof Error ? error.name : String(error),
          }),
      );
      unprocessed = (response.UnprocessedItems?.[ctx.tableName] ?? []).flatMap((request) =>
        request.PutRequest?.Item ? [request.PutRequest.Item] : [],
      );
    } catch (error) {
      return { notWritten: pending.length, error };
    }
    if (unprocessed.length === 0) return { notWritten: 0 };
    if (attempt >= ctx.policy.maxAttempts) return { notWritten: unprocessed.length };
    // UnprocessedItems is DynamoDB saying "too fast" for part of the batch: back off before
    // resending only that part, or the retry would be throttled again.
    const delayMs = backoffDelay(attempt, ctx.policy);
    ctx.logger.debug?.('BatchWriteItem returned UnprocessedItems; retrying them', {
      table: ctx.tableName,
      unprocessed: unprocessed.length,
      attempt,
      delayMs,
    });
    await ctx.policy.sleep(delayMs);
    pending = unprocessed;
  }
}

/**
 * Writes `items` (full items including keys) with put semantics, so writing the same items twice
 * leaves the table unchanged. Throws `StoreWriteError` with the number of items not written when
 * retries are exhausted, or `StoreError` semantics with the SDK error as `cause` on a hard failure.
 * Returns how many distinct items were written.
 */
export async function batchPut(items: readonly Item[], ctx: BatchWriterContext): Promise<number> {
  const unique = dedupeByPrimaryKey(items);
  const chunks = chunk(unique, BATCH_SIZE);
  let next = 0;
  let notWritten = 0;
  let firstError: unknown;

  // A small worker pool: each worker takes the next chunk until none are left or one has failed
  // hard (then the remaining chunks are counted as not written rather than attempted).
  const worker = async (): Promise<void> => {
    while (next < chunks.length && firstError === undefined) {
      const current = chunks[next];
      next += 1;
      if (!current) continue;
      const outcome = await writeChunk(current, ctx);
      notWritten += outcome.notWritten;
      if (outcome.error !== undefined && firstError === undefined) firstError = outcome.error;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(ctx.concurrency, chunks.length)) }, worker));
  for (const skipped of chunks.slice(next)) notWritten += skipped.length;

  if (firstError !== undefined) {
    const translated = toStoreError('BatchWriteItem', ctx.tableName, firstError);
    throw new StoreWriteError(
      `${notWritten} of ${unique.length} items were not written: ${translated.message}`,
      { notWritten, attempted: unique.length },
      firstError,
    );
  }
  if (notWritten > 0) {
    throw new StoreWriteError(
      `${notWritten} of ${unique.length} items were not written to table "${ctx.tableName}": DynamoDB still ` +
        `returned them as UnprocessedItems after ${ctx.policy.maxAttempts} attempts`,
      { notWritten, attempted: unique.length },
    );
  }
  return unique.length;
}
