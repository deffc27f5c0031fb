/**
 * The main thread's side of the embedded engine's thread: starts engine-thread.ts as a worker and
 * hands it the DynamoDB requests of a client as messages. The store code is the one DynamoDB code
 * path (the same commands, the same request shapes as against a real table); only the transport
 * differs (a message port instead of a socket — nothing listens).
 *
 * Two transports. The item operations (`DIRECT_OPERATIONS`: every read and write of items) skip the
 * SDK's HTTP layers: the command's input, which is already DynamoDB's JSON request, goes to the thread
 * as `JSON.stringify` text and the answer comes back as `JSON.parse`d output, exactly the objects
 * the SDK would have built from it (strings, numbers, AttributeValue maps). Measured: the SDK's
 * schema-driven serialiser, signing and parsing cost the main thread more than the analysis itself.
 * Table operations (create, describe, TTL), a handful per run, take the SDK's full path through
 * `requestHandler`, since their outputs carry dates the SDK converts.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  DynamoDBClient,
  DynamoDBClientConfig,
  DynamoDBServiceException,
} from '@aws-sdk/client-dynamodb';
import { StoreError } from '../core/kernel/errors.js';
import type { EngineStats, EngineStatsRequest } from './engine-thread.js';
import {
  type EngineReply,
  type EngineRequest,
  type EngineRequestItem,
  type EngineResponseItem,
  type EngineThreadOptions,
  PerTurnOutbox,
} from './engine-thread-protocol.js';

/** The AWS SDK's request handler type, as the DynamoDB client takes it. */
type RequestHandler = Exclude<DynamoDBClientConfig['requestHandler'], undefined>;

/** The parts of the SDK's HttpRequest this transport reads. */
interface SdkHttpRequest {
  headers: Record<string, string>;
  body?: unknown;
}

/** A wedged engine becomes an error after this long, never a hang (a local engine answers in ms). */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Where the thread's code is: the compiled `engine-thread.js` beside this module (the build, and the
 * CLI bundle, which has it as an entry of its own). Running from the TypeScript sources (the tests),
 * only `engine-thread.ts` is there: the thread then loads it through tsx, a dev dependency.
 */
function threadScript(): { code: string; eval: true } | { file: URL; eval: false } {
  const compiled = new URL('./engine-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { file: compiled, eval: false };
  const source = new URL('./engine-thread.ts', import.meta.url);
  return {
    eval: true,
    code: `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source.href)}); })`,
  };
}

/**
 * Operations whose input and output are JSON but for binary attribute values (dates occur only in
 * table operations), which travel as base64 as on DynamoDB's wire (`binaryAsBase64`, `base64AsBinary`).
 */
const DIRECT_OPERATIONS: ReadonlySet<string> = new Set([
  'BatchGetItem',
  'BatchWriteItem',
  'DeleteItem',
  'GetItem',
  'PutItem',
  'Query',
  'Scan',
  'UpdateItem',
]);

/** JSON.stringify replacer: binary values (a Buffer arrives as its toJSON form) as base64 text. */
function binaryAsBase64(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer') {
    const { data } = value as { data?: unknown };
    if (Array.isArray(data)) return Buffer.from(data as number[]).toString('base64');
  }
  return value;
}

/**
 * A request's JSON text, bytes as base64 as on DynamoDB's wire. Only a request with a binary value
 * needs `binaryAsBase64`, a replacer called for every key and value (measured: it cost more than the
 * rest of the serialisation on a batch of findings, which never hold bytes). A binary value is
 * always an attribute value `{ "B": … }` or `{ "BS": … }`, so a text without `"B":` and `"BS":`
 * needs no replacer (one with them, even inside a string, just takes the slower way).
 */
function requestText(input: unknown): string {
  const text = JSON.stringify(input);
  return text.includes('"B":') || text.includes('"BS":') ? JSON.stringify(input, binaryAsBase64) : text;
}

