/**
 * Commands that read a deployed stack's outputs (`upload`, `reanalyze`, any `--stack`) without
 * usable AWS credentials: none found by the SDK's credential chain (no keys, no profile, no
 * instance role), or refused by the service (expired, denied). That is a setup problem — exit
 * status 2 with what to do — never exit 1, which the commands' help keeps for a failed analysis.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli } from '../support/capture-output.js';
import { type LocalCloudFormation, startLocalCloudFormation } from '../support/local-cloudformation.js';
import { LOCAL_REGION, S3RVER_CREDENTIALS } from '../support/local-engines.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRACKING_LOG = join(ROOT, 'sample-logs', 'MSGTRK2026112800-1.LOG');
const NOWHERE = join(ROOT, 'test', 'fixtures', 'no-such-aws-file');

/** What the advice must name: each way to sign in, and that the local commands need no AWS. */
const SIGN_IN = [/aws configure/, /AWS_PROFILE=/, /aws sso login/, /analyze and serve .*without AWS/];

let cloudFormation: LocalCloudFormation;

beforeAll(async () => {
  // Answers as the service does to a caller whose token expired, or who may not describe stacks.
  cloudFormation = await startLocalCloudFormation(
    {},
    {
      Expired: {
        code: 'ExpiredToken',
        message: 'The security token included in the request is expired',
        status: 403,
      },
      Denied: {
        code: 'AccessDenied',
        message:
          'User: arn:aws:iam::000000000000:user/auditor is not authorized to perform: cloudformation:DescribeStacks',
        status: 403,
      },
    },
  );
  // Even should a credential be found after all, no call leaves this machine.
  vi.stubEnv('AWS_ENDPOINT_URL_CLOUDFORMATION', cloudFormation.endpoint);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await cloudFormation.close();
});

/** An environment with no AWS credentials anywhere the SDK looks. */
function withoutCredentials(): void {
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_DEFAULT_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_ROLE_ARN',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  ]) {
    vi.stubEnv(name, undefined);
  }
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', NOWHERE);
  vi.stubEnv('AWS_CONFIG_FILE', NOWHERE);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
}

function withCredentials(): void {
  vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
}

describe('a command that reads the stack, without AWS credentials', () => {
  it.each([
    ['upload', ['upload', TRACKING_LOG, '--region', 'eu-west-1']],
    ['reanalyze', ['reanalyze', '--region', 'eu-west-1']],
    ['findings --stack', ['findings', '--stack', 'RelayAudit', '--region', 'eu-west-1']],
  ])('%s exits 2 and says how to sign in', async (_name, argv) => {
    // Prepare
    withoutCredentials();
    // Act
    const { status, out } = await cli(...argv);
    // Assess
    expect(status, out.stderr).toBe(2);
    expect(out.stderr).toMatch(/--stack RelayAudit: no AWS credentials \(Could not load credentials/);
    for (const advice of SIGN_IN) expect(out.stderr).toMatch(advice);
    expect(out.stdout).toBe('');
  });
});

describe('a command whose credentials the service refuses', () => {
  it('exits 2 for expired credentials, saying to sign in again', async () => {
    // Prepare
    withCredentials();
    // Act
    const { status, out } = await cli('upload', TRACKING_LOG, '--stack', 'Expired', '--region', LOCAL_REGION);
    // Assess
    expect(status, out.stderr).toBe(2);
    expect(out.stderr).toMatch(
      /--stack Expired: AWS refused the credentials \(ExpiredToken: The security token included in the request is expired\)/,
    );
    for (const advice of SIGN_IN) expect(out.stderr).toMatch(advice);
  });

  it('exits 2 for an identity that may not read the stack, naming the permission', async () => {
    // Prepare
    withCredentials();
    // Act
    const { status, out } = await cli('reanalyze', '--stack', 'Denied', '--region', LOCAL_REGION);
    // Assess
    expect(status, out.stderr).toBe(2);
    expect(out.stderr).toMatch(/--stack Denied: the AWS identity may not do this \(AccessDenied: /);
    expect(out.stderr).toMatch(/it needs cloudformation:DescribeStacks on the stack/);
  });
});
