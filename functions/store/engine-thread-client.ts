/**
 * The main thread's side of the embedded engine's thread: starts engine-thread.ts as a worker and
 * gives the AWS SDK a request handler that hands each DynamoDB request to it as a message. The SDK
 * still builds, signs and parses every request, so the store code is the one DynamoDB code path; only
 * the transport differs (a message port instead of a socket — nothing listens).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { StoreError } from '../core/shared/errors.js';
import type { EngineReply, EngineRequest, EngineThreadOptions } from './engine-thread-protocol.js';

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

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return '';
}

/** The embedded engine running in its own thread. */
export class EngineThread {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (reply: EngineReply) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private onClosed: ((reply: EngineReply & { kind: 'closed' }) => void) | undefined;

  public constructor(options: EngineThreadOptions) {
    const script = threadScript();
    this.worker = script.eval
      ? new Worker(script.code, { eval: true, workerData: options })
      : new Worker(script.file, { workerData: options });
    // The thread keeps the process alive while the store is open, as a socket to a server would:
    // callers wait on unref'd timers (the SDK's and the store's backoff), and a process whose only
    // live handle was such a timer would exit mid-run, silently, with status 0.
    this.worker.on('message', (reply: EngineReply) => {
      if (reply.kind === 'closed') {
        this.onClosed?.(reply);
        return;
      }
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiting?.resolve(reply);
    });
    // A crash of the engine (e.g. LevelDB failing to open) fails every request in flight and later.
    this.worker.on('error', (error) =>
      this.fail(new StoreError('the embedded DynamoDB engine stopped', { cause: error })),
    );
    this.worker.on('exit', (code) => {
      if (this.closing === undefined)
        this.fail(new StoreError(`the embedded DynamoDB engine exited (code ${code})`));
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

  /** Sends one request (`X-Amz-Target` such as `DynamoDB_20120810.PutItem`) and waits for the answer. */
  private send(target: string, body: string): Promise<{ status: number; body: string }> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closing !== undefined) return Promise.reject(new StoreError('the embedded store is closed'));
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
          if (reply.kind === 'response') resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      const message: EngineRequest = { kind: 'request', id, operation, body };
      this.worker.postMessage(message);
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  /** Closes the database (waiting for its pending writes) and ends the thread. Safe to call twice. */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.failure === undefined) {
        const closed = new Promise<EngineReply & { kind: 'closed' }>((resolve) => {
          this.onClosed = resolve;
        });
        const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
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
