/**
 * FindingsStore: the one storage implementation, on DynamoDB. In the cloud the client points at
 * DynamoDB; on a laptop at the embedded engine (see embedded-engine.ts). Same code path, same keys.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { CLASSIFIER_VERSION, UNVERSIONED } from '../core/analysis/classifier-version.js';
import { Finding, Remediation, SCENARIO_IDS, ScenarioId } from '../core/analysis/model/findings.js';
import { SourceRecord } from '../core/analysis/model/source-record.js';
import { ArgumentError, ConfigError, InvalidValueError, StoreError } from '../core/kernel/errors.js';
import { firstIssue } from '../core/kernel/issues.js';
import { batchGet, primaryKeyOfItem } from './batch-reader.js';
import { batchPut, type Item } from './batch-writer.js';
import { type BoundTable, mapLimit } from './bound-table.js';
import { queryFingerprint } from './cursor.js';
import { causeName, createDynamoCall, type DynamoCall } from './dynamo-call.js';
import { buildQueryExpressions } from './expressions.js';
import {
  CONTEXT_KIND,
  contextOf,
  type FindingContext,
  findingData,
  findingItem,
  REMEDIATION_KIND,
  sharedIdsOf,
  withContext,
} from './finding-item.js';
import { mergeFindings, sameItem, sameVersion } from './finding-merge.js';
import { mayHaveTwin, settleTwin } from './finding-twins.js';
import { boundFinding, boundSource } from './item-bounds.js';
import { SILENT_LOGGER, type StoreLogger } from './logger.js';
import { type PagerPlan, readPage } from './partition-pager.js';
import {
  DEFAULT_PAGE_SIZE,
  type FindingsQueryOptions,
  parseFindingsQuery,
  planFindingsQuery,
} from './query-plan.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import {
  applyRollupDeltas,
  PendingRollups,
  type RollupCell,
  RollupDeltas,
  rollupCellOf,
  StoredRollupFields,
} from './rollups.js';
import { SharedRefs } from './shared-refs.js';
import { FindingsBeforeRead, findingIdPagesOfSource, removeOutdatedFindings } from './source-findings.js';
import { readSourcePage, sourceFindingItems } from './source-listing.js';
import { SourceLeaseLostError, StoreWriteError } from './store-errors.js';
import {
  DEFAULT_RETENTION_DAYS,
  findingKey,
  GSI_SORT_KEY,
  INDEX,
  type PrimaryKey,
  primaryKeyOf,
  REVISION_ATTRIBUTE,
  RollupItem,
  rollupKeyAttributes,
  rollupMonths,
  rollupPartition,
  rollupRangeBounds,
  SOURCE_ID_ATTRIBUTE,
  SOURCES_PARTITION,
  scenarioPartition,
  shardedValue,
  shardKeys,
  sourceFindingsItems,
  sourceKey,
  sourceKeyAttributes,
  stripStoreAttributes,
} from './table-design.js';
import { ensureTable } from './table-lifecycle.js';

export { DEFAULT_RETENTION_DAYS };

const SECONDS_PER_DAY = 86_400;
/** Longest rollup range one call may ask for (ten years): bounds the number of month queries. */
const MAX_ROLLUP_MONTHS = 121;
/** Finding PutItems in flight at once (each is its own request: see `putFindings`). */
const PUT_CONCURRENCY = 16;
/** Conditional re-puts of one merged finding before giving up (each lost only to another writer). */
const MAX_MERGE_ATTEMPTS = 8;
/** Prefix of a scenario's partition keys on `gsi1`, `SCENARIO#`. */
const SCENARIO_PREFIX = `${scenarioPartition('ndr').prefix.slice(0, -'ndr'.length)}`;

export interface FindingsStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /**
   * Days an item is kept, counted from the finding's own timestamp (the source's `startedAt` for
   * source records). Default 400.
   */
  retentionDays?: number;
  logger?: StoreLogger;
  /** Backoff for throttling and `UnprocessedItems`; `sleep`/`random` are injectable for tests. */
  retry?: Partial<RetryPolicy>;
  /** BatchWriteItem calls in flight at once during `putFindings` (default 4). */
  writeConcurrency?: number;
}

/** One page of results, newest first; pass `cursor` back to get the next page. */
export interface Page<T> {
  items: T[];
  cursor?: string;
}

export interface PutFindingsOptions {
  /**
   * Let the rollup counter changes of these findings wait, summed with those of other calls, until
   * the next `putSource` (an analysis writes its source records at its start, its checkpoints and
   * its end), `flushRollups()`, or `PENDING_FINDINGS_LIMIT` findings: how an analysis run's stream
   * of small batches is counted. Without it, the call applies its own changes before it returns.
   */
  deferCounters?: boolean;
  /**
   * With `deferCounters`: called with the days that findings of the call were counted under before
   * and leave now (a stored finding moved to another day by the merge, which keeps the earliest time),
   * before their change is held. A run killed before its changes are applied leaves the old day
   * counting the finding; a run that names its days for a recount (the unsettled-runs journal) names
   * these too. The put has landed by then: only a kill in that moment misses the day.
   */
  leavingDays?: (days: readonly string[]) => Promise<void>;
}

