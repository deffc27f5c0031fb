/**
 * The embedded engine's own thread: dynalite's storage (LevelDB) and its DynamoDB actions, driven by
 * messages from the main thread instead of HTTP (see engine-thread-client.ts).
 *
 * Why a thread: the engine's work (validating requests, maintaining the secondary indexes, LevelDB
 * puts and gets) costs more CPU than the analysis itself, and on the main thread the two took turns.
 * Here it runs on the second core while the analysis keeps reading. Why no HTTP: nothing listens,
 * so no other program or web page on the machine can reach the store, and requests skip the socket,
 * HTTP parsing and checksums.
 *
 * dynalite's request front (its `httpHandler`) is not exported; `prepare` and `run` below repeat the
 * part of it that matters once signatures and HTTP are gone: parse, check the operation, validate the
 * input with dynalite's own validations, run the action, answer with DynamoDB's error shape. The
 * requests of one message that are plain PutItems are written together (`putItems`). Its reads of
 * key ranges (Query, Scan) go through streams of the engine's own that close their LevelDB
 * iterators (`closingStreams`).
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import {
  type EngineReply,
  type EngineRequest,
  type EngineResponseItem,
  type EngineThreadOptions,
  PerTurnOutbox,
} from './engine-thread-protocol.js';

/** A key-value operation of a LevelDB batch (values are items; dynalite's database encodes them as JSON). */
type BatchOperation = { type: 'put'; key: string; value: Item } | { type: 'del'; key: string };
/** A DynamoDB item as JSON: attribute name → attribute value. */
type Item = Record<string, unknown>;
/** One of dynalite's sub-databases (its items of a table, or one index): its locks. */
interface SubDb {
  lock(key: string, critical: (release: (done: () => void) => () => void) => void): void;
}
/** dynalite's description of a table (what DescribeTable returns). */
interface Table {
  TableName: string;
  TableStatus?: string;
  LocalSecondaryIndexes?: unknown[];
  GlobalSecondaryIndexes?: { IndexStatus?: string }[];
}
type TableCallback = (error: unknown, table?: Table) => void;
/** An iterator of abstract-level (the base of `level`'s database): what `closingStreams` uses of it. */
interface LevelIterator {
  next(): Promise<unknown>;
  close(): Promise<void>;
}
/** What dynalite's database (a `level` database, which dynalite extends) holds open: iterators, snapshots… */
interface LevelResource {
  close(): unknown;
  next?: unknown;
}
/** dynalite's store object (db/index.js `create`): what the actions need, and its database. */
interface DynaliteStore {
  options: { maxItemSize: number };
  db: {
    close(callback: (error?: Error | null) => void): void;
    getMany(keys: string[]): Promise<(Item | undefined)[]>;
    batch(operations: BatchOperation[], callback: (error?: Error | null) => void): void;
    keys(options?: object): LevelIterator;
    values(options?: object): LevelIterator;
    createKeyStream(options?: object): Readable;
    createValueStream(options?: object): Readable;
    attachResource(resource: LevelResource): void;
    detachResource(resource: LevelResource): void;
  };
  getTable(name: string, checkStatus: boolean | TableCallback, callback?: TableCallback): void;
  getItemDb(tableName: string): SubDb;
}
/** dynalite's item-level helpers (db/index.js). */
interface DynaliteDb {
  create(options: object): DynaliteStore;
  validateItem(item: Item, table: Table): DynaliteError | undefined;
  validateKey(key: Item, table: Table): DynaliteError | undefined;
  createKey(item: Item, table: Table): string;
  validationError(message: string): DynaliteError;
  validateKeyPaths(nestedPaths: unknown, table: Table): DynaliteError | undefined;
  mapPaths(paths: unknown[], item: Item): Item;
  itemSize(item: Item): number;
  getIndexActions(
    indexes: unknown[],
    existing: Item | undefined,
    item: Item | null,
    table: Table,
  ): { puts: { index: string; key: string; item: Item }[]; deletes: { index: string; key: string }[] };
}
/** An error of a dynalite action or validation: `statusCode` and `body` mean "answer with this". */
interface DynaliteError extends Error {
  statusCode?: number;
  body?: unknown;
}
type Action = (
  store: DynaliteStore,
  data: unknown,
  callback: (error: unknown, data?: unknown) => void,
) => void;
interface ActionValidation {
  types: unknown;
  custom?: unknown;
}
interface Validations {
  checkTypes(data: unknown, types: unknown): unknown;
  checkValidations(data: unknown, types: unknown, custom: unknown, store: DynaliteStore): void;
}

