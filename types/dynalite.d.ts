/**
 * Minimal typing of dynalite 4 (an in-process DynamoDB-compatible engine on LevelDB), covering
 * what relay-audit uses: create a server, listen, close.
 */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB directory; in-memory when omitted. */
    path?: string;
    /** Milliseconds a table stays CREATING / DELETING / UPDATING (default 500). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** Maximum item size in KB (default 400, as DynamoDB). */
    maxItemSizeKb?: number;
    ssl?: boolean;
    verbose?: boolean;
    debug?: boolean;
  }

  /** Returns an HTTP server speaking the DynamoDB JSON protocol; `close` also closes the database. */
  function dynalite(options?: DynaliteOptions): Server;

  export = dynalite;
}
