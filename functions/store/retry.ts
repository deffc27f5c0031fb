/**
 * Bounded exponential backoff with full jitter, shared by every store call that DynamoDB may
 * throttle. Against DynamoDB itself the SDK's adaptive retry mode is the one retry layer for a
 * call (it also slows the client's send rate while throttled: see remote-store.ts), and this
 * backoff paces only `UnprocessedItems`, which the SDK does not retry; the embedded engine keeps
 * it for both.
 */

/** Sleeps for `ms` milliseconds; injectable so tests need not wait. */
export type Sleep = (ms: number) => Promise<void>;

export interface RetryPolicy {
  /** Total attempts including the first; at least 1. */
  readonly maxAttempts: number;
  /** Ceiling of the first backoff, in ms; doubles each attempt. */
  readonly baseDelayMs: number;
  /** Ceiling of any single backoff, in ms. */
  readonly maxDelayMs: number;
  readonly sleep: Sleep;
  /** Source of randomness in [0, 1); injectable for deterministic tests. */
  readonly random: () => number;
  /**
   * True when the client retries failed calls itself (the SDK's adaptive mode): a call is then
   * not retried again on top, which would multiply the attempts; `UnprocessedItems` still are.
   */
  readonly clientRetries?: boolean;
}

/** Real sleep, with the timer unref'd so a pending backoff never keeps a CLI process alive. */
export const realSleep: Sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 50,
  maxDelayMs: 5_000,
  sleep: realSleep,
  random: Math.random,
};

/**
 * Delay before retry number `attempt` (1 = first retry): "full jitter", a uniform draw below an
 * exponentially growing ceiling, so many writers backing off at once spread out instead of
 * retrying in lock-step.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(policy.random() * ceiling);
}

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'InternalServerError',
  'ServiceUnavailable',
]);

/** True for errors that mean "slow down and try again" rather than "this request is wrong". */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (THROTTLING_ERRORS.has(error.name)) return true;
  const retryable = (error as { $retryable?: { throttling?: boolean } }).$retryable;
  return retryable !== undefined;
}

/**
 * Runs `operation`, retrying retryable errors with backoff until `policy.maxAttempts` is reached;
 * then rethrows the last error (the caller translates it). Non-retryable errors are rethrown at once.
 */
export async function withRetry<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (policy.clientRetries === true || attempt >= policy.maxAttempts || !isRetryable(error)) throw error;
      const delay = backoffDelay(attempt, policy);
      onRetry?.(attempt, delay, error);
      await policy.sleep(delay);
    }
  }
}
