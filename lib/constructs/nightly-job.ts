/**
 * The nightly job: an EventBridge schedule (default 02:00 UTC) invokes the nightly function, which
 * checks the previous day's (and the look-back days') rollups, writes their findings history under
 * `history/`, the report under `reports/`, publishes a summary to the alert topic when there are new findings and emits one
 * metric per scenario. An alarm on the function's errors publishes to the same topic.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { type Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HISTORY_FINDINGS_PREFIX } from '../../functions/nightly/history.js';
import { DEFAULT_LOOK_BACK_DAYS } from '../../functions/nightly/look-back.js';
import { BUCKET_PREFIX } from '../../functions/runtime/bucket-layout.js';
import {
  FUNCTION_DIMENSION,
  METRIC_NAMESPACE,
  NIGHTLY_COMPLETED_METRIC,
  SERVICE_DIMENSION,
  SERVICE_NAMES,
} from '../../functions/runtime/observability-names.js';
import { acknowledgeNag, nagArn } from '../nag.js';
import { longestScheduleGap } from '../schedule-gap.js';
import type { Alerts } from './alerts.js';
import { RelayFunction } from './relay-function.js';
import { grantTableAccess } from './table-access.js';

/**
 * How long one run may take. A day is read a page at a time and aggregated in memory that does
 * not grow with it; ten minutes covers hundreds of thousands of findings with room to spare.
 */
export const NIGHTLY_TIMEOUT = Duration.minutes(10);
/** Retries of a failed scheduled invocation: safe, because a run is idempotent. */
export const NIGHTLY_RETRY_ATTEMPTS = 2;
/** A schedule event older than this is dropped rather than run late (the next night covers it). */
export const NIGHTLY_MAX_EVENT_AGE = Duration.hours(6);
/**
 * How late after its scheduled time a run may complete before the deadline alarm fires: a run
 * and Lambda's two retries of a failed one take at most about 35 minutes.
 */
export const NIGHTLY_DEADLINE_MARGIN = Duration.hours(1);

export interface NightlyJobProps {
  readonly bucket: IBucket;
  readonly table: ITable;
  /** The stack's alerting: summaries go to its topic, and the job adds its error alarm there. */
  readonly alerts: Alerts;
  /** EventBridge schedule expression, e.g. `cron(0 2 * * ? *)` (settings `nightlySchedule`). */
  readonly schedule: string;
  /** Must equal the ingest function's: reclassified findings are re-put with this TTL. */
  readonly retentionDays: number;
  /** Days before the report day recomputed for late uploads (default 2). */
  readonly lookBackDays?: number;
}

export class NightlyJob extends Construct {
  public readonly handler: RelayFunction;
  public readonly rule: Rule;
  /** 1 per completed run (`functions/nightly/metrics.ts`). */
  public readonly completedRuns: Metric;
  /** No completed run within a schedule period plus {@link NIGHTLY_DEADLINE_MARGIN}. */
  public readonly deadlineAlarm: Alarm;

  public constructor(scope: Construct, id: string, props: NightlyJobProps) {
    super(scope, id);

    this.handler = new RelayFunction(this, 'Handler', {
      entry: 'functions/nightly/handler.ts',
      description: 'relay-audit nightly: rollups, report, alert summary and metrics for the previous day',
      timeout: NIGHTLY_TIMEOUT,
      environment: {
        TABLE_NAME: props.table.tableName,
        BUCKET_NAME: props.bucket.bucketName,
        ALERT_TOPIC_ARN: props.alerts.topic.topicArn,
        LOOK_BACK_DAYS: String(props.lookBackDays ?? DEFAULT_LOOK_BACK_DAYS),
        RETENTION_DAYS: String(props.retentionDays),
        // The report's suggested commands name the stack (`--stack`), so they read its table.
        STACK_NAME: Stack.of(this).stackName,
      },
    });
    const fn = this.handler.function;

    this.rule = new Rule(this, 'Schedule', {
      description: 'Runs the relay-audit nightly analysis of the previous day (UTC)',
      schedule: Schedule.expression(props.schedule),
      targets: [
        new LambdaFunction(fn, { retryAttempts: NIGHTLY_RETRY_ATTEMPTS, maxEventAge: NIGHTLY_MAX_EVENT_AGE }),
      ],
    });

    this.grantAccess(props);
    props.alerts.alarmOnErrors(
      'NightlyErrors',
      fn,
      'The nightly function failed (exception, timeout or out of memory): the report of the previous day may be missing.',
    );
    this.completedRuns = new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: NIGHTLY_COMPLETED_METRIC,
      // Powertools Metrics' dimensions: the service, and the function's name (runtime/powertools.ts).
      dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAMES.nightly, [FUNCTION_DIMENSION]: fn.functionName },
      statistic: 'Sum',
    });
    const deadline = longestScheduleGap(props.schedule).plus(NIGHTLY_DEADLINE_MARGIN);
    this.deadlineAlarm = props.alerts.alarmOnMissingHeartbeat(
      'NightlyMissed',
      this.completedRuns,
      deadline,
      `No nightly run completed in the last ${deadline.toHumanString()} (schedule ${props.schedule}): ` +
        'the report and alert summary of a day are missing.',
    );
  }

  /**
   * Least privilege: read/write items of the findings table (findings, rollups, the nightly's own
   * items), write — never read or delete — report objects under `reports/`, publish to the alert
   * topic (and use its key for that).
   */
  private grantAccess(props: NightlyJobProps): void {
    const role = this.handler.role;
    // Exactly the calls the code makes (table-access.ts): no Scan or stream reads.
    grantTableAccess(props.table, role, 'nightly');
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'WriteReports',
        actions: ['s3:PutObject'],
        resources: [props.bucket.arnForObjects(`${BUCKET_PREFIX.reports}*`)],
      }),
    );
    // The history of a recomputed day is rewritten: its objects put, listed, and the parts a smaller
    // day no longer has deleted; nothing else in the bucket is listed or deleted.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'WriteHistory',
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [props.bucket.arnForObjects(`${HISTORY_FINDINGS_PREFIX}*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ListHistory',
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${HISTORY_FINDINGS_PREFIX}*`] } },
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'PublishSummaries',
        actions: ['sns:Publish'],
        resources: [props.alerts.topic.topicArn],
      }),
    );
    // The topic is encrypted with the alerts key: publishing needs a data key from it. Named
    // actions instead of `Topic.grantPublish`, which grants `kms:GenerateDataKey*`.
    props.alerts.key.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');

    acknowledgeNag(
      role,
      `AwsSolutions-IAM5[Resource::${nagArn(props.bucket)}/${BUCKET_PREFIX.reports}*]`,
      'The function writes one report pair per day (reports/YYYY-MM-DD.json and .md); the day is known only at ' +
        'run time, so the grant covers the reports/ prefix, write-only (s3:PutObject, no read or delete).',
    );
    acknowledgeNag(
      role,
      `AwsSolutions-IAM5[Resource::${nagArn(props.bucket)}/${HISTORY_FINDINGS_PREFIX}*]`,
      'The function rewrites the history objects of each recomputed day (history/findings/day=YYYY-MM-DD/part-N); ' +
        'the days and parts are known only at run time, so the grant covers that prefix: put and delete, no read.',
    );
    acknowledgeNag(
      role,
      `AwsSolutions-IAM5[Resource::${nagArn(props.table)}/index/*]`,
      'The table grant names the findings table and its own GSIs (table-ARN/index/*); the nightly job queries ' +
        'findings by scenario on gsi1 and touches no other table.',
    );
  }
}
