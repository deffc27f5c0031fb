/**
 * The human report of `analyze`: per file what was read and skipped, findings per scenario, the
 * sender domains behind them, what we know about accepted domains, and the next step to take.
 * "No relay refusals" is said only of rows that were analysed: a file that gave nothing usable is
 * listed as failed with why, and one whose refusals were all counted from an earlier file says so.
 * Never "nothing to fix" while a file that may hold refusals (an archive, a compressed file, text
 * with a refusal in no format relay-audit reads) went unread.
 */

import type { AnalysisResult } from '../../functions/core/analysis/analyze.js';
import { formatLabel } from '../../functions/core/analysis/formats/labels.js';
import { endsCutShort } from '../../functions/core/analysis/input/unread-refusals.js';
import {
  type ForwardingOrigin,
  SCENARIO_IDS,
  type ScenarioId,
} from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { SCENARIO_DESCRIPTIONS } from '../../functions/core/analysis/remediation/index.js';
import { relaySoftwareOf } from '../../functions/core/analysis/remediation/relay-software.js';
import {
  failedFilesPhrase,
  TRACE_DETAIL_EXPORT,
  unexplainedFailuresSentence,
} from '../../functions/core/analysis/trace-failure-advice.js';

import { groupDigits, plural } from '../../functions/core/kernel/counts-in-words.js';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
import { terminalSafe } from '../../functions/core/kernel/strings.js';
import {
  AcceptedDomainList,
  type DomainOracle,
  type InferredDomainEvidence,
  InferredDomains,
} from '../../functions/core/organisation/accepted-domains.js';
import { acceptedDomainNames } from './accepted-domains-option.js';
import type { NotAnalysedFile } from './inputs.js';
import { filesNotReached } from './interrupt.js';
import { type StoreFlags, suggestedCommand } from './store-options.js';

/** Failures whose message already says how many rows were read. */
/** How a forwarding origin passed mail on, as the report lists it (`Finding.forwardedFrom.kind`). */
const ORIGIN_LABELS: Record<ForwardingOrigin['kind'], string> = {
  redirect: 'mailbox forwarding or redirect (REDIRECT)',
  resolve: 'contact or mail user with an outside address (RESOLVE)',
  expand: 'distribution group with an outside member (EXPAND)',
  'mailbox-rule': 'Inbox rule',
  'received-for': 'received for it, then sent on outside',
};

const ROWS_IN_MESSAGE: ReadonlySet<string> = new Set([
  ErrorCode.NoUsableRows,
  ErrorCode.Interrupted,
  ErrorCode.DeadlineReached,
  ErrorCode.RefusalNotRead,
]);

function describeSource(source: SourceRecord): string[] {
  const lines: string[] = [];
  if (source.status === 'failed') {
    lines.push(`  ✗ ${source.file} — not analysed: ${source.errorCode}`);
    for (const line of (source.errorMessage ?? '').split('\n')) lines.push(`      ${line}`);
    // A file without usable rows, or stopped part-way: its message already says what became of its rows.
    if (source.rowsRead > 0 && !ROWS_IN_MESSAGE.has(source.errorCode ?? ''))
      lines.push(`      (${plural(source.rowsRead, 'row')} were read before the error)`);
    return lines;
  }
  lines.push(
    `  ✓ ${source.file} — ${formatLabel(source.format, 'short')}: ${plural(source.rowsRead, 'row')}` +
      `, ${groupDigits(source.rowsAnalysed)} analysed, ${groupDigits(source.rowsSkipped)} skipped; ${describeRefusals(source)}`,
  );
  for (const skipped of source.skipped.slice(0, 10)) {
    lines.push(
      `      line ${skipped.line}${skipped.column ? ` (${skipped.column})` : ''}: ${skipped.reason} — ${skipped.message}`,
    );
  }
  const listed = Math.min(10, source.skipped.length);
  const more = source.rowsSkipped - listed;
  if (more > 0) {
    const reasons = Object.entries(source.skippedByReason)
      .map(([reason, count]) => `${reason} ${count}`)
      .join(', ');
    // "More" only after rows listed above it.
    const rows = listed > 0 ? `… and ${plural(more, 'more skipped row')}` : plural(more, 'skipped row');
    lines.push(`      ${rows} (${reasons})`);
  }
  for (const note of source.notes ?? []) lines.push(`      note (${note.code}): ${note.message}`);
  return lines;
}

