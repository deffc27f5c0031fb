/**
 * The bucket's key layout, shared by the CDK stack (notification filter, grants, lifecycle) and
 * the handlers, so the two cannot disagree about where uploads and configuration live.
 */

/** Key prefixes of the relay-audit bucket. */
export const BUCKET_PREFIX = {
  /** Trace exports uploaded by the ops team; each new object triggers the ingest pipeline. */
  incoming: 'incoming/',
  /** Organisation configuration. */
  config: 'config/',
  /** Nightly reports. */
  reports: 'reports/',
  /** Compact findings by day, written by the nightly job, queried with Athena (functions/nightly/history.ts). */
  history: 'history/',
  /** Athena query results of the history workgroup. */
  athenaResults: 'athena-results/',
  /** The re-analysis state machine's results (its Distributed Map's ResultWriter): one folder per run. */
  reanalysis: 'reanalysis/',
  /** Functions' own bookkeeping (the message trace pull's cursor); never analysed. */
  state: 'state/',
} as const;

/** Where dashboard uploads go: `incoming/dashboard/<user>/…` (functions/api/upload-grant.ts). */
export const DASHBOARD_UPLOAD_PREFIX = `${BUCKET_PREFIX.incoming}dashboard/`;

/** The organisation's accepted domains (a `Get-AcceptedDomain | Export-Csv` file). */
export const ACCEPTED_DOMAINS_KEY = `${BUCKET_PREFIX.config}accepted-domains.csv`;

/** Where the message trace pull writes its windows: under `incoming/`, so ingest analyses them. */
export const GRAPH_TRACE_PREFIX = `${BUCKET_PREFIX.incoming}graph/`;

/** The message trace pull's cursor: outside `config/` (read as configuration) and `incoming/`. */
export const GRAPH_TRACE_CURSOR_KEY = `${BUCKET_PREFIX.state}graph-trace-cursor.json`;