// dynalite is CommonJS without an exports map; its modules are loaded by path.
const requireDynalite = createRequire(import.meta.url);
/**
 * LevelDB's options for dynalite's database, which opens it with the defaults. Sized for the peak
 * RSS of a long run as much as for speed, each measured on the bench's logs:
 * - `writeBufferSize` 8 MB (default 4): a bulk load fills a 4 MB buffer every few hundred findings,
 *   and each flush starts compactions that rewrite what earlier ones wrote (250 MB log: 7 s of a
 *   background thread's CPU). LevelDB holds two buffers at a time; 16 MB ran as fast and held 8 to
 *   16 MB more.
 * - Table files stay at LevelDB's 2 MB. Keys are spread by hash, so a file covers the whole key
 *   range of its level; with 16 MB files one level-1 file overlapped every level-2 file, and each of
 *   those compactions read (and mapped into memory, which counts in RSS) some 100 MB at once. On a
 *   750 MB log the peak RSS fell from about 400 to 320 MB, for a few percent more compaction CPU.
 * - `cacheSize` 4 MB (default 8): the bulk load reads almost nothing back (new keys are answered by
 *   the Bloom filters), and the dashboard's reads are a few blocks a page.
 * - `maxOpenFiles` 20 (default 1,000): LevelDB reads an open table file through a memory map, and
 *   the pages it has read count in RSS until the file is closed. On the 750 MB bench log the peak
 *   fell from 310-315 to 293-296 MB, with no measurable change in time (two pairs each at 250 and
 *   750 MB) or in `findings` reading a store back.
 */
const LEVELDB_OPTIONS = { writeBufferSize: 8 << 20, cacheSize: 4 << 20, maxOpenFiles: 20 };

{
  type LevelClass = new (location: string, options: object) => object;
  // dynalite's db module takes `Level` from the `level` package when it loads: it gets this one.
  const level = requireDynalite('level') as { Level: LevelClass };
  const Level = level.Level;
  level.Level = class extends Level {
    public constructor(location: string, options: object) {
      super(location, { ...options, ...LEVELDB_OPTIONS });
    }
  };
}
const dynaliteDb = requireDynalite('dynalite/db') as DynaliteDb;
const validations = requireDynalite('dynalite/validations') as Validations;

/** The operations dynalite implements, by their name in `X-Amz-Target`. */
const OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'ListTagsOfResource',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'UpdateItem',
  'UpdateTable',
] as const;

const handlers = new Map<string, { action: Action; validation: ActionValidation }>(
  OPERATIONS.map((operation) => {
    const name = operation.charAt(0).toLowerCase() + operation.slice(1);
    return [
      operation,
      {
        action: requireDynalite(`dynalite/actions/${name}`) as Action,
        validation: requireDynalite(`dynalite/validations/${name}`) as ActionValidation,
      },
    ];
  }),
);

function answer(status: number, body: unknown): { status: number; body: string } {
  return { status, body: JSON.stringify(body) };
}

function isDynaliteAnswer(error: unknown): error is DynaliteError & { statusCode: number } {
  return (
    typeof error === 'object' && error !== null && typeof (error as DynaliteError).statusCode === 'number'
  );
}

const callback =
  (resolve: () => void, reject: (error: Error) => void) =>
  (error?: Error | null): void =>
    error ? reject(error) : resolve();

function getTable(store: DynaliteStore, name: string): Promise<Table> {
  return new Promise((resolve, reject) =>
    store.getTable(name, (error, table) => (table === undefined ? reject(error) : resolve(table))),
  );
}

function lockKey(db: SubDb, key: string): Promise<() => void> {
  return new Promise((resolve) => db.lock(key, (release) => resolve(release(() => undefined))));
}

function batch(store: DynaliteStore, operations: BatchOperation[]): Promise<void> {
  if (operations.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => store.db.batch(operations, callback(resolve, reject)));
}

interface WriteRequest {
  PutRequest?: { Item: Item };
  DeleteRequest?: { Key: Item };
}

/** One item of a write: its key (dynalite's `createKey`) and the new item, or `null` to delete it. */
interface ItemWrite {
  key: string;
  item: Item | null;
}

