/**
 * Daily rollup counters, kept as findings are written: the `/summary`, the dashboard's overview and
 * the nightly report read a few hundred counters instead of every finding of the range, so a page
 * load costs the same reads at any volume.
 *
 * Each finding counts in exactly one cell (day × scenario × sender domain × server). `putFindings`
 * puts each finding with `ReturnValues: ALL_OLD`, which hands back atomically the item it replaced,
 * so a write moves a count rather than adds one: a finding written again by a re-analysed or
 * overlapping upload changes nothing, a reclassified one moves from its old cell to its new one,
 * and of two writers of the same new finding at the same instant only the first counts it (the
 * second replaces the first's item). The changes are summed per cell and applied with one atomic
 * `ADD` per cell: per call, or, for an analysis run's stream of small batches, summed over the run
 * (`PendingRollups`) and applied at its checkpoints, so a run of thousands of findings costs a few
 * writes per cell instead of a few per batch. A failure between the puts and the `ADD`s
 * under-counts; the nightly job recomputes its days from the findings and repairs any cell that
 * drifted (functions/nightly/rollup-repair.ts). Locally nothing runs nightly: a CLI run names the
 * days it writes in its unsettled item first (unsettled-runs.ts), and the next run recounts the
 * days of a run that died before applying its changes.
 */
