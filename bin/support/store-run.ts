/**
 * An analysis into a store, as every local entry point runs it (`relay-audit analyze`, a dashboard
 * upload on `relay-audit serve`): the findings written as they are found, the run's receipts kept in
 * the inbound Message-ID index, its source records leased while it runs, and, at its end, the
 * correlation with earlier runs (a refusal here whose message was received in another upload
 * becomes `forwarding`, and the other way round). One place, so no way into the store skips a step.
 */
import {
  type AnalysisResult,
  type AnalyzeOptions,
  analyze,
  type FindingSink,
  withInboundRecorder,
} from '../../functions/core/analysis/analyze.js';
import {
  countAsForwarding,
  countAsUnforwarded,
  observedBy,
  RunEvidence,
} from '../../functions/core/analysis/evidence/run-evidence.js';
import { holdOutcomes } from '../../functions/core/analysis/held-outcomes.js';
import type { AnalysisInput } from '../../functions/core/analysis/input/parse-input.js';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
import type { StoreHandle } from '../../functions/store/index.js';
import type { correlateRun, RunCorrelation } from '../../functions/store/run-correlation.js';
import type { FindingsBeforeRead } from '../../functions/store/source-findings.js';
import type { SourceUpdates } from '../../functions/store/source-updates.js';
import type { UnsettledRun, UnsettledRuns } from '../../functions/store/unsettled-runs.js';
import {
  isAbandoned,
  isOnlyLiveRun,
  isSourceLeaseGone,
  type LeasedSink,
  leasedSink,
} from './source-lease.js';

/**
 * Store writes (batches of findings or index entries) in flight while the analysis reads on. The
 * engine thread writes the PutItems that reach it together as one group, so more in flight means
 * fewer, larger LevelDB writes. Measured: 4 → 16 took a 250 MB log from 14.5 to 13.0 s for about
 * 20 MB more peak RSS; 8 ran as fast as 16 (750 MB log: 40.3 against 42.3 s) with 14 MB less.
 */
const STORE_WRITES_IN_FLIGHT = 8;
/**
 * Findings (and index entries) per store write: one BatchWriteItem's worth, handed on as soon as
 * they are found, so a finding, its item and its request die young. In batches of 500 they lived
 * through several young-generation collections and were copied and promoted on the way (measured on
 * a 250 MB log: the V8 helper threads' garbage-collection time fell from 7.5 to 4.3 s).
 */
const STORE_BATCH_SIZE = 25;

/** An input of a run into the store. */
export interface StoreInput extends AnalysisInput {
  /**
   * What the versions of an input without a `path` share where their `sourceId`s differ: a
   * dashboard upload's user and file name on `serve` (each upload has a key of its own), so that
   * uploading the file again supersedes the records the earlier uploads left unfinished, as a run
   * over a local path does. Never an absolute path: the two do not meet.
   */
  versionsName?: string;
}

export interface StoreRun {
  result: AnalysisResult;
  /** What the end-of-run correlation changed (the result already counts its reclassified findings). */
  correlation: Required<RunCorrelation>;
  /**
   * Days whose rollup counters were recounted from their findings before the run, because a run
   * killed earlier may have left them short (see unsettled-runs.ts), and the cells corrected.
   */
  recounted: { days: string[]; cells: number };
}

