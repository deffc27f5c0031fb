/**
 * The findings of one source upload: how they are enumerated (the one place that knows which index
 * holds them), and the removal of those an older classifier wrote that a re-analysis of the upload
 * no longer finds — taken out of the rollup counters with them.
 */
import { DeleteItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { UNVERSIONED } from '../core/analysis/classifier-version.js';
import { batchGet } from './batch-reader.js';
import type { Item } from './batch-writer.js';
import { type BoundTable, mapLimit } from './bound-table.js';
import { causeName } from './dynamo-call.js';
import { type FindingContext, findingData, sharedIdsOf } from './finding-item.js';
import { applyRollupDeltas, RollupDeltas, rollupCellOf, StoredRollupFields } from './rollups.js';
import type { SharedRefs } from './shared-refs.js';
import { CONTEXT_ID_ATTRIBUTE, findingKey, INDEX, sourceFindingsPartition } from './table-design.js';

/** Conditional deletes in flight at once. */
const DELETE_CONCURRENCY = 4;

/**
 * The ids of the findings stored for `sourceId`, page by page (a keys-only Query of the upload's
 * index partition, never a Scan). Callers use this, not the index: its design may change.
 */
export async function* findingIdPagesOfSource(table: BoundTable, sourceId: string): AsyncGenerator<string[]> {
  const prefix = findingKey('').pk;
  let startKey: Record<string, NonNullable<Item[string]>> | undefined;
  do {
    const response = await table.call('Query', () =>
      table.client.send(
        new QueryCommand({
          TableName: table.tableName,
          IndexName: INDEX.bySource,
          KeyConditionExpression: '#source = :source',
          ExpressionAttributeNames: { '#source': 'gsi4pk', '#id': 'pk' },
          ExpressionAttributeValues: { ':source': { S: sourceFindingsPartition(sourceId) } },
          ProjectionExpression: '#id',
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      ),
    );
    yield (response.Items ?? []).flatMap((item) => {
      const pk = item.pk?.S;
      return pk?.startsWith(prefix) ? [pk.slice(prefix.length)] : [];
    });
    startKey = response.LastEvaluatedKey;
  } while (startKey !== undefined);
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
  for await (const ids of findingIdPagesOfSource(table, sourceId)) {
    const outdated = await outdatedOf(table, contexts, ids, sourceId, version);
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

/** Of the findings `ids`, those still of `sourceId` that another version wrote, with their cells. */
async function outdatedOf(
  table: BoundTable,
  contexts: SharedRefs<FindingContext>,
  ids: readonly string[],
  sourceId: string,
  version: string,
): Promise<Outdated[]> {
  const items = [...(await batchGet(ids.map(findingKey), table)).values()];
  const loaded = await contexts.load(items.flatMap((item) => sharedIdsOf(item).contextId ?? []));
  const partition = sourceFindingsPartition(sourceId);
  return items.flatMap((item) => {
    // The index follows the table with a delay: a finding another upload took over is not ours.
    if (item.gsi4pk?.S !== partition) return [];
    const { contextId } = sharedIdsOf(item);
    const context = contextId === undefined ? undefined : loaded.get(contextId);
    if ((context?.classifierVersion ?? UNVERSIONED) === version) return [];
    const fields = StoredRollupFields.safeParse({ ...findingData(item), ...context });
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
          ExpressionAttributeNames: { '#context': CONTEXT_ID_ATTRIBUTE, '#source': 'gsi4pk' },
          ExpressionAttributeValues: {
            ':source': { S: sourceFindingsPartition(sourceId) },
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
