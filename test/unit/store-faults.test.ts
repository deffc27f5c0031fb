/**
 * Faults a real engine cannot produce on demand (partial batch writes, throttling), simulated
 * with aws-sdk-client-mock. Everything else is tested against dynalite in test/integration.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../functions/core/kernel/errors.js';
import { FindingsStore, StoreWriteError } from '../../functions/store/index.js';
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

/** True for the batch of shared parts (remediation texts, contexts) the store writes before the findings. */
function isRemediationBatch(input: BatchWriteItemCommandInput): boolean {
  return putItems(input).every((item) => /^(REMEDIATION|CONTEXT)#/.test(item.pk?.S ?? ''));
}

/** Calls that wrote findings (shared-part batches pass straight through in these tests). */
function findingCalls(mock: ReturnType<typeof mockClient>) {
  return mock
    .commandCalls(BatchWriteItemCommand)
    .filter((c) => !isRemediationBatch(c.args[0].input as BatchWriteItemCommandInput));
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
    // The rollup counters' look-up finds nothing stored before, and their updates succeed.
    mock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
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
    const findings = makeFindingsSeries(10, '2026-11-28T00:00:00.000Z');
    const written = new Set<string>();
    let call = 0;
    mock.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) => {
      if (isRemediationBatch(input)) return { UnprocessedItems: {} };
      call += 1;
      const items = putItems(input);
      const left = call === 1 ? items.slice(4) : call === 2 ? items.slice(3) : [];
      for (const item of items.slice(0, items.length - left.length)) written.add(item.pk?.S ?? '');
      return left.length > 0 ? unprocessed(left) : { UnprocessedItems: {} };
    });

    // Act
    const result = await store.putFindings(findings);

    // Assess
    const calls = findingCalls(mock);
    expect(calls.map((c) => putItems(c.args[0].input as BatchWriteItemCommandInput).length)).toEqual([
      10, 6, 3,
    ]);
    expect(written.size).toBe(10);
    expect(result.written).toBe(10);
    expect(sleeps).toEqual([50, 100]); // 0.5 × 100 ms, then 0.5 × 200 ms
  });

  it('throws StoreWriteError naming how many items were not written when UnprocessedItems never clears', async () => {
    // Prepare: 30 findings = 2 batches; DynamoDB keeps returning the first 3 items of every request.
    const findings = makeFindingsSeries(30, '2026-11-28T00:00:00.000Z');
    mock.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) => {
      if (isRemediationBatch(input)) return { UnprocessedItems: {} };
      return unprocessed(putItems(input).slice(0, 3));
    });

    // Act
    const error = await store.putFindings(findings).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toBeInstanceOf(StoreWriteError);
    expect((error as StoreWriteError).notWritten).toBe(6);
    expect((error as StoreWriteError).message).toMatch(/^6 of 30 items were not written/);
    expect(findingCalls(mock)).toHaveLength(8); // 2 batches × 4 attempts
  });

  it('retries ProvisionedThroughputExceededException, then succeeds', async () => {
    // Prepare
    const findings = makeFindingsSeries(3, '2026-11-28T00:00:00.000Z');
    let failures = 2;
    mock.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) => {
      if (isRemediationBatch(input)) return { UnprocessedItems: {} };
      if (failures-- > 0) throw throttled();
      return { UnprocessedItems: {} };
    });

    // Act
    const result = await store.putFindings(findings);

    // Assess
    expect(result.written).toBe(3);
    expect(findingCalls(mock)).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('gives up on endless throttling with StoreWriteError carrying the SDK error as cause', async () => {
    // Prepare
    mock.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) => {
      if (isRemediationBatch(input)) return { UnprocessedItems: {} };
      throw throttled();
    });

    // Act
    const error = await store
      .putFindings(makeFindingsSeries(2, '2026-11-28T00:00:00.000Z'))
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StoreWriteError);
    expect((error as StoreWriteError).notWritten).toBe(2);
    expect((error as Error).cause).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(findingCalls(mock)).toHaveLength(4);
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