export interface ListSourcesOptions {
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface CountFindingsOptions {
  sourceId?: string;
  since?: string;
  until?: string;
}

export interface RollupRange {
  /** First day, `YYYY-MM-DD`, inclusive. */
  from: string;
  /** Last day, `YYYY-MM-DD`, inclusive. */
  to: string;
}

const ListSourcesOptions = z.object({
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().optional(),
});
const RollupRangeSchema = z.object({ from: z.iso.date(), to: z.iso.date() });
/** A stored rollup counter: atomic `ADD`s may leave it at zero, or below until the nightly repair. */
const StoredRollup = RollupItem.extend({ count: z.number().int() });

/** Turns a zod failure on caller input into an `ArgumentError` naming the field, e.g. `findings[3].timestamp`. */
function argumentError(error: z.ZodError, what: string): ArgumentError {
  const { field, message } = firstIssue(error, { prefix: what.endsWith(']') ? `${what}.` : '', whole: what });
  return new InvalidValueError(field, message);
}

/** A finding put that landed: what it replaced, and the cell of what it wrote. */
interface LandedPut {
  replaced: Item | undefined;
  cell: RollupCell;
}

/** A finding's fields but its remediation, which `putFindings` parses once per object. */
const FindingFields = Finding.omit({ remediation: true });

/** Stores findings, source records and rollups in one DynamoDB table (see table-design.ts). */
export class FindingsStore {
  public readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly retentionSeconds: number;
  private readonly logger: StoreLogger;
  private readonly policy: RetryPolicy;
  private readonly writeConcurrency: number;
  private readonly remediations: SharedRefs<Finding['remediation']>;
  private readonly contexts: SharedRefs<FindingContext>;
  /** Remediation objects already parsed (see `checkedFinding`). */
  private readonly checkedRemediations = new WeakMap<object, z.ZodSafeParseSuccess<Remediation>>();
  /** Counter changes of findings written with `deferCounters`, not applied yet. */
  private readonly pendingRollups = new PendingRollups();
  /** Sends a request with throttling retries and SDK-error translation. */
  private readonly call: DynamoCall;
  /** The table with this store's policy, for the modules beside it (batch reads, rollup counters). */
  private readonly boundTable: BoundTable;

  public constructor(options: FindingsStoreOptions) {
    const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new ConfigError(`retentionDays must be a positive whole number of days, got ${retentionDays}`);
    }
    if (options.tableName.length < 3 || options.tableName.length > 255) {
      throw new ConfigError(`table name must be 3-255 characters, got "${options.tableName}"`);
    }
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionSeconds = retentionDays * SECONDS_PER_DAY;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.writeConcurrency = options.writeConcurrency ?? 4;
    this.call = createDynamoCall(this.tableName, this.policy, this.logger);
    this.boundTable = {
      client: this.client,
      tableName: this.tableName,
      call: this.call,
      policy: this.policy,
      logger: this.logger,
    };
    this.remediations = new SharedRefs(REMEDIATION_KIND, this.boundTable);
    this.contexts = new SharedRefs(CONTEXT_KIND, this.boundTable);
  }

