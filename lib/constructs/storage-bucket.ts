/**
 * The relay-audit bucket and its access-log bucket.
 *
 * One bucket, six prefixes: `incoming/` (trace exports uploaded by the ops team; they trigger the
 * ingest pipeline, move to Standard-IA after a month and expire with their findings), `config/` (organisation
 * configuration: `accepted-domains.csv`, `inbound-connectors.json`, the server certificate as
 * `*.pem`; a change triggers the readiness check), `reports/` (nightly output), `history/` (the
 * findings history for Athena, expired after its retention), `athena-results/` and `reanalysis/`
 * (the re-analysis state machine's results). Private, TLS
 * only, encrypted, versioned (a re-upload never silently replaces the object an analysis read),
 * with server access logs in a separate bucket.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

import { BUCKET_PREFIX } from '../../functions/runtime/bucket-layout.js';

/** How long server access logs are kept. */
const ACCESS_LOG_RETENTION = Duration.days(365);
/** Incomplete multipart uploads are cleaned up after this long. */
const ABORT_MULTIPART_AFTER = Duration.days(7);

export interface StorageBucketProps {
  /**
   * Days an upload under `incoming/` (and its noncurrent versions) is kept: as long as its findings,
   * so that a re-analysis can always read it.
   */
  readonly incomingRetentionDays: number;
  /** Days after which an upload moves to S3 Standard-IA (cheaper to keep, still read at once). */
  readonly incomingInfrequentAccessDays: number;
  /** Days an object of the findings history under `history/` is kept. */
  readonly historyRetentionDays: number;
}

/** Athena query results are kept this long (a result is re-read by the console for a while). */
const ATHENA_RESULT_RETENTION = Duration.days(7);
/** The re-analysis state machine's result files are kept this long (read when a run is reviewed). */
const REANALYSIS_RESULT_RETENTION = Duration.days(30);
/** A history object replaced or deleted by a re-run of its day is kept this long as a version. */
const REPLACED_HISTORY_RETENTION = Duration.days(1);

/** The data bucket plus the bucket receiving its server access logs. */
export class StorageBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogBucket: Bucket;

  public constructor(scope: Construct, id: string, props: StorageBucketProps) {
    super(scope, id);

    this.accessLogBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // Server access log delivery supports SSE-S3 only.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: ACCESS_LOG_RETENTION },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: ABORT_MULTIPART_AFTER },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket itself: logging it into itself would loop, and a third bucket ' +
        'would only move the question; its contents are written by the S3 logging service alone.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'relay-audit-bucket/',
      lifecycleRules: [
        {
          id: 'expire-incoming',
          prefix: BUCKET_PREFIX.incoming,
          expiration: Duration.days(props.incomingRetentionDays),
          noncurrentVersionExpiration: Duration.days(props.incomingRetentionDays),
          // Uploads are read again only by a re-analysis: Standard-IA halves what keeping them costs.
          transitions:
            props.incomingInfrequentAccessDays < props.incomingRetentionDays
              ? [
                  {
                    storageClass: StorageClass.INFREQUENT_ACCESS,
                    transitionAfter: Duration.days(props.incomingInfrequentAccessDays),
                  },
                ]
              : [],
        },
        {
          id: 'expire-reanalysis-results',
          prefix: BUCKET_PREFIX.reanalysis,
          expiration: REANALYSIS_RESULT_RETENTION,
          noncurrentVersionExpiration: REPLACED_HISTORY_RETENTION,
        },
        {
          id: 'expire-history',
          prefix: BUCKET_PREFIX.history,
          expiration: Duration.days(props.historyRetentionDays),
          noncurrentVersionExpiration: REPLACED_HISTORY_RETENTION,
        },
        {
          id: 'expire-athena-results',
          prefix: BUCKET_PREFIX.athenaResults,
          expiration: ATHENA_RESULT_RETENTION,
          noncurrentVersionExpiration: ATHENA_RESULT_RETENTION,
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: ABORT_MULTIPART_AFTER },
      ],
      // The uploads and reports are the audit trail: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
