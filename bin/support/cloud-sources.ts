/**
 * Waiting for ingest in the cloud: the source records of uploaded objects, polled until each is
 * done or failed, then put together as the run result `analyze` reports, so `upload` prints the
 * same report (files, findings per scenario, sender domains, skipped rows, next step).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnalysisResult } from '../../functions/core/analysis/analyze.js';
import { FindingTally } from '../../functions/core/analysis/finding-tally.js';
import {
  emptyScenarioCounts,
  SCENARIO_IDS,
  type ScenarioId,
} from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import type { FindingsStore } from '../../functions/store/findings-store.js';

export interface WaitOptions {
  /** Give up after this long (the records still `processing` are returned as they are). */
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Called while records are awaited, with how many are still pending. */
  onWaiting?: (pending: number) => void;
}

/**
 * Polls the store until every id has a finished record (done or failed), the time runs out or the
 * signal aborts. Returns what is known: a missing id means ingest has not started on it yet.
 */
export async function waitForSources(
  store: Pick<FindingsStore, 'getSource'>,
  ids: readonly string[],
  options: WaitOptions,
): Promise<Map<string, SourceRecord | undefined>> {
  const records = new Map<string, SourceRecord | undefined>(ids.map((id) => [id, undefined]));
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const pending = [...records].filter(
      ([, record]) => record === undefined || record.status === 'processing',
    );
    for (const [id] of pending) records.set(id, await store.getSource(id));
    const still = [...records.values()].filter(
      (record) => record === undefined || record.status === 'processing',
    );
    if (still.length === 0 || Date.now() >= deadline || options.signal?.aborted) return records;
    options.onWaiting?.(still.length);
    await sleep(options.intervalMs ?? 2000, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

/**
 * The run result of finished source records, with sender domains from their stored findings. A
 * source record does not keep how many refusals matched no rule (ingest logs it), so none are claimed.
 *
 * Findings are counted once however many of these files found them (a log and its copy,
 * overlapping exports, as `analyze` counts them): see {@link distinctFindings}.
 */
export async function resultOfSources(
  store: Pick<FindingsStore, 'queryFindings'>,
  records: readonly SourceRecord[],
): Promise<AnalysisResult> {
  const stored = emptyScenarioCounts();
  const tally = new FindingTally();
  for (const record of records) {
    let cursor: string | undefined;
    do {
      const page = await store.queryFindings({ sourceId: record.id, limit: 1000, cursor });
      for (const finding of page.items) {
        stored[finding.scenario] += 1;
        tally.add(finding);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  const findingsByScenario = distinctFindings(records, stored);
  const sum = (pick: (record: SourceRecord) => number) =>
    records.reduce((total, record) => total + pick(record), 0);
  const distinct = SCENARIO_IDS.reduce((total, id) => total + findingsByScenario[id], 0);
  const perFile = sum((record) =>
    SCENARIO_IDS.reduce((total, id) => total + (record.findingsByScenario[id] ?? 0), 0),
  );
  return {
    sources: [...records],
    findingsByScenario,
    senderDomains: tally.senderDomains(),
    forwardedFrom: tally.forwardedFrom(),
    events: sum((record) => record.events),
    rejections: sum((record) => record.rejections),
    // Repeated within a file's own run, and found again by another of these files.
    duplicates: sum((record) => record.duplicateRefusals ?? 0) + (perFile - distinct),
    unclassified: 0,
    ruleFailures: 0,
    unexplainedFailures: sum((record) => record.unexplainedFailures ?? 0),
    stopped: false,
  };
}

/**
 * The distinct findings of these files, by scenario. A finding several uploads found is stored once,
 * under one of them (or under an earlier upload), so the files' own counts cannot be summed. Two
 * counts are each distinct: the findings the store keeps under these uploads (`stored`), and each
 * file's own; the larger of them, per scenario, is the count. It is exact when every finding is
 * stored under one of these uploads or one file holds them all (copies, overlapping exports, an
 * export of refusals an earlier upload had), and never none when a file found some. Only when several
 * of these files found different findings that earlier uploads keep does it count fewer: the records
 * do not name their findings, and reading the files again to tell is not worth it.
 */
function distinctFindings(
  records: readonly SourceRecord[],
  stored: Record<ScenarioId, number>,
): Record<ScenarioId, number> {
  const counts = { ...stored };
  for (const record of records)
    for (const id of SCENARIO_IDS) counts[id] = Math.max(counts[id], record.findingsByScenario[id] ?? 0);
  return counts;
}
