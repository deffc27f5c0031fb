/**
 * The readable nightly report (`reports/YYYY-MM-DD.md`): the JSON report rendered for people —
 * counts and change per scenario, spikes, new and top sender domains, and what to do next.
 * Values that come from log data (domains, hosts, addresses) are escaped so they cannot break
 * the table layout or inject markup.
 */
import type { ScenarioId } from '../core/analysis/model/findings.js';
import { singleLine } from './plain-text.js';
import type { DomainLine, NightlyReport } from './report.js';

/**
 * Escapes Markdown/HTML-significant characters in a value taken from log data: emphasis, code,
 * links and images, headings, tables, HTML and entities (`&`), and `:` so that no URL in it is
 * turned into a link. Line breaks and control characters go first: a value is one line.
 */
export function escapeMarkdown(value: string): string {
  return singleLine(value, Number.POSITIVE_INFINITY).replace(
    /[\\`*_{}[\]()#+!|<>~&:]/g,
    (char) => `\\${char}`,
  );
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}

function scenarioCounts(scenarios: Partial<Record<ScenarioId, number>>): string {
  return Object.entries(scenarios)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, count]) => `${id} ${count}`)
    .join(', ');
}

function domainTable(lines: readonly DomainLine[]): string[] {
  return [
    '| Sender domain | Findings | Scenarios |',
    '|---|---:|---|',
    ...lines.map(
      (line) => `| ${escapeMarkdown(line.domain)} | ${line.count} | ${scenarioCounts(line.scenarios)} |`,
    ),
  ];
}

/** Renders the report as Markdown (deterministic: same report, same text). */
export function renderMarkdown(report: NightlyReport): string {
  const { date, thresholds } = report;
  const out: string[] = [`# relay-audit nightly report — ${date}`, ''];
  const total = report.totals.findings;
  out.push(
    `${total} relay refusal finding${total === 1 ? '' : 's'} on ${date} (UTC); ${report.totals.previousDay} the day before; ` +
      `${report.totals.baselineAverage} per day on average over the ${thresholds.baselineDays} days before.`,
    '',
    `Recomputed days: ${report.window.from} to ${report.window.to} (the report day and the look-back days for late uploads).`,
    '',
    '## Findings by scenario',
    '',
    `| Scenario | Findings | Previous day | Change | ${thresholds.baselineDays}-day average | Spike |`,
    '|---|---:|---:|---:|---:|:---:|',
  );
  for (const line of report.scenarios) {
    out.push(
      `| ${line.title} (\`${line.scenario}\`) | ${line.count} | ${line.previousDay} | ${signed(line.change)} | ` +
        `${line.baselineAverage} | ${line.spike ? '▲' : ''} |`,
    );
  }

  out.push('', '## Spikes', '');
  if (report.spikes.length === 0) {
    out.push(
      `No spikes (a spike is at least ${thresholds.spikeRatio}× the ${thresholds.baselineDays}-day average and at least ${thresholds.spikeMinFindings} findings).`,
    );
  } else {
    for (const spike of report.spikes) {
      const ratio =
        spike.ratio === null
          ? `none in the ${thresholds.baselineDays} days before`
          : `${spike.ratio}× the average of ${spike.baselineAverage}`;
      out.push(`- **${spike.scenario}**: ${spike.count} findings, ${ratio}`);
    }
  }

  out.push('', `## New sender domains (not seen in the ${thresholds.firstSeenDays} days before)`, '');
  if (report.newSenderDomains.length === 0) out.push('None.');
  else out.push(...domainTable(report.newSenderDomains));

  out.push('', '## Top sender domains', '');
  if (report.topSenderDomains.length === 0) out.push('None.');
  else out.push(...domainTable(report.topSenderDomains));

  out.push('', '## Top servers and connectors', '');
  if (report.topServers.length === 0) out.push('None.');
  else {
    out.push('| Server or connector | Findings |', '|---|---:|');
    for (const line of report.topServers) out.push(`| ${escapeMarkdown(line.server)} | ${line.count} |`);
  }

  out.push('', '## Reclassified by cross-upload correlation', '');
  if (report.reclassified.count === 0) {
    out.push(
      'None: no foreign-sender-domain finding was matched with a receipt for an internal recipient in another upload.',
    );
  } else {
    out.push(
      `${report.reclassified.count} foreign-sender-domain finding${report.reclassified.count === 1 ? '' : 's'} became forwarding: ` +
        'the same message arrived for an internal recipient in another upload.',
      '',
      '| Time (UTC) | Sender domain | Refused recipient | Message-ID |',
      '|---|---|---|---|',
    );
    for (const line of report.reclassified.findings) {
      out.push(
        `| ${line.timestamp.slice(0, 19).replace('T', ' ')} | ${escapeMarkdown(line.senderDomain ?? '')} | ` +
          `${escapeMarkdown(line.recipient)} | ${escapeMarkdown(line.messageId)} |`,
      );
    }
    const unlisted = report.reclassified.count - report.reclassified.findings.length;
    if (unlisted > 0) out.push('', `… and ${unlisted} more.`);
  }

  out.push('', '## Days recomputed', '', '| Day | Findings | Reclassified |', '|---|---:|---:|');
  for (const day of report.days) out.push(`| ${day.date} | ${day.findings} | ${day.reclassified} |`);

  out.push('', '## What to do next', '');
  report.nextSteps.forEach((step, i) => {
    out.push(`${i + 1}. ${stepMarkdown(step)}`);
  });
  return `${out.join('\n')}\n`;
}

/** Where a step's command begins: a step ends with the `relay-audit …` command it suggests, if any. */
const COMMAND = /relay-audit [a-z]+(?: .*)?$/;

/**
 * A next step in Markdown. Steps name sender domains from log data, so the text is escaped whole;
 * the command a step ends with is a code span instead, as it is: escaped, a store path such as
 * `'/tmp/my db (1)'` would no longer run as printed.
 */
function stepMarkdown(step: string): string {
  const line = singleLine(step, Number.POSITIVE_INFINITY);
  const command = COMMAND.exec(line);
  if (command === null) return escapeMarkdown(line);
  const before = line.slice(0, command.index).trimEnd();
  return `${before === '' ? '' : `${escapeMarkdown(before)} `}${codeSpan(command[0])}`;
}

/** `text` as a Markdown code span, fenced with more backticks than any run inside it. */
function codeSpan(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
