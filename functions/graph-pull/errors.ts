/** The one error of the trace pull: Graph or the identity platform answered with a failure. */
import { ErrorCode, RelayAuditError } from '../core/kernel/errors.js';

export class GraphPullError extends RelayAuditError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.ReadFailure, message, options);
  }
}
