/**
 * The metrics of one upload, as Powertools metrics: what one invocation did for it (bytes, rows,
 * findings, seconds, whether it went on from a resume point, DynamoDB retries). An upload that
 * needs several invocations reports once per invocation, so its sums are the upload's totals.
 * Dimensions stay few (`service` and the function's name); the upload's id, key, format and outcome
 * are metadata: in the log line, searchable in Logs Insights, never a metric of their own.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SourceRecord } from '../core/analysis/model/source-record.js';
import { UPLOAD_METRICS } from '../runtime/observability-names.js';

/** What an invocation's work on one upload left: the record before and after, when there is one. */
export interface UploadWork {
  key: string;
  outcome: string;
  /** The claimed record (the counts of earlier invocations) and the record it ended with. */
  records?: { before: SourceRecord; after: SourceRecord };
  seconds: number;
  retries: number;
}

function findingsOf(record: SourceRecord): number {
  return Object.values(record.findingsByScenario).reduce((sum, n) => sum + (n ?? 0), 0);
}

/** Emits one EMF document for `work` (nothing without `metrics`). */
export function publishUploadMetrics(metrics: Metrics | undefined, work: UploadWork): void {
  if (metrics === undefined) return;
  metrics.addMetadata('key', work.key);
  metrics.addMetadata('outcome', work.outcome);
  const { records } = work;
  if (records !== undefined) {
    const { before, after } = records;
    metrics.addMetadata('sourceId', after.id);
    if (after.format !== undefined) metrics.addMetadata('format', after.format);
    metrics.addMetric(UPLOAD_METRICS.bytes, MetricUnit.Bytes, after.bytes - before.bytes);
    metrics.addMetric(UPLOAD_METRICS.rows, MetricUnit.Count, after.rowsRead - before.rowsRead);
    metrics.addMetric(UPLOAD_METRICS.findings, MetricUnit.Count, findingsOf(after) - findingsOf(before));
    metrics.addMetric(UPLOAD_METRICS.resumptions, MetricUnit.Count, before.resume === undefined ? 0 : 1);
  }
  metrics.addMetric(UPLOAD_METRICS.seconds, MetricUnit.Seconds, work.seconds);
  metrics.addMetric(UPLOAD_METRICS.retries, MetricUnit.Count, work.retries);
  metrics.publishStoredMetrics();
}
