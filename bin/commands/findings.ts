/**
 * `relay-audit findings [--scenario S] [--sender-domain D] [--recipient-domain D] [--since T] [--until T]
 *  [--limit N] [--format table|json|ndjson|csv]` — reads the store through its indexes, never a Scan.
 */
import { z } from 'zod';
import { findingCsvLine, findingsCsvStart } from '../../functions/api/csv-export.js';
import { Domain } from '../../functions/api/params.js';
import { formatLabel } from '../../functions/core/analysis/formats/labels.js';
import {
  type Finding,
  reportedSenderDomain,
  ScenarioId,
} from '../../functions/core/analysis/model/findings.js';
import { forwardingLead } from '../../functions/core/analysis/remediation/forwarding-lead.js';
import { RELAY_SOFTWARE, relaySoftwareOf } from '../../functions/core/analysis/remediation/relay-software.js';
import { plural } from '../../functions/core/kernel/counts-in-words.js';
import { terminalSafe } from '../../functions/core/kernel/strings.js';
import { readCommandLine } from '../support/command.js';
import { commandLines } from '../support/command-lines.js';
import { flagValue, parseFlags, timeFlag, wholeNumberFlag } from '../support/flags.js';
import type { Output } from '../support/output.js';
import { openStore, type StoreFlags, suggestedCommand } from '../support/store-options.js';
import { FINDINGS } from './definitions.js';

const Flags = z.object({
  scenario: ScenarioId.optional(),
  // The API's schema: the same values accepted, normalised (case, trailing dot) and refused alike.
  'sender-domain': z
    .string()
    .refine((text) => text.trim() !== '<>', {
      // `<>` is how logs and the table show the null sender: it has no domain to filter on.
      message:
        '"<>" is the null sender, which has no domain: NDRs and other null-sender refusals are --scenario ndr',
    })
    .pipe(flagValue(Domain))
    .optional(),
  'recipient-domain': flagValue(Domain).optional(),
  // One parser for every time flag; the store takes a date as its whole UTC day.
  since: timeFlag().optional(),
  until: timeFlag().optional(),
  limit: wholeNumberFlag(1).optional(),
  format: z.enum(['table', 'json', 'ndjson', 'csv']).default('table'),
});

