/**
 * Named errors of the nightly job. Usage mistakes (a bad `--date`, an invalid look-back) are the
 * core's `ArgumentError`, so the CLI maps them to exit status 2 like every other command; these
 * classes cover what is specific to the scheduled job (code `REPORT_FAILURE`): its report, its
 * history objects and its alert.
 */
import { ErrorCode, RelayAuditError } from '../core/kernel/errors.js';

/** A report file or a history object could not be written; `target` says where it was going. */
export class ReportWriteError extends RelayAuditError {
  public readonly target: string;

  public constructor(message: string, target: string, options?: { cause?: unknown }) {
    super(ErrorCode.ReportFailure, message, options);
    this.target = target;
  }
}

/** The alert summary could not be published (the run fails, so a retry publishes it again). */
export class PublishError extends RelayAuditError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.ReportFailure, message, options);
  }
}
