/**
 * Commands that read a deployed stack's outputs (`upload`, `reanalyze`, any `--stack`) or use a
 * DynamoDB table (`--table`) without usable AWS credentials: none found by the SDK's credential
 * chain (no keys, no profile, no instance role), or refused by the service (expired, denied). That
 * is a setup problem — exit status 2 with what to do — never exit 1, which the commands' help keeps
 * for a failed analysis.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli } from '../support/capture-output.js';
import { type LocalCloudFormation, startLocalCloudFormation } from '../support/local-cloudformation.js';
import { LOCAL_REGION, S3RVER_CREDENTIALS } from '../support/local-engines.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRACKING_LOG = join(ROOT, 'sample-logs', 'MSGTRK2026112800-1.LOG');

/** What the advice must name: each way to sign in, and that the local commands need no AWS. */
const SIGN_IN = [/aws configure/, /AWS_PROFILE=/, /aws sso login/, /analyze and serve .*without AWS/];

let cloudFormation: LocalCloudFormation;
/** A home directory with nothing in it: no ~/.aws/credentials, no ~/.aws/config, no SSO cache. */
let emptyHome: string;

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
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', cloudFormation.endpoint);
  emptyHome = mkdtempSync(join(tmpdir(), 'empty-home-'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await cloudFormation.close();
});

/**
 * An environment with no AWS credentials anywhere the SDK looks: no AWS_* variable (keys, profile,
 * web identity, container credentials, credential and config file paths) but the local endpoints,
 * a home without ~/.aws, and no instance metadata (the SDK would wait on it, off EC2, for a second).
 */
function withoutCredentials(): void {
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AWS_') && !name.startsWith('AWS_ENDPOINT_URL_')) vi.stubEnv(name, undefined);
  }
  vi.stubEnv('HOME', emptyHome);
  vi.stubEnv('USERPROFILE', emptyHome);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
}

function withCredentials(): void {
  vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
}

/** A table of the cloud's kind, named as --table takes it. */
const TABLE = ['--table', 'RelayAuditFindings', '--region', 'eu-west-1'];

describe('a command that reads the stack or uses --table, without AWS credentials', () => {
  // Each command that reads a stack's outputs, and each that takes --table (serve too: see
  // store-options.ts), with the option the message names.
  it.each([
    ['upload', ['upload', TRACKING_LOG, '--region', 'eu-west-1'], '--stack RelayAudit'],
    ['reanalyze', ['reanalyze', '--region', 'eu-west-1'], '--stack RelayAudit'],
    [
      'findings --stack',
      ['findings', '--stack', 'RelayAudit', '--region', 'eu-west-1'],
      '--stack RelayAudit',
    ],
    ['analyze --table', ['analyze', TRACKING_LOG, ...TABLE], '--table RelayAuditFindings'],
    ['report --table', ['report', '--date', '2026-11-28', ...TABLE], '--table RelayAuditFindings'],
    ['findings --table', ['findings', ...TABLE], '--table RelayAuditFindings'],
    ['serve --table', ['serve', '--port', '0', ...TABLE], '--table RelayAuditFindings'],
  ])('%s exits 2 and says how to sign in, before reading anything', async (_name, argv, what) => {
    // Prepare
    withoutCredentials();
    // Act
    const { status, out } = await cli(...argv);
    // Assess
    expect(status, out.stderr).toBe(2);
    expect(out.stderr).toContain(`${what}: no AWS credentials (Could not load credentials`);
    for (const advice of SIGN_IN) expect(out.stderr).toMatch(advice);
    // The error is all there is: nothing uploaded, no analysis summary, no findings, no report.
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stdout).toBe('');
  });

  it('check --store exits 2 and says how to sign in, after the readiness report it prints first', async () => {
    // Prepare
    withoutCredentials();
    // Act
    const { status, out } = await cli('check', '--accepted-domains', 'contoso.com', '--store', ...TABLE);
    // Assess: the checks need no store, so their report is printed before the store is opened.
    expect(status, out.stderr).toBe(2);
    expect(out.stdout).toMatch(/contoso\.com/);
    expect(out.stderr).toMatch(/--table RelayAuditFindings: no AWS credentials \(Could not load credentials/);
    for (const advice of SIGN_IN) expect(out.stderr).toMatch(advice);
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

/**
 * Answers every DynamoDB call as the service does to credentials it does not take (table `Refused`)
 * or an identity without the table's permission (any other table), in DynamoDB's JSON protocol.
 */
async function startRefusingDynamo(): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (text: string) => {
      body += text;
    });
    req.on('end', () => {
      const table = (JSON.parse(body || '{}') as { TableName?: string }).TableName;
      const [type, message] =
        table === 'Refused'
          ? ['UnrecognizedClientException', 'The security token included in the request is invalid.']
          : [
              'AccessDeniedException',
              `User: arn:aws:iam::000000000000:user/auditor is not authorized to perform: dynamodb:Query on resource: ${table}`,
            ];
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type });
      res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('a command whose credentials DynamoDB refuses at its first store call', () => {
  let dynamo: { endpoint: string; server: Server };
  beforeAll(async () => {
    dynamo = await startRefusingDynamo();
  });
  afterAll(async () => {
    await new Promise((resolve) => dynamo.server.close(resolve));
  });

  it.each([
    [
      'analyze --table, credentials not valid',
      ['analyze', TRACKING_LOG, '--table', 'Refused'],
      /--table Refused: AWS refused the credentials \(UnrecognizedClientException: The security token/,
    ],
    [
      'findings --table, credentials not valid',
      ['findings', '--table', 'Refused'],
      /--table Refused: AWS refused the credentials \(UnrecognizedClientException: /,
    ],
    [
      'report --table, an identity without the permission',
      ['report', '--date', '2026-11-28', '--table', 'Denied'],
      /--table Denied: the AWS identity may not do this \(AccessDeniedException: .*\); it needs dynamodb:Query/,
    ],
  ])('%s exits 2 and says what to do, not 1 as a failed analysis', async (_name, argv, said) => {
    // Prepare: keys that load (the SDK's chain finds them), which the service then refuses.
    withCredentials();
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
    // Act
    const { status, out } = await cli(...argv, '--region', LOCAL_REGION);
    // Assess
    expect(status, out.stderr).toBe(2);
    expect(out.stderr).toMatch(said);
  });
});

describe('the help of the commands that need AWS', () => {
  it.each([['upload'], ['reanalyze']])(
    'help %s gives exit status 2 for missing credentials',
    async (name) => {
      // Act
      const { status, out } = await cli('help', name);
      // Assess
      expect(status).toBe(0);
      expect(out.stdout.replaceAll('\n', ' ')).toMatch(
        /2 usage error or no AWS region or usable credentials \(it says how to sign in\)/,
      );
    },
  );
});
