/**
 * `--stack NAME`: the outputs a deployed stack declares are read back through the CloudFormation
 * client (DescribeStacks) from a local endpoint that answers as the service documents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStackOutputs } from '../../bin/support/stack-outputs.js';
import { STACK_OUTPUT } from '../../functions/runtime/stack-outputs.js';
import { type LocalCloudFormation, startLocalCloudFormation } from '../support/local-cloudformation.js';

const COMPLETE = {
  [STACK_OUTPUT.bucket]: 'relayaudit-storagebucket-1abc',
  [STACK_OUTPUT.table]: 'RelayAudit-Findings-XYZ',
  [STACK_OUTPUT.apiUrl]: 'https://abc123.execute-api.eu-west-1.amazonaws.com/',
  [STACK_OUTPUT.region]: 'eu-west-1',
  QueryApiUrl9D1C0A1B: 'https://abc123.execute-api.eu-west-1.amazonaws.com/',
};

let cloudFormation: LocalCloudFormation;

beforeAll(async () => {
  cloudFormation = await startLocalCloudFormation({
    RelayAudit: COMPLETE,
    'RelayAudit-Old': { QueryApiUrl9D1C0A1B: 'https://old.example/' },
  });
});

afterAll(async () => {
  await cloudFormation.close();
});

describe('readStackOutputs', () => {
  it('reads bucket, table, API URL and region of the named stack', async () => {
    // Act
    const outputs = await readStackOutputs('RelayAudit', { client: cloudFormation.client });
    // Assess
    expect(outputs).toEqual({
      stackName: 'RelayAudit',
      bucket: COMPLETE.BucketName,
      table: COMPLETE.TableName,
      apiUrl: COMPLETE.ApiUrl,
      region: 'eu-west-1',
    });
    expect(cloudFormation.requests.at(-1)).toBe('RelayAudit');
  });

  it('says a stack that does not exist is not there, naming the region', async () => {
    // Act
    const reading = readStackOutputs('Nope', { client: cloudFormation.client });
    // Assess
    await expect(reading).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/--stack Nope: no such stack in us-east-1/),
    });
  });

  it('tells to deploy again when the stack lacks the outputs', async () => {
    // Act
    const reading = readStackOutputs('RelayAudit-Old', { client: cloudFormation.client });
    // Assess
    await expect(reading).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/BucketName.*npx cdk deploy/s),
    });
  });
});
