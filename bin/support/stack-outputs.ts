/**
 * `--stack NAME`: a deployed stack's bucket, table, API URL and region, read from its CloudFormation
 * outputs (DescribeStacks), so nobody copies resource names by hand.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import {
  ArgumentError,
  ConfigError,
  ErrorCode,
  RelayAuditError,
} from '../../functions/core/kernel/errors.js';
import { issueText } from '../../functions/core/kernel/issues.js';
import {
  STACK_OUTPUT,
  type StackOutputs,
  StackOutputsSchema,
} from '../../functions/runtime/stack-outputs.js';
import { credentialsError } from './aws-credentials.js';
import { requireRegion } from './aws-region.js';

export interface StackOutputOptions {
  /** Region to look for the stack in (default: the SDK's resolution — AWS_REGION, the profile). */
  region?: string | undefined;
  /** A client to use instead of a new one (tests point one at a local server). */
  client?: CloudFormationClient;
}

/**
 * Reads `stackName`'s outputs. A stack that does not exist is a usage error naming the region;
 * credentials missing, refused or without the permission, and a stack without the outputs (deployed
 * by an older relay-audit), configuration errors saying what to do.
 */
export async function readStackOutputs(
  stackName: string,
  options: StackOutputOptions = {},
): Promise<StackOutputs> {
  const client =
    options.client ??
    new CloudFormationClient(options.region === undefined ? {} : { region: options.region });
  try {
    await requireRegion(client, `--stack ${stackName}: no AWS region to find the stack in`);
    let response: DescribeStacksCommandOutput;
    try {
      response = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    } catch (error) {
      if (error instanceof Error && /does not exist/.test(error.message)) {
        const region = await client.config.region().catch(() => 'the default region');
        throw new ArgumentError(
          `--stack ${stackName}: no such stack in ${region} (deploy it: npx cdk deploy)`,
          {
            cause: error,
          },
        );
      }
      const setup = credentialsError(
        `--stack ${stackName}`,
        error,
        'cloudformation:DescribeStacks on the stack',
      );
      if (setup !== undefined) throw setup;
      throw new RelayAuditError(
        ErrorCode.ReadFailure,
        `--stack ${stackName}: cannot read the stack's outputs: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const outputs: Record<string, string> = {};
    for (const output of response.Stacks?.[0]?.Outputs ?? []) {
      if (output.OutputKey !== undefined && output.OutputValue !== undefined) {
        outputs[output.OutputKey] = output.OutputValue;
      }
    }
    const parsed = StackOutputsSchema.safeParse(outputs);
    if (!parsed.success) {
      throw new ConfigError(
        `--stack ${stackName}: the stack's outputs are incomplete (${issueText(parsed.error)}); ` +
          'deploy this version of relay-audit again: npx cdk deploy',
      );
    }
    const values = parsed.data;
    const stateMachineArn = values[STACK_OUTPUT.stateMachine];
    return {
      stackName,
      bucket: values[STACK_OUTPUT.bucket],
      table: values[STACK_OUTPUT.table],
      apiUrl: values[STACK_OUTPUT.apiUrl],
      region: values[STACK_OUTPUT.region],
      ...(stateMachineArn === undefined ? {} : { stateMachineArn }),
    };
  } finally {
    if (options.client === undefined) client.destroy();
  }
}
