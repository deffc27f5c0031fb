/**
 * Named errors of the query API. Each carries the HTTP status and a stable code that goes into
 * the JSON error body, so the dashboard and scripts can branch on `error.code` rather than text.
 */

/** Stable error codes of API responses. Never rename one: clients rely on them. */
export const ApiErrorCode = {
  InvalidArgument: 'INVALID_ARGUMENT',
  NotFound: 'NOT_FOUND',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  /** The findings store failed after its retries (throttling, network): worth retrying later. */
  StoreFailure: 'STORE_FAILURE',
  Internal: 'INTERNAL_ERROR',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** Base class: an error that becomes an HTTP response with `status` and `{ error: { code, message } }`. */
export class ApiError extends Error {
  public readonly status: number;
  public readonly code: ApiErrorCode;

  public constructor(status: number, code: ApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
  }
}

/** A query parameter or path parameter is invalid; the message starts with its name (`from: …`). */
export class InvalidParameterError extends ApiError {
  public readonly parameter: string;

  public constructor(parameter: string, message: string, options?: { cause?: unknown }) {
    super(400, ApiErrorCode.InvalidArgument, `${parameter}: ${message}`, options);
    this.parameter = parameter;
  }
}

/** No such route, finding or source. */
export class NotFoundError extends ApiError {
  public constructor(message: string) {
    super(404, ApiErrorCode.NotFound, message);
  }
}

/** The path exists but not for this method; `allow` lists the methods that do. */
export class MethodNotAllowedError extends ApiError {
  public readonly allow: readonly string[];

  public constructor(method: string, path: string, allow: readonly string[]) {
    super(
      405,
      ApiErrorCode.MethodNotAllowed,
      `${method} is not allowed on ${path} (allowed: ${allow.join(', ')})`,
    );
    this.allow = allow;
  }
}

/** The Lambda was invoked with something that is not an API Gateway HTTP API (payload v2) event. */
export class InvalidEventError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidEventError';
  }
}

/** The API function's environment is incomplete or invalid (a deployment problem). */
export class ApiConfigError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiConfigError';
  }
}
