/**
 * Counts the DynamoDB requests a client sent again: the SDK's retries (a response's, or a failure's,
 * `$metadata.attempts` − 1) and each `BatchWriteItem` that handed back `UnprocessedItems` (the store
 * sends those again). A middleware on the client, outside the SDK's retry loop, so it sees one
 * call with its attempts; the store's code is untouched.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** A running count of the client's retries since {@link countRetries}. */
export interface RetryCount {
  readonly total: number;
}

interface CallOutcome {
  $metadata?: { attempts?: number };
  UnprocessedItems?: Record<string, unknown[]>;
}

function retriesOf(outcome: CallOutcome | undefined): number {
  const attempts = outcome?.$metadata?.attempts ?? 1;
  const unprocessed = Object.values(outcome?.UnprocessedItems ?? {}).some((items) => items.length > 0);
  return Math.max(0, attempts - 1) + (unprocessed ? 1 : 0);
}

/** Starts counting the retries of `client`'s requests. */
export function countRetries(client: DynamoDBClient): RetryCount {
  const count = { total: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        const result = await next(args);
        count.total += retriesOf(result.output as CallOutcome);
        return result;
      } catch (error) {
        count.total += retriesOf(error as CallOutcome);
        throw error;
      }
    },
    { step: 'initialize', name: 'relayAuditRetryCount' },
  );
  return count;
}
