/**
 * What clients outside the stack rely on: the outputs the CLI reads (`--stack NAME`), under the
 * exact names it reads, and what dashboard uploads need (the API knows the bucket, the bucket takes
 * the dashboard's cross-origin POST).
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_OUTPUT, StackOutputsSchema } from '../../functions/runtime/stack-outputs.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { buildApp } from './synth-app.js';

let built: RelayAuditApp;
let template: Template;
let outputs: Record<string, { Value: unknown; Description?: string }>;

beforeAll(() => {
  built = buildApp();
  template = Template.fromStack(built.stack);
  outputs = template.findOutputs('*') as typeof outputs;
});

function logicalIdOf(construct: { node: { defaultChild?: unknown } }): string {
  return built.stack.getLogicalId(
    construct.node.defaultChild as Parameters<typeof built.stack.getLogicalId>[0],
  );
}

describe('client outputs', () => {
  it('name the bucket, the table and the region by reference', () => {
    // Assess
    expect(outputs[STACK_OUTPUT.bucket]?.Value).toEqual({ Ref: logicalIdOf(built.stack.bucket) });
    expect(outputs[STACK_OUTPUT.table]?.Value).toEqual({ Ref: logicalIdOf(built.stack.table) });
    expect(outputs[STACK_OUTPUT.region]?.Value).toEqual({ Ref: 'AWS::Region' });
  });

  it("give the query API's URL, built from the API's id", () => {
    // Prepare
    const apiId = logicalIdOf(built.stack.queryApi.api);
    // Assess
    expect(JSON.stringify(outputs[STACK_OUTPUT.apiUrl]?.Value)).toContain(`{"Ref":"${apiId}"}`);
  });

  it('are every output the client schema requires, with the re-analysis state machine', () => {
    // Prepare
    const required = Object.keys(StackOutputsSchema.shape).filter(
      (key) =>
        !StackOutputsSchema.shape[key as keyof typeof StackOutputsSchema.shape].safeParse(undefined).success,
    );
    // Assess
    for (const key of required) expect(outputs, key).toHaveProperty(key);
    expect(outputs[STACK_OUTPUT.stateMachine]?.Value).toEqual({
      Ref: logicalIdOf(built.stack.reanalysis.stateMachine),
    });
  });
});

describe('dashboard uploads', () => {
  it('tell the API function the bucket it grants uploads into', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('query API'),
      Environment: { Variables: Match.objectLike({ BUCKET_NAME: { Ref: logicalIdOf(built.stack.bucket) } }) },
    });
  });

  it("let the bucket take a cross-origin POST from the dashboard's origin only", () => {
    // Prepare
    const bucket = template.toJSON().Resources[logicalIdOf(built.stack.bucket)] as {
      Properties: {
        CorsConfiguration?: { CorsRules: { AllowedMethods: string[]; AllowedOrigins: unknown[] }[] };
      };
    };
    const rules = bucket.Properties.CorsConfiguration?.CorsRules ?? [];
    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0]?.AllowedMethods).toEqual(['POST']);
    expect(JSON.stringify(rules[0]?.AllowedOrigins)).toContain(
      logicalIdOf(built.stack.dashboard.distribution),
    );
  });
});
