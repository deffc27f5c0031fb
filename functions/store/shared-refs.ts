/**
 * Parts of findings stored by reference. Thousands of findings share a handful of remediation texts
 * (same scenario, same names) and of refusal contexts (same server, connector, Exchange Online host
 * and text), so each is written once per content hash and findings keep only its id: a finding
 * item stays under 1 KB, one write unit. Reading joins them back with one BatchGetItem per page,
 * with a per-store cache.
 */

import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { z } from 'zod';
import { BoundedMap } from '../core/kernel/bounded-map.js';
import { StoreError } from '../core/kernel/errors.js';
import { toAttributes } from './attribute-values.js';
import { type BatchReaderContext, batchGet } from './batch-reader.js';
import type { Item } from './batch-writer.js';
import { ENTITY_ATTRIBUTE, type Entity, type PrimaryKey } from './table-design.js';

/** Parts remembered per store instance and kind (ids written, values read). */
const CACHE_SIZE = 2_000;

/** One kind of shared part: how it is keyed, hashed, checked and named in its item. */
export interface SharedKind<T> {
  readonly entity: Entity;
  /** Attribute of the shared item holding the value (a map). */
  readonly attribute: string;
  readonly schema: z.ZodType<T>;
  /**
   * Store the value as Brotli-compressed JSON (a binary attribute) instead of a map: for long
   * texts, where it saves more write units than its CPU costs.
   */
  readonly compressed?: boolean;
  key(id: string): PrimaryKey;
  id(value: T): string;
}

/**
 * Brotli quality of compressed parts: a remediation (4.4 KB of JSON on the bench's logs) comes to
 * 1.7 KB, two write units instead of five, in about 1.5 ms; the best quality (11) saves 13 % more
 * bytes but no write unit, at 20 times the time.
 */
const BROTLI_QUALITY = 5;

/** The stored item of one shared part (no TTL: few, small, and shared across retention windows). */
export function sharedItem<T>(kind: SharedKind<T>, id: string, value: T): Item {
  const stored = kind.compressed
    ? {
        [kind.attribute]: {
          B: brotliCompressSync(JSON.stringify(value), {
            params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY },
          }),
        },
      }
    : toAttributes({ [kind.attribute]: value });
  return { ...stored, ...toAttributes({ ...kind.key(id) }), [ENTITY_ATTRIBUTE]: { S: kind.entity } };
}

/** The value of a stored shared item, unvalidated (compressed JSON, or a map). */
function storedValue(item: Item, attribute: string): unknown {
  const bytes = item[attribute]?.B;
  if (bytes === undefined) return unmarshall(item)[attribute];
  try {
    return JSON.parse(brotliDecompressSync(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
}

export class SharedRefs<T extends object> {
  /** Ids this store has already written: no need to write the same value again. */
  private readonly written = new BoundedMap<string, true>(CACHE_SIZE);
  private readonly values = new BoundedMap<string, T>(CACHE_SIZE);
  /** Finding objects share remediation objects (the classifier caches them): hash each once. */
  private readonly ids = new WeakMap<object, string>();

  public constructor(
    private readonly kind: SharedKind<T>,
    private readonly table: BatchReaderContext,
  ) {}

  /** The id of a value (content hash). */
  public idOf(value: T): string {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.kind.id(value);
      this.ids.set(value, id);
    }
    return id;
  }

  /** Items for the values among `values` that this store has not written yet. */
  public newItems(values: ReadonlyMap<string, T>): Item[] {
    const items: Item[] = [];
    for (const [id, value] of values) {
      if (!this.written.get(id)) items.push(sharedItem(this.kind, id, value));
    }
    return items;
  }

  /** Records that these values are now stored. */
  public markWritten(values: ReadonlyMap<string, T>): void {
    for (const [id, value] of values) {
      this.written.set(id, true);
      this.values.set(id, value);
    }
  }

  /** Loads the values of `ids` (cached, then BatchGetItem with UnprocessedKeys retried). */
  public async load(ids: Iterable<string>): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.values.get(id);
      if (cached) found.set(id, cached);
      else missing.push(id);
    }
    if (missing.length === 0) return found;
    const prefix = this.kind.key('').pk;
    const items = await batchGet(
      missing.map((id) => this.kind.key(id)),
      this.table,
    );
    for (const item of items.values()) {
      const id = item.pk?.S?.slice(prefix.length);
      const parsed = this.kind.schema.safeParse(storedValue(item, this.kind.attribute));
      if (id === undefined || !parsed.success) {
        throw new StoreError(
          `${this.kind.entity} item ${item.pk?.S ?? '?'} in "${this.table.tableName}" is not valid`,
          {
            cause: parsed.success ? undefined : parsed.error,
          },
        );
      }
      this.values.set(id, parsed.data);
      found.set(id, parsed.data);
    }
    return found;
  }
}
