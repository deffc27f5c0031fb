/** The messages between the main thread and the embedded engine's thread (engine-thread.ts). */

/** What the thread is started with (`workerData`). */
export interface EngineThreadOptions {
  /** LevelDB directory; in memory when absent. */
  path?: string;
}

/** Main thread → engine: one DynamoDB request, or the order to close the database. */
export type EngineRequest =
  | { kind: 'request'; id: number; operation: string; body: string }
  | { kind: 'close' };

/** Engine → main thread: the answer to request `id` (HTTP status and JSON body), or "closed". */
export type EngineReply =
  | { kind: 'response'; id: number; status: number; body: string }
  | { kind: 'closed'; error?: string };
