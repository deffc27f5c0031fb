/**
 * The stack's outputs for clients (`relay-audit upload --stack NAME`, scripts): declared at the
 * stack's top level so their logical ids are exactly the names in `STACK_OUTPUT`, not hashed.
 */
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { STACK_OUTPUT } from '../functions/runtime/stack-outputs.js';

export interface ClientOutputsProps {
  readonly bucket: IBucket;
  readonly table: ITable;
  readonly apiUrl: string;
  /** A state machine's ARN, when the stack has one. */
  readonly stateMachineArn?: string;
}

/** Adds the client outputs to `stack`. */
export function addClientOutputs(stack: Stack, props: ClientOutputsProps): void {
  const outputs: [string, string, string][] = [
    [STACK_OUTPUT.bucket, props.bucket.bucketName, 'Bucket: upload logs under incoming/'],
    [STACK_OUTPUT.table, props.table.tableName, 'DynamoDB table of findings and source records'],
    [STACK_OUTPUT.apiUrl, props.apiUrl, 'Base URL of the query API'],
    [STACK_OUTPUT.region, stack.region, 'Region of the stack'],
  ];
  if (props.stateMachineArn !== undefined) {
    outputs.push([
      STACK_OUTPUT.stateMachine,
      props.stateMachineArn,
      'Re-analysis state machine (relay-audit reanalyze starts it)',
    ]);
  }
  for (const [name, value, description] of outputs) {
    new CfnOutput(stack, name, { value, description });
  }
}
