/**
 * The API function's environment, validated once per container. The CDK stack sets `TABLE_NAME`;
 * `AWS_ENDPOINT_URL_DYNAMODB` (read by the SDK itself) lets the same code run against a local engine.
 */
import { z } from 'zod';
import { type LogLevel, levelFromEnv } from '../runtime/logger.js';
import { ApiConfigError } from './errors.js';

const Environment = z.object({
  TABLE_NAME: z.string().min(3).max(255),
});

export interface ApiConfig {
  tableName: string;
  logLevel: LogLevel;
}

/** Reads and validates the environment; throws {@link ApiConfigError} naming what is wrong. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const parsed = Environment.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ApiConfigError(`invalid API environment: ${problems.join('; ')}`, { cause: parsed.error });
  }
  return { tableName: parsed.data.TABLE_NAME, logLevel: levelFromEnv(env) };
}
