/**
 * Named errors with stable codes. Every error that reaches a user carries a `code` a script can
 * rely on, a human message that says what and where, and the underlying `cause` when there is one.
 */

/** Stable error codes. Dashboards and source records store these strings: never rename one. */
export const ErrorCode = {
  UnknownFormat: 'UNKNOWN_FORMAT',
  BadEncoding: 'BAD_ENCODING',
  EmptyInput: 'EMPTY_INPUT',
  TruncatedInput: 'TRUNCATED_INPUT',
  RecordTooLarge: 'RECORD_TOO_LARGE',
  InvalidConfig: 'INVALID_CONFIG',
  InvalidArgument: 'INVALID_ARGUMENT',
  StoreFailure: 'STORE_FAILURE',
  ReadFailure: 'READ_FAILURE',
  /** Analysis stopped early (a Lambda deadline); the input must be analysed again. */
  DeadlineReached: 'DEADLINE_REACHED',
  /** Analysis stopped early by its user (Ctrl+C); the input must be analysed again. */
  Interrupted: 'INTERRUPTED',
  /** The file was read, but every row was skipped (`System.String[]` cells, bad timestamps…). */
  NoUsableRows: 'NO_USABLE_ROWS',
  /** The file was read, but rows holding relay-refusal text could not be (REFUSAL_NOT_READ skips). */
  RefusalNotRead: 'REFUSAL_NOT_READ',
  /** No such route, finding or source. */
  NotFound: 'NOT_FOUND',
  /** The route exists, not for this method. */
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  /** A function's environment is incomplete or invalid: a deployment problem. */
  InvalidEnvironment: 'INVALID_ENVIRONMENT',
  /** A function was invoked with an event of another shape (S3, SQS, scheduler, API Gateway). */
  InvalidEvent: 'INVALID_EVENT',
  /** The uploaded object changed or vanished while it was analysed. */
  StaleObject: 'STALE_OBJECT',
  /** The nightly report could not be written or its alert not published. */
  ReportFailure: 'REPORT_FAILURE',
  /** A defect: anything that is not one of the codes above. */
  Internal: 'INTERNAL_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Where in an input something happened. */
export interface InputLocation {
  file?: string | undefined;
  line?: number;
  column?: string;
}

/** Base class: every relay-audit error has a stable code and optional location. */
export class RelayAuditError extends Error {
  public readonly code: ErrorCode;
  public readonly location: InputLocation | undefined;

  public constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; location?: InputLocation },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.location = options?.location;
  }
}

/** The file's header matches no supported format. */
export class UnknownFormatError extends RelayAuditError {
  public constructor(message: string, location?: InputLocation) {
    super(ErrorCode.UnknownFormat, message, location ? { location } : undefined);
  }
}

/** The bytes are not valid text in the encoding the file declares or appears to use. */
export class DecodeError extends RelayAuditError {
  public constructor(message: string, options?: { cause?: unknown; location?: InputLocation }) {
    super(ErrorCode.BadEncoding, message, options);
  }
}

/** The file has no bytes, nothing but blank lines, or a header without rows. */
export class EmptyInputError extends RelayAuditError {
  public constructor(message: string, location?: InputLocation) {
    super(ErrorCode.EmptyInput, message, location ? { location } : undefined);
  }
}

/** The file ends inside a quoted field, or has no rows after its header. */
export class TruncatedInputError extends RelayAuditError {
  public constructor(message: string, location?: InputLocation) {
    super(ErrorCode.TruncatedInput, message, location ? { location } : undefined);
  }
}

/** Configuration (accepted domains, CLI options, context) failed validation. */
export class ConfigError extends RelayAuditError {
  public constructor(message: string, options?: { cause?: unknown; location?: InputLocation }) {
    super(ErrorCode.InvalidConfig, message, options);
  }
}

/** A usage mistake on the command line or in an API request. */
export class ArgumentError extends RelayAuditError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidArgument, message, options);
  }
}

/**
 * One named value is invalid (`invalid cursor: …`, `invalid since: …`). The name and the problem
 * are kept apart so that the API can name the query parameter without parsing the message.
 */
export class InvalidValueError extends ArgumentError {
  public readonly subject: string;
  public readonly problem: string;

  public constructor(subject: string, problem: string, options?: { cause?: unknown }) {
    super(`invalid ${subject}: ${problem}`, options);
    this.subject = subject;
    this.problem = problem;
  }
}

/** A function's environment is incomplete or invalid (a deployment problem, not a user's). */
export class EnvironmentError extends RelayAuditError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidEnvironment, message, options);
  }
}

/** A function was invoked with an event it does not handle. */
export class InvalidEventError extends RelayAuditError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidEvent, message, options);
  }
}

/** The findings store could not complete a request after retries. */
export class StoreError extends RelayAuditError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.StoreFailure, message, options);
  }
}

/**
 * True when `error`, or an error in its `cause` chain, says the store refused an item for what it
 * is — DynamoDB's `ValidationException` (an item past 400 KB, a key past its size limit) or a
 * finding that fails the schema (`INVALID_ARGUMENT`) — so that writing it again cannot succeed,
 * unlike a store that is down or throttled.
 */
export function isItemRejection(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    if (current.name === 'ValidationException') return true;
    if (current instanceof RelayAuditError && current.code === ErrorCode.InvalidArgument) return true;
    current = current.cause;
  }
  return false;
}

/** Formats `file:line (column)` for messages. */
export function describeLocation(location: InputLocation | undefined): string {
  if (!location) return '';
  const parts = [location.file ?? '<input>'];
  if (location.line !== undefined) parts.push(`line ${location.line}`);
  if (location.column !== undefined) parts.push(`column "${location.column}"`);
  return parts.join(', ');
}
