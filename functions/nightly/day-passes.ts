/**
 * The two passes the nightly job makes over one day of findings: the cross-upload correlation
 * (reclassify what the inbound index proves) and the aggregation into rollup rows and the day's
 * statistics. Both read the day a page at a time, so a day of any size fits in bounded memory.
 */

import { isReclassified, reclassifyAsForwarding } from '../core/analysis/evidence/correlation.js';
import type { Finding } from '../core/analysis/model/findings.js';
import { SCENARIO_IDS } from '../core/analysis/model/findings.js';
import type { InboundIndex } from '../store/inbound-index.js';
import type { FindingsStore, RollupItem } from '../store/index.js';
import type { SourceUpdates } from '../store/source-updates.js';
import { correlationMessageId } from '../store/table-design.js';
import type { HistoryDayWriter } from './history.js';
import type { DayLine, ReclassifiedLine } from './report.js';
import { countByScenario, RollupAccumulator } from './rollups.js';

/** Findings per Query page while reading a day. */
const PAGE_SIZE = 1000;

/** The FindingsStore operations the nightly job uses (a `FindingsStore` satisfies it). */
export type NightlyFindingsStore = Pick<
  FindingsStore,
  'queryFindings' | 'putFindings' | 'queryRollups' | 'queryRollupCounters'
>;

/** Every finding of one scenario on one day, page by page. */
export async function* findingsOfDay(
  store: NightlyFindingsStore,
  scenario: Finding['scenario'],
  day: string,
): AsyncGenerator<Finding[]> {
  let cursor: string | undefined;
  do {
    const page = await store.queryFindings({
      scenario,
      since: day,
      until: day,
      limit: PAGE_SIZE,
      cursor,
    });
    yield page.items;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/**
 * Correlation pass over one day: re-puts as `forwarding` what the inbound index proves, and counts
 * them so on the records of their uploads (`sources`); returns how many.
 */
export async function correlateDay(
  store: NightlyFindingsStore,
  index: InboundIndex,
  day: string,
  sources?: Pick<SourceUpdates, 'moveToForwarding'>,
): Promise<number> {
  let reclassified = 0;
  for await (const page of findingsOfDay(store, 'foreign-sender-domain', day)) {
    if (page.length === 0) continue;
    const entries = await index.lookup(page.map((finding) => finding.messageId));
    if (entries.size === 0) continue;
    const updated = page.flatMap((finding) => {
      const found = entries.get(correlationMessageId(finding.messageId));
      const result = found ? reclassifyAsForwarding(finding, found) : undefined;
      return result ? [result] : [];
    });
    if (updated.length > 0) await store.putFindings(updated);
    reclassified += updated.length;
    // Only findings still `foreign-sender-domain` were read: a re-run moves no count twice.
    const moves = new Map<string, number>();
    for (const finding of updated)
      moves.set(finding.source.sourceId, (moves.get(finding.source.sourceId) ?? 0) + 1);
    await sources?.moveToForwarding(moves);
  }
  return reclassified;
}

/** Keeps the `limit` earliest reclassified lines (by time, then id): deterministic and bounded. */
export class EarliestLines {
  private lines: ReclassifiedLine[] = [];
  public count = 0;

  public constructor(private readonly limit: number) {}

  public add(finding: Finding): void {
    this.count += 1;
    const line: ReclassifiedLine = {
      id: finding.id,
      timestamp: finding.timestamp,
      messageId: finding.messageId,
      recipient: finding.recipient,
      ...(finding.senderDomain === undefined ? {} : { senderDomain: finding.senderDomain }),
    };
    this.lines.push(line);
    if (this.lines.length >= this.limit * 2) this.trim();
  }

  public result(): ReclassifiedLine[] {
    this.trim();
    return this.lines;
  }

  private trim(): void {
    this.lines.sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id.localeCompare(b.id));
    this.lines = this.lines.slice(0, this.limit);
  }
}

/**
 * Aggregation pass over one day: its rollup rows and statistics (reclassified findings collected),
 * and, with a `history` writer, the day's history objects from the same reading.
 */
export async function aggregateDay(
  store: NightlyFindingsStore,
  day: string,
  reclassified: EarliestLines,
  history?: HistoryDayWriter,
): Promise<{ rows: RollupItem[]; line: DayLine }> {
  const accumulator = new RollupAccumulator(day);
  let reclassifiedOfDay = 0;
  for (const scenario of SCENARIO_IDS) {
    for await (const page of findingsOfDay(store, scenario, day)) {
      for (const finding of page) {
        accumulator.add(finding);
        await history?.add(finding);
        if (scenario === 'forwarding' && isReclassified(finding)) {
          reclassifiedOfDay += 1;
          reclassified.add(finding);
        }
      }
    }
  }
  const rows = accumulator.items();
  const byScenario = countByScenario(rows);
  const findings = SCENARIO_IDS.reduce((sum, id) => sum + byScenario[id], 0);
  return { rows, line: { date: day, findings, byScenario, reclassified: reclassifiedOfDay } };
}
