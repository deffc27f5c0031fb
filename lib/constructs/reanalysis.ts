/**
 * Re-analysis and large backfills on Step Functions: a state machine whose Distributed Map lists
 * the objects under `incoming/` (all of them, or a prefix) and hands each to the re-analysis
 * worker (functions/reanalyze/handler.ts), which analyses it again through the ingest path when an
 * older classifier version read it. An object too big for one invocation ends `continued` and is
 * invoked again from its resume point (one resumable worker per object: splitting an object into
 * byte ranges measured slower on the local engines, see the README). Items run `maxConcurrency` at
 * a time, are retried with backoff, and the run fails only past `toleratedFailurePercentage`; the
 * map's results go to `reanalysis/` in the bucket.
 *
 * Execution input: `{ "prefix": "cli/EX01/", "from": "2026-11-01" | null, "to": "2026-11-30" | null }`
 * — `prefix` is under `incoming/` ("" for everything), `from`/`to` bound the upload time (inclusive).
 */
import { type CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type Alarm, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  ResultWriterV2,
  S3ObjectsItemReader,
  StateMachine,
  StateMachineType,
  Succeed,
} from 'aws-cdk-lib/aws-stepfunctions';
import { CallAwsService, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../../functions/nightly/metrics.js';
import { BUCKET_PREFIX } from '../../functions/runtime/bucket-layout.js';
import { acknowledgeNag, nagArn } from '../nag.js';
import { ALARM_PERIOD, type Alerts } from './alerts.js';
import { grantUploadAnalysis, INGEST_TIMEOUT, uploadAnalysisEnvironment } from './ingest-pipeline.js';
import { RelayFunction } from './relay-function.js';

/** Attempts of one item before it counts as failed, and the backoff between them. */
export const REANALYSIS_ITEM_ATTEMPTS = 4;
const FIRST_RETRY_INTERVAL = Duration.seconds(10);
const RETRY_BACKOFF_RATE = 2;
/** The metric the state machine puts when an item failed every attempt. */
export const FAILED_ITEMS_METRIC = 'ReanalysisItemsFailed';
/** An execution runs at most this long (a backfill of a year of uploads at the default concurrency). */
const EXECUTION_TIMEOUT = Duration.days(7);

export interface ReanalysisProps {
  readonly bucket: IBucket;
  readonly table: ITable;
  readonly retentionDays: number;
  readonly acceptedDomains?: string;
  /** Items at once (the `reanalysisMaxConcurrency` setting): how hard a re-analysis writes the table. */
  readonly maxConcurrency: number;
  /** Share of items that may fail before the run fails (the `reanalysisToleratedFailurePercent` setting). */
  readonly toleratedFailurePercentage: number;
  readonly alerts: Alerts;
}

export class Reanalysis extends Construct {
  public readonly worker: RelayFunction;
  public readonly stateMachine: StateMachine;
  /** Failed, timed-out or aborted runs; items that failed every attempt. */
  public readonly alarms: Alarm[];

  public constructor(scope: Construct, id: string, props: ReanalysisProps) {
    super(scope, id);
    this.worker = new RelayFunction(this, 'Worker', {
      entry: 'functions/reanalyze/handler.ts',
      description:
        'relay-audit re-analysis: analyses one object under incoming/ again with the current classifier',
      timeout: INGEST_TIMEOUT,
      environment: uploadAnalysisEnvironment(props),
    });
    // Reads like ingest (HeadObject is GetObject), writes like ingest plus DeleteItem: the findings
    // a re-analysis no longer finds.
    grantUploadAnalysis(this.worker.role, props.bucket, props.table, 'reanalysis');

    const logs = new LogGroup(this, 'Logs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'relay-audit: re-analyses the uploads under incoming/ with the current classifier',
      definitionBody: DefinitionBody.fromChainable(this.definition(props)),
      stateMachineType: StateMachineType.STANDARD,
      timeout: EXECUTION_TIMEOUT,
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
    });
    this.alarms = [
      props.alerts.alarmAboveZero(
        'ReanalysisFailed',
        this.failedExecutions(),
        'A re-analysis run failed, timed out or was aborted: more items failed than it tolerates, or it ran out of time.',
      ),
      props.alerts.alarmAboveZero(
        'ReanalysisItemsFailed',
        new Metric({
          namespace: METRIC_NAMESPACE,
          metricName: FAILED_ITEMS_METRIC,
          period: ALARM_PERIOD,
          statistic: 'Sum',
        }),
        `An object failed re-analysis ${REANALYSIS_ITEM_ATTEMPTS} times: its findings are still the older version's.`,
      ),
    ];
    this.acknowledgeStateMachineNag(props.bucket);
  }

  /** Scope the input → list and re-analyse every object, an item looping while it continues. */
  private definition(props: ReanalysisProps): Pass {
    const scope = new Pass(this, 'Scope', {
      comment: 'The listing is always under incoming/: the prefix is relative to it.',
      parameters: {
        'prefix.$': `States.Format('${BUCKET_PREFIX.incoming}{}', $.prefix)`,
        'from.$': '$.from',
        'to.$': '$.to',
      },
    });
    const reanalyse = new LambdaInvoke(this, 'Reanalyse', {
      lambdaFunction: this.worker.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.result',
    });
    reanalyse.addRetry({
      errors: ['States.ALL'],
      interval: FIRST_RETRY_INTERVAL,
      backoffRate: RETRY_BACKOFF_RATE,
      maxAttempts: REANALYSIS_ITEM_ATTEMPTS - 1,
      jitterStrategy: JitterType.FULL,
    });
    const countFailed = new CallAwsService(this, 'CountFailedItem', {
      service: 'cloudwatch',
      action: 'putMetricData',
      parameters: {
        Namespace: METRIC_NAMESPACE,
        MetricData: [{ MetricName: FAILED_ITEMS_METRIC, Value: 1, Unit: 'Count' }],
      },
      iamResources: ['*'],
      resultPath: JsonPath.DISCARD,
    });
    reanalyse.addCatch(
      countFailed.next(
        new Fail(this, 'ItemFailed', { error: 'ReanalysisItemFailed', causePath: '$.error.Cause' }),
      ),
      { resultPath: '$.error' },
    );
    const item = reanalyse.next(
      new Choice(this, 'Continued?')
        .when(Condition.stringEquals('$.result.outcome', 'continued'), reanalyse)
        .otherwise(new Succeed(this, 'ItemDone')),
    );
    const each = new DistributedMap(this, 'ReanalyseEach', {
      label: 'Reanalysis',
      itemReader: new S3ObjectsItemReader({ bucket: props.bucket, prefix: JsonPath.stringAt('$.prefix') }),
      itemSelector: {
        bucket: props.bucket.bucketName,
        'key.$': '$$.Map.Item.Value.Key',
        'from.$': '$.from',
        'to.$': '$.to',
      },
      maxConcurrency: props.maxConcurrency,
      toleratedFailurePercentage: props.toleratedFailurePercentage,
      mapExecutionType: StateMachineType.STANDARD,
      resultWriterV2: new ResultWriterV2({ bucket: props.bucket, prefix: BUCKET_PREFIX.reanalysis }),
    });
    each.itemProcessor(item);
    scope.next(each);
    return scope;
  }

  /** Failed + timed-out + aborted executions per alarm period. */
  private failedExecutions(): MathExpression {
    const metric = (name: string) =>
      this.stateMachine.metric(name, { period: ALARM_PERIOD, statistic: 'Sum' });
    return new MathExpression({
      expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
      usingMetrics: {
        failed: metric('ExecutionsFailed'),
        timedOut: metric('ExecutionsTimedOut'),
        aborted: metric('ExecutionsAborted'),
      },
      period: ALARM_PERIOD,
      label: 'Re-analysis runs failed',
    });
  }

  /** The wildcards aws-cdk-lib's Distributed Map, ResultWriter, logging and tracing grants hold. */
  private acknowledgeStateMachineNag(bucket: IBucket): void {
    // On the state machine: its role's policy and the Distributed Map's own policy are its children.
    const machine = this.stateMachine;
    const stack = Stack.of(this);
    const bucketRef = stack.getLogicalId(bucket.node.defaultChild as CfnElement);
    const machineRef = stack.getLogicalId(this.stateMachine.node.defaultChild as CfnElement);
    const execution = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineRef}"}]}]}`;
    acknowledgeNag(
      machine,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<${bucketRef}>/*]`,
      "The Distributed Map's ResultWriter grant (aws-cdk-lib) spans the bucket's objects; the state machine " +
        'writes its results under reanalysis/ only and reads no object itself (the worker does).',
    );
    acknowledgeNag(
      machine,
      `AwsSolutions-IAM5[Resource::${nagArn(this.worker.function)}:*]`,
      "Invoking the worker's versions and aliases (aws-cdk-lib's LambdaInvoke grant): the one function only.",
    );
    acknowledgeNag(
      machine,
      'AwsSolutions-IAM5[Resource::*]',
      'cloudwatch:PutMetricData (the failed-items count), the log delivery and X-Ray actions have no ' +
        'resource-level permissions: IAM accepts only * for them.',
    );
    acknowledgeNag(
      machine,
      `AwsSolutions-IAM5[Resource::${execution}:*]`,
      "The Distributed Map describes and stops its own child executions (aws-cdk-lib's grant): executions of this state machine only.",
    );
    acknowledgeNag(
      machine,
      `AwsSolutions-IAM5[Resource::${execution}/Reanalysis:*]`,
      "Redriving the map run's child executions (aws-cdk-lib's grant): this state machine's map run only.",
    );
  }
}
