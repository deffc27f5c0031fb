/**
 * Assembles the nightly report from the day's rollups, the rollups of the weeks before and the
 * per-day statistics of the run. Pure and deterministic: equal inputs give an equal report.
 */
import { SCENARIO_IDS, type ScenarioId } from '../core/analysis/model/findings.js';
import { SCENARIO_DESCRIPTIONS } from '../core/analysis/remediation/index.js';
import { plural } from '../core/kernel/counts-in-words.js';
import type { RollupItem } from '../store/index.js';
import { addDays } from './dates.js';
import {
  averageByScenario,
  domainLines,
  FIRST_SEEN_DAYS,
  findNewSenderDomains,
  findSpikes,
  isSpike,
  round2,
  SPIKE_BASELINE_DAYS,
  SPIKE_MIN_FINDINGS,
  SPIKE_MIN_RATIO,
  serverLines,
  TOP_LIST_SIZE,
} from './day-comparison.js';
import type { DayLine, DomainLine, NightlyReport, ReclassifiedLine, ScenarioLine, Spike } from './report.js';
import { REPORT_SCHEMA_VERSION } from './report.js';
import { countByScenario } from './rollups.js';

/** Reclassified findings listed one by one in a report (the rest are counted). */
export const MAX_RECLASSIFIED_LISTED = 50;
/** New sender domains named in the next steps (all are listed in their own section). */
const DOMAINS_NAMED_IN_STEPS = 5;

export interface ReportInput {
  date: string;
  window: { from: string; to: string };
  /** Rollup rows of the report day. */
  today: readonly RollupItem[];
  /** Rollup rows of the `FIRST_SEEN_DAYS` days before the report day. */
  history: readonly RollupItem[];
  /** Statistics of each day of the window, oldest first. */
  days: readonly DayLine[];
  /** Reclassified findings of the window: the full count and the first ones. */
  reclassified: { count: number; findings: readonly ReclassifiedLine[] };
  /**
   * The store options the suggested `relay-audit findings` commands carry (` --db ./store`, shell-
   * quoted), so that run as printed they read the store the report was made from; none: the default.
   */
  storeOptions?: string | undefined;
}

/** Builds the report (see report.ts for the meaning of each field). */
export function buildReport(input: ReportInput): NightlyReport {
  const { date } = input;
  const previous = addDays(date, -1);
  const baselineFrom = addDays(date, -SPIKE_BASELINE_DAYS);
  const todayCounts = countByScenario(input.today);
  const previousCounts = countByScenario(input.history.filter((row) => row.date === previous));
  const baselineRows = input.history.filter((row) => row.date >= baselineFrom && row.date < date);
  const baseline = averageByScenario(baselineRows, SPIKE_BASELINE_DAYS);

  const scenarios: ScenarioLine[] = SCENARIO_IDS.map((id) => ({
    scenario: id,
    title: SCENARIO_DESCRIPTIONS[id].title,
    count: todayCounts[id],
    previousDay: previousCounts[id],
    change: todayCounts[id] - previousCounts[id],
    baselineAverage: round2(baseline[id]),
    spike: isSpike(todayCounts[id], baseline[id]),
  }));
  const spikes = findSpikes(todayCounts, baseline);
  const newSenderDomains = findNewSenderDomains(input.today, input.history);
  const total = sum(SCENARIO_IDS.map((id) => todayCounts[id]));

  const report: NightlyReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    date,
    window: input.window,
    thresholds: {
      spikeRatio: SPIKE_MIN_RATIO,
      spikeMinFindings: SPIKE_MIN_FINDINGS,
      baselineDays: SPIKE_BASELINE_DAYS,
      firstSeenDays: FIRST_SEEN_DAYS,
    },
    totals: {
      findings: total,
      previousDay: sum(SCENARIO_IDS.map((id) => previousCounts[id])),
      baselineAverage: round2(sum(SCENARIO_IDS.map((id) => baseline[id]))),
    },
    scenarios,
    spikes,
    newSenderDomains,
    topSenderDomains: domainLines(input.today).slice(0, TOP_LIST_SIZE),
    topServers: serverLines(input.today).slice(0, TOP_LIST_SIZE),
    reclassified: {
      count: input.reclassified.count,
      findings: input.reclassified.findings.slice(0, MAX_RECLASSIFIED_LISTED),
    },
    days: [...input.days],
    nextSteps: nextSteps(
      (scenario) => findingsCommand(scenario, date, input.storeOptions ?? ''),
      date,
      scenarios,
      spikes,
      newSenderDomains,
      input.reclassified.count,
    ),
  };
  if (report.nextSteps.length === 0) report.nextSteps.push(noFindingsStep(date, input));
  return report;
}

