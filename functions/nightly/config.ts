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
  /**
   * The deployed stack's name (set by the CDK construct): the report's suggested commands take
   * `--stack` with it, or they would read a local store. A CloudFormation name needs no shell quoting.
   */
  STACK_NAME: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /**
   * Set by Lambda: the stack's region, for `--region` beside `--stack` (the CLI looks the stack up
   * in its own default region otherwise). Anything but a plain region name is left out, not fatal.
   */
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z0-9]+)+-\d+$/)
    .optional()
    .catch(undefined),
});

export interface NightlyConfig {
  tableName: string;
  bucketName: string;
  alertTopicArn?: string;
  lookBackDays: number;
  retentionDays: number;
  s3ForcePathStyle: boolean;
  logLevel: LogLevel;
  /** The deployed stack the report's commands name, with its region when known. */
  stack?: { name: string; region?: string };
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
    ...(data.STACK_NAME === undefined
      ? {}
      : {
          stack: {
            name: data.STACK_NAME,
            ...(data.AWS_REGION === undefined ? {} : { region: data.AWS_REGION }),
          },
        }),
  };
}
