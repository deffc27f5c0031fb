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
  observedBy,
  RunEvidence,
} from '../../functions/core/analysis/evidence/run-evidence.js';
import type { AnalysisInput } from '../../functions/core/analysis/input/parse-input.js';
import type { StoreHandle } from '../../functions/store/index.js';
import type { RunCorrelation } from '../../functions/store/run-correlation.js';
import { leasedSink } from './source-lease.js';

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

export interface StoreRun {
  result: AnalysisResult;
  /** What the end-of-run correlation changed (the result already counts its reclassified findings). */
  correlation: RunCorrelation;
}

/** Analyses `inputs` into the store of `handle` (see the module comment). */
export async function analyzeIntoStore(
  handle: StoreHandle,
  inputs: readonly AnalysisInput[],
  options: Omit<AnalyzeOptions, 'sink' | 'batchSize' | 'writesInFlight'>,
): Promise<StoreRun> {
  const { InboundIndex } = await import('../../functions/store/inbound-index.js');
  const { correlateRun } = await import('../../functions/store/run-correlation.js');
  const inbound = new InboundIndex(handle);
  const evidence = new RunEvidence();
  // Each record carries this run's lease: killed mid-way, the run's records show as interrupted.
  const leased = leasedSink(handle.store);
  const sink: FindingSink = observedBy(
    withInboundRecorder(leased.sink, (entries) => inbound.record(entries)),
    evidence,
  );
  let result: AnalysisResult;
  try {
    // The store takes overlapping writes: its engine (or DynamoDB) works while the analysis reads on.
    result = await analyze(inputs, {
      ...options,
      sink,
      batchSize: STORE_BATCH_SIZE,
      writesInFlight: STORE_WRITES_IN_FLIGHT,
    });
  } finally {
    leased.stop();
  }
  // Forwarding across runs, settled now: receipts recorded by earlier runs, refusals stored by them.
  const runSources = new Set(result.sources.map((source) => source.id));
  const correlation = await correlateRun(handle.store, inbound, evidence, runSources);
  if (correlation.ownReclassified.length > 0) {
    countAsForwarding(result, correlation.ownReclassified);
    for (const source of result.sources) await leased.sink.putSource(source);
  }
  return { result, correlation };
}