export async function runFindings(argv: string[], out: Output): Promise<number> {
  const { values } = readCommandLine(FINDINGS, argv);
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
        ...(flags.since ? { since: flags.since.iso } : {}),
        // Its last millisecond: a time takes in the rest of the minute or second it names.
        ...(flags.until ? { until: new Date(flags.until.end).toISOString() } : {}),
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

/** Remediation blocks printed under the table; past this many, the rest are counted, not printed. */
const BLOCKS_SHOWN = 10;

/** Runs of row numbers listed in a block's "Rows …" line before the rest are counted. */
const ROW_RUNS_SHOWN = 12;

/** Servers or sender domains named in a block's "Rows …" line before the rest are counted. */
const NAMES_SHOWN = 3;

/** One remediation as printed: the findings that carry it, with their row numbers in the table. */
interface RemediationBlock {
  findings: Finding[];
  /** 1-based, as the table's `#` column numbers them. */
  rows: number[];
}

/**
 * The findings grouped by the remediation they carry, in the order of their first row. The text is
 * tailored to the server, the domains, the connector and the certificate, so each distinct one is
 * printed, not one per scenario; a relay's log keeps its own heading even where the words match.
 */
function remediationBlocks(findings: readonly Finding[]): RemediationBlock[] {
  const blocks = new Map<string, RemediationBlock>();
  findings.forEach((finding, index) => {
    const { title, explanation, steps, commands, links } = finding.remediation;
    const key = JSON.stringify([
      finding.scenario,
      relaySoftwareOf(finding.source.format) ?? '',
      title,
      explanation,
      steps,
      commands,
      links.map((link) => [link.title, link.url]),
    ]);
    const block = blocks.get(key);
    if (block) {
      block.findings.push(finding);
      block.rows.push(index + 1);
    } else blocks.set(key, { findings: [finding], rows: [index + 1] });
  });
  return [...blocks.values()];
}

/** The server column: the host the log names, else the relay whose log it is, else nothing (Exchange Online's own). */
function serverOf(finding: Finding): string {
  if (finding.serverHostname !== undefined) return finding.serverHostname;
  const relay = relaySoftwareOf(finding.source.format);
  return relay === undefined ? '' : `${RELAY_SOFTWARE[relay].name.replace(/^the /, '')} relay`;
}

/** `1–3, 5, 8, 9`: ascending row numbers as runs; past `ROW_RUNS_SHOWN` runs, the other rows are counted. */
function rowRuns(rows: readonly number[]): string {
  const runs: [number, number][] = [];
  for (const row of rows) {
    const last = runs.at(-1);
    if (last !== undefined && row === last[1] + 1) last[1] = row;
    else runs.push([row, row]);
  }
  const shown = runs.slice(0, ROW_RUNS_SHOWN);
  const text = shown
    .map(([from, to]) => (from === to ? `${from}` : `${from}${to === from + 1 ? ', ' : '–'}${to}`))
    .join(', ');
  const more = rows.length - shown.reduce((count, [from, to]) => count + to - from + 1, 0);
  return more > 0 ? `${text} and ${more} more` : text;
}

/** Distinct values in order of first appearance, empty ones left out. */
function distinct(values: readonly string[]): string[] {
  return [...new Set(values.filter((value) => value !== ''))];
}

/** `a, b, c and 2 more`: the first `NAMES_SHOWN` names, the rest counted. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_SHOWN).join(', ');
  return names.length > NAMES_SHOWN ? `${shown} and ${names.length - NAMES_SHOWN} more` : shown;
}

/** The line that says which rows a block covers, with their servers and sender domains. */
function coverLine(block: RemediationBlock, rowCount: number): string {
  const rows =
    block.rows.length === rowCount && rowCount > 1
      ? `All ${rowCount} rows`
      : `${block.rows.length === 1 ? 'Row' : 'Rows'} ${rowRuns(block.rows)}`;
  const servers = distinct(block.findings.map(serverOf));
  const domains = distinct(block.findings.map(reportedSenderDomain));
  const senders =
    domains.length === 1 && domains[0] === '<>'
      ? 'null sender <>'
      : `sender ${domains.length === 1 ? 'domain' : 'domains'} ${listed(domains)}`;
  return `  ${rows} (${servers.length > 0 ? `${listed(servers)}; ` : ''}${senders}):`;
}

/** One block: heading, the rows it covers, explanation, forwarding origins, steps, commands, links. */
function blockLines(block: RemediationBlock, rowCount: number): string[] {
  const finding = block.findings[0] as Finding;
  const r = finding.remediation;
  const relay = relaySoftwareOf(finding.source.format);
  const from = relay === undefined ? '' : ` (${formatLabel(finding.source.format, 'short')})`;
  return [
    '',
    `▶ ${finding.scenario}${from}: ${r.title}`,
    coverLine(block, rowCount),
    `  ${r.explanation}`,
    ...originLines(block.findings),
    ...r.steps.map((step, i) => `  ${i + 1}. ${step}`),
    ...commandLines(r.commands),
    ...r.links.map((link) => `  ${link.title}: ${link.url}`),
  ];
}

/** Widest cell of the table: a longer value is cut, ending in …, so a cut one is never taken for whole. */
const MAX_CELL_CHARS = 40;
/** Marks a header sender (P2) shown where the envelope sender (P1) is not known. */
const HEADER_SENDER_MARK = '(P2)';

function cutCell(cell: string): string {
  return cell.length > MAX_CELL_CHARS ? `${cell.slice(0, MAX_CELL_CHARS - 1)}…` : cell;
}

/** The envelope sender (P1), `<>` for the null sender; the header sender, marked so, when P1 is unknown. */
function envelopeSenderCell(finding: Finding): string {
  if (finding.returnPath === '') return '<>';
  if (finding.returnPath !== undefined) return finding.returnPath;
  return finding.sender === undefined ? '' : `${HEADER_SENDER_MARK} ${finding.sender}`;
}

/**
 * The table of findings, each row numbered and with its server, then the remediation of those rows:
 * one block per distinct remediation, saying which rows it covers, at most `BLOCKS_SHOWN` of them.
 */
export function renderTable(findings: Finding[], store: StoreFlags): string {
  if (findings.length === 0)
    return `No findings match. Run \`${suggestedCommand('analyze <files>', store)}\` first, or widen the filter.\n`;
  const lines: string[] = [];
  const header = ['#', 'time (UTC)', 'scenario', 'server', 'sender (P1)', 'recipient', 'code', 'conf.'];
  const table = findings.map((f, index) => [
    `${index + 1}`,
    f.timestamp.slice(0, 19).replace('T', ' '),
    f.scenario,
    serverOf(f),
    envelopeSenderCell(f),
    f.recipient,
    `${f.code}${f.attr ? ` ${f.attr}` : ''}`,
    f.confidence,
  ]);
  const widths = header.map((h, i) =>
    Math.min(MAX_CELL_CHARS, Math.max(h.length, ...table.map((row) => (row[i] ?? '').length))),
  );
  const format = (row: string[]) =>
    row
      .map((cell, i) => cutCell(cell).padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  lines.push(format(header), widths.map((w) => '─'.repeat(w)).join('  '));
  for (const row of table) lines.push(format(row));
  if (findings.some((f) => f.returnPath === undefined && f.sender !== undefined)) {
    lines.push(
      '',
      `${HEADER_SENDER_MARK}: the input does not give that message's envelope sender (P1); its header sender (P2) is shown.`,
    );
  }
  const blocks = remediationBlocks(findings);
  for (const block of blocks.slice(0, BLOCKS_SHOWN)) lines.push(...blockLines(block, findings.length));
  const rest = blocks.slice(BLOCKS_SHOWN);
  if (rest.length > 0) {
    const rows = rest.flatMap((block) => block.rows).sort((a, b) => a - b);
    lines.push(
      '',
      `${plural(rest.length, 'more distinct remediation')} (rows ${rowRuns(rows)}): use --format json to see ` +
        "each finding's, or narrow the table with --scenario or --sender-domain.",
    );
  }
  lines.push('', `${findings.length} finding${findings.length === 1 ? '' : 's'}.`);
  // Values come from logs: an escape sequence or a bidi override in an address must not act.
  return `${lines.map(terminalSafe).join('\n')}\n`;
}
