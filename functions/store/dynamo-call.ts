/**
 * The one way the store sends a DynamoDB request: retry throttling with backoff, then translate
 * whatever is left into a `StoreError` carrying the SDK error as `cause`.
 */
import type { StoreLogger } from './logger.js';
import { type RetryPolicy, withRetry } from './retry.js';
import { toStoreError } from './store-errors.js';

/** Sends one request (`send`) named `operation`, with retries and error translation. */
export type DynamoCall = <T>(operation: string, send: () => Promise<T>) => Promise<T>;

/** Builds the `DynamoCall` for one table, logging each throttling retry as a warning. */
export function createDynamoCall(tableName: string, policy: RetryPolicy, logger: StoreLogger): DynamoCall {
  return async (operation, send) => {
    try {
      return await withRetry(send, policy, (retry, delayMs, error) =>
        logger.warn(`DynamoDB throttled ${operation}; retrying`, {
          table: tableName,
          retry,
          delayMs,
          error: error instanceof Error ? error.name : String(error),
        }),
      );
    } catch (error) {
      throw toStoreError(operation, tableName, error);
    }
  };
}

/** Name of the SDK error behind a translated `StoreError`, to branch on expected conditions. */
export function causeName(error: unknown): string | undefined {
  return error instanceof Error && error.cause instanceof Error ? error.cause.name : undefined;
}
