/**
 * `relay-audit upload <file|dir>... [--stack NAME] [--watch]`: sends logs and exports to a deployed
 * stack, waits for its ingest to analyse them and prints the report `analyze` prints. A tar archive
 * is sent as the files in it, each its own object, as `analyze` reads it member by member.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { plural } from '../../functions/core/kernel/counts-in-words.js';
import { ArgumentError, ErrorCode, RelayAuditError } from '../../functions/core/kernel/errors.js';
import { objectIdentity } from '../../functions/ingest/s3-event.js';
import { DEFAULT_STACK_NAME, type StackOutputs } from '../../functions/runtime/stack-outputs.js';
import type { FindingsStore } from '../../functions/store/findings-store.js';
import { createRemoteStore } from '../../functions/store/remote-store.js';
import { sourceId } from '../../functions/store/table-design.js';
import { resultOfSources, waitForSources } from '../support/cloud-sources.js';
import { readCommandLine } from '../support/command.js';
import { parseFlags, wholeNumberFlag } from '../support/flags.js';
import { findLocalInputs, type NotAnalysedFile, nothingFoundError } from '../support/inputs.js';
import { INTERRUPTED_STATUS, interruptOnCtrlC } from '../support/interrupt.js';
import type { Output } from '../support/output.js';
import { renderAnalysisReport } from '../support/report.js';
import { readStackOutputs } from '../support/stack-outputs.js';
import { suggestedCommand } from '../support/store-options.js';
import {
  decideSend,
  type FileSnapshot,
  type SendDecision,
  sendFile,
  snapshotInput,
  uploadKey,
  WRITING_QUIET_MS,
} from '../support/upload-file.js';
import { DEFAULT_WAIT_SECONDS, DEFAULT_WATCH_SECONDS, UPLOAD } from './definitions.js';

const UploadFlags = z.object({
  interval: wholeNumberFlag(1, 86_400).optional(),
  timeout: wholeNumberFlag(0, 86_400).optional(),
});

/** What tests replace; the command line uses the defaults. */
export interface UploadDependencies {
  /** Stops the command as Ctrl+C does (default: SIGINT). */
  signal?: AbortSignal;
  /** Multipart part size in bytes (tests use S3's minimum to get several parts from a small file). */
  partSize?: number;
  /** How often the store is polled for the source records (default 2 s). */
  pollMs?: number;
}

/** One file sent in a round. */
interface Sent {
  name: string;
  key: string;
  id: string;
}

/** Files found that were not sent, told in the round they were first seen. */
interface NotSent {
  notAnalysed: NotAnalysedFile[];
  /** Of `notAnalysed`, those that may hold refusals: the command fails, the report is no all-clear. */
  mayHoldRefusals: string[];
}

/** What a round did: the files sent, and those newly found that were not. */
interface Round extends NotSent {
  sent: Sent[];
}

const WHY_SENT: Record<Exclude<SendDecision, 'unchanged'>, string> = {
  new: 'new',
  grew: 'grew since its last upload',
  changed: 'changed since its last upload',
};

