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