/**
 * Applies writes of distinct keys to one table as one read and one LevelDB batch, instead of
 * dynalite's one read and up to five writes per item, each its own asynchronous LevelDB call
 * (measured: those calls were most of the engine's time). Same index maintenance
 * (`getIndexActions`, as dynalite's PutItem and DeleteItem use), same locks on the item keys; the
 * items land exactly where dynalite's own actions put them, so its reads find them. dynalite keeps
 * every sub-database in one LevelDB under a key prefix (`item-<table>~`,
 * `index-<type>~<table>~<index>~`), which is what makes one batch across them possible.
 * Resolves with the items the writes replaced.
 */
async function writeItems(
  store: DynaliteStore,
  table: Table,
  writes: readonly ItemWrite[],
): Promise<(Item | undefined)[]> {
  const tableName = table.TableName;
  const itemDb = store.getItemDb(tableName);
  // Sorted, so two writes over the same keys can never wait on each other.
  const releases: (() => void)[] = [];
  try {
    for (const key of writes.map((write) => write.key).sort()) releases.push(await lockKey(itemDb, key));
    const existing = await store.db.getMany(writes.map((write) => `item-${tableName}~${write.key}`));
    const itemOps: BatchOperation[] = [];
    const indexDeletes: BatchOperation[] = [];
    const indexPuts: BatchOperation[] = [];
    writes.forEach(({ key, item }, i) => {
      for (const [type, indexes] of [
        ['local', table.LocalSecondaryIndexes],
        ['global', table.GlobalSecondaryIndexes],
      ] as const) {
        const actions = dynaliteDb.getIndexActions(indexes ?? [], existing[i], item, table);
        const prefix = (index: string) => `index-${type}~${tableName}~${index}~`;
        for (const del of actions.deletes)
          indexDeletes.push({ type: 'del', key: prefix(del.index) + del.key });
        for (const put of actions.puts)
          indexPuts.push({ type: 'put', key: prefix(put.index) + put.key, value: put.item });
      }
      const itemKey = `item-${tableName}~${key}`;
      itemOps.push(item ? { type: 'put', key: itemKey, value: item } : { type: 'del', key: itemKey });
    });
    // In dynalite's order (old index entries removed, new ones put, then the items), applied at once.
    await batch(store, [...indexDeletes, ...indexPuts, ...itemOps]);
    return existing;
  } finally {
    for (const release of releases) release();
  }
}

/**
 * BatchWriteItem through `writeItems`: same checks as dynalite's (key schema, duplicate keys),
 * same answer.
 */
async function batchWriteItem(store: DynaliteStore, data: { RequestItems: Record<string, WriteRequest[]> }) {
  for (const [tableName, requests] of Object.entries(data.RequestItems)) {
    const table = await getTable(store, tableName);
    const writes: ItemWrite[] = [];
    const seen = new Set<string>();
    for (const request of requests) {
      const item = request.PutRequest?.Item;
      const invalid = item
        ? dynaliteDb.validateItem(item, table)
        : dynaliteDb.validateKey(request.DeleteRequest?.Key ?? {}, table);
      if (invalid) throw invalid;
      const key = dynaliteDb.createKey(item ?? request.DeleteRequest?.Key ?? {}, table);
      if (seen.has(key)) throw dynaliteDb.validationError('Provided list of item keys contains duplicates');
      seen.add(key);
      writes.push({ key, item: item ?? null });
    }
    await writeItems(store, table, writes);
  }
  return { UnprocessedItems: {} };
}

/** A PutItem request the engine writes together with the others of its message (see `putItems`). */
interface QueuedPut {
  id: number;
  data: { TableName: string; Item: Item; ReturnValues?: string };
}

/**
 * The PutItem requests of one message to one table, written through `writeItems` (a few reads
 * and writes for all of them instead of dynalite's for each: the store sends findings as PutItem
 * requests, many in flight). Each keeps its own answer: an invalid item fails alone, and
 * `ReturnValues: ALL_OLD` hands back what that put replaced. Requests in flight together carry no
 * order, as over HTTP; two of them for one key are still written one after the other, each
 * replacing what the other left.
 */
