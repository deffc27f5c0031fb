/**
 * Public surface of the findings store for cloud code: the store, the remote-table launcher and the
 * key design (for the CDK stack and the Lambda handlers). The embedded engine (dynalite, LevelDB) is
 * deliberately not re-exported here, so nothing bundled for Lambda can pull it in: local tools import
 * `./embedded-engine.js` directly.
 */

export {
  type CountFindingsOptions,
  DEFAULT_RETENTION_DAYS,
  FindingsStore,
  type FindingsStoreOptions,
  type ListSourcesOptions,
  type Page,
  type RollupRange,
} from './findings-store.js';
export type { StoreLogger } from './logger.js';
export { DEFAULT_PAGE_SIZE, type FindingsQueryOptions, MAX_PAGE_SIZE } from './query-plan.js';
export { createRemoteStore, type RemoteStoreOptions, type StoreHandle } from './remote-store.js';
export type { RetryPolicy, Sleep } from './retry.js';
export { StoreWriteError } from './store-errors.js';
export {
  createTableInput,
  findingId,
  INDEX,
  type IndexDefinition,
  type IndexName,
  RollupItem,
  sourceId,
  TABLE_DEFINITION,
  type TableDefinition,
  TTL_ATTRIBUTE,
} from './table-design.js';
