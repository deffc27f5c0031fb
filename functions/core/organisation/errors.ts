/**
 * The error the organisation's configuration files raise: a file that is not what its option
 * expects. It names the file and says what was expected, so the admin can export it again.
 */
import { ConfigError } from '../kernel/errors.js';

/**
 * A connectors or certificate file that cannot be read as the readiness check expects (bad JSON,
 * JSON of another shape, a PEM that holds no certificate, undecodable bytes).
 *
 * Code `INVALID_CONFIG`: to the CLI it is bad input (exit 2), like a bad accepted-domains list.
 */
export class ConfigFileError extends ConfigError {
  /** The file (or origin) that failed. */
  public readonly file: string;
  /** What is wrong with it, without the file's name, e.g. `it contains no PEM block`. */
  public readonly problem: string;
  /** What the file should have contained, in words, e.g. `Get-InboundConnector | ConvertTo-Json output`. */
  public readonly expected: string;

  public constructor(file: string, problem: string, expected: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}; expected ${expected}`, {
      ...(options?.cause === undefined ? {} : { cause: options.cause }),
      location: { file },
    });
    this.file = file;
    this.problem = problem;
    this.expected = expected;
  }
}
