/**
 * The stack outputs clients read (`--stack NAME`): present under the exact names the CLI reads,
 * pointing at the stack's own bucket, table, API and region.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_OUTPUT, StackOutputsSchema } from '../../functions/runtime/stack-outputs.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { buildApp } from './synth-app.js';

let built: RelayAuditApp;
let outputs: Record<string, { Value: unknown; Description?: string }>;

beforeAll(() => {
  built = buildApp();
  outputs = Template.fromStack(built.stack).findOutputs('*') as typeof outputs;
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

  it('are every output the client schema requires, and no state machine (the stack has none)', () => {
    // Prepare
    const required = Object.keys(StackOutputsSchema.shape).filter(
      (key) =>
        !StackOutputsSchema.shape[key as keyof typeof StackOutputsSchema.shape].safeParse(undefined).success,
    );
    // Assess
    for (const key of required) expect(outputs, key).toHaveProperty(key);
    expect(outputs).not.toHaveProperty(STACK_OUTPUT.stateMachine);
  });
});
