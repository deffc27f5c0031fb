/**
 * Remediations stored by reference. Thousands of findings share a handful of remediation texts
 * (same scenario, same domains), so the text is written once per content hash and findings keep
 * only its id. Reading joins them back with one BatchGetItem per page, with a per-store cache.
 */
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { BoundedMap } from '../core/bounded-map.js';
import { StoreError } from '../core/errors.js';
import { Remediation } from '../core/findings.js';
import { type BatchReaderContext, batchGet } from './batch-reader.js';
import type { Item } from './batch-writer.js';
import { ENTITY, ENTITY_ATTRIBUTE, remediationId, remediationKey } from './table-design.js';

/** Remediations remembered per store instance (ids written, texts read). */
const CACHE_SIZE = 2_000;

/** The stored item of one remediation text (no TTL: few, small, and shared across retention windows). */
export function remediationItem(id: string, remediation: Remediation): Item {
  return {
    ...marshall({ remediation }, { removeUndefinedValues: true }),
    ...marshall(remediationKey(id)),
    [ENTITY_ATTRIBUTE]: { S: ENTITY.remediation },
  };
}

export class RemediationRefs {
  /** Ids this store has already written: no need to write the same text again. */
  private readonly written = new BoundedMap<string, true>(CACHE_SIZE);
  private readonly texts = new BoundedMap<string, Remediation>(CACHE_SIZE);
  /** Finding objects share remediation objects (the classifier caches them): hash each once. */
  private readonly ids = new WeakMap<object, string>();

  public constructor(private readonly table: BatchReaderContext) {}

  /** The id of a remediation (content hash). */
  public idOf(remediation: Remediation): string {
    let id = this.ids.get(remediation);
    if (id === undefined) {
      id = remediationId(remediation);
      this.ids.set(remediation, id);
    }
    return id;
  }

  /** Items for the remediations among `remediations` that this store has not written yet. */
  public newItems(remediations: ReadonlyMap<string, Remediation>): Item[] {
    const items: Item[] = [];
    for (const [id, remediation] of remediations) {
      if (this.written.get(id)) continue;
      items.push(remediationItem(id, remediation));
    }
    return items;
  }

  /** Records that these ids are now stored. */
  public markWritten(ids: Iterable<string>, remediations: ReadonlyMap<string, Remediation>): void {
    for (const id of ids) {
      this.written.set(id, true);
      const text = remediations.get(id);
      if (text) this.texts.set(id, text);
    }
  }

  /** Loads the remediations of `ids` (cached, then BatchGetItem with UnprocessedKeys retried). */
  public async load(ids: Iterable<string>): Promise<Map<string, Remediation>> {
    const found = new Map<string, Remediation>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.texts.get(id);
      if (cached) found.set(id, cached);
      else missing.push(id);
    }
    const items = await batchGet(
      missing.map((id) => remediationKey(id)),
      this.table,
    );
    for (const item of items.values()) {
      const id = item.pk?.S?.slice('REMEDIATION#'.length);
      const parsed = Remediation.safeParse(unmarshall(item).remediation);
      if (id === undefined || !parsed.success) {
        throw new StoreError(
          `remediation item ${item.pk?.S ?? '?'} in "${this.table.tableName}" is not valid`,
          {
            cause: parsed.success ? undefined : parsed.error,
          },
        );
      }
      this.texts.set(id, parsed.data);
      found.set(id, parsed.data);
    }
    return found;
  }
}
