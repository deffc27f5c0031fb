/**
 * The API function's environment, validated once per container. The CDK stack sets `TABLE_NAME`;
 * `AWS_ENDPOINT_URL_DYNAMODB` (read by the SDK itself) lets the same code run against a local engine.
 */
import { z } from 'zod';
import { readEnvironment } from '../runtime/environment.js';
import { type LogLevel, levelFromEnv } from '../runtime/logger.js';

const Environment = z.object({
  TABLE_NAME: z.string().min(3).max(255),
  /** The bucket dashboard uploads go to; without it `POST /uploads` is not offered. */
  BUCKET_NAME: z.string().min(3).max(63).optional(),
});

export interface ApiConfig {
  tableName: string;
  bucketName?: string;
  logLevel: LogLevel;
}

/** Reads and validates the environment; throws `EnvironmentError` naming what is wrong. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const data = readEnvironment(Environment, env, 'API');
  return {
    tableName: data.TABLE_NAME,
    ...(data.BUCKET_NAME === undefined ? {} : { bucketName: data.BUCKET_NAME }),
    logLevel: levelFromEnv(env),
  };
}
