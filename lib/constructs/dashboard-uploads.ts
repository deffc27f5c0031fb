/**
 * Upload from the dashboard: the query API hands out S3 presigned POSTs for one key under
 * `incoming/dashboard/<user>/` (functions/api/s3-upload-signer.ts). A presigned POST acts with the
 * signer's permissions, so the API's role may put objects under that prefix only; the bucket
 * accepts the browser's cross-origin POST from the dashboard's origin only.
 */
import { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type Bucket, HttpMethods } from 'aws-cdk-lib/aws-s3';
import { DASHBOARD_UPLOAD_PREFIX } from '../../functions/runtime/bucket-layout.js';
import { acknowledgeNag, nagArn } from '../nag.js';
import type { QueryApi } from './query-api.js';

export interface DashboardUploadsProps {
  readonly bucket: Bucket;
  readonly queryApi: QueryApi;
  /** The dashboard's origin, e.g. `https://d111111abcdef8.cloudfront.net`. */
  readonly dashboardOrigin: string;
}

/** Lets the query API grant dashboard uploads into `bucket`. */
export function enableDashboardUploads(props: DashboardUploadsProps): void {
  const { bucket, queryApi } = props;
  queryApi.handler.function.addEnvironment('BUCKET_NAME', bucket.bucketName);
  // PutObject alone (no tagging, retention, legal hold, abort): all a presigned POST needs.
  queryApi.handler.role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`${DASHBOARD_UPLOAD_PREFIX}*`)],
    }),
  );
  bucket.addCorsRule({
    allowedMethods: [HttpMethods.POST],
    allowedOrigins: [props.dashboardOrigin],
    allowedHeaders: ['*'],
    maxAge: Duration.hours(1).toSeconds(),
  });
  acknowledgeNag(
    queryApi.handler.role,
    `AwsSolutions-IAM5[Resource::${nagArn(bucket)}/${DASHBOARD_UPLOAD_PREFIX}*]`,
    'The API signs presigned POSTs for dashboard uploads, which act with its role: it may put objects ' +
      'under incoming/dashboard/ only, and each POST policy names one key, a size range and the user.',
  );
}