import { type AttributeValue, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { validDomain } from '../core/analysis/model/domain-name.js';
import { Finding } from '../core/analysis/model/findings.js';
import { NULL_SENDER_DOMAIN, UNKNOWN } from '../core/analysis/model/pseudo-domains.js';
import { type BoundTable, mapLimit } from './bound-table.js';
import { ENTITY, ENTITY_ATTRIBUTE, keyTimestamp, type RollupItem, rollupKey } from './table-design.js';

/** Counter updates in flight at once. */
const UPDATE_CONCURRENCY = 4;

// The rollups' placeholder "domains", declared where the dashboard can import them too.
export { isPseudoDomain, NULL_SENDER_DOMAIN, UNKNOWN } from '../core/analysis/model/pseudo-domains.js';

/** What a finding's rollup cell is made of (a stored finding item holds the same fields). */
export type RollupFields = Pick<
  Finding,
  'timestamp' | 'scenario' | 'senderDomain' | 'returnPath' | 'serverHostname' | 'connectorId'
>;

/** The sender domain a finding is rolled up under (same convention as `analyze()`'s summary). */
export function rollupDomainOf(finding: Pick<Finding, 'senderDomain' | 'returnPath'>): string {
  // Validated again here: findings stored before domains were validated where they enter may hold
  // anything; such a "domain" is never named in a report or an alert.
  if (finding.senderDomain) return validDomain(finding.senderDomain.trim()) ?? UNKNOWN;
  return finding.returnPath === '' ? NULL_SENDER_DOMAIN : UNKNOWN;
}

/** The server a finding is rolled up under: the on-premises host, else the send connector. */
export function rollupServerOf(finding: Pick<Finding, 'serverHostname' | 'connectorId'>): string {
  if (finding.serverHostname) return finding.serverHostname.trim().toLowerCase();
  if (finding.connectorId) return finding.connectorId.trim();
  return UNKNOWN;
}

/** The fields of a stored finding that name its rollup cell (what a stored item is parsed with). */
export const StoredRollupFields = Finding.pick({
  id: true,
  timestamp: true,
  scenario: true,
  senderDomain: true,
  returnPath: true,
  serverHostname: true,
  connectorId: true,
});

/** A rollup row without its count: the cell a finding is counted in. */
export type RollupCell = Omit<RollupItem, 'count'>;

/** The cell one finding is counted in. */
export function rollupCellOf(finding: RollupFields): RollupCell {
  return {
    date: keyTimestamp(finding.timestamp).slice(0, 10),
    scenario: finding.scenario,
    senderDomain: rollupDomainOf(finding),
    server: rollupServerOf(finding),
  };
}

function cellKey(cell: RollupCell): string {
  const key = rollupKey(cell);
  return `${key.pk}\u0000${key.sk}`;
}

/** Changes to rollup counters, summed per cell. */
export class RollupDeltas {
  private readonly deltas = new Map<string, RollupItem>();

  /** Adds `count` (negative to take away) to `cell`. */
  public add(cell: RollupCell, count: number): void {
    const key = cellKey(cell);
    const row = this.deltas.get(key);
    if (row) row.count += count;
    else this.deltas.set(key, { ...cell, count });
  }

  /** Counts `next` in its cell instead of `previous` (absent: a finding not stored before). */
  public move(previous: RollupCell | undefined, next: RollupCell): void {
    if (previous !== undefined) this.add(previous, -1);
    this.add(next, 1);
  }

  /** Takes a removed finding out of the cell it was counted in. */
  public remove(previous: RollupCell): void {
    this.add(previous, -1);
  }

  /** Adds every change of `other`. */
  public addAll(other: RollupDeltas): void {
    for (const row of other.deltas.values()) this.add(row, row.count);
  }

  /** The cells whose counter changes (cells whose changes cancel out are left alone). */
  public changes(): RollupItem[] {
    return [...this.deltas.values()].filter((row) => row.count !== 0);
  }
}

/**
 * Findings whose counter changes may wait, summed, before they are applied. Measured on a 250 MB
 * log: applied per batch of 25 findings, the counters were 50,000 `UpdateItem`s for 41,000
 * findings, a third of the embedded store's work; summed per 1,000 findings, about 1,300. It bounds
 * what a run killed before its next source record leaves uncounted: a run over the same file then
 * finds those findings stored and counts nothing for them, so they stay uncounted until their days
 * are recounted (by the nightly repair; locally by the next CLI run, see unsettled-runs.ts).
 */
export const PENDING_FINDINGS_LIMIT = 1_000;

/**
 * Counter changes of findings already written, waiting to be applied (see `PENDING_FINDINGS_LIMIT`).
 * Flushes run one after another: a flush returns once every change added before it is applied,
 * including those a flush already running was applying.
 */
export class PendingRollups {
  private deltas = new RollupDeltas();
  private findings = 0;
  private flushing: Promise<unknown> = Promise.resolve();

  /** Adds the changes of `findings` written findings; true when it is time to flush. */
  public add(deltas: RollupDeltas, findings: number): boolean {
    this.deltas.addAll(deltas);
    this.findings += findings;
    return this.findings >= PENDING_FINDINGS_LIMIT;
  }

  /**
   * Applies every pending change. A cell whose update fails goes back to pending (applied by the next
   * flush, never twice) and the flush throws the first failure.
   */
  public flush(table: BoundTable): Promise<void> {
    const run = this.flushing
      .catch(() => undefined)
      .then(async () => {
        const deltas = this.deltas;
        this.deltas = new RollupDeltas();
        this.findings = 0;
        const failures: unknown[] = [];
        await mapLimit(deltas.changes(), UPDATE_CONCURRENCY, (row) =>
          applyRollupDelta(row, table).catch((error: unknown) => {
            this.deltas.add(row, row.count);
            failures.push(error);
          }),
        );
        if (failures.length > 0) throw failures[0];
      });
    this.flushing = run;
    return run;
  }
}

/**
 * Applies counter changes with one atomic `UpdateItem … ADD` per cell (a missing cell starts at
 * zero). Returns how many cells were updated.
 */
export async function applyRollupDeltas(changes: readonly RollupItem[], table: BoundTable): Promise<number> {
  await mapLimit(changes, UPDATE_CONCURRENCY, (row) => applyRollupDelta(row, table));
  return changes.length;
}

/** One cell's change, as one atomic `UpdateItem … ADD` (a missing cell starts at zero). */
function applyRollupDelta(row: RollupItem, table: BoundTable): Promise<unknown> {
  const values: Record<string, AttributeValue> = {
    ':n': { N: String(row.count) },
    ':date': { S: row.date },
    ':scenario': { S: row.scenario },
    ':domain': { S: row.senderDomain },
    ':server': { S: row.server },
    ':entity': { S: ENTITY.rollup },
  };
  return table.call('UpdateItem', () =>
    table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: rollupKey(row).pk }, sk: { S: rollupKey(row).sk } },
        UpdateExpression:
          'ADD #count :n SET #date = :date, #scenario = :scenario, #domain = :domain, #server = :server, #entity = :entity',
        ExpressionAttributeNames: {
          '#count': 'count',
          '#date': 'date',
          '#scenario': 'scenario',
          '#domain': 'senderDomain',
          '#server': 'server',
          '#entity': ENTITY_ATTRIBUTE,
        },
        ExpressionAttributeValues: values,
      }),
    ),
  );
}
