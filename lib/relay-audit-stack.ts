/**
 * The relay-audit stack: storage, the findings table, the ingest pipeline and alerting.
 *
 * The nightly and API functions are added beside the ingest pipeline; they find what they need
 * on the public properties (`bucket`, `table`, `alertTopic`, `alerts`, `settings`).
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { addClientOutputs } from './client-outputs.js';
import { Alerts } from './constructs/alerts.js';
import { DashboardHosting } from './constructs/dashboard-hosting.js';
import { enableDashboardUploads } from './constructs/dashboard-uploads.js';
import { FindingsTable } from './constructs/findings-table.js';
import { GraphTracePull } from './constructs/graph-trace-pull.js';
import { History } from './constructs/history.js';
import { INGEST_TIMEOUT, IngestPipeline } from './constructs/ingest-pipeline.js';
import { NIGHTLY_TIMEOUT, NightlyJob } from './constructs/nightly-job.js';
import { OperationsDashboard } from './constructs/operations-dashboard.js';
import { addPipelineAlarms } from './constructs/pipeline-alarms.js';
import { QUERY_API_TIMEOUT, QueryApi } from './constructs/query-api.js';
import { Reanalysis } from './constructs/reanalysis.js';
import { StorageBucket } from './constructs/storage-bucket.js';
import { acknowledgeNag } from './nag.js';
import { dashboardAuthOf, graphTracePullOf, type Settings } from './settings.js';

/** Construct id aws-cdk-lib gives its bucket-notifications singleton (stable across versions). */
const BUCKET_NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

export interface RelayAuditStackProps extends StackProps {
  readonly settings: Settings;
}

export class RelayAuditStack extends Stack {
  public readonly settings: Settings;
  /** Uploads (`incoming/`), configuration (`config/`) and reports (`reports/`). */
  public readonly bucket: Bucket;
  public readonly table: Table;
  public readonly alertTopic: Topic;
  /** Adds alarms that publish to `alertTopic`. */
  public readonly alerts: Alerts;
  public readonly ingest: IngestPipeline;
  /** The scheduled nightly analysis (rollups, report, alert summary, metrics). */
  public readonly nightly: NightlyJob;
  /** The findings history: Glue table over `history/` and the Athena workgroup to query it. */
  public readonly history: History;
  /** The read-only HTTP API the dashboard and scripts query. */
  public readonly queryApi: QueryApi;
  /** The built dashboard on S3 + CloudFront, with a `config.json` pointing at the query API. */
  public readonly dashboard: DashboardHosting;
  /** The CloudWatch dashboard for operators. */
  public readonly operations: OperationsDashboard;
  /** The re-analysis state machine (Distributed Map over `incoming/`) and its worker. */
  public readonly reanalysis: Reanalysis;
  /** The hourly Exchange Online message trace pull, when the context enables it. */
  public readonly graphTracePull: GraphTracePull | undefined;

