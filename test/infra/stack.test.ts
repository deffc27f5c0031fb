/**
 * Template assertions: the synthesized stack has the resources, settings and grants issue 3
 * asks for. Bundling runs for real (local esbuild), so the staged ingest bundle is checked too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTableInput, TABLE_DEFINITION, TTL_ATTRIBUTE } from '../../functions/store/table-design.js';
import { INGEST_MAX_RECEIVE_COUNT, INGEST_TIMEOUT } from '../../lib/constructs/ingest-pipeline.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { stagedBundleDir } from '../support/bundle-dir.js';
import { buildApp } from './synth-app.js';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

let built: RelayAuditApp;
let template: Template;

beforeAll(() => {
  built = buildApp({ alertEmail: 'ops@contoso.com', acceptedDomains: 'contoso.com,*.fabrikam.com' });
  template = Template.fromStack(built.stack);
});

function resourcesOf(type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

/** The statements of an `AWS::IAM::Policy` resource. */
function statementsOf(policy: Resource): Statement[] {
  const document = policy.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined;
  return document?.Statement ?? [];
}

function only(type: string): [string, Resource] {
  const found = resourcesOf(type);
  expect(found, type).toHaveLength(1);
  return found[0] as [string, Resource];
}

function logicalIdOf(construct: { node: { defaultChild?: unknown } }): string {
  return built.stack.getLogicalId(
    construct.node.defaultChild as Parameters<typeof built.stack.getLogicalId>[0],
  );
}

describe('storage bucket', () => {
  it('is private, encrypted, TLS-only, versioned, logged, with incoming/ expiring', () => {
    // Prepare
    const bucketId = logicalIdOf(built.stack.bucket);
    // Assess
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.anyValue() } },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Prefix: 'incoming/', ExpirationInDays: 90, Status: 'Enabled' }),
          ]),
        },
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('keeps access logs in a separate, equally locked-down bucket', () => {
    const buckets = resourcesOf('AWS::S3::Bucket');
    // Data + its access logs; the dashboard's site + its CloudFront logs (test/infra/dashboard-hosting.test.ts).
    expect(buckets).toHaveLength(4);
    for (const [, bucket] of buckets) {
      expect(bucket.Properties?.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true });
      expect(bucket.Properties?.BucketEncryption).toBeDefined();
    }
    expect(resourcesOf('AWS::S3::BucketPolicy')).toHaveLength(4);
  });

  it('sends ObjectCreated for incoming/ and ObjectCreated/ObjectRemoved for config/ to the ingest queue', () => {
    const queueArn = { 'Fn::GetAtt': [logicalIdOf(built.stack.ingest.queue), 'Arn'] };
    const to = (events: string, prefix: string) => ({
      Events: [events],
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: prefix }] } },
      QueueArn: queueArn,
    });
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [
          to('s3:ObjectCreated:*', 'incoming/'),
          to('s3:ObjectCreated:*', 'config/'),
          to('s3:ObjectRemoved:*', 'config/'),
        ],
      },
    });
  });
});