  /**
   * Creates the table (on-demand, all GSIs, TTL) if it does not exist and waits until it and its
   * indexes are ACTIVE. Used by the embedded engine and tests; in the cloud the CDK stack owns the
   * table. Fails with `StoreError` if an existing table lacks one of the indexes.
   */
  public async ensureTable(): Promise<void> {
    await ensureTable({
      client: this.client,
      tableName: this.tableName,
      call: this.call,
      sleep: this.policy.sleep,
      logger: this.logger,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Findings
  // -------------------------------------------------------------------------------------------

  /**
   * Writes findings idempotently: the key is the finding id (message + recipient + code), so
   * writing the same findings again, or overlapping exports, never duplicates. A finding already
   * stored by the same classifier version (or given twice in one call) is not replaced blindly: the
   * store keeps the stronger reading with what the other adds (see `mergeFindings`); one of another
   * version replaces it. Throws `ArgumentError` for a finding that fails the schema and
   * `StoreWriteError` (a `StoreError`) with the count of findings not written.
   *
   * Each finding is its own PutItem that hands back the item it replaced (`ReturnValues: ALL_OLD`,
   * which costs no read units): the rollup counters move from exactly what was there to the new
   * cell, atomically per finding. Of two writers of the same new finding at the same moment only
   * the first sees nothing replaced and counts it; the second moves it from the cell the first
   * wrote (no change). A read before a batched write could not tell them apart. Only when the put
   * replaced a different finding that the merge keeps something of is the merge put again,
   * conditionally (see `keepBetter`); its counters move the same way. A finding that may be one of
   * twins (a refusal without a recipient, or one read from a message trace or a mail log) then notes
   * its id in the marker of its message and code (a mail log's also in that of its refusal, for a
   * reading named by a stand-in), and the write that completes a pair removes the unnamed (or
   * stand-in) finding, taking it out of its counter (see finding-twins.ts): as one run over both would.
   */
  public async putFindings(
    findings: readonly Finding[],
    options: PutFindingsOptions = {},
  ): Promise<{ written: number }> {
    const remediations = new Map<string, Finding['remediation']>();
    const contexts = new Map<string, FindingContext>();
    const cells = new Map<string, RollupCell>();
    const items = new Map<string, Item>();
    const listing: Parameters<typeof sourceFindingsItems>[0][number][] = [];
    // The same refusal twice in one call is merged as it would be over a stored one.
    const byId = new Map<string, Finding>();
    // A remediation's id is the hash of the object the caller gave, not of its parsed copy.
    const remediationIds = new Map<object, string>();
    findings.forEach((finding, i) => {
      const parsed = this.checkedFinding(finding, i);
      remediationIds.set(parsed.remediation, this.remediations.idOf(finding.remediation));
      const bounded = boundFinding(parsed);
      const earlier = byId.get(bounded.id);
      byId.set(bounded.id, earlier === undefined ? bounded : mergeFindings(earlier, bounded));
    });
    for (const bounded of byId.values()) {
      const remediationId =
        remediationIds.get(bounded.remediation) ?? this.remediations.idOf(bounded.remediation);
      remediations.set(remediationId, bounded.remediation);
      const context = contextOf(bounded);
      const contextId = this.contexts.idOf(context);
      contexts.set(contextId, context);
      cells.set(bounded.id, rollupCellOf(bounded));
      const expiresAt = this.expiresAt(bounded.timestamp);
      const item = findingItem(bounded, expiresAt, { remediationId, contextId });
      items.set(bounded.id, item);
      listing.push({
        id: bounded.id,
        timestamp: bounded.timestamp,
        sourceId: bounded.source.sourceId,
        expiresAt,
      });
    }
    if (items.size === 0) return { written: 0 };
    // Shared parts and the uploads' lists first, so a reader never meets a finding whose parts are
    // not there yet (a listed finding not yet written is skipped by readers).
    const first = [
      ...this.remediations.newItems(remediations),
      ...this.contexts.newItems(contexts),
      ...sourceFindingsItems(listing),
    ];
    await this.batchPut(first);
    this.remediations.markWritten(remediations);
    this.contexts.markWritten(contexts);
    // Each put hands back what it replaced; after a failure (retries exhausted) no new put starts.
    // Every put that landed is counted, also those of a finding whose merge then failed.
    let failure: unknown;
    const landed: LandedPut[] = [];
    // Unnamed and stand-in findings folded into their twin, as they were stored.
    const removed: Item[] = [];
    let written = 0;
    await mapLimit([...items], PUT_CONCURRENCY, async ([id, item]) => {
      if (failure !== undefined) return;
      const finding = byId.get(id);
      const cell = cells.get(id);
      if (finding === undefined || cell === undefined) return;
      try {
        const replaced = await this.putReplacing(item);
        landed.push({ replaced, cell });
        if (replaced !== undefined) await this.keepBetter(finding, item, replaced, landed);
        if (mayHaveTwin(finding)) {
          removed.push(...(await settleTwin(this.boundTable, finding, this.expiresAt(finding.timestamp))));
        }
        written += 1;
      } catch (error) {
        failure ??= error;
      }
    });
    // Counters after the findings, for those written: a failure here under-counts until the nightly
    // repair, never twice.
    const previous = await this.storedCells(landed.map((put) => put.replaced));
    const deltas = new RollupDeltas();
    const left = new Set<string>();
    landed.forEach((put, i) => {
      const before = previous[i];
      deltas.move(before, put.cell);
      if (before !== undefined && before.date !== put.cell.date) left.add(before.date);
    });
    for (const cell of await this.storedCells(removed)) {
      if (cell === undefined) continue;
      deltas.remove(cell);
      left.add(cell.date);
    }
    if (options.deferCounters && left.size > 0) await options.leavingDays?.([...left]);
    if (!options.deferCounters) await applyRollupDeltas(deltas.changes(), this.boundTable);
    else if (this.pendingRollups.add(deltas, written)) await this.flushRollups();
    if (failure !== undefined) {
      const notWritten = items.size - written;
      const message = failure instanceof Error ? failure.message : String(failure);
      throw new StoreWriteError(
        `${notWritten} of ${items.size} items were not written: ${message}`,
        { notWritten, attempted: items.size },
        failure instanceof Error && failure.cause !== undefined ? failure.cause : failure,
      );
    }
    return { written: items.size };
  }

  /**
   * `finding` as the schema parses it, or an `ArgumentError` naming what is wrong. Its remediation,
   * one object the classifier shares between thousands of findings (and never changes), is parsed
   * once per object (measured on a 25 MB log, with findingItem built without copies: what
   * putFindings allocates fell from 146 to 110 MB).
   */
  private checkedFinding(finding: Finding, index: number): Finding {
    const fields = FindingFields.safeParse(finding);
    const remediation =
      this.checkedRemediations.get(finding.remediation) ?? Remediation.safeParse(finding.remediation);
    if (!fields.success || !remediation.success) {
      // The whole finding again, for the error a caller gets: the first issue, in the schema's order.
      const whole = Finding.safeParse(finding);
      if (!whole.success) throw argumentError(whole.error, `findings[${index}]`);
      return whole.data;
    }
    if (typeof finding.remediation === 'object' && finding.remediation !== null)
      this.checkedRemediations.set(finding.remediation, remediation);
    return { ...fields.data, remediation: remediation.data };
  }

  /**
   * Applies the rollup counter changes that `putFindings` calls with `deferCounters` left pending.
   * A cell whose update fails stays pending (never applied twice) and the call throws.
   */
  public flushRollups(): Promise<void> {
    return this.pendingRollups.flush(this.boundTable);
  }

  /** Puts one item; returns the item it replaced, if there was one. */
  private async putReplacing(item: Item): Promise<Item | undefined> {
    const response = await this.call('PutItem', () =>
      this.client.send(
        new PutItemCommand({ TableName: this.tableName, Item: item, ReturnValues: 'ALL_OLD' }),
      ),
    );
    return response.Attributes;
  }

  /**
   * After `item` (of `finding`) replaced `replaced`: when that was another finding of the same
   * classifier version that the merge keeps something of, puts the merge, conditional on the item
   * being the one the last put wrote (its revision). A writer that put the finding meanwhile makes
   * the condition fail: the item is read again and merged with what this writer knows, until one
   * conditional put lands or the stored finding already holds it all. Each put that lands is added
   * to `landed`, for the counters. Only here does a finding cost more than its one put.
   */
  private async keepBetter(finding: Finding, item: Item, replaced: Item, landed: LandedPut[]): Promise<void> {
    if (sameItem(replaced, item)) return;
    const stored = await this.readableFinding(replaced);
    if (stored === undefined) return;
    // The ids the items give their remediations (a parsed copy may hash otherwise).
    const remediationIds = new Map<object, string>();
    const noteRemediation = (of: Finding, from: Item) => {
      const id = sharedIdsOf(from).remediationId;
      if (id !== undefined) remediationIds.set(of.remediation, id);
    };
    noteRemediation(finding, item);
    noteRemediation(stored, replaced);
    let target = mergeFindings(stored, finding);
    // What the table holds as far as this writer knows (`undefined`: nothing).
    let holds: Item | undefined = item;
    for (let attempt = 1; ; attempt += 1) {
      if (target === finding && holds === item) return;
      const next = await this.storedItemOf(target, remediationIds.get(target.remediation));
      if (holds !== undefined && sameItem(next, holds)) return;
      const put = await this.putIfStill(next, holds);
      if (put.landed) {
        landed.push({ replaced: put.replaced, cell: rollupCellOf(target) });
        return;
      }
      if (attempt >= MAX_MERGE_ATTEMPTS) {
        throw new StoreError(
          `finding ${finding.id} kept changing while it was merged (${attempt} attempts); the last put stands`,
        );
      }
      holds = await this.getItem(findingKey(finding.id), { consistent: true });
      if (holds === undefined) continue;
      const current = await this.readableFinding(holds);
      // Put by a writer of another classifier version after this one's put: its reading stands.
      if (current === undefined || !sameVersion(current, target)) return;
      noteRemediation(current, holds);
      target = mergeFindings(current, target);
    }
  }

  /**
   * `next` put if the item is still `holds` (same revision; nothing stored when `undefined`). An
   * item put before revisions were recorded has none: no writer since this change has put it.
   */
  private async putIfStill(
    next: Item,
    holds: Item | undefined,
  ): Promise<{ landed: true; replaced: Item | undefined } | { landed: false }> {
    const revision = holds?.[REVISION_ATTRIBUTE]?.S;
    let condition: Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames'> &
      Partial<Pick<PutItemCommandInput, 'ExpressionAttributeValues'>>;
    if (holds === undefined) {
      condition = {
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      };
    } else if (revision === undefined) {
      condition = {
        ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#rv)',
        ExpressionAttributeNames: { '#pk': 'pk', '#rv': REVISION_ATTRIBUTE },
      };
    } else {
      condition = {
        ConditionExpression: '#rv = :rv',
        ExpressionAttributeNames: { '#rv': REVISION_ATTRIBUTE },
        ExpressionAttributeValues: { ':rv': { S: revision } },
      };
    }
    try {
      const response = await this.call('PutItem', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: next,
            ReturnValues: 'ALL_OLD',
            ...condition,
          }),
        ),
      );
      return { landed: true, replaced: response.Attributes };
    } catch (error) {
      if (causeName(error) === 'ConditionalCheckFailedException') return { landed: false };
      throw error;
    }
  }

