/**
 * RelayFunction: one Lambda of relay-audit (ingest today; nightly and API use the same shape).
 *
 * Every function gets the same treatment so none can drift: Node.js 22 on ARM64, an ESM bundle
 * built locally by esbuild (no Docker, works offline), source maps, its own log group with a
 * retention, JSON log format, X-Ray active tracing (Powertools' Tracer adds the AWS SDK calls:
 * functions/runtime/powertools.ts), and its own role that may write only to that log group (no
 * `AWSLambdaBasicExecutionRole`, whose `logs:*` on `*` is broader than needed) and send traces.
 * Data grants are added by the caller, resource by resource.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../nag.js';

/** The repository root: bundling resolves entries, `tsconfig.json` and the lock file from here. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Lets CommonJS dependencies bundled into the ESM output call `require` for Node built-ins
 * (esbuild's `__require` shim throws "Dynamic require is not supported" without it).
 */
export const ESM_REQUIRE_SHIM =
  "import { createRequire as __relayCreateRequire } from 'node:module'; const require = __relayCreateRequire(import.meta.url);";

/**
 * Modules left out of every bundle: the AWS SDK v3 ships with the Node.js 22 Lambda runtime, so
 * bundling it would only add megabytes and cold-start time.
 */
export const EXTERNAL_MODULES = ['@aws-sdk/*'];

export interface RelayFunctionProps {
  /** Handler source, relative to the repository root, e.g. `functions/ingest/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  /** Default 1024 MB: analysis is CPU-bound, and Lambda's CPU share grows with memory. */
  readonly memorySize?: number;
  readonly environment?: Record<string, string>;
  /** Default three months. */
  readonly logRetention?: RetentionDays;
}

/** A bundled Node.js 22 ARM64 function with its own log group and a role scoped to it. */
export class RelayFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;

  public constructor(scope: Construct, id: string, props: RelayFunctionProps) {
    super(scope, id);
    const entry = join(PROJECT_ROOT, props.entry);
    if (!existsSync(entry)) throw new Error(`RelayFunction ${id}: handler source ${entry} does not exist`);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      // Logs are operational, not the product's data (that lives in the table): remove with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      // Lambda samples invocations and sends their segments; the role gets xray:PutTraceSegments.
      tracing: Tracing.ACTIVE,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_SHIM,
        sourceMap: true,
        sourcesContent: false,
        minify: true,
        keepNames: true,
        externalModules: EXTERNAL_MODULES,
        tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
        logLevel: LogLevel.WARNING,
      },
    });
    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level ' +
        'permissions, so Lambda grants them on *; the role has no other wildcard.',
    );
    acknowledgeNag(
      this.function,
      'AwsSolutions-L1',
      'Node.js 22 is the Lambda runtime relay-audit targets and tests against (esbuild target node22); ' +
        'moving to a newer runtime is a deliberate upgrade, not a synth-time default.',
    );
  }
}
