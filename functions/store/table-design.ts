/**
 * The key design of the findings table: one DynamoDB table, every access pattern served by a
 * Query on the table or an overloaded GSI, never a Scan.
 *
 * This module is the single source of truth for the table's shape. `FindingsStore.ensureTable()`
 * (embedded engine, tests) and the CDK stack (cloud) both build the table from `TABLE_DEFINITION`,
 * and every key string is produced here so the layout can be read, tested and changed in one place.
 *
 * | Item     | pk                  | sk                                       | GSI partition keys (each `<prefix>#<shard>`)        | gsisk (every GSI's sort key) |
 * |----------|---------------------|------------------------------------------|-----------------------------------------------------|------------------------------|
 * | finding  | `FINDING#<id>`      | `FINDING`                                | gsi1pk `SCENARIO#<scenario>#<0-7>` · gsi2pk `SENDER#<domain>#<0-3>` (not for `connector-mismatch`, `wrong-region`: `sd` holds their domain) · gsi3pk `RECIPIENT#<domain>#0` | `<ts>#<id>` |
 * | upload's findings | `SOURCE#<sourceId>` | `F#<hash of its entries>`      | —                                                   | —                            |
 * | source   | `SOURCE#<id>`       | `SOURCE`                                 | gsi1pk `SOURCES#<0-3>`                              | `<startedAt>#<id>`           |
 * | rollup   | `ROLLUP#<YYYY-MM>`  | `<date>#<scenario>#<domain>#<server>`    | —                                                   | —                            |
 * | remediation | `REMEDIATION#<hash>` | `REMEDIATION`                       | —                                                   | —                            |
 * | context  | `CONTEXT#<hash>`    | `CONTEXT`                                | —                                                   | —                            |
 *
 * Lean by design: DynamoDB bills every write per started KB, for the item and for each index entry
 * (an entry of 300 bytes is a whole unit). Measured by `npm run cost` on the bench's logs, a finding
 * costs 3.8 write units (goal ≤ 4), where the design before cost 5.3:
 *
 * | per finding | before | now | how |
 * |---|---:|---:|---|
 * | item | 1.13 | 1.06 | shared context also holds the upload's file name and format; remediations Brotli-compressed (5 units → 2, written once) |
 * | index entries | 3.88 | 2.54 | no `bySource` index (−1); `gsi2` sparse (−0.35) |
 * | upload's list | — | 0.05 | one item per 20 findings of a batch |
 *
 * - **No index by upload.** A query by `sourceId` (and re-analysis enumerating an upload's findings)
 *   reads the upload's list of findings from its own item collection (one Query, `begins_with
 *   F#`), then BatchGetItem of the findings, each checked to still be that upload's (`src`) — the
 *   index held exactly those. It reads the whole list for each page (42 bytes a finding: about 70 KB,
 *   9 read units, for a 10 MB tracking log), where an index read only the page.
 * - **Sparse sender index.** `connector-mismatch` and `wrong-region` findings are sent as the
 *   organisation's own domains (a handful of values): they stay out of `gsi2`, and a query by sender
 *   domain reads their scenario shards with a filter on `sd` — reading the other findings of those
 *   two scenarios in the range too, a few times what it returns when the organisation has a few
 *   domains. Forwarding and foreign-sender findings, whose sender domains are many, stay indexed.
 * - **Sharded partitions.** One partition-key value takes at most 1,000 write units a second, so the
 *   low-cardinality ones (a scenario, the organisation's sender domain, the sources listing) are
 *   split into shards by a hash of the item's id (`SHARDS`) and a query merges its shards newest
 *   first (partition-pager.ts): a page without filters is 40 small Queries instead of 5.
 *
 * The three GSIs share one sort-key attribute and project only what their queries read or filter on
 * (`IndexDefinition.projection`); a page of findings is a Query of an index for keys, then one
 * BatchGetItem of the items it shows. A finding item does not repeat what its keys already hold
 * (see `findingItem`), and what many findings share is stored once, by reference: the remediation
 * text, and the refusal's context (server, connector, Exchange Online host, code and text, file).
 *
 * Items of the nightly job and the organisation's configuration live in the same table, base table
 * only (no GSI attributes), so no findings or sources query can ever see them:
 *
 * | Item                  | pk                             | sk                                | TTL                  |
 * |-----------------------|--------------------------------|-----------------------------------|----------------------|
 * | inbound Message-ID    | `INBOUND#<hash of Message-ID>` | `<date>#<sourceId>#<recipient>`   | receivedAt + 14 days |
 * | nightly day state     | `NIGHTLY#<YYYY-MM>`            | `DAY#<date>`                      | none (tiny, history) |
 * | organisation config   | `CONFIG#ORGANISATION`          | `CURRENT`                         | none                 |
 * | readiness report      | `READINESS#ORGANISATION`       | `LATEST`                          | none                 |
 * | unsettled run         | `RUN#UNSETTLED`                | `<lease owner>`                   | none (deleted by the run, or by the next one) |
 * | local file's versions | `FILE#<hash of its path>`      | `VERSIONS`                        | none (emptied by the run that completes the file) |
 * | twin marker           | `TWIN#<hash of Message-ID, code>` | `TWIN`                         | like the finding's   |
 *
 * Every partition-key prefix is distinct, so no two item kinds can collide.
 * Timestamps inside keys are normalised to `Date#toISOString()` (always milliseconds, always `Z`)
 * so that string order is time order; `ScanIndexForward: false` then gives newest first.
 */