/** JSON.parse reviver: `B` and `BS` attribute values back to bytes, as the SDK returns them. */
function base64AsBinary(key: string, value: unknown): unknown {
  const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
  if (key === 'B' && typeof value === 'string') return bytes(value);
  if (key === 'BS' && Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return value.map(bytes);
  return value;
}

/** The answer's `$metadata`, as the SDK reports a first-attempt success from a server without request ids. */
function metadata(status: number) {
  return { httpStatusCode: status, attempts: 1, totalRetryDelay: 0 };
}

/**
 * A DynamoDB error answer as the SDK would throw it: its modelled exception class when DynamoDB
 * has one (`ResourceNotFoundException`…), otherwise its base exception named after the error
 * (`ValidationException`), with the same message, fault and status.
 */
export async function serviceException(status: number, body: string): Promise<DynamoDBServiceException> {
  // Imported on demand (loaded by then: the client that sent the request is the SDK's), so that
  // starting the thread never waits for the SDK.
  const dynamodb = await import('@aws-sdk/client-dynamodb');
  const { DynamoDBServiceException } = dynamodb;
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    // not JSON: an unnamed error below
  }
  const type = typeof parsed.__type === 'string' ? parsed.__type : 'UnknownError';
  const name = type.slice(type.indexOf('#') + 1);
  const { __type: _type, message: lower, Message: upper, ...fields } = parsed;
  const message = typeof lower === 'string' ? lower : typeof upper === 'string' ? upper : name;
  const options = { ...fields, message, $metadata: metadata(status) };
  const modelled = (dynamodb as Record<string, unknown>)[name];
  const exception =
    typeof modelled === 'function' && modelled.prototype instanceof DynamoDBServiceException
      ? new (modelled as new (opts: typeof options) => DynamoDBServiceException)(options)
      : new DynamoDBServiceException({ ...options, name, $fault: status >= 500 ? 'server' : 'client' });
  // The SDK copies the error body onto the exception as well, its message as a field of its own.
  Object.assign(exception, parsed);
  Object.defineProperty(exception, 'message', { value: message, enumerable: true, writable: true });
  return exception;
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return '';
}

/**
 * Loads LevelDB's native module (classic-level, under dynalite's `level`) on this thread too, once,
 * so that it stays loaded when an engine thread ends.
 *
 * Why: Node unloads a native module a worker loaded when that worker exits, unless another thread
 * holds it. LevelDB runs its compactions on a thread of its own that outlives every database and
 * whose code is in that module: when the engine thread ended while that thread was still awake
 * (a compaction just finished as the store closed, likelier on a busy machine), its code was gone
 * from under it and the process died with SIGSEGV after the report (2 runs in 8 of a 250 MB log on
 * a loaded 2-core machine; the core showed the crashing thread in unmapped code and the module no
 * longer mapped). Held here, it is unloaded only with the process.
 */
let bindingHeld = false;
function holdLevelDbBinding(): void {
  if (bindingHeld) return;
  // Resolved from this module as the thread resolves it from engine-thread.js beside it: the same file.
  createRequire(import.meta.url)('level');
  bindingHeld = true;
}

/**
 * The embedded engine running in its own thread.
 *
 * When the thread dies (its heap reached its cap, or it crashed), the requests in flight fail with a
 * `StoreError` naming the cause, and the next request starts a new thread on the same directory:
 * `serve` is a long-running local server, and its user expects the next reload of the dashboard
 * to work, not a 503 for every request until they find the terminal and restart it. Nothing
 * is lost by it: every write the dead engine acknowledged is in LevelDB's files (its log is
 * written before a write is answered, and the process that holds the page cache lives on), the
 * dying thread's environment closes the database and its lock (classic-level's cleanup hook), and
 * the new thread opens it as a new run would. Two cases stay failed instead, every request
 * answering the error that stopped the engine: an engine in memory, whose data died with it (a new
 * one would answer from an empty store as if nothing had ever been stored), and an engine that
 * dies again before answering anything (it cannot open the database: starting it over and over
 * would only hide why).
 */
