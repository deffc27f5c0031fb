/// <reference path="../../types/dynalite.d.ts" />
/**
 * The embedded engine: dynalite (a DynamoDB-compatible engine on LevelDB) started by this process, so
 * a laptop run uses exactly the same FindingsStore code, keys and queries as the cloud, with the
 * data persisted under `.relay-audit/` between runs. No second storage implementation.
 *
 * By default the engine runs in a thread of its own and the DynamoDB client reaches it through a
 * message port (engine-thread-client.ts): its work runs on the second core while the analysis goes
 * on, and no socket is open to other programs. `listen: true` serves it on a loopback port instead,
 * in this thread, for callers that need an endpoint URL (tests handing it to Lambda handlers).
 */
import { mkdir, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { ConfigError, StoreError } from '../core/kernel/errors.js';
import { acquireEngineLock } from './engine-lock.js';
import { EngineThread } from './engine-thread-client.js';
import type { StoreLogger } from './logger.js';
import type { StoreHandle } from './remote-store.js';

export type { RemoteStoreOptions, StoreHandle } from './remote-store.js';

/** Default directory of the embedded database, relative to the working directory. */
export const DEFAULT_STORE_DIR = '.relay-audit';
/** Default table name (dynalite, like DynamoDB, wants 3-255 characters). */
export const DEFAULT_TABLE_NAME = 'relay-audit';

/**
 * LevelDB's pointer to its current manifest: present in every database it has opened once, and in
 * nothing else a user would point --db at (a logs folder, a mistyped path).
 */
const LEVELDB_CURRENT_FILE = 'CURRENT';

/**
 * True when `dir` holds an embedded store (a database created by an earlier run). Commands that only
 * read check this first, so a mistyped --db is reported instead of filled with a new, empty store.
 */
export async function embeddedStoreExists(dir: string): Promise<boolean> {
  try {
    return (await stat(join(resolve(dir), LEVELDB_CURRENT_FILE))).isFile();
  } catch {
    return false;
  }
}

export interface EmbeddedStoreOptions {
  /** LevelDB directory, created if missing; default `.relay-audit`. Ignored when `inMemory`. */
  dir?: string;
  tableName?: string;
  /** Keep everything in memory (tests, throwaway runs). */
  inMemory?: boolean;
  retentionDays?: number;
  logger?: StoreLogger;
  /** Serve the engine on a loopback port (in this thread) and report its endpoint; default false. */
  listen?: boolean;
}

/** The embedded store: reachable only through its `client` (no socket). */
export type EmbeddedStore = StoreHandle;

/** The embedded store served on a loopback port (`listen: true`). */
export interface EmbeddedServer extends StoreHandle {
  /** `http://127.0.0.1:<port>`: any DynamoDB client (or the AWS CLI) can talk to it while it runs. */
  endpoint: string;
}

function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    // Loopback only and an OS-chosen port: never reachable from the network, never a port clash.
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose, reject) => {
    // dynalite's close waits for pending database operations, then closes LevelDB (releasing its lock).
    server.close((error) => (error ? reject(error) : resolveClose()));
  });
}

/**
 * Starts the embedded engine, connects a DynamoDB client to it and ensures the findings table
 * exists. A directory is used by one engine at a time (a lock file inside it; a second opener gets a
 * `StoreError` naming the holder). `close()` stops the engine, closes the database and releases the
 * lock, so the directory can be reopened afterwards.
 */
export async function startEmbeddedStore(
  options: EmbeddedStoreOptions & { listen: true },
): Promise<EmbeddedServer>;
export async function startEmbeddedStore(options?: EmbeddedStoreOptions): Promise<EmbeddedStore>;
export async function startEmbeddedStore(
  options: EmbeddedStoreOptions = {},
): Promise<EmbeddedStore | EmbeddedServer> {
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  if (tableName.length < 3 || tableName.length > 255 || !/^[A-Za-z0-9_.-]+$/.test(tableName)) {
    throw new ConfigError(`table name must be 3-255 characters of A-Z a-z 0-9 _ . -, got "${tableName}"`);
  }
  const dir = options.inMemory ? undefined : resolve(options.dir ?? DEFAULT_STORE_DIR);
  let releaseLock = async (): Promise<void> => undefined;
  if (dir !== undefined) {
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new StoreError(`cannot create the store directory ${dir}`, { cause: error });
    }
    releaseLock = await acquireEngineLock(dir);
  }

  let engine: Engine | undefined;
  let sdk: [typeof import('@aws-sdk/client-dynamodb'), typeof import('./findings-store.js')];
  try {
    engine = options.listen ? await serveOnLoopback(dir) : runInThread(dir);
    // Only now the AWS SDK (a large module): the engine's thread loads and opens the database meanwhile.
    sdk = await Promise.all([import('@aws-sdk/client-dynamodb'), import('./findings-store.js')]);
  } catch (error) {
    await engine?.close().catch(() => undefined);
    await releaseLock();
    throw new StoreError('cannot start the embedded DynamoDB engine', { cause: error });
  }
  const running = engine;
  const [{ DynamoDBClient }, { FindingsStore }] = sdk;
  const client = new DynamoDBClient({
    region: 'local',
    // The engine does not check signatures, but the SDK insists on signing with something.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...running.clientConfig,
  });
  running.attach?.(client, sdk[0]);
  const store = new FindingsStore({
    client,
    tableName,
    ...(options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    client.destroy();
    try {
      await running.close();
    } finally {
      // Only after LevelDB is closed may another engine open the directory.
      await releaseLock();
    }
  };

  try {
    await store.ensureTable();
  } catch (error) {
    await close().catch(() => undefined);
    throw new StoreError(`cannot open the embedded store${dir === undefined ? '' : ` in ${dir}`}`, {
      cause: error,
    });
  }
  const handle: EmbeddedStore = { client, tableName, store, close };
  return running.endpoint === undefined ? handle : { ...handle, endpoint: running.endpoint };
}

/** A running engine: how a client reaches it, and how to stop it. */
interface Engine {
  clientConfig: Pick<DynamoDBClientConfig, 'endpoint' | 'requestHandler'>;
  /** Connects the client beyond its config (the thread's direct transport). */
  attach?(client: DynamoDBClient, sdk: Record<string, unknown>): void;
  endpoint?: string;
  close(): Promise<void>;
}

function runInThread(dir: string | undefined): Engine {
  const thread = new EngineThread(dir === undefined ? {} : { path: dir });
  return {
    // The endpoint is never contacted (the handler answers every request); the SDK wants a URL.
    clientConfig: { endpoint: 'http://embedded.relay-audit.invalid', requestHandler: thread.requestHandler },
    attach: (client, module) => thread.attach(client, module),
    close: () => thread.close(),
  };
}

async function serveOnLoopback(dir: string | undefined): Promise<Engine> {
  // Loaded here only: the default engine runs dynalite in its thread, and loading it costs startup time.
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({
    ...(dir === undefined ? {} : { path: dir }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  // Node closes a keep-alive connection idle for 5 s, and a client that sends on it in that moment
  // gets ECONNRESET (seen once in a test on a loaded machine, on a Query the SDK did not retry).
  // A loopback engine has no reason to drop idle connections: close() ends them.
  server.keepAliveTimeout = 0;
  const address = await listen(server);
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    clientConfig: {
      endpoint,
      // A local engine answers in milliseconds; a bounded wait turns a wedged engine into an error, not a hang.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    },
    close: () => closeServer(server),
  };
}