  /** The item of a merged finding (already bounded), its shared parts written first. */
  private async storedItemOf(finding: Finding, knownRemediationId: string | undefined): Promise<Item> {
    const remediationId = knownRemediationId ?? this.remediations.idOf(finding.remediation);
    const context = contextOf(finding);
    const contextId = this.contexts.idOf(context);
    const remediations = new Map([[remediationId, finding.remediation]]);
    const contexts = new Map([[contextId, context]]);
    await this.batchPut([...this.remediations.newItems(remediations), ...this.contexts.newItems(contexts)]);
    this.remediations.markWritten(remediations);
    this.contexts.markWritten(contexts);
    return findingItem(finding, this.expiresAt(finding.timestamp), { remediationId, contextId });
  }

  /** A stored finding item as a finding; `undefined` for one that cannot be read as one (kept as before: replaced). */
  private async readableFinding(item: Item): Promise<Finding | undefined> {
    const { remediationId, contextId } = sharedIdsOf(item);
    const [remediations, contexts] = await Promise.all([
      this.remediations.load(remediationId === undefined ? [] : [remediationId]),
      this.contexts.load(contextId === undefined ? [] : [contextId]),
    ]);
    const remediation = remediationId === undefined ? undefined : remediations.get(remediationId);
    const context = contextId === undefined ? undefined : contexts.get(contextId);
    if (remediation === undefined || (contextId !== undefined && context === undefined)) return undefined;
    const parsed = Finding.safeParse({ ...withContext(findingData(item), context), remediation });
    return parsed.success ? parsed.data : undefined;
  }

