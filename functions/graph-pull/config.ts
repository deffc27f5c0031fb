/**
 * The trace pull's environment, validated once per container. The CDK construct
 * (lib/constructs/graph-trace-pull.ts) sets it; `AUTHORITY_HOST` and `GRAPH_BASE_URL` exist so the
 * tests can point the function at a local server.
 */
import { z } from 'zod';
import { EnvironmentFlag, readEnvironment } from '../runtime/environment.js';
import { type LogLevel, levelFromEnv } from '../runtime/logger.js';
import { DOCUMENTED_BUDGET, type PullSettings } from './run-pull.js';

const MINUTE = 60_000;

const Environment = z.object({
  BUCKET_NAME: z.string().min(3),
  TENANT_ID: z.string().regex(/^[\w.-]{1,100}$/, 'must be the tenant id (GUID) or its onmicrosoft.com name'),
  CLIENT_ID: z.string().regex(/^[\w-]{1,100}$/, 'must be the application (client) id'),
  /** Name or ARN of the Secrets Manager secret holding the certificate and its key (PEM). */
  CERTIFICATE_SECRET_ID: z.string().min(1),
  AUTHORITY_HOST: z.url({ protocol: /^https?$/ }).default('https://login.microsoftonline.com'),
  /**
   * beta: where both the trace list and getDetailsByRecipient are documented today (the list is
   * in v1.0 too; the details were found documented in beta only).
   */
  GRAPH_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://graph.microsoft.com/beta'),
  LAG_MINUTES: z.coerce.number().int().min(0).max(240).default(15),
  WINDOW_MINUTES: z.coerce.number().int().min(5).max(1440).default(60),
  FIRST_LOOK_BACK_HOURS: z.coerce.number().int().min(1).max(240).default(24),
  REQUESTS_PER_5_MINUTES: z.coerce.number().int().min(1).max(DOCUMENTED_BUDGET.limit).default(80),
  MAX_DETAILS_PER_WINDOW: z.coerce.number().int().min(0).max(1000).default(150),
  S3_FORCE_PATH_STYLE: EnvironmentFlag,
});

export interface GraphPullConfig {
  bucketName: string;
  tenantId: string;
  clientId: string;
  certificateSecretId: string;
  authorityHost: string;
  settings: PullSettings;
  s3ForcePathStyle: boolean;
  logLevel: LogLevel;
}

/** Reads and validates the environment; throws `EnvironmentError` naming what is wrong. */
export function readGraphPullConfig(env: NodeJS.ProcessEnv = process.env): GraphPullConfig {
  const data = readEnvironment(Environment, env, 'graph trace pull');
  return {
    bucketName: data.BUCKET_NAME,
    tenantId: data.TENANT_ID,
    clientId: data.CLIENT_ID,
    certificateSecretId: data.CERTIFICATE_SECRET_ID,
    authorityHost: data.AUTHORITY_HOST,
    settings: {
      graphBase: data.GRAPH_BASE_URL,
      lagMs: data.LAG_MINUTES * MINUTE,
      windowMs: data.WINDOW_MINUTES * MINUTE,
      firstLookBackMs: data.FIRST_LOOK_BACK_HOURS * 60 * MINUTE,
      requestLimit: data.REQUESTS_PER_5_MINUTES,
      maxDetailsPerWindow: data.MAX_DETAILS_PER_WINDOW,
    },
    s3ForcePathStyle: data.S3_FORCE_PATH_STYLE,
    logLevel: levelFromEnv(env),
  };
}