import type { AttributeValue, CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { normaliseMessageId } from '../core/analysis/model/events.js';
import { sha256Hex32 } from '../core/analysis/model/finding-id.js';
import type { Finding } from '../core/analysis/model/findings.js';
import { ScenarioId } from '../core/analysis/model/findings.js';
import type { SourceRecord } from '../core/analysis/model/source-record.js';

/**
 * Names of the global secondary indexes, by the access pattern each one serves for findings. A
 * source upload's findings have no index of their own: they are listed in the upload's item
 * collection (see `sourceFindingsKey`), which costs a write per 20 findings instead of one each.
 */
export const INDEX = {
  /** Findings by scenario; also the list of source uploads (overloaded). */
  byScenario: 'gsi1',
  bySenderDomain: 'gsi2',
  byRecipientDomain: 'gsi3',
} as const;
export type IndexName = (typeof INDEX)[keyof typeof INDEX];

/**
 * Days findings and source records are kept by default (DynamoDB TTL): the hot window the dashboard
 * and the API page through. Longer history is in S3 (the nightly job's history objects, queried
 * with Athena) and in the rollups, which never expire. The one default of the CLI, the functions
 * and the stack settings.
 */
export const DEFAULT_RETENTION_DAYS = 90;

/** Attribute name of the TTL attribute (epoch seconds), shared with the CDK stack. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Attribute holding the item type; lets a reader tell items apart in overloaded indexes. */
export const ENTITY_ATTRIBUTE = 'entity';
/** Attribute of a finding item that names its remediation item (see remediationKey). */
export const REMEDIATION_ID_ATTRIBUTE = 'remediationId';
/** Attribute of a finding item that names its context item (see contextKey). */
export const CONTEXT_ID_ATTRIBUTE = 'contextId';
/** Attribute of a finding item holding the id of the upload that wrote it last. */
export const SOURCE_ID_ATTRIBUTE = 'src';
/**
 * Attribute of a finding item left out of the sender-domain index (see
 * `SENDER_FILTERED_SCENARIOS`) that holds its normalised sender domain, for filters.
 */
export const SENDER_DOMAIN_ATTRIBUTE = 'sd';
/**
 * Attribute of a finding item naming the write that put it (unique per put): what a conditional
 * re-put checks to know the item is still the one it last saw (see finding-merge.ts).
 */
export const REVISION_ATTRIBUTE = 'rv';
/** Attribute of a source findings item: the set of its entries (see `sourceFindingsEntry`). */
export const SOURCE_FINDINGS_ATTRIBUTE = 'f';
/** Value of the `entity` attribute of each item kind (stored: never rename one). */
export const ENTITY = {
  finding: 'finding',
  source: 'source',
  rollup: 'rollup',
  remediation: 'remediation',
  context: 'context',
  inbound: 'inbound',
  nightlyDay: 'nightly-day',
  organisationConfig: 'organisation-config',
  readiness: 'readiness',
  unsettledRun: 'unsettled-run',
  fileVersions: 'file-versions',
  twin: 'twin-marker',
} as const;
export type Entity = (typeof ENTITY)[keyof typeof ENTITY];

/** A key attribute: every key in this table is a string. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S';
}

/**
 * What an index copies besides the keys: nothing, or the named attributes. Never `ALL`: a full copy
 * per index would multiply every finding's write cost by five.
 */
export type Projection =
  | { readonly type: 'KEYS_ONLY' }
  | { readonly type: 'INCLUDE'; readonly nonKeyAttributes: readonly string[] };

export interface IndexDefinition {
  readonly indexName: IndexName;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  readonly projection: Projection;
}

export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  readonly globalSecondaryIndexes: readonly IndexDefinition[];
  readonly timeToLiveAttribute: string;
  readonly billingMode: 'PAY_PER_REQUEST';
}