export async function runUpload(argv: string[], out: Output, deps: UploadDependencies = {}): Promise<number> {
  const { values, positionals } = readCommandLine(UPLOAD, argv);
  if (positionals.length === 0) throw new ArgumentError('upload needs at least one file or directory');
  const flags = parseFlags(UploadFlags, { interval: values.interval, timeout: values.timeout });
  if (flags.interval !== undefined && !values.watch)
    throw new ArgumentError('--interval only applies with --watch');

  // Local paths first: a mistyped file is a usage error (as in analyze) before any call to AWS,
  // which would otherwise fail first on credentials or the stack and hide the real mistake.
  await findLocalInputs(positionals);
  const stack = await readStackOutputs(values.stack ?? DEFAULT_STACK_NAME, { region: values.region });
  const s3 = new S3Client({ region: stack.region });
  const handle = createRemoteStore({ tableName: stack.table, region: stack.region });
  const interrupt =
    deps.signal === undefined
      ? interruptOnCtrlC(out, 'Interrupted: aborting the upload in progress (Ctrl+C again to quit at once)…')
      : { signal: deps.signal, dispose() {} };
  const { signal } = interrupt;

  /** Set when a file that may hold refusals was found and not sent: the command exits 1. */
  let unsent = false;
  /** Files found and not sent that were told already: each is told once, when first seen. */
  const told = new Set<string>();

  /**
   * Uploads what changed. `interrupted`: Ctrl+C stopped an upload (aborted, nothing of it stored);
   * `stopped`: Ctrl+C came while the files were looked at, before an upload began.
   */
  async function uploadRound(quiet: boolean): Promise<Round | 'stopped' | 'interrupted'> {
    // Tar archives as their members, as analyze reads them: sent whole, ingest could not.
    const found = await findLocalInputs(positionals, process.cwd(), { tarMembers: true });
    // Nothing to send at all is a usage error, as in analyze: never "unchanged since its last upload"
    // for files never sent. A watch may start on a folder still empty; files that may hold refusals
    // are reported below, like a file that failed.
    if (!quiet && !values.watch && found.inputs.length === 0 && found.mayHoldRefusals.length === 0)
      throw nothingFoundError(positionals, found.notAnalysed, 'uploaded');
    const notSent = newlyNotSent(found, told);
    tellNotSent(notSent, out);
    // As `analyze` does: files that may hold refusals, not sent, fail the command (--watch too).
    if (notSent.mayHoldRefusals.length > 0) unsent = true;
    // Every snapshot first, then the sends, each in order: a gzip tar's members are then read in
    // two passes of the archive, not one for each member.
    const snapshots: { name: string; snapshot: FileSnapshot }[] = [];
    for (const input of found.inputs) {
      if (signal.aborted) return 'stopped';
      const snapshot = await snapshotInput(input);
      if (snapshot.heldBack > 0 && !quiet) out.error(heldBackNote(input.name, snapshot));
      snapshots.push({ name: input.name, snapshot });
    }
    const sent: Sent[] = [];
    const unchanged: string[] = [];
    for (const { name, snapshot } of snapshots) {
      if (signal.aborted) return 'stopped';
      const key = uploadKey(snapshot.path, snapshot);
      const decision = await decideSend(s3, stack.bucket, key, snapshot);
      if (decision === 'unchanged') {
        unchanged.push(name);
        continue;
      }
      const progress = out.progress();
      let object: Awaited<ReturnType<typeof sendFile>>;
      try {
        object = await sendFile({
          s3,
          bucket: stack.bucket,
          key,
          snapshot,
          signal,
          onProgress: (bytesRead) => progress.update({ file: name, bytesRead, size: snapshot.length }),
          ...(deps.partSize === undefined ? {} : { partSize: deps.partSize }),
        });
      } catch (error) {
        progress.done();
        if (signal.aborted) {
          out.error(`${name}: upload interrupted; the multipart upload was aborted, nothing of it is stored`);
          return 'interrupted';
        }
        throw new RelayAuditError(
          ErrorCode.ReadFailure,
          `${name}: upload to s3://${stack.bucket}/${key} failed: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      progress.done();
      out.error(`${name} → s3://${stack.bucket}/${key} (${WHY_SENT[decision]})`);
      const identity = objectIdentity({ bucket: stack.bucket, eventName: 'ObjectCreated', ...object });
      sent.push({ name, key, id: sourceId(identity) });
    }
    if (unchanged.length > 0 && !quiet) {
      out.error(`${plural(unchanged.length, 'file')} unchanged since the last upload, not sent again.`);
    }
    return { sent, ...notSent };
  }

  try {
    let watching = false;
    let status = 0;
    do {
      const round = await uploadRound(watching);
      if (round === 'interrupted' || (round === 'stopped' && !watching)) return INTERRUPTED_STATUS;
      // Ctrl+C while a watch looks at the files ends it as between rounds: no upload was cut.
      if (round === 'stopped') break;
      if (round.sent.length > 0 || (!watching && round.mayHoldRefusals.length > 0)) {
        status = values['no-wait']
          ? await printKeys(round.sent, out)
          : await report(handle.store, stack, round, out, {
              timeoutMs: (flags.timeout ?? DEFAULT_WAIT_SECONDS) * 1000,
              signal,
              ...(deps.pollMs === undefined ? {} : { intervalMs: deps.pollMs }),
            });
      } else if (!watching) {
        await out.write('Nothing to upload: every file is unchanged since its last upload.\n');
      }
      if (!values.watch) return unsent ? Math.max(status, 1) : status;
      if (!watching) out.error(`Watching ${positionals.join(', ')}; Ctrl+C stops.`);
      watching = true;
      await sleep((flags.interval ?? DEFAULT_WATCH_SECONDS) * 1000, undefined, { signal }).catch(
        () => undefined,
      );
    } while (!signal.aborted);
    // Ctrl+C between rounds is how --watch ends: every upload made was complete.
    return unsent ? Math.max(status, 1) : status;
  } finally {
    interrupt.dispose();
    s3.destroy();
    await handle.close();
  }
}

/** The files `found` did not give as inputs that are not in `told`, which they are added to. */
function newlyNotSent(found: NotSent, told: Set<string>): NotSent {
  const notAnalysed = found.notAnalysed.filter(({ file }) => !told.has(file));
  for (const { file } of notAnalysed) told.add(file);
  const fresh = new Set(notAnalysed.map(({ file }) => file));
  return { notAnalysed, mayHoldRefusals: found.mayHoldRefusals.filter((file) => fresh.has(file)) };
}

/** Tells the files not sent, on stderr: the report, when there is one, lists them too. */
function tellNotSent({ notAnalysed, mayHoldRefusals }: NotSent, out: Output): void {
  for (const { file, reason } of notAnalysed) out.error(`  – ${file} — ${reason}; not uploaded`);
  if (mayHoldRefusals.length > 0) {
    out.error(
      `✗ ${plural(mayHoldRefusals.length, 'file')} that may hold relay refusals not uploaded ` +
        `(${mayHoldRefusals.join(', ')}): extract or decompress them, or export their rows as CSV, and upload what that gives.`,
    );
  }
}

/** Why a file's last line was not sent: it may still be being written. */
function heldBackNote(name: string, snapshot: FileSnapshot): string {
  const quiet = WRITING_QUIET_MS / 1000;
  return (
    `${name}: its last line (${plural(snapshot.heldBack, 'byte')}) has no line break and the file changed ` +
    `less than ${quiet} s ago, so it may still be being written: that line is not sent. ` +
    `It is sent once the file has not changed for ${quiet} s: upload again then (--watch does).`
  );
}

async function printKeys(sent: readonly Sent[], out: Output): Promise<number> {
  for (const { key } of sent) await out.write(`${key}\n`);
  return 0;
}

/** Waits for the source records of `sent`, prints the report; 1 when a file failed or is not analysed yet. */
async function report(
  store: FindingsStore,
  stack: StackOutputs,
  { sent, notAnalysed, mayHoldRefusals }: Round,
  out: Output,
  wait: { timeoutMs: number; signal: AbortSignal; intervalMs?: number },
): Promise<number> {
  const records = await waitForSources(
    store,
    sent.map((file) => file.id),
    wait,
  );
  const finished: SourceRecord[] = [];
  const pending: Sent[] = [];
  for (const file of sent) {
    const record = records.get(file.id);
    if (record === undefined || record.status === 'processing') pending.push(file);
    else finished.push(record);
  }
  const result = await resultOfSources(store, finished);
  const storeFlags = { stack: stack.stackName, region: stack.region };
  const storeNote =
    `Analysed by stack ${stack.stackName} and stored in its table ${stack.table}. ` +
    `List the findings: ${suggestedCommand('findings', storeFlags)}`;
  // Files not sent that may hold refusals are reported as analyze reports them: never an all-clear.
  if (finished.length > 0 || mayHoldRefusals.length > 0) {
    await out.write(
      renderAnalysisReport(result, {
        domains: "the stack's (config/accepted-domains.csv in its bucket, or its acceptedDomains setting)",
        storeNote,
        storeFlags,
        notAnalysed,
        mayHoldRefusals,
        perFileRuns: true,
      }),
    );
  }
  if (pending.length > 0) {
    const lines = pending.map((file) => `  … ${file.name} (s3://${stack.bucket}/${file.key})`);
    out.error(
      `${plural(pending.length, 'file')} not analysed yet${wait.signal.aborted ? '' : ` after ${Math.round(wait.timeoutMs / 1000)} s`}:\n${lines.join('\n')}\n` +
        `The stack goes on with ${pending.length === 1 ? 'it' : 'them'}; see later: ${suggestedCommand('findings', storeFlags)}`,
    );
  }
  return pending.length > 0 || finished.some((record) => record.status === 'failed') ? 1 : 0;
}
