/**
 * Newest-first pagination over one or more index partitions (the shards of a partition, or of
 * several), merged into one ordered page.
 *
 * A k-way merge: each partition is read (descending sort key) a few items at a time, and the
 * newest head among them is taken until the page is full; a partition whose buffer runs empty is
 * read again before the next pick unless it has already read past that pick, so the page is exact
 * whatever the skew between partitions, and a filtered partition with nothing for this page is
 * read only as far back as the page goes. Sort
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
  /** Sort key of the last entry evaluated: everything not read yet is older. */
  position: string | undefined;
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

/** Reads the next request's worth of `stream` (a filtered request may return nothing). */
async function readMore(
  run: QueryRunner,
  tableName: string,
  plan: PagerPlan,
  bounds: { upper: string | undefined; after: string | undefined },
  stream: Stream,
  want: number,
): Promise<void> {
  const index = indexDefinition(stream.partition.indexName);
  const filters = stream.partition.filters;
  const response = await run({
    TableName: tableName,
    IndexName: stream.partition.indexName,
    ...buildQueryExpressions({
      partitionAttribute: index.partitionKey.name,
      partitionKey: stream.partition.partitionKey,
      sortAttribute: index.sortKey.name,
      lower: plan.lower,
      upper: bounds.upper,
      filters,
    }),
    ScanIndexForward: false,
    Limit: filters.length > 0 ? Math.max(want, FILTERED_READ_SIZE) : want,
    ...(stream.startKey ? { ExclusiveStartKey: stream.startKey } : {}),
  });
  // BETWEEN is inclusive: the cursor's own item comes back once and is not repeated.
  const after = bounds.after;
  stream.buffer.push(
    ...(response.Items ?? []).filter((item) => after === undefined || sortKeyOf(item) < after),
  );
  stream.startKey = response.LastEvaluatedKey;
  stream.position = stream.startKey?.[index.sortKey.name]?.S;
  stream.done = stream.startKey === undefined;
}

/** The stream whose next entry is the newest of all buffered ones. */
function newestHead(streams: readonly Stream[]): Stream | undefined {
  let newest: Stream | undefined;
  for (const stream of streams) {
    const head = stream.buffer[0];
    if (head !== undefined && (newest === undefined || sortKeyOf(head) > sortKeyOf(newest.buffer[0] ?? {}))) {
      newest = stream;
    }
  }
  return newest;
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
    position: undefined,
    done: false,
  }));
  const page: Item[] = [];
  while (page.length < limit) {
    const newest = newestHead(streams);
    const head = newest === undefined ? undefined : sortKeyOf(newest.buffer[0] ?? {});
    // A stream with nothing buffered may still hold something newer than the head, unless it has
    // read past it: only those are read again (a filtered stream with no match for the page is
    // read just down to the page's entries, not to its end).
    const unknown = streams.filter(
      (stream) =>
        stream.buffer.length === 0 &&
        !stream.done &&
        (head === undefined || stream.position === undefined || stream.position > head),
    );
    if (unknown.length > 0) {
      const need = limit - page.length;
      const want = Math.min(need, Math.max(MIN_READ_SIZE, Math.ceil((2 * need) / streams.length)));
      await Promise.all(unknown.map((stream) => readMore(run, tableName, plan, bounds, stream, want)));
      continue;
    }
    const taken = newest?.buffer.shift();
    if (taken === undefined) break;
    page.push(taken);
  }
  const more = streams.some((stream) => stream.buffer.length > 0 || !stream.done);
  const last = page.at(-1);
  return { items: page, ...pageCursor(plan.fingerprint, last && sortKeyOf(last), more) };
}
