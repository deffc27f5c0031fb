/**
 * Remediations stored by reference. Thousands of findings share a handful of remediation texts
 * (same scenario, same domains), so the text is written once per content hash and findings keep
 * only its id. Reading joins them back with one BatchGetItem per page, with a per-store cache.
 */
import { type AttributeValue, BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { Remediation } from '../core/analysis/model/findings.js';
import { BoundedMap } from '../core/shared/bounded-map.js';
import { StoreError } from '../core/shared/errors.js';
import type { Item } from './batch-writer.js';
import type { DynamoCall } from './dynamo-call.js';
import { backoffDelay, type RetryPolicy } from './retry.js';
import { ENTITY, ENTITY_ATTRIBUTE, remediationId, remediationKey } from './table-design.js';

/** DynamoDB's limit of keys per BatchGetItem call. */
const BATCH_GET_SIZE = 100;
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

  public constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly call: DynamoCall,
    private readonly policy: RetryPolicy,
  ) {}

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
    for (let start = 0; start < missing.length; start += BATCH_GET_SIZE) {
      let keys: Record<string, AttributeValue>[] = missing
        .slice(start, start + BATCH_GET_SIZE)
        .map((id) => marshall(remediationKey(id)));
      for (let attempt = 1; keys.length > 0; attempt += 1) {
        if (attempt > this.policy.maxAttempts) {
          throw new StoreError(`${keys.length} remediation items could not be read from "${this.tableName}"`);
        }
        if (attempt > 1) await this.policy.sleep(backoffDelay(attempt - 1, this.policy));
        const request = { [this.tableName]: { Keys: keys } };
        const response = await this.call('BatchGetItem', () =>
          this.client.send(new BatchGetItemCommand({ RequestItems: request })),
        );
        for (const item of response.Responses?.[this.tableName] ?? []) {
          const id = item.pk?.S?.slice('REMEDIATION#'.length);
          const parsed = Remediation.safeParse(unmarshall(item).remediation);
          if (id === undefined || !parsed.success) {
            throw new StoreError(
              `remediation item ${item.pk?.S ?? '?'} in "${this.tableName}" is not valid`,
              {
                cause: parsed.success ? undefined : parsed.error,
              },
            );
          }
          this.texts.set(id, parsed.data);
          found.set(id, parsed.data);
        }
        keys = response.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
  }
}