  /** The rollup cells stored finding items were counted in, in their order (none for no item). */
  private async storedCells(items: readonly (Item | undefined)[]): Promise<(RollupCell | undefined)[]> {
    const contexts = await this.contexts.load(
      items.flatMap((item) => (item === undefined ? [] : (sharedIdsOf(item).contextId ?? []))),
    );
    return items.map((item) => {
      if (item === undefined) return undefined;
      const contextId = sharedIdsOf(item).contextId;
      const fields = withContext(
        findingData(item),
        contextId === undefined ? undefined : contexts.get(contextId),
      );
      const parsed = StoredRollupFields.safeParse(fields);
      // An item that cannot be read as a finding was never counted in a cell.
      return parsed.success ? rollupCellOf(parsed.data) : undefined;
    });
  }

  /** One finding by id, with its evidence and remediation; `undefined` when absent. */
  public async getFinding(id: string): Promise<Finding | undefined> {
    const item = await this.getItem(findingKey(id));
    return item ? (await this.toFindings([item]))[0] : undefined;
  }

  /**
   * Findings newest first, filtered by scenario, sender domain, recipient domain and/or source
   * upload, within an inclusive `since`..`until` range (ISO timestamps or `YYYY-MM-DD`). Uses the
   * most selective index and filters on the rest; with no filter it merges the scenario
   * partitions. Invalid options or cursor throw `ArgumentError`.
   */
  public async queryFindings(options: FindingsQueryOptions = {}): Promise<Page<Finding>> {
    const parsed = parseFindingsQuery(options);
    const plan = planFindingsQuery(parsed);
    const limit = parsed.limit ?? DEFAULT_PAGE_SIZE;
    if (plan.sourceId !== undefined) {
      const page = await readSourcePage(this.boundTable, plan.sourceId, plan, limit, parsed.cursor);
      return { items: await this.toFindings(page.items), ...cursorOf(page) };
    }
    const page = await readPage(this.runQuery, this.tableName, plan, limit, parsed.cursor);
    return { items: await this.toFindings(await this.itemsOf(page.items)), ...cursorOf(page) };
  }

  /**
   * Number of findings per scenario (every scenario present, zero when none), optionally for one
   * source upload and/or a time range. Without a source it issues one `Select: COUNT` Query per
   * scenario shard; with one it reads that upload's list and its findings (see source-listing.ts).
   */
  public async countFindingsByScenario(
    options: CountFindingsOptions = {},
  ): Promise<Record<ScenarioId, number>> {
    const parsed = parseFindingsQuery({
      ...(options.sourceId === undefined ? {} : { sourceId: options.sourceId }),
      ...(options.since === undefined ? {} : { since: options.since }),
      ...(options.until === undefined ? {} : { until: options.until }),
    });
    const plan = planFindingsQuery(parsed);
    const counts = Object.fromEntries(SCENARIO_IDS.map((id) => [id, 0])) as Record<ScenarioId, number>;

    if (plan.sourceId !== undefined) {
      for await (const item of sourceFindingItems(this.boundTable, plan.sourceId, plan)) {
        const scenario = ScenarioId.safeParse(shardedValue(item.gsi1pk?.S, SCENARIO_PREFIX));
        if (scenario.success) counts[scenario.data] += 1;
      }
      return counts;
    }

    const shards = SCENARIO_IDS.flatMap((scenario) =>
      shardKeys(scenarioPartition(scenario)).map((partitionKey) => ({ scenario, partitionKey })),
    );
    await Promise.all(
      shards.map(async ({ scenario, partitionKey }) => {
        const expressions = scenarioShardExpressions(partitionKey, plan);
        for await (const response of this.queryPages({
          IndexName: INDEX.byScenario,
          ...expressions,
          Select: 'COUNT',
        })) {
          counts[scenario] += response.Count ?? 0;
        }
      }),
    );
    return counts;
  }

