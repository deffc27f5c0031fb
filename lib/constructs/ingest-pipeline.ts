/**
 * The upload-triggered ingest pipeline: `incoming/` ObjectCreated → SQS (with DLQ) → ingest Lambda
 * → findings table. `config/` ObjectCreated and ObjectRemoved go to the same queue: the function
 * then reads the organisation's whole configuration, checks its readiness and stores both.
 *
 * SQS sits between S3 and the function so that a burst of uploads is absorbed, a failed analysis
 * is retried by SQS (partial batch failure: only the failed object), and an upload that keeps
 * failing ends in the dead-letter queue, where an alarm notices it and a redrive can replay it.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUCKET_PREFIX } from '../../functions/runtime/bucket-layout.js';
import { acknowledgeNag, nagArn } from '../nag.js';
import { RelayFunction } from './relay-function.js';
import { grantTableAccess } from './table-access.js';

/**
 * How long one invocation may run; the handler stops reading 30 s before this and sends the rest
 * of a bigger upload to the next invocation (a continuation).
 */
export const INGEST_TIMEOUT = Duration.minutes(5);
/**
 * Visibility timeout of the queue: AWS's guidance for Lambda event sources is at least six times
 * the function timeout, so a message is never visible again while a retried invocation still works on it.
 */
export const INGEST_VISIBILITY_TIMEOUT = Duration.seconds(INGEST_TIMEOUT.toSeconds() * 6);
/** Receives before a message moves to the dead-letter queue. */
export const INGEST_MAX_RECEIVE_COUNT = 3;
/**
 * Messages per invocation. Each message is one uploaded object (an Exchange tracking log rolls at
 * 10 MB, a few seconds of work); five amortise cold starts and still finish well inside the timeout.
 */
export const INGEST_BATCH_SIZE = 5;

export interface IngestPipelineProps {
  readonly bucket: IBucket;
  readonly table: ITable;
  readonly retentionDays: number;
  /** Comma list used when the bucket has no `config/accepted-domains.csv`. */
  readonly acceptedDomains?: string;
  /** Invocations the event source runs at once (the `ingestMaxConcurrency` setting). */
  readonly maxConcurrency: number;
}

export class IngestPipeline extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly handler: RelayFunction;

  public constructor(scope: Construct, id: string, props: IngestPipelineProps) {
    super(scope, id);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: time for an operator to fix the cause and redrive.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      // SSE-SQS: S3 can deliver notifications to it (unlike a queue under the aws/sqs KMS key).
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: INGEST_VISIBILITY_TIMEOUT,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: INGEST_MAX_RECEIVE_COUNT },
    });
    const destination = new SqsDestination(this.queue);
    props.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, {
      prefix: BUCKET_PREFIX.incoming,
    });
    // A new, replaced or deleted configuration file changes the configuration as a whole.
    props.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, {
      prefix: BUCKET_PREFIX.config,
    });
    props.bucket.addEventNotification(EventType.OBJECT_REMOVED, destination, {
      prefix: BUCKET_PREFIX.config,
    });

    this.handler = new RelayFunction(this, 'Handler', {
      entry: 'functions/ingest/handler.ts',
      description:
        'relay-audit ingest: analyses each object uploaded under incoming/, checks the configuration under config/',
      timeout: INGEST_TIMEOUT,
      environment: {
        ...uploadAnalysisEnvironment(props),
        // Continuations of uploads too big for one invocation, and untried messages, go back here.
        INGEST_QUEUE_URL: this.queue.queueUrl,
      },
    });
    const fn = this.handler.function;
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: INGEST_BATCH_SIZE,
        reportBatchItemFailures: true,
        // A burst waits in the queue rather than starting an invocation per batch: the table's
        // writes are paced by how many invocations write at once.
        maxConcurrency: props.maxConcurrency,
      }),
    );
    this.queue.grantSendMessages(fn);
    this.grantAccess(props.bucket, props.table);
  }

  /** Least privilege: see {@link grantUploadAnalysis}. */
  private grantAccess(bucket: IBucket, table: ITable): void {
    grantUploadAnalysis(this.handler.role, bucket, table, 'ingest');
  }
}

/** The environment of a function that analyses uploads (functions/ingest/config.ts reads it). */
export function uploadAnalysisEnvironment(
  props: Pick<IngestPipelineProps, 'bucket' | 'table' | 'retentionDays' | 'acceptedDomains'>,
): Record<string, string> {
  return {
    TABLE_NAME: props.table.tableName,
    BUCKET_NAME: props.bucket.bucketName,
    RETENTION_DAYS: String(props.retentionDays),
    ...(props.acceptedDomains === undefined ? {} : { ACCEPTED_DOMAINS: props.acceptedDomains }),
  };
}

/**
 * What analysing uploads takes (the ingest function, the re-analysis worker): read the uploads and
 * the configuration files (nothing else in the bucket, no write), list the bucket (the
 * configuration is listed under config/), and `user`'s calls on the findings table.
 */
export function grantUploadAnalysis(
  role: Role,
  bucket: IBucket,
  table: ITable,
  user: 'ingest' | 'reanalysis',
): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'ReadUploadsAndConfig',
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [
        bucket.arnForObjects(`${BUCKET_PREFIX.incoming}*`),
        bucket.arnForObjects(`${BUCKET_PREFIX.config}*`),
      ],
    }),
  );
  // ListBucket lists config/ (the configuration is read as a whole); without it a missing
  // config/accepted-domains.csv would also answer 403 instead of 404, and the function could not
  // tell "no file: use the fallback" from "access denied".
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'TellMissingFromDenied',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
    }),
  );
  // Exactly the calls the code makes (table-access.ts): no Scan or stream reads.
  grantTableAccess(table, role, user);
  acknowledgeNag(
    role,
    `AwsSolutions-IAM5[Resource::${nagArn(bucket)}/${BUCKET_PREFIX.incoming}*]`,
    'The function analyses whichever object is uploaded (or listed) under incoming/; the key is known only at ' +
      'run time, so the grant covers that prefix (read-only: GetObject/GetObjectVersion).',
  );
  acknowledgeNag(
    role,
    `AwsSolutions-IAM5[Resource::${nagArn(bucket)}/${BUCKET_PREFIX.config}*]`,
    'The function reads the organisation configuration under config/ (accepted domains, connectors export, ' +
      'certificate files whose names the operator chooses); read-only: GetObject/GetObjectVersion.',
  );
  acknowledgeNag(
    role,
    `AwsSolutions-IAM5[Resource::${nagArn(table)}/index/*]`,
    'The table grant names the findings table and its own GSIs (table-ARN/index/*); the wildcard spans ' +
      'only the indexes of that one table, which the store module queries.',
  );
}
