/**
 * The query API's errors: the shared vocabulary (`RelayAuditError` and its `ErrorCode`s) plus one
 * table from code to HTTP status. A route throws what it means (`NotFoundError`, an
 * `InvalidValueError` from the store…); `toApiError` decides the status from the code alone, so no
 * layer re-declares codes and nothing parses a message to recover its meaning.
 */
import {
  ErrorCode,
  type ErrorCode as ErrorCodeType,
  InvalidValueError,
  RelayAuditError,
} from '../core/kernel/errors.js';

/** The HTTP status of each code an API response may carry; any other code is a 500. */
export const HTTP_STATUS: Readonly<Partial<Record<ErrorCodeType, number>>> = {
  [ErrorCode.InvalidArgument]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.MethodNotAllowed]: 405,
  /** The findings store failed after its retries (throttling, network): worth retrying later. */
  [ErrorCode.StoreFailure]: 503,
};

/** Messages shown instead of the error's own, where that one would reveal internals. */
const PUBLIC_MESSAGE: Readonly<Partial<Record<ErrorCodeType, string>>> = {
  [ErrorCode.StoreFailure]: 'the findings store is unavailable; try again shortly',
  [ErrorCode.Internal]: 'internal error; the API logs have the details under this request id',
};

/** An error on its way to a response: its status, code and the message the client may see. */
export class ApiError extends RelayAuditError {
  public readonly status: number;

  public constructor(status: number, code: ErrorCodeType, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}

/** A query parameter or path parameter is invalid; the message starts with its name (`from: …`). */
export class InvalidParameterError extends ApiError {
  public readonly parameter: string;

  public constructor(parameter: string, message: string, options?: { cause?: unknown }) {
    super(400, ErrorCode.InvalidArgument, `${parameter}: ${message}`, options);
    this.parameter = parameter;
  }
}

/** No such route, finding or source. */
export class NotFoundError extends ApiError {
  public constructor(message: string) {
    super(404, ErrorCode.NotFound, message);
  }
}

/** The path exists but not for this method; `allow` lists the methods that do. */
export class MethodNotAllowedError extends ApiError {
  public readonly allow: readonly string[];

  public constructor(method: string, path: string, allow: readonly string[]) {
    super(
      405,
      ErrorCode.MethodNotAllowed,
      `${method} is not allowed on ${path} (allowed: ${allow.join(', ')})`,
    );
    this.allow = allow;
  }
}

/**
 * Any error as an {@link ApiError}: its status from {@link HTTP_STATUS}, a named invalid value as
 * the parameter it came from, everything unknown as a 500 that reveals nothing (the cause is kept
 * for the log).
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof InvalidValueError) {
    return new InvalidParameterError(error.subject, error.problem, { cause: error });
  }
  const code = error instanceof RelayAuditError ? error.code : ErrorCode.Internal;
  const status = HTTP_STATUS[code];
  if (status === undefined) {
    return new ApiError(500, ErrorCode.Internal, PUBLIC_MESSAGE[ErrorCode.Internal] ?? 'internal error', {
      cause: error,
    });
  }
  const message = PUBLIC_MESSAGE[code] ?? (error instanceof Error ? error.message : String(error));
  return new ApiError(status, code, message, { cause: error });
}
