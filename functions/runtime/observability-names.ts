/**
 * The names operators see: each function's service name (the `service` key of its log lines and
 * the `service` dimension of its metrics), the metric namespace, and the metrics and dimensions the
 * functions emit. Plain constants, so the stack's alarms and dashboard import them without
 * importing Powertools.
 */

/** The CloudWatch namespace of every relay-audit metric. */
export const METRIC_NAMESPACE = 'RelayAudit';

/** Service name of each function. */
export const SERVICE_NAMES = {
  ingest: 'relay-audit-ingest',
  reanalysis: 'relay-audit-reanalysis',
  nightly: 'relay-audit-nightly',
  api: 'relay-audit-api',
  graphPull: 'relay-audit-graph-pull',
} as const;
export type ServiceName = (typeof SERVICE_NAMES)[keyof typeof SERVICE_NAMES];

/** Powertools' own dimension: the service name, on every metric. */
export const SERVICE_DIMENSION = 'service';
/** The function's name, on every metric emitted in Lambda, so two stacks in one account never mix. */
export const FUNCTION_DIMENSION = 'FunctionName';

/** Nightly: findings of the report day, one datapoint per scenario per run. */
export const FINDINGS_METRIC = 'Findings';
export const SCENARIO_DIMENSION = 'Scenario';
/**
 * Nightly heartbeat: 1 when a run completed (report written, summary published). An alarm on its
 * absence over the schedule period catches a run that failed, timed out or never started.
 */
export const NIGHTLY_COMPLETED_METRIC = 'NightlyRunCompleted';

/**
 * Ingest: what one invocation did for one upload. An upload too big for one invocation reports
 * once per invocation, so the sums over an upload are its totals.
 */
export const UPLOAD_METRICS = {
  /** Uncompressed bytes read. */
  bytes: 'UploadBytes',
  /** Rows read (analysed + skipped). */
  rows: 'UploadRows',
  /** Distinct findings the upload gave. */
  findings: 'UploadFindings',
  /** Time spent on the upload. */
  seconds: 'UploadSeconds',
  /** 1 when the invocation went on from an earlier one's resume point (a continuation). */
  resumptions: 'UploadResumptions',
  /** DynamoDB requests sent again: the SDK's retries and `UnprocessedItems` resends. */
  retries: 'UploadRetries',
} as const;
