/**
 * Driving the ingest handler through continuations on the local engines, for the resumable-ingest
 * test and `npm run bench:cloud`: a queue kept in memory receives what the handler sends back to
 * it, and each invocation gets a deadline that arrives after a fixed time or number of checks.
 */
import type { SQSBatchResponse } from 'aws-lambda';
import type { InvocationContext } from '../../functions/ingest/ingest.js';
import { INGEST_BATCH_SIZE } from './ingest-harness.js';
import { sqsEvent } from './local-engines.js';

export type IngestLambda = (event: unknown, context: InvocationContext) => Promise<SQSBatchResponse>;

/** A context whose remaining time runs out after `checks` reads of it, or after `ms` milliseconds. */
export function deadlineContext(
  limit: { checks?: number; ms?: number },
  marginMs: number,
): InvocationContext {
  const started = Date.now();
  let checks = 0;
  return {
    awsRequestId: 'continuation-test',
    getRemainingTimeInMillis: () => {
      checks++;
      const outOfChecks = limit.checks !== undefined && checks > limit.checks;
      const outOfTime = limit.ms !== undefined && Date.now() - started > limit.ms;
      // Past the limit: less than the handler's stop margin is left.
      return outOfChecks || outOfTime ? marginMs - 1 : marginMs + 600_000;
    },
  };
}

/** What a run of the queue to empty did. */
export interface QueueRun {
  invocations: number;
  /** Message bodies the handler returned as batch item failures (SQS would redeliver them). */
  failed: string[];
  /** Messages the handler sent back to the queue (continuations and untried messages). */
  sentBack: number;
}

/**
 * Delivers the bodies in `queue` in batches and keeps delivering whatever the handler sends back
 * to it (its `sendToQueue` appends to `queue`) until the queue is empty. Batch item failures are
 * collected, not redelivered: a run that needs SQS's retries shows them.
 */
export async function drainQueue(
  handler: IngestLambda,
  queue: string[],
  context: () => InvocationContext,
  options: { maxInvocations?: number; batchSize?: number; concurrency?: number } = {},
): Promise<QueueRun> {
  const batchSize = options.batchSize ?? INGEST_BATCH_SIZE;
  const run: QueueRun = { invocations: 0, failed: [], sentBack: 0 };
  const initial = queue.length;
  let delivered = 0;
  const worker = async (): Promise<void> => {
    while (queue.length > 0) {
      if (run.invocations >= (options.maxInvocations ?? 10_000)) throw new Error('too many invocations');
      const bodies = queue.splice(0, batchSize);
      delivered += bodies.length;
      run.invocations++;
      const event = sqsEvent(bodies);
      const response = await handler(event, context());
      for (const failure of response.batchItemFailures) {
        const record = event.Records.find((candidate) => candidate.messageId === failure.itemIdentifier);
        run.failed.push(record?.body ?? failure.itemIdentifier);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 1 }, worker));
  run.sentBack = delivered - initial;
  return run;
}
