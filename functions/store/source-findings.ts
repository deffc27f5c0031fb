/**
 * The findings of one source upload: how they are enumerated (the one place that knows where they
 * are listed), and the removal of those an older classifier wrote that a re-analysis of the upload
 * no longer finds — taken out of the rollup counters with them.
 */
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { UNVERSIONED } from '../core/analysis/classifier-version.js';
import type { Item } from './batch-writer.js';
import { type BoundTable, mapLimit } from './bound-table.js';
import { causeName } from './dynamo-call.js';
import { type FindingContext, findingData, sharedIdsOf, withContext } from './finding-item.js';
import { applyRollupDeltas, RollupDeltas, rollupCellOf, StoredRollupFields } from './rollups.js';
import type { SharedRefs } from './shared-refs.js';
import { sourceFindingItemPages } from './source-listing.js';
import { CONTEXT_ID_ATTRIBUTE, findingKey, SOURCE_ID_ATTRIBUTE } from './table-design.js';

/** Conditional deletes in flight at once. */
const DELETE_CONCURRENCY = 4;

/** The ids of the findings stored for `sourceId`, page by page. Callers use this, not the list. */
export async function* findingIdPagesOfSource(table: BoundTable, sourceId: string): AsyncGenerator<string[]> {
  const prefix = findingKey('').pk;
  for await (const items of sourceFindingItemPages(table, sourceId)) {
    yield items.flatMap((item) => {
      const pk = item.pk?.S;
      return pk?.startsWith(prefix) ? [pk.slice(prefix.length)] : [];
    });
  }
}

/** One stored finding of the source that another classifier version wrote. */
interface Outdated {
  id: string;
  contextId: string | undefined;
  cell: ReturnType<typeof rollupCellOf> | undefined;
}

/**
 * Removes the findings of `sourceId` whose classifier version is not `version`, and subtracts each
 * from its rollup counter. Run when a re-analysis of the upload is done: every finding it still
 * found was rewritten at `version`, so any other is one it no longer finds. Each delete is
 * conditional on the finding being unchanged since it was read (same context, hence same version,
 * same upload), so a finding rewritten meanwhile is kept. Returns how many were removed.
 */
export async function removeOutdatedFindings(
  table: BoundTable,
  contexts: SharedRefs<FindingContext>,
  sourceId: string,
  version: string,
): Promise<{ removed: number }> {
  let removed = 0;
  for await (const items of sourceFindingItemPages(table, sourceId)) {
    const outdated = await outdatedOf(contexts, items, version);
    const deltas = new RollupDeltas();
    await mapLimit(outdated, DELETE_CONCURRENCY, async (finding) => {
      if (!(await deleteIfUnchanged(table, finding, sourceId))) return;
      removed++;
      // A finding that could not be read as one was never counted in a cell.
      if (finding.cell !== undefined) deltas.add(finding.cell, -1);
    });
    await applyRollupDeltas(deltas.changes(), table);
  }
  return { removed };
}

/** Of the upload's finding `items`, those another version wrote, with their cells. */
async function outdatedOf(
  contexts: SharedRefs<FindingContext>,
  items: readonly Item[],
  version: string,
): Promise<Outdated[]> {
  const loaded = await contexts.load(items.flatMap((item) => sharedIdsOf(item).contextId ?? []));
  return items.flatMap((item) => {
    const { contextId } = sharedIdsOf(item);
    const context = contextId === undefined ? undefined : loaded.get(contextId);
    if ((context?.classifierVersion ?? UNVERSIONED) === version) return [];
    const fields = StoredRollupFields.safeParse(withContext(findingData(item), context));
    const id = item.pk?.S?.slice(findingKey('').pk.length) ?? '';
    return [{ id, contextId, cell: fields.success ? rollupCellOf(fields.data) : undefined }];
  });
}

/** Deletes one finding if it is still as read; false when it changed meanwhile (then it stays). */
async function deleteIfUnchanged(table: BoundTable, finding: Outdated, sourceId: string): Promise<boolean> {
  const key = findingKey(finding.id);
  try {
    await table.call('DeleteItem', () =>
      table.client.send(
        new DeleteItemCommand({
          TableName: table.tableName,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
          ConditionExpression:
            finding.contextId === undefined
              ? 'attribute_not_exists(#context) AND #source = :source'
              : '#context = :context AND #source = :source',
          ExpressionAttributeNames: { '#context': CONTEXT_ID_ATTRIBUTE, '#source': SOURCE_ID_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':source': { S: sourceId },
            ...(finding.contextId === undefined ? {} : { ':context': { S: finding.contextId } }),
          },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (causeName(error) === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