/** The one sort-key attribute of every GSI: `<time>#<id>`, written once per item, not once per index. */
export const GSI_SORT_KEY = 'gsisk';

function gsi(indexName: IndexName, ...included: string[]): IndexDefinition {
  return {
    indexName,
    partitionKey: { name: `${indexName}pk`, type: 'S' },
    sortKey: { name: GSI_SORT_KEY, type: 'S' },
    projection:
      included.length === 0 ? { type: 'KEYS_ONLY' } : { type: 'INCLUDE', nonKeyAttributes: included },
  };
}

/**
 * The table's static definition as plain data. Consumed by `createTableInput` here and by the
 * CDK stack, so the cloud table and the local one cannot drift apart.
 */
export const TABLE_DEFINITION: TableDefinition = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  // Each index projects the partition keys of the indexes a query on it may filter by (the query
  // plan filters on the less selective ones: see planFindingsQuery), and gsi1 what the end-of-run
  // correlation reads of the foreign-sender findings (their Message-ID and upload).
  globalSecondaryIndexes: [
    gsi(INDEX.byScenario, 'messageId', SOURCE_ID_ATTRIBUTE, SENDER_DOMAIN_ATTRIBUTE),
    gsi(INDEX.bySenderDomain, 'gsi1pk'),
    gsi(INDEX.byRecipientDomain, 'gsi1pk', 'gsi2pk', SENDER_DOMAIN_ATTRIBUTE),
  ],
  timeToLiveAttribute: TTL_ATTRIBUTE,
  billingMode: 'PAY_PER_REQUEST',
};

/** Every attribute the store adds to an item on top of the domain object; stripped on read. */
export const STORE_ATTRIBUTES: readonly string[] = [
  ...new Set([
    TABLE_DEFINITION.partitionKey.name,
    TABLE_DEFINITION.sortKey.name,
    ...TABLE_DEFINITION.globalSecondaryIndexes.flatMap((index) => [
      index.partitionKey.name,
      index.sortKey.name,
    ]),
    TTL_ATTRIBUTE,
    ENTITY_ATTRIBUTE,
    REMEDIATION_ID_ATTRIBUTE,
    CONTEXT_ID_ATTRIBUTE,
    SOURCE_ID_ATTRIBUTE,
    SENDER_DOMAIN_ATTRIBUTE,
    REVISION_ATTRIBUTE,
  ]),
];

/**
 * Builds the `CreateTable` request for `tableName` from `TABLE_DEFINITION` (on-demand billing,
 * all GSIs). TTL is a separate API call (`UpdateTimeToLive`), made by the caller.
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const def = TABLE_DEFINITION;
  const keyAttributes = new Map(
    [def.partitionKey, def.sortKey, ...def.globalSecondaryIndexes.flatMap(indexKeys)].map((key) => [
      key.name,
      key,
    ]),
  );
  return {
    TableName: tableName,
    BillingMode: def.billingMode,
    AttributeDefinitions: [...keyAttributes.values()].map((attr) => ({
      AttributeName: attr.name,
      AttributeType: attr.type,
    })),
    KeySchema: [
      { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: def.sortKey.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: def.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: projectionInput(index.projection),
    })),
  };
}

/** An index's projection as CreateTable (and DescribeTable) spell it. */
export function projectionInput(projection: Projection): {
  ProjectionType: Projection['type'];
  NonKeyAttributes?: string[];
} {
  return projection.type === 'INCLUDE'
    ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...projection.nonKeyAttributes] }
    : { ProjectionType: projection.type };
}

function indexKeys(index: IndexDefinition): KeyAttribute[] {
  return [index.partitionKey, index.sortKey];
}

