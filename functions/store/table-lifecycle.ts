/**
 * Creating the findings table where nothing else does (embedded engine, tests, a fresh remote
 * table): create from `TABLE_DEFINITION`, wait until usable, enable TTL, and check the shape of a
 * table that already exists so a wrong table fails now with a clear message, not on first query.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { StoreError } from '../core/kernel/errors.js';
import { causeName, type DynamoCall } from './dynamo-call.js';
import type { StoreLogger } from './logger.js';
import type { Sleep } from './retry.js';
import { toStoreError } from './store-errors.js';
import {
  createTableInput,
  type IndexDefinition,
  projectionInput,
  TABLE_DEFINITION,
  TTL_ATTRIBUTE,
} from './table-design.js';

export interface TableContext {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly call: DynamoCall;
  readonly sleep: Sleep;
  readonly logger: StoreLogger;
}

/** How long to wait for a new table (DynamoDB usually needs seconds, dynalite none). */
const ACTIVE_TIMEOUT_MS = 5 * 60_000;

function isActive(table: TableDescription): boolean {
  return (
    table.TableStatus === 'ACTIVE' &&
    (table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE')
  );
}

async function describeTable(ctx: TableContext): Promise<TableDescription | undefined> {
  try {
    const response = await ctx.call('DescribeTable', () =>
      ctx.client.send(new DescribeTableCommand({ TableName: ctx.tableName })),
    );
    return response.Table;
  } catch (error) {
    if (causeName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function waitUntilActive(ctx: TableContext): Promise<TableDescription> {
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    const table = await describeTable(ctx);
    if (table && isActive(table)) return table;
    if (Date.now() > deadline) {
      throw new StoreError(`table "${ctx.tableName}" did not become ACTIVE within 5 minutes`);
    }
    await ctx.sleep(delay);
  }
}

async function enableTimeToLive(ctx: TableContext): Promise<void> {
  try {
    await ctx.client.send(
      new UpdateTimeToLiveCommand({
        TableName: ctx.tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite does not implement TTL (UnknownOperationException): locally nothing expires,
    // which is acceptable for a laptop audit. Anything else is a real failure.
    if (error instanceof Error && error.name === 'UnknownOperationException') {
      ctx.logger.debug?.('TTL not supported by this engine; items will not expire', { table: ctx.tableName });
      return;
    }
    throw toStoreError('UpdateTimeToLive', ctx.tableName, error);
  }
}

/**
 * Creates the table if it is missing (on-demand, all GSIs, then TTL) and waits until it and its
 * indexes are ACTIVE. Throws `StoreError` if an existing table lacks one of the indexes.
 */
export async function ensureTable(ctx: TableContext): Promise<void> {
  let table = await describeTable(ctx);
  if (!table) {
    try {
      await ctx.call('CreateTable', () =>
        ctx.client.send(new CreateTableCommand(createTableInput(ctx.tableName))),
      );
    } catch (error) {
      // Another process created it between our DescribeTable and CreateTable: fine, wait for it.
      if (causeName(error) !== 'ResourceInUseException') throw error;
    }
    table = await waitUntilActive(ctx);
    await enableTimeToLive(ctx);
  } else if (!isActive(table)) {
    table = await waitUntilActive(ctx);
  }
  const present = new Map((table.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, index]));
  const missing = TABLE_DEFINITION.globalSecondaryIndexes.filter((index) => !present.has(index.indexName));
  if (missing.length > 0) {
    throw new StoreError(
      `table "${ctx.tableName}" exists but lacks index(es) ${missing.map((i) => i.indexName).join(', ')}; ` +
        'it was not created by relay-audit (or by an older version): use another table name or recreate it',
    );
  }
  // An index this design does not have (a `bySource` index of the design before) also means the
  // items were keyed for another design.
  const defined = new Set<string>(TABLE_DEFINITION.globalSecondaryIndexes.map((index) => index.indexName));
  const changed = [
    ...TABLE_DEFINITION.globalSecondaryIndexes.flatMap((index) => {
      const found = present.get(index.indexName);
      return found === undefined || sameIndex(index, found) ? [] : [index.indexName];
    }),
    ...[...present.keys()].flatMap((name) => (name === undefined || defined.has(name) ? [] : [name])),
  ];
  if (changed.length > 0) {
    throw new StoreError(
      `table "${ctx.tableName}" was written by an earlier relay-audit: its index(es) ${changed.join(', ')} ` +
        'have the keys or projections of an earlier table design, which this version does not read. ' +
        'Analyse the logs again into a new store (README, "Upgrading the store"): the findings keep their ids',
    );
  }
}

/** True when an existing index has the key schema and projection `index` defines. */
function sameIndex(
  index: IndexDefinition,
  found: NonNullable<TableDescription['GlobalSecondaryIndexes']>[number],
): boolean {
  const keys = (found.KeySchema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(',');
  const expected = projectionInput(index.projection);
  const attributes = (list: readonly string[] | undefined) => [...(list ?? [])].sort().join(',');
  return (
    keys === `${index.partitionKey.name}:HASH,${index.sortKey.name}:RANGE` &&
    found.Projection?.ProjectionType === expected.ProjectionType &&
    attributes(found.Projection?.NonKeyAttributes) === attributes(expected.NonKeyAttributes)
  );
}
