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
  normaliseDomain,
  recipientDomainPartition,
  SENDER_DOMAIN_ATTRIBUTE,
  SENDER_FILTERED_SCENARIOS,
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

/**
 * A condition on one attribute of a finding item or index entry: it begins with `prefix` (the
 * partition of another index, whichever shard) or equals `equals`.
 */
export type Condition =
  | { readonly attribute: string; readonly prefix: string }
  | { readonly attribute: string; readonly equals: string };

/** A filter holds when any of its conditions does (a FilterExpression `… OR …`). */
export type PartitionFilter = readonly Condition[];

/** One index partition to Query, with the filters DynamoDB applies on it. */
export interface PartitionQuery {
  readonly indexName: IndexName;
  readonly partitionKey: string;
  readonly filters: readonly PartitionFilter[];
}

export interface FindingsQueryPlan {
  /**
   * Index partitions (every shard) to Query and merge newest first; empty when `sourceId` is set:
   * then the upload's list of findings is read instead (see source-listing.ts).
   */
  readonly partitions: readonly PartitionQuery[];
  /** The upload whose findings are asked for: its list is read, `filters` checked on its items. */
  readonly sourceId?: string;
  /** What every result meets besides the time range (each filter of the query). */
  readonly filters: readonly PartitionFilter[];
  /** Inclusive sort-key bounds (see `timeRangeBounds`). */
  readonly lower?: string;
  readonly upper?: string;
  /** Identifies this query for cursor validation. */
  readonly fingerprint: string;
}

/** True when `item` meets `filter` (the in-memory form of its FilterExpression). */
export function meets(item: Record<string, { S?: string } | undefined>, filter: PartitionFilter): boolean {
  return filter.some((condition) => {
    const value = item[condition.attribute]?.S;
    if (value === undefined) return false;
    return 'prefix' in condition ? value.startsWith(condition.prefix) : value === condition.equals;
  });
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

/** Every shard of `partition` on `indexName`, each with `filters`. */
function shardsOf(
  indexName: IndexName,
  partition: ShardedPartition,
  filters: readonly PartitionFilter[],
): PartitionQuery[] {
  return shardKeys(partition).map((partitionKey) => ({ indexName, partitionKey, filters }));
}

function scenarioFilter(scenario: ScenarioId): PartitionFilter {
  return [{ attribute: `${INDEX.byScenario}pk`, prefix: `${scenarioPartition(scenario).prefix}#` }];
}

/** A sender domain is in `gsi2pk`, or in `sd` for the scenarios left out of `gsi2`. */
function senderFilter(domain: string): PartitionFilter {
  return [
    { attribute: `${INDEX.bySenderDomain}pk`, prefix: `${senderDomainPartition(domain).prefix}#` },
    { attribute: SENDER_DOMAIN_ATTRIBUTE, equals: normaliseDomain(domain) },
  ];
}

/**
 * The partitions of a query by sender domain: the domain's `gsi2` shards, and the scenario shards
 * of the `SENDER_FILTERED_SCENARIOS` (left out of `gsi2`) filtered on the domain; with a scenario,
 * only the side that holds it.
 */
function senderPartitions(domain: string, scenario: ScenarioId | undefined): PartitionQuery[] {
  const filtered = SENDER_FILTERED_SCENARIOS.filter((s) => scenario === undefined || s === scenario);
  const indexed =
    scenario !== undefined && filtered.length > 0
      ? []
      : shardsOf(
          INDEX.bySenderDomain,
          senderDomainPartition(domain),
          scenario ? [scenarioFilter(scenario)] : [],
        );
  const bySender = [[{ attribute: SENDER_DOMAIN_ATTRIBUTE, equals: normaliseDomain(domain) }]];
  return [...indexed, ...filtered.flatMap((s) => shardsOf(INDEX.byScenario, scenarioPartition(s), bySender))];
}

/**
 * Chooses how to read a findings query. A source upload is the narrowest set: its own list of
 * findings is read and every other option is checked on its items. Otherwise the most selective
 * index wins and the others become filters: a recipient domain (relay failures fan out to many
 * external domains), then a sender domain (an organisation has few accepted domains; see
 * `senderPartitions`), then a scenario (five partitions hold everything). With no filter, every
 * shard of every scenario partition is queried and merged, which still needs no Scan.
 */
export function planFindingsQuery(options: z.output<typeof FindingsQueryOptions>): FindingsQueryPlan {
  const { scenario, senderDomain, recipientDomain, sourceId } = options;
  const recipient: PartitionFilter | undefined =
    recipientDomain === undefined
      ? undefined
      : [
          {
            attribute: `${INDEX.byRecipientDomain}pk`,
            prefix: `${recipientDomainPartition(recipientDomain).prefix}#`,
          },
        ];
  const sender = senderDomain === undefined ? undefined : senderFilter(senderDomain);
  const byScenario = scenario === undefined ? undefined : scenarioFilter(scenario);
  const filters = [recipient, sender, byScenario].filter((filter) => filter !== undefined);

  let partitions: PartitionQuery[];
  if (sourceId !== undefined) partitions = [];
  else if (recipientDomain !== undefined) {
    const rest = [sender, byScenario].filter((filter) => filter !== undefined);
    partitions = shardsOf(INDEX.byRecipientDomain, recipientDomainPartition(recipientDomain), rest);
  } else if (senderDomain !== undefined) partitions = senderPartitions(senderDomain, scenario);
  else {
    const scenarios = scenario === undefined ? SCENARIO_IDS : [scenario];
    partitions = scenarios.flatMap((s) => shardsOf(INDEX.byScenario, scenarioPartition(s), []));
  }

  const range: { since?: string; until?: string } = {};
  if (options.since !== undefined) range.since = dayStart(options.since);
  if (options.until !== undefined) range.until = dayEnd(options.until);
  const { lower, upper } = timeRangeBounds(range);
  if (lower !== undefined && upper !== undefined && lower > upper) {
    throw new InvalidValueError('time range', `since (${options.since}) is after until (${options.until})`);
  }
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