/**
 * What a file's refusals came to: its findings, the refusals already counted from earlier files of
 * the run (overlapping exports), or none.
 */
function describeRefusals(source: SourceRecord): string {
  const failures = source.unexplainedFailures ?? 0;
  const refusals = refusalsOf(source, failures > 0);
  // Failed messages the file gives no reason for may be refusals: never under "no relay refusals".
  return failures > 0 ? `${refusals}; ${failedWithoutReason(failures)}` : refusals;
}

/** `3 failed messages give no reason` */
function failedWithoutReason(count: number): string {
  return `${plural(count, 'failed message')} ${count === 1 ? 'gives' : 'give'} no reason`;
}

function refusalsOf(source: SourceRecord, unexplained: boolean): string {
  const findings = SCENARIO_IDS.filter((id) => source.findingsByScenario[id])
    .map((id) => `${id} ${source.findingsByScenario[id]}`)
    .join(', ');
  const repeated = source.duplicateRefusals ?? 0;
  const from = `already counted from ${(source.duplicateOf ?? []).join(', ') || 'an earlier file'}`;
  if (findings) {
    return repeated > 0
      ? `findings: ${findings}; ${plural(repeated, 'more refusal')} ${from}`
      : `findings: ${findings}`;
  }
  const refusals = plural(source.rejections, 'relay refusal');
  if (repeated > 0 && repeated >= source.rejections) return `${refusals}, all ${from}`;
  if (repeated > 0) return `${refusals}, ${groupDigits(repeated)} ${from}`;
  // Refusals without a finding and not repeated: no scenario rule matched (reported below).
  if (source.rejections > 0) return `${refusals}, none matched a scenario`;
  return unexplained ? 'no relay refusal proven' : 'no relay refusals';
}

function describeDomains(domains: DomainOracle, origin: string | undefined): string[] {
  if (domains instanceof InferredDomains) {
    const weight = (item: InferredDomainEvidence) =>
      item.delivered + item.submitted + item.receivedFromOutside;
    const evidence = domains.evidence().sort((a, b) => weight(b) - weight(a));
    const lines = ['Accepted domains: none given, so relay-audit inferred them from the traffic.'];
    const notTaken = domains.refusedRelayDespiteReceipts();
    if (evidence.length === 0) {
      lines.push(
        notTaken.length === 0
          ? '  No mailbox deliveries or submissions, and too few receipts of mail from outside, were seen,'
          : '  No mailbox deliveries or submissions were seen, nor receipts of mail from outside that count,',
        '  so nothing could be inferred.',
      );
    } else {
      for (const item of evidence.slice(0, 10)) {
        const seen = [
          `${plural(item.delivered, 'delivery', 'deliveries')} to mailboxes`,
          `${plural(item.submitted, 'submission')} from mailboxes`,
        ];
        if (item.receivedFromOutside > 0)
          seen.push(`${plural(item.receivedFromOutside, 'receipt')} from outside`);
        lines.push(`  ${item.domain} — ${seen.join(', ')}`);
      }
    }
    for (const item of notTaken.slice(0, 10)) {
      lines.push(
        `  Not taken: ${item.domain} — ${plural(item.receivedFromOutside, 'receipt')} from outside, but Exchange Online`,
        '  refused to relay to it (5.7.64), which it does only for domains outside your tenant',
      );
    }
    lines.push(
      '  Precision depends on the list: without it, refusals are judged by their ATTR code. Pass',
      '  --accepted-domains with a `Get-AcceptedDomain | Export-Csv` file or a comma list.',
    );
    return lines;
  }
  const names = domains instanceof AcceptedDomainList ? acceptedDomainNames(domains) : domains.domains();
  return [
    `Accepted domains: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''} (from ${origin ?? 'configuration'})`,
  ];
}

