/**
 * Named errors of the nightly job. Usage mistakes (a bad `--date`, an invalid look-back) are the
 * core's `ArgumentError`, so the CLI maps them to exit status 2 like every other command; these
 * classes cover what is specific to the scheduled job.
 */

/** The invocation event is not a scheduled event (or a re-run request) the handler understands. */
export class NightlyEventError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NightlyEventError';
  }
}

/** The function's environment is incomplete or invalid (a deployment problem, not a data problem). */
export class NightlyConfigError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NightlyConfigError';
  }
}

/** A report file or object could not be written; `location` says where it was going. */
export class ReportWriteError extends Error {
  public readonly location: string;

  public constructor(message: string, location: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReportWriteError';
    this.location = location;
  }
}

/** The alert summary could not be published (the run fails, so a retry publishes it again). */
export class PublishError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishError';
  }
}