export class EngineThread {
  private worker!: Worker;
  /** Whether the current thread has answered a request (so it could open the database). */
  private answered = false;
  /** Whether the current thread has exited (after a failure: a new one may open the directory). */
  private exited = false;
  private readonly pending = new Map<
    number,
    { resolve: (reply: EngineResponseItem) => void; reject: (error: Error) => void }
  >();
  /** Callers of `stats()` waiting, in the order they asked. */
  private readonly statsWaiting: { resolve: (stats: EngineStats) => void; reject: (error: Error) => void }[] =
    [];
  /** Requests not yet posted (none once the engine has failed: their callers have been told). */
  private readonly outbox = new PerTurnOutbox<EngineRequestItem>((requests) => {
    if (this.failure !== undefined) return;
    const message: EngineRequest = { kind: 'requests', requests };
    this.worker.postMessage(message);
  });
  private nextId = 1;
  private failure: Error | undefined;
  /** Whether the next request may start a new thread in place of the failed one (see the class comment). */
  private restartable = false;
  private closing: Promise<void> | undefined;
  private onClosed: ((reply: EngineReply & { kind: 'closed' }) => void) | undefined;

  public constructor(private readonly options: EngineThreadOptions) {
    this.start();
  }

  private start(): void {
    const options = this.options;
    // Only a database on disk is LevelDB (in memory it is JavaScript).
    if (options.path !== undefined) holdLevelDbBinding();
    const script = threadScript();
    // On disk, the engine's own heap holds only requests in flight (a response is at most 16 MB): a
    // cap keeps its garbage collector from letting it grow with the run (measured: tens of MB). Its
    // garbage dies young, so a small young generation costs no time: 16 MB kept about 18 MB off the
    // peak of a 750 MB run against V8's default; 8 MB, with LevelDB's 8 MB write buffer, took that
    // peak from 314 to 297 MB. In memory, the whole database is in that heap, so no cap.
    const limits =
      options.path === undefined
        ? {}
        : { resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 8 } };
    const worker = script.eval
      ? new Worker(script.code, { eval: true, workerData: options, ...limits })
      : new Worker(script.file, { workerData: options, ...limits });
    this.worker = worker;
    this.answered = false;
    this.exited = false;
    // The thread keeps the process alive while the store is open, as a socket to a server would:
    // callers wait on unref'd timers (the SDK's and the store's backoff), and a process whose only
    // live handle was such a timer would exit mid-run, silently, with status 0.
    worker.on('message', (reply: EngineReply | EngineStats) => {
      if (worker !== this.worker) return;
      if (reply.kind === 'closed') {
        this.onClosed?.(reply);
        return;
      }
      if (reply.kind === 'stats') {
        this.statsWaiting.shift()?.resolve(reply);
        return;
      }
      this.answered = true;
      for (const response of reply.responses) {
        const waiting = this.pending.get(response.id);
        this.pending.delete(response.id);
        waiting?.resolve(response);
      }
    });
    // A crash of the engine (e.g. LevelDB failing to open, its heap reaching the cap) fails every
    // request in flight; the next one starts a new engine, or fails too (see the class comment).
    worker.on('error', (error) => this.died(worker, 'stopped', error));
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      this.exited = true;
      if (this.closing === undefined) this.died(worker, `exited (code ${code})`);
    });
  }

  /** The current thread `worker` stopped (`how`): fails what waits on it. */
  private died(worker: Worker, how: string, cause?: Error): void {
    if (worker !== this.worker || this.failure !== undefined) return;
    this.restartable = this.options.path !== undefined && this.answered;
    const next = this.restartable
      ? 'the next request starts it again'
      : this.options.path === undefined
        ? 'its data was in memory and is lost'
        : 'it did not answer since it started; restart relay-audit';
    this.fail(
      new StoreError(
        `the embedded DynamoDB engine ${how}: ${next}`,
        cause === undefined ? undefined : { cause },
      ),
    );
  }

  /**
   * The engine's diagnostics: iterators it holds open and its heap in use (for tests, and for
   * looking into a running engine).
   */
  public stats(): Promise<EngineStats> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closing !== undefined) return Promise.reject(new StoreError('the embedded store is closed'));
    return new Promise((resolve, reject) => {
      this.statsWaiting.push({ resolve, reject });
      // After the requests sent before it, as they were.
      this.outbox.flush();
      const message: EngineStatsRequest = { kind: 'stats' };
      this.worker.postMessage(message);
    });
  }

  /** The request handler for a `DynamoDBClient` talking to this engine. */
  public get requestHandler(): RequestHandler {
    return {
      handle: async (request: SdkHttpRequest) => {
        const reply = await this.send(request.headers['x-amz-target'] ?? '', bodyText(request.body));
        return {
          response: {
            statusCode: reply.status,
            reason: undefined,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Buffer.from(reply.body, 'utf8'),
          },
        };
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
      destroy: () => undefined,
    } as unknown as RequestHandler;
  }

  /**
   * Routes `client`'s item operations (`DIRECT_OPERATIONS`) straight to the thread, ahead of the
   * SDK's middleware stack (see the module comment), which the SDK builds anew for every command it
   * sends (measured: a tenth of the main thread's store time); other operations, and calls with
   * options or a callback, take the SDK's path. `sdk` is the module the client's class came from.
   */
  public attach(client: DynamoDBClient, sdk: Record<string, unknown>): void {
    const operations = new Map<unknown, string>();
    for (const operation of DIRECT_OPERATIONS) operations.set(sdk[`${operation}Command`], operation);
    const viaStack = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
    const direct = async (operation: string, input: unknown) => {
      const reply = await this.send(operation, requestText(input));
      if (reply.status !== 200) throw await serviceException(reply.status, reply.body);
      // Only a body with a binary value needs the (slower) reviver; in JSON text `"B":` is only ever a key.
      const binary = reply.body.includes('"B":') || reply.body.includes('"BS":');
      const output = (binary ? JSON.parse(reply.body, base64AsBinary) : JSON.parse(reply.body)) as object;
      return { ...output, $metadata: metadata(reply.status) };
    };
    client.send = ((command: { input?: unknown }, ...rest: unknown[]) => {
      const operation = operations.get(command?.constructor);
      return operation === undefined || rest.length > 0
        ? viaStack(command, ...rest)
        : direct(operation, command.input);
    }) as DynamoDBClient['send'];
  }

  /** Sends one request (`operation` such as `PutItem`, or an `X-Amz-Target`) and waits for the answer. */
  private send(target: string, body: string): Promise<{ status: number; body: string }> {
    if (this.closing !== undefined) return Promise.reject(new StoreError('the embedded store is closed'));
    if (this.failure !== undefined) {
      // A new engine only once the old thread is gone (and with it its hold on the database).
      if (!this.restartable || !this.exited) return Promise.reject(this.failure);
      this.failure = undefined;
      this.restartable = false;
      this.start();
    }
    const id = this.nextId++;
    const operation = target.slice(target.indexOf('.') + 1);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new StoreError(
            `the embedded DynamoDB engine did not answer ${operation} within ${REQUEST_TIMEOUT_MS / 1000} s`,
          ),
        );
      }, REQUEST_TIMEOUT_MS);
      timer.unref();
      this.pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.outbox.push({ id, operation, body });
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    for (const waiting of this.statsWaiting.splice(0)) waiting.reject(error);
    // Requests not posted yet: their callers have just been told; a new engine must not get them.
    this.outbox.flush();
  }

  /** Closes the database (waiting for its pending writes) and ends the thread. Safe to call twice. */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.failure === undefined) {
        const closed = new Promise<EngineReply & { kind: 'closed' }>((resolve) => {
          this.onClosed = resolve;
        });
        const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
        // Requests sent before close() still go, ahead of it: the thread answers them first.
        this.outbox.flush();
        const message: EngineRequest = { kind: 'close' };
        this.worker.postMessage(message);
        const reply = await Promise.race([closed, exited.then(() => undefined)]);
        await this.worker.terminate();
        if (reply?.error !== undefined)
          throw new StoreError(`cannot close the embedded store: ${reply.error}`);
        return;
      }
      await this.worker.terminate();
    })();
    return this.closing;
  }
}