export interface ReportOptions {
  /** The accepted domains the run used, or in words where they are kept (a stack's configuration). */
  domains: DomainOracle | string;
  /** Where the accepted domains came from (a file, a comma list). */
  origin?: string | undefined;
  /** What the store did with the findings. */
  storeNote?: string | undefined;
  /** Files found in the directories that are not logs or exports, and why. */
  notAnalysed?: readonly NotAnalysedFile[];
  /** Of `notAnalysed`, the files that may hold relay refusals: listed apart, and no all-clear. */
  mayHoldRefusals?: readonly string[];
  /**
   * The store the findings went to: the commands suggested name it, so they read that store. None:
   * nothing was stored (`--no-store`), and no command reading a store is suggested.
   */
  storeFlags?: StoreFlags;
  /**
   * Each file was analysed in a run of its own (a stack's ingest: one run per uploaded object), not
   * together as `analyze` reads them: where a file's reading needs another file, the report says so.
   */
  perFileRuns?: boolean;
}

/**
 * The notes of a file whose reading another file of the same run would complete: a protocol log's
 * session or a mail log's message begun or ended in another file (rotated), a mail log's copy of
 * lines whose sender is in the log itself.
 */
const NEEDS_OTHER_FILES: ReadonlySet<string> = new Set([
  'SESSIONS_JOINED_LATE',
  'SESSIONS_CLOSED_EARLY',
  'SENDER_NOT_SEEN',
  'RECIPIENTS_NOT_PAIRED',
]);

/**
 * For a report of files analysed one by one (`perFileRuns`): what only reading them together tells,
 * and how to get it. Said when some file's reading needs another, or a message trace's failures found
 * no reason in the trace's own file (its details may be another uploaded file).
 */
function perFileRunsNote(result: AnalysisResult): string[] {
  const needsOthers = result.sources.some((source) =>
    (source.notes ?? []).some((note) => NEEDS_OTHER_FILES.has(note.code)),
  );
  if (!needsOthers && result.unexplainedFailures === 0) return [];
  return [
    '',
    'Each uploaded file was analysed on its own. What only files read together tell (a log rotated during',
    'a session or a delivery, a log and a copy of its lines, a message trace and its details) is told above',
    'as each file alone tells it: where a note asks for another file "in the same run", or a trace names',
    'failures without a reason, analyse those files together on this machine, relay-audit analyze <files>,',
    'or upload a rotated log joined into one file (cat mainlog.1 mainlog > mainlog.joined).',
  ];
}

