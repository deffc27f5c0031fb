/**
 * Daily rollups recomputed from findings: how many findings per scenario × sender domain ×
 * on-premises server (or connector) on one day, in the cells of store/rollups.ts. Pure: fed one
 * finding at a time, so a day of any size is aggregated page by page in constant memory.
 */

import { emptyScenarioCounts, type Finding, type ScenarioId } from '../core/analysis/model/findings.js';
import type { RollupItem } from '../store/index.js';
import { rollupCellOf } from '../store/rollups.js';

/** Aggregates the findings of one day into rollup rows. */
export class RollupAccumulator {
  private readonly counts = new Map<string, RollupItem>();

  public constructor(public readonly date: string) {}

  /** Counts one finding; throws `RangeError` for a finding of another day. */
  public add(finding: Finding): void {
    const cell = rollupCellOf(finding);
    if (cell.date !== this.date) {
      throw new RangeError(`finding ${finding.id} of ${finding.timestamp} is not of ${this.date}`);
    }
    const key = `${cell.scenario}\u0000${cell.senderDomain}\u0000${cell.server}`;
    const row = this.counts.get(key);
    if (row) row.count += 1;
    else this.counts.set(key, { ...cell, count: 1 });
  }

  /** The rows, in a stable order (scenario, domain, server) so reports and tests are deterministic. */
  public items(): RollupItem[] {
    return [...this.counts.values()].sort(compareRollups);
  }
}

/** Orders rollup rows by day, scenario, sender domain, then server. */
export function compareRollups(a: RollupItem, b: RollupItem): number {
  return (
    a.date.localeCompare(b.date) ||
    a.scenario.localeCompare(b.scenario) ||
    a.senderDomain.localeCompare(b.senderDomain) ||
    a.server.localeCompare(b.server)
  );
}

/** Sums rows per scenario (every scenario present). */
export function countByScenario(rows: readonly RollupItem[]): Record<ScenarioId, number> {
  const counts = emptyScenarioCounts();
  for (const row of rows) counts[row.scenario] += row.count;
  return counts;
}
