/**
 * Named errors of the ingest handler. Each says whether trying again can help, because that
 * decides between "report the message as a batch item failure" (SQS retries, then the DLQ) and
 * "let the message succeed" (retrying would fail the same way forever). Both carry the codes of
 * the one vocabulary (`functions/core/kernel/errors.ts`).
 */
import { ErrorCode, RelayAuditError } from '../core/kernel/errors.js';

/** An SQS message whose body is not an S3 event notification we understand. Sent on to the DLQ. */
export class InvalidMessageError extends RelayAuditError {
  public readonly messageId: string | undefined;

  public constructor(message: string, options: { messageId?: string; cause?: unknown } = {}) {
    super(
      ErrorCode.InvalidEvent,
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.messageId = options.messageId;
  }
}

/**
 * The object named by a notification no longer exists, or was replaced: the event is stale and
 * nothing is lost by dropping it (a replacement has a notification of its own).
 */
export class StaleObjectError extends RelayAuditError {
  public readonly reason: 'deleted' | 'replaced';

  public constructor(message: string, reason: 'deleted' | 'replaced', options?: { cause?: unknown }) {
    super(ErrorCode.StaleObject, message, options);
    this.reason = reason;
  }
}
