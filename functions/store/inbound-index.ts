/**
 * The inbound Message-ID index: a compact, expiring record of which Message-IDs arrived for
 * internal recipients in which upload (and which outside recipients the same receipt, or a receipt
 * naming only outside recipients, named), so the nightly job can correlate a refusal in one upload
 * with the receipt in another without re-reading old files. Keys: see store/table-design.ts.
 *
 * Written by ingest (one BatchWriteItem per 25 entries, idempotent: the same receipt recorded
 * twice is one item), read by the nightly job (one Query per Message-ID, never a Scan).
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { InboundEntry } from '../core/analysis/evidence/inbound-entry.js';
import { ArgumentError, StoreError } from '../core/kernel/errors.js';
import { firstIssueLine } from '../core/kernel/issues.js';
import { toAttributes } from './attribute-values.js';
import { batchPut, type Item } from './batch-writer.js';
import {
  type BoundTable,
  type BoundTableOptions,
  bindTable,
  mapLimit,
  queryPartition,
  type TableRef,
} from './bound-table.js';
import {
  correlationMessageId,
  ENTITY_ATTRIBUTE,
  inboundKey,
  inboundPartition,
  TTL_ATTRIBUTE,
} from './table-design.js';

/**
 * Days an entry is kept after the receipt. It only has to outlive the nightly look-back (late
 * uploads) plus a margin for re-runs; two weeks keeps the index small.
 */
export const DEFAULT_INBOUND_RETENTION_DAYS = 14;
/** Queries in flight at once during a lookup. */
const LOOKUP_CONCURRENCY = 8;
/** BatchWriteItem calls in flight at once during a record. */
const WRITE_CONCURRENCY = 4;

export interface InboundIndexOptions extends BoundTableOptions {
  /** Days an entry is kept after `receivedAt` (DynamoDB TTL); default 14. */
  retentionDays?: number;
}

/** A stored entry: its Message-ID as keyed (already trimmed, any length a written one had). */
const StoredEntry = InboundEntry.safeExtend({ messageId: z.string() });

/** Reads and writes the inbound Message-ID index. */
export class InboundIndex {
  private readonly table: BoundTable;
  private readonly retentionSeconds: number;

  public constructor(table: TableRef, options: InboundIndexOptions = {}) {
    const days = options.retentionDays ?? DEFAULT_INBOUND_RETENTION_DAYS;
    if (!Number.isInteger(days) || days < 1) {
      throw new ArgumentError(`inbound index retentionDays must be a positive whole number, got ${days}`);
    }
    this.table = bindTable(table, options);
    this.retentionSeconds = days * 86_400;
  }

  /**
   * Records entries (validated; an invalid one throws `ArgumentError` naming it). Idempotent:
   * recording the same receipt again overwrites the same item. Returns the distinct items written.
   */
  public async record(entries: readonly InboundEntry[]): Promise<{ written: number }> {
    const items: Item[] = entries.map((entry, i) => {
      const parsed = InboundEntry.safeParse(entry);
      if (!parsed.success) {
        const entry = `inbound entry [${i}]`;
        throw new ArgumentError(
          `invalid ${firstIssueLine(parsed.error, { prefix: `${entry}.`, whole: entry })}`,
        );
      }
      return inboundItem(parsed.data, this.retentionSeconds);
    });
    if (items.length === 0) return { written: 0 };
    const written = await batchPut(items, {
      client: this.table.client,
      tableName: this.table.tableName,
      policy: this.table.policy,
      concurrency: WRITE_CONCURRENCY,
      logger: this.table.logger,
    });
    return { written };
  }

  /**
   * The entries of each Message-ID (keyed by its correlation form: no angle brackets). IDs with
   * no entry are absent from the map. Expired-but-not-yet-deleted entries are included: TTL
   * deletion is lazy, and an old receipt is still true.
   */
  public async lookup(messageIds: Iterable<string>): Promise<Map<string, InboundEntry[]>> {
    const ids = [...new Set([...messageIds].map(correlationMessageId))].filter((id) => id !== '');
    const found = new Map<string, InboundEntry[]>();
    await mapLimit(ids, LOOKUP_CONCURRENCY, async (id) => {
      const entries = await this.entriesOf(id);
      if (entries.length > 0) found.set(id, entries);
    });
    return found;
  }

  private async entriesOf(messageId: string): Promise<InboundEntry[]> {
    const entries: InboundEntry[] = [];
    for (const item of await queryPartition(this.table, inboundPartition(messageId))) {
      const { pk, sk, [ENTITY_ATTRIBUTE]: _entity, [TTL_ATTRIBUTE]: _ttl, ...rest } = unmarshall(item);
      const recipient = recipientOf(String(sk), rest.sourceId);
      // A key of another shape is no entry at all, not one without a recipient.
      const parsed =
        recipient === undefined
          ? undefined
          : StoredEntry.safeParse(recipient === '' ? rest : { recipient, ...rest });
      if (!parsed?.success) {
        throw new StoreError(
          `item ${String(pk)} / ${String(sk)} in table "${this.table.tableName}" is not a valid inbound entry`,
          { cause: parsed?.error },
        );
      }
      // A hash collision (never seen in practice) must not correlate two different messages.
      if (parsed.data.messageId === messageId) entries.push(parsed.data);
    }
    return entries;
  }
}

/**
 * The stored item of one (validated) inbound entry, expiring `retentionSeconds` after its receipt.
 * Lean, as there are more of them than findings: the recipient (lower-cased) is only in the sort
 * key (`<date>#<sourceId>#<recipient>`, nothing after the last `#` for an entry without one), no
 * `entity` (the `INBOUND#` key says what it is), and `outside` only on the few entries whose
 * receipt named outside recipients.
 */
export function inboundItem(entry: InboundEntry, retentionSeconds: number): Item {
  const { recipient: _recipient, ...data } = { ...entry, messageId: correlationMessageId(entry.messageId) };
  const expiresAt = Math.floor(Date.parse(data.receivedAt) / 1000) + retentionSeconds;
  return {
    ...toAttributes(data),
    ...toAttributes({ ...inboundKey(entry) }),
    [TTL_ATTRIBUTE]: { N: String(expiresAt) },
  };
}

/**
 * The recipient an inbound entry's sort key ends with, after its day and upload: `''` for an entry
 * without one, undefined for a key of another shape.
 */
function recipientOf(sortKey: string, sourceId: unknown): string | undefined {
  const prefix = `${sortKey.slice(0, 10)}#${String(sourceId)}#`;
  return sortKey.startsWith(prefix) ? sortKey.slice(prefix.length) : undefined;
}

/**
 * Records inbound entries into the table of a store handle (`{ client, tableName }`). The call
 * ingest (and `relay-audit analyze`) make with the entries of each analysed upload.
 */
export function recordInboundMessages(
  table: TableRef,
  entries: readonly InboundEntry[],
  options: InboundIndexOptions = {},
): Promise<{ written: number }> {
  return new InboundIndex(table, options).record(entries);
}
