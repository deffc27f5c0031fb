/**
 * Named errors of the ingest handler. Each says whether trying again can help, because that
 * decides between "report the message as a batch item failure" (SQS retries, then the DLQ) and
 * "let the message succeed" (retrying would fail the same way forever).
 */

/** An SQS message whose body is not an S3 event notification we understand. Sent on to the DLQ. */
export class InvalidMessageError extends Error {
  public readonly messageId: string | undefined;

  public constructor(message: string, options: { messageId?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InvalidMessageError';
    this.messageId = options.messageId;
  }
}

/**
 * The object named by a notification no longer exists, or was replaced: the event is stale and
 * nothing is lost by dropping it (a replacement has a notification of its own).
 */
export class StaleObjectError extends Error {
  public readonly reason: 'deleted' | 'replaced';

  public constructor(message: string, reason: 'deleted' | 'replaced', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StaleObjectError';
    this.reason = reason;
  }
}

/** The function's environment is incomplete or invalid (a deployment problem, not a data problem). */
export class IngestConfigError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IngestConfigError';
  }
}