export function renderAnalysisReport(result: AnalysisResult, options: ReportOptions): string {
  const total = SCENARIO_IDS.reduce((sum, id) => sum + result.findingsByScenario[id], 0);
  const rows = result.sources.reduce((sum, source) => sum + source.rowsRead, 0);
  const failed = result.sources.filter((source) => source.status === 'failed').length;
  const mayHold = new Set(options.mayHoldRefusals ?? []);
  const notAnalysed = options.notAnalysed ?? [];
  const unread = notAnalysed.filter((entry) => mayHold.has(entry.file));
  const others = notAnalysed.filter((entry) => !mayHold.has(entry.file));
  const notReached = filesNotReached(result);
  const missed = [
    ...(failed > 0 ? [`${groupDigits(failed)} could not be analysed`] : []),
    ...(notReached.length > 0 ? [`${groupDigits(notReached.length)} not read: the run was stopped`] : []),
  ];
  const out: string[] = [];
  out.push(
    `relay-audit: ${plural(result.sources.length + notReached.length, 'file')}${missed.length > 0 ? ` (${missed.join(', ')})` : ''}, ${plural(rows, 'row')}, ` +
      `${plural(result.rejections, 'relay refusal')} → ${plural(total, 'finding')}` +
      (result.duplicates > 0 ? ` (${plural(result.duplicates, 'repeated refusal')} counted once)` : '') +
      (unread.length > 0 ? `; ${plural(unread.length, 'file')} that may hold refusals not read` : ''),
  );
  // A run of nothing but unread files has no analysed file to list.
  if (result.sources.length + notReached.length > 0) out.push('', 'Files');
  for (const source of result.sources) out.push(...describeSource(source));
  // After the file the run was stopped in, in the order they would have been read.
  for (const { file, reason } of notReached) out.push(`  ✗ ${file} — not analysed: ${reason}`);
  if (unread.length > 0) {
    out.push('', 'Files not read that may hold relay refusals');
    for (const { file, reason } of unread) out.push(`  ✗ ${file} — ${reason}`);
  }
  if (others.length > 0) {
    out.push('', 'Other files, not analysed');
    for (const { file, reason } of others) out.push(`  – ${file} — ${reason}`);
  }
  out.push('');
  if (total === 0) {
    out.push(...noFindings(result, unread.length, notReached.length));
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
    for (const entry of result.senderDomains.slice(0, LIST_SIZE)) {
      const scenarios = Object.entries(entry.scenarios)
        .map(([id, count]) => `${id} ${count}`)
        .join(', ');
      out.push(`  ${String(entry.count).padStart(6)}  ${entry.domain.padEnd(30)} ${scenarios}`);
    }
    out.push(...moreThanListed(result.senderDomains));
    if (result.forwardedFrom.length > 0) {
      out.push('', 'Forwarded on-premises by (start with these mailboxes and groups)');
      for (const origin of result.forwardedFrom.slice(0, LIST_SIZE)) {
        out.push(
          `  ${String(origin.count).padStart(6)}  ${terminalSafe(origin.address).padEnd(30)} ${ORIGIN_LABELS[origin.kind]}`,
        );
      }
      out.push(...moreThanListed(result.forwardedFrom));
    }
  }
  out.push(
    '',
    ...(typeof options.domains === 'string'
      ? [`Accepted domains: ${options.domains}.`]
      : describeDomains(options.domains, options.origin)),
  );
  if (result.ruleFailures > 0) {
    out.push(
      '',
      `${plural(result.ruleFailures, 'refusal')} could not be classified: a scenario rule failed on them (a defect in relay-audit); please report it.`,
    );
  }
  if (result.unclassified > result.ruleFailures) {
    out.push(
      '',
      `${plural(result.unclassified - result.ruleFailures, 'refusal')} matched no scenario rule; please report them.`,
    );
  }
  if (options.storeNote) out.push('', options.storeNote);
  out.push('', ...nextStep(result, total, options.storeFlags, unread.length, notReached.length));
  if (options.perFileRuns === true) out.push(...perFileRunsNote(result));
  return `${out.join('\n')}\n`;
}

/** Entries of the report's ranked lists (sender domains, forwarding origins). */
const LIST_SIZE = 10;

/** Under a ranked list cut at {@link LIST_SIZE}: how many entries are not shown, so its sum is not taken for the total. */
function moreThanListed(entries: readonly { count: number }[]): string[] {
  const rest = entries.slice(LIST_SIZE);
  if (rest.length === 0) return [];
  const count = rest.reduce((sum, entry) => sum + entry.count, 0);
  return [`          and ${groupDigits(rest.length)} more (${plural(count, 'finding')})`];
}

/**
 * A run without findings: said of the rows that were analysed, never of files that failed, that
 * may hold refusals and were not read (`unread`), or that the run was stopped before (`notReached`).
 */
