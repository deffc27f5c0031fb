/**
 * The nightly's CloudWatch metrics, through Powertools `Metrics` (embedded metric format: a JSON
 * log line with an `_aws.CloudWatchMetrics` directive that CloudWatch Logs turns into a metric, no
 * `PutMetricData` call, no extra permission). Names and dimensions: runtime/observability-names.ts.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SCENARIO_IDS, type ScenarioId } from '../core/analysis/model/findings.js';
import {
  FINDINGS_METRIC,
  NIGHTLY_COMPLETED_METRIC,
  SCENARIO_DIMENSION,
} from '../runtime/observability-names.js';

/**
 * One `Findings` datapoint per scenario (zero counts included, so a dashboard shows 0 rather than a
 * gap), dimension `Scenario`; the report day is metadata (a dimension would make one metric per
 * day). Returns how many were emitted.
 */
export function publishScenarioCounts(
  metrics: Metrics,
  counts: Record<ScenarioId, number>,
  date: string,
): number {
  for (const id of SCENARIO_IDS) {
    metrics.addDimension(SCENARIO_DIMENSION, id);
    metrics.addMetadata('ReportDate', date);
    metrics.addMetric(FINDINGS_METRIC, MetricUnit.Count, counts[id]);
    metrics.publishStoredMetrics();
  }
  return SCENARIO_IDS.length;
}

/** The heartbeat of a completed run of the report day `date`: what the nightly deadline alarm watches. */
export function publishNightlyCompleted(metrics: Metrics, date: string): void {
  metrics.addMetadata('ReportDate', date);
  metrics.addMetric(NIGHTLY_COMPLETED_METRIC, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
