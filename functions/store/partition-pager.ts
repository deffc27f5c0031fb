/**
 * Newest-first pagination over one or more index partitions, merged into one ordered page.
 *
 * Each partition is read (descending sort key) until it yields `limit` matching items or is
 * exhausted; then the union is merged and cut to `limit`. That is exact: an item in the global
 * top `limit` has fewer than `limit` newer items in its own partition, so it was fetched. The
 * cursor records, per partition, the key right after the last item *returned* (not the last one
 * fetched), so no item is lost or repeated across pages.
 */
import type { AttributeValue, QueryCommandInput, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { InvalidValueError } from '../core/kernel/errors.js';
import { decodeCursor, encodeCursor, type PartitionPosition } from './cursor.js';
import { buildQueryExpressions } from './expressions.js';
import type { EqualityFilter, PartitionQuery } from './query-plan.js';
import { indexDefinition, resumeKeyOf, type StringKey, toAttributeKey, toStringKey } from './table-design.js';

export type Item = Record<string, AttributeValue>;

/** Sends one Query (with the caller's retries and error translation). */
export type QueryRunner = (input: QueryCommandInput) => Promise<QueryCommandOutput>;

export interface PagerPlan {
  readonly partitions: readonly PartitionQuery[];
  readonly filters: readonly EqualityFilter[];
  readonly lower?: string;
  readonly upper?: string;
  readonly fingerprint: string;
}

/**
 * When a filter is applied, DynamoDB's `Limit` counts items *evaluated*, not returned; reading at
 * least this many per request keeps the number of round trips down on sparse matches.
 */
const FILTERED_READ_SIZE = 200;

interface Fetched {
  items: Item[];
  /** Where the partition's reading stopped; undefined when exhausted. */
  lastKey: StringKey | undefined;
}

async function fetchPartition(
  run: QueryRunner,
  tableName: string,
  plan: PagerPlan,
  partition: PartitionQuery,
  start: StringKey | null,
  need: number,
): Promise<Fetched> {
  const index = indexDefinition(partition.indexName);
  const expressions = buildQueryExpressions({
    partitionAttribute: index.partitionKey.name,
    partitionKey: partition.partitionKey,
    sortAttribute: index.sortKey.name,
    lower: plan.lower,
    upper: plan.upper,
    filters: plan.filters,
  });
  const items: Item[] = [];
  let startKey: Item | undefined = start ? toAttributeKey(start) : undefined;
  do {
    const want = need - items.length;
    const response = await run({
      TableName: tableName,
      IndexName: partition.indexName,
      ...expressions,
      ScanIndexForward: false,
      Limit: plan.filters.length > 0 ? Math.max(want, FILTERED_READ_SIZE) : want,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    items.push(...(response.Items ?? []));
    startKey = response.LastEvaluatedKey;
  } while (items.length < need && startKey !== undefined);
  return { items, lastKey: startKey ? toStringKey(startKey) : undefined };
}

/**
 * A cursor's resume key must be one this partition's query could have returned: exactly the table
 * key and the index key, in this partition. Anything else (a forged but well-formed cursor) would
 * reach DynamoDB as an invalid `ExclusiveStartKey` and come back as a store failure, not as the
 * caller's mistake it is.
 */
function checkResumeKey(position: PartitionPosition, partition: PartitionQuery): void {
  if (position === null || position === 'done') return;
  const index = indexDefinition(partition.indexName);
  const expected = ['pk', 'sk', index.partitionKey.name, index.sortKey.name].sort();
  const names = Object.keys(position).sort();
  const sameNames = names.length === expected.length && names.every((name, i) => name === expected[i]);
  if (!sameNames || position[index.partitionKey.name] !== partition.partitionKey) {
    throw new InvalidValueError('cursor', 'not a cursor returned by a previous page');
  }
}

/**
 * Reads one page of at most `limit` raw items, newest first, across `plan.partitions`, resuming
 * from `cursor` when given (an invalid or foreign cursor throws `ArgumentError`). Returns a cursor
 * only while some partition may hold more items.
 */
export async function readPage(
  run: QueryRunner,
  tableName: string,
  plan: PagerPlan,
  limit: number,
  cursor: string | undefined,
): Promise<{ items: Item[]; cursor?: string }> {
  const positions: PartitionPosition[] =
    cursor === undefined
      ? plan.partitions.map(() => null)
      : decodeCursor(cursor, plan.fingerprint, plan.partitions.length).p;
  positions.forEach((position, i) => {
    const partition = plan.partitions[i];
    if (partition !== undefined) checkResumeKey(position, partition);
  });

  const fetched = await Promise.all(
    plan.partitions.map((partition, i): Promise<Fetched> | Fetched => {
      const position = positions[i] ?? null;
      if (position === 'done') return { items: [], lastKey: undefined };
      return fetchPartition(run, tableName, plan, partition, position, limit);
    }),
  );

  const merged = fetched.flatMap((result, part) => {
    const sortAttribute = indexDefinition(plan.partitions[part]?.indexName ?? 'gsi1').sortKey.name;
    return result.items.map((item) => ({ item, part, sortKey: item[sortAttribute]?.S ?? '' }));
  });
  merged.sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0));
  const page = merged.slice(0, limit);

  const next = plan.partitions.map((partition, part): PartitionPosition => {
    const previous = positions[part] ?? null;
    if (previous === 'done') return 'done';
    const result = fetched[part] ?? { items: [], lastKey: undefined };
    const taken = page.filter((entry) => entry.part === part);
    if (taken.length === result.items.length) return result.lastKey ?? 'done';
    const last = taken.at(-1);
    return last ? resumeKeyOf(last.item, partition.indexName) : previous;
  });

  const items = page.map((entry) => entry.item);
  if (next.every((position) => position === 'done')) return { items };
  return { items, cursor: encodeCursor({ v: 1, q: plan.fingerprint, p: next }) };
}