async function putItems(store: DynaliteStore, tableName: string, puts: readonly QueuedPut[]) {
  const answers: EngineResponseItem[] = [];
  const table = await getTable(store, tableName).catch((error: unknown) => {
    for (const { id } of puts) answers.push({ id, ...failure(error) });
    return undefined;
  });
  if (table === undefined) return answers;
  let group: { put: QueuedPut; write: ItemWrite }[] = [];
  const keys = new Set<string>();
  const write = async () => {
    const current = group;
    group = [];
    if (current.length === 0) return;
    const written = await writeItems(
      store,
      table,
      current.map(({ write }) => write),
    ).then(
      (replaced) => ({ replaced }),
      (error: unknown) => ({ error }),
    );
    current.forEach(({ put }, i) => {
      if ('error' in written) answers.push({ id: put.id, ...failure(written.error) });
      else {
        const old = written.replaced[i];
        const result = old !== undefined && put.data.ReturnValues === 'ALL_OLD' ? { Attributes: old } : {};
        answers.push({ id: put.id, ...answer(200, result) });
      }
    });
  };
  for (const put of puts) {
    const invalid = dynaliteDb.validateItem(put.data.Item, table);
    if (invalid) {
      answers.push({ id: put.id, ...failure(invalid) });
      continue;
    }
    const key = dynaliteDb.createKey(put.data.Item, table);
    if (keys.has(key)) {
      await write();
      keys.clear();
    }
    keys.add(key);
    group.push({ put, write: { key, item: put.data.Item } });
  }
  await write();
  return answers;
}

/** One table's part of a BatchGetItem request, as dynalite's validation leaves it (`_projection` parsed). */
interface KeysAndAttributes {
  Keys: Item[];
  AttributesToGet?: string[];
  ConsistentRead?: boolean;
  _projection?: { paths: unknown[]; nestedPaths?: unknown };
}

/**
 * BatchGetItem as one LevelDB `getMany` per table instead of dynalite's one GetItem action per key,
 * each a lookup of its own (measured: the reads of the rollup counters' look-up were a fifth of the
 * engine's time). Same checks (key schema, projected key paths), same projection (`mapPaths`), same
 * answer: what passes dynalite's response size limit goes back as `UnprocessedKeys`, as it does.
 */
async function batchGetItem(store: DynaliteStore, data: { RequestItems: Record<string, KeysAndAttributes> }) {
  const requests: { tableName: string; request: KeysAndAttributes; keys: string[] }[] = [];
  for (const [tableName, request] of Object.entries(data.RequestItems)) {
    const table = await getTable(store, tableName);
    const keys = request.Keys.map((key) => {
      const invalid = dynaliteDb.validateKey(key, table);
      if (invalid) throw invalid;
      return `item-${tableName}~${dynaliteDb.createKey(key, table)}`;
    });
    const invalidPaths = dynaliteDb.validateKeyPaths(request._projection?.nestedPaths, table);
    if (invalidPaths) throw invalidPaths;
    requests.push({ tableName, request, keys });
  }
  const answer = { Responses: {} as Record<string, Item[]>, UnprocessedKeys: {} as Record<string, object> };
  const limit = 1024 * 1024 + store.options.maxItemSize - 3;
  let size = 0;
  for (const { tableName, request, keys } of requests) {
    const items = await store.db.getMany(keys);
    const paths = request._projection?.paths ?? request.AttributesToGet;
    const found: Item[] = [];
    const unprocessed: Item[] = [];
    items.forEach((stored, i) => {
      if (stored === undefined) return;
      const item = paths ? dynaliteDb.mapPaths(paths, stored) : stored;
      const itemSize = dynaliteDb.itemSize(item);
      if (size + itemSize > limit) unprocessed.push(request.Keys[i] as Item);
      else {
        size += itemSize;
        found.push(item);
      }
    });
    answer.Responses[tableName] = found;
    if (unprocessed.length > 0) {
      const { AttributesToGet, ConsistentRead } = request;
      answer.UnprocessedKeys[tableName] = {
        Keys: unprocessed,
        ...(AttributesToGet ? { AttributesToGet } : {}),
        ...(ConsistentRead ? { ConsistentRead } : {}),
      };
    }
  }
  return answer;
}

