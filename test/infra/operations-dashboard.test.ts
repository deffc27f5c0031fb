/**
 * Template assertions for the CloudWatch operations dashboard (issue 4, part 3): its body has the
 * widgets operators need — uploads, rows ingested (Logs Insights over the ingest function's JSON
 * lines), findings per scenario (the nightly EMF metric), dead-letter depth, Lambda errors and
 * duration of ingest, nightly and API, API 5xx — and the stack outputs its URL. cdk-nag runs on
 * the same synth. Lambda bundling is skipped (not needed here).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCENARIO_IDS } from '../../functions/core/analysis/model/findings.js';
import {
  FINDINGS_METRIC,
  METRIC_NAMESPACE,
  NIGHTLY_COMPLETED_METRIC,
  SCENARIO_DIMENSION,
  SERVICE_NAMES,
} from '../../functions/runtime/observability-names.js';
import { TABLE_DEFINITION } from '../../functions/store/table-design.js';
import { INGEST_TIMEOUT } from '../../lib/constructs/ingest-pipeline.js';
import { NIGHTLY_TIMEOUT } from '../../lib/constructs/nightly-job.js';
import { ANALYSED_MESSAGE } from '../../lib/constructs/operations-dashboard.js';
import { QUERY_API_TIMEOUT } from '../../lib/constructs/query-api.js';
import { PROJECT_ROOT } from '../../lib/constructs/relay-function.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { cloudFormationText } from '../support/cloudformation-text.js';
import { buildApp } from './synth-app.js';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/** One widget of the dashboard body, as CloudWatch reads it. */
interface Widget {
  type: 'metric' | 'log' | 'text' | 'alarm';
  width: number;
  properties: {
    title?: string;
    markdown?: string;
    metrics?: (string | Record<string, unknown>)[][];
    query?: string;
    stat?: string;
    annotations?: { horizontal?: { value: number; label?: string }[] };
    alarms?: string[];
  };
}

let built: RelayAuditApp;
let template: Template;
let widgets: Widget[];
let report: ReturnType<AwsSolutionsChecks['validateScope']>;

function logicalIdOf(construct: { node: { defaultChild?: unknown } }): string {
  return built.stack.getLogicalId(
    construct.node.defaultChild as Parameters<typeof built.stack.getLogicalId>[0],
  );
}

function titled(title: string | RegExp): Widget {
  const found = widgets.filter((widget) =>
    typeof title === 'string' ? widget.properties.title === title : title.test(widget.properties.title ?? ''),
  );
  expect(found, `widget ${String(title)}`).toHaveLength(1);
  return found[0] as Widget;
}

/** The metrics of a widget as `namespace metric dim=value … [stat]` lines. */
function metricLines(widget: Widget): string[] {
  return (widget.properties.metrics ?? []).map((row) => {
    const options = row.find((item) => typeof item === 'object') as { stat?: string } | undefined;
    const [namespace, name, ...dimensions] = row.filter((item): item is string => typeof item === 'string');
    const pairs: string[] = [];
    for (let i = 0; i + 1 < dimensions.length; i += 2) pairs.push(`${dimensions[i]}=${dimensions[i + 1]}`);
    return [namespace, name, ...pairs, `[${options?.stat ?? widget.properties.stat ?? ''}]`].join(' ');
  });
}

beforeAll(() => {
  // cdk-nag registered as `npx cdk synth` does: an unacknowledged error makes synth() throw here.
  built = buildApp(NO_BUNDLING, true);
  built.app.synth();
  template = Template.fromStack(built.stack);
  report = new AwsSolutionsChecks().validateScope(built.app);
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as {
    Properties: { DashboardName: string; DashboardBody: unknown };
  }[];
  expect(dashboards).toHaveLength(1);
  widgets = (JSON.parse(cloudFormationText(dashboards[0]?.Properties.DashboardBody)) as { widgets: Widget[] })
    .widgets;
});

