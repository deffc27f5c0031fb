/**
 * The ingest function's environment, validated once per container. The CDK stack sets these;
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_DYNAMODB` (read by the SDK itself) and
 * `S3_FORCE_PATH_STYLE` let the same code run against local engines.
 */
import { z } from 'zod';
import { EnvironmentFlag, readEnvironment } from '../runtime/environment.js';
import { type LogLevel, levelFromEnv } from '../runtime/logger.js';
import { DEFAULT_RETENTION_DAYS } from '../store/table-design.js';

const Environment = z.object({
  TABLE_NAME: z.string().min(3),
  BUCKET_NAME: z.string().min(3),
  ACCEPTED_DOMAINS: z.string().optional(),
  RETENTION_DAYS: z.coerce.number().int().min(1).default(DEFAULT_RETENTION_DAYS),
  /** Path-style S3 URLs: needed by local S3 engines on `127.0.0.1`, never in AWS. */
  S3_FORCE_PATH_STYLE: EnvironmentFlag,
  /** The ingest queue itself: continuations and untried messages are sent back to it. */
  INGEST_QUEUE_URL: z.url().optional(),
});

export interface IngestConfig {
  tableName: string;
  bucketName: string;
  acceptedDomains?: string;
  retentionDays: number;
  s3ForcePathStyle: boolean;
  ingestQueueUrl?: string;
  logLevel: LogLevel;
}

/** Reads and validates the environment; throws `EnvironmentError` naming what is wrong. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const data = readEnvironment(Environment, env, 'ingest');
  return {
    tableName: data.TABLE_NAME,
    bucketName: data.BUCKET_NAME,
    ...(data.ACCEPTED_DOMAINS?.trim() ? { acceptedDomains: data.ACCEPTED_DOMAINS.trim() } : {}),
    retentionDays: data.RETENTION_DAYS,
    s3ForcePathStyle: data.S3_FORCE_PATH_STYLE,
    ...(data.INGEST_QUEUE_URL === undefined ? {} : { ingestQueueUrl: data.INGEST_QUEUE_URL }),
    logLevel: levelFromEnv(env),
  };
}