/** Analyses `inputs` into the store of `handle` (see the module comment). */
export async function analyzeIntoStore(
  handle: StoreHandle,
  inputs: readonly StoreInput[],
  options: Omit<AnalyzeOptions, 'sink' | 'batchSize' | 'writesInFlight'>,
): Promise<StoreRun> {
  const { InboundIndex } = await import('../../functions/store/inbound-index.js');
  const { correlateRun } = await import('../../functions/store/run-correlation.js');
  // Loaded here, as the two above: they bring the DynamoDB SDK, which `--no-store` never loads.
  const { UnsettledRuns } = await import('../../functions/store/unsettled-runs.js');
  const { SourceUpdates } = await import('../../functions/store/source-updates.js');
  const inbound = new InboundIndex(handle);
  const evidence = new RunEvidence();
  const journal = new UnsettledRuns(handle);
  // After any recount of this process, and live (leased) in the same tick as the check.
  let gate: Promise<unknown>;
  do {
    gate = recounting;
    await gate;
  } while (gate !== recounting);
  // Each record carries this run's lease: killed mid-way, the run's records show as interrupted,
  // and the days of its findings stay named in its unsettled item.
  const leased = leasedSink(handle.store, { journal });
  // Records say `done` only once the correlation below is over too.
  const outcomes = holdOutcomes(leased.sink);
  const versions = new SourceUpdates(handle);
  try {
    const recounted = await recountAbandonedRuns(handle, journal, leased);
    // What an earlier run that was stopped or killed stored of a file, read before this run writes.
    const before = await findingsBefore(handle, inputs);
    // Named before anything of the file is written: a run killed mid-way is found by the next one.
    for (const input of inputs) {
      const name = versionsNameOf(input);
      if (name !== undefined) await versions.recordVersion(name, input.sourceId);
    }
    const sink: FindingSink = observedBy(
      withInboundRecorder(outcomes.sink, (entries) => inbound.record(entries)),
      evidence,
    );
    // The store takes overlapping writes: its engine (or DynamoDB) works while the analysis reads on.
    // A run that fails leaves its unsettled item (writes may still be landing): the next run recounts.
    const result = await analyze(inputs, {
      ...options,
      correlatedAtEnd: true,
      sink,
      batchSize: STORE_BATCH_SIZE,
      writesInFlight: STORE_WRITES_IN_FLIGHT,
    });
    // Before the correlation: a leftover it reclassified would be put again, and stay.
    await removeNotFoundAgain(before, result, leased, outcomes.sink);
    // Forwarding across runs, settled now: receipts recorded by earlier runs, refusals stored by them.
    const runSources = new Set(result.sources.map((source) => source.id));
    const correlation = await correlateRun(
      journaled(handle, leased, versions),
      inbound,
      evidence,
      runSources,
      new Set(result.forwardingForgotten),
      // What the classifier judged with: a forwarding finding an earlier run's receipt undoes is read again so.
      { domains: options.domains, inboundConnectors: options.inboundConnectors },
    );
    const { ownReclassified, ownUnforwarded } = correlation;
    if (ownReclassified.length > 0 || ownUnforwarded.length > 0) {
      countAsForwarding(result, ownReclassified);
      countAsUnforwarded(result, ownUnforwarded);
      for (const source of result.sources) await outcomes.sink.putSource(source);
    }
    await outcomes.release();
    await leased.settle();
    await supersedeEarlierVersions(handle, versions, inputs, result);
    return { result, correlation, recounted };
  } finally {
    // However the run ends, the files it finished say so: they were analysed, and what failed
    // after them is the run's error.
    await outcomes.release().catch(() => undefined);
    leased.stop();
  }
}

/**
 * For each input, what an earlier run over the same file stored of it when that run was stopped
 * (Ctrl+C) or killed (see `FindingsStore.findingsBeforeRead`): a mail log read newest first and
 * stopped stored the refusals it held by queue id, which a whole read keys by Message-ID. Or what
 * a finished run of another classifier version stored: the findings this version no longer finds.
 */
async function findingsBefore(
  handle: StoreHandle,
  inputs: readonly AnalysisInput[],
): Promise<Map<string, FindingsBeforeRead>> {
  const before = new Map<string, FindingsBeforeRead>();
  for (const input of inputs) {
    const existing = await handle.store.getSource(input.sourceId);
    const taken = await handle.store.findingsBeforeRead(existing, { replacingVersion: true });
    if (taken !== undefined && taken.size > 0) before.set(input.sourceId, taken);
  }
  return before;
}

/**
 * Of what earlier runs stored of the files this run read to the end, removes what it did not find
 * again, with their counts (the days of those counters named in the run's unsettled item first).
 * A removal that fails leaves the file's record failed (a store failure), so the next run reads it
 * again and removes them then, and the run fails.
 */
async function removeNotFoundAgain(
  before: ReadonlyMap<string, FindingsBeforeRead>,
  result: AnalysisResult,
  leased: LeasedSink,
  sink: FindingSink,
): Promise<void> {
  for (const record of result.sources) {
    const earlier = before.get(record.id);
    if (earlier === undefined || record.status !== 'done') continue;
    await leased.coverDays(earlier.days);
    try {
      await earlier.removeNotRewritten();
    } catch (error) {
      Object.assign(record, {
        status: 'failed',
        errorCode: ErrorCode.StoreFailure,
        errorMessage: `removing the findings of an earlier run failed: ${error instanceof Error ? error.message : String(error)}`,
      });
      await sink.putSource(record);
      throw error;
    }
  }
}

/**
 * The store as the end-of-run correlation writes to it: the days of what it re-puts named in the
 * run's unsettled item first, as the analysis's own writes are.
 */
