/**
 * Template assertions for the findings history: the Glue table over `history/findings/` (the
 * columns of functions/nightly/history.ts, gzip JSON, partition projection on `day`), the Athena
 * workgroup (enforced, encrypted results, scan cap), the bucket's lifecycle for both prefixes, the
 * nightly job's grants on them, and the retention defaults. cdk-nag runs on the whole stack.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_COLUMNS, HISTORY_FINDINGS_PREFIX } from '../../functions/nightly/history.js';
import { HISTORY_SCAN_CUTOFF_BYTES, HISTORY_TABLE_NAME } from '../../lib/constructs/history.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { loadSettings } from '../../lib/settings.js';
import { buildApp } from './synth-app.js';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

let built: RelayAuditApp;
let template: Template;

beforeAll(() => {
  // cdk-nag registered as `npx cdk synth` does: an unacknowledged finding makes synth() throw here.
  built = buildApp({ ...NO_BUNDLING, historyRetentionDays: 400 }, true);
  built.app.synth();
  template = Template.fromStack(built.stack);
});

describe('the history table', () => {
  it('reads the gzip NDJSON objects of history/findings/ in the columns the nightly job writes', () => {
    const tables = Object.values(template.findResources('AWS::Glue::Table'));
    expect(tables).toHaveLength(1);
    const input = tables[0]?.Properties?.TableInput;
    expect(input).toMatchObject({
      Name: HISTORY_TABLE_NAME,
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [{ Name: 'day', Type: 'string' }],
      StorageDescriptor: {
        SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        Columns: HISTORY_COLUMNS.map((column) => ({ Name: column.name, Type: column.type })),
      },
    });
    expect(JSON.stringify(input.StorageDescriptor.Location)).toContain(HISTORY_FINDINGS_PREFIX);
  });

  it('projects the day partitions over the history retention (no crawler, no partitions to add)', () => {
    const [table] = Object.values(template.findResources('AWS::Glue::Table'));
    const parameters = table?.Properties?.TableInput?.Parameters;
    expect(parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.day.type': 'date',
      'projection.day.format': 'yyyy-MM-dd',
      'projection.day.range': 'NOW-400DAYS,NOW',
      compressionType: 'gzip',
    });
    expect(JSON.stringify(parameters['storage.location.template'])).toContain(
      `${HISTORY_FINDINGS_PREFIX}day=\${day}/`,
    );
    template.resourceCountIs('AWS::Glue::Crawler', 0);
    template.resourceCountIs('AWS::Glue::Database', 1);
  });
});

describe('the Athena workgroup', () => {
  it('enforces its settings: encrypted results under athena-results/, a scan cap per query', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      State: 'ENABLED',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: HISTORY_SCAN_CUTOFF_BYTES,
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          OutputLocation: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
        },
      },
    });
    const [workGroup] = Object.values(template.findResources('AWS::Athena::WorkGroup'));
    expect(JSON.stringify(workGroup?.Properties?.WorkGroupConfiguration.ResultConfiguration)).toContain(
      '/athena-results/',
    );
  });
});

describe('the bucket and the nightly job', () => {
  it('expire history after its retention and Athena results after a week', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'history/', ExpirationInDays: 400, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'athena-results/', ExpirationInDays: 7, Status: 'Enabled' }),
        ]),
      },
    });
  });

  it('let the nightly job put, list and delete history objects, and nothing else of the bucket', () => {
    const role = built.stack.getLogicalId(
      built.stack.nightly.handler.role.node.defaultChild as Parameters<typeof built.stack.getLogicalId>[0],
    );
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties?.Roles).includes(role))
      .flatMap((policy) => policy.Properties?.PolicyDocument?.Statement as Statement[]);
    const write = statements.find((statement) => statement.Sid === 'WriteHistory');
    expect(([] as string[]).concat(write?.Action ?? []).sort()).toEqual(['s3:DeleteObject', 's3:PutObject']);
    expect(JSON.stringify(write?.Resource)).toContain(`/${HISTORY_FINDINGS_PREFIX}*`);
    const list = statements.find((statement) => statement.Sid === 'ListHistory');
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': [`${HISTORY_FINDINGS_PREFIX}*`] } });
    const deletes = statements.filter((statement) =>
      ([] as string[]).concat(statement.Action).includes('s3:DeleteObject'),
    );
    expect(deletes).toEqual([write]);
  });
});

describe('retention defaults', () => {
  it('keep findings hot for 90 days and their history in S3 for a year', () => {
    expect(loadSettings({ tryGetContext: () => undefined })).toMatchObject({
      retentionDays: 90,
      historyRetentionDays: 365,
    });
  });
});
