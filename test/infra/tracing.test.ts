/**
 * X-Ray active tracing on every relay-audit function and on the re-analysis state machine
 * (Powertools' Tracer adds the AWS SDK calls as subsegments): each function's `TracingConfig` is Active and its own role may send segments, with
 * the one wildcard X-Ray needs acknowledged for cdk-nag. Checked with the optional message trace
 * pull switched on, so that every function of the stack is there. Lambda bundling is skipped.
 */
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RelayFunction } from '../../lib/constructs/relay-function.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { buildApp } from './synth-app.js';

type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

const CONTEXT = {
  'aws:cdk:bundling-stacks': [],
  graphTenantId: '11111111-2222-3333-4444-555555555555',
  graphClientId: '99999999-8888-7777-6666-555555555555',
  graphCertificateSecret: 'relay-audit/graph-certificate',
};

let built: RelayAuditApp;
let template: Template;
let functions: RelayFunction[];

const logicalId = (element: unknown): string => built.stack.getLogicalId(element as CfnElement);

/** The statements of the IAM policies attached to `fn`'s role. */
function roleStatements(fn: RelayFunction): Statement[] {
  const roleId = logicalId(fn.role.node.defaultChild);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties?.Roles).includes(`"${roleId}"`))
    .flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
    );
}

beforeAll(() => {
  // cdk-nag registered: an unacknowledged finding (an unexplained wildcard) makes synth() throw.
  built = buildApp(CONTEXT, true);
  built.app.synth();
  template = Template.fromStack(built.stack);
  functions = built.stack.node
    .findAll()
    .filter((node): node is RelayFunction => node instanceof RelayFunction);
}, 120_000);

describe('X-Ray tracing', () => {
  it('covers the five functions: ingest, re-analysis, nightly, query API and message trace pull', () => {
    expect(functions.map((fn) => fn.function.node.path.split('/').at(-3)).sort()).toEqual(
      ['GraphTracePull', 'Ingest', 'Nightly', 'QueryApi', 'Reanalysis'].sort(),
    );
  });

  it('is on for the re-analysis state machine', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(1);
    expect(machines[0]?.Properties?.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('is active on every function', () => {
    const resources = template.findResources('AWS::Lambda::Function');
    for (const fn of functions) {
      const id = logicalId(fn.function.node.defaultChild);
      expect(resources[id]?.Properties?.TracingConfig, id).toEqual({ Mode: 'Active' });
    }
  });

  it("lets each function's own role send trace segments, and nothing more on *", () => {
    for (const fn of functions) {
      const onAnything = roleStatements(fn).filter((statement) => statement.Resource === '*');
      expect(onAnything, fn.node.path).toEqual([
        { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
      ]);
    }
  });
});
