/**
 * The summary of a date range: findings per scenario, per day per scenario, and the sender
 * domains and servers that cause most of them — all from the daily rollup counters ingest keeps as
 * it writes findings (store/rollups.ts): one Query per month of the range, whose size depends on
 * how many scenario × domain × server cells there are, never on how many findings.
 */

import { SCENARIO_IDS } from '../core/analysis/model/findings.js';
import type { DaySummary, ScenarioCounts, Summary } from './contract.js';
import type { ApiStore } from './dependencies.js';

/** Entries in each "top" list. */
export const TOP_ENTRIES = 10;
const DAY_MS = 86_400_000;

function zeroCounts(): ScenarioCounts {
  return Object.fromEntries(SCENARIO_IDS.map((id) => [id, 0])) as ScenarioCounts;
}

function sum(counts: ScenarioCounts): number {
  return Object.values(counts).reduce((total, n) => total + n, 0);
}

/** Every UTC day from `from` to `to` (inclusive), `YYYY-MM-DD`. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += DAY_MS) {
    days.push(new Date(ms).toISOString().slice(0, 10));
  }
  return days;
}

/** Adds `count` to `key` in a tally. */
function tally(map: Map<string, number>, key: string, count: number): void {
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

/** Builds the summary of the days `from`..`to` (inclusive, `YYYY-MM-DD`). */
export async function buildSummary(
  store: Pick<ApiStore, 'queryRollups'>,
  range: { from: string; to: string },
): Promise<Summary> {
  const { from, to } = range;
  const rollups = await store.queryRollups({ from, to });
  const days = new Map(daysBetween(from, to).map((date) => [date, zeroCounts()]));
  const totals = zeroCounts();
  const senderDomains = new Map<string, number>();
  const servers = new Map<string, number>();
  for (const row of rollups) {
    const counts = days.get(row.date);
    if (counts) counts[row.scenario] += row.count;
    totals[row.scenario] += row.count;
    tally(senderDomains, row.senderDomain, row.count);
    tally(servers, row.server, row.count);
  }
  return {
    from,
    to,
    totals,
    total: sum(totals),
    days: [...days.entries()].map(([date, counts]): DaySummary => ({ date, counts, total: sum(counts) })),
    topSenderDomains: top(senderDomains, 'senderDomain'),
    topServers: top(servers, 'server'),
  };
}
