/**
 * Changes to source records that a run makes to records other than its own:
 *
 * - the correlation (end of a run, the nightly job) turns findings of earlier uploads into
 *   `forwarding`, and their records must count them so (`moveToForwarding`);
 * - a local run that completes a file supersedes the records that runs over earlier versions of the
 *   same path (another size or time: the log grew, or was touched) left failed or interrupted
 *   (`recordVersion`, `supersedeVersions`).
 *
 * Each is a conditional update of the fields it changes, on the record as read: a record its own
 * run rewrites meanwhile is read again, and nothing is counted twice.
 */
import { type AttributeValue, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SourceRecord } from '../core/analysis/model/source-record.js';
import { type BoundTable, type BoundTableOptions, bindTable, type TableRef } from './bound-table.js';
import { causeName } from './dynamo-call.js';
import { ENTITY, fileVersionsKey, keyItem, sourceKey } from './table-design.js';

/** Tries of one conditional update before giving up (each after reading the record again). */
const MAX_TRIES = 5;

const FSD = 'foreign-sender-domain';

export class SourceUpdates {
  private readonly table: BoundTable;

  public constructor(table: TableRef, options: BoundTableOptions = {}) {
    this.table = bindTable(table, options);
  }

  /**
   * Moves, on each record of `moves` (source id → findings of it now `forwarding`), that many
   * findings from `foreign-sender-domain` to `forwarding` — never more than the record counts
   * under `foreign-sender-domain`. Returns the findings moved.
   */
  public async moveToForwarding(moves: ReadonlyMap<string, number>): Promise<number> {
    let moved = 0;
    for (const [id, count] of moves) if (count > 0) moved += await this.moveOne(id, count);
    return moved;
  }

  private async moveOne(id: string, count: number): Promise<number> {
    for (let tries = 0; tries < MAX_TRIES; tries += 1) {
      const item = await this.getItem(sourceKey(id), '#f', { '#f': 'findingsByScenario' });
      const counts = item?.findingsByScenario?.M;
      const from = Number(counts?.[FSD]?.N ?? '0');
      const n = Math.min(count, from);
      // No record (expired), or its own run counted it otherwise: nothing to move.
      if (counts === undefined || n <= 0) return 0;
      const forwarding = Number(counts.forwarding?.N ?? '0') + n;
      // As the run's own count does (run-evidence.ts `move`): a scenario at 0 is left out.
      const update = n === from ? 'SET #f.#fwd = :fwd REMOVE #f.#fsd' : 'SET #f.#fwd = :fwd, #f.#fsd = :rest';
      const values: Record<string, AttributeValue> = {
        ':from': { N: String(from) },
        ':fwd': { N: String(forwarding) },
      };
      if (n !== from) values[':rest'] = { N: String(from - n) };
      const done = await this.conditionalUpdate({
        Key: keyItem(sourceKey(id)),
        UpdateExpression: update,
        // Unchanged since read: a concurrent move or a rewrite of the record is read again.
        ConditionExpression:
          counts.forwarding === undefined
            ? '#f.#fsd = :from AND attribute_not_exists(#f.#fwd)'
            : '#f.#fsd = :from AND #f.#fwd = :was',
        ExpressionAttributeNames: { '#f': 'findingsByScenario', '#fsd': FSD, '#fwd': 'forwarding' },
        ExpressionAttributeValues: {
          ...values,
          ...(counts.forwarding === undefined ? {} : { ':was': counts.forwarding }),
        },
      });
      if (done) return n;
    }
    this.table.logger.warn('source record kept changing; its forwarding count was not moved', {
      sourceId: id,
    });
    return 0;
  }

  /**
   * Names `id` among the versions of the local file at `path` that no run completed yet: done when
   * a run starts on it, so that one killed before its end is found by the run that completes it.
   */
  public async recordVersion(path: string, id: string): Promise<void> {
    await this.table.call('UpdateItem', () =>
      this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: keyItem(fileVersionsKey(path)),
          UpdateExpression: 'ADD #ids :id SET #entity = :entity',
          ExpressionAttributeNames: { '#ids': 'ids', '#entity': 'entity' },
          ExpressionAttributeValues: { ':id': { SS: [id] }, ':entity': { S: ENTITY.fileVersions } },
        }),
      ),
    );
  }

  /**
   * The run of record `id` completed the file at `path`: each other version's record that is
   * failed, or `processing` by a run that is gone (`isGone`), is marked superseded by `id` and
   * forgotten, as is `id`. A version still being analysed (another process) is kept, and so is
   * a completed one (`done`): it stays a record of what was analysed then. Returns the ids marked.
   */
  public async supersedeVersions(
    path: string,
    id: string,
    store: { getSource(id: string): Promise<SourceRecord | undefined> },
    isGone: (record: SourceRecord) => boolean,
  ): Promise<string[]> {
    const key = fileVersionsKey(path);
    const item = await this.getItem(key, '#ids', { '#ids': 'ids' });
    const marked: string[] = [];
    const forget = [id];
    for (const other of item?.ids?.SS ?? []) {
      if (other === id) continue;
      const record = await store.getSource(other);
      if (record === undefined || record.status === 'done' || record.supersededBy !== undefined) {
        forget.push(other);
        continue;
      }
      if (record.status === 'processing' && !isGone(record)) continue;
      const done = await this.conditionalUpdate({
        Key: keyItem(sourceKey(other)),
        UpdateExpression: 'SET #sup = :id',
        // Only the record as read: a run that took it up again meanwhile keeps it.
        ConditionExpression: '#status = :status AND #startedAt = :startedAt',
        ExpressionAttributeNames: { '#sup': 'supersededBy', '#status': 'status', '#startedAt': 'startedAt' },
        ExpressionAttributeValues: {
          ':id': { S: id },
          ':status': { S: record.status },
          ':startedAt': { S: record.startedAt },
        },
      });
      if (done) {
        marked.push(other);
        forget.push(other);
      }
    }
    await this.table.call('UpdateItem', () =>
      this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: keyItem(key),
          UpdateExpression: 'DELETE #ids :ids',
          ExpressionAttributeNames: { '#ids': 'ids' },
          ExpressionAttributeValues: { ':ids': { SS: forget } },
        }),
      ),
    );
    return marked;
  }

  private async getItem(
    key: { pk: string; sk: string },
    projection: string,
    names: Record<string, string>,
  ): Promise<Record<string, AttributeValue> | undefined> {
    const response = await this.table.call('GetItem', () =>
      this.table.client.send(
        new GetItemCommand({
          TableName: this.table.tableName,
          Key: keyItem(key),
          ConsistentRead: true,
          ProjectionExpression: projection,
          ExpressionAttributeNames: names,
        }),
      ),
    );
    return response.Item;
  }

  /** An UpdateItem with a condition; false when the condition did not hold (nothing changed). */
  private async conditionalUpdate(
    input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName'>,
  ): Promise<boolean> {
    try {
      await this.table.call('UpdateItem', () =>
        this.table.client.send(new UpdateItemCommand({ TableName: this.table.tableName, ...input })),
      );
      return true;
    } catch (error) {
      if (causeName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
