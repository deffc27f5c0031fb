/**
 * Template assertions for the alarms that see trouble in minutes (issue 17, item 4): the age of
 * the oldest upload in the ingest queue, throttling of the findings table and each GSI, a nightly
 * run that did not complete by its deadline, and ingest duration near its timeout. Each is checked
 * for its metric, threshold, period and action (the alert topic). Lambda bundling is skipped.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_DEFINITION } from '../../functions/store/table-design.js';
import { INGEST_TIMEOUT } from '../../lib/constructs/ingest-pipeline.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { buildApp } from './synth-app.js';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

type Properties = Record<string, unknown>;
interface MetricStat {
  Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
  Period: number;
  Stat: string;
}
interface MetricQuery {
  Id: string;
  Expression?: string;
  MetricStat?: MetricStat;
  ReturnData?: boolean;
}

function logicalIdOf(app: RelayAuditApp, construct: { node: { defaultChild?: unknown } }): string {
  return app.stack.getLogicalId(construct.node.defaultChild as Parameters<typeof app.stack.getLogicalId>[0]);
}

function alarmsOf(template: Template): Properties[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (alarm) => (alarm as { Properties: Properties }).Properties,
  );
}

function alarmOn(template: Template, metricName: string): Properties {
  const found = alarmsOf(template).filter((alarm) => alarm.MetricName === metricName);
  expect(found, metricName).toHaveLength(1);
  return found[0] as Properties;
}

let built: RelayAuditApp;
let template: Template;
let topicRef: { Ref: string };

beforeAll(() => {
  built = buildApp(NO_BUNDLING);
  template = Template.fromStack(built.stack);
  topicRef = { Ref: logicalIdOf(built, built.stack.alertTopic) };
});

describe('ingest queue age', () => {
  it('alarms when the oldest upload waited more than 15 minutes (default), on the ingest queue', () => {
    const alarm = alarmOn(template, 'ApproximateAgeOfOldestMessage');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 15 * 60,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef],
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalIdOf(built, built.stack.ingest.queue), 'QueueName'] },
        },
      ],
    });
  });

  it('takes its threshold from the ingestMaxQueueAgeMinutes setting', () => {
    const custom = Template.fromStack(buildApp({ ...NO_BUNDLING, ingestMaxQueueAgeMinutes: '40' }).stack);
    expect(alarmOn(custom, 'ApproximateAgeOfOldestMessage').Threshold).toBe(40 * 60);
  });
});

describe('findings table throttling', () => {
  /** Alarms built on the throttle-events expression, keyed by the index they watch ('' = table). */
  function throttleAlarms(): Map<string, Properties> {
    const byIndex = new Map<string, Properties>();
    for (const alarm of alarmsOf(template)) {
      const queries = (alarm.Metrics ?? []) as MetricQuery[];
      const stats = queries.flatMap((query) => (query.MetricStat ? [query.MetricStat] : []));
      if (!stats.some((stat) => stat.Metric.Namespace === 'AWS/DynamoDB')) continue;
      const index = stats[0]?.Metric.Dimensions.find((d) => d.Name === 'GlobalSecondaryIndexName')?.Value;
      byIndex.set(typeof index === 'string' ? index : '', alarm);
    }
    return byIndex;
  }

  it('has one alarm for the table and one for each GSI', () => {
    const indexNames = TABLE_DEFINITION.globalSecondaryIndexes.map((index) => index.indexName);
    expect([...throttleAlarms().keys()].sort()).toEqual(['', ...indexNames].sort());
  });

  it('sums read and write throttle events per 5 minutes and alarms after two periods in a row', () => {
    const tableRef = { Ref: logicalIdOf(built, built.stack.table) };
    for (const [index, alarm] of throttleAlarms()) {
      expect(alarm).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 2,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicRef],
      });
      const queries = alarm.Metrics as MetricQuery[];
      const expression = queries.find((query) => query.ReturnData !== false);
      const suffix = index === '' ? 'table' : index;
      expect(expression?.Expression).toBe(`FILL(reads_${suffix}, 0) + FILL(writes_${suffix}, 0)`);
      const stats = queries.flatMap((query) => (query.MetricStat ? [query.MetricStat] : []));
      expect(stats.map((stat) => stat.Metric.MetricName).sort()).toEqual([
        'ReadThrottleEvents',
        'WriteThrottleEvents',
      ]);
      for (const stat of stats) {
        expect(stat).toMatchObject({ Period: 300, Stat: 'Sum' });
        const expected = [{ Name: 'TableName', Value: tableRef }];
        if (index !== '') expected.push({ Name: 'GlobalSecondaryIndexName', Value: index as never });
        expect(stat.Metric.Dimensions).toEqual(expect.arrayContaining(expected));
        expect(stat.Metric.Dimensions).toHaveLength(expected.length);
      }
    }
  });
});

describe('nightly deadline', () => {
  it('alarms when no run completed for a day plus an hour, treating silence as breaching', () => {
    const alarm = alarmOn(template, 'NightlyRunCompleted');
    expect(alarm).toMatchObject({
      Namespace: 'RelayAudit',
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 25,
      DatapointsToAlarm: 25,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topicRef],
      // The dimensions Powertools Metrics gives the heartbeat: the service and the function's name.
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: logicalIdOf(built, built.stack.nightly.handler.function) } },
        { Name: 'service', Value: 'relay-audit-nightly' },
      ],
    });
  });

  it('follows the schedule: every 12 hours gives a 13-hour window', () => {
    const custom = Template.fromStack(buildApp({ ...NO_BUNDLING, nightlySchedule: 'rate(12 hours)' }).stack);
    expect(alarmOn(custom, 'NightlyRunCompleted')).toMatchObject({
      EvaluationPeriods: 13,
      DatapointsToAlarm: 13,
    });
  });
});

describe('ingest duration', () => {
  it('alarms when the slowest invocation took more than 80 % of the function’s own timeout', () => {
    const functionRef = { Ref: logicalIdOf(built, built.stack.ingest.handler.function) };
    const durationAlarms = alarmsOf(template).filter((alarm) => alarm.MetricName === 'Duration');
    expect(durationAlarms).toHaveLength(1);
    expect(durationAlarms[0]).toMatchObject({
      Namespace: 'AWS/Lambda',
      Statistic: 'Maximum',
      Period: 300,
      Threshold: INGEST_TIMEOUT.toMilliseconds() * 0.8,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topicRef],
      Dimensions: [{ Name: 'FunctionName', Value: functionRef }],
    });
    // Derived from the deployed function's timeout (seconds in the template), not a second constant.
    const ingest = template.toJSON().Resources[functionRef.Ref] as { Properties: { Timeout: number } };
    expect(durationAlarms[0]?.Threshold).toBe(ingest.Properties.Timeout * 1000 * 0.8);
  });
});
