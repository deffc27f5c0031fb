/** Where synth staged the bundle of one Lambda function (found by its Code.S3Key, not by guessing). */
import { join } from 'node:path';
import type { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';

export function stagedBundleDir(app: App, stack: Stack, fn: IFunction): string {
  const functionId = stack.getLogicalId(fn.node.defaultChild as Parameters<typeof stack.getLogicalId>[0]);
  const resource = Template.fromStack(stack).toJSON().Resources[functionId];
  const key = (resource?.Properties?.Code as { S3Key?: string } | undefined)?.S3Key;
  if (!key) throw new Error(`no staged code for ${fn.node.path}`);
  return join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`);
}
