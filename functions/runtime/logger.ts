/**
 * The structured logger of the functions and of `relay-audit serve`: Powertools' `Logger`, one
 * JSON object per line with `timestamp`, `level`, `message`, `service` and any keys. Info and debug
 * lines go to stdout, warnings and errors to stderr; Lambda's JSON log format passes them through
 * and filters them by `level`.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger };

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Reads the level from `LOG_LEVEL`, then Lambda's `AWS_LAMBDA_LOG_LEVEL`; default `info`. */
export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = (env.LOG_LEVEL ?? env.AWS_LAMBDA_LOG_LEVEL ?? 'info').toLowerCase();
  const alias = raw === 'warning' ? 'warn' : raw === 'trace' ? 'debug' : raw === 'fatal' ? 'error' : raw;
  return (LOG_LEVELS as readonly string[]).includes(alias) ? (alias as LogLevel) : 'info';
}

/**
 * A logger for `service` writing from `level` up. In Lambda, a level set on the function (Lambda's
 * advanced logging controls, which the stack sets) takes precedence, as Powertools documents.
 */
export function createLogger(service: string, level: LogLevel = 'info'): Logger {
  return new Logger({ serviceName: service, logLevel: level });
}