  /**
   * The `foreign-sender-domain` findings of a time range, as `{ id, messageId, sourceId }` pages
   * (only those attributes are read, all in the index): the refusals a receipt in a later run may
   * prove to be forwarding (store/run-correlation.ts). A Query of each shard of the scenario
   * partition, never a Scan; pages come shard after shard, not in time order.
   */
  public async *foreignSenderFindingKeys(range: {
    since: string;
    until: string;
  }): AsyncGenerator<{ id: string; messageId: string; sourceId: string }[]> {
    const plan = planFindingsQuery(parseFindingsQuery({ ...range, scenario: 'foreign-sender-domain' }));
    for (const partitionKey of shardKeys(scenarioPartition('foreign-sender-domain'))) {
      const expressions = scenarioShardExpressions(partitionKey, plan);
      expressions.ExpressionAttributeNames['#id'] = 'pk';
      expressions.ExpressionAttributeNames['#messageId'] = 'messageId';
      expressions.ExpressionAttributeNames['#source'] = SOURCE_ID_ATTRIBUTE;
      const pages = this.queryPages({
        IndexName: INDEX.byScenario,
        ...expressions,
        ProjectionExpression: '#id, #messageId, #source',
      });
      for await (const response of pages) {
        yield (response.Items ?? []).flatMap((item) => {
          const id = item.pk?.S?.slice(findingKey('').pk.length);
          const messageId = item.messageId?.S;
          const sourceId = item[SOURCE_ID_ATTRIBUTE]?.S;
          if (id === undefined || messageId === undefined || sourceId === undefined) return [];
          return [{ id, messageId, sourceId }];
        });
      }
    }
  }

  /**
   * The ids of the findings stored for one source upload, page by page. The one way to enumerate
   * them: callers never name the index that holds them.
   */
  public findingIdsOfSource(sourceId: string): AsyncGenerator<string[]> {
    return findingIdPagesOfSource(this.boundTable, sourceId);
  }

  /**
   * Removes the findings of `sourceId` that a classifier version other than `version` wrote (what a
   * finished re-analysis no longer finds) and takes them out of the rollup counters.
   */
  public removeOutdatedFindings(sourceId: string, version: string): Promise<{ removed: number }> {
    return removeOutdatedFindings(this.boundTable, this.contexts, sourceId, version);
  }

  /**
   * What an earlier attempt stored of a source, taken before a new read of it from its start:
   * `existing` is the source's record before that read. None when there is nothing to take: no
   * earlier attempt, a finished one (the same read again puts the same findings again), or one
   * that goes on from a resume point (it writes what the read before it would have). With
   * `replacingVersion`, a finished read of another classifier version is taken too: a local run
   * reads the file again whole, and what the current version no longer finds (a refusal an older
   * reader gave an accepted recipient) must not stay (the cloud's re-analysis removes those by
   * version instead, `removeOutdatedFindings`). Once the read is done, `removeNotRewritten` removes
   * what it did not write again, with their counts (see {@link FindingsBeforeRead}).
   */
  public async findingsBeforeRead(
    existing: SourceRecord | undefined,
    options: { replacingVersion?: boolean } = {},
  ): Promise<FindingsBeforeRead | undefined> {
    if (existing === undefined || existing.resume !== undefined) return undefined;
    const olderVersion = (existing.classifierVersion ?? UNVERSIONED) !== CLASSIFIER_VERSION;
    if (existing.status === 'done' && !(options.replacingVersion === true && olderVersion)) return undefined;
    return FindingsBeforeRead.take(this.boundTable, this.contexts, existing.id);
  }

  // -------------------------------------------------------------------------------------------
  // Source records
  // -------------------------------------------------------------------------------------------

  /**
   * Creates or replaces the record of one analysed source (status, counts, skipped rows), after the
   * rollup counter changes pending from `putFindings` with `deferCounters` are applied. With
   * `leaseOwner` the write is fenced: it lands only while that owner still holds the record's lease
   * (see {@link claimSource}), else it throws {@link SourceLeaseLostError} and changes nothing.
   */
  public async putSource(record: SourceRecord, options: { leaseOwner?: string } = {}): Promise<void> {
    const item = this.sourceItem(record);
    // A record says how far its findings went: their counters are applied first.
    await this.flushRollups();
    const owner = options.leaseOwner;
    const fence =
      owner === undefined
        ? {}
        : {
            ConditionExpression: '#lease.#owner = :owner',
            ExpressionAttributeNames: { '#lease': 'lease', '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': { S: owner } },
          };
    const written = await this.conditionalPut('PutItem', { Item: item, ...fence });
    if (!written && owner !== undefined) throw new SourceLeaseLostError(record.id, owner);
  }

