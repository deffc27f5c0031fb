/**
 * A tiny structured logger: one JSON object per line on stdout, with `timestamp`, `level`,
 * `message` and any fields. Lambda's JSON log format passes such lines through and filters them
 * by `level`; CloudWatch Logs Insights can query every field. No dependency, no global state.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

export interface LoggerOptions {
  /** Lowest level written; default `info`. */
  level?: LogLevel;
  /** Fields on every line (e.g. the function name, the request id). */
  fields?: LogFields;
  /** Where a line goes; default `process.stdout`. */
  write?: (line: string) => void;
  now?: () => Date;
}

/** Reads the level from `LOG_LEVEL`, then Lambda's `AWS_LAMBDA_LOG_LEVEL`; default `info`. */
export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = (env.LOG_LEVEL ?? env.AWS_LAMBDA_LOG_LEVEL ?? 'info').toLowerCase();
  const alias = raw === 'warning' ? 'warn' : raw === 'trace' ? 'debug' : raw === 'fatal' ? 'error' : raw;
  return (LOG_LEVELS as readonly string[]).includes(alias) ? (alias as LogLevel) : 'info';
}

/** Makes errors (and their `cause` chain) survive `JSON.stringify`. */
export function serialiseError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return error;
  const result: LogFields = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) result.code = code;
  if (error.stack !== undefined) result.stack = error.stack;
  if (error.cause !== undefined && depth < 3) result.cause = serialiseError(error.cause, depth + 1);
  return result;
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return serialiseError(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Structured logger; also satisfies the store's `StoreLogger`. */
export class Logger {
  private readonly level: LogLevel;
  private readonly fields: LogFields;
  private readonly write: (line: string) => void;
  private readonly now: () => Date;

  public constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? 'info';
    this.fields = options.fields ?? {};
    this.write = options.write ?? ((line) => process.stdout.write(line));
    this.now = options.now ?? (() => new Date());
  }

  /** A logger adding `fields` to every line (e.g. the message id being processed). */
  public child(fields: LogFields): Logger {
    return new Logger({
      level: this.level,
      fields: { ...this.fields, ...fields },
      write: this.write,
      now: this.now,
    });
  }

  public debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }

  public info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }

  public warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }

  public error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }

  private log(level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.level]) return;
    const entry = {
      timestamp: this.now().toISOString(),
      level: level.toUpperCase(),
      message,
      ...this.fields,
      ...fields,
    };
    this.write(`${JSON.stringify(entry, replacer)}\n`);
  }
}
