/**
 * The nightly check of one day's rollup counters. Ingest keeps them as it writes findings
 * (store/rollups.ts); here the day is recomputed from its findings and each cell that drifted
 * (a write that failed between a finding and its counter, two uploads of the same new finding at
 * the same instant, a table written before counters existed) is corrected with an atomic `ADD` of
 * the difference, so an upload counting at the same moment is not overwritten. A cell no finding
 * backs any more is deleted, only if it still holds what was read. A correct day costs no write.
 */
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  type BoundTable,
  type BoundTableOptions,
  bindTable,
  mapLimit,
  type TableRef,
} from '../store/bound-table.js';
import { causeName } from '../store/dynamo-call.js';
import type { FindingsStore, RollupItem } from '../store/index.js';
import { applyRollupDeltas } from '../store/rollups.js';
import { rollupKey } from '../store/table-design.js';

/** The FindingsStore operation on rollups the repair uses. */
export type RollupCounterStore = Pick<FindingsStore, 'queryRollupCounters'>;

const DELETE_CONCURRENCY = 4;

function identity(item: Pick<RollupItem, 'date' | 'scenario' | 'senderDomain' | 'server'>): string {
  const key = rollupKey(item);
  return `${key.pk}\u0000${key.sk}`;
}

/** Brings a day's stored counters in line with the counts recomputed from its findings. */
export class RollupRepair {
  private readonly table: BoundTable;

  public constructor(
    private readonly store: RollupCounterStore,
    table: TableRef,
    options: BoundTableOptions = {},
  ) {
    this.table = bindTable(table, options);
  }

  /**
   * Makes the counters of `date` equal `expected` (rows of that date, recomputed from findings).
   * Returns how many cells were corrected and how many stale ones deleted.
   */
  public async repairDay(
    date: string,
    expected: readonly RollupItem[],
  ): Promise<{ repaired: number; deleted: number }> {
    const stray = expected.find((item) => item.date !== date);
    if (stray) throw new RangeError(`rollup of ${stray.date} passed to repairDay(${date})`);
    const stored = new Map(
      (await this.store.queryRollupCounters({ from: date, to: date })).map((row) => [identity(row), row]),
    );
    const corrections = expected.flatMap((row) => {
      const difference = row.count - (stored.get(identity(row))?.count ?? 0);
      return difference === 0 ? [] : [{ ...row, count: difference }];
    });
    const wanted = new Set(expected.map(identity));
    const stale = [...stored.entries()].filter(([key]) => !wanted.has(key)).map(([, row]) => row);
    await applyRollupDeltas(corrections, this.table);
    const deleted = await mapLimit(stale, DELETE_CONCURRENCY, (row) => this.deleteIfUnchanged(row));
    return { repaired: corrections.length, deleted: deleted.filter(Boolean).length };
  }

  /** Deletes a stale cell unless an upload counted in it since it was read (then: next night). */
  private async deleteIfUnchanged(row: RollupItem): Promise<boolean> {
    try {
      await this.table.call('DeleteItem', () =>
        this.table.client.send(
          new DeleteItemCommand({
            TableName: this.table.tableName,
            Key: marshall(rollupKey(row)),
            ConditionExpression: '#count = :count',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':count': { N: String(row.count) } },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (causeName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
