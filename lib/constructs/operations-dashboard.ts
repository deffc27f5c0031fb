/**
 * The operators' CloudWatch dashboard: is the pipeline taking uploads in, what did it find, and is
 * anything stuck or failing.
 *
 * Built only from what the functions already emit, so it needs no code change in them:
 * - uploads: S3 notifications arriving on the ingest queue, and the ingest invocations they cause;
 * - rows ingested: a Logs Insights query over the ingest function's JSON log lines
 *   (`message: "analysed"` carries `rowsRead` and `rowsSkipped`), and its warnings and errors;
 * - findings per scenario: the nightly job's EMF metric `RelayAudit/Findings` by `Scenario`;
 * - dead-letter queue depth and the age of the oldest upload waiting in the ingest queue;
 * - errors, throttles and duration (against the timeout) of the ingest, nightly and API functions;
 * - API requests, 4xx and 5xx answers and latency;
 * - the state of the pipeline's alarms, the findings table's throttle events and the nightly
 *   heartbeat (`pipeline-alarms.ts`, `nightly-job.ts`).
 */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  type Alarm,
  AlarmStatusWidget,
  Color,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SCENARIO_IDS } from '../../functions/core/analysis/model/findings.js';
import {
  FINDINGS_METRIC,
  METRIC_NAMESPACE,
  SCENARIO_DIMENSION,
} from '../../functions/runtime/observability-names.js';
import { TABLE_DEFINITION } from '../../functions/store/table-design.js';
import { throttleEvents } from './pipeline-alarms.js';

/** The granularity of the activity graphs. */
const ACTIVITY_PERIOD = Duration.hours(1);
/** The nightly job emits one datapoint per scenario per run. */
const NIGHTLY_PERIOD = Duration.days(1);
/** Full width of a dashboard row (CloudWatch grid units). */
const ROW = 24;

/** The ingest function's log line for an analysed file (`functions/ingest/ingest.ts`). */
export const ANALYSED_MESSAGE = 'analysed';

/** A function shown on the dashboard, with the timeout its duration is drawn against. */
export interface DashboardFunction {
  readonly label: string;
  readonly function: IFunction;
  readonly timeout: Duration;
}

export interface OperationsDashboardProps {
  readonly ingest: {
    /** The queue S3 notifies for every object created under `incoming/`. */
    readonly queue: IQueue;
    readonly deadLetterQueue: IQueue;
    readonly function: IFunction;
    /** The ingest function's log group (its JSON lines are queried with Logs Insights). */
    readonly logGroup: ILogGroup;
  };
  /** Ingest, nightly and API, in that order. */
  readonly functions: readonly DashboardFunction[];
  /** The query API's stage (request, error and latency metrics). */
  readonly apiStage: IHttpStage;
  /** Alarms whose state the dashboard shows (queue age, throttling, duration, nightly deadline). */
  readonly alarms: readonly Alarm[];
  /** The nightly heartbeat, 1 per completed run. */
  readonly nightlyCompletedRuns: Metric;
  /** The findings table (throttle events of the table and each GSI of `TABLE_DEFINITION`). */
  readonly table: ITable;
  /** Default `<stack name>-operations`. */
  readonly dashboardName?: string;
}

export class OperationsDashboard extends Construct {
  public readonly dashboard: Dashboard;
  /** The console URL of the dashboard. */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const dashboardName = props.dashboardName ?? `${stack.stackName}-operations`;

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName,
      defaultInterval: Duration.days(14),
      widgets: [
        [intro()],
        alarmWidgets(props),
        uploadWidgets(props.ingest),
        [findingsPerScenario(props.nightlyCompletedRuns), queueWidget(props.ingest)],
        [lambdaErrors(props.functions), ...props.functions.map(durationWidget)],
        apiWidgets(props.apiStage),
      ],
    });
    this.url =
      `https://console.aws.amazon.com/cloudwatch/home?region=${stack.region}` +
      `#dashboards/dashboard/${this.dashboard.dashboardName}`;
    new CfnOutput(this, 'Url', {
      value: this.url,
      description: 'CloudWatch operations dashboard of relay-audit (uploads, findings, DLQ, Lambda, API)',
    });
  }
}

function intro(): TextWidget {
  return new TextWidget({
    width: ROW,
    height: 2,
    markdown:
      '## relay-audit operations\n' +
      'Uploads under `incoming/` → ingest queue → ingest function → findings table; the nightly job ' +
      'reports on the previous day. Anything in the **dead-letter queue** is an upload that failed three ' +
      'times: fix the cause, then redrive it from the SQS console.',
  });
}

function alarmWidgets(props: OperationsDashboardProps): IWidget[] {
  const indexNames = TABLE_DEFINITION.globalSecondaryIndexes.map((index) => index.indexName);
  return [
    new AlarmStatusWidget({ title: 'Alarms', width: 8, height: 6, alarms: [...props.alarms] }),
    new GraphWidget({
      title: 'Findings table throttle events (reads + writes)',
      width: 8,
      height: 6,
      left: [throttleEvents(props.table), ...indexNames.map((index) => throttleEvents(props.table, index))],
      leftYAxis: { min: 0, showUnits: false },
    }),
    new GraphWidget({
      title: 'Nightly runs completed',
      width: 8,
      height: 6,
      period: NIGHTLY_PERIOD,
      left: [props.nightlyCompletedRuns.with({ label: 'Completed runs', period: NIGHTLY_PERIOD })],
      leftYAxis: { min: 0, showUnits: false },
    }),
  ];
}

