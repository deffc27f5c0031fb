/**
 * How a local run's source lease owner begins: `cli:<host>:<pid>:<uuid>` (bin/support/source-lease.ts
 * makes and reads it). A module of its own, with no imports, so that the dashboard can tell local runs
 * from the cloud's without loading the record's schema.
 */
export const LOCAL_RUN_OWNER_PREFIX = 'cli:';
