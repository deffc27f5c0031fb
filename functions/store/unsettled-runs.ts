/**
 * Unsettled runs: the days whose rollup counters a run may leave short should it die.
 *
 * An analysis run holds its counter changes back (`deferCounters`) and applies them at its
 * checkpoints. Killed between two (SIGKILL, OOM, power loss), it leaves findings stored but not
 * counted, and a run over the same file then puts the identical findings, sees no cell change and
 * counts nothing: the counters would stay short until a repair of their days. So, before it writes
 * the first finding of a day, a run names the day in its item here, and once all its changes are
 * applied it deletes the item. An item whose run is gone names the days to recount (see
 * bin/support/store-run.ts). One Query at the start of a run and a write per new day, never per
 * finding. Keys: see table-design.ts.
 */
import { type AttributeValue, DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { StoreError } from '../core/kernel/errors.js';
import {
  type BoundTable,
  type BoundTableOptions,
  bindTable,
  queryPartition,
  type TableRef,
} from './bound-table.js';
import { causeName } from './dynamo-call.js';
import {
  ENTITY,
  ENTITY_ATTRIBUTE,
  type PrimaryKey,
  UNSETTLED_RUNS_PARTITION,
  unsettledRunKey,
} from './table-design.js';

/** Who ran it, where, and until when its lease holds: enough to tell a dead run from a live one. */
export const RunLease = z.object({
  owner: z.string().min(1),
  host: z.string(),
  pid: z.number().int(),
  leaseExpiresAt: z.iso.datetime(),
});
export type RunLease = z.infer<typeof RunLease>;

export const UnsettledRun = RunLease.extend({
  /** UTC days (`YYYY-MM-DD`) of the findings it wrote or was about to write. */
  days: z.array(z.iso.date()),
});
export type UnsettledRun = z.infer<typeof UnsettledRun>;

const NAMES = {
  '#owner': 'owner',
  '#host': 'host',
  '#pid': 'pid',
  '#lease': 'leaseExpiresAt',
  '#entity': ENTITY_ATTRIBUTE,
};

function key(owner: string): Record<string, AttributeValue> {
  const { pk, sk }: PrimaryKey = unsettledRunKey(owner);
  return { pk: { S: pk }, sk: { S: sk } };
}

/** Reads and writes the unsettled-run items (see the module comment). */
export class UnsettledRuns {
  private readonly table: BoundTable;

  public constructor(table: TableRef, options: BoundTableOptions = {}) {
    this.table = bindTable(table, options);
  }

  /** Every unsettled run, live or dead. */
  public async list(): Promise<UnsettledRun[]> {
    const items = await queryPartition(this.table, UNSETTLED_RUNS_PARTITION, { consistent: true });
    return items.map((item) => this.parse(item));
  }

  /** Names `days` in the run's item (created if need be) and renews its lease. */
  public async addDays(lease: RunLease, days: readonly string[]): Promise<void> {
    const { owner, host, pid, leaseExpiresAt } = RunLease.parse(lease);
    if (days.length === 0) return;
    await this.table.call('UpdateItem', () =>
      this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: key(owner),
          UpdateExpression:
            'ADD #days :days SET #owner = :owner, #host = :host, #pid = :pid, #lease = :lease, #entity = :entity',
          ExpressionAttributeNames: { ...NAMES, '#days': 'days' },
          ExpressionAttributeValues: {
            ':days': { SS: [...new Set(days)] },
            ':owner': { S: owner },
            ':host': { S: host },
            ':pid': { N: String(pid) },
            ':lease': { S: leaseExpiresAt },
            ':entity': { S: ENTITY.unsettledRun },
          },
        }),
      ),
    );
  }

  /** Moves the lease of the run's item on, if it has one (a run names no day before its first finding). */
  public async renew(owner: string, leaseExpiresAt: string): Promise<void> {
    try {
      await this.table.call('UpdateItem', () =>
        this.table.client.send(
          new UpdateItemCommand({
            TableName: this.table.tableName,
            Key: key(owner),
            UpdateExpression: 'SET #lease = :lease',
            ConditionExpression: 'attribute_exists(#owner)',
            ExpressionAttributeNames: { '#lease': NAMES['#lease'], '#owner': NAMES['#owner'] },
            ExpressionAttributeValues: { ':lease': { S: leaseExpiresAt } },
          }),
        ),
      );
    } catch (error) {
      if (causeName(error) !== 'ConditionalCheckFailedException') throw error;
    }
  }

  /** Deletes the run's item: every counter change of the run is applied. */
  public async remove(owner: string): Promise<void> {
    await this.table.call('DeleteItem', () =>
      this.table.client.send(new DeleteItemCommand({ TableName: this.table.tableName, Key: key(owner) })),
    );
  }

  /**
   * Takes over a run read from {@link list}: deletes its item only if its lease is still the one read
   * (a live run renews it). Of several runs taking the same item exactly one gets true.
   */
  public async take(run: UnsettledRun): Promise<boolean> {
    try {
      await this.table.call('DeleteItem', () =>
        this.table.client.send(
          new DeleteItemCommand({
            TableName: this.table.tableName,
            Key: key(run.owner),
            ConditionExpression: '#lease = :lease',
            ExpressionAttributeNames: { '#lease': NAMES['#lease'] },
            ExpressionAttributeValues: { ':lease': { S: run.leaseExpiresAt } },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (causeName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private parse(item: Record<string, AttributeValue>): UnsettledRun {
    const parsed = UnsettledRun.safeParse({
      owner: item.owner?.S,
      host: item.host?.S,
      pid: Number(item.pid?.N),
      leaseExpiresAt: item.leaseExpiresAt?.S,
      days: [...(item.days?.SS ?? [])].sort(),
    });
    if (!parsed.success) {
      throw new StoreError(
        `item ${item.pk?.S ?? '?'} / ${item.sk?.S ?? '?'} in table "${this.table.tableName}" is not a valid unsettled run`,
        { cause: parsed.error },
      );
    }
    return parsed.data;
  }
}
