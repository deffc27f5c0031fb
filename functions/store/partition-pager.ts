/**
 * Newest-first pagination over one or more index partitions (the shards of a partition, or of
 * several), merged into one ordered page.
 *
 * A k-way merge: each partition is read (descending sort key) a few items at a time, and the
 * newest head among them is taken until the page is full; a partition whose buffer runs empty is
 * read again before the next pick, so the page is exact whatever the skew between partitions. Sort
 * keys (`<time>#<id>`) are unique, so the cursor is just the sort key of the last item returned:
 * every partition resumes below it (see cursor.ts).
 */
import type { AttributeValue, QueryCommandInput, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { decodeCursor, encodeCursor } from './cursor.js';
import { buildQueryExpressions } from './expressions.js';
import type { PartitionFilter, PartitionQuery } from './query-plan.js';
import { GSI_SORT_KEY, indexDefinition } from './table-design.js';

export type Item = Record<string, AttributeValue>;

/** Sends one Query (with the caller's retries and error translation). */
export type QueryRunner = (input: QueryCommandInput) => Promise<QueryCommandOutput>;

export interface PagerPlan {
  readonly partitions: readonly PartitionQuery[];
  /** What every result meets (checked by DynamoDB per partition: `PartitionQuery.filters`). */
  readonly filters: readonly PartitionFilter[];
  readonly lower?: string;
  readonly upper?: string;
  readonly fingerprint: string;
}

/**
 * When a filter is applied, DynamoDB's `Limit` counts items *evaluated*, not returned; reading at
 * least this many per request keeps the number of round trips down on sparse matches.
 */
const FILTERED_READ_SIZE = 200;
/** Fewest items read from a partition at once (a Query costs at least half a read unit anyway). */
const MIN_READ_SIZE = 5;

/** One partition being merged: what was read and not yet taken, and where reading stopped. */
interface Stream {
  readonly partition: PartitionQuery;
  buffer: Item[];
  startKey: Item | undefined;
  done: boolean;
}

/** The sort key of an index entry (every index shares `gsisk`). */
export function sortKeyOf(item: Item): string {
  return item[GSI_SORT_KEY]?.S ?? '';
}

/** The exclusive upper sort-key bound of a page: `upper`, or just below the cursor's key. */
export function pageUpperBound(
  plan: Pick<PagerPlan, 'upper' | 'fingerprint'>,
  cursor: string | undefined,
): { upper: string | undefined; after: string | undefined } {
  const after = cursor === undefined ? undefined : decodeCursor(cursor, plan.fingerprint).a;
  const upper = after !== undefined && (plan.upper === undefined || after < plan.upper) ? after : plan.upper;
  return { upper, after };
}

/** The cursor of a page whose last item has sort key `last`, when more may follow. */
export function pageCursor(
  fingerprint: string,
  last: string | undefined,
  more: boolean,
): { cursor?: string } {
  return more && last !== undefined ? { cursor: encodeCursor({ v: 2, q: fingerprint, a: last }) } : {};
}

/**
 * Reads more of `stream`: at least one item unless the partition is exhausted (a filtered Query
 * may evaluate a whole request's worth and return nothing).
 */
async function refill(
  run: QueryRunner,
  tableName: string,
  plan: PagerPlan,
  bounds: { upper: string | undefined; after: string | undefined },
  stream: Stream,
  want: number,
): Promise<void> {
  const index = indexDefinition(stream.partition.indexName);
  const expressions = buildQueryExpressions({
    partitionAttribute: index.partitionKey.name,
    partitionKey: stream.partition.partitionKey,
    sortAttribute: index.sortKey.name,
    lower: plan.lower,
    upper: bounds.upper,
    filters: stream.partition.filters,
  });
  do {
    const response = await run({
      TableName: tableName,
      IndexName: stream.partition.indexName,
      ...expressions,
      ScanIndexForward: false,
      Limit: stream.partition.filters.length > 0 ? Math.max(want, FILTERED_READ_SIZE) : want,
      ...(stream.startKey ? { ExclusiveStartKey: stream.startKey } : {}),
    });
    // BETWEEN is inclusive: the cursor's own item comes back once and is not repeated.
    const after = bounds.after;
    stream.buffer.push(
      ...(response.Items ?? []).filter((item) => after === undefined || sortKeyOf(item) < after),
    );
    stream.startKey = response.LastEvaluatedKey;
    stream.done = stream.startKey === undefined;
  } while (stream.buffer.length === 0 && !stream.done);
}

/**
 * Reads one page of at most `limit` raw index entries, newest first, across `plan.partitions`,
 * resuming from `cursor` when given (an invalid or foreign cursor throws `ArgumentError`). Returns
 * a cursor only while some partition may hold more items.
 */
export async function readPage(
  run: QueryRunner,
  tableName: string,
  plan: PagerPlan,
  limit: number,
  cursor: string | undefined,
): Promise<{ items: Item[]; cursor?: string }> {
  const bounds = pageUpperBound(plan, cursor);
  // A cursor below the range's start: nothing is left (and BETWEEN would refuse the bounds).
  if (bounds.upper !== undefined && plan.lower !== undefined && bounds.upper < plan.lower)
    return { items: [] };
  const streams: Stream[] = plan.partitions.map((partition) => ({
    partition,
    buffer: [],
    startKey: undefined,
    done: false,
  }));
  const page: Item[] = [];
  while (page.length < limit) {
    const need = limit - page.length;
    const want = Math.min(need, Math.max(MIN_READ_SIZE, Math.ceil((2 * need) / streams.length)));
    const empty = streams.filter((stream) => stream.buffer.length === 0 && !stream.done);
    await Promise.all(empty.map((stream) => refill(run, tableName, plan, bounds, stream, want)));
    let newest: Stream | undefined;
    for (const stream of streams) {
      const head = stream.buffer[0];
      if (
        head !== undefined &&
        (newest === undefined || sortKeyOf(head) > sortKeyOf(newest.buffer[0] ?? {}))
      ) {
        newest = stream;
      }
    }
    const taken = newest?.buffer.shift();
    if (taken === undefined) break;
    page.push(taken);
  }
  const more = streams.some((stream) => stream.buffer.length > 0 || !stream.done);
  const last = page.at(-1);
  return { items: page, ...pageCursor(plan.fingerprint, last && sortKeyOf(last), more) };
}
