/**
 * Comparing a day with its history, from rollups alone: spikes per scenario against the average
 * of the days before, sender domains not seen in the weeks before, and the biggest contributors.
 * Pure; the thresholds are named so the report can state them.
 */
import { SCENARIO_IDS, type ScenarioId } from '../core/analysis/model/findings.js';
import type { RollupItem } from '../store/index.js';
import { isPseudoDomain } from '../store/rollups.js';
import type { DomainLine, Spike } from './report.js';
import { countByScenario } from './rollups.js';

/** Days before the report day whose average a day's count is compared with. */
export const SPIKE_BASELINE_DAYS = 7;
/** A spike is at least this many times the baseline average… */
export const SPIKE_MIN_RATIO = 2;
/** …and at least this many findings (so 1 → 2 is not a "spike"). */
export const SPIKE_MIN_FINDINGS = 5;
/** A sender domain is "new" when no rollup of this many days before the report day has it. */
export const FIRST_SEEN_DAYS = 30;
/** Rows in the top sender domains and top servers lists. */
export const TOP_LIST_SIZE = 10;

/** Rounds to two decimals so averages print and compare stably. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * Mean daily count per scenario over `days` days of rows (days without rows count as zero), exact:
 * spikes and ratios are judged on it, and only what is shown is rounded (2/7 is not 0.29).
 */
export function averageByScenario(rows: readonly RollupItem[], days: number): Record<ScenarioId, number> {
  const sums = countByScenario(rows);
  return Object.fromEntries(SCENARIO_IDS.map((id) => [id, sums[id] / days])) as Record<ScenarioId, number>;
}

/** True when `count` against `baselineAverage` is a spike by the named thresholds. */
export function isSpike(count: number, baselineAverage: number): boolean {
  return count >= SPIKE_MIN_FINDINGS && count >= SPIKE_MIN_RATIO * baselineAverage;
}

/** Spikes of the day, biggest count first; `baseline` exact (the average and ratio shown are rounded). */
export function findSpikes(today: Record<ScenarioId, number>, baseline: Record<ScenarioId, number>): Spike[] {
  return SCENARIO_IDS.filter((id) => isSpike(today[id], baseline[id]))
    .map((id) => ({
      scenario: id,
      count: today[id],
      baselineAverage: round2(baseline[id]),
      ratio: baseline[id] === 0 ? null : round2(today[id] / baseline[id]),
    }))
    .sort((a, b) => b.count - a.count || a.scenario.localeCompare(b.scenario));
}

/** Per sender domain: total and per-scenario counts, most findings first, then by name. */
export function domainLines(rows: readonly RollupItem[]): DomainLine[] {
  const byDomain = new Map<string, DomainLine>();
  for (const row of rows) {
    const domain = row.senderDomain.toLowerCase();
    let line = byDomain.get(domain);
    if (!line) {
      line = { domain, count: 0, scenarios: {} };
      byDomain.set(domain, line);
    }
    line.count += row.count;
    line.scenarios[row.scenario] = (line.scenarios[row.scenario] ?? 0) + row.count;
  }
  return [...byDomain.values()].sort((a, b) => b.count - a.count || a.domain.localeCompare(b.domain));
}

/** Domains of `today` (real domains only, with findings) that no row of `history` has. */
export function findNewSenderDomains(
  today: readonly RollupItem[],
  history: readonly RollupItem[],
): DomainLine[] {
  const seen = new Set(history.filter((row) => row.count > 0).map((row) => row.senderDomain.toLowerCase()));
  return domainLines(today).filter(
    (line) => line.count > 0 && !isPseudoDomain(line.domain) && !seen.has(line.domain),
  );
}

/** Per server/connector totals, most findings first. */
export function serverLines(rows: readonly RollupItem[]): { server: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.server, (counts.get(row.server) ?? 0) + row.count);
  return [...counts]
    .map(([server, count]) => ({ server, count }))
    .sort((a, b) => b.count - a.count || a.server.localeCompare(b.server));
}
