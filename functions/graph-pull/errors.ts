/**
 * The trace pull's one error: Graph, the identity platform or the cursor answered with a failure.
 * Its `code` is READ_FAILURE like every input that could not be read; `failure` says which kind,
 * a stable string an alarm or a script can tell apart (never rename one).
 */
import { ErrorCode, RelayAuditError } from '../core/kernel/errors.js';

export const GraphFailure = {
  /** No answer: connection refused or reset, DNS, TLS (after the retries). */
  Network: 'NETWORK',
  /** No answer within the request timeout (after the retries). */
  Timeout: 'TIMEOUT',
  /** 5xx (after the retries). */
  ServerError: 'SERVER_ERROR',
  /** 429 (after the retries). */
  Throttled: 'THROTTLED',
  /** 401 with a token just renewed. */
  Unauthorized: 'UNAUTHORIZED',
  /** 403: the app may not read message trace. */
  Forbidden: 'FORBIDDEN',
  /** 404. */
  NotFound: 'NOT_FOUND',
  /** 400 and the other 4xx: Graph refuses the question itself. */
  BadRequest: 'BAD_REQUEST',
  /** A 2xx whose body is not a Graph collection page. */
  BadAnswer: 'BAD_ANSWER',
  /** The token endpoint refused the sign-in. */
  SignIn: 'SIGN_IN',
  /** The cursor object is not a cursor. */
  BadCursor: 'BAD_CURSOR',
  /** A wait longer than the invocation has left: the run ends cleanly, not with this error. */
  OutOfTime: 'OUT_OF_TIME',
} as const;
export type GraphFailure = (typeof GraphFailure)[keyof typeof GraphFailure];

export class GraphPullError extends RelayAuditError {
  public readonly failure: GraphFailure;

  public constructor(message: string, options: { failure: GraphFailure; cause?: unknown }) {
    super(ErrorCode.ReadFailure, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.failure = options.failure;
  }
}

/** Failures that a later attempt of the same request may not repeat. */
export const TRANSIENT_FAILURES: ReadonlySet<GraphFailure> = new Set([
  GraphFailure.Network,
  GraphFailure.Timeout,
]);

/** True for the internal "no time left" signal. */
export const isOutOfTime = (error: unknown): error is GraphPullError =>
  error instanceof GraphPullError && error.failure === GraphFailure.OutOfTime;