/** Looks up an index definition by name. */
export function indexDefinition(indexName: IndexName): IndexDefinition {
  const found = TABLE_DEFINITION.globalSecondaryIndexes.find((index) => index.indexName === indexName);
  // Unreachable by construction (IndexName is derived from the same constant); kept for the type checker.
  if (!found) throw new Error(`unknown index ${indexName}`);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Identities
// ---------------------------------------------------------------------------------------------

/**
 * The finding id lives with the domain model (functions/core/analysis/model/finding-id.ts): the classifier needs
 * it to de-duplicate before anything is stored. Re-exported here because the key design uses it.
 */
export { findingId } from '../core/analysis/model/finding-id.js';

/**
 * Deterministic source id from a caller-chosen identity string (e.g. `s3://bucket/key#etag` or a
 * content hash), so analysing the same input twice updates one source record.
 */
export function sourceId(identity: string): string {
  return sha256Hex32(['source', identity]);
}

// ---------------------------------------------------------------------------------------------
// Key values
// ---------------------------------------------------------------------------------------------

/** A primary or index key as plain strings (all key attributes are strings). */
export type StringKey = Record<string, string>;

/** The table's primary key of one item. */
export interface PrimaryKey {
  pk: string;
  sk: string;
}

/** A primary key as a request's `Key` (both key attributes are strings). */
export function keyItem(key: PrimaryKey): Record<string, AttributeValue> {
  return { pk: { S: key.pk }, sk: { S: key.sk } };
}

/** Normalises an ISO timestamp so string order equals time order (ms precision, `Z`). */
export function keyTimestamp(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not a timestamp: ${iso}`);
  return new Date(ms).toISOString();
}

/** Lower-cases and trims a domain so `Contoso.com` and `contoso.com` share a partition. */
export function normaliseDomain(domain: string): string {
  return domain.trim().toLowerCase();
}

/** Sort key shared by every finding index: `<ISO timestamp>#<findingId>` (time range + newest first). */
export function findingSortKey(timestamp: string, id: string): string {
  return `${keyTimestamp(timestamp)}#${id}`;
}

/** Access pattern 4: one finding by id. */
export function findingKey(id: string): PrimaryKey {
  return { pk: `FINDING#${id}`, sk: 'FINDING' };
}

/**
 * Remediation items. Findings with the same scenario and names share one remediation text (a few
 * KB), so it is stored once under its content hash and findings carry only `remediationId`.
 */
export function remediationKey(id: string): PrimaryKey {
  return { pk: `REMEDIATION#${id}`, sk: 'REMEDIATION' };
}

/** Content hash of a remediation (same text → same id, whichever finding wrote it). */
export function remediationId(remediation: unknown): string {
  return sha256Hex32(['remediation', JSON.stringify(remediation)]);
}

/**
 * Context items: how a refusal happened (the server, connector, Exchange Online host, code and text),
 * shared by every finding refused the same way, stored once under its content hash.
 */
export function contextKey(id: string): PrimaryKey {
  return { pk: `CONTEXT#${id}`, sk: 'CONTEXT' };
}

/** Content hash of a context (its fields in a fixed order: see finding-item.ts). */
export function contextId(context: unknown): string {
  return sha256Hex32(['context', JSON.stringify(context)]);
}

/**
 * Write sharding. DynamoDB takes at most 1,000 write units a second into one partition-key value,
 * and a burst of uploads writes every finding of a scenario (and most of the organisation's own
 * sender domain) into one value: each such partition is split into shards, `<prefix>#<n>`, the
 * shard chosen by a hash of the finding (or upload) id, and a query reads all shards of its
 * partition and merges them newest first (store/partition-pager.ts). Eight scenario shards take
 * 8,000 findings a second into one scenario, about what 10 concurrent ingest invocations (the
 * `ingestMaxConcurrency` default) can write; a page without filters then reads 5 × 8 shards.
 * Recipient domains are many (external) and stay whole. Changing a count re-keys the findings
 * (re-analyse: README, "Upgrading the store").
 */
export const SHARDS = { scenario: 8, senderDomain: 4, recipientDomain: 1, sources: 4 } as const;

/** A partition split into `shards` key values, `<prefix>#0` … `<prefix>#<shards-1>`. */
export interface ShardedPartition {
  readonly prefix: string;
  readonly shards: number;
}

/** The shard of `id` among `shards` (FNV-1a: fast, stable, evenly spread over hex or any ids). */
export function shardOf(id: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** Every key value of a sharded partition, in shard order (what a query reads). */
export function shardKeys(partition: ShardedPartition): string[] {
  return Array.from({ length: partition.shards }, (_, n) => `${partition.prefix}#${n}`);
}

/** The key value the item `id` is written under. */
export function shardKey(partition: ShardedPartition, id: string): string {
  return `${partition.prefix}#${shardOf(id, partition.shards)}`;
}

/** The value a sharded key attribute names (`SENDER#contoso.com#3` → `contoso.com`), if `prefix` matches. */
export function shardedValue(key: string | undefined, prefix: string): string | undefined {
  if (key === undefined || !key.startsWith(prefix)) return undefined;
  const end = key.lastIndexOf('#');
  return end < prefix.length ? undefined : key.slice(prefix.length, end);
}

/** Access pattern 1: one scenario's findings on `gsi1`. */
export function scenarioPartition(scenario: ScenarioId): ShardedPartition {
  return { prefix: `SCENARIO#${scenario}`, shards: SHARDS.scenario };
}

/**
 * Scenarios whose findings are left out of the sender-domain index (`gsi2` is sparse): their sender
 * domain is one the organisation sends as (accepted, for `connector-mismatch`; its smart host's
 * traffic, for `wrong-region`), a handful of values each holding a large share, so a query by sender
 * domain reads them from their scenario partitions with a filter on `sd` at little extra cost,
 * and 35 % of findings (on the bench's logs) save an index entry, a write unit each. The
 * forwarding and foreign-sender findings, whose sender domains are many and external, stay indexed.
 */
export const SENDER_FILTERED_SCENARIOS: readonly ScenarioId[] = ['connector-mismatch', 'wrong-region'];

/** Access pattern 2: one sender domain's findings on `gsi2`. */
export function senderDomainPartition(domain: string): ShardedPartition {
  return { prefix: `SENDER#${normaliseDomain(domain)}`, shards: SHARDS.senderDomain };
}

/** Access pattern 2: one recipient domain's findings on `gsi3`. */
export function recipientDomainPartition(domain: string): ShardedPartition {
  return { prefix: `RECIPIENT#${normaliseDomain(domain)}`, shards: SHARDS.recipientDomain };
}

/** Access pattern 6: one source record by id. */
export function sourceKey(id: string): PrimaryKey {
  return { pk: `SOURCE#${id}`, sk: 'SOURCE' };
}

/** Access pattern 6: the `gsi1` partition listing all source uploads (newest first), sharded. */
export const SOURCES_PARTITION: ShardedPartition = { prefix: 'SOURCES', shards: SHARDS.sources };

/** Sort key of a source on `gsi1`: `<startedAt>#<id>`. */
export function sourceSortKey(startedAt: string, id: string): string {
  return `${keyTimestamp(startedAt)}#${id}`;
}

/**
 * Access pattern 3: a source upload's findings, listed in its own item collection (partition
 * `SOURCE#<id>`, beside its record) as items of up to {@link SOURCE_FINDINGS_PER_ITEM} entries.
 * One such item per 20 findings replaces an index entry per finding (a write unit each). The sort
 * key is a hash of the entries, so writing the same batch again writes the same item.
 */
export function sourceFindingsKey(sourceId: string, entries: readonly string[]): PrimaryKey {
  return { pk: sourceKey(sourceId).pk, sk: `${SOURCE_FINDINGS_PREFIX}${sha256Hex32(entries)}` };
}

/** Sort-key prefix of a source's findings items (a Query `begins_with` reads them all). */
export const SOURCE_FINDINGS_PREFIX = 'F#';

/** Entries per source findings item: 20 × 42 bytes and its keys stay under one write unit. */
export const SOURCE_FINDINGS_PER_ITEM = 20;

/**
 * One finding in its upload's list: `<epoch ms, base 36, 9 digits>:<id>`, 42 bytes for a 32-hex id
 * where its sort key (`<ISO time>#<id>`) takes 57; `sourceFindingSortKey` turns it back.
 */
export function sourceFindingsEntry(timestamp: string, id: string): string {
  return `${Date.parse(keyTimestamp(timestamp)).toString(36).padStart(9, '0')}:${id}`;
}

/** The finding id and sort key (`findingSortKey`) of a source findings entry; `undefined` if malformed. */
export function parseSourceFindingsEntry(entry: string): { id: string; sortKey: string } | undefined {
  const colon = entry.indexOf(':');
  const ms = Number.parseInt(entry.slice(0, colon), 36);
  const id = entry.slice(colon + 1);
  if (colon !== 9 || !Number.isFinite(ms) || id === '') return undefined;
  return { id, sortKey: `${new Date(ms).toISOString()}#${id}` };
}

// Base-table items: the nightly job's inbound index and day states, the organisation's items.

/**
 * The form Message-IDs are keyed and compared in by the inbound index: no angle brackets, no
 * surrounding space (case kept: RFC 5322 ids are case-sensitive).
 */
export function correlationMessageId(messageId: string): string {
  return normaliseMessageId(messageId);
}

/**
 * Partition of one Message-ID's inbound entries ("received for internal recipient R in upload U").
 * A hash: a Message-ID comes from log data and may be arbitrarily long (DynamoDB caps a partition
 * key at 2048 bytes), and hashing spreads ingest writes evenly; the item stores the Message-ID.
 */
export function inboundPartition(messageId: string): string {
  return `INBOUND#${sha256Hex32([correlationMessageId(messageId)])}`;
}

/**
 * Sort key of one inbound entry: day first (the index is "per day"), then the upload and the
 * recipient, so the same receipt recorded twice (a redelivered upload) is one item. An entry without
 * a recipient (receipts that named only outside recipients) ends with the `#`: one item per message,
 * upload and day, never one of a recipient (an address has an `@`).
 */
export function inboundSortKey(entry: {
  receivedAt: string;
  sourceId: string;
  recipient?: string | undefined;
}): string {
  return `${entry.receivedAt.slice(0, 10)}#${entry.sourceId}#${entry.recipient?.toLowerCase() ?? ''}`;
}

/** Key of one inbound entry. */
export function inboundKey(entry: {
  messageId: string;
  receivedAt: string;
  sourceId: string;
  recipient?: string | undefined;
}): PrimaryKey {
  return { pk: inboundPartition(entry.messageId), sk: inboundSortKey(entry) };
}

/** Month partition of the nightly day states (like rollups: bounded partitions, few Queries). */
export function dayStatePartition(date: string): string {
  return `NIGHTLY#${date.slice(0, 7)}`;
}

/** Key of what the last nightly run counted for one day (new findings vs already reported). */
export function dayStateKey(date: string): PrimaryKey {
  return { pk: dayStatePartition(date), sk: `DAY#${date}` };
}

/** The organisation's configuration (accepted domains, connectors, certificates): one item. */
export const ORGANISATION_CONFIG_KEY: Readonly<PrimaryKey> = { pk: 'CONFIG#ORGANISATION', sk: 'CURRENT' };

/** The latest readiness report: one item, replaced by each check. */
export const READINESS_KEY: Readonly<PrimaryKey> = { pk: 'READINESS#ORGANISATION', sk: 'LATEST' };

/**
 * The partition of runs whose rollup counters may not all be applied yet (see unsettled-runs.ts):
 * one small partition, read with one Query at the start of a run.
 */
export const UNSETTLED_RUNS_PARTITION = 'RUN#UNSETTLED';

/**
 * Key of the item naming the source records of one local file's versions (other sizes, times)
 * that no run completed yet: how the run that completes the file finds the records it supersedes.
 */
export function fileVersionsKey(path: string): PrimaryKey {
  return { pk: `FILE#${sha256Hex32(['file', path])}`, sk: 'VERSIONS' };
}

/**
 * Key of the marker of one message's refusals under one code that may be twins: one named, one
 * without a recipient, written by different runs (see finding-twins.ts).
 */
export function twinKey(messageId: string, code: string): PrimaryKey {
  return { pk: `TWIN#${sha256Hex32(['twin', messageId.trim(), code.trim()])}`, sk: 'TWIN' };
}

/** Key of one unsettled run, by the owner of its lease. */
export function unsettledRunKey(owner: string): PrimaryKey {
  return { pk: UNSETTLED_RUNS_PARTITION, sk: owner };
}

/**
 * Bounds of a time range on a `<ts>#<id>` sort key, for `BETWEEN`, `>=` or `<=`. Both ends are
 * inclusive: `until` is padded with U+FFFF so every id at exactly that millisecond is included.
 */
export function timeRangeBounds(range: { since?: string; until?: string }): {
  lower?: string;
  upper?: string;
} {
  const bounds: { lower?: string; upper?: string } = {};
  if (range.since !== undefined) bounds.lower = keyTimestamp(range.since);
  if (range.until !== undefined) bounds.upper = `${keyTimestamp(range.until)}#\uffff`;
  return bounds;
}

// ---------------------------------------------------------------------------------------------
// Rollups (access pattern 5)
// ---------------------------------------------------------------------------------------------

const IsoDate = z.iso.date();

/** One daily rollup row: how many findings of a scenario, for a sender domain, via one server/connector. */
export const RollupItem = z.object({
  /** UTC day, `YYYY-MM-DD`. */
  date: IsoDate,
  scenario: ScenarioId,
  senderDomain: z.string(),
  /** On-prem server hostname or connector id the messages came through. */
  server: z.string(),
  count: z.number().int().nonnegative(),
});
export type RollupItem = z.infer<typeof RollupItem>;

/**
 * Rollups are bucketed by month: a date range is a handful of Queries (one per month), and no
 * single partition grows without bound.
 */
export function rollupPartition(date: string): string {
  return `ROLLUP#${date.slice(0, 7)}`;
}

/** Key of one rollup row; the nightly job overwrites it when it recomputes a day. */
export function rollupKey(
  item: Pick<RollupItem, 'date' | 'scenario' | 'senderDomain' | 'server'>,
): PrimaryKey {
  return {
    pk: rollupPartition(item.date),
    sk: `${item.date}#${item.scenario}#${normaliseDomain(item.senderDomain)}#${item.server}`,
  };
}

/** The month partitions (`YYYY-MM`) that a date range `from..to` (inclusive) touches, in order. */
export function rollupMonths(from: string, to: string): string[] {
  const months: string[] = [];
  let year = Number(from.slice(0, 4));
  let month = Number(from.slice(5, 7));
  const last = to.slice(0, 7);
  for (;;) {
    const current = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
    if (current > last) break;
    months.push(current);
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  return months;
}

/** Sort-key bounds of the days `from..to` inside a rollup month partition. */
export function rollupRangeBounds(from: string, to: string): { lower: string; upper: string } {
  return { lower: from, upper: `${to}#\uffff` };
}

// ---------------------------------------------------------------------------------------------
// Item builders
// ---------------------------------------------------------------------------------------------

function s(value: string): AttributeValue {
  return { S: value };
}

function keyAttributes(key: StringKey | PrimaryKey): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(key).map(([name, value]) => [name, s(value)]));
}

/**
 * The store attributes of a finding item: primary key, one key pair per applicable index (indexes
 * are sparse: a finding without a sender domain, or of a `SENDER_FILTERED_SCENARIOS` scenario, is
 * absent from `gsi2`; each key is in the finding's shard), its upload and TTL. No `entity`: the
 * `FINDING#` key says what it is.
 */
export function findingKeyAttributes(finding: Finding, expiresAt: number): Record<string, AttributeValue> {
  const key: StringKey = {
    ...findingKey(finding.id),
    gsi1pk: shardKey(scenarioPartition(finding.scenario), finding.id),
    [GSI_SORT_KEY]: findingSortKey(finding.timestamp, finding.id),
  };
  if (finding.senderDomain && SENDER_FILTERED_SCENARIOS.includes(finding.scenario)) {
    key[SENDER_DOMAIN_ATTRIBUTE] = normaliseDomain(finding.senderDomain);
  } else if (finding.senderDomain) {
    key.gsi2pk = shardKey(senderDomainPartition(finding.senderDomain), finding.id);
  }
  if (finding.recipientDomain) {
    key.gsi3pk = shardKey(recipientDomainPartition(finding.recipientDomain), finding.id);
  }
  return {
    ...keyAttributes(key),
    [SOURCE_ID_ATTRIBUTE]: s(finding.source.sourceId),
    [TTL_ATTRIBUTE]: { N: String(expiresAt) },
  };
}

/**
 * The items listing which findings an upload wrote (access pattern 3): per upload, its entries
 * sorted and cut into items of {@link SOURCE_FINDINGS_PER_ITEM}, each expiring with the last of
 * its findings. A finding later written by another upload stays listed here too: readers check the
 * finding's own `src` (see `FindingsStore.queryFindings`).
 */
export function sourceFindingsItems(
  findings: readonly { id: string; timestamp: string; sourceId: string; expiresAt: number }[],
): Record<string, AttributeValue>[] {
  const bySource = new Map<string, Map<string, number>>();
  for (const finding of findings) {
    const entries = bySource.get(finding.sourceId) ?? new Map<string, number>();
    bySource.set(finding.sourceId, entries);
    const entry = sourceFindingsEntry(finding.timestamp, finding.id);
    entries.set(entry, Math.max(entries.get(entry) ?? 0, finding.expiresAt));
  }
  const items: Record<string, AttributeValue>[] = [];
  for (const [sourceId, entries] of bySource) {
    const sorted = [...entries.keys()].sort();
    for (let start = 0; start < sorted.length; start += SOURCE_FINDINGS_PER_ITEM) {
      const chunk = sorted.slice(start, start + SOURCE_FINDINGS_PER_ITEM);
      const expiresAt = Math.max(...chunk.map((entry) => entries.get(entry) ?? 0));
      items.push({
        ...keyAttributes(sourceFindingsKey(sourceId, chunk)),
        [SOURCE_FINDINGS_ATTRIBUTE]: { SS: chunk },
        [TTL_ATTRIBUTE]: { N: String(expiresAt) },
      });
    }
  }
  return items;
}

/** The store attributes of a source record item (primary key, `gsi1` listing, entity, TTL). */
export function sourceKeyAttributes(record: SourceRecord, expiresAt: number): Record<string, AttributeValue> {
  return {
    ...keyAttributes({
      ...sourceKey(record.id),
      gsi1pk: shardKey(SOURCES_PARTITION, record.id),
      [GSI_SORT_KEY]: sourceSortKey(record.startedAt, record.id),
    }),
    [ENTITY_ATTRIBUTE]: s(ENTITY.source),
    [TTL_ATTRIBUTE]: { N: String(expiresAt) },
  };
}

/** The store attributes of a rollup item. Rollups carry no TTL: they are small and are the long-term history. */
export function rollupKeyAttributes(item: RollupItem): Record<string, AttributeValue> {
  return { ...keyAttributes(rollupKey(item)), [ENTITY_ATTRIBUTE]: s(ENTITY.rollup) };
}

/** Removes the store's own attributes from a raw item, leaving the domain object's attributes. */
export function stripStoreAttributes(item: Record<string, AttributeValue>): Record<string, AttributeValue> {
  const copy = { ...item };
  for (const name of STORE_ATTRIBUTES) delete copy[name];
  return copy;
}

/** The primary key of a raw item, used to de-duplicate writes. */
export function primaryKeyOf(item: Record<string, AttributeValue>): string {
  return `${item.pk?.S ?? ''}\u0000${item.sk?.S ?? ''}`;
}

/** Converts a plain-string key (e.g. decoded from a cursor) back to DynamoDB attribute values. */
export function toAttributeKey(key: StringKey): Record<string, AttributeValue> {
  return keyAttributes(key);
}

/** Converts a DynamoDB key (e.g. `LastEvaluatedKey`) to plain strings for a cursor. */
export function toStringKey(key: Record<string, AttributeValue>): StringKey {
  const result: StringKey = {};
  for (const [name, value] of Object.entries(key)) {
    if (value.S === undefined) throw new RangeError(`key attribute ${name} is not a string`);
    result[name] = value.S;
  }
  return result;
}

/**
 * The entry an item has in `index` (what the index stores, bills and returns: its keys, the table's
 * keys and the projected attributes), or `undefined` when the item lacks a key of it (sparse index).
 */
export function indexEntryOf(
  item: Record<string, AttributeValue>,
  index: IndexDefinition,
): Record<string, AttributeValue> | undefined {
  const names = [
    TABLE_DEFINITION.partitionKey.name,
    TABLE_DEFINITION.sortKey.name,
    index.partitionKey.name,
    index.sortKey.name,
  ];
  if (names.some((name) => item[name] === undefined)) return undefined;
  const projected = index.projection.type === 'INCLUDE' ? index.projection.nonKeyAttributes : [];
  const entry: Record<string, AttributeValue> = {};
  for (const name of [...names, ...projected]) {
    const value = item[name];
    if (value !== undefined) entry[name] = value;
  }
  return entry;
}
