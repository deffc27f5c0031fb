/**
 * `relay-audit reanalyze [--prefix P] [--from DATE] [--to DATE] [--stack NAME]`: starts the
 * stack's re-analysis state machine (lib/constructs/reanalysis.ts) over the uploads under
 * `incoming/` and shows the progress of its Distributed Map until the run ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { plural } from '../../functions/core/kernel/counts-in-words.js';
import { ConfigError, ErrorCode, RelayAuditError } from '../../functions/core/kernel/errors.js';
import type { IsoTime } from '../../functions/core/kernel/iso-time.js';
import { BUCKET_PREFIX } from '../../functions/runtime/bucket-layout.js';
import { DEFAULT_STACK_NAME, STACK_OUTPUT } from '../../functions/runtime/stack-outputs.js';
import { readCommandLine } from '../support/command.js';
import { parseFlags, timeFlag, wholeNumberFlag } from '../support/flags.js';
import { interruptOnCtrlC } from '../support/interrupt.js';
import type { Output } from '../support/output.js';
import { readStackOutputs } from '../support/stack-outputs.js';
import { DEFAULT_PROGRESS_SECONDS, REANALYZE } from './definitions.js';

const ReanalyzeFlags = z
  .object({
    // Relative to incoming/ (which may be given too); no leading slash, no way out of it.
    prefix: z
      .string()
      .transform((prefix) =>
        prefix.startsWith(BUCKET_PREFIX.incoming) ? prefix.slice(BUCKET_PREFIX.incoming.length) : prefix,
      )
      .pipe(
        z
          .string()
          .regex(/^(?!\/)[^\\]*$/, { message: 'must be a key prefix under incoming/, e.g. cli/EX01/' }),
      )
      .default(''),
    from: timeFlag().optional(),
    to: timeFlag().optional(),
    interval: wholeNumberFlag(1, 3600).optional(),
  })
  .refine((flags) => flags.from === undefined || flags.to === undefined || flags.from.start <= flags.to.end, {
    message: 'must not be after --to',
    path: ['from'],
  });

/** What tests replace; the command line uses the defaults. */
export interface ReanalyzeDependencies {
  /** How often the run's progress is read (default: `--interval`, else 10 s). */
  pollMs?: number;
  /** Stops watching as Ctrl+C does (default: SIGINT). */
  signal?: AbortSignal;
}

const Count = z.number().int().nonnegative().default(0);
/** The item counts of a map run, as DescribeMapRun reports them (checked: it is a service's answer). */
const ItemCounts = z.object({
  running: Count,
  succeeded: Count,
  failed: Count,
  timedOut: Count,
  aborted: Count,
  total: Count,
});
type ItemCounts = z.infer<typeof ItemCounts>;

export async function runReanalyze(
  argv: string[],
  out: Output,
  deps: ReanalyzeDependencies = {},
): Promise<number> {
  const { values } = readCommandLine(REANALYZE, argv);
  const flags = parseFlags(ReanalyzeFlags, {
    prefix: values.prefix,
    from: values.from,
    to: values.to,
    interval: values.interval,
  });
  const stack = await readStackOutputs(values.stack ?? DEFAULT_STACK_NAME, { region: values.region });
  if (stack.stateMachineArn === undefined) {
    throw new ConfigError(
      `--stack ${stack.stackName}: the stack has no ${STACK_OUTPUT.stateMachine} output (deployed by an older ` +
        'relay-audit); deploy this version again: npx cdk deploy',
    );
  }
  const sfn = new SFNClient({ region: stack.region });
  const interrupt =
    deps.signal === undefined
      ? interruptOnCtrlC(out, 'Interrupted: no longer watching (the run goes on in the stack)…')
      : { signal: deps.signal, dispose() {} };
  try {
    // A date stays a date (the worker takes it as its whole UTC day); a time goes as UTC, a `--to`
    // as its last millisecond: it takes in the rest of the minute or second it names.
    const input = {
      prefix: flags.prefix,
      from: flags.from?.iso ?? null,
      to: flags.to === undefined ? null : toBound(flags.to),
    };
    const started = await send('start the re-analysis', () =>
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: stack.stateMachineArn,
          name: `reanalyze-${new Date().toISOString().replace(/[:.]/g, '-')}`,
          input: JSON.stringify(input),
        }),
      ),
    );
    const executionArn = started.executionArn ?? '';
    out.error(
      `Re-analysing s3://${stack.bucket}/${BUCKET_PREFIX.incoming}${flags.prefix}` +
        `${input.from === null ? '' : ` from ${input.from}`}${input.to === null ? '' : ` to ${input.to}`} ` +
        `with stack ${stack.stackName}'s current classifier.`,
    );
    if (values['no-wait']) {
      await out.write(`${executionArn}\n`);
      return 0;
    }
    out.error(`Execution ${executionArn}`);
    const pollMs = deps.pollMs ?? (flags.interval ?? DEFAULT_PROGRESS_SECONDS) * 1000;
    return await watch(sfn, executionArn, out, { pollMs, signal: interrupt.signal });
  } finally {
    interrupt.dispose();
    sfn.destroy();
  }
}

