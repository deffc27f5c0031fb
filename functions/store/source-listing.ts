/**
 * A source upload's findings (access pattern 3), read without an index of their own.
 *
 * Ingest lists the findings of each batch in the upload's item collection (`SOURCE#<id>`, items of
 * 20 entries `<time>:<id>`: see `sourceFindingsItems` in table-design.ts), a write unit per 20
 * findings where a `bySource` index entry cost one per finding. Reading them is one Query of that
 * collection (never a Scan), then a BatchGetItem of the findings a page shows. A finding another
 * upload wrote later still appears in this list, so every item is checked: it counts for this
 * upload only while its `src` names it and its sort key is the listed one, as it would have been
 * in the index. Other filters of the query are checked on the items too.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { batchGet } from './batch-reader.js';
import type { Item } from './batch-writer.js';
import type { BoundTable } from './bound-table.js';
import { type PagerPlan, pageCursor, pageUpperBound, sortKeyOf } from './partition-pager.js';
import { meets } from './query-plan.js';
import {
  findingKey,
  parseSourceFindingsEntry,
  SOURCE_FINDINGS_ATTRIBUTE,
  SOURCE_FINDINGS_PREFIX,
  SOURCE_ID_ATTRIBUTE,
  sourceKey,
} from './table-design.js';

/** One listed finding: its id and its sort key (`<time>#<id>`). */
export interface ListedFinding {
  readonly id: string;
  readonly sortKey: string;
}

/** Findings read per BatchGetItem while a page is filled (the call's maximum). */
const GET_SIZE = 100;

/** Every finding the upload's list names, newest first, each once. One Query (paged), no Scan. */
export async function listedFindings(table: BoundTable, sourceId: string): Promise<ListedFinding[]> {
  const byKey = new Map<string, ListedFinding>();
  let startKey: Item | undefined;
  do {
    const response = await table.call('Query', () =>
      table.client.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: {
            ':pk': { S: sourceKey(sourceId).pk },
            ':prefix': { S: SOURCE_FINDINGS_PREFIX },
          },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      ),
    );
    for (const item of response.Items ?? []) {
      for (const entry of item[SOURCE_FINDINGS_ATTRIBUTE]?.SS ?? []) {
        const listed = parseSourceFindingsEntry(entry);
        if (listed) byKey.set(listed.sortKey, listed);
      }
    }
    startKey = response.LastEvaluatedKey;
  } while (startKey);
  return [...byKey.values()].sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0));
}

/** True when `item` is the upload's finding as listed and passes the plan's filters. */
function isListed(item: Item | undefined, sourceId: string, listed: ListedFinding, plan: PagerPlan): boolean {
  return (
    item !== undefined &&
    item[SOURCE_ID_ATTRIBUTE]?.S === sourceId &&
    sortKeyOf(item) === listed.sortKey &&
    plan.filters.every((filter) => meets(item, filter))
  );
}

/**
 * The upload's findings items among `listed`, in its order, read `size` at a time; with each
 * its position in `listed`.
 */
async function* checkedItems(
  table: BoundTable,
  sourceId: string,
  listed: readonly ListedFinding[],
  plan: PagerPlan,
  size: () => number,
): AsyncGenerator<{ item: Item; position: number }> {
  for (let start = 0; start < listed.length; ) {
    const slice = listed.slice(start, start + Math.min(GET_SIZE, Math.max(1, size())));
    const items = await batchGet(
      slice.map((entry) => findingKey(entry.id)),
      table,
    );
    for (const [offset, entry] of slice.entries()) {
      const key = findingKey(entry.id);
      const item = items.get(`${key.pk}\u0000${key.sk}`);
      if (item !== undefined && isListed(item, sourceId, entry, plan))
        yield { item, position: start + offset };
    }
    start += slice.length;
  }
}

/** The listed findings within the plan's time range and below the cursor's key. */
function inRange(
  listed: readonly ListedFinding[],
  plan: PagerPlan,
  cursor: string | undefined,
): ListedFinding[] {
  const { upper, after } = pageUpperBound(plan, cursor);
  return listed.filter(
    (entry) =>
      (plan.lower === undefined || entry.sortKey >= plan.lower) &&
      (upper === undefined || entry.sortKey <= upper) &&
      (after === undefined || entry.sortKey < after),
  );
}

/**
 * One page of the upload's findings items, newest first, with the same cursor semantics as the
 * index pager (the sort key of the last item returned).
 */
export async function readSourcePage(
  table: BoundTable,
  sourceId: string,
  plan: PagerPlan,
  limit: number,
  cursor: string | undefined,
): Promise<{ items: Item[]; cursor?: string }> {
  const listed = inRange(await listedFindings(table, sourceId), plan, cursor);
  const page: Item[] = [];
  let last = -1;
  for await (const { item, position } of checkedItems(
    table,
    sourceId,
    listed,
    plan,
    () => limit - page.length,
  )) {
    page.push(item);
    last = position;
    if (page.length === limit) break;
  }
  const more = page.length === limit && last < listed.length - 1;
  return { items: page, ...pageCursor(plan.fingerprint, page.at(-1) && sortKeyOf(page.at(-1) ?? {}), more) };
}

/** Every finding item of the upload within the plan's range (for counts), read 100 at a time. */
export async function* sourceFindingItems(
  table: BoundTable,
  sourceId: string,
  plan: PagerPlan,
): AsyncGenerator<Item> {
  const listed = inRange(await listedFindings(table, sourceId), plan, undefined);
  for await (const { item } of checkedItems(table, sourceId, listed, plan, () => GET_SIZE)) yield item;
}

/** A plan that keeps every listed finding: no filter, no time range. */
const WHOLE_LIST: PagerPlan = { partitions: [], filters: [], fingerprint: '' };

/**
 * Every finding item of the upload, checked as a query by upload checks them (still there, still
 * this upload's), 100 a page: what re-analysis walks to remove what it no longer finds.
 */
export async function* sourceFindingItemPages(table: BoundTable, sourceId: string): AsyncGenerator<Item[]> {
  const listed = await listedFindings(table, sourceId);
  let page: Item[] = [];
  for await (const { item } of checkedItems(table, sourceId, listed, WHOLE_LIST, () => GET_SIZE)) {
    page.push(item);
    if (page.length === GET_SIZE) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/**
 * The ids an upload's list names, 100 a page, newest first. Unchecked:
 * a finding another upload wrote later is named too; keep only items whose `src` is `sourceId`
 * (or delete on the condition `src = :sourceId`).
 */
export async function* listedFindingIdPages(table: BoundTable, sourceId: string): AsyncGenerator<string[]> {
  const listed = await listedFindings(table, sourceId);
  for (let start = 0; start < listed.length; start += GET_SIZE) {
    yield listed.slice(start, start + GET_SIZE).map((entry) => entry.id);
  }
}