/**
 * The step of a day without findings. The store records the days that have findings (rollups), not
 * the days its logs cover: no finding dated the day is no all-clear, as no log of it may have been
 * analysed (a report of yesterday from logs of last week). So it says what the store does show, the
 * last day with findings and how to report it, and that nothing was refused only if logs covered the
 * day. A plain "nothing to fix" needs the store to record the days its logs cover, which it does not.
 */
function noFindingsStep(date: string, input: ReportInput): string {
  const last = lastDayWithFindings(input.history);
  const unproven =
    `No finding is dated ${date}, but that is no all-clear: the store does not show that logs ` +
    `covering ${date} were analysed. If they were, nothing was refused that day; if not, analyse ` +
    '(or upload) them and report the day again.';
  if (last === undefined)
    return `${unproven} No day of the ${FIRST_SEEN_DAYS} before it has findings either.`;
  // The command last: the Markdown shows a step's closing command as code.
  return (
    `${unproven} The last day with findings is ${last.date} (${plural(last.count, 'finding')}): ` +
    `relay-audit report --date ${last.date}${input.storeOptions ?? ''}`
  );
}

/** The newest day of `rows` with findings, and how many it has. */
function lastDayWithFindings(rows: readonly RollupItem[]): { date: string; count: number } | undefined {
  const byDay = new Map<string, number>();
  for (const row of rows) if (row.count > 0) byDay.set(row.date, (byDay.get(row.date) ?? 0) + row.count);
  const date = [...byDay.keys()].sort().at(-1);
  return date === undefined ? undefined : { date, count: byDay.get(date) ?? 0 };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/**
 * The store options of a deployed stack's report (` --stack NAME --region R`), written as the CLI
 * writes them (`storeFlagsText` in bin/support/store-options.ts): the name and region are plain
 * words (validated in config.ts), so nothing needs quoting.
 */
export function stackStoreOptions(stack: { name: string; region?: string | undefined }): string {
  return ` --stack ${stack.name}${stack.region === undefined ? '' : ` --region ${stack.region}`}`;
}

function findingsCommand(scenario: ScenarioId, date: string, storeOptions: string): string {
  return `relay-audit findings --scenario ${scenario} --since ${date} --until ${date}${storeOptions}`;
}

/** What to do, most urgent first: spikes, new domains, then each scenario by volume. */
function nextSteps(
  findingsOf: (scenario: ScenarioId) => string,
  date: string,
  scenarios: readonly ScenarioLine[],
  spikes: readonly Spike[],
  newDomains: readonly DomainLine[],
  reclassified: number,
): string[] {
  const steps: string[] = [];
  for (const spike of spikes) {
    const against =
      spike.ratio === null
        ? `none in the ${SPIKE_BASELINE_DAYS} days before`
        : `${spike.ratio}× the ${SPIKE_BASELINE_DAYS}-day average of ${spike.baselineAverage}`;
    steps.push(
      `Investigate the spike in "${SCENARIO_DESCRIPTIONS[spike.scenario].title}" (${spike.count} findings, ${against}): ` +
        `a server, application, certificate or forwarding rule probably changed on or just before ${date}. ` +
        `See: ${findingsOf(spike.scenario)}`,
    );
  }
  if (newDomains.length > 0) {
    const named = newDomains.slice(0, DOMAINS_NAMED_IN_STEPS).map((line) => line.domain);
    const more = newDomains.length - named.length;
    steps.push(
      `Check the sender domain${newDomains.length === 1 ? '' : 's'} first seen in ${FIRST_SEEN_DAYS} days: ` +
        `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}. If a domain is yours, add it as an accepted ` +
        'domain (or set MatchSubDomains on its parent); if not, find the application or server sending as it.',
    );
  }
  const ranked = [...scenarios].filter((line) => line.count > 0).sort((a, b) => b.count - a.count);
  for (const line of ranked) {
    steps.push(
      `${line.title} (${line.scenario}, ${line.count} finding${line.count === 1 ? '' : 's'}): ` +
        `${SCENARIO_DESCRIPTIONS[line.scenario].summary} Tailored steps and PowerShell: ${findingsOf(line.scenario)}`,
    );
  }
  if (reclassified > 0) {
    steps.push(
      `${reclassified} finding${reclassified === 1 ? ' was' : 's were'} reclassified as forwarding because the same ` +
        'message arrived for an internal recipient in another upload: review the forwarding rules and redirects of those recipients.',
    );
  }
  return steps;
}
