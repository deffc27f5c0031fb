/**
 * The human report of `analyze`: per file what was read and skipped, findings per scenario, the
 * sender domains behind them, what we know about accepted domains, and the next step to take.
 */
import { type DomainOracle, InferredDomains } from '../../functions/core/accepted-domains.js';
import type { AnalysisResult } from '../../functions/core/analyze.js';
import { groupDigits, plural } from '../../functions/core/counts-in-words.js';
import { SCENARIO_IDS, type ScenarioId } from '../../functions/core/findings.js';
import { SCENARIO_DESCRIPTIONS } from '../../functions/core/remediation/index.js';
import type { SourceRecord } from '../../functions/core/source-record.js';

const FORMAT_LABELS: Record<string, string> = {
  'exchange-tracking-log': 'tracking log',
  'tracking-log-export': 'Get-MessageTrackingLog export',
  'message-trace': 'message trace',
  'message-trace-detail': 'message trace detail',
  'historical-search-summary': 'historical search summary',
  'historical-search-extended': 'historical search extended',
};

function describeSource(source: SourceRecord): string[] {
  const lines: string[] = [];
  if (source.status === 'failed') {
    lines.push(`  ✗ ${source.file} — not analysed: ${source.errorCode}`);
    for (const line of (source.errorMessage ?? '').split('\n')) lines.push(`      ${line}`);
    if (source.rowsRead > 0)
      lines.push(`      (${plural(source.rowsRead, 'row')} were read before the error)`);
    return lines;
  }
  const findings = SCENARIO_IDS.filter((id) => source.findingsByScenario[id])
    .map((id) => `${id} ${source.findingsByScenario[id]}`)
    .join(', ');
  lines.push(
    `  ✓ ${source.file} — ${FORMAT_LABELS[source.format ?? ''] ?? source.format}: ${plural(source.rowsRead, 'row')}` +
      `, ${groupDigits(source.rowsAnalysed)} analysed, ${groupDigits(source.rowsSkipped)} skipped; ${findings ? `findings: ${findings}` : 'no relay refusals'}`,
  );
  for (const skipped of source.skipped.slice(0, 10)) {
    lines.push(
      `      line ${skipped.line}${skipped.column ? ` (${skipped.column})` : ''}: ${skipped.reason} — ${skipped.message}`,
    );
  }
  const more = source.rowsSkipped - Math.min(10, source.skipped.length);
  if (more > 0) {
    const reasons = Object.entries(source.skippedByReason)
      .map(([reason, count]) => `${reason} ${count}`)
      .join(', ');
    lines.push(`      … and ${more} more skipped rows (${reasons})`);
  }
  for (const note of source.notes ?? []) lines.push(`      note (${note.code}): ${note.message}`);
  return lines;
}

function describeDomains(domains: DomainOracle, origin: string | undefined): string[] {
  if (domains instanceof InferredDomains) {
    const evidence = domains
      .evidence()
      .sort((a, b) => b.delivered + b.submitted - (a.delivered + a.submitted));
    const lines = ['Accepted domains: none given, so relay-audit inferred them from the traffic.'];
    if (evidence.length === 0) {
      lines.push('  No mailbox deliveries or submissions were seen, so nothing could be inferred.');
    } else {
      for (const item of evidence.slice(0, 10)) {
        lines.push(
          `  ${item.domain} — ${plural(item.delivered, 'delivery', 'deliveries')} to mailboxes, ${plural(item.submitted, 'submission')} from mailboxes`,
        );
      }
    }
    lines.push(
      '  Precision depends on the list: without it, refusals are judged by their ATTR code. Pass',
      '  --accepted-domains with a `Get-AcceptedDomain | Export-Csv` file or a comma list.',
    );
    return lines;
  }
  const names = domains.domains();
  return [
    `Accepted domains: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''} (from ${origin ?? 'configuration'})`,
  ];
}

export function renderAnalysisReport(
  result: AnalysisResult,
  domains: DomainOracle,
  origin: string | undefined,
  storeNote?: string,
): string {
  const total = SCENARIO_IDS.reduce((sum, id) => sum + result.findingsByScenario[id], 0);
  const rows = result.sources.reduce((sum, source) => sum + source.rowsRead, 0);
  const out: string[] = [];
  out.push(
    `relay-audit: ${plural(result.sources.length, 'file')}, ${plural(rows, 'row')}, ` +
      `${plural(result.rejections, 'relay refusal')} → ${plural(total, 'finding')}` +
      (result.duplicates > 0 ? ` (${groupDigits(result.duplicates)} repeated refusals counted once)` : ''),
    '',
    'Files',
  );
  for (const source of result.sources) out.push(...describeSource(source));
  out.push('');
  if (total === 0) {
    out.push('No relay refusals (5.7.64 TenantAttribution / 4.4.62 ATTR35) were found.');
  } else {
    out.push('Findings by scenario');
    const ranked = [...SCENARIO_IDS].sort(
      (a, b) => result.findingsByScenario[b] - result.findingsByScenario[a],
    );
    for (const id of ranked) {
      const count = result.findingsByScenario[id];
      if (count === 0) continue;
      out.push(`  ${String(count).padStart(6)}  ${id.padEnd(22)} ${SCENARIO_DESCRIPTIONS[id].title}`);
    }
    out.push('', 'Top sender domains');
    for (const entry of result.senderDomains.slice(0, 10)) {
      const scenarios = Object.entries(entry.scenarios)
        .map(([id, count]) => `${id} ${count}`)
        .join(', ');
      out.push(`  ${String(entry.count).padStart(6)}  ${entry.domain.padEnd(30)} ${scenarios}`);
    }
  }
  out.push('', ...describeDomains(domains, origin));
  if (result.unclassified > 0) {
    out.push('', `${plural(result.unclassified, 'refusal')} matched no scenario rule; please report them.`);
  }
  if (storeNote) out.push('', storeNote);
  out.push('', ...nextStep(result, total));
  return `${out.join('\n')}\n`;
}

function nextStep(result: AnalysisResult, total: number): string[] {
  const failed = result.sources.filter((source) => source.status === 'failed');
  const lines: string[] = [];
  if (total > 0) {
    const top = [...SCENARIO_IDS].sort(
      (a, b) => result.findingsByScenario[b] - result.findingsByScenario[a],
    )[0] as ScenarioId;
    lines.push(
      `Next step: most refusals are "${SCENARIO_DESCRIPTIONS[top].title}".`,
      `  ${SCENARIO_DESCRIPTIONS[top].summary}`,
      `  See the tailored steps and PowerShell: relay-audit findings --scenario ${top} --format table`,
    );
  } else {
    lines.push('Next step: nothing to fix in these files. Analyse more days of tracking logs to be sure.');
  }
  if (failed.length > 0) lines.push(`  ${plural(failed.length, 'file')} could not be analysed (see above).`);
  return lines;
}
