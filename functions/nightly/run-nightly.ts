/**
 * runNightly(): the nightly analysis, shared by the Lambda handler and `relay-audit report`.
 *
 * For the report day and the look-back days before it (late uploads), oldest first:
 * 1. cross-upload correlation — `foreign-sender-domain` findings whose message arrived for an
 *    internal recipient in another upload (inbound index) are re-put as `forwarding`;
 * 2. rollups — the day's findings aggregated per scenario × sender domain × server, and the
 *    counters ingest keeps checked against them (drifted cells corrected, stale ones deleted);
 *    from the same reading, the day's history objects (history.ts), when a sink is given.
 * Then, from the rollups of the 30 days before: spikes, first-seen sender domains and the report
 * (JSON + Markdown), the alert summary when findings are new since the last run, and one EMF
 * metric per scenario. The organisation's stored configuration is re-checked at the run time
 * (certificate expiry): errors new since the stored readiness report go into the alert summary.
 *
 * Idempotent: a second run for the same day finds nothing left to reclassify, corrects no
 * rollup and writes byte-identical report files, and publishes nothing (no finding is new). Only the
 * metric datapoints repeat (CloudWatch metrics are append-only; graph them with `Maximum`).
 */

import type { Metrics } from '@aws-lambda-powertools/metrics';
import { ArgumentError, InvalidValueError } from '../core/kernel/errors.js';
import type { BoundTableOptions, TableRef } from '../store/bound-table.js';
import { InboundIndex } from '../store/inbound-index.js';
import type { RollupItem } from '../store/index.js';
import { SourceUpdates } from '../store/source-updates.js';
import { buildReport, MAX_RECLASSIFIED_LISTED } from './build-report.js';
import { addDays, assertDay, dayOf, daysBetween, previousDay } from './dates.js';
import { FIRST_SEEN_DAYS } from './day-comparison.js';
import { aggregateDay, correlateDay, EarliestLines, type NightlyFindingsStore } from './day-passes.js';
import { DayStateStore } from './day-state.js';
import { HistoryDayWriter, type HistorySink } from './history.js';
import { DEFAULT_LOOK_BACK_DAYS, MAX_LOOK_BACK_DAYS } from './look-back.js';
import { renderMarkdown } from './markdown.js';
import { publishScenarioCounts } from './metrics.js';
import type { Publisher } from './publisher.js';
import { recheckReadiness } from './readiness-recheck.js';
import type { DayLine, NightlyReport } from './report.js';
import { type ReportSink, reportFiles } from './report-sink.js';
import { RollupRepair } from './rollup-repair.js';
import { countByScenario } from './rollups.js';
import { buildSummary } from './summary.js';

export type { NightlyFindingsStore } from './day-passes.js';
export { DEFAULT_LOOK_BACK_DAYS, MAX_LOOK_BACK_DAYS } from './look-back.js';

/** Structured logging (the ingest `Logger`, `console`, or nothing). */
export interface NightlyLogger {
  info(message: string, ...fields: Record<string, unknown>[]): void;
  warn(message: string, ...fields: Record<string, unknown>[]): void;
}

export interface RunNightlyOptions {
  store: NightlyFindingsStore;
  /** The same table as `store`, for the nightly's own items (a `StoreHandle` satisfies it). */
  table: TableRef;
  /** The UTC day to report on; default the day before `now()`. */
  date?: string | undefined;
  /** Days before `date` recomputed too (late uploads); default 2, at most 14. */
  lookBackDays?: number | undefined;
  now?: () => Date;
  /** Where the report files go; none: the report is only returned. */
  reports?: ReportSink;
  /** The store options its suggested commands carry (see `ReportInput.storeOptions`). */
  storeOptions?: string | undefined;
  /** Where each recomputed day's history objects go (S3 in the cloud); none: no history. */
  history?: HistorySink;
  /** Where the alert summary goes; none: nothing is published. */
  publisher?: Publisher;
  /** Powertools metrics (Lambda); none: no metrics (the CLI). */
  metrics?: Metrics;
  logger?: NightlyLogger;
  /** Retry policy and logger of the nightly's table repositories (tests shorten the backoff). */
  tableOptions?: BoundTableOptions;
}

export interface NightlyResult {
  date: string;
  /** The recomputed days, oldest first. */
  window: string[];
  report: NightlyReport;
  markdown: string;
  /** Where the report files were written (empty without a sink). */
  locations: string[];
  /** Rollup cells corrected (ingest keeps them; a correct day needs none) and stale cells deleted. */
  rollups: { repaired: number; deleted: number };
  /** What the history of the recomputed days now holds (undefined without a history sink). */
  history?: { findings: number; parts: number; bytes: number };
  /** Findings this run reclassified to `forwarding` (0 on a re-run). */
  reclassified: number;
  /** Findings of the window not counted by an earlier run (first run of a day, late uploads). */
  newFindings: number;
  /** The re-check of the stored configuration; `checked: false` when none is stored. */
  readiness: {
    checked: boolean;
    errors: number;
    /** `id: objects` of the errors new since the previous stored report. */
    newErrors: string[];
    /** False when a later upload's report was stored meanwhile (it is kept). */
    stored: boolean;
  };
  published: boolean;
  /** Metric datapoints emitted. */
  metrics: number;
}