/**
 * A readable stream of `iterator`'s entries that closes the iterator when it ends, fails or is
 * destroyed.
 *
 * dynalite reads every key range (Query, Scan; ListTables and DeleteTable over their keys) through
 * its database's `createValueStream` and `createKeyStream`, streams over a `level` iterator whose
 * `destroy` calls `iterator.return()`, a method the iterators of `level` 8+ (abstract-level) do
 * not have: their way out is `close()`. So no iterator was ever closed, neither when `Limit` stopped
 * the read (dynalite destroys the stream) nor at the end of the range, and the database holds each
 * open iterator in its set of resources until it closes. Every Query left two (a value iterator and
 * the entry iterator under it) with their buffered entries in the engine's heap and their LevelDB
 * iterators (which pin table blocks and memtables) outside it; measured on `serve`, the ~80 of one
 * findings page cost ~1.3 MB of RSS, and after ~750 pages the engine died of its capped heap.
 *
 * Same entries in the same order as dynalite's stream (one `next()` per read, as it pulls them); a
 * read after the close (the stream is destroyed while one is in flight) is dropped, as the push
 * into a destroyed stream is.
 */
function closingStream(iterator: LevelIterator): Readable {
  return new Readable({
    objectMode: true,
    read() {
      iterator.next().then(
        (entry) => this.push(entry === undefined ? null : entry),
        (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
      );
    },
    // Called once, on the end of the entries (`autoDestroy`), an error, or dynalite's `destroy()`.
    destroy(error, done) {
      iterator.close().then(
        () => done(error),
        (closeError: unknown) => done(error ?? (closeError as Error)),
      );
    },
  });
}

/**
 * Replaces the stream factories dynalite puts on its database (see `closingStream`); its
 * sub-databases and actions call them through the database object, so every read of a key range
 * takes these. dynalite's actions themselves, and what they answer, are unchanged.
 */
function closingStreams(store: DynaliteStore): void {
  const db = store.db;
  db.createValueStream = (options) => closingStream(db.values(options));
  db.createKeyStream = (options) => closingStream(db.keys(options));
}

/**
 * Counts the iterators the database holds open (those it would close when it closes), for the
 * diagnostics the main thread may ask for (`EngineThread.stats`): a wrapper around the database's
 * own bookkeeping, which every iterator joins when created and leaves when closed.
 */
function countOpenIterators(store: DynaliteStore): () => number {
  const db = store.db;
  const attach = db.attachResource.bind(db);
  const detach = db.detachResource.bind(db);
  const open = new Set<LevelResource>();
  db.attachResource = (resource) => {
    attach(resource);
    if (typeof resource.next === 'function') open.add(resource);
  };
  db.detachResource = (resource) => {
    detach(resource);
    open.delete(resource);
  };
  return () => open.size;
}

/** Main thread → engine: a request for the engine's diagnostics (`EngineThread.stats`). */
export interface EngineStatsRequest {
  kind: 'stats';
}
/** Engine → main thread: its diagnostics. */
export interface EngineStats {
  kind: 'stats';
  /** LevelDB iterators open (a Query or Scan holds one or two while it reads, none once answered). */
  openIterators: number;
  /** The engine's JS heap in use (`v8.getHeapStatistics().used_heap_size`), in bytes. */
  heapUsed: number;
}

/** Operations that change a table's description (dynalite writes it back, now or after a timer). */
const TABLE_OPERATIONS: ReadonlySet<string> = new Set(['CreateTable', 'DeleteTable', 'UpdateTable']);

/**
 * dynalite reads a table's description from LevelDB for every request (measured: an eighth of the
 * engine's time on bulk writes). This keeps each ACTIVE table's description in memory instead, and
 * forgets all of them while any table operation runs and when it ends, so no request ever sees a
 * description older than the one dynalite would read.
 */
function cacheTables(store: DynaliteStore): {
  around<T>(operation: string, run: () => Promise<T>): Promise<T>;
} {
  const read = store.getTable.bind(store);
  const cache = new Map<string, Table>();
  let tableOperations = 0;
  store.getTable = (name, checkStatus, callback) => {
    const done = (typeof checkStatus === 'function' ? checkStatus : callback) as TableCallback;
    const cached = cache.get(name);
    if (cached !== undefined) {
      process.nextTick(done, null, cached);
      return;
    }
    // Called as getTable(name, callback), dynalite checks the status: the callback counts as true.
    read(name, checkStatus === done ? true : checkStatus, (error: unknown, table?: Table) => {
      const active =
        table?.TableStatus === 'ACTIVE' &&
        (table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
      if (error === null || error === undefined) {
        if (active && tableOperations === 0) cache.set(name, table);
      }
      done(error, table);
    });
  };
  return {
    async around(operation, run) {
      if (!TABLE_OPERATIONS.has(operation)) return run();
      tableOperations += 1;
      cache.clear();
      try {
        return await run();
      } finally {
        tableOperations -= 1;
        cache.clear();
      }
    },
  };
}

/** A JSON value that is an AttributeValue of a type that needs no conversion (not B or BS). */
function isPlainAttributeValue(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  let type: string | undefined;
  for (const key in value) {
    if (type !== undefined) return false;
    type = key;
  }
  const inner = (value as Record<string, unknown>)[type ?? ''];
  switch (type) {
    case 'S':
    case 'N':
      return typeof inner === 'string';
    case 'BOOL':
    case 'NULL':
      return typeof inner === 'boolean';
    case 'SS':
    case 'NS':
      return Array.isArray(inner) && inner.every((element) => typeof element === 'string');
    case 'L':
      return Array.isArray(inner) && inner.every(isPlainAttributeValue);
    case 'M':
      return isPlainItem(inner);
    default:
      return false;
  }
}

function isPlainItem(item: unknown): boolean {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
  for (const key in item) if (!isPlainAttributeValue((item as Record<string, unknown>)[key])) return false;
  return true;
}

/**
 * True when a BatchWriteItem request is one that dynalite's JSON type check (`checkTypes`) returns
 * unchanged: only `RequestItems`, each request a single put of an item or delete of a key whose
 * values are well-typed JSON. The check is a generic walk that cost more than a sixth of the
 * engine's time; anything else takes it, so every malformed request gets dynalite's own answer.
 * The semantic validations (sizes, numbers, empty sets, keys) run either way.
 */
function isPlainBatchWrite(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const { RequestItems: tables, ...others } = data as { RequestItems?: unknown };
  if (Object.keys(others).length > 0 || typeof tables !== 'object' || tables === null) return false;
  return Object.values(tables).every(
    (requests) =>
      Array.isArray(requests) &&
      requests.every((request: unknown) => {
        if (typeof request !== 'object' || request === null) return false;
        const keys = Object.keys(request);
        if (keys.length !== 1) return false;
        const { PutRequest: put, DeleteRequest: del } = request as {
          PutRequest?: { Item?: unknown };
          DeleteRequest?: { Key?: unknown };
        };
        const body = put ?? del;
        if (typeof body !== 'object' || body === null || Object.keys(body).length !== 1) return false;
        return put ? isPlainItem(put.Item) : isPlainItem(del?.Key);
      }),
  );
}

/** PutItem's fields that `putItems` handles; a request with any other goes to dynalite's action. */
const QUEUED_PUT_FIELDS: ReadonlySet<string> = new Set(['TableName', 'Item', 'ReturnValues']);

/**
 * True when a PutItem request is one that dynalite's JSON type check returns unchanged and that
 * `putItems` can write: a table name, an item of well-typed JSON values, and maybe `ReturnValues`
 * (no condition, no consumed capacity). Like `isPlainBatchWrite`, it spares the generic walk; the
 * semantic validations run either way.
 */
function isQueuedPut(operation: string, data: unknown): data is QueuedPut['data'] {
  if (operation !== 'PutItem' || typeof data !== 'object' || data === null) return false;
  for (const field in data) if (!QUEUED_PUT_FIELDS.has(field)) return false;
  const { TableName, Item, ReturnValues } = data as Record<string, unknown>;
  return (
    typeof TableName === 'string' &&
    (ReturnValues === undefined || typeof ReturnValues === 'string') &&
    isPlainItem(Item)
  );
}

/**
 * The engine's own version of a batch operation (see `batchWriteItem`, `batchGetItem`), for a
 * request that does not ask for consumed capacity or collection metrics; otherwise dynalite's action.
 */
function fastPath(
  store: DynaliteStore,
  operation: string,
  data: unknown,
): (() => Promise<unknown>) | undefined {
  const request = data as { ReturnConsumedCapacity?: string; ReturnItemCollectionMetrics?: string };
  if (request.ReturnConsumedCapacity || request.ReturnItemCollectionMetrics) return undefined;
  if (operation === 'BatchWriteItem')
    return () => batchWriteItem(store, data as { RequestItems: Record<string, WriteRequest[]> });
  if (operation === 'BatchGetItem')
    return () => batchGetItem(store, data as { RequestItems: Record<string, KeysAndAttributes> });
  return undefined;
}

/** An HTTP answer for an error: DynamoDB's when dynalite gave one, else a 500 (an engine fault). */
function failure(error: unknown): { status: number; body: string } {
  if (isDynaliteAnswer(error)) return answer(error.statusCode, error.body);
  return answer(500, {
    __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: error instanceof Error ? error.message : String(error),
  });
}

/**
 * A request parsed and validated as dynalite's HTTP front does it (parse, check the operation,
 * check types, run the validations): its data, or the answer it gets straight away.
 */
function prepare(
  store: DynaliteStore,
  operation: string,
  body: string,
): { data: unknown; queued: boolean } | { answer: { status: number; body: string } } {
  const handler = handlers.get(operation);
  if (handler === undefined) {
    return { answer: answer(400, { __type: 'com.amazon.coral.service#UnknownOperationException' }) };
  }
  let data: unknown;
  let plain: boolean;
  try {
    data = JSON.parse(body);
    plain = operation === 'BatchWriteItem' ? isPlainBatchWrite(data) : isQueuedPut(operation, data);
    if (!plain) data = validations.checkTypes(data, handler.validation.types);
    validations.checkValidations(data, handler.validation.types, handler.validation.custom, store);
  } catch (error) {
    if (error instanceof SyntaxError) {
      return { answer: answer(400, { __type: 'com.amazon.coral.service#SerializationException' }) };
    }
    return { answer: failure(error) };
  }
  // A plain PutItem (see `isQueuedPut`) waits for `putItems`; anything else runs on its own.
  return { data, queued: plain && operation === 'PutItem' };
}

/** Runs one prepared request against the store; resolves with the HTTP status and body. */
function run(
  store: DynaliteStore,
  operation: string,
  data: unknown,
): Promise<{ status: number; body: string }> {
  const fast = fastPath(store, operation, data);
  if (fast !== undefined) return fast().then((result) => answer(200, result), failure);
  const action = handlers.get(operation)?.action as Action;
  return new Promise((resolve) => {
    action(store, data, (error, result) =>
      resolve(error === null || error === undefined ? answer(200, result) : failure(error)),
    );
  });
}

function serve(options: EngineThreadOptions): void {
  const port = parentPort;
  if (port === null) throw new Error('engine-thread.js runs as a worker thread only');
  const store = dynaliteDb.create({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const tables = cacheTables(store);
  const openIterators = countOpenIterators(store);
  closingStreams(store);
  // Answers leave together, once per turn of the event loop, as the requests came.
  const outbox = new PerTurnOutbox<EngineResponseItem>((responses) => {
    const message: EngineReply = { kind: 'responses', responses };
    port.postMessage(message);
  });
  const respond = (response: EngineResponseItem): void => outbox.push(response);

  port.on('message', (message: EngineRequest | EngineStatsRequest) => {
    if (message.kind === 'stats') {
      const stats: EngineStats = {
        kind: 'stats',
        openIterators: openIterators(),
        heapUsed: getHeapStatistics().used_heap_size,
      };
      port.postMessage(stats);
      return;
    }
    if (message.kind === 'close') {
      store.db.close((error) => {
        const closed: EngineReply = { kind: 'closed', ...(error ? { error: error.message } : {}) };
        port.postMessage(closed);
        port.close();
      });
      return;
    }
    const puts = new Map<string, QueuedPut[]>();
    for (const { id, operation, body } of message.requests) {
      const prepared = prepare(store, operation, body);
      if ('answer' in prepared) respond({ id, ...prepared.answer });
      else if (prepared.queued) {
        const data = prepared.data as QueuedPut['data'];
        const queued = puts.get(data.TableName) ?? [];
        queued.push({ id, data });
        puts.set(data.TableName, queued);
      } else {
        tables
          .around(operation, () => run(store, operation, prepared.data))
          .then(
            (result) => respond({ id, ...result }),
            (error: unknown) => respond({ id, ...failure(error) }),
          );
      }
    }
    for (const [tableName, queued] of puts) {
      putItems(store, tableName, queued).then(
        (answers) => {
          for (const answered of answers) respond(answered);
        },
        (error: unknown) => {
          for (const { id } of queued) respond({ id, ...failure(error) });
        },
      );
    }
  });
}

serve(workerData as EngineThreadOptions);
