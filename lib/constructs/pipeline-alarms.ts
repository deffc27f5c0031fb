/**
 * The alarms that see a struggling pipeline in minutes, before anything reaches the dead-letter
 * queue (a retried upload reports batch item failures, not Lambda errors): uploads waiting too
 * long, the findings table throttling, and ingest invocations close to their timeout. The nightly
 * job's deadline alarm lives with the job (`nightly-job.ts`), which knows its schedule.
 */
import type { Duration } from 'aws-cdk-lib';
import { type Alarm, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { TABLE_DEFINITION } from '../../functions/store/table-design.js';
import { ALARM_PERIOD, type Alerts, DURATION_ALARM_RATIO, THROTTLING_PERIODS } from './alerts.js';
import type { IngestPipeline } from './ingest-pipeline.js';

export interface PipelineAlarmsProps {
  readonly ingest: IngestPipeline;
  readonly table: ITable;
  /** The `ingestMaxQueueAgeMinutes` setting. */
  readonly maxQueueAge: Duration;
  /** The table's GSIs; default those of `TABLE_DEFINITION`. */
  readonly indexNames?: readonly string[];
}

/** Adds the alarms to `alerts` and returns them (the operations dashboard shows their state). */
export function addPipelineAlarms(alerts: Alerts, props: PipelineAlarmsProps): Alarm[] {
  const indexNames =
    props.indexNames ?? TABLE_DEFINITION.globalSecondaryIndexes.map((index) => index.indexName);
  const throttling = `for ${THROTTLING_PERIODS * ALARM_PERIOD.toMinutes()} minutes`;
  return [
    alerts.alarmOnQueueAge(
      'IngestQueueAge',
      props.ingest.queue,
      props.maxQueueAge,
      `An upload has waited more than ${props.maxQueueAge.toMinutes()} minutes in the ingest queue: ingest ` +
        'is failing, throttled or overrun.',
    ),
    alerts.alarmAboveZero(
      'TableThrottling',
      throttleEvents(props.table),
      `The findings table throttled reads or writes ${throttling}: uploads slow down and retry.`,
      { periods: THROTTLING_PERIODS },
    ),
    ...indexNames.map((index) =>
      alerts.alarmAboveZero(
        `TableThrottling-${index}`,
        throttleEvents(props.table, index),
        `The findings table's index ${index} throttled ${throttling}: its writes hold back the table's.`,
        { periods: THROTTLING_PERIODS },
      ),
    ),
    alerts.alarmOnDurationNearTimeout(
      'IngestDurationNearTimeout',
      props.ingest.handler.function,
      `An ingest invocation took more than ${DURATION_ALARM_RATIO * 100} % of its timeout: a larger upload ` +
        'or a slower table may time out.',
    ),
  ];
}

/**
 * Read plus write throttle events of `table` itself (no `index`) or of one of its GSIs, per
 * {@link ALARM_PERIOD}. `ReadThrottleEvents`/`WriteThrottleEvents` exist for on-demand tables too
 * (a hot partition, or a burst beyond twice the previous peak) and, unlike `ThrottledRequests`
 * (per operation, table only), carry the `GlobalSecondaryIndexName` dimension; a GSI that
 * throttles its writes throttles the table's writes with it.
 */
export function throttleEvents(table: ITable, index?: string): MathExpression {
  const dimensionsMap: Record<string, string> = {
    TableName: table.tableName,
    ...(index === undefined ? {} : { GlobalSecondaryIndexName: index }),
  };
  const events = (metricName: string): Metric =>
    new Metric({
      namespace: 'AWS/DynamoDB',
      metricName,
      dimensionsMap,
      period: ALARM_PERIOD,
      statistic: 'Sum',
    });
  // Ids unique per table or index: the dashboard draws all of them in one graph.
  const suffix = (index ?? 'table').replace(/\W/g, '_');
  return new MathExpression({
    expression: `FILL(reads_${suffix}, 0) + FILL(writes_${suffix}, 0)`,
    usingMetrics: {
      [`reads_${suffix}`]: events('ReadThrottleEvents'),
      [`writes_${suffix}`]: events('WriteThrottleEvents'),
    },
    period: ALARM_PERIOD,
    label: index === undefined ? 'Table' : `Index ${index}`,
  });
}