  public constructor(scope: Construct, id: string, props: RelayAuditStackProps) {
    super(scope, id, {
      description: 'relay-audit: finds why Exchange Online refuses to relay on-premises mail',
      ...props,
    });
    this.settings = props.settings;

    const storage = new StorageBucket(this, 'Storage', {
      incomingRetentionDays: props.settings.incomingRetentionDays,
      incomingInfrequentAccessDays: props.settings.incomingInfrequentAccessDays,
      historyRetentionDays: props.settings.historyRetentionDays,
    });
    this.bucket = storage.bucket;
    this.table = new FindingsTable(this, 'Findings').table;
    this.alerts = new Alerts(this, 'Alerts', {
      ...(props.settings.alertEmail === undefined ? {} : { alertEmail: props.settings.alertEmail }),
    });
    this.alertTopic = this.alerts.topic;

    this.ingest = new IngestPipeline(this, 'Ingest', {
      bucket: this.bucket,
      table: this.table,
      retentionDays: props.settings.retentionDays,
      maxConcurrency: props.settings.ingestMaxConcurrency,
      ...(props.settings.acceptedDomains === undefined
        ? {}
        : { acceptedDomains: props.settings.acceptedDomains }),
    });
    this.alerts.alarmOnQueueNotEmpty(
      'IngestDeadLetters',
      this.ingest.deadLetterQueue,
      'An upload under incoming/ failed analysis three times and is in the ingest dead-letter queue.',
    );
    this.alerts.alarmOnErrors(
      'IngestErrors',
      this.ingest.handler.function,
      'The ingest function failed an invocation (exception, timeout or out of memory).',
    );
    this.alerts.alarmOnThrottles(
      'IngestThrottles',
      this.ingest.handler.function,
      'The ingest function was throttled: uploads wait in the queue.',
    );
    const pipelineAlarms = addPipelineAlarms(this.alerts, {
      ingest: this.ingest,
      table: this.table,
      maxQueueAge: Duration.minutes(props.settings.ingestMaxQueueAgeMinutes),
    });
    this.reanalysis = new Reanalysis(this, 'Reanalysis', {
      bucket: this.bucket,
      table: this.table,
      retentionDays: props.settings.retentionDays,
      maxConcurrency: props.settings.reanalysisMaxConcurrency,
      toleratedFailurePercentage: props.settings.reanalysisToleratedFailurePercent,
      alerts: this.alerts,
      ...(props.settings.acceptedDomains === undefined
        ? {}
        : { acceptedDomains: props.settings.acceptedDomains }),
    });
    this.nightly = new NightlyJob(this, 'Nightly', {
      bucket: this.bucket,
      table: this.table,
      alerts: this.alerts,
      schedule: props.settings.nightlySchedule,
      retentionDays: props.settings.retentionDays,
    });
    this.history = new History(this, 'History', {
      bucket: this.bucket,
      historyRetentionDays: props.settings.historyRetentionDays,
    });
    const graphTrace = graphTracePullOf(props.settings);
    this.graphTracePull =
      graphTrace === undefined
        ? undefined
        : new GraphTracePull(this, 'GraphTracePull', {
            bucket: this.bucket,
            alerts: this.alerts,
            ...graphTrace,
          });
    this.dashboard = new DashboardHosting(this, 'Dashboard', { accessLogBucket: storage.accessLogBucket });
    // The API's CORS allows the CloudFront dashboard unless another dashboard origin is configured.
    this.queryApi = new QueryApi(this, 'QueryApi', {
      table: this.table,
      settings: {
        ...props.settings,
        dashboardOrigin: props.settings.dashboardOrigin ?? this.dashboard.origin,
      },
    });
    enableDashboardUploads({
      bucket: this.bucket,
      queryApi: this.queryApi,
      dashboardOrigin: props.settings.dashboardOrigin ?? this.dashboard.origin,
    });
    const auth = dashboardAuthOf(props.settings);
    this.dashboard.publish({ apiBase: this.queryApi.url, ...(auth === undefined ? {} : { auth }) });
    this.alerts.alarmOnErrors(
      'QueryApiErrors',
      this.queryApi.handler.function,
      'The query API function failed an invocation (exception, timeout or out of memory).',
    );
    this.alerts.alarmAboveZero(
      'QueryApi5xx',
      this.queryApi.stage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      'The query API answered with a server error (5xx): the store was unavailable or the function failed.',
    );
    this.operations = new OperationsDashboard(this, 'Operations', {
      ingest: {
        queue: this.ingest.queue,
        deadLetterQueue: this.ingest.deadLetterQueue,
        function: this.ingest.handler.function,
        logGroup: this.ingest.handler.logGroup,
      },
      functions: [
        { label: 'Ingest', function: this.ingest.handler.function, timeout: INGEST_TIMEOUT },
        { label: 'Nightly', function: this.nightly.handler.function, timeout: NIGHTLY_TIMEOUT },
        { label: 'API', function: this.queryApi.handler.function, timeout: QUERY_API_TIMEOUT },
      ],
      apiStage: this.queryApi.stage,
      alarms: [...pipelineAlarms, this.nightly.deadlineAlarm, ...this.reanalysis.alarms],
      nightlyCompletedRuns: this.nightly.completedRuns,
      table: this.table,
    });
    addClientOutputs(this, {
      bucket: this.bucket,
      table: this.table,
      apiUrl: this.queryApi.url,
      stateMachineArn: this.reanalysis.stateMachine.stateMachineArn,
    });
    acknowledgeNagFindings(this);
  }
}

/**
 * The S3 → SQS notification is configured by a CDK-provided singleton function; the stack does
 * not control its role (its policy is already scoped to the bucket), so its one finding is
 * acknowledged here, where the singleton lives.
 */
function acknowledgeNagFindings(stack: Stack): void {
  const notificationsHandler = stack.node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
  if (!notificationsHandler) return;
  acknowledgeNag(
    notificationsHandler,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'CDK-provided custom resource that sets the bucket notification at deploy time; it runs only during ' +
      'deployments and its role is created by aws-cdk-lib, not by relay-audit.',
  );
}
