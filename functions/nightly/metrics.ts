/**
 * One CloudWatch metric per scenario, in the embedded metric format (EMF): a JSON log line with
 * an `_aws.CloudWatchMetrics` directive that CloudWatch Logs turns into a metric, with no
 * PutMetricData call and no extra permission. Lines are written straight to stdout (not through
 * `console`), because Lambda's JSON log format wraps console output and EMF would not be parsed.
 */
import { SCENARIO_IDS, type ScenarioId } from '../core/analysis/model/findings.js';

export const METRIC_NAMESPACE = 'RelayAudit';
/** Metric name: findings of the report day, one datapoint per scenario per run. */
export const FINDINGS_METRIC = 'Findings';
export const SCENARIO_DIMENSION = 'Scenario';
/**
 * Heartbeat: 1 when a run completed (report written, summary published). An alarm on its absence
 * over the schedule period catches a run that failed, timed out or never started.
 */
export const NIGHTLY_COMPLETED_METRIC = 'NightlyRunCompleted';
/** The heartbeat's dimension: the function's name, so two stacks in one account never mix. */
export const FUNCTION_DIMENSION = 'FunctionName';

/** Where EMF lines go (stdout in Lambda; a recorder in tests; nowhere for the CLI). */
export type MetricsSink = (line: string) => void;

/** Writes each line to stdout as-is (one JSON object per line). */
export const stdoutMetricsSink: MetricsSink = (line) => {
  process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
};

/**
 * One EMF document: the count `metric` = `value` under one dimension, timestamped `at`, with the
 * report day as a plain field (not a dimension, which would make one metric per day; searchable
 * in Logs Insights).
 */
function countDocument(
  metric: string,
  value: number,
  dimension: { name: string; value: string },
  date: string,
  at: Date,
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [[dimension.name]],
          Metrics: [{ Name: metric, Unit: 'Count' }],
        },
      ],
    },
    [dimension.name]: dimension.value,
    [metric]: value,
    ReportDate: date,
  };
}

/** The EMF document of one scenario's count for `date`, timestamped `at`. */
export function scenarioMetric(
  scenario: ScenarioId,
  count: number,
  date: string,
  at: Date,
): Record<string, unknown> {
  return countDocument(FINDINGS_METRIC, count, { name: SCENARIO_DIMENSION, value: scenario }, date, at);
}

/** EMF lines, one per scenario (zero counts included, so a dashboard shows 0 rather than a gap). */
export function scenarioMetricLines(counts: Record<ScenarioId, number>, date: string, at: Date): string[] {
  return SCENARIO_IDS.map((id) => JSON.stringify(scenarioMetric(id, counts[id], date, at)));
}

/** The heartbeat line of a completed run of the report day `date` by `functionName`. */
export function nightlyCompletedLine(functionName: string, date: string, at: Date): string {
  const dimension = { name: FUNCTION_DIMENSION, value: functionName };
  return JSON.stringify(countDocument(NIGHTLY_COMPLETED_METRIC, 1, dimension, date, at));
}