function uploadWidgets(ingest: OperationsDashboardProps['ingest']): IWidget[] {
  const logGroupNames = [ingest.logGroup.logGroupName];
  return [
    new GraphWidget({
      title: 'Uploads',
      width: 8,
      height: 6,
      left: [
        ingest.queue.metricNumberOfMessagesSent({
          label: 'Uploads notified (S3 → ingest queue)',
          period: ACTIVITY_PERIOD,
          statistic: 'Sum',
        }),
        ingest.function.metricInvocations({
          label: 'Ingest invocations (batches of uploads)',
          period: ACTIVITY_PERIOD,
          statistic: 'Sum',
        }),
      ],
      leftYAxis: { min: 0, showUnits: false },
    }),
    new LogQueryWidget({
      title: 'Rows ingested (ingest logs)',
      width: 8,
      height: 6,
      logGroupNames,
      view: LogQueryVisualizationType.BAR,
      queryLines: [
        'fields @timestamp, rowsRead, rowsSkipped',
        `filter message = "${ANALYSED_MESSAGE}"`,
        'stats sum(rowsRead) as rowsRead, sum(rowsSkipped) as rowsSkipped, count(*) as filesAnalysed by bin(1h)',
      ],
    }),
    new LogQueryWidget({
      title: 'Ingest warnings and errors (latest 50)',
      width: 8,
      height: 6,
      logGroupNames,
      view: LogQueryVisualizationType.TABLE,
      queryLines: [
        'fields @timestamp, level, message, key, reason, errorCode',
        'filter level = "WARN" or level = "ERROR"',
        'sort @timestamp desc',
        'limit 50',
      ],
    }),
  ];
}

/** The nightly's `Findings` per scenario, under the dimensions of its heartbeat (service, function) plus `Scenario`. */
function findingsPerScenario(nightlyHeartbeat: Metric): GraphWidget {
  return new GraphWidget({
    title: 'Findings per scenario (nightly, previous day)',
    width: 12,
    height: 6,
    stacked: true,
    period: NIGHTLY_PERIOD,
    left: SCENARIO_IDS.map(
      (scenario) =>
        new Metric({
          namespace: METRIC_NAMESPACE,
          metricName: FINDINGS_METRIC,
          dimensionsMap: { ...nightlyHeartbeat.dimensions, [SCENARIO_DIMENSION]: scenario },
          // One datapoint per run; Maximum ignores a retried run's duplicate.
          statistic: 'Maximum',
          period: NIGHTLY_PERIOD,
          label: scenario,
        }),
    ),
    leftYAxis: { min: 0, showUnits: false },
  });
}

function queueWidget(ingest: OperationsDashboardProps['ingest']): GraphWidget {
  return new GraphWidget({
    title: 'Ingest queue and dead letters',
    width: 12,
    height: 6,
    left: [
      ingest.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        label: 'Dead-letter queue depth',
        period: Duration.minutes(5),
        statistic: 'Maximum',
        color: Color.RED,
      }),
      ingest.queue.metricApproximateNumberOfMessagesVisible({
        label: 'Uploads waiting',
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
    ],
    right: [
      ingest.queue.metricApproximateAgeOfOldestMessage({
        label: 'Oldest waiting upload (s)',
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
    ],
    leftYAxis: { min: 0, showUnits: false },
    rightYAxis: { min: 0, showUnits: false },
  });
}

function lambdaErrors(functions: readonly DashboardFunction[]): GraphWidget {
  const sum = { period: Duration.minutes(5), statistic: 'Sum' } as const;
  return new GraphWidget({
    title: 'Lambda errors and throttles',
    width: 6,
    height: 6,
    left: functions.flatMap((entry): IMetric[] => [
      entry.function.metricErrors({ ...sum, label: `${entry.label} errors` }),
      entry.function.metricThrottles({ ...sum, label: `${entry.label} throttles` }),
    ]),
    leftYAxis: { min: 0, showUnits: false },
  });
}

function durationWidget(entry: DashboardFunction): GraphWidget {
  return new GraphWidget({
    title: `${entry.label} duration (ms)`,
    width: 6,
    height: 6,
    left: [
      entry.function.metricDuration({ label: 'p50', statistic: 'p50', period: Duration.minutes(5) }),
      entry.function.metricDuration({ label: 'p99', statistic: 'p99', period: Duration.minutes(5) }),
      entry.function.metricDuration({ label: 'Maximum', statistic: 'Maximum', period: Duration.minutes(5) }),
    ],
    leftAnnotations: [{ value: entry.timeout.toMilliseconds(), label: 'Timeout', color: Color.RED }],
    leftYAxis: { min: 0, showUnits: false },
  });
}

function apiWidgets(stage: IHttpStage): IWidget[] {
  const sum = { period: Duration.minutes(5), statistic: 'Sum' } as const;
  return [
    new GraphWidget({
      title: 'Query API requests and errors',
      width: 12,
      height: 6,
      left: [
        stage.metricCount({ ...sum, label: 'Requests' }),
        stage.metricClientError({ ...sum, label: '4xx' }),
        stage.metricServerError({ ...sum, label: '5xx', color: Color.RED }),
      ],
      leftYAxis: { min: 0, showUnits: false },
    }),
    new GraphWidget({
      title: 'Query API latency (ms)',
      width: 12,
      height: 6,
      left: [
        stage.metricLatency({ label: 'p50', statistic: 'p50', period: Duration.minutes(5) }),
        stage.metricLatency({ label: 'p99', statistic: 'p99', period: Duration.minutes(5) }),
        stage.metricIntegrationLatency({
          label: 'Integration p99',
          statistic: 'p99',
          period: Duration.minutes(5),
        }),
      ],
      leftYAxis: { min: 0, showUnits: false },
    }),
  ];
}