function noFindings(result: AnalysisResult, unread: number, notReached: number): string[] {
  const failedSources = result.sources.filter((source) => source.status === 'failed');
  // A failed file that analysed rows (a line with refusal text not read, a run stopped in it) was read
  // in part: its rows are among those counted, and only what its failure names is unknown.
  const partly = failedSources.filter((source) => source.rowsAnalysed > 0);
  const failed = failedSources.length - partly.length;
  const analysed = result.sources.filter((source) => source.rowsAnalysed > 0);
  const rows = analysed.reduce((sum, source) => sum + source.rowsAnalysed, 0);
  if (rows === 0) return ['Nothing was analysed: no file gave a row that could be analysed (see above).'];
  const failures = result.unexplainedFailures;
  // Failed messages without a reason may be refusals: the headline says none was proven, not found.
  const found =
    result.rejections > 0
      ? `${plural(result.rejections, 'relay refusal')} (5.7.64 TenantAttribution / 4.4.62 ATTR35) matched no scenario`
      : failures > 0
        ? 'No relay refusal (5.7.64 TenantAttribution / 4.4.62 ATTR35) was proven'
        : 'No relay refusals (5.7.64 TenantAttribution / 4.4.62 ATTR35) were found';
  const why =
    failures > 0
      ? `${result.rejections > 0 ? ';' : ':'} ${failedWithoutReason(failures)}, so ${failures === 1 ? 'it may be a refusal' : 'they may be refusals'} (see the next step)`
      : '';
  if (failedSources.length === 0 && unread === 0 && notReached === 0) return [`${found}${why}.`];
  const missed = [
    ...(failed > 0 ? [`${plural(failed, 'file')} could not be analysed`] : []),
    ...(unread > 0
      ? [`${plural(unread, 'file')} that may hold refusals ${unread === 1 ? 'was' : 'were'} not read`]
      : []),
    ...(notReached > 0
      ? [`${plural(notReached, 'file')} ${notReached === 1 ? 'was' : 'were'} not read (the run was stopped)`]
      : []),
  ];
  const unknown = failed + unread + notReached;
  return [
    `${found} in the ${plural(rows, 'row')} analysed from ${plural(analysed.length, 'file')}${why};`,
    ...(partly.length > 0 ? [`${readInPart(partly)}${unknown > 0 ? ';' : '.'}`] : []),
    ...(unknown > 0
      ? [`${missed.join(' and ')}, so nothing is known of ${unknown === 1 ? 'it' : 'them'}.`]
      : []),
  ];
}

/** What is unknown of failed files that analysed rows: what their failures name, not the whole file. */
function readInPart(partly: readonly SourceRecord[]): string {
  const rows = partly.reduce((sum, source) => sum + source.rowsAnalysed, 0);
  // Lines not read are named in a REFUSAL_NOT_READ message; other failures (a stop, an error) end the read.
  const unreadLines = partly.every((source) => source.errorCode === ErrorCode.RefusalNotRead);
  return (
    `${plural(partly.length, 'file')} ${partly.length === 1 ? 'was' : 'were'} read only in part ` +
    `(${plural(rows, 'row')} analysed; ${unreadLines ? 'the lines named above were not read' : 'what is said above was not read'})`
  );
}

