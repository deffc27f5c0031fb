/**
 * Translation of AWS SDK errors into relay-audit errors at the store boundary, so callers (CLI,
 * Lambda handlers, API) deal with one error family with stable codes and never import the SDK's.
 */
import { RelayAuditError, StoreError } from '../core/kernel/errors.js';

/** Items that could not be written after all retries; `notWritten` lets a caller report or requeue. */
export class StoreWriteError extends StoreError {
  public readonly notWritten: number;
  public readonly attempted: number;

  public constructor(message: string, counts: { notWritten: number; attempted: number }, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.notWritten = counts.notWritten;
    this.attempted = counts.attempted;
  }
}

/**
 * A write fenced by a source lease found the lease held by another attempt (it ran out and was
 * taken over): this attempt's outcome must not overwrite the newer one's.
 */
export class SourceLeaseLostError extends StoreError {
  public constructor(sourceId: string, owner: string, cause?: unknown) {
    super(
      `the lease on source ${sourceId} is no longer held by ${owner}: another attempt took it over`,
      cause === undefined ? undefined : { cause },
    );
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Wraps `error` from DynamoDB `operation` on `tableName` into a `StoreError` carrying it as
 * `cause`. relay-audit errors pass through unchanged so translation never double-wraps.
 */
export function toStoreError(operation: string, tableName: string, error: unknown): RelayAuditError {
  if (error instanceof RelayAuditError) return error;
  const hint =
    error instanceof Error && error.name === 'ResourceNotFoundException'
      ? ' (does the table exist in this region/endpoint?)'
      : '';
  return new StoreError(`DynamoDB ${operation} on table "${tableName}" failed: ${describe(error)}${hint}`, {
    cause: error,
  });
}
