/**
 * Powertools for AWS Lambda, set up once for every handler: the structured `Logger` (one JSON
 * object per line, which Lambda's JSON log format passes through), `Metrics` (CloudWatch embedded
 * metric format: metrics from log lines, no `PutMetricData` call) and `Tracer` (X-Ray subsegments
 * for the AWS SDK clients the handler wraps with `captureAWSv3Client`).
 *
 * Each handler module calls {@link powertools} once, at load, with its service name; tests call
 * it again for a fresh set. The CLI never imports this module: it keeps its own quiet output.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { createLogger, type LogLevel } from './logger.js';
import { FUNCTION_DIMENSION, METRIC_NAMESPACE, type ServiceName } from './observability-names.js';

export interface Powertools {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

/**
 * Logger, metrics and tracer of the function `service`, logging from `level` up (see
 * {@link createLogger}). Every metric carries the `service` dimension and, in Lambda, the
 * function's name (`AWS_LAMBDA_FUNCTION_NAME` of `env`).
 */
export function powertools(
  service: ServiceName,
  level: LogLevel,
  env: NodeJS.ProcessEnv = process.env,
): Powertools {
  const functionName = env.AWS_LAMBDA_FUNCTION_NAME;
  return {
    logger: createLogger(service, level),
    metrics: new Metrics({
      namespace: METRIC_NAMESPACE,
      serviceName: service,
      ...(functionName === undefined ? {} : { defaultDimensions: { [FUNCTION_DIMENSION]: functionName } }),
    }),
    // The SDK clients are traced one by one; patching every HTTP request as well would trace
    // each AWS call twice and cost start-up time.
    tracer: new Tracer({ serviceName: service, captureHTTPsRequests: false }),
  };
}
