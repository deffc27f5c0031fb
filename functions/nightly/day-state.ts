/**
 * What the last nightly run counted for each day. The next run compares its fresh counts with
 * these to find *new* findings (a late upload for a look-back day, or the first run of a day), so
 * the alert is published once per new finding, not on every re-run. Keys: see store/table-design.ts.
 */
import { type AttributeValue, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { StoreError } from '../core/kernel/errors.js';
import { type BoundTable, type BoundTableOptions, bindTable, type TableRef } from '../store/bound-table.js';
import {
  dayStateKey,
  dayStatePartition,
  ENTITY,
  ENTITY_ATTRIBUTE,
  rollupMonths,
} from '../store/table-design.js';

export const DayState = z.object({
  date: z.iso.date(),
  /** Findings of the day when it was last reported on. */
  findings: z.number().int().nonnegative(),
});
export type DayState = z.infer<typeof DayState>;

/** Reads and writes per-day nightly state. */
export class DayStateStore {
  private readonly table: BoundTable;

  public constructor(table: TableRef, options: BoundTableOptions = {}) {
    this.table = bindTable(table, options);
  }

  /** The states of the days `from`..`to` (inclusive) that have one, keyed by day. */
  public async read(from: string, to: string): Promise<Map<string, DayState>> {
    const states = new Map<string, DayState>();
    for (const month of rollupMonths(from, to)) {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const response = await this.table.call('Query', () =>
          this.table.client.send(
            new QueryCommand({
              TableName: this.table.tableName,
              KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
              ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
              ExpressionAttributeValues: {
                ':pk': { S: dayStatePartition(`${month}-01`) },
                ':lo': { S: dayStateKey(from).sk },
                ':hi': { S: dayStateKey(to).sk },
              },
              ...(startKey ? { ExclusiveStartKey: startKey } : {}),
            }),
          ),
        );
        for (const item of response.Items ?? []) {
          const parsed = DayState.safeParse(unmarshall(item));
          if (!parsed.success) {
            throw new StoreError(
              `item ${item.pk?.S ?? '?'} / ${item.sk?.S ?? '?'} in table "${this.table.tableName}" is not a valid nightly day state`,
              { cause: parsed.error },
            );
          }
          states.set(parsed.data.date, parsed.data);
        }
        startKey = response.LastEvaluatedKey;
      } while (startKey);
    }
    return states;
  }

  /** Creates or replaces the state of each given day. */
  public async write(states: readonly DayState[]): Promise<void> {
    for (const state of states) {
      const data = DayState.parse(state);
      await this.table.call('PutItem', () =>
        this.table.client.send(
          new PutItemCommand({
            TableName: this.table.tableName,
            Item: {
              ...marshall(data),
              ...marshall(dayStateKey(data.date)),
              [ENTITY_ATTRIBUTE]: { S: ENTITY.nightlyDay },
            },
          }),
        ),
      );
    }
  }
}
