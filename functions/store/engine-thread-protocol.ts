/** The messages between the main thread and the embedded engine's thread (engine-thread.ts). */

/** What the thread is started with (`workerData`). */
export interface EngineThreadOptions {
  /** LevelDB directory; in memory when absent. */
  path?: string;
}

/** One DynamoDB request: its operation (`PutItem`…) and its JSON body. */
export interface EngineRequestItem {
  id: number;
  operation: string;
  body: string;
}

/** The answer to request `id`: HTTP status and JSON body, as DynamoDB's endpoint would give them. */
export interface EngineResponseItem {
  id: number;
  status: number;
  body: string;
}

/**
 * Main thread → engine: the requests sent since the last message (one message per turn of the
 * event loop, not one per request), or the order to close the database.
 */
export type EngineRequest = { kind: 'requests'; requests: EngineRequestItem[] } | { kind: 'close' };

/** Engine → main thread: the answers ready since the last message, or "closed". */
export type EngineReply =
  | { kind: 'responses'; responses: EngineResponseItem[] }
  | { kind: 'closed'; error?: string };

/**
 * Items that leave together, once per turn of the event loop: both sides of the thread post their
 * requests and answers this way (a message between threads costs more than its content).
 */
export class PerTurnOutbox<T> {
  private items: T[] = [];

  public constructor(private readonly post: (items: T[]) => void) {}

  public push(item: T): void {
    if (this.items.length === 0) setImmediate(() => this.flush());
    this.items.push(item);
  }

  /** Posts what is waiting now, if anything (the turn's own flush then finds nothing). */
  public flush(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.post(items);
  }
}
