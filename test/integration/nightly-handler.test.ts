/**
 * The nightly Lambda handler from source, wired from its environment the way Lambda runs it, on
 * real local engines: s3rver for the report objects, dynalite for the table. Covers the scheduled
 * event, a re-run with a date in the detail, invalid events and an invalid environment, and the
 * report's suggested commands naming the deployed stack — run as printed through the CLI against a
 * local CloudFormation endpoint that gives the stack's outputs.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { storeFlagsText } from '../../bin/support/store-options.js';
import { EnvironmentError, InvalidEventError } from '../../functions/core/kernel/errors.js';
import { createHandlerFromEnvironment, type NightlyHandler } from '../../functions/nightly/handler.js';
import { NightlyReport } from '../../functions/nightly/report.js';
import { STACK_OUTPUT } from '../../functions/runtime/stack-outputs.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { cli } from '../support/capture-output.js';
import { type LocalCloudFormation, startLocalCloudFormation } from '../support/local-cloudformation.js';
import {
  LOCAL_REGION,
  type LocalS3,
  localFunctionEnvironment,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';
import { makeFinding } from '../support/make-finding.js';
import { printMetrics } from '../support/quiet-metrics.js';

const BUCKET = 'relay-audit-nightly-bucket';
const TABLE = 'relay-audit-nightly-handler';

let s3: LocalS3;
let dynamo: EmbeddedServer;
let environment: Record<string, string>;
let handler: NightlyHandler;
let stdout: string[];

/** An EventBridge scheduled event as the rule delivers it. */
function scheduledEvent(time: string): Record<string, unknown> {
  return {
    version: '0',
    id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time,
    region: LOCAL_REGION,
    resources: ['arn:aws:events:us-east-1:123456789012:rule/RelayAudit-NightlySchedule'],
    detail: {},
  };
}

async function objectText(key: string): Promise<string> {
  const response = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await response.Body?.transformToString('utf-8')) ?? '';
}

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  environment = localFunctionEnvironment(
    { table: TABLE, bucket: BUCKET, s3, dynamo },
    // Lambda sets the function's name: every metric carries it as a dimension.
    { RETENTION_DAYS: '400', LOOK_BACK_DAYS: '1', AWS_LAMBDA_FUNCTION_NAME: 'relay-audit-nightly' },
  );
  // The SDK reads endpoints and credentials from process.env when it builds its clients.
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  printMetrics();
  handler = createHandlerFromEnvironment(environment);
  await dynamo.store.putFindings([
    makeFinding({ scenario: 'wrong-region', timestamp: '2026-11-20T08:00:00.000Z' }),
    makeFinding({ scenario: 'ndr', timestamp: '2026-11-20T09:00:00.000Z' }),
    makeFinding({ scenario: 'ndr', timestamp: '2026-11-19T09:00:00.000Z' }),
  ]);
}, 60_000);

beforeEach(() => {
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  return () => vi.restoreAllMocks();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([s3?.close(), dynamo?.close()]);
});

describe('the nightly handler', () => {
  it('reports on the day before the schedule fired, writing reports/YYYY-MM-DD.json and .md to the bucket', async () => {
    // Act
    const response = await handler(scheduledEvent('2026-11-21T02:00:00Z'), { awsRequestId: 'nightly-1' });
    // Assess
    expect(response).toMatchObject({
      date: '2026-11-20',
      window: ['2026-11-19', '2026-11-20'],
      findings: 2,
      newFindings: 3,
      reclassified: 0,
      published: false,
      reports: [`s3://${BUCKET}/reports/2026-11-20.json`, `s3://${BUCKET}/reports/2026-11-20.md`],
    });
    const report = NightlyReport.parse(JSON.parse(await objectText('reports/2026-11-20.json')));
    expect(report.totals).toMatchObject({ findings: 2, previousDay: 1 });
    expect(await objectText('reports/2026-11-20.md')).toMatch(/^# relay-audit nightly report — 2026-11-20\n/);
    // EMF (Powertools Metrics): one raw JSON line per scenario on stdout, not wrapped by a logger.
    const metrics = stdout
      .filter((line) => line.includes('"CloudWatchMetrics"'))
      .map((line) => JSON.parse(line));
    expect(metrics).toHaveLength(6);
    expect(metrics.find((line) => line.Scenario === 'ndr')).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Dimensions: [['service', 'FunctionName', 'Scenario']] }] },
      service: 'relay-audit-nightly',
      Findings: 1,
    });
    // The heartbeat comes last, once the run completed; the deadline alarm watches for it.
    expect(metrics.at(-1)).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'RelayAudit', Dimensions: [['service', 'FunctionName']] }] },
      service: 'relay-audit-nightly',
      FunctionName: 'relay-audit-nightly',
      NightlyRunCompleted: 1,
      ReportDate: '2026-11-20',
    });
  });

  it('re-runs the day named in the detail, with its own look-back', async () => {
    const response = await handler({ detail: { date: '2026-11-19', lookBackDays: 0 } });
    expect(response).toMatchObject({
      date: '2026-11-19',
      window: ['2026-11-19'],
      findings: 1,
      newFindings: 0,
    });
    expect(await objectText('reports/2026-11-19.md')).toContain('2026-11-19');
  });

  it('refuses an event it does not understand', async () => {
    await expect(handler({ detail: { data: '2026-11-19' } })).rejects.toBeInstanceOf(InvalidEventError);
    await expect(handler({ detail: { date: '19/11/2026' } })).rejects.toThrow(/detail\.date/);
    await expect(handler({ time: 'yesterday' })).rejects.toThrow(/not a nightly event: time/);
    // A refused run is not a completed one: no heartbeat.
    expect(stdout.join('')).not.toContain('NightlyRunCompleted');
  });

  it('refuses an incomplete environment, naming what is missing', () => {
    expect(() => createHandlerFromEnvironment({ BUCKET_NAME: BUCKET })).toThrow(EnvironmentError);
    expect(() => createHandlerFromEnvironment({ BUCKET_NAME: BUCKET })).toThrow(/TABLE_NAME/);
    expect(() =>
      createHandlerFromEnvironment({ TABLE_NAME: TABLE, BUCKET_NAME: BUCKET, ALERT_TOPIC_ARN: 'not-an-arn' }),
    ).toThrow(/ALERT_TOPIC_ARN: must be an SNS topic ARN/);
    expect(() =>
      createHandlerFromEnvironment({ TABLE_NAME: TABLE, BUCKET_NAME: BUCKET, STACK_NAME: 'my stack' }),
    ).toThrow(/STACK_NAME: must be a CloudFormation stack name/);
  });
});

