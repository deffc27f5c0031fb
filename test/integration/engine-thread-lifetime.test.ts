/**
 * The embedded engine's thread over a long life: its reads give back what they hold (a Query or a
 * Scan leaves no LevelDB iterator open once answered), and when the thread dies the next request
 * starts a new one on the same directory, with what was written before.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineThread } from '../../functions/store/engine-thread-client.js';
import { createTableInput } from '../../functions/store/table-design.js';

const TABLE = 'lifetime';

/** A client of `thread` through its direct transport, as the embedded store connects one. */
function clientOf(thread: EngineThread): DynamoDBClient {
  const client = new DynamoDBClient({
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: 'http://embedded.relay-audit.invalid',
    requestHandler: thread.requestHandler,
  });
  thread.attach(client, dynamodb);
  return client;
}

/** The engine's thread, to end it as its heap's cap or a crash would. */
function workerOf(thread: EngineThread): Worker {
  return (thread as unknown as { worker: Worker }).worker;
}

async function createTable(client: DynamoDBClient): Promise<void> {
  await client.send(new CreateTableCommand(createTableInput(TABLE)));
  // Even with createTableMs: 0 the engine marks the table ACTIVE after it answers (a timer, then a
  // write): a request right after CreateTable may find it CREATING, so wait as the store does.
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('embedded engine thread over time', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-audit-engine-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('closes the LevelDB iterator of every Query and Scan, cut short by Limit or read to the end', async () => {
    // Prepare: a store on disk (the engine's heap capped, as for the CLI) with 2,400 index entries
    // in 40 partitions, as findings are sharded.
    const thread = new EngineThread({ path: dir });
    const client = clientOf(thread);
    const partitions = 40;
    try {
      await createTable(client);
      const items = Array.from({ length: 2400 }, (_, i) => ({
        pk: { S: `FINDING#${i}` },
        sk: { S: 'FINDING' },
        gsi1pk: { S: `SCENARIO#ndr#${i % partitions}` },
        gsisk: { S: `2026-11-27T00:00:${String(i % 60).padStart(2, '0')}.000Z#${i}` },
        messageId: { S: `<${i}@example.com>` },
        body: { S: 'x'.repeat(400) },
      }));
      for (let i = 0; i < items.length; i += 25)
        await client.send(
          new BatchWriteItemCommand({
            RequestItems: { [TABLE]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
          }),
        );
      const before = await thread.stats();

      // Act: 100 pages of 40 limited Queries in parallel (one per partition, newest first, as the
      // partition pager reads a page), then reads that run to the end of their range, and Scans.
      let read = 0;
      for (let page = 0; page < 100; page += 1) {
        const answers = await Promise.all(
          Array.from({ length: partitions }, (_, p) =>
            client.send(
              new QueryCommand({
                TableName: TABLE,
                IndexName: 'gsi1',
                KeyConditionExpression: 'gsi1pk = :p',
                ExpressionAttributeValues: { ':p': { S: `SCENARIO#ndr#${p}` } },
                ScanIndexForward: false,
                Limit: 6,
              }),
            ),
          ),
        );
        read += answers.reduce((sum, answer) => sum + (answer.Items?.length ?? 0), 0);
      }
      for (let p = 0; p < partitions; p += 1) {
        const all = await client.send(
          new QueryCommand({
            TableName: TABLE,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :p',
            ExpressionAttributeValues: { ':p': { S: `SCENARIO#ndr#${p}` } },
          }),
        );
        read += all.Items?.length ?? 0;
      }
      for (let s = 0; s < 20; s += 1) {
        const scanned = await client.send(new ScanCommand({ TableName: TABLE, Limit: 50 }));
        read += scanned.Items?.length ?? 0;
      }
      const after = await thread.stats();

      // Assess: 4,060 reads answered; without closing, each would have left two iterators open
      // (8,120), each holding its buffered entries and a LevelDB iterator until the engine closed.
      expect(read).toBe(100 * partitions * 6 + 2400 + 20 * 50);
      expect(before.openIterators).toBe(0);
      // At most those of the last reads, still closing as their answers left.
      expect(after.openIterators).toBeLessThanOrEqual(2 * partitions);
    } finally {
      client.destroy();
      await thread.close();
    }
  });

  it('starts a new engine on the next request once the thread died, with what was written before', async () => {
    // Prepare
    const thread = new EngineThread({ path: dir });
    const client = clientOf(thread);
    const key = { pk: { S: 'FINDING#1' }, sk: { S: 'FINDING' } };
    try {
      await createTable(client);
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, n: { N: '1' } } }));

      // Act: the thread ends (as when its heap reaches its cap), then requests come.
      await workerOf(thread).terminate();
      const next = await client.send(new GetItemCommand({ TableName: TABLE, Key: key }));
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, n: { N: '2' } } }));
      await workerOf(thread).terminate();
      const again = await client.send(new GetItemCommand({ TableName: TABLE, Key: key }));

      // Assess: each time, the next request is answered, from the same database.
      expect(next.Item).toEqual({ ...key, n: { N: '1' } });
      expect(again.Item).toEqual({ ...key, n: { N: '2' } });
      expect((await thread.stats()).openIterators).toBe(0);
    } finally {
      client.destroy();
      await thread.close();
    }
  });

  it('fails every request, saying why, when a new engine dies before answering or the data was in memory', async () => {
    // Prepare
    const onDisk = new EngineThread({ path: dir });
    const inMemory = new EngineThread({});
    const clients = [clientOf(onDisk), clientOf(inMemory)];
    const get = (client: DynamoDBClient) =>
      client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'x' }, sk: { S: 'y' } } })).then(
        () => 'answered',
        (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`,
      );
    try {
      await Promise.all(clients.map(createTable));

      // Act: on disk, the engine dies; the request that starts a new one sees it die at once too.
      await workerOf(onDisk).terminate();
      const starting = get(clients[0] as DynamoDBClient);
      await workerOf(onDisk).terminate();
      const diskAnswers = [await starting, await get(clients[0] as DynamoDBClient)];
      // In memory, the engine dies with the data.
      await workerOf(inMemory).terminate();
      const memoryAnswers = [
        await get(clients[1] as DynamoDBClient),
        await get(clients[1] as DynamoDBClient),
      ];

      // Assess: no engine started over and over, and no answer from an empty store.
      expect(diskAnswers).toEqual([
        expect.stringMatching(/^StoreError: .*did not answer since it started; restart relay-audit/),
        diskAnswers[0],
      ]);
      expect(memoryAnswers).toEqual([
        expect.stringMatching(/^StoreError: .*in memory and is lost/),
        memoryAnswers[0],
      ]);
    } finally {
      for (const client of clients) client.destroy();
      await Promise.all([onDisk.close(), inMemory.close()]);
    }
  });
});
