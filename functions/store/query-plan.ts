/**
 * Turns a findings query (filters + time range) into a plan: which index partitions to Query and
 * which equality filters to apply on top. Pure, so the choice of index is unit-testable.
 */
import { z } from 'zod';
import { SCENARIO_IDS, ScenarioId } from '../core/analysis/model/findings.js';
import { InvalidValueError } from '../core/kernel/errors.js';
import { firstIssue } from '../core/kernel/issues.js';
import { queryFingerprint } from './cursor.js';
import {
  INDEX,
  type IndexName,
  recipientDomainPartition,
  type ShardedPartition,
  scenarioPartition,
  senderDomainPartition,
  shardKeys,
  timeRangeBounds,
} from './table-design.js';

/** Default and maximum page sizes for `queryFindings`. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** An ISO timestamp (any offset), or a bare `YYYY-MM-DD` day: `--since`/`--until` and the API's `since`/`until`. */
export const TimeBound = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is neither a day such as 2026-11-20 nor an ISO 8601 time such as ` +
    '2026-11-20T08:00:00Z',
});

export const FindingsQueryOptions = z.object({
  scenario: ScenarioId.optional(),
  senderDomain: z.string().trim().min(1).optional(),
  recipientDomain: z.string().trim().min(1).optional(),
  sourceId: z.string().min(1).optional(),
  /** Inclusive lower bound. A bare day means its first millisecond (UTC). */
  since: TimeBound.optional(),
  /** Inclusive upper bound. A bare day means its last millisecond (UTC), i.e. the whole day. */
  until: TimeBound.optional(),
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  cursor: z.string().optional(),
});
export type FindingsQueryOptions = z.input<typeof FindingsQueryOptions>;

/** One index partition to Query. */
export interface PartitionQuery {
  readonly indexName: IndexName;
  readonly partitionKey: string;
}

/**
 * A condition on another index's partition attribute (a FilterExpression `begins_with`): the
 * attribute is in the filter's partition, whichever shard (`value` is `<prefix>#`).
 */
export interface PartitionFilter {
  readonly attribute: string;
  readonly value: string;
}

export interface FindingsQueryPlan {
  /**
   * Index partitions (every shard) to Query and merge newest first; empty when `sourceId` is set:
   * then the upload's list of findings is read instead (see source-findings.ts).
   */
  readonly partitions: readonly PartitionQuery[];
  /** The upload whose findings are asked for: its list is read, the filters apply to its items. */
  readonly sourceId?: string;
  readonly filters: readonly PartitionFilter[];
  /** Inclusive sort-key bounds (see `timeRangeBounds`). */
  readonly lower?: string;
  readonly upper?: string;
  /** Identifies this query for cursor validation. */
  readonly fingerprint: string;
}

function dayStart(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value;
}

function dayEnd(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59.999Z` : value;
}

/**
 * Parses query options, throwing `ArgumentError` with the offending field when they are invalid
 * (they come from CLI flags and API query strings).
 */
export function parseFindingsQuery(options: FindingsQueryOptions): z.output<typeof FindingsQueryOptions> {
  const parsed = FindingsQueryOptions.safeParse(options);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error, { whole: 'query' });
    throw new InvalidValueError(field, message);
  }
  return parsed.data;
}

/**
 * Chooses how to read a findings query. A source upload is the narrowest set: its own list of
 * findings is read and every other option is checked on its items. Otherwise the most selective
 * index wins and the others become filters: a recipient domain (relay failures fan out to many
 * external domains), then a sender domain (an organisation has few accepted domains), then a
 * scenario (five partitions hold everything). With no filter, every shard of every scenario
 * partition is queried and merged, which still needs no Scan.
 */
export function planFindingsQuery(options: z.output<typeof FindingsQueryOptions>): FindingsQueryPlan {
  const candidates: Array<{ indexName: IndexName; partition: ShardedPartition } | undefined> = [
    options.recipientDomain === undefined
      ? undefined
      : { indexName: INDEX.byRecipientDomain, partition: recipientDomainPartition(options.recipientDomain) },
    options.senderDomain === undefined
      ? undefined
      : { indexName: INDEX.bySenderDomain, partition: senderDomainPartition(options.senderDomain) },
    options.scenario === undefined
      ? undefined
      : { indexName: INDEX.byScenario, partition: scenarioPartition(options.scenario) },
  ];
  const selected = candidates.filter((candidate) => candidate !== undefined);
  // With a source every condition is a filter; without, the first (most selective) is the index.
  const [primary, ...rest] = options.sourceId === undefined ? selected : [undefined, ...selected];
  const chosen = primary
    ? [primary]
    : options.sourceId === undefined
      ? SCENARIO_IDS.map((scenario) => ({
          indexName: INDEX.byScenario,
          partition: scenarioPartition(scenario),
        }))
      : [];
  const partitions = chosen.flatMap(({ indexName, partition }) =>
    shardKeys(partition).map((partitionKey) => ({ indexName, partitionKey })),
  );
  // A filter compares against the *other* index's partition attribute, which holds the same
  // normalised value the key builders produce (e.g. lower-cased domain), in any shard.
  const filters = rest.flatMap((part) =>
    part === undefined ? [] : [{ attribute: `${part.indexName}pk`, value: `${part.partition.prefix}#` }],
  );

  const range: { since?: string; until?: string } = {};
  if (options.since !== undefined) range.since = dayStart(options.since);
  if (options.until !== undefined) range.until = dayEnd(options.until);
  const { lower, upper } = timeRangeBounds(range);
  if (lower !== undefined && upper !== undefined && lower > upper) {
    throw new InvalidValueError('time range', `since (${options.since}) is after until (${options.until})`);
  }
  const sourceId = options.sourceId;
  const fingerprint = queryFingerprint({ partitions, sourceId, filters, lower, upper });
  return {
    partitions,
    filters,
    fingerprint,
    ...(sourceId === undefined ? {} : { sourceId }),
    ...(lower === undefined ? {} : { lower }),
    ...(upper === undefined ? {} : { upper }),
  };
}
