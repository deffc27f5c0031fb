/**
 * The nightly function's environment, validated once per container. The CDK construct sets these;
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_DYNAMODB` (read by the SDK) and `S3_FORCE_PATH_STYLE`
 * let the same code run against local engines.
 */
import { z } from 'zod';
import { EnvironmentFlag, readEnvironment } from '../runtime/environment.js';
import { type LogLevel, levelFromEnv } from '../runtime/logger.js';
import { DEFAULT_RETENTION_DAYS } from '../store/table-design.js';
import { DEFAULT_LOOK_BACK_DAYS, MAX_LOOK_BACK_DAYS } from './look-back.js';

const Environment = z.object({
  TABLE_NAME: z.string().min(3),
  BUCKET_NAME: z.string().min(3),
  /** The alert topic; without it nothing is published. */
  ALERT_TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, 'must be an SNS topic ARN')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  LOOK_BACK_DAYS: z.coerce.number().int().min(0).max(MAX_LOOK_BACK_DAYS).default(DEFAULT_LOOK_BACK_DAYS),
  /** Must equal the ingest function's: a reclassified finding is re-put with this TTL. */
  RETENTION_DAYS: z.coerce.number().int().min(1).default(DEFAULT_RETENTION_DAYS),
  S3_FORCE_PATH_STYLE: EnvironmentFlag,
});

export interface NightlyConfig {
  tableName: string;
  bucketName: string;
  alertTopicArn?: string;
  lookBackDays: number;
  retentionDays: number;
  s3ForcePathStyle: boolean;
  logLevel: LogLevel;
}

/** Reads and validates the environment; throws `EnvironmentError` naming what is wrong. */
export function readNightlyConfig(env: NodeJS.ProcessEnv = process.env): NightlyConfig {
  const data = readEnvironment(Environment, env, 'nightly');
  return {
    tableName: data.TABLE_NAME,
    bucketName: data.BUCKET_NAME,
    ...(data.ALERT_TOPIC_ARN === undefined ? {} : { alertTopicArn: data.ALERT_TOPIC_ARN }),
    lookBackDays: data.LOOK_BACK_DAYS,
    retentionDays: data.RETENTION_DAYS,
    s3ForcePathStyle: data.S3_FORCE_PATH_STYLE,
    logLevel: levelFromEnv(env),
  };
}