const SILENT: NightlyLogger = { info: () => undefined, warn: () => undefined };

/** Validates the options that come from users (CLI flags, event detail). */
function resolveWindow(options: RunNightlyOptions, now: Date): { date: string; days: string[] } {
  const date = options.date === undefined ? previousDay(now) : assertDay(options.date);
  if (date > dayOf(now)) throw new InvalidValueError('date', `${date} is in the future`);
  const lookBack = options.lookBackDays ?? DEFAULT_LOOK_BACK_DAYS;
  if (!Number.isInteger(lookBack) || lookBack < 0 || lookBack > MAX_LOOK_BACK_DAYS) {
    throw new ArgumentError(
      `invalid look-back: ${lookBack} (a whole number of days from 0 to ${MAX_LOOK_BACK_DAYS})`,
    );
  }
  return { date, days: daysBetween(addDays(date, -lookBack), date) };
}

/** Runs the nightly analysis for one report day (see the module comment). */
export async function runNightly(options: RunNightlyOptions): Promise<NightlyResult> {
  const now = (options.now ?? (() => new Date()))();
  const logger = options.logger ?? SILENT;
  const { date, days } = resolveWindow(options, now);
  const index = new InboundIndex(options.table, options.tableOptions);
  const repair = new RollupRepair(options.store, options.table, options.tableOptions);
  const dayStates = new DayStateStore(options.table, options.tableOptions);
  const sources = new SourceUpdates(options.table, options.tableOptions);

  let reclassifiedNow = 0;
  const rollups = { repaired: 0, deleted: 0 };
  const historyTotals = options.history ? { findings: 0, parts: 0, bytes: 0 } : undefined;
  const reclassified = new EarliestLines(MAX_RECLASSIFIED_LISTED);
  const dayLines: DayLine[] = [];
  let todayRows: RollupItem[] = [];
  for (const day of days) {
    const moved = await correlateDay(options.store, index, day, sources);
    const writer = options.history ? new HistoryDayWriter(options.history, day) : undefined;
    const { rows, line } = await aggregateDay(options.store, day, reclassified, writer);
    const written = await writer?.finish();
    if (written && historyTotals) {
      historyTotals.findings += written.findings;
      historyTotals.parts += written.parts;
      historyTotals.bytes += written.bytes;
    }
    const repaired = await repair.repairDay(day, rows);
    reclassifiedNow += moved;
    rollups.repaired += repaired.repaired;
    rollups.deleted += repaired.deleted;
    dayLines.push(line);
    if (day === date) todayRows = rows;
    logger.info('nightly day recomputed', {
      day,
      findings: line.findings,
      reclassified: moved,
      rollupsRepaired: repaired.repaired,
      staleRollupsDeleted: repaired.deleted,
      historyParts: written?.parts ?? null,
    });
  }

  const history = await options.store.queryRollups({
    from: addDays(date, -FIRST_SEEN_DAYS),
    to: addDays(date, -1),
  });
  const report = buildReport({
    date,
    window: { from: days[0] ?? date, to: date },
    today: todayRows,
    history,
    days: dayLines,
    reclassified: { count: reclassified.count, findings: reclassified.result() },
    storeOptions: options.storeOptions,
  });
  const markdown = renderMarkdown(report);
  const locations = options.reports ? await options.reports.write(reportFiles(date, report, markdown)) : [];

  const previous = await dayStates.read(days[0] ?? date, date);
  const newFindings = dayLines.reduce(
    (sum, line) => sum + Math.max(0, line.findings - (previous.get(line.date)?.findings ?? 0)),
    0,
  );
  const readiness = await recheckReadiness(options.table, now, options.tableOptions);
  const newReadinessErrors = readiness?.newErrors ?? [];
  let published = false;
  if (options.publisher && (newFindings > 0 || newReadinessErrors.length > 0)) {
    await options.publisher.publish(buildSummary(report, newFindings, locations, newReadinessErrors));
    published = true;
  }
  // Only after the alert went out: a failed publish leaves the findings "new" for the retry.
  await dayStates.write(dayLines.map((line) => ({ date: line.date, findings: line.findings })));
  const readinessStored = (await readiness?.commit()) ?? false;

  const metrics =
    options.metrics === undefined
      ? 0
      : publishScenarioCounts(options.metrics, countByScenario(todayRows), date);
  logger.info('nightly report done', {
    date,
    findings: report.totals.findings,
    newFindings,
    readinessErrors: readiness?.report.summary.error ?? null,
    newReadinessErrors: newReadinessErrors.map((result) => result.id),
    reclassified: reclassifiedNow,
    spikes: report.spikes.map((spike) => spike.scenario),
    newSenderDomains: report.newSenderDomains.length,
    published,
    locations,
  });
  return {
    date,
    window: days,
    report,
    markdown,
    locations,
    rollups,
    ...(historyTotals === undefined ? {} : { history: historyTotals }),
    reclassified: reclassifiedNow,
    newFindings,
    readiness: {
      checked: readiness !== undefined,
      errors: readiness?.report.summary.error ?? 0,
      newErrors: newReadinessErrors.map((result) => `${result.id}: ${result.objects.join(', ')}`),
      stored: readinessStored,
    },
    published,
    metrics,
  };
}