function nextStep(
  result: AnalysisResult,
  total: number,
  store: StoreFlags | undefined,
  unread: number,
  notReached: number,
): string[] {
  const failed = result.sources.filter((source) => source.status === 'failed');
  // Files a stop (Ctrl+C) left unread, in part or whole: the same command run again reads them, and
  // the store takes what it finds again without counting it twice. The other failures need a fix.
  const interrupted = failed.filter((source) => source.errorCode === ErrorCode.Interrupted).length;
  const unfinished = interrupted + notReached;
  const otherFailures = failed.length - interrupted;
  const unfinishedThem = unfinished === 1 ? 'it' : 'them';
  // Said after "The" (below the findings) or "Next step: the".
  const stoppedText =
    `run was stopped before ${plural(unfinished, 'file')} ${unfinished === 1 ? 'was' : 'were'} read to the end (see above): ` +
    `run the same command again to analyse ${unfinishedThem}${store === undefined ? '' : ' (what is stored already is replaced, never counted twice)'}.`;
  // Files whose reading ended inside a row cut short (copied while written): read, but not whole.
  const cut = result.sources.filter((source) => source.status !== 'failed' && endsCutShort(source)).length;
  const cutThem = cut === 1 ? 'it' : 'them';
  const cutFiles = `${plural(cut, 'file')} ${cut === 1 ? 'ends' : 'end'} in a row cut short (see above)`;
  const copyCut = `copy ${cutThem} again (a log once it has rolled over) and analyse the copy`;
  const lines: string[] = [];
  // Unread files that may hold refusals: each is listed with what to do (extract, decompress, export).
  const unreadLine = `${plural(unread, 'file')} that may hold refusals ${unread === 1 ? 'was' : 'were'} not read (see above): extract, decompress or export ${unread === 1 ? 'it' : 'them'} as said there, and analyse ${unread === 1 ? 'it' : 'them'}.`;
  if (total > 0) {
    const top = [...SCENARIO_IDS].sort(
      (a, b) => result.findingsByScenario[b] - result.findingsByScenario[a],
    )[0] as ScenarioId;
    // A relay's findings carry its shell commands and configuration lines besides PowerShell.
    const commands = result.sources.some(
      (source) => source.format !== undefined && relaySoftwareOf(source.format) !== undefined,
    )
      ? 'commands'
      : 'PowerShell';
    lines.push(
      `Next step: most refusals are "${SCENARIO_DESCRIPTIONS[top].title}".`,
      `  ${SCENARIO_DESCRIPTIONS[top].summary}`,
      store === undefined
        ? `  Each finding printed carries its tailored steps and ${commands} ("remediation"); analysed into the store (without --no-store), relay-audit findings --scenario ${top} --format table lists them.`
        : `  See the tailored steps and ${commands}: ${suggestedCommand(`findings --scenario ${top} --format table`, store)}`,
    );
    if (otherFailures > 0)
      lines.push(`  ${plural(otherFailures, 'file')} could not be analysed (see above).`);
    if (unfinished > 0) lines.push(`  The ${stoppedText}`);
    if (unread > 0) lines.push(`  ${unreadLine}`);
    if (cut > 0) lines.push(`  ${cutFiles}: ${copyCut} to read that row too.`);
  } else if (unfinished > 0) {
    lines.push(`Next step: the ${stoppedText}`, `  The refusals may be in ${unfinishedThem}.`);
    if (otherFailures > 0)
      lines.push(
        `  And export again, fix or replace the ${plural(otherFailures, 'file')} that could not be analysed, as said above, and analyse the result.`,
      );
    if (unread > 0) lines.push(`  And ${unreadLine}`);
  } else if (failed.length > 0) {
    const them = failed.length === 1 ? 'it' : 'them';
    lines.push(
      // "Replace": a file named as no log (a report of the admin center) says what to analyse instead.
      `Next step: export again, fix or replace what could not be analysed, as said above for ${them},`,
      '  and analyse the result: the refusals may be in it.',
    );
    if (unread > 0) lines.push(`  And ${unreadLine}`);
  } else if (unread > 0) {
    lines.push(`Next step: ${unreadLine}`, `  The refusals may be in ${unread === 1 ? 'it' : 'them'}.`);
  } else if (result.unexplainedFailures === 0 && cut > 0) {
    // What the cut row held beyond the cut is unknown: it may have been a refusal.
    lines.push(
      `Next step: nothing to fix in what was read, but ${cutFiles}, which may have been a refusal:`,
      `  ${copyCut} to be sure.`,
    );
  } else if (result.unexplainedFailures === 0) {
    lines.push('Next step: nothing to fix in these files. Analyse more days of tracking logs to be sure.');
  }
  // A trace's Failed rows may be refusals: never an all-clear while their reasons are unknown.
  if (result.unexplainedFailures > 0)
    lines.push(...unexplainedFailures(result.unexplainedFailures, total, formatsWithoutReasons(result)));
  return lines;
}

/** The formats of the files whose failed messages no file of the run gives a reason for. */
function formatsWithoutReasons(result: AnalysisResult): (string | undefined)[] {
  return result.sources
    .filter((source) => (source.unexplainedFailures ?? 0) > 0)
    .map((source) => source.format);
}

/** What to do about messages a message trace says failed when no file of the run says why. */
function unexplainedFailures(
  count: number,
  total: number,
  formats: readonly (string | undefined)[],
): string[] {
  return [
    total > 0
      ? `  And ${plural(count, 'message')} failed in ${failedFilesPhrase(formats)} without a reason in these files: they may be refusals too.`
      : `Next step: ${unexplainedFailuresSentence(count, formats)}`,
    '  Export their details and analyse them with the trace (Exchange Online PowerShell):',
    `    ${TRACE_DETAIL_EXPORT[0]}`,
    `      ${TRACE_DETAIL_EXPORT[1]}`,
    '  (past 10 days: Start-HistoricalSearch -ReportType MessageTraceDetail, the Extended report)',
  ];
}