describe('the report of a deployed stack', () => {
  const STACK = 'RelayAudit-Nightly';
  let cloudFormation: LocalCloudFormation;

  beforeAll(async () => {
    cloudFormation = await startLocalCloudFormation({
      [STACK]: {
        [STACK_OUTPUT.bucket]: BUCKET,
        [STACK_OUTPUT.table]: TABLE,
        [STACK_OUTPUT.apiUrl]: 'https://api.example.test/',
        [STACK_OUTPUT.region]: LOCAL_REGION,
      },
    });
    // The CLI finds the stack's outputs where it would find CloudFormation.
    vi.stubEnv('AWS_ENDPOINT_URL_CLOUDFORMATION', cloudFormation.endpoint);
  });

  afterAll(async () => {
    await cloudFormation?.close();
  });

  /** The `relay-audit findings …` command each next step of the day's report ends with. */
  async function suggestedCommands(run: NightlyHandler, date: string): Promise<string[]> {
    await run({ detail: { date, lookBackDays: 0 } });
    const report = NightlyReport.parse(JSON.parse(await objectText(`reports/${date}.json`)));
    return report.nextSteps.flatMap((step) => /relay-audit findings .*$/.exec(step)?.[0] ?? []);
  }

  it('names the stack (STACK_NAME, set by the CDK construct) and its region in every suggested command', async () => {
    // Prepare
    const inStack = createHandlerFromEnvironment({ ...environment, STACK_NAME: STACK });
    // Act
    const commands = await suggestedCommands(inStack, '2026-11-20');
    const markdown = await objectText('reports/2026-11-20.md');
    // Assess
    expect(commands).toEqual([
      `relay-audit findings --scenario ndr --since 2026-11-20 --until 2026-11-20 --stack ${STACK} --region ${LOCAL_REGION}`,
      `relay-audit findings --scenario wrong-region --since 2026-11-20 --until 2026-11-20 --stack ${STACK} --region ${LOCAL_REGION}`,
    ]);
    // Written as the CLI writes its own store flags.
    const flags = storeFlagsText({ stack: STACK, region: LOCAL_REGION });
    for (const command of commands) expect(command.endsWith(flags), command).toBe(true);
    expect(markdown).toContain(`--stack ${STACK} --region ${LOCAL_REGION}\``);
  });

  it("prints commands that run as printed and read the stack's table", async () => {
    // Prepare
    const inStack = createHandlerFromEnvironment({ ...environment, STACK_NAME: STACK });
    const [command] = await suggestedCommands(inStack, '2026-11-20');
    // Act
    const argv = (command ?? '').split(' ').slice(1);
    const { status, out } = await cli(...argv, '--format', 'ndjson');
    // Assess
    expect(status, out.stderr).toBe(0);
    expect(cloudFormation.requests).toContain(STACK);
    const listed = out.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { scenario: string; timestamp: string });
    expect(listed).toEqual([
      expect.objectContaining({ scenario: 'ndr', timestamp: '2026-11-20T09:00:00.000Z' }),
    ]);
  });

  it('suggests commands without store options when no stack is named (a local run of the handler)', async () => {
    const commands = await suggestedCommands(handler, '2026-11-20');
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) expect(command).toMatch(/--until 2026-11-20$/);
  });
});
