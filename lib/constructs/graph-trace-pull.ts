/**
 * The optional Exchange Online message trace pull (enabled by the `graphTenantId`, `graphClientId`
 * and `graphCertificateSecret` context values): an EventBridge schedule (hourly by default) invokes
 * a function that signs in to Microsoft Graph with the app registration's certificate, reads the
 * message trace of each whole hour since its cursor and writes it under `incoming/graph/`, where
 * the normal S3 → SQS → ingest path analyses it (functions/graph-pull/).
 *
 * Hourly rather than nightly: one hour of traces (and the details of its failed ones) fits in one
 * invocation well inside the documented budget of 100 requests per 5 minutes, findings appear
 * about an hour after the refusal, and a day of a busy tenant is never pulled in one go.
 */
import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  GRAPH_TRACE_CURSOR_KEY as CURSOR_KEY,
  GRAPH_TRACE_PREFIX,
} from '../../functions/runtime/bucket-layout.js';
import { acknowledgeNag, nagArn } from '../nag.js';
import type { Alerts } from './alerts.js';
import { RelayFunction } from './relay-function.js';

/**
 * Lambda's longest timeout: a window's worst case (150 detail requests at 80 per 5 minutes) takes
 * 10 minutes of waiting for the budget; the run starts further windows only with that much left.
 */
export const GRAPH_PULL_TIMEOUT = Duration.minutes(15);

export interface GraphTracePullProps {
  readonly bucket: IBucket;
  readonly alerts: Alerts;
  readonly tenantId: string;
  readonly clientId: string;
  /** Name or ARN of the Secrets Manager secret holding the certificate and its private key (PEM). */
  readonly certificateSecret: string;
  /** EventBridge schedule expression (settings `graphTraceSchedule`, default hourly). */
  readonly schedule: string;
}

export class GraphTracePull extends Construct {
  public readonly handler: RelayFunction;
  public readonly rule: Rule;

  public constructor(scope: Construct, id: string, props: GraphTracePullProps) {
    super(scope, id);
    this.handler = new RelayFunction(this, 'Handler', {
      entry: 'functions/graph-pull/handler.ts',
      description:
        'relay-audit trace pull: Exchange Online message trace from Microsoft Graph into incoming/graph/',
      timeout: GRAPH_PULL_TIMEOUT,
      // Waiting on Graph and the budget, not computing: the smallest memory that loads the bundle.
      memorySize: 256,
      environment: {
        BUCKET_NAME: props.bucket.bucketName,
        TENANT_ID: props.tenantId,
        CLIENT_ID: props.clientId,
        CERTIFICATE_SECRET_ID: props.certificateSecret,
      },
    });
    const fn = this.handler.function;
    this.rule = new Rule(this, 'Schedule', {
      description: 'Pulls the Exchange Online message trace of the last whole hours from Microsoft Graph',
      schedule: Schedule.expression(props.schedule),
      // No retry: a failed run leaves the cursor where it was and the next scheduled run pulls the
      // same windows, without two runs sharing the tenant's budget at once.
      targets: [new LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.hours(1) })],
    });
    this.grantAccess(props);
    props.alerts.alarmOnErrors(
      'GraphTracePullErrors',
      fn,
      'The message trace pull failed (sign-in, Graph, throttling beyond its retries, or timeout): traces since its cursor are not pulled yet.',
    );
  }

  /**
   * Least privilege: read the one certificate secret; read, write and test for the existence of
   * the one cursor object; write — never read or delete — window files under `incoming/graph/`.
   */
  private grantAccess(props: GraphTracePullProps): void {
    const role = this.handler.role;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadCertificate',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secretArn(Stack.of(this), props.certificateSecret)],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'Cursor',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [props.bucket.arnForObjects(CURSOR_KEY)],
      }),
    );
    // Without ListBucket, reading a cursor that does not exist yet (the first run) is AccessDenied, not NoSuchKey.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'CursorExists',
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringEquals: { 's3:prefix': CURSOR_KEY } },
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'WriteWindows',
        actions: ['s3:PutObject'],
        resources: [props.bucket.arnForObjects(`${GRAPH_TRACE_PREFIX}*`)],
      }),
    );
    acknowledgeNag(
      role,
      `AwsSolutions-IAM5[Resource::${nagArn(props.bucket)}/${GRAPH_TRACE_PREFIX}*]`,
      'The function writes one file per pulled hour (incoming/graph/<from>_<to>.json); the hour is known only at ' +
        'run time, so the grant covers that prefix, write-only (s3:PutObject, no read or delete).',
    );
    if (!props.certificateSecret.startsWith('arn:')) {
      acknowledgeNag(
        role,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${props.certificateSecret}-??????]`,
        'A secret named in context is addressed by name: Secrets Manager appends six random characters to its ARN, ' +
          'so the grant names the secret and matches exactly that suffix (GetSecretValue only).',
      );
    }
  }
}

/** The secret's ARN: as given, or the stack's account and region with the name and its random suffix. */
function secretArn(stack: Stack, secret: string): string {
  if (secret.startsWith('arn:')) return secret;
  return Arn.format(
    {
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${secret}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    },
    stack,
  );
}
