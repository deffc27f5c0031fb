/**
 * Helpers for acknowledging cdk-nag (AwsSolutions) findings. cdk-nag 3 uses CDK's native
 * `Validations.of(construct).acknowledge({ id, reason })`; a finding about one IAM wildcard is
 * named `AwsSolutions-IAM5[Resource::<LogicalId.Arn>/prefix/*]`, so the ids are computed from the
 * constructs here instead of hard-coding logical ids that change when a construct is renamed.
 */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** How cdk-nag spells `Fn::GetAtt [<logical id of construct's resource>, Arn]` in a finding id. */
export function nagArn(construct: IConstruct): string {
  const resource = construct.node.defaultChild as CfnElement | undefined;
  if (!resource) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return `<${Stack.of(construct).getLogicalId(resource)}.Arn>`;
}

/** Acknowledges one AwsSolutions finding on `construct` (and its children) with the reason. */
export function acknowledgeNag(construct: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 20) throw new Error(`acknowledgement of ${id} needs a specific reason`);
  Validations.of(construct).acknowledge({ id, reason });
}