describe('ingest queue', () => {
  it('redrives to a dead-letter queue after three receives, with a visibility timeout of 6x the function timeout', () => {
    const dlqId = logicalIdOf(built.stack.ingest.deadLetterQueue);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 3 },
      VisibilityTimeout: INGEST_TIMEOUT.toSeconds() * 6,
      SqsManagedSseEnabled: true,
    });
    expect(INGEST_MAX_RECEIVE_COUNT).toBe(3);
    template.resourceCountIs('AWS::SQS::Queue', 2);
  });

  it('is consumed by the ingest function with partial batch failure reporting', () => {
    const [, mapping] = only('AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(built.stack.ingest.queue), 'Arn'] },
    });
    const batchSize = mapping.Properties?.BatchSize as number;
    expect(batchSize).toBeGreaterThanOrEqual(1);
    expect(batchSize).toBeLessThanOrEqual(5);
  });

  it('caps the invocations a burst starts (ingestMaxConcurrency, default 10)', () => {
    const [, mapping] = only('AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties?.ScalingConfig).toEqual({ MaximumConcurrency: 10 });
    const capped = Template.fromStack(buildApp({ ingestMaxConcurrency: '3' }).stack);
    capped.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 3 },
    });
  });

  it('lets the ingest function send continuations to its own queue, and tells it where', () => {
    const queueId = logicalIdOf(built.stack.ingest.queue);
    const fn = built.stack.ingest.handler.function;
    const [, resource] = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([id]) => id === logicalIdOf(fn),
    ) as [string, Resource];
    const environment = resource.Properties?.Environment as
      | { Variables: Record<string, unknown> }
      | undefined;
    const variables = environment?.Variables ?? {};
    expect(variables.INGEST_QUEUE_URL).toEqual({ Ref: queueId });
    const sends = resourcesOf('AWS::IAM::Policy')
      .flatMap(([, policy]) => statementsOf(policy))
      .filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'));
    expect(sends.map((statement) => statement.Resource)).toContainEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
  });
});

describe('findings table', () => {
  it('has exactly the keys and indexes of TABLE_DEFINITION', () => {
    // Prepare: the CreateTable request the embedded engine uses is the reference.
    const reference = createTableInput('reference');
    const [, table] = only('AWS::DynamoDB::Table');
    const props = table.Properties as {
      KeySchema: unknown[];
      AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
      GlobalSecondaryIndexes: { IndexName: string; KeySchema: unknown[]; Projection: unknown }[];
    };
    // Assess
    expect(props.KeySchema).toEqual(reference.KeySchema);
    const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) =>
      (a.AttributeName ?? '').localeCompare(b.AttributeName ?? '');
    expect([...props.AttributeDefinitions].sort(byName)).toEqual(
      [...(reference.AttributeDefinitions ?? [])].sort(byName),
    );
    expect(props.GlobalSecondaryIndexes).toEqual(
      (reference.GlobalSecondaryIndexes ?? []).map((index) => ({
        IndexName: index.IndexName,
        KeySchema: index.KeySchema,
        Projection: index.Projection,
      })),
    );
    expect(props.GlobalSecondaryIndexes).toHaveLength(TABLE_DEFINITION.globalSecondaryIndexes.length);
  });

  it('is on-demand with point-in-time recovery, encryption and the TTL attribute, and is retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('ingest function', () => {
  it('runs Node.js 22 on ARM64 with JSON logs into its own log group', () => {
    const logGroupId = logicalIdOf(built.stack.ingest.handler.logGroup);
    const tableId = logicalIdOf(built.stack.table);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: INGEST_TIMEOUT.toSeconds(),
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroupId } },
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: tableId },
          BUCKET_NAME: { Ref: logicalIdOf(built.stack.bucket) },
          RETENTION_DAYS: '90',
          ACCEPTED_DOMAINS: 'contoso.com,*.fabrikam.com',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('is bundled as ESM with a source map and without the embedded engine or the AWS SDK', () => {
    // Prepare: the staged asset of the function (bundled by local esbuild during synth).
    const dir = stagedBundleDir(built.app, built.stack, built.stack.ingest.handler.function);
    // Act
    const bundle = readFileSync(join(dir, 'index.mjs'), 'utf8');
    // Assess
    expect(readdirSync(dir)).toContain('index.mjs.map');
    expect(bundle).toMatch(/sourceMappingURL=index\.mjs\.map/);
    expect(bundle).not.toMatch(/dynalite|leveldown|classic-level|memdown/i);
    expect(bundle).not.toMatch(/from\s*"dynalite"|require\("dynalite"\)/);
    // The SDK stays external (provided by the runtime): imported, not inlined.
    expect(bundle).toMatch(/from\s*"@aws-sdk\/client-s3"/);
    // The product's code, zod and Powertools come to about 1 MB unminified; inlining the SDK's S3
    // and DynamoDB clients would add several MB more.
    expect(Buffer.byteLength(bundle)).toBeLessThan(1_500_000);
  });
});

