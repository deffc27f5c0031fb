/**
 * What the query API needs from outside, injected so the same router runs in Lambda (remote
 * DynamoDB) and in `relay-audit serve` (the embedded engine), and tests use real engines.
 */
import type { SourceLease } from '../core/analysis/model/source-record.js';
import type { Logger } from '../runtime/logger.js';
import type { FindingsStore } from '../store/index.js';
import type { ReadinessReader } from '../store/organisation-config.js';
import type { ApiHost } from './host-advice.js';
import type { UploadSigner } from './upload-grant.js';

/** The read-only store operations the API uses (a `FindingsStore` satisfies it). */
export type ApiStore = Pick<
  FindingsStore,
  'queryFindings' | 'getFinding' | 'getSource' | 'listSources' | 'countFindingsByScenario' | 'queryRollups'
>;

/** Caps of the CSV export; when one is hit the response says so (`x-truncated: true`). */
export interface ExportLimits {
  /** Most rows in one export. */
  maxRows: number;
  /**
   * Most body bytes, counted as they travel in a Lambda response (JSON-escaped). API Gateway
   * passes on a Lambda response of at most 6 MB, so the Lambda adapter sets this below that.
   */
  maxBytes: number;
}

/** Default export caps: 50,000 rows; the byte cap only matters for the Lambda adapter. */
export const DEFAULT_EXPORT_LIMITS: ExportLimits = { maxRows: 50_000, maxBytes: 128 * 1024 * 1024 };

export interface ApiDependencies {
  store: ApiStore;
  /**
   * The latest readiness report (`GET /readiness`); an `OrganisationConfigStore` on the same table.
   * Without it the route answers as if nothing were configured yet.
   */
  readiness?: ReadinessReader;
  /** Hands out upload grants (`POST /uploads`); without it the route answers 404. */
  uploads?: UploadSigner;
  /**
   * Where the API runs, so that its advice (a file too large to upload, how to give the
   * configuration) names a step that works there. Default: the cloud.
   */
  host?: ApiHost;
  /**
   * Whether the attempt holding a `processing` record's lease is gone (the record then shows as
   * interrupted). Default: its lease has run out, all the cloud can tell; `serve` also knows a local
   * run by its process.
   */
  isLeaseGone?: (lease: SourceLease) => boolean;
  /** One line per request, plus failures with their cause. */
  logger: Logger;
  /** The clock (default summary range ends today). */
  now?: () => Date;
  exportLimits?: Partial<ExportLimits>;
}
