/**
 * Replacing one day's rollup rows with a recomputed set. `putRollups` overwrites rows that still
 * exist, but a combination that disappeared (every finding of it reclassified, say) would keep
 * its old count; so after writing, rows of the day that are not in the new set are deleted.
 * Writing first and deleting second means a reader never sees the day empty.
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
import type { FindingsStore, RollupItem } from '../store/index.js';
import { rollupKey } from '../store/table-design.js';

/** The FindingsStore operations on rollups the nightly job uses. */
export type RollupStore = Pick<FindingsStore, 'putRollups' | 'queryRollups'>;

const DELETE_CONCURRENCY = 4;

function identity(item: Pick<RollupItem, 'date' | 'scenario' | 'senderDomain' | 'server'>): string {
  const key = rollupKey(item);
  return `${key.pk}\u0000${key.sk}`;
}

/** Writes a day's recomputed rollups and deletes the day's rows that are no longer in them. */
export class RollupReplacer {
  private readonly table: BoundTable;

  public constructor(
    private readonly store: RollupStore,
    table: TableRef,
    options: BoundTableOptions = {},
  ) {
    this.table = bindTable(table, options);
  }

  /** Makes the rows of `date` exactly `items` (which must all be of that date). */
  public async replaceDay(
    date: string,
    items: readonly RollupItem[],
  ): Promise<{ written: number; deleted: number }> {
    const stray = items.find((item) => item.date !== date);
    if (stray) throw new RangeError(`rollup of ${stray.date} passed to replaceDay(${date})`);
    const { written } = await this.store.putRollups(items);
    const keep = new Set(items.map(identity));
    const existing = await this.store.queryRollups({ from: date, to: date });
    const stale = existing.filter((row) => !keep.has(identity(row)));
    await mapLimit(stale, DELETE_CONCURRENCY, (row) =>
      this.table.call('DeleteItem', () =>
        this.table.client.send(
          new DeleteItemCommand({ TableName: this.table.tableName, Key: marshall(rollupKey(row)) }),
        ),
      ),
    );
    return { written, deleted: stale.length };
  }
}
