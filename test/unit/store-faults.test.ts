/**
 * Faults a real engine cannot produce on demand (partial batch writes, throttling), simulated
 * with aws-sdk-client-mock. Everything else is tested against dynalite in test/integration.
 * Findings are written one PutItem each (see `putFindings`); batch writes carry their shared parts
 * and upload lists, and rollup rows (`putRollups`), the batch writer's faults are shown on those.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../functions/core/kernel/errors.js';
import { FindingsStore, StoreWriteError } from '../../functions/store/index.js';
import type { RollupItem } from '../../functions/store/table-design.js';
import { makeFindingsSeries } from '../support/make-finding.js';

const TABLE = 'faults-table';
type Item = Record<string, AttributeValue>;

function throttled(): ProvisionedThroughputExceededException {
  return new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} });
}

function putItems(input: BatchWriteItemCommandInput): Item[] {
  return (input.RequestItems?.[TABLE] ?? []).flatMap((request) =>
    request.PutRequest?.Item ? [request.PutRequest.Item] : [],
  );
}

/** `count` rollup rows, one per day. */
function rollups(count: number): RollupItem[] {
  return Array.from({ length: count }, (_, i) => ({
    date: new Date(Date.UTC(2026, 10, 1) + i * 86_400_000).toISOString().slice(0, 10),
    scenario: 'ndr' as const,
    senderDomain: 'contoso.com',
    server: 'EX01',
    count: i + 1,
  }));
}

function unprocessed(items: readonly Item[]) {
  return { UnprocessedItems: { [TABLE]: items.map((Item) => ({ PutRequest: { Item } })) } };
}

describe('FindingsStore faults', () => {
  const client = new DynamoDBClient({
    region: 'local',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const mock = mockClient(client);
  let sleeps: number[];
  let store: FindingsStore;

  beforeEach(() => {
    mock.reset();
    // Shared parts and lists are written, each put replaces nothing, counter updates succeed.
    mock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    mock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
    mock.on(PutItemCommand).resolves({});
    mock.on(UpdateItemCommand).resolves({});
    sleeps = [];
    store = new FindingsStore({
      client,
      tableName: TABLE,
      // Injected sleep: records the backoff instead of waiting; random 0.5 makes delays predictable.
      retry: {
        maxAttempts: 4,
        baseDelayMs: 100,
        maxDelayMs: 1_000,
        sleep: async (ms) => void sleeps.push(ms),
        random: () => 0.5,
      },
    });
  });

  afterEach(() => {
    mock.reset();
  });

  it('retries UnprocessedItems with growing backoff until every item is written', async () => {
    // Prepare: the first two calls leave part of the batch unprocessed, the third takes the rest.
    const written = new Set<string>();
    let call = 0;
    mock.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) => {
      call += 1;
      const items = putItems(input);
      const left = call === 1 ? items.slice(4) : call === 2 ? items.slice(3) : [];
      for (const item of items.slice(0, items.length - left.length)) written.add(item.sk?.S ?? '');
      return left.length > 0 ? unprocessed(left) : { UnprocessedItems: {} };
    });

    // Act
    const result = await store.putRollups(rollups(10));

    // Assess
    const calls = mock.commandCalls(BatchWriteItemCommand);
    expect(calls.map((c) => putItems(c.args[0].input as BatchWriteItemCommandInput).length)).toEqual([
      10, 6, 3,
    ]);
    expect(written.size).toBe(10);
    expect(result.written).toBe(10);
    expect(sleeps).toEqual([50, 100]); // 0.5 × 100 ms, then 0.5 × 200 ms
  });

  it('throws StoreWriteError naming how many items were not written when UnprocessedItems never clears', async () => {
    // Prepare: 30 rows = 2 batches; DynamoDB keeps returning the first 3 items of every request.
    mock
      .on(BatchWriteItemCommand)
      .callsFake((input: BatchWriteItemCommandInput) => unprocessed(putItems(input).slice(0, 3)));

    // Act
    const error = await store.putRollups(rollups(30)).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toBeInstanceOf(StoreWriteError);
    expect((error as StoreWriteError).notWritten).toBe(6);
    expect((error as StoreWriteError).message).toMatch(/^6 of 30 items were not written/);
    expect(mock.commandCalls(BatchWriteItemCommand)).toHaveLength(8); // 2 batches × 4 attempts
  });

  it('retries a throttled finding put, then succeeds and counts the finding', async () => {
    // Prepare
    const [finding] = makeFindingsSeries(1, '2026-11-28T00:00:00.000Z');
    if (!finding) throw new Error('no finding');
    let failures = 2;
    mock.on(PutItemCommand).callsFake(() => {
      if (failures-- > 0) throw throttled();
      return {};
    });

    // Act
    const result = await store.putFindings([finding]);

    // Assess
    expect(result.written).toBe(1);
    expect(mock.commandCalls(PutItemCommand)).toHaveLength(3);
    expect(mock.commandCalls(PutItemCommand)[0]?.args[0].input.ReturnValues).toBe('ALL_OLD');
    expect(sleeps).toEqual([50, 100]);
    expect(mock.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('gives up on endless throttling with StoreWriteError carrying the SDK error as cause', async () => {
    // Prepare: one finding's puts always throttled, the others' succeed
    const findings = makeFindingsSeries(3, '2026-11-28T00:00:00.000Z');
    const stuck = `FINDING#${findings[1]?.id}`;
    mock.on(PutItemCommand).callsFake((input: { Item?: Item }) => {
      if (input.Item?.pk?.S === stuck) throw throttled();
      return {};
    });

    // Act
    const error = await store.putFindings(findings).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StoreWriteError);
    expect((error as StoreWriteError).notWritten).toBe(1);
    expect((error as StoreWriteError).message).toMatch(/^1 of 3 items were not written/);
    expect((error as Error).cause).toBeInstanceOf(ProvisionedThroughputExceededException);
    const stuckCalls = mock.commandCalls(PutItemCommand).filter((c) => c.args[0].input.Item?.pk?.S === stuck);
    expect(stuckCalls).toHaveLength(4);
    // The two written findings are counted; the one not written is not.
    const added = mock
      .commandCalls(UpdateItemCommand)
      .reduce((sum, c) => sum + Number(c.args[0].input.ExpressionAttributeValues?.[':n']?.N ?? 0), 0);
    expect(added).toBe(2);
  });

  it('retries a throttled read, and does not retry a request DynamoDB rejects as invalid', async () => {
    // Prepare
    mock.on(GetItemCommand).rejectsOnce(throttled()).resolves({});
    const invalid = Object.assign(new Error('One or more parameter values were invalid'), {
      name: 'ValidationException',
    });

    // Act
    const missing = await store.getFinding('abc');
    mock.on(GetItemCommand).rejects(invalid);
    const error = await store.getFinding('abc').catch((e: unknown) => e);

    // Assess
    expect(missing).toBeUndefined();
    expect(sleeps).toEqual([50]);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).cause).toBe(invalid);
    expect((error as StoreError).message).toMatch(
      /GetItem on table "faults-table" failed: ValidationException/,
    );
    expect(mock.commandCalls(GetItemCommand)).toHaveLength(3);
  });
});