function journaled(
  handle: StoreHandle,
  leased: LeasedSink,
  versions: SourceUpdates,
): Parameters<typeof correlateRun>[0] {
  const { store } = handle;
  return {
    getFinding: (id) => store.getFinding(id),
    foreignSenderFindingKeys: (range) => store.foreignSenderFindingKeys(range),
    listSources: (options) => store.listSources(options),
    putFindings: async (findings, options) => {
      await leased.cover(findings);
      return store.putFindings(findings, options);
    },
    moveToForwarding: (moves) => versions.moveToForwarding(moves),
  };
}

/** The name an input's versions share: a local file's path, an upload's name; none for a pipe. */
function versionsNameOf(input: StoreInput): string | undefined {
  return input.path ?? input.versionsName;
}

/**
 * Each local file the run completed supersedes the records that runs over its earlier versions
 * (same path, another size or time; on `serve`, an earlier upload of the same name) left failed or
 * interrupted: they stay listed, marked with the id of this run's record, and are no failure to act
 * on any more. Their findings that this run found again are this run's now (a finding is listed
 * under the upload that wrote it last).
 */
async function supersedeEarlierVersions(
  handle: StoreHandle,
  versions: SourceUpdates,
  inputs: readonly StoreInput[],
  result: AnalysisResult,
): Promise<void> {
  const done = new Set(
    result.sources.filter((source) => source.status === 'done').map((source) => source.id),
  );
  for (const input of inputs) {
    const name = versionsNameOf(input);
    if (name === undefined || !done.has(input.sourceId)) continue;
    await versions.supersedeVersions(
      name,
      input.sourceId,
      handle.store,
      (record) => record.lease === undefined || isSourceLeaseGone(record.lease),
    );
  }
}

/** The recount running in this process, if any: a run starting meanwhile waits for it. */
let recounting: Promise<unknown> = Promise.resolve();

/**
 * Recounts the rollup counters of the days that runs killed earlier (SIGKILL, OOM, power loss) may
 * have left short: findings they wrote whose counter changes they held back. Their findings are
 * stored; a run writing them again changes no cell, so nothing but a recount of their days from
 * their findings — what `relay-audit report` does for its days — counts them. Those days are named
 * in this run's own item before the dead run's item is taken, so a run killed while recounting
 * leaves them to the next one. Costs one Query when no run was killed.
 *
 * Only a run alone in its process recounts, and runs starting meanwhile wait: the findings of a run
 * writing during the recount could be counted by both (uploads on `serve` run side by side; a run
 * that is not alone leaves the recount to the next one). Runs in other processes on a shared remote
 * table are not held off; nor are they by the nightly repair, which runs the same code.
 */
function recountAbandonedRuns(
  handle: StoreHandle,
  journal: UnsettledRuns,
  leased: LeasedSink,
): Promise<StoreRun['recounted']> {
  const none = { days: [], cells: 0 };
  return journal.list().then((runs) => {
    const abandoned = runs.filter((run) => run.owner !== leased.owner && isAbandoned(run));
    if (abandoned.length === 0 || !isOnlyLiveRun(leased.owner)) return none;
    // Set before anything else can run: a run starting from now on waits.
    const recount = recountDays(handle, journal, leased, abandoned);
    recounting = recount.catch(() => undefined);
    return recount;
  });
}

/** Takes over the `abandoned` runs' items and recounts their days (see recountAbandonedRuns). */
async function recountDays(
  handle: StoreHandle,
  journal: UnsettledRuns,
  leased: LeasedSink,
  abandoned: readonly UnsettledRun[],
): Promise<StoreRun['recounted']> {
  await leased.coverDays([...new Set(abandoned.flatMap((run) => run.days))]);
  const days = new Set<string>();
  // Of two runs starting together (other processes), the one that takes the item recounts its days.
  for (const run of abandoned) if (await journal.take(run)) for (const day of run.days) days.add(day);
  if (days.size === 0) return { days: [], cells: 0 };
  // Changes a run of this process that failed could not apply are applied first: the recount
  // reads every stored finding as counted.
  await handle.store.flushRollups();
  const { aggregateDay, EarliestLines } = await import('../../functions/nightly/day-passes.js');
  const { RollupRepair } = await import('../../functions/nightly/rollup-repair.js');
  const repair = new RollupRepair(handle.store, handle);
  const sorted = [...days].sort();
  let cells = 0;
  for (const day of sorted) {
    const { rows } = await aggregateDay(handle.store, day, new EarliestLines(1));
    const { repaired, deleted } = await repair.repairDay(day, rows);
    cells += repaired + deleted;
  }
  return { days: sorted, cells };
}
