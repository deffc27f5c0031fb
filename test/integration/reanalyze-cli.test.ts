/**
 * `relay-audit reanalyze`: the stack's outputs come from a local CloudFormation endpoint, and the
 * run from a local Step Functions endpoint that answers StartExecution, DescribeExecution,
 * ListMapRuns and DescribeMapRun as the service documents them (test/support/local-step-functions.ts).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runReanalyze } from '../../bin/commands/reanalyze.js';
import { STACK_OUTPUT } from '../../functions/runtime/stack-outputs.js';
import { CapturedOutput, cli } from '../support/capture-output.js';
import { type LocalCloudFormation, startLocalCloudFormation } from '../support/local-cloudformation.js';
import { LOCAL_REGION, S3RVER_CREDENTIALS } from '../support/local-engines.js';
import {
  counts,
  type LocalStepFunctions,
  type ScriptedRun,
  startLocalStepFunctions,
} from '../support/local-step-functions.js';

const STATE_MACHINE = `arn:aws:states:${LOCAL_REGION}:000000000000:stateMachine:ReanalysisStateMachine-abc`;
const BUCKET = 'relayaudit-storagebucket-1abc';
const OUTPUTS = {
  [STACK_OUTPUT.bucket]: BUCKET,
  [STACK_OUTPUT.table]: 'RelayAudit-Findings-XYZ',
  [STACK_OUTPUT.apiUrl]: 'https://abc123.execute-api.us-east-1.amazonaws.com/',
  [STACK_OUTPUT.region]: LOCAL_REGION,
};

let cloudFormation: LocalCloudFormation;
let stepFunctions: LocalStepFunctions | undefined;

beforeAll(async () => {
  cloudFormation = await startLocalCloudFormation({
    RelayAudit: { ...OUTPUTS, [STACK_OUTPUT.stateMachine]: STATE_MACHINE },
    'RelayAudit-Old': OUTPUTS,
  });
  vi.stubEnv('AWS_REGION', LOCAL_REGION);
  vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
  vi.stubEnv('AWS_ENDPOINT_URL_CLOUDFORMATION', cloudFormation.endpoint);
  return async () => {
    vi.unstubAllEnvs();
    await cloudFormation.close();
  };
});

afterEach(async () => {
  await stepFunctions?.close();
  stepFunctions = undefined;
});

async function serve(run: ScriptedRun): Promise<LocalStepFunctions> {
  stepFunctions = await startLocalStepFunctions(STATE_MACHINE, run);
  vi.stubEnv('AWS_ENDPOINT_URL_SFN', stepFunctions.endpoint);
  return stepFunctions;
}

const SUCCEEDING: ScriptedRun = {
  steps: [
    counts({ pending: 3, total: 3 }),
    counts({ pending: 1, running: 2, total: 3 }),
    counts({ running: 1, succeeded: 2, total: 3 }),
    counts({ succeeded: 3, total: 3, resultsWritten: 3 }),
  ],
  status: 'SUCCEEDED',
  resultBucket: BUCKET,
};

describe('relay-audit reanalyze', () => {
  it('starts the stack state machine with the prefix and range, and follows the map run to its end', async () => {
    // Prepare
    const local = await serve(SUCCEEDING);
    const out = new CapturedOutput();
    // Act
    const status = await runReanalyze(
      [
        '--stack',
        'RelayAudit',
        '--prefix',
        'incoming/cli/EX01/',
        '--from',
        '2026-11-01',
        '--to',
        '2026-11-30',
      ],
      out,
      { pollMs: 5 },
    );
    // Assess
    expect(status).toBe(0);
    expect(local.started).toEqual([
      {
        stateMachineArn: STATE_MACHINE,
        name: expect.stringMatching(/^reanalyze-/),
        input: { prefix: 'cli/EX01/', from: '2026-11-01', to: '2026-11-30' },
      },
    ]);
    expect(local.actions).toEqual(
      expect.arrayContaining(['DescribeExecution', 'ListMapRuns', 'DescribeMapRun']),
    );
    expect(out.stderr).toContain(`s3://${BUCKET}/incoming/cli/EX01/ from 2026-11-01 to 2026-11-30`);
    expect(out.stderr).toContain('0/3 uploads done');
    expect(out.stderr).toContain('2/3 uploads done: 2 re-analysed or already current; 1 running');
    expect(out.stdout).toContain('Re-analysis succeeded: 3 uploads re-analysed or already current.');
    expect(out.stdout).toMatch(
      new RegExp(`Results per upload: s3://${BUCKET}/reanalysis/reanalyze-[^/]+/manifest.json`),
    );
  });

  it('re-analyses everything by default and exits 1 when uploads failed', async () => {
    // Prepare
    const local = await serve({
      steps: [counts({ running: 2, total: 2 }), counts({ succeeded: 1, failed: 1, total: 2 })],
      status: 'FAILED',
      resultBucket: BUCKET,
    });
    const out = new CapturedOutput();
    // Act
    const status = await runReanalyze(['--stack', 'RelayAudit'], out, { pollMs: 5 });
    // Assess
    expect(status).toBe(1);
    expect(local.started[0]?.input).toEqual({ prefix: '', from: null, to: null });
    expect(out.stdout).toContain(
      'Re-analysis failed: 1 upload re-analysed or already current, 1 upload failed.',
    );
    expect(out.stdout).toContain('States.ExceedToleratedFailureThreshold');
  });

  it('with --no-wait prints the execution ARN at once', async () => {
    // Prepare
    const local = await serve(SUCCEEDING);
    const out = new CapturedOutput();
    // Act
    const status = await runReanalyze(['--stack', 'RelayAudit', '--no-wait'], out);
    // Assess
    expect(status).toBe(0);
    expect(out.stdout.trim()).toMatch(/:execution:ReanalysisStateMachine-abc:reanalyze-/);
    expect(local.actions).toEqual(['StartExecution']);
  });

  it.each([
    [['--from', '2026-13-01'], /--from/],
    [['--from', '2026-12-02', '--to', '2026-12-01'], /--from: must not be after --to/],
    [['--prefix', '/etc/'], /--prefix: must be a key prefix under incoming\//],
    [['--interval', '0'], /--interval/],
  ])('rejects %j as a usage error before calling the stack', async (flags, message) => {
    // Prepare
    const local = await serve(SUCCEEDING);
    // Act
    const { status, out } = await cli('reanalyze', '--stack', 'RelayAudit', ...flags);
    // Assess
    expect(status).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(local.actions).toEqual([]);
  });

  it('reads --from and --to in the forms every time flag takes, and sends them as UTC, --to to its last millisecond', async () => {
    // Prepare
    const local = await serve(SUCCEEDING);
    // Act
    const { status } = await cli(
      'reanalyze',
      '--stack',
      'RelayAudit',
      '--from',
      '2026-11-28T22:00',
      '--to',
      '2026-11-29T00:30+01:00',
      '--no-wait',
    );
    // Assess
    expect(status).toBe(0);
    expect(local.started[0]?.input).toEqual({
      prefix: '',
      from: '2026-11-28T22:00:00.000Z',
      // The whole minute --to names, as findings --until takes it.
      to: '2026-11-28T23:30:59.999Z',
    });
  });

  it.each([
    ['2026-11-28T23:30:15', '2026-11-28T23:30:15.999Z'],
    ['2026-11-28 23:30:15.5Z', '2026-11-28T23:30:15.599Z'],
    ['2026-11-28T23:30:15.123', '2026-11-28T23:30:15.123Z'],
    ['2026-11-28', '2026-11-28'],
  ])(
    'sends --to %s as %s: a time covers the rest of what it names, a date stays a date',
    async (to, sent) => {
      // Prepare
      const local = await serve(SUCCEEDING);
      // Act
      const { status } = await cli('reanalyze', '--stack', 'RelayAudit', '--to', to, '--no-wait');
      // Assess
      expect(status).toBe(0);
      expect(local.started[0]?.input).toEqual({ prefix: '', from: null, to: sent });
    },
  );

  it.each([
    ['reanalyze', []],
    ['upload', ['sample-logs/postfix-mail.log']],
  ])('%s without a region says to pass --region or set AWS_REGION (a usage error)', async (command, rest) => {
    // Prepare: no region anywhere the SDK looks.
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_DEFAULT_REGION', undefined);
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/relay-audit-test-config');
    try {
      // Act
      const { status, out } = await cli(command, ...rest);
      // Assess
      expect(status).toBe(2);
      expect(out.stderr).toContain(
        `relay-audit ${command}: --stack RelayAudit: no AWS region to find the stack in; pass --region ` +
          '(e.g. --region eu-west-1) or set AWS_REGION',
      );
    } finally {
      vi.stubEnv('AWS_REGION', LOCAL_REGION);
    }
  });

  it('says to deploy again when the stack has no state machine', async () => {
    // Prepare
    await serve(SUCCEEDING);
    // Act
    const { status, out } = await cli('reanalyze', '--stack', 'RelayAudit-Old');
    // Assess
    expect(status).not.toBe(0);
    expect(out.stderr).toContain('has no StateMachineArn output');
    expect(out.stderr).toContain('npx cdk deploy');
  });
});
