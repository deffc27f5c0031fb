/**
 * The embedded engine's thread (engine-thread.ts behind engine-thread-client.ts): DynamoDB errors come
 * back as the SDK's own exceptions, nothing listens on a port, and an idle engine never keeps the
 * process alive.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { EngineThread } from '../../functions/store/engine-thread-client.js';

const run = promisify(execFile);

/** Inodes of this process's listening TCP sockets (Linux /proc; other test processes' are left out). */
async function listeningSockets(): Promise<Set<string>> {
  const own = new Set<string>();
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) own.add(inode);
  }
  const inodes = new Set<string>();
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const inode = fields[9];
      if (fields[3] === '0A' && inode !== undefined && own.has(inode)) inodes.add(inode);
    }
  }
  return inodes;
}

describe('embedded engine thread', () => {
  it('answers DynamoDB errors as the SDK exceptions a real table gives', async () => {
    // Prepare
    const engine = await startEmbeddedStore({ inMemory: true, tableName: 'engine-thread' });
    try {
      // Act: both settled together, so neither rejection is ever left without a handler.
      const [missingTable, badKey] = await Promise.allSettled([
        engine.client.send(
          new GetItemCommand({ TableName: 'no-such-table', Key: { pk: { S: 'x' }, sk: { S: 'y' } } }),
        ),
        engine.client.send(new GetItemCommand({ TableName: 'engine-thread', Key: { pk: { S: 'x' } } })),
      ]);

      // Assess
      expect(missingTable).toMatchObject({
        status: 'rejected',
        reason: { name: 'ResourceNotFoundException' },
      });
      expect(badKey).toMatchObject({ status: 'rejected', reason: { name: 'ValidationException' } });
    } finally {
      await engine.close();
    }
  });

  it('gives through its direct transport the outputs and errors the SDK gives through its HTTP path', async () => {
    // Prepare: one engine, two clients: the SDK's full path (serialise, sign, parse) and the direct one.
    const thread = new EngineThread({});
    const client = (direct: boolean) => {
      const created = new DynamoDBClient({
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        endpoint: 'http://embedded.relay-audit.invalid',
        requestHandler: thread.requestHandler,
      });
      if (direct) thread.attach(created, dynamodb);
      return created;
    };
    const sdk = client(false);
    const direct = client(true);
    type Outcome = { output?: unknown; error?: unknown[]; fields?: string[] };
    const outcome = (promise: Promise<unknown>): Promise<Outcome> =>
      promise.then(
        (output) => ({ output }),
        (error: unknown) => {
          const e = error as Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };
          const prototype = Object.getPrototypeOf(e) as { constructor: { name: string } };
          return {
            error: [prototype.constructor.name, e.name, e.message, e.$fault, e.$metadata?.httpStatusCode],
            fields: Object.keys(e)
              .filter((key) => !key.startsWith('$'))
              .sort(),
          };
        },
      );
    const requests = (c: DynamoDBClient) => [
      () => c.send(new GetItemCommand({ TableName: 'direct', Key: { pk: { S: 'a' } } })),
      () => c.send(new GetItemCommand({ TableName: 'nowhere', Key: { pk: { S: 'a' }, sk: { S: 'b' } } })),
      () =>
        c.send(
          new PutItemCommand({
            TableName: 'direct',
            Item: {
              pk: { S: 'a' },
              sk: { S: 'b' },
              n: { N: '1.50' },
              b: { B: new Uint8Array([0, 1, 254, 255]) },
              bs: { BS: [Buffer.from('x'), new Uint8Array([7])] },
              l: { L: [{ M: { x: { SS: ['y'] } } }] },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      () => c.send(new GetItemCommand({ TableName: 'direct', Key: { pk: { S: 'a' }, sk: { S: 'b' } } })),
      () =>
        c.send(
          new QueryCommand({
            TableName: 'direct',
            KeyConditionExpression: 'pk = :p',
            ExpressionAttributeValues: { ':p': { S: 'a' } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
    ];
    try {
      await sdk.send(
        new CreateTableCommand({
          TableName: 'direct',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
      // dynalite marks a new table ACTIVE a moment after answering CreateTable (a race under load).
      await waitUntilTableExists({ client: sdk, maxWaitTime: 30 }, { TableName: 'direct' });

      // Act: the SDK's path first (its put succeeds), then the direct one (its put fails the condition).
      const viaSdk: Outcome[] = [];
      for (const request of requests(sdk)) viaSdk.push(await outcome(request()));
      const viaDirect: Outcome[] = [];
      for (const request of requests(direct)) viaDirect.push(await outcome(request()));

      // Assess
      const strip = (o: Outcome) => {
        if (o.output === undefined) return o;
        const { $metadata, ...rest } = o.output as { $metadata: { httpStatusCode?: number } };
        return { output: rest, status: $metadata.httpStatusCode };
      };
      expect(viaDirect.map(strip)).toEqual([
        strip(viaSdk[0] ?? {}),
        strip(viaSdk[1] ?? {}),
        {
          error: [
            'ConditionalCheckFailedException',
            'ConditionalCheckFailedException',
            'The conditional request failed',
            'client',
            400,
          ],
          fields: expect.arrayContaining(['Item']),
        },
        strip(viaSdk[3] ?? {}),
        strip(viaSdk[4] ?? {}),
      ]);
      expect(viaSdk[0]).toMatchObject({
        error: ['DynamoDBServiceException', 'ValidationException', expect.anything(), 'client', 400],
      });
      expect(viaSdk[1]).toMatchObject({
        error: ['ResourceNotFoundException', 'ResourceNotFoundException', expect.anything(), 'client', 400],
      });
      expect(strip(viaSdk[3] ?? {})).toMatchObject({
        output: { Item: { n: { N: '1.5' }, b: { B: new Uint8Array([0, 1, 254, 255]) } } },
        status: 200,
      });
    } finally {
      sdk.destroy();
      direct.destroy();
      await thread.close();
    }
  });

  it('keeps the indexes right through batched writes: an overwrite moves the entry, a delete removes it', async () => {
    // Prepare
    const engine = await startEmbeddedStore({ inMemory: true, tableName: 'engine-thread' });
    const item = (partition: string) => ({
      pk: { S: 'ITEM#1' },
      sk: { S: 'ITEM' },
      gsi1pk: { S: partition },
      gsisk: { S: '2026-11-27T00:00:00.000Z#1' },
      messageId: { S: partition }, // projected into gsi1
    });
    const write = (request: object) =>
      engine.client.send(new BatchWriteItemCommand({ RequestItems: { 'engine-thread': [request] } }));
    const inPartition = async (partition: string) => {
      const response = await engine.client.send(
        new QueryCommand({
          TableName: 'engine-thread',
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p',
          ExpressionAttributeValues: { ':p': { S: partition } },
        }),
      );
      return (response.Items ?? []).map((found) => found.messageId?.S);
    };
    try {
      // Act
      await write({ PutRequest: { Item: item('SCENARIO#ndr') } });
      await write({ PutRequest: { Item: item('SCENARIO#forwarding') } });
      const afterOverwrite = [await inPartition('SCENARIO#ndr'), await inPartition('SCENARIO#forwarding')];
      await write({ DeleteRequest: { Key: { pk: { S: 'ITEM#1' }, sk: { S: 'ITEM' } } } });
      const afterDelete = await inPartition('SCENARIO#forwarding');
      const duplicate = await engine.client
        .send(
          new BatchWriteItemCommand({
            RequestItems: {
              'engine-thread': [{ PutRequest: { Item: item('A') } }, { PutRequest: { Item: item('B') } }],
            },
          }),
        )
        .catch((error: unknown) => error);
      const measured = await engine.client.send(
        new BatchWriteItemCommand({
          RequestItems: { 'engine-thread': [{ PutRequest: { Item: item('C') } }] },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );

      // Assess
      expect(afterOverwrite).toEqual([[], ['SCENARIO#forwarding']]);
      expect(afterDelete).toEqual([]);
      expect(duplicate).toMatchObject({
        name: 'ValidationException',
        message: expect.stringMatching(/duplicates/),
      });
      // Asked for consumed capacity, the request takes dynalite's own action, which reports it.
      expect(measured.ConsumedCapacity?.[0]?.CapacityUnits).toBeGreaterThan(0);
      expect(await inPartition('C')).toEqual(['C']);
    } finally {
      await engine.close();
    }
  });

  it("writes PutItems sent together as dynalite's own PutItem writes them one by one", async () => {
    // Prepare: two engines, the same requests. Sent together, puts reach the engine in one message and
    // are written as one group; with `ReturnConsumedCapacity: 'NONE'` (no other change) each takes
    // dynalite's own PutItem action instead.
    const engines = await Promise.all(
      ['grouped', 'dynalite'].map((name) => startEmbeddedStore({ inMemory: true, tableName: name })),
    );
    const item = (id: string, partition: string, body = partition) => ({
      pk: { S: `ITEM#${id}` },
      sk: { S: 'ITEM' },
      gsi1pk: { S: partition },
      gsisk: { S: `2026-11-27T00:00:00.000Z#${id}` },
      messageId: { S: body }, // projected into gsi1
    });
    const put = (engine: (typeof engines)[number], Item: object, returnOld = true) =>
      engine.client
        .send(
          new PutItemCommand({
            TableName: engine.tableName,
            Item: Item as Record<string, dynamodb.AttributeValue>,
            ...(returnOld ? { ReturnValues: 'ALL_OLD' } : {}),
            ...(engine.tableName === 'dynalite' ? { ReturnConsumedCapacity: 'NONE' } : {}),
          }),
        )
        .then(
          ({ Attributes }) => ({ old: Attributes?.messageId?.S ?? null }),
          (error: unknown) => ({ error: (error as Error).name }),
        );
    const inPartition = async (engine: (typeof engines)[number], partition: string) => {
      const response = await engine.client.send(
        new QueryCommand({
          TableName: engine.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p',
          ExpressionAttributeValues: { ':p': { S: partition } },
        }),
      );
      return (response.Items ?? []).map((found) => found.messageId?.S).sort();
    };
    const stored = async (engine: (typeof engines)[number], id: string) =>
      (
        await engine.client.send(
          new GetItemCommand({
            TableName: engine.tableName,
            Key: { pk: { S: `ITEM#${id}` }, sk: { S: 'ITEM' } },
          }),
        )
      ).Item?.messageId?.S;
    try {
      const outcomes = await Promise.all(
        engines.map(async (engine) => {
          await put(engine, item('moved', 'P1'));
          // Act: in one go, an overwrite that moves the index entry, a new item, an invalid item (no
          // sort key), a put without ReturnValues, and two puts of one key.
          const answers = await Promise.all([
            put(engine, item('moved', 'P2')),
            put(engine, item('new', 'P2')),
            put(engine, { pk: { S: 'ITEM#broken' } }),
            put(engine, item('quiet', 'P3'), false),
            put(engine, item('twice', 'P4', 'first')),
            put(engine, item('twice', 'P4', 'second')),
          ]);
          return {
            answers,
            partitions: [
              await inPartition(engine, 'P1'),
              await inPartition(engine, 'P2'),
              await inPartition(engine, 'P3'),
              await inPartition(engine, 'P4'),
            ],
            twice: await stored(engine, 'twice'),
          };
        }),
      );

      // Assess: the same answers and the same table and index through both.
      const [grouped, dynalite] = outcomes;
      expect(grouped?.answers.slice(0, 4)).toEqual([
        { old: 'P1' },
        { old: null },
        { error: 'ValidationException' },
        { old: null },
      ]);
      expect(grouped?.partitions).toEqual([[], ['P2', 'P2'], ['P3'], [grouped?.twice]]);
      // Two puts of one key in flight together: one is written after the other, and hands it back.
      for (const outcome of outcomes) {
        const [first, second] = outcome?.answers.slice(4) ?? [];
        const last = outcome?.twice === 'first' ? first : second;
        const other = outcome?.twice === 'first' ? second : first;
        expect([last, other]).toEqual([
          { old: outcome?.twice === 'first' ? 'second' : 'first' },
          { old: null },
        ]);
      }
      expect({ ...grouped, answers: grouped?.answers.slice(0, 4) }).toEqual({
        ...dynalite,
        answers: dynalite?.answers.slice(0, 4),
        twice: grouped?.twice,
        partitions: [...(dynalite?.partitions.slice(0, 3) ?? []), [grouped?.twice]],
      });
    } finally {
      await Promise.all(engines.map((engine) => engine.close()));
    }
  });

  it("reads a BatchGetItem at once with the answers of dynalite's own action: projected, missing keys left out", async () => {
    // Prepare: items to read, and the same request through both: without consumed capacity (the
    // engine's read) and with it (which takes dynalite's own action).
    const engine = await startEmbeddedStore({ inMemory: true, tableName: 'engine-thread' });
    const key = (n: number) => ({ pk: { S: `ITEM#${n}` }, sk: { S: 'ITEM' } });
    const items = [1, 2, 3].map((n) => ({
      ...key(n),
      gsi1pk: { S: `P${n}` },
      body: { M: { n: { N: `${n}` } } },
    }));
    const read = (request: object, measured: boolean) =>
      engine.client
        .send(
          new BatchGetItemCommand({
            RequestItems: { 'engine-thread': { Keys: [key(1), key(4), key(3)], ...request } },
            ...(measured ? { ReturnConsumedCapacity: 'TOTAL' } : {}),
          }),
        )
        .then(
          (output) => ({
            items: (output.Responses?.['engine-thread'] ?? []).sort((a, b) =>
              JSON.stringify(a).localeCompare(JSON.stringify(b)),
            ),
            unprocessed: output.UnprocessedKeys,
          }),
          (error: unknown) => ({ error: (error as Error).name, message: (error as Error).message }),
        );
    const requests = [
      {},
      {
        ProjectionExpression: '#p, #b.#n',
        ExpressionAttributeNames: { '#p': 'pk', '#b': 'body', '#n': 'n' },
      },
      { ProjectionExpression: '#p.#x', ExpressionAttributeNames: { '#p': 'pk', '#x': 'x' } },
      { AttributesToGet: ['sk', 'gsi1pk'] },
    ];
    try {
      await engine.client.send(
        new BatchWriteItemCommand({
          RequestItems: { 'engine-thread': items.map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
      // Act
      const fast = await Promise.all(requests.map((request) => read(request, false)));
      const dynalite = await Promise.all(requests.map((request) => read(request, true)));
      const badKey = await engine.client
        .send(new BatchGetItemCommand({ RequestItems: { 'engine-thread': { Keys: [{ pk: { S: 'x' } }] } } }))
        .catch((error: unknown) => (error as Error).name);

      // Assess
      expect(fast).toEqual(dynalite);
      expect(fast[0]).toMatchObject({ items: [items[0], items[2]] });
      expect(fast[1]).toMatchObject({
        items: [{ pk: key(1).pk, body: { M: { n: { N: '1' } } } }, { pk: key(3).pk }],
      });
      expect(fast[2]).toMatchObject({ error: 'ValidationException' });
      expect(badKey).toBe('ValidationException');
    } finally {
      await engine.close();
    }
  });

  it("reads Query and Scan pages exactly as dynalite's own server: Limit, start keys, order, filters, COUNT", async () => {
    // Prepare: the same items in the engine's thread and in dynalite as it ships (its HTTP server,
    // `listen`), whose reads go through dynalite's own streams.
    const engines = await Promise.all([
      startEmbeddedStore({ inMemory: true, tableName: 'reads' }),
      startEmbeddedStore({ inMemory: true, tableName: 'reads', listen: true }),
    ]);
    const items = Array.from({ length: 90 }, (_, i) => ({
      pk: { S: `P${i % 3}` },
      sk: { S: `S#${String(i).padStart(3, '0')}` },
      gsi1pk: { S: i % 4 === 0 ? 'A' : 'B' },
      gsisk: { S: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00.000Z#${i}` },
      ...(i % 5 === 0 ? {} : { gsi3pk: { S: `R${i % 2}` } }),
      ...(i % 3 === 1 ? { sd: { S: `d${i % 7}.example` } } : {}),
      messageId: { S: `<m${i}@x>` },
      n: { N: String((i * 37) % 101) },
      body: { M: { text: { S: 'x'.repeat(i * 7) }, tags: { SS: [`t${i % 4}`, 'all'] } } },
    }));
    const values = (v: Record<string, string>) =>
      Object.fromEntries(Object.entries(v).map(([k, s]) => [k, /^\d+$/.test(s) ? { N: s } : { S: s }]));
    const queries: Omit<QueryCommandInput, 'TableName'>[] = [
      { KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: values({ ':p': 'P0' }), Limit: 7 },
      {
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: values({ ':p': 'P0' }),
        ScanIndexForward: false,
        Limit: 5,
      },
      // A Limit that ends exactly at the partition's end, and one past it.
      { KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: values({ ':p': 'P1' }), Limit: 30 },
      { KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: values({ ':p': 'P1' }), Limit: 31 },
      { KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: values({ ':p': 'P2' }) },
      {
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
        ExpressionAttributeValues: values({ ':p': 'P1', ':a': 'S#010', ':b': 'S#070' }),
        Limit: 3,
      },
      {
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :b)',
        ExpressionAttributeValues: values({ ':p': 'P2', ':b': 'S#0' }),
        ScanIndexForward: false,
        Limit: 4,
      },
      {
        KeyConditionExpression: 'pk = :p AND sk > :x',
        FilterExpression: 'n > :k',
        ExpressionAttributeValues: values({ ':p': 'P0', ':x': 'S#020', ':k': '40' }),
        Limit: 6,
      },
      {
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: values({ ':p': 'P0' }),
        Select: 'COUNT',
        Limit: 9,
      },
      {
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: values({ ':p': 'P2' }),
        Select: 'COUNT',
      },
      {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        FilterExpression: 'attribute_exists(sd)',
        ExpressionAttributeValues: values({ ':p': 'B' }),
        ScanIndexForward: false,
        Limit: 8,
      },
      {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p AND gsisk < :t',
        ExpressionAttributeValues: values({ ':p': 'A', ':t': '2026-11-15' }),
        ProjectionExpression: 'pk, gsisk, messageId',
        Limit: 10,
      },
      {
        IndexName: 'gsi3',
        KeyConditionExpression: 'gsi3pk = :p',
        ExpressionAttributeValues: values({ ':p': 'R1' }),
        ScanIndexForward: false,
        Limit: 6,
        ReturnConsumedCapacity: 'INDEXES',
      },
      { KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: values({ ':p': 'none' }), Limit: 5 },
    ];
    const scans: Omit<ScanCommandInput, 'TableName'>[] = [
      { Limit: 11 },
      {
        Limit: 7,
        FilterExpression: 'n < :k',
        ExpressionAttributeValues: values({ ':k': '30' }),
        Segment: 1,
        TotalSegments: 2,
      },
      { IndexName: 'gsi1', Limit: 13 },
      { Select: 'COUNT', Limit: 20 },
    ];
    // Every page of a read, each sent with the last one's LastEvaluatedKey, as DynamoDB answers them.
    const pages = async (engine: (typeof engines)[number], send: (start?: object) => Promise<object>) => {
      const answers: unknown[] = [];
      let start: object | undefined;
      do {
        const { $metadata: _, ...page } = (await send(start).catch((error: unknown) => ({
          error: (error as Error).name,
          message: (error as Error).message,
        }))) as { $metadata?: unknown; LastEvaluatedKey?: object };
        answers.push(page);
        start = page.LastEvaluatedKey;
      } while (start !== undefined && answers.length < 100);
      expect(answers.length, `${engine.tableName}: a read that never ends`).toBeLessThan(100);
      return answers;
    };
    try {
      for (const engine of engines) {
        for (let i = 0; i < items.length; i += 25)
          await engine.client.send(
            new BatchWriteItemCommand({
              RequestItems: { reads: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
            }),
          );
      }

      // Act
      const [thread, dynalite] = await Promise.all(
        engines.map(async (engine) => {
          const read: unknown[] = [];
          for (const query of queries)
            read.push(
              await pages(engine, (start) =>
                engine.client.send(
                  new QueryCommand({
                    TableName: 'reads',
                    ...query,
                    ...(start ? { ExclusiveStartKey: start as QueryCommandInput['ExclusiveStartKey'] } : {}),
                  }),
                ),
              ),
            );
          for (const scan of scans)
            read.push(
              await pages(engine, (start) =>
                engine.client.send(
                  new ScanCommand({
                    TableName: 'reads',
                    ...scan,
                    ...(start ? { ExclusiveStartKey: start as ScanCommandInput['ExclusiveStartKey'] } : {}),
                  }),
                ),
              ),
            );
          // A start key outside the query's partition: dynalite's error.
          read.push(
            await pages(engine, () =>
              engine.client.send(
                new QueryCommand({
                  TableName: 'reads',
                  KeyConditionExpression: 'pk = :p',
                  ExpressionAttributeValues: values({ ':p': 'P0' }),
                  ExclusiveStartKey: { pk: { S: 'P1' }, sk: { S: 'S#001' } },
                }),
              ),
            ),
          );
          return read;
        }),
      );

      // Assess: the same pages, and reads that did page (a Limit that cut them short, a start key).
      expect(thread).toEqual(dynalite);
      expect(thread?.[0]).toHaveLength(5); // 30 items, 7 a page: 4 full pages and a last one
      expect(thread?.[2]).toHaveLength(2); // a Limit met exactly: a LastEvaluatedKey, then an empty page
      expect(thread?.[3]).toHaveLength(1);
      expect(thread?.at(-1)).toEqual([{ error: 'ValidationException', message: expect.any(String) }]);
    } finally {
      await Promise.all(engines.map((engine) => engine.close()));
    }
  });

  it('opens no listening socket', async () => {
    // Prepare
    const before = await listeningSockets();

    // Act
    const engine = await startEmbeddedStore({ inMemory: true, tableName: 'engine-thread' });
    const during = await listeningSockets();
    await engine.close();

    // Assess
    expect([...during].filter((inode) => !before.has(inode))).toEqual([]);
    expect('endpoint' in engine).toBe(false);
  });

  it('sees the socket of an engine that does listen (the check above can fail)', async () => {
    const before = await listeningSockets();
    const engine = await startEmbeddedStore({ inMemory: true, tableName: 'engine-thread', listen: true });
    const during = await listeningSockets();
    await engine.close();
    expect([...during].filter((inode) => !before.has(inode))).toHaveLength(1);
  });

  it('refuses requests after close with a StoreError', async () => {
    const engine = await startEmbeddedStore({ inMemory: true, tableName: 'engine-thread' });
    await engine.close();
    await expect(engine.store.getFinding('x')).rejects.toThrow(/closed/);
  });

  it("keeps LevelDB's native module loaded after the engine thread ends, so its compaction thread never runs unloaded code", async () => {
    // Act: a fresh process (no other test has loaded the module in it) opens a store on disk, writes,
    // closes it (the engine thread ends), and lists the native modules still loaded. Node unloads a
    // module a worker loaded when the worker exits; LevelDB's background thread outlives it, and a
    // process whose store closed as a compaction finished died with SIGSEGV in the unloaded code.
    const script = `
      const { mkdtemp, rm } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const { startEmbeddedStore } = await import('./functions/store/embedded-engine.ts');
      const dir = await mkdtemp(join(tmpdir(), 'engine-binding-'));
      const engine = await startEmbeddedStore({ dir, tableName: 'binding' });
      await engine.store.getFinding('x');
      await engine.close();
      const loaded = process.report.getReport().sharedObjects.filter((file) => file.includes('classic-level'));
      await rm(dir, { recursive: true, force: true });
      console.log(JSON.stringify(loaded));
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 30_000,
    });

    // Assess
    expect(JSON.parse(stdout.trim())).toEqual([expect.stringMatching(/classic-level.*\.node$/)]);
  });

  it("keeps the process alive while the store is open, even when the caller only waits on an unref'd timer", async () => {
    // Act: a process that opens the store and waits on an unref'd timer (as the store's and the SDK's
    // backoff do) before its next request. Were the engine thread not holding the process, it would
    // exit there, silently and with status 0, without printing.
    const script = `
      const { startEmbeddedStore } = await import('./functions/store/embedded-engine.ts');
      const engine = await startEmbeddedStore({ inMemory: true, tableName: 'waiting' });
      await new Promise((resolve) => setTimeout(resolve, 200).unref());
      await engine.store.getFinding('x');
      await engine.close();
      console.log('done');
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 30_000,
    });

    // Assess: it got past the wait, closed the store and exited by itself (execFile rejects on the timeout).
    expect(stdout.trim()).toBe('done');
  });
});
