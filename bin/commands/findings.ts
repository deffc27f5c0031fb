/**
 * `relay-audit findings [--scenario S] [--sender-domain D] [--recipient-domain D] [--since T] [--until T]
 *  [--limit N] [--format table|json|ndjson|csv]` — reads the store through its indexes, never a Scan.
 */
import { z } from 'zod';
import { findingCsvLine, findingsCsvStart } from '../../functions/api/csv-export.js';
import { Domain } from '../../functions/api/params.js';
import { formatLabel } from '../../functions/core/analysis/formats/labels.js';
import { type Finding, ScenarioId } from '../../functions/core/analysis/model/findings.js';
import { forwardingLead } from '../../functions/core/analysis/remediation/forwarding-lead.js';
import { relaySoftwareOf } from '../../functions/core/analysis/remediation/relay-software.js';
import { ArgumentError } from '../../functions/core/kernel/errors.js';
import { terminalSafe } from '../../functions/core/kernel/strings.js';
import { TimeBound } from '../../functions/store/query-plan.js';
import { readCommandLine } from '../support/command.js';
import { commandLines } from '../support/command-lines.js';
import { flagValue, parseFlags, wholeNumberFlag } from '../support/flags.js';
import type { Output } from '../support/output.js';
import { openStore, type StoreFlags, suggestedCommand } from '../support/store-options.js';
import { FINDINGS } from './definitions.js';

const Flags = z.object({
  scenario: ScenarioId.optional(),
  // The API's schema: the same values accepted, normalised (case, trailing dot) and refused alike.
  'sender-domain': flagValue(Domain).optional(),
  'recipient-domain': flagValue(Domain).optional(),
  since: TimeBound.optional(),
  until: TimeBound.optional(),
  limit: wholeNumberFlag(1).optional(),
  format: z.enum(['table', 'json', 'ndjson', 'csv']).default('table'),
});

export async function runFindings(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = readCommandLine(FINDINGS, argv);
  if (positionals.length > 0) throw new ArgumentError(`unexpected argument "${positionals[0]}"`);
  const flags = parseFlags(Flags, values);
  const handle = await openStore(values, { mustExist: true });
  try {
    const format = flags.format;
    // The API's `/findings.csv` (without its caps): its byte order mark (Excel reads a BOM-less
    // UTF-8 file in the local code page, garbling accented subjects and addresses, and stdout is
    // usually `> findings.csv`), its columns, its formula neutralising.
    if (format === 'csv') await out.write(findingsCsvStart());
    if (format === 'json') await out.write('[');
    let written = 0;
    let cursor: string | undefined;
    const rows: Finding[] = [];
    do {
      const remaining = flags.limit === undefined ? 500 : Math.min(500, flags.limit - written);
      const page = await handle.store.queryFindings({
        ...(flags.scenario ? { scenario: flags.scenario } : {}),
        ...(flags['sender-domain'] ? { senderDomain: flags['sender-domain'] } : {}),
        ...(flags['recipient-domain'] ? { recipientDomain: flags['recipient-domain'] } : {}),
        ...(flags.since ? { since: flags.since } : {}),
        ...(flags.until ? { until: flags.until } : {}),
        limit: remaining,
        ...(cursor ? { cursor } : {}),
      });
      let text = '';
      for (const finding of page.items) {
        if (format === 'ndjson') text += `${JSON.stringify(finding)}\n`;
        else if (format === 'json') text += `${written > 0 ? ',' : ''}\n${JSON.stringify(finding)}`;
        else if (format === 'csv') text += findingCsvLine(finding);
        else rows.push(finding);
        written++;
      }
      if (text) await out.write(text);
      cursor = page.cursor;
    } while (cursor && (flags.limit === undefined || written < flags.limit));
    if (format === 'json') await out.write(written > 0 ? '\n]\n' : ']\n');
    if (format === 'table') await out.write(renderTable(rows, values));
  } finally {
    await handle.close();
  }
  return 0;
}

/** Origins listed before the search of the whole organisation; the rest are counted. */
const ORIGINS_SHOWN = 10;

/**
 * Where forwarded refusals were passed on outside, as their findings name it: each internal address
 * with its first step's command, so the admin starts with those mailboxes and groups.
 */
function originLines(findings: readonly Finding[]): string[] {
  const origins = new Map<string, { finding: Finding; refusals: number }>();
  for (const finding of findings) {
    if (finding.forwardedFrom === undefined) continue;
    const key = `${finding.forwardedFrom.kind} ${finding.forwardedFrom.address}`;
    const known = origins.get(key);
    if (known) known.refusals++;
    else origins.set(key, { finding, refusals: 1 });
  }
  if (origins.size === 0) return [];
  const lines = ['  Where the evidence shows it was forwarded (start there):'];
  for (const { finding, refusals } of [...origins.values()].slice(0, ORIGINS_SHOWN)) {
    const origin = finding.forwardedFrom as NonNullable<Finding['forwardedFrom']>;
    const lead = forwardingLead(origin, finding.recipient, finding.serverHostname);
    lines.push(`  - ${lead.step} (${refusals} refusal${refusals === 1 ? '' : 's'})`);
    lines.push(`      ${lead.commands[0]}`);
  }
  if (origins.size > ORIGINS_SHOWN) lines.push(`  - and ${origins.size - ORIGINS_SHOWN} more.`);
  return lines;
}

function renderTable(findings: Finding[], store: StoreFlags): string {
  if (findings.length === 0)
    return `No findings match. Run \`${suggestedCommand('analyze <files>', store)}\` first, or widen the filter.\n`;
  const lines: string[] = [];
  const header = ['time (UTC)', 'scenario', 'sender (P1)', 'recipient', 'code', 'conf.'];
  const table = findings.map((f) => [
    f.timestamp.slice(0, 19).replace('T', ' '),
    f.scenario,
    f.returnPath === '' ? '<>' : (f.returnPath ?? f.sender ?? ''),
    f.recipient,
    `${f.code}${f.attr ? ` ${f.attr}` : ''}`,
    f.confidence,
  ]);
  const widths = header.map((h, i) =>
    Math.min(40, Math.max(h.length, ...table.map((row) => (row[i] ?? '').length))),
  );
  const format = (row: string[]) =>
    row
      .map((cell, i) => cell.slice(0, 40).padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  lines.push(format(header), widths.map((w) => '─'.repeat(w)).join('  '));
  for (const row of table) lines.push(format(row));
  // Remediation once per scenario shown, not per row; a relay's log gets its own (its settings, its log).
  const seen = new Set<string>();
  for (const finding of findings) {
    const relay = relaySoftwareOf(finding.source.format);
    const key = `${finding.scenario} ${relay ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const r = finding.remediation;
    const from = relay === undefined ? '' : ` (${formatLabel(finding.source.format, 'short')})`;
    lines.push('', `▶ ${finding.scenario}${from}: ${r.title}`, `  ${r.explanation}`);
    lines.push(...originLines(findings.filter((f) => f.scenario === finding.scenario)));
    r.steps.forEach((step, i) => {
      lines.push(`  ${i + 1}. ${step}`);
    });
    lines.push(...commandLines(r.commands));
    for (const link of r.links) lines.push(`  ${link.title}: ${link.url}`);
  }
  lines.push('', `${findings.length} finding${findings.length === 1 ? '' : 's'}.`);
  // Values come from logs: an escape sequence or a bidi override in an address must not act.
  return `${lines.map(terminalSafe).join('\n')}\n`;
}