describe('alerts', () => {
  it('alarms on dead letters, ingest errors and ingest throttles, publishing to the alert topic', () => {
    const topicId = logicalIdOf(built.stack.alertTopic);
    // The ingest pipeline's alarms: those whose dimensions name the ingest function or its DLQ.
    const ingestIds = [
      logicalIdOf(built.stack.ingest.handler.function),
      logicalIdOf(built.stack.ingest.deadLetterQueue),
    ];
    const alarms = resourcesOf('AWS::CloudWatch::Alarm')
      .map(([, alarm]) => alarm.Properties ?? {})
      .filter((alarm) => ingestIds.some((id) => JSON.stringify(alarm.Dimensions ?? []).includes(`"${id}"`)));
    // Duration (near the timeout) is checked with the other early-warning alarms (alarms.test.ts).
    expect(alarms.map((alarm) => alarm.MetricName).sort()).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'Duration',
      'Errors',
      'Throttles',
    ]);
    for (const alarm of alarms.filter((candidate) => candidate.MetricName !== 'Duration')) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
    }
    const dlqAlarm = alarms.find((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlqAlarm?.Dimensions).toEqual([
      {
        Name: 'QueueName',
        Value: { 'Fn::GetAtt': [logicalIdOf(built.stack.ingest.deadLetterQueue), 'QueueName'] },
      },
    ]);
  });

  it('encrypts the topic, requires TLS and subscribes the alert e-mail from context', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@contoso.com',
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('IAM', () => {
  const DATA_SERVICES = /^(s3|dynamodb|sqs|sns|kms):/;

  function statements(): Statement[] {
    return resourcesOf('AWS::IAM::Policy').flatMap(([, policy]) => statementsOf(policy));
  }

  it('grants no service-wide wildcard action', () => {
    for (const statement of statements()) {
      const actions = ([] as string[]).concat(statement.Action);
      for (const action of actions)
        expect(action).not.toMatch(/^(\*|s3:\*|dynamodb:\*|sqs:\*|sns:\*|kms:\*)$/);
    }
  });

  it('grants no data action on Resource "*"', () => {
    for (const statement of statements()) {
      const actions = ([] as string[]).concat(statement.Action);
      const resources = ([] as unknown[]).concat(statement.Resource);
      if (actions.some((action) => DATA_SERVICES.test(action))) expect(resources).not.toContain('*');
    }
  });

  it('lets the ingest function read only incoming/ and config/, and never write to S3', () => {
    const roleId = logicalIdOf(built.stack.ingest.handler.role);
    const policies = resourcesOf('AWS::IAM::Policy').filter(([, policy]) =>
      JSON.stringify(policy.Properties?.Roles).includes(roleId),
    );
    const s3Statements = policies
      .flatMap(([, policy]) => statementsOf(policy))
      .filter((statement) =>
        ([] as string[]).concat(statement.Action).some((action) => action.startsWith('s3:')),
      );
    const s3Actions = s3Statements.flatMap((statement) => ([] as string[]).concat(statement.Action)).sort();
    expect(s3Actions).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
    const objectResources = JSON.stringify(s3Statements.map((statement) => statement.Resource));
    expect(objectResources).toContain('/incoming/*');
    expect(objectResources).toContain('/config/*');
    expect(objectResources).not.toContain('/reports/');
  });

  it('gives the function role no AWS managed policy', () => {
    const role = template.findResources('AWS::IAM::Role')[
      logicalIdOf(built.stack.ingest.handler.role)
    ] as Resource;
    expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
  });
});

describe('settings', () => {
  it('omits the e-mail subscription and ACCEPTED_DOMAINS when not configured', () => {
    const plain = Template.fromStack(buildApp().stack);
    plain.resourceCountIs('AWS::SNS::Subscription', 0);
    const [fn] = Object.values(
      plain.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } }),
    );
    const variables = (fn as Resource).Properties?.Environment as { Variables: Record<string, unknown> };
    expect(variables.Variables.ACCEPTED_DOMAINS).toBeUndefined();
  });
});