  /**
   * Takes the lease on a source before it is analysed: writes `record` (`processing`, with its
   * `lease`) only if the stored record is still the one the caller read (`previous`; `undefined`
   * for none). Of concurrent attempts that read the same state exactly one wins; the others get
   * `false` and must not analyse. A conditional write, so it holds across Lambda containers.
   */
  public async claimSource(record: SourceRecord, previous: SourceRecord | undefined): Promise<boolean> {
    if (record.status !== 'processing' || record.lease === undefined) {
      throw new ArgumentError('a claim is a processing source record with a lease');
    }
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {};
    let condition: string;
    if (previous === undefined) {
      names['#pk'] = 'pk';
      condition = 'attribute_not_exists(#pk)';
    } else if (previous.lease !== undefined) {
      // Each attempt's owner is unique: the same owner means nobody claimed it since it was read.
      Object.assign(names, { '#lease': 'lease', '#owner': 'owner' });
      values[':owner'] = { S: previous.lease.owner };
      condition = '#lease.#owner = :owner';
    } else {
      // A finished record (its lease released) or one from before leases: unchanged since read.
      Object.assign(names, { '#lease': 'lease', '#status': 'status', '#startedAt': 'startedAt' });
      values[':status'] = { S: previous.status };
      values[':startedAt'] = { S: previous.startedAt };
      condition = 'attribute_not_exists(#lease) AND #status = :status AND #startedAt = :startedAt';
    }
    return this.conditionalPut('PutItem', {
      Item: this.sourceItem(record),
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
    });
  }

  /** One source record by id; `undefined` when absent. */
  public async getSource(id: string): Promise<SourceRecord | undefined> {
    const item = await this.getItem(sourceKey(id));
    return item ? this.toSource(item) : undefined;
  }

  /** Source uploads, newest `startedAt` first, paginated with an opaque cursor. */
  public async listSources(options: ListSourcesOptions = {}): Promise<Page<SourceRecord>> {
    const parsed = ListSourcesOptions.safeParse(options);
    if (!parsed.success) throw argumentError(parsed.error, 'list options');
    const plan: PagerPlan = {
      partitions: shardKeys(SOURCES_PARTITION).map((partitionKey) => ({
        indexName: INDEX.byScenario,
        partitionKey,
        filters: [],
      })),
      filters: [],
      fingerprint: queryFingerprint('sources'),
    };
    const page = await readPage(
      this.runQuery,
      this.tableName,
      plan,
      parsed.data.limit ?? DEFAULT_PAGE_SIZE,
      parsed.data.cursor,
    );
    const items = await this.itemsOf(page.items);
    return { items: items.map((item) => this.toSource(item)), ...cursorOf(page) };
  }

  // -------------------------------------------------------------------------------------------
  // Rollups
  // -------------------------------------------------------------------------------------------

  /** Writes daily rollup rows (idempotent: a recomputed day overwrites its rows). */
  public async putRollups(items: readonly RollupItem[]): Promise<{ written: number }> {
    const raw = items.map((rollup, i) => {
      const parsed = RollupItem.safeParse(rollup);
      if (!parsed.success) throw argumentError(parsed.error, `rollups[${i}]`);
      return {
        ...marshall(parsed.data, { removeUndefinedValues: true }),
        ...rollupKeyAttributes(parsed.data),
      };
    });
    if (raw.length === 0) return { written: 0 };
    return { written: await this.batchPut(raw) };
  }

  /**
   * Rollup rows for the days `from`..`to` (inclusive), oldest day first: the cells with findings
   * (counters at zero or below, left by moved findings or a race the nightly repair has not fixed
   * yet, are left out).
   */
  public async queryRollups(range: RollupRange): Promise<RollupItem[]> {
    return (await this.queryRollupCounters(range)).filter((row) => row.count > 0);
  }

