/**
 * The findings of one source upload: how they are enumerated (the one place that knows where they
 * are listed), and the removal of those a new read of the upload did not find again — taken out of
 * the rollup counters with them: what an older classifier wrote that a re-analysis no longer finds,
 * and what an earlier attempt stored that a read from the upload's start did not write again.
 */
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { UNVERSIONED } from '../core/analysis/classifier-version.js';
import type { Item } from './batch-writer.js';
import { type BoundTable, mapLimit } from './bound-table.js';
import { causeName } from './dynamo-call.js';
import { type FindingContext, findingData, sharedIdsOf, withContext } from './finding-item.js';
import {
  applyRollupDeltas,
  type RollupCell,
  RollupDeltas,
  rollupCellOf,
  StoredRollupFields,
} from './rollups.js';
import type { SharedRefs } from './shared-refs.js';
import { sourceFindingItemPages } from './source-listing.js';
import {
  CONTEXT_ID_ATTRIBUTE,
  findingKey,
  GSI_SORT_KEY,
  REVISION_ATTRIBUTE,
  SOURCE_ID_ATTRIBUTE,
} from './table-design.js';

/** Conditional deletes in flight at once. */
const DELETE_CONCURRENCY = 4;
/** Findings deleted before their counters are applied (bounds what a failure leaves uncounted). */
const REMOVAL_PAGE = 100;

/** The ids of the findings stored for `sourceId`, page by page. Callers use this, not the list. */
export async function* findingIdPagesOfSource(table: BoundTable, sourceId: string): AsyncGenerator<string[]> {
  for await (const items of sourceFindingItemPages(table, sourceId))
    yield items.flatMap((item) => idOf(item) ?? []);
}

/** One stored finding of the source that another classifier version wrote. */
interface Outdated {
  id: string;
  contextId: string | undefined;
  cell: RollupCell | undefined;
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
      const unchanged = { attribute: CONTEXT_ID_ATTRIBUTE, value: finding.contextId };
      if ((await deleteIfUnchanged(table, finding.id, sourceId, unchanged)) === undefined) return;
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
    return [{ id: idOf(item) ?? '', contextId, cell: cellOf(item, context) }];
  });
}

/** The id of a finding item (from its key). */
function idOf(item: Item): string | undefined {
  const prefix = findingKey('').pk;
  const pk = item.pk?.S;
  return pk?.startsWith(prefix) ? pk.slice(prefix.length) : undefined;
}

/** The rollup cell a stored finding is counted in; none for one that cannot be read as a finding. */
function cellOf(item: Item, context: FindingContext | undefined): RollupCell | undefined {
  const fields = StoredRollupFields.safeParse(withContext(findingData(item), context));
  return fields.success ? rollupCellOf(fields.data) : undefined;
}

/**
 * The findings a source upload had stored when a new read of it from its first row began, each
 * with its revision then: what an earlier attempt left (one stopped without a resume point, or
 * killed). A read that stops part-way writes the refusals it still held as it could key them then
 * (a mail log read newest first: by queue id, its Message-ID not read yet), and the read from the
 * start keys them as one whole read does, so once that read is done those it did not write again
 * are removed, with their counts: the upload ends with the findings and counters of one whole read.
 * Holds an id and a revision per finding, as the upload's listing does when it is read.
 */
export class FindingsBeforeRead {
  private constructor(
    private readonly table: BoundTable,
    private readonly contexts: SharedRefs<FindingContext>,
    public readonly sourceId: string,
    private revisions: ReadonlyMap<string, string | undefined>,
    /** The days of those findings: the counters their removal changes. */
    public readonly days: readonly string[],
  ) {}

  /** Reads the findings `sourceId` has stored now (its listing and their items). */
  public static async take(
    table: BoundTable,
    contexts: SharedRefs<FindingContext>,
    sourceId: string,
  ): Promise<FindingsBeforeRead> {
    const revisions = new Map<string, string | undefined>();
    const days = new Set<string>();
    for await (const items of sourceFindingItemPages(table, sourceId)) {
      for (const item of items) {
        const id = idOf(item);
        if (id === undefined) continue;
        revisions.set(id, item[REVISION_ATTRIBUTE]?.S);
        const day = item[GSI_SORT_KEY]?.S?.slice(0, 10);
        if (day !== undefined) days.add(day);
      }
    }
    return new FindingsBeforeRead(table, contexts, sourceId, revisions, [...days].sort());
  }

  /** How many findings the upload had stored. */
  public get size(): number {
    return this.revisions.size;
  }

  /**
   * Removes each of those findings that no write has put again since it was read (its revision
   * is the same: every put gives a new one), and takes it out of its rollup counter. Call once the
   * read from the start is done: a finding it found again was put again, and stays. Each delete is
   * conditional (still this upload's, still that revision), so a finding put meanwhile stays.
   */
  public async removeNotRewritten(): Promise<{ removed: number }> {
    const entries = [...this.revisions];
    let removed = 0;
    for (let start = 0; start < entries.length; start += REMOVAL_PAGE) {
      const deleted: Item[] = [];
      await mapLimit(
        entries.slice(start, start + REMOVAL_PAGE),
        DELETE_CONCURRENCY,
        async ([id, revision]) => {
          const unchanged = { attribute: REVISION_ATTRIBUTE, value: revision };
          const item = await deleteIfUnchanged(this.table, id, this.sourceId, unchanged);
          if (item !== undefined) deleted.push(item);
        },
      );
      const loaded = await this.contexts.load(deleted.flatMap((item) => sharedIdsOf(item).contextId ?? []));
      const deltas = new RollupDeltas();
      for (const item of deleted) {
        const { contextId } = sharedIdsOf(item);
        const cell = cellOf(item, contextId === undefined ? undefined : loaded.get(contextId));
        // A finding that could not be read as one was never counted in a cell.
        if (cell !== undefined) deltas.remove(cell);
      }
      await applyRollupDeltas(deltas.changes(), this.table);
      removed += deleted.length;
    }
    // Done: a second call removes nothing more.
    this.revisions = new Map();
    return { removed };
  }
}

/** An attribute of a finding item as it was read (`undefined`: the item did not have it). */
interface AsRead {
  attribute: string;
  value: string | undefined;
}

/**
 * Deletes one finding of `sourceId` if `unchanged` still holds what was read; returns the item
 * deleted, or `undefined` when it changed or went meanwhile (then it stays as it is).
 */
async function deleteIfUnchanged(
  table: BoundTable,
  id: string,
  sourceId: string,
  unchanged: AsRead,
): Promise<Item | undefined> {
  const key = findingKey(id);
  try {
    const response = await table.call('DeleteItem', () =>
      table.client.send(
        new DeleteItemCommand({
          TableName: table.tableName,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
          ConditionExpression:
            unchanged.value === undefined
              ? 'attribute_not_exists(#unchanged) AND #source = :source'
              : '#unchanged = :unchanged AND #source = :source',
          ExpressionAttributeNames: { '#unchanged': unchanged.attribute, '#source': SOURCE_ID_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':source': { S: sourceId },
            ...(unchanged.value === undefined ? {} : { ':unchanged': { S: unchanged.value } }),
          },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return response.Attributes ?? {};
  } catch (error) {
    if (causeName(error) === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
}
