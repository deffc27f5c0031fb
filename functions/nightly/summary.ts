/**
 * The alert summary published when a run finds new findings: a short subject (SNS allows 100
 * ASCII characters, no line breaks) and a plain-text body with the headline numbers, the spikes,
 * the new sender domains and where the full report is.
 */
import type { StoredReadinessResult } from '../core/readiness/report-schema.js';
import type { NightlyReport } from './report.js';

/** SNS subject limit. */
export const MAX_SUBJECT_LENGTH = 100;
/** Lines of each list in the body; the report has the rest. */
const LIST_LIMIT = 10;

export interface AlertSummary {
  subject: string;
  body: string;
}

/** Keeps printable ASCII only (SNS rejects a subject with anything else) and cuts to the limit. */
export function asciiSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?').trim();
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

/**
 * Builds the summary of `report`; `newFindings` are the findings this run saw for the first time,
 * `readinessErrors` the configuration errors the nightly re-check found that were not there before.
 */
export function buildSummary(
  report: NightlyReport,
  newFindings: number,
  locations: readonly string[] = [],
  readinessErrors: readonly StoredReadinessResult[] = [],
): AlertSummary {
  const parts = [`relay-audit ${report.date}: ${report.totals.findings} findings`, `${newFindings} new`];
  if (readinessErrors.length > 0)
    parts.push(`${readinessErrors.length} new readiness error${readinessErrors.length === 1 ? '' : 's'}`);
  if (report.spikes.length > 0)
    parts.push(`${report.spikes.length} spike${report.spikes.length === 1 ? '' : 's'}`);
  if (report.newSenderDomains.length > 0)
    parts.push(`${report.newSenderDomains.length} new sender domain(s)`);
  const lines: string[] = [
    `relay-audit nightly report for ${report.date} (UTC)`,
    '',
    `${report.totals.findings} findings on ${report.date} (${report.totals.previousDay} the day before); ${newFindings} new since the last report, late uploads of ${report.window.from}..${report.window.to} included.`,
    '',
    'By scenario:',
    ...report.scenarios
      .filter((line) => line.count > 0 || line.previousDay > 0)
      .map(
        (line) =>
          `  ${line.scenario}: ${line.count} (${line.change >= 0 ? '+' : ''}${line.change})${line.spike ? '  SPIKE' : ''}`,
      ),
  ];
  if (readinessErrors.length > 0) {
    lines.push('', 'New readiness errors (the configuration Exchange Online needs to relay your mail):');
    for (const result of readinessErrors.slice(0, LIST_LIMIT)) {
      lines.push(
        `  ${result.id}${result.objects.length > 0 ? ` (${result.objects.join('; ')})` : ''}: ${result.message}`,
      );
      const command = result.remediation.commands[0];
      if (command !== undefined) lines.push(`    ${command}`);
    }
  }
  if (report.newSenderDomains.length > 0) {
    lines.push('', `Sender domains first seen in ${report.thresholds.firstSeenDays} days:`);
    for (const line of report.newSenderDomains.slice(0, LIST_LIMIT))
      lines.push(`  ${line.domain}: ${line.count}`);
  }
  if (report.reclassified.count > 0) {
    lines.push(
      '',
      `${report.reclassified.count} finding(s) reclassified as forwarding by cross-upload correlation.`,
    );
  }
  lines.push(
    '',
    'Next steps:',
    ...report.nextSteps.slice(0, LIST_LIMIT).map((step, i) => `  ${i + 1}. ${step}`),
  );
  if (locations.length > 0) lines.push('', 'Full report:', ...locations.map((location) => `  ${location}`));
  return { subject: asciiSubject(parts.join(', ')), body: `${lines.join('\n')}\n` };
}
