/**
 * Template assertions for the nightly job: the EventBridge schedule (default and from context), the
 * function and its environment, least-privilege grants (table data, write-only `reports/*`,
 * publish on the alert topic) and the error alarm; plus cdk-nag on the job's constructs.
 * Bundling is skipped (`aws:cdk:bundling-stacks: []`): the artifact is checked in nightly-bundle.test.ts.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { Alerts } from '../../lib/constructs/alerts.js';
import { FindingsTable } from '../../lib/constructs/findings-table.js';
import { NIGHTLY_RETRY_ATTEMPTS, NIGHTLY_TIMEOUT, NightlyJob } from '../../lib/constructs/nightly-job.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { buildApp } from './synth-app.js';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Sid?: string };

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

let built: RelayAuditApp;
let template: Template;

beforeAll(() => {
  // cdk-nag registered as `npx cdk synth` does: an unacknowledged finding makes synth() throw here.
  built = buildApp({ ...NO_BUNDLING, retentionDays: 200 }, true);
  built.app.synth();
  template = Template.fromStack(built.stack);
});

function logicalIdOf(construct: { node: { defaultChild?: unknown } }): string {
  return built.stack.getLogicalId(
    construct.node.defaultChild as Parameters<typeof built.stack.getLogicalId>[0],
  );
}

function nightlyStatements(): Statement[] {
  const roleId = logicalIdOf(built.stack.nightly.handler.role);
  return Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
    .filter((policy) => JSON.stringify(policy.Properties?.Roles).includes(roleId))
    .flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
    );
}

function actionsOf(statements: readonly Statement[], prefix: string): string[] {
  return statements
    .flatMap((statement) => ([] as string[]).concat(statement.Action))
    .filter((action) => action.startsWith(prefix))
    .sort();
}

describe('schedule', () => {
  it('invokes the nightly function at 02:00 UTC by default, retrying a failed run', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalIdOf(built.stack.nightly.handler.function), 'Arn'] },
          Id: Match.anyValue(),
          RetryPolicy: { MaximumRetryAttempts: NIGHTLY_RETRY_ATTEMPTS, MaximumEventAgeInSeconds: 6 * 3600 },
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalIdOf(built.stack.nightly.handler.function), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [logicalIdOf(built.stack.nightly.rule), 'Arn'] },
    });
  });

  it('takes the schedule (settings nightlySchedule) and the look-back from its props', () => {
    // Prepare: the construct alone, with what the stack would give it.
    const stack = new Stack(new App({ context: NO_BUNDLING }), 'Custom');
    new NightlyJob(stack, 'Nightly', {
      bucket: new Bucket(stack, 'Bucket'),
      table: new FindingsTable(stack, 'Findings').table,
      alerts: new Alerts(stack, 'Alerts'),
      schedule: 'rate(12 hours)',
      retentionDays: 30,
      lookBackDays: 5,
    });
    // Act
    const custom = Template.fromStack(stack);
    // Assess
    custom.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(12 hours)' });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        // The stack's own name: the report's suggested commands take `--stack Custom`.
        Variables: Match.objectLike({ LOOK_BACK_DAYS: '5', RETENTION_DAYS: '30', STACK_NAME: 'Custom' }),
      },
    });
  });
});

describe('function', () => {
  it('runs Node.js 22 on ARM64 with JSON logs and the table, bucket, topic, look-back, retention and stack name it needs', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: NIGHTLY_TIMEOUT.toSeconds(),
      LoggingConfig: {
        LogFormat: 'JSON',
        LogGroup: { Ref: logicalIdOf(built.stack.nightly.handler.logGroup) },
      },
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: logicalIdOf(built.stack.table) },
          BUCKET_NAME: { Ref: logicalIdOf(built.stack.bucket) },
          ALERT_TOPIC_ARN: { Ref: logicalIdOf(built.stack.alertTopic) },
          LOOK_BACK_DAYS: '2',
          // The same retention as ingest: reclassified findings keep their TTL.
          RETENTION_DAYS: '200',
          // For `--stack` in the report's suggested commands.
          STACK_NAME: built.stack.stackName,
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });
});

describe('grants', () => {
  it('may write report objects under reports/, rewrite history/findings/, and nothing else in S3', () => {
    const statements = nightlyStatements();
    expect(new Set(actionsOf(statements, 's3:'))).toEqual(
      new Set(['s3:DeleteObject', 's3:ListBucket', 's3:PutObject']),
    );
    const s3 = statements.filter((statement) => actionsOf([statement], 's3:').length > 0);
    const bucketArn = { 'Fn::GetAtt': [logicalIdOf(built.stack.bucket), 'Arn'] };
    expect(s3).toEqual([
      {
        Sid: 'WriteReports',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [bucketArn, '/reports/*']] },
      },
      {
        Sid: 'WriteHistory',
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:PutObject'],
        Resource: { 'Fn::Join': ['', [bucketArn, '/history/findings/*']] },
      },
      {
        Sid: 'ListHistory',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: bucketArn,
        Condition: { StringLike: { 's3:prefix': ['history/findings/*'] } },
      },
    ]);
  });

  it('may publish to the alert topic with its key, and read/write the findings table', () => {
    const statements = nightlyStatements();
    expect(statements).toContainEqual({
      Sid: 'PublishSummaries',
      Effect: 'Allow',
      Action: 'sns:Publish',
      Resource: { Ref: logicalIdOf(built.stack.alertTopic) },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: { 'Fn::GetAtt': [logicalIdOf(built.stack.alerts.key), 'Arn'] },
    });
    const dynamo = statements.find((statement) => actionsOf([statement], 'dynamodb:').length > 0);
    expect(actionsOf(statements, 'dynamodb:')).toEqual(
      expect.arrayContaining([
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
      ]),
    );
    expect(JSON.stringify(dynamo?.Resource)).toContain(logicalIdOf(built.stack.table));
    // Nothing on * but the trace segments of active tracing (see test/infra/tracing.test.ts).
    for (const statement of statements.filter((s) => actionsOf([s], 'xray:').length === 0))
      expect(([] as unknown[]).concat(statement.Resource)).not.toContain('*');
  });
});

describe('alarm', () => {
  it('alarms on nightly errors, publishing to the alert topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: logicalIdOf(built.stack.nightly.handler.function) } },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [{ Ref: logicalIdOf(built.stack.alertTopic) }],
    });
  });
});

describe('cdk-nag', () => {
  it('finds no unacknowledged error or warning in the nightly job', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    const nightly = report.violations.flatMap((violation) =>
      violation.violatingResources
        .filter((resource) => (resource.constructPath ?? '').includes('/Nightly/'))
        .map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );
    expect(nightly).toEqual([]);
  });
});
