/**
 * Key design of the items the nightly job adds to the findings table. They live in the base table
 * only (no GSI attributes), so no findings or sources query can ever see them, and every read is a
 * Query on a known partition — never a Scan.
 *
 * | Item      | pk                          | sk                                   | TTL                    |
 * |-----------|-----------------------------|--------------------------------------|------------------------|
 * | inbound   | `INBOUND#<h(Message-ID)>`   | `<YYYY-MM-DD>#<sourceId>#<recipient>`| receivedAt + 14 days   |
 * | day state | `NIGHTLY#<YYYY-MM>`         | `DAY#<YYYY-MM-DD>`                   | none (tiny, history)   |
 *
 * - **inbound**: "this Message-ID was received for (or delivered/redirected to) this internal
 *   recipient, in this upload, on this day". Written by ingest, read by the nightly cross-upload
 *   correlation with one Query per Message-ID. The partition is a hash of the Message-ID: a
 *   Message-ID comes from log data and may be arbitrarily long (DynamoDB caps a partition key at
 *   2048 bytes), and hashing spreads ingest writes evenly over partitions; the Message-ID itself
 *   is stored on the item and compared on read.
 * - **day state**: what the last nightly run counted for a day, so the next run can tell new
 *   findings (late uploads) from ones it already reported, and publish only for the former.
 *
 * These builders belong in `functions/store/table-design.ts` once the store owner adopts them;
 * until then they are kept here, in one place, with the same conventions (entity attribute, TTL
 * attribute, `#`-joined sort keys, month-bucketed history partitions).
 */
import { createHash } from 'node:crypto';
import { normaliseMessageId } from '../core/events.js';

/** Value of the `entity` attribute (see table-design `ENTITY_ATTRIBUTE`) on each item type. */
export const NIGHTLY_ENTITY = {
  inbound: 'inbound',
  dayState: 'nightly-day',
} as const;

/** A table primary key as plain strings. */
export interface NightlyKey {
  pk: string;
  sk: string;
}

/** The form Message-IDs are compared in: no angle brackets, no surrounding space (case kept). */
export function correlationMessageId(messageId: string): string {
  return normaliseMessageId(messageId);
}

/** Partition of one Message-ID's inbound entries. */
export function inboundPartition(messageId: string): string {
  const digest = createHash('sha256').update(correlationMessageId(messageId), 'utf8').digest('hex');
  return `INBOUND#${digest.slice(0, 32)}`;
}

/**
 * Sort key of one inbound entry: day first (the index is "per day"), then the upload and the
 * recipient, so the same receipt recorded twice (a redelivered upload) is one item.
 */
export function inboundSortKey(entry: { receivedAt: string; sourceId: string; recipient: string }): string {
  return `${entry.receivedAt.slice(0, 10)}#${entry.sourceId}#${entry.recipient.toLowerCase()}`;
}

/** Key of one inbound entry. */
export function inboundKey(entry: {
  messageId: string;
  receivedAt: string;
  sourceId: string;
  recipient: string;
}): NightlyKey {
  return { pk: inboundPartition(entry.messageId), sk: inboundSortKey(entry) };
}

/** Month partition of the nightly day states (like rollups: bounded partitions, few Queries). */
export function dayStatePartition(date: string): string {
  return `NIGHTLY#${date.slice(0, 7)}`;
}

/** Key of the state of one day. */
export function dayStateKey(date: string): NightlyKey {
  return { pk: dayStatePartition(date), sk: `DAY#${date}` };
}