describe('operations dashboard', () => {
  it('is named after the stack and laid out on the 24-column grid', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'RelayAudit-operations' });
    for (const widget of widgets) expect(widget.width).toBeLessThanOrEqual(24);
    expect(widgets.length).toBeGreaterThanOrEqual(10);
  });

  it('shows uploads: S3 notifications on the ingest queue and ingest invocations', () => {
    const lines = metricLines(titled('Uploads'));
    const queue = `<<${logicalIdOf(built.stack.ingest.queue)}.QueueName>>`;
    const ingest = `<<${logicalIdOf(built.stack.ingest.handler.function)}>>`;
    expect(lines).toEqual([
      `AWS/SQS NumberOfMessagesSent QueueName=${queue} [Sum]`,
      `AWS/Lambda Invocations FunctionName=${ingest} [Sum]`,
    ]);
  });

  it('shows rows ingested with Logs Insights over the ingest log group', () => {
    const widget = titled(/^Rows ingested/);
    expect(widget.type).toBe('log');
    const query = widget.properties.query ?? '';
    expect(query).toContain(`SOURCE '<<${logicalIdOf(built.stack.ingest.handler.logGroup)}>>'`);
    expect(query).toContain(`filter message = "${ANALYSED_MESSAGE}"`);
    expect(query).toMatch(
      /stats sum\(rowsRead\) as rowsRead, sum\(rowsSkipped\) as rowsSkipped.* by bin\(1h\)/,
    );
  });

  it('queries log fields the ingest function writes (message "analysed" with rowsRead, rowsSkipped)', () => {
    // The ingest code is owned elsewhere: this fails if its log line changes under the dashboard.
    const source = readFileSync(join(PROJECT_ROOT, 'functions/ingest/ingest.ts'), 'utf8');
    expect(source).toMatch(
      new RegExp(`\\.info\\('${ANALYSED_MESSAGE}',\\s*\\{[^}]*rowsRead:[^}]*rowsSkipped:`, 's'),
    );
  });

  it('lists ingest warnings and errors from the same log group', () => {
    const widget = titled(/^Ingest warnings and errors/);
    expect(widget.properties.query).toContain(
      `SOURCE '<<${logicalIdOf(built.stack.ingest.handler.logGroup)}>>'`,
    );
    expect(widget.properties.query).toMatch(/level = "WARN" or level = "ERROR"/);
  });

  it('shows findings per scenario from the nightly EMF metric, one line per scenario', () => {
    const widget = titled(/^Findings per scenario/);
    // Powertools Metrics' dimensions (the function's name and the service) plus the scenario, in
    // the order CDK writes them (sorted by name).
    const fn = `FunctionName=<<${logicalIdOf(built.stack.nightly.handler.function)}>>`;
    expect(metricLines(widget)).toEqual(
      SCENARIO_IDS.map(
        (scenario) =>
          `${METRIC_NAMESPACE} ${FINDINGS_METRIC} ${fn} ${SCENARIO_DIMENSION}=${scenario} service=${SERVICE_NAMES.nightly} [Maximum]`,
      ),
    );
    expect(METRIC_NAMESPACE).toBe('RelayAudit');
  });

  it('shows the dead-letter queue depth and the ingest backlog', () => {
    const lines = metricLines(titled('Ingest queue and dead letters'));
    const dlq = `<<${logicalIdOf(built.stack.ingest.deadLetterQueue)}.QueueName>>`;
    const queue = `<<${logicalIdOf(built.stack.ingest.queue)}.QueueName>>`;
    expect(lines).toContain(`AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${dlq} [Maximum]`);
    expect(lines).toContain(`AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${queue} [Maximum]`);
    expect(lines).toContain(`AWS/SQS ApproximateAgeOfOldestMessage QueueName=${queue} [Maximum]`);
  });

  it('shows errors, throttles and duration (against the timeout) of the ingest, nightly and API functions', () => {
    const functions = [
      ['Ingest', built.stack.ingest.handler.function, INGEST_TIMEOUT],
      ['Nightly', built.stack.nightly.handler.function, NIGHTLY_TIMEOUT],
      ['API', built.stack.queryApi.handler.function, QUERY_API_TIMEOUT],
    ] as const;
    const errors = metricLines(titled('Lambda errors and throttles'));
    for (const [label, fn, timeout] of functions) {
      const name = `FunctionName=<<${logicalIdOf(fn)}>>`;
      expect(errors).toContain(`AWS/Lambda Errors ${name} [Sum]`);
      expect(errors).toContain(`AWS/Lambda Throttles ${name} [Sum]`);
      const duration = titled(`${label} duration (ms)`);
      expect(metricLines(duration)).toEqual([
        `AWS/Lambda Duration ${name} [p50]`,
        `AWS/Lambda Duration ${name} [p99]`,
        `AWS/Lambda Duration ${name} [Maximum]`,
      ]);
      expect(duration.properties.annotations?.horizontal).toEqual([
        expect.objectContaining({ value: timeout.toMilliseconds(), label: 'Timeout' }),
      ]);
    }
  });

  it('shows API requests, 4xx and 5xx answers, and latency', () => {
    const api = `ApiId=<<${logicalIdOf(built.stack.queryApi.api)}>>`;
    const lines = metricLines(titled('Query API requests and errors'));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^AWS/ApiGateway Count ${api}.* \\[Sum\\]$`)),
        expect.stringMatching(new RegExp(`^AWS/ApiGateway 4xx ${api}.* \\[Sum\\]$`)),
        expect.stringMatching(new RegExp(`^AWS/ApiGateway 5xx ${api}.* \\[Sum\\]$`)),
      ]),
    );
    expect(metricLines(titled('Query API latency (ms)'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^AWS\/ApiGateway Latency .*\[p99\]$/)]),
    );
  });

  it('shows the state of every alarm of the pipeline and the nightly deadline', () => {
    const widget = titled('Alarms');
    expect(widget.type).toBe('alarm');
    const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    const shown = (widget.properties.alarms ?? []).map((arn) => /<<(\w+)\.Arn>>/.exec(arn)?.[1]);
    for (const name of ['IngestQueueAge', 'TableThrottling', 'IngestDurationNearTimeout', 'NightlyMissed'])
      expect(
        shown.some((id) => id?.includes(name)),
        name,
      ).toBe(true);
    for (const id of shown) expect(alarmIds).toContain(id);
  });

  it('graphs throttle events of the table and each GSI, and the nightly heartbeat', () => {
    const throttling = titled(/^Findings table throttle events/).properties.metrics ?? [];
    const expressions = throttling.flatMap((row) =>
      row.filter((item): item is { expression: string } => typeof item === 'object' && 'expression' in item),
    );
    expect(expressions.map((item) => item.expression)).toEqual([
      'FILL(reads_table, 0) + FILL(writes_table, 0)',
      ...TABLE_DEFINITION.globalSecondaryIndexes.map(
        ({ indexName }) => `FILL(reads_${indexName}, 0) + FILL(writes_${indexName}, 0)`,
      ),
    ]);
    const nightly = `FunctionName=<<${logicalIdOf(built.stack.nightly.handler.function)}>> service=${SERVICE_NAMES.nightly}`;
    expect(metricLines(titled('Nightly runs completed'))).toEqual([
      `${METRIC_NAMESPACE} ${NIGHTLY_COMPLETED_METRIC} ${nightly} [Sum]`,
    ]);
  });

  it('exports the console URL of the dashboard', () => {
    const outputs = Object.values(template.findOutputs('*')) as { Description?: string; Value: unknown }[];
    const output = outputs.find((o) => o.Description?.includes('CloudWatch operations dashboard'));
    expect(cloudFormationText(output?.Value)).toBe(
      'https://console.aws.amazon.com/cloudwatch/home?region=<<AWS::Region>>' +
        `#dashboards/dashboard/<<${logicalIdOf(built.stack.operations.dashboard)}>>`,
    );
  });

  it('keeps the stack free of unacknowledged cdk-nag findings', () => {
    expect(
      report.violations.flatMap((v) =>
        v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? ''}`),
      ),
    ).toEqual([]);
  });
});
