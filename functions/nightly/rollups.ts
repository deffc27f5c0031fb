/**
 * Daily rollups from findings: how many findings per scenario × sender domain × on-premises
 * server (or connector) on one day. Pure: fed one finding at a time, so a day of any size is
 * aggregated page by page in constant memory.
 */
import { type Finding, SCENARIO_IDS, type ScenarioId } from '../core/analysis/model/findings.js';
import type { RollupItem } from '../store/index.js';

/** Rollup "domain" of findings whose envelope sender is the null sender `<>` (NDRs, auto-replies). */
export const NULL_SENDER_DOMAIN = '<>';
/** Rollup "domain" / "server" when the input did not say. */
export const UNKNOWN = '(unknown)';

/** Placeholders that are not domains: never reported as "new sender domains". */
export function isPseudoDomain(domain: string): boolean {
  return domain === NULL_SENDER_DOMAIN || domain === UNKNOWN;
}

/** The sender domain a finding is rolled up under (same convention as `analyze()`'s summary). */
export function rollupDomainOf(finding: Finding): string {
  if (finding.senderDomain) return finding.senderDomain.trim().toLowerCase();
  return finding.returnPath === '' ? NULL_SENDER_DOMAIN : UNKNOWN;
}

/** The server a finding is rolled up under: the on-premises host, else the send connector. */
export function rollupServerOf(finding: Finding): string {
  if (finding.serverHostname) return finding.serverHostname.trim().toLowerCase();
  if (finding.connectorId) return finding.connectorId.trim();
  return UNKNOWN;
}

/** Counts per scenario with every scenario present. */
export function emptyScenarioCounts(): Record<ScenarioId, number> {
  return Object.fromEntries(SCENARIO_IDS.map((id) => [id, 0])) as Record<ScenarioId, number>;
}

/** Aggregates the findings of one day into rollup rows. */
export class RollupAccumulator {
  private readonly counts = new Map<string, RollupItem>();

  public constructor(public readonly date: string) {}

  /** Counts one finding; throws `RangeError` for a finding of another day. */
  public add(finding: Finding): void {
    if (new Date(Date.parse(finding.timestamp)).toISOString().slice(0, 10) !== this.date) {
      throw new RangeError(`finding ${finding.id} of ${finding.timestamp} is not of ${this.date}`);
    }
    const senderDomain = rollupDomainOf(finding);
    const server = rollupServerOf(finding);
    const key = `${finding.scenario}\u0000${senderDomain}\u0000${server}`;
    const row = this.counts.get(key);
    if (row) row.count += 1;
    else
      this.counts.set(key, { date: this.date, scenario: finding.scenario, senderDomain, server, count: 1 });
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
