/**
 * The summary of a date range: findings per scenario, per day per scenario, and the sender
 * domains and servers that cause most of them.
 *
 * Totals always come from the store's `COUNT` queries (exact and cheap). Days come from the
 * nightly rollups where they exist; a day without rollup rows (today, or before the nightly job
 * has run) is counted from the findings themselves, read per scenario partition for the missing
 * days only — Queries, never a Scan. That read is bounded by `maxFindingsRead`; past it the day
 * counts are lower bounds and the summary says so (`partial: true`).
 */

import type { Finding } from '../core/analysis/model/findings.js';
import { SCENARIO_IDS, type ScenarioId } from '../core/analysis/model/findings.js';
import type { RollupItem } from '../store/index.js';
import type { DaySummary, ScenarioCounts, Summary } from './contract.js';
import type { ApiStore, SummaryLimits } from './dependencies.js';

/** Entries in each "top" list. */
export const TOP_ENTRIES = 10;
/** Findings per store page while counting days without rollups. */
const PAGE_SIZE = 1000;
const DAY_MS = 86_400_000;

function zeroCounts(): ScenarioCounts {
  return Object.fromEntries(SCENARIO_IDS.map((id) => [id, 0])) as ScenarioCounts;
}

/** Every UTC day from `from` to `to` (inclusive), `YYYY-MM-DD`. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += DAY_MS) {
    days.push(new Date(ms).toISOString().slice(0, 10));
  }
  return days;
}

/** Consecutive runs of `days` (sorted), as `[first, last]` pairs: one Query range per run. */
function runsOf(days: readonly string[]): [string, string][] {
  const runs: [string, string][] = [];
  for (const day of days) {
    const last = runs.at(-1);
    if (last && Date.parse(`${day}T00:00:00Z`) - Date.parse(`${last[1]}T00:00:00Z`) === DAY_MS) last[1] = day;
    else runs.push([day, day]);
  }
  return runs;
}

/** Adds `count` to `key` in a tally, skipping empty keys. */
function tally(map: Map<string, number>, key: string | undefined, count: number): void {
  if (key === undefined || key === '') return;
  map.set(key, (map.get(key) ?? 0) + count);
}

function top<K extends string>(
  map: Map<string, number>,
  key: K,
): ({ [P in K]: string } & { count: number })[] {
  return [...map.entries()]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, TOP_ENTRIES)
    .map(([value, count]) => ({ [key]: value, count }) as { [P in K]: string } & { count: number });
}

/** The server a finding came through, in the same terms as the rollups' `server`. */
function serverOf(finding: Finding): string | undefined {
  return finding.serverHostname ?? finding.connectorId ?? finding.clientIp;
}

interface Tallies {
  days: Map<string, ScenarioCounts>;
  senderDomains: Map<string, number>;
  servers: Map<string, number>;
}

function addRollups(rollups: readonly RollupItem[], tallies: Tallies): void {
  for (const row of rollups) {
    const counts = tallies.days.get(row.date);
    if (counts) counts[row.scenario] += row.count;
    tally(tallies.senderDomains, row.senderDomain, row.count);
    tally(tallies.servers, row.server, row.count);
  }
}

/**
 * Counts the findings of `scenarios` on `runs` of days into `tallies`, reading at most `budget`
 * findings in all. Returns false when the budget ran out first.
 */
async function addFindings(
  store: Pick<ApiStore, 'queryFindings'>,
  runs: readonly [string, string][],
  scenarios: readonly ScenarioId[],
  tallies: Tallies,
  budget: number,
): Promise<boolean> {
  let remaining = budget;
  let complete = true;
  const readPartition = async (scenario: ScenarioId, [since, until]: [string, string]): Promise<void> => {
    let cursor: string | undefined;
    do {
      if (remaining <= 0) {
        complete = false;
        return;
      }
      const limit = Math.min(PAGE_SIZE, remaining);
      remaining -= limit;
      const page = await store.queryFindings({
        scenario,
        since,
        until,
        limit,
        ...(cursor ? { cursor } : {}),
      });
      remaining += limit - page.items.length;
      for (const finding of page.items) {
        const counts = tallies.days.get(finding.timestamp.slice(0, 10));
        if (counts) counts[finding.scenario] += 1;
        tally(tallies.senderDomains, finding.senderDomain, 1);
        tally(tallies.servers, serverOf(finding), 1);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  };
  // Runs one after another; within a run the scenario partitions in parallel (at most five
  // Queries in flight). Per scenario, not merged: the merged query would re-read each partition.
  for (const run of runs) {
    await Promise.all(scenarios.map((scenario) => readPartition(scenario, run)));
  }
  return complete;
}

/** Builds the summary of the days `from`..`to` (inclusive, `YYYY-MM-DD`). */
export async function buildSummary(
  store: ApiStore,
  range: { from: string; to: string },
  limits: SummaryLimits,
): Promise<Summary> {
  const { from, to } = range;
  const [totals, rollups] = await Promise.all([
    store.countFindingsByScenario({ since: from, until: to }),
    store.queryRollups({ from, to }),
  ]);
  const dates = daysBetween(from, to);
  const tallies: Tallies = {
    days: new Map(dates.map((date) => [date, zeroCounts()])),
    senderDomains: new Map(),
    servers: new Map(),
  };
  addRollups(rollups, tallies);

  const rolledUp = new Set(rollups.map((row) => row.date));
  const missing = dates.filter((date) => !rolledUp.has(date));
  // A scenario with no finding in the whole range has none on the missing days either.
  const scenarios = SCENARIO_IDS.filter((scenario) => totals[scenario] > 0);
  const complete =
    missing.length === 0 || scenarios.length === 0
      ? true
      : await addFindings(store, runsOf(missing), scenarios, tallies, limits.maxFindingsRead);

  const days = dates.map((date): DaySummary => {
    const counts = tallies.days.get(date) ?? zeroCounts();
    return {
      date,
      counts,
      total: Object.values(counts).reduce((sum, n) => sum + n, 0),
      origin: rolledUp.has(date) ? 'rollups' : 'findings',
    };
  });
  return {
    from,
    to,
    totals,
    total: Object.values(totals).reduce((sum, n) => sum + n, 0),
    days,
    topSenderDomains: top(tallies.senderDomains, 'senderDomain'),
    topServers: top(tallies.servers, 'server'),
    partial: !complete,
  };
}
