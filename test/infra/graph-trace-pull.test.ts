/**
 * Template assertions for the optional message trace pull: present only when the context names the
 * tenant, the app registration and the certificate secret; its schedule; least-privilege grants
 * (GetSecretValue on the one secret, the cursor object, write-only `incoming/graph/*`); cdk-nag
 * clean (synth with AwsSolutions throws on an unacknowledged finding). Bundling is skipped.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { buildApp } from './synth-app.js';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Sid?: string;
  Condition?: unknown;
};

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const GRAPH_CONTEXT = {
  graphTenantId: '11111111-2222-3333-4444-555555555555',
  graphClientId: '99999999-8888-7777-6666-555555555555',
  graphCertificateSecret: 'relay-audit/graph-certificate',
};

let built: RelayAuditApp;
let template: Template;

beforeAll(() => {
  built = buildApp({ ...NO_BUNDLING, ...GRAPH_CONTEXT }, true);
  built.app.synth();
  template = Template.fromStack(built.stack);
}, 120_000);

function pullStatements(): Statement[] {
  const pull = built.stack.graphTracePull;
  if (pull === undefined) throw new Error('no trace pull');
  const roleId = built.stack.getLogicalId(
    pull.handler.role.node.defaultChild as Parameters<typeof built.stack.getLogicalId>[0],
  );
  return Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
    .filter((policy) => JSON.stringify(policy.Properties?.Roles).includes(roleId))
    .flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
    );
}

describe('with the Graph context', () => {
  it('schedules the pull hourly and passes the tenant, client and secret to the function', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      Environment: {
        Variables: {
          TENANT_ID: GRAPH_CONTEXT.graphTenantId,
          CLIENT_ID: GRAPH_CONTEXT.graphClientId,
          CERTIFICATE_SECRET_ID: GRAPH_CONTEXT.graphCertificateSecret,
        },
      },
    });
  });

  it('grants exactly: read the one secret, the cursor object, write-only incoming/graph/*', () => {
    const statements = pullStatements().filter((statement) => statement.Sid !== undefined);
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    expect(Object.keys(bySid).sort()).toEqual(['Cursor', 'CursorExists', 'ReadCertificate', 'WriteWindows']);
    expect(bySid.ReadCertificate?.Action).toBe('secretsmanager:GetSecretValue');
    expect(JSON.stringify(bySid.ReadCertificate?.Resource)).toContain(
      ':secret:relay-audit/graph-certificate-??????',
    );
    expect(bySid.Cursor?.Action).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(JSON.stringify(bySid.Cursor?.Resource)).toContain('/state/graph-trace-cursor.json');
    expect(bySid.CursorExists?.Condition).toEqual({
      StringEquals: { 's3:prefix': 'state/graph-trace-cursor.json' },
    });
    expect(bySid.WriteWindows?.Action).toBe('s3:PutObject');
    expect(JSON.stringify(bySid.WriteWindows?.Resource)).toContain('/incoming/graph/*');
    const actions = pullStatements().flatMap((statement) => ([] as string[]).concat(statement.Action));
    expect(actions.filter((action) => /delete|\*$/i.test(action))).toEqual([]);
  });

  it('alarms on the function’s errors', () => {
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>,
    );
    expect(
      alarms.filter((alarm) =>
        String(alarm.Properties?.AlarmDescription).includes('message trace pull failed'),
      ),
    ).toHaveLength(1);
  });
});

describe('without the Graph context', () => {
  it('has no trace pull, no schedule for it and no secret grant', () => {
    const plain = buildApp(NO_BUNDLING, true);
    plain.app.synth();
    expect(plain.stack.graphTracePull).toBeUndefined();
    const text = JSON.stringify(Template.fromStack(plain.stack).toJSON());
    expect(text).not.toContain('secretsmanager');
    expect(text).not.toContain('incoming/graph/');
  }, 120_000);

  it('refuses part of the Graph context', () => {
    expect(() => buildApp({ ...NO_BUNDLING, graphTenantId: GRAPH_CONTEXT.graphTenantId })).toThrow(
      /all three or none/,
    );
  });
});
