/**
 * The re-analysis state machine as synthesized (Step Functions does not run locally: its ASL is
 * checked here, its worker end to end in test/integration/reanalysis.test.ts), its alarms, and
 * the lifecycle that keeps uploads as long as their findings so a re-analysis can read them.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REANALYSIS_ITEM_ATTEMPTS } from '../../lib/constructs/reanalysis.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { buildApp } from './synth-app.js';

interface Asl {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
}

/** The state machine's definition, with the tokens CloudFormation fills in put back as text. */
function definitionOf(template: Template): Asl {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  expect(machines).toHaveLength(1);
  const [machine] = machines;
  if (machine === undefined) throw new Error('no state machine');
  const definition = machine.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  const parts = definition['Fn::Join'][1];
  const text = parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text) as Asl;
}

let built: RelayAuditApp;
let template: Template;
let asl: Asl;

beforeAll(() => {
  built = buildApp({ 'aws:cdk:bundling-stacks': [] });
  template = Template.fromStack(built.stack);
  asl = definitionOf(template);
});

describe('the re-analysis state machine', () => {
  it('lists incoming/ (a prefix under it) with a Distributed Map whose concurrency and tolerance are the settings', () => {
    // Assess
    expect(asl.StartAt).toBe('Scope');
    expect(asl.States.Scope?.Parameters).toEqual({
      'prefix.$': "States.Format('incoming/{}', $.prefix)",
      'from.$': '$.from',
      'to.$': '$.to',
    });
    const map = asl.States.ReanalyseEach as Record<string, unknown>;
    expect(map).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 10,
      ToleratedFailurePercentage: 5,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      ItemReader: { Resource: 'arn:TOKEN:states:::s3:listObjectsV2', Parameters: { 'Prefix.$': '$.prefix' } },
      ItemSelector: { 'key.$': '$$.Map.Item.Value.Key', 'from.$': '$.from', 'to.$': '$.to' },
      ResultWriter: { Parameters: { Prefix: 'reanalysis/' } },
    });
  });

  it('retries an item with backoff, counts one that fails every attempt, and invokes again while it continues', () => {
    // Prepare
    const states = (asl.States.ReanalyseEach as { ItemProcessor: Asl }).ItemProcessor.States;
    // Assess
    expect(states.Reanalyse).toMatchObject({
      Type: 'Task',
      ResultPath: '$.result',
      Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: REANALYSIS_ITEM_ATTEMPTS - 1, BackoffRate: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'CountFailedItem' }],
      Next: 'Continued?',
    });
    expect(states['Continued?']).toMatchObject({
      Choices: [{ Variable: '$.result.outcome', StringEquals: 'continued', Next: 'Reanalyse' }],
      Default: 'ItemDone',
    });
    expect(states.CountFailedItem).toMatchObject({
      Parameters: {
        Namespace: 'RelayAudit',
        MetricData: [{ MetricName: 'ReanalysisItemsFailed', Value: 1 }],
      },
      Next: 'ItemFailed',
    });
  });

  it('is logged and traced, and its worker may delete findings (the ingest function may not)', () => {
    // Assess
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('re-analysis'),
      Timeout: 300,
    });
  });

  it('takes its concurrency and tolerated failures from the settings', () => {
    // Act
    const custom = definitionOf(
      Template.fromStack(
        buildApp({
          'aws:cdk:bundling-stacks': [],
          reanalysisMaxConcurrency: '3',
          reanalysisToleratedFailurePercent: '20',
        }).stack,
      ),
    );
    // Assess
    expect(custom.States.ReanalyseEach).toMatchObject({ MaxConcurrency: 3, ToleratedFailurePercentage: 20 });
  });

  it('alarms on failed runs and on items that failed every attempt', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('re-analysis run failed'),
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsFailed' }) }),
        }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'RelayAudit',
      MetricName: 'ReanalysisItemsFailed',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('uploads are kept as long as their findings', () => {
  /** The `incoming/` lifecycle rule of the data bucket. */
  function incomingRule(context: Record<string, unknown>): unknown {
    const stack = buildApp({ 'aws:cdk:bundling-stacks': [], ...context }).stack;
    const rules = Template.fromStack(stack).toJSON().Resources[
      stack.getLogicalId(stack.bucket.node.defaultChild as Parameters<typeof stack.getLogicalId>[0])
    ].Properties.LifecycleConfiguration.Rules as { Prefix?: string }[];
    return rules.find((rule) => rule.Prefix === 'incoming/');
  }

  it('expire with the findings and move to Standard-IA after 30 days by default', () => {
    expect(incomingRule({})).toMatchObject({
      ExpirationInDays: 90,
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
    });
  });

  it('follow retentionDays and the storage-class setting', () => {
    expect(incomingRule({ retentionDays: '400', incomingInfrequentAccessDays: '60' })).toMatchObject({
      ExpirationInDays: 400,
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 60 }],
    });
  });
});
