/**
 * The CloudFormation outputs a client needs to reach a deployed stack, by name. The stack declares
 * them (lib/relay-audit-stack.ts) and the CLI reads them (bin/support/stack-outputs.ts), so the two
 * cannot disagree about what an output is called.
 */
import { z } from 'zod';

/** The stack name clients use when none is given (the CDK app's stack id). */
export const DEFAULT_STACK_NAME = 'RelayAudit';

/** Output keys (stack-level outputs keep these logical ids, unhashed). */
export const STACK_OUTPUT = {
  bucket: 'BucketName',
  table: 'TableName',
  apiUrl: 'ApiUrl',
  region: 'Region',
  /** Present only when the stack has a state machine. */
  stateMachine: 'StateMachineArn',
} as const;

/** What a client learns from the stack's outputs, checked: a stack deployed by an older version may lack some. */
export const StackOutputsSchema = z.object({
  [STACK_OUTPUT.bucket]: z.string().min(1),
  [STACK_OUTPUT.table]: z.string().min(1),
  [STACK_OUTPUT.apiUrl]: z.url(),
  [STACK_OUTPUT.region]: z.string().min(1),
  [STACK_OUTPUT.stateMachine]: z.string().min(1).optional(),
});

/** The stack's outputs, under names a reader understands. */
export interface StackOutputs {
  stackName: string;
  bucket: string;
  table: string;
  apiUrl: string;
  region: string;
  stateMachineArn?: string;
}