/** The `to` the worker reads: a date as it is (a whole UTC day), a time as the last millisecond it covers. */
function toBound(to: IsoTime): string {
  return to.iso.length === 'YYYY-MM-DD'.length ? to.iso : new Date(to.end).toISOString();
}

/** Follows the run until it ends (or Ctrl+C); prints each change of its counts and the outcome. */
async function watch(
  sfn: SFNClient,
  executionArn: string,
  out: Output,
  options: { pollMs: number; signal: AbortSignal },
): Promise<number> {
  let last = '';
  let mapRunArn: string | undefined;
  let counts: ItemCounts | undefined;
  for (;;) {
    const execution = await send('read the run', () =>
      sfn.send(new DescribeExecutionCommand({ executionArn })),
    );
    mapRunArn ??= await firstMapRun(sfn, executionArn);
    if (mapRunArn !== undefined) {
      const arn = mapRunArn;
      const run = await send('read the map run', () =>
        sfn.send(new DescribeMapRunCommand({ mapRunArn: arn })),
      );
      counts = ItemCounts.parse(run.itemCounts ?? {});
    }
    const line = progressLine(counts);
    if (line !== last) out.error(line);
    last = line;
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE')
      return finish(execution, counts, out);
    await sleep(options.pollMs, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal.aborted) {
      out.error(
        `Stopped watching; the run goes on. Its state: aws stepfunctions describe-execution --execution-arn ${executionArn}`,
      );
      return 0;
    }
  }
}

async function firstMapRun(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  const runs = await send('list the map runs', () => sfn.send(new ListMapRunsCommand({ executionArn })));
  return runs.mapRuns?.[0]?.mapRunArn;
}

/** `120/340 uploads done: 100 re-analysed or skipped, 2 failed; 10 running`. */
export function progressLine(counts: ItemCounts | undefined): string {
  if (counts === undefined) return '  listing the uploads…';
  const done = counts.succeeded + counts.failed + counts.timedOut + counts.aborted;
  const failed = counts.failed + counts.timedOut + counts.aborted;
  return (
    `  ${done}/${counts.total} ${counts.total === 1 ? 'upload' : 'uploads'} done: ${counts.succeeded} re-analysed or ` +
    `already current${failed > 0 ? `, ${failed} failed` : ''}; ${counts.running} running`
  );
}

/** The outcome: where the results are, and the exit status (1 when the run or an upload failed). */
async function finish(
  execution: DescribeExecutionCommandOutput,
  counts: ItemCounts | undefined,
  out: Output,
): Promise<number> {
  const failed = counts === undefined ? 0 : counts.failed + counts.timedOut + counts.aborted;
  const results = resultsOf(execution.output);
  await out.write(
    `Re-analysis ${execution.status?.toLowerCase() ?? 'ended'}: ${plural(counts?.succeeded ?? 0, 'upload')} ` +
      `re-analysed or already current${failed > 0 ? `, ${plural(failed, 'upload')} failed` : ''}.\n` +
      (results === undefined ? '' : `Results per upload: ${results}\n`) +
      (execution.status === 'SUCCEEDED' ? '' : `Cause: ${execution.error ?? '?'} ${execution.cause ?? ''}\n`),
  );
  return execution.status === 'SUCCEEDED' && failed === 0 ? 0 : 1;
}

/** The ResultWriter's manifest (`s3://bucket/key`) named in the run's output, when it wrote one. */
function resultsOf(output: string | undefined): string | undefined {
  if (output === undefined) return undefined;
  const parsed = z
    .object({ ResultWriterDetails: z.object({ Bucket: z.string(), Key: z.string() }) })
    .safeParse(JSON.parse(output));
  return parsed.success
    ? `s3://${parsed.data.ResultWriterDetails.Bucket}/${parsed.data.ResultWriterDetails.Key}`
    : undefined;
}

/** A Step Functions call whose failure names what it was doing. */
async function send<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new RelayAuditError(
      ErrorCode.ReadFailure,
      `cannot ${what}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