  /** Every stored rollup counter of the days `from`..`to`, as stored (zero and below included). */
  public async queryRollupCounters(range: RollupRange): Promise<RollupItem[]> {
    const parsed = RollupRangeSchema.safeParse(range);
    if (!parsed.success) throw argumentError(parsed.error, 'rollup range');
    const { from, to } = parsed.data;
    if (from > to) throw new InvalidValueError('rollup range', `from (${from}) is after to (${to})`);
    const months = rollupMonths(from, to);
    if (months.length > MAX_ROLLUP_MONTHS) {
      throw new ArgumentError(
        `rollup range too long: ${months.length} months (at most ${MAX_ROLLUP_MONTHS})`,
      );
    }
    const bounds = rollupRangeBounds(from, to);
    const result: RollupItem[] = [];
    for (const month of months) {
      const expressions = buildQueryExpressions({
        partitionAttribute: 'pk',
        partitionKey: rollupPartition(`${month}-01`),
        sortAttribute: 'sk',
        ...bounds,
      });
      await this.queryAll(expressions, (item) => {
        result.push(this.parseItem(item, StoredRollup, 'rollup'));
      });
    }
    return result;
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing
  // -------------------------------------------------------------------------------------------

  /** The TTL of an item whose finding happened at `timestamp`. */
  private expiresAt(timestamp: string): number {
    return Math.floor(Date.parse(timestamp) / 1000) + this.retentionSeconds;
  }

  /**
   * The items behind a page of index entries (the indexes project keys and filter attributes
   * only), in the page's order, by BatchGetItem. An entry whose item is gone (deleted since the
   * index was read: indexes follow the table with a delay) is left out.
   */
  private async itemsOf(entries: readonly Item[]): Promise<Item[]> {
    if (entries.length === 0) return [];
    const items = await batchGet(entries.map(primaryKeyOfItem), {
      client: this.client,
      tableName: this.tableName,
      call: this.call,
      policy: this.policy,
    });
    return entries.flatMap((entry) => {
      const item = items.get(primaryKeyOf(entry));
      return item === undefined ? [] : [item];
    });
  }

  /** Finding items → findings, joined with their shared parts (one BatchGetItem per kind and page). */
  private async toFindings(items: readonly Item[]): Promise<Finding[]> {
    const ids = items.map(sharedIdsOf);
    const [remediations, contexts] = await Promise.all([
      this.remediations.load(ids.flatMap((id) => id.remediationId ?? [])),
      this.contexts.load(ids.flatMap((id) => id.contextId ?? [])),
    ]);
    return items.map((item, i) => {
      const { remediationId, contextId } = ids[i] ?? {};
      const remediation = remediationId === undefined ? undefined : remediations.get(remediationId);
      const context = contextId === undefined ? undefined : contexts.get(contextId);
      if ((remediationId !== undefined && !remediation) || (contextId !== undefined && !context)) {
        throw new StoreError(
          `finding ${item.pk?.S ?? '?'} names ${remediation ? `context ${contextId}` : `remediation ${remediationId}`}, ` +
            `which is not in "${this.tableName}"`,
        );
      }
      return this.parseData(
        item,
        { ...withContext(findingData(item), context), remediation },
        Finding,
        'finding',
      );
    });
  }

  /** A source record as a validated, bounded item with its keys and TTL. */
  private sourceItem(record: SourceRecord): Item {
    const parsed = SourceRecord.safeParse(record);
    if (!parsed.success) throw argumentError(parsed.error, 'source record');
    const stored = boundSource(parsed.data);
    const expiresAt = Math.floor(Date.parse(stored.startedAt) / 1000) + this.retentionSeconds;
    return {
      ...marshall(stored, { removeUndefinedValues: true }),
      ...sourceKeyAttributes(stored, expiresAt),
    };
  }

  /** A PutItem that may carry a condition; `false` when the condition did not hold. */
  private async conditionalPut(
    operation: string,
    input: Omit<ConstructorParameters<typeof PutItemCommand>[0], 'TableName'>,
  ): Promise<boolean> {
    try {
      await this.call(operation, () =>
        this.client.send(new PutItemCommand({ TableName: this.tableName, ...input })),
      );
      return true;
    } catch (error) {
      if (causeName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private toSource(item: Item): SourceRecord {
    return this.parseItem(item, SourceRecord, 'source record');
  }

  /** Validates a stored item on the way out, so a corrupt or foreign item fails loudly and early. */
  private parseItem<T>(item: Item, schema: z.ZodType<T>, what: string): T {
    return this.parseData(item, unmarshall(stripStoreAttributes(item)), schema, what);
  }

  private parseData<T>(item: Item, data: unknown, schema: z.ZodType<T>, what: string): T {
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new StoreError(
        `item ${item.pk?.S ?? '?'} / ${item.sk?.S ?? '?'} in table "${this.tableName}" is not a valid ${what}`,
        { cause: parsed.error },
      );
    }
    return parsed.data;
  }

  private async getItem(key: PrimaryKey, options: { consistent?: boolean } = {}): Promise<Item | undefined> {
    const response = await this.call('GetItem', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: marshall(key),
          ...(options.consistent ? { ConsistentRead: true } : {}),
        }),
      ),
    );
    return response.Item;
  }

  private batchPut(items: readonly Item[]): Promise<number> {
    return batchPut(items, {
      client: this.client,
      tableName: this.tableName,
      policy: this.policy,
      concurrency: this.writeConcurrency,
      logger: this.logger,
    });
  }

  /** Runs a Query to exhaustion (following LastEvaluatedKey), handing each item to `visit`. */
  private async queryAll(
    input: Omit<QueryCommandInput, 'TableName'>,
    visit: (item: Item) => void,
  ): Promise<void> {
    for await (const response of this.queryPages(input)) for (const item of response.Items ?? []) visit(item);
  }

  /** The responses of a Query, page after page, following LastEvaluatedKey to the end. */
  private async *queryPages(input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<QueryCommandOutput> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const response = await this.runQuery({
        ...input,
        TableName: this.tableName,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      yield response;
      startKey = response.LastEvaluatedKey;
    } while (startKey);
  }

  private readonly runQuery = (input: QueryCommandInput) =>
    this.call('Query', () => this.client.send(new QueryCommand(input)));
}

/** The expressions of a Query of one scenario shard on `gsi1` within the plan's time range. */
function scenarioShardExpressions(partitionKey: string, plan: { lower?: string; upper?: string }) {
  return buildQueryExpressions({
    partitionAttribute: 'gsi1pk',
    partitionKey,
    sortAttribute: GSI_SORT_KEY,
    lower: plan.lower,
    upper: plan.upper,
  });
}

function cursorOf(page: { cursor?: string }): { cursor?: string } {
  return page.cursor === undefined ? {} : { cursor: page.cursor };
}
