/**
 * `relay-audit analyze <file|dir>… [--accepted-domains …] [--connectors <json>] [--db DIR | --table NAME]
 *  [--json] [--no-store]`
 */
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { type AnalysisResult, analyze, type FindingSink } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { groupDigits, plural } from '../../functions/core/kernel/counts-in-words.js';
import { ArgumentError, ErrorCode } from '../../functions/core/kernel/errors.js';
import { psQuote } from '../../functions/core/kernel/powershell.js';
import {
  type DomainOracle,
  type InferredDomainEvidence,
  InferredDomains,
} from '../../functions/core/organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../../functions/core/organisation/connector-info.js';
import { expectedCertificateText } from '../../functions/core/organisation/connectors.js';
import { isAcceptedConnectorName } from '../../functions/core/organisation/host-names.js';
import { partnerCertificateConnectors } from '../../functions/core/organisation/relay-connector.js';
import {
  type InboundConnector,
  onPremisesConnectors,
  parseInboundConnectors,
} from '../../functions/core/readiness/index.js';
import type { RunCorrelation } from '../../functions/store/run-correlation.js';
import { loadAcceptedDomains } from '../support/accepted-domains-option.js';
import { readCommandLine } from '../support/command.js';
import { parseFlags, wholeNumberFlag } from '../support/flags.js';
import { findLocalInputs, type NotAnalysedFile, nothingFoundError } from '../support/inputs.js';
import { filesNotReached, INTERRUPTED_STATUS, interruptOnCtrlC } from '../support/interrupt.js';
import { NdjsonFindingWriter } from '../support/ndjson-findings.js';
import type { Output } from '../support/output.js';
import { renderAnalysisReport } from '../support/report.js';
import { checkStoreFlags, openStore, suggestedCommand } from '../support/store-options.js';
import { analyzeIntoStore } from '../support/store-run.js';
import { ANALYZE } from './definitions.js';

/** The store options, none of which means anything with --no-store. */
const STORE_OPTIONS = ['db', 'table', 'stack', 'endpoint', 'region'] as const;

const AnalyzeFlags = z.object({
  window: wholeNumberFlag(1).optional(),
  year: wholeNumberFlag(1970, 2199).optional(),
});

export async function runAnalyze(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = readCommandLine(ANALYZE, argv);
  if (positionals.length === 0) throw new ArgumentError('analyze needs at least one file or directory');
  const { window, year } = parseFlags(AnalyzeFlags, { window: values.window, year: values.year });
  if (values['no-store']) {
    const store = STORE_OPTIONS.find((name) => values[name] !== undefined);
    if (store !== undefined) throw new ArgumentError(`--no-store cannot be combined with --${store}`);
  } else {
    // Before any file is read: a clash of store options is a usage error, not a failed run.
    checkStoreFlags(values);
    if (values.db !== undefined) await checkStoreFolder(values.db);
  }

  let domains: DomainOracle;
  let domainsOrigin: string | undefined;
  // Present at all, not truthy: an unusable list is an error (as in check), never a quiet switch to inferring.
  if (values['accepted-domains'] !== undefined) {
    const loaded = await loadAcceptedDomains(values['accepted-domains']);
    domains = loaded.list;
    domainsOrigin = loaded.origin;
  } else {
    domains = new InferredDomains();
  }
  const inboundConnectors =
    values.connectors === undefined
      ? undefined
      : await loadConnectors(
          values.connectors,
          out,
          domains instanceof InferredDomains ? undefined : domains,
        );
  // A tar archive is read as the files in it (upload sends it whole). The files the options name
  // and the store's folder are no input, even inside a folder analysed.
  const configuration = (['accepted-domains', 'connectors'] as const).flatMap((option) => {
    const path = values[option];
    return path === undefined ? [] : [{ option: `--${option}`, path }];
  });
  const { inputs, notAnalysed, mayHoldRefusals } = await findLocalInputs(positionals, process.cwd(), {
    tarMembers: true,
    configuration,
    // The default store (.relay-audit) is hidden, so never walked into either.
    ...(values.db === undefined ? {} : { store: values.db }),
  });
  // Nothing to analyse is a usage error, unless something that may hold refusals went unread: that
  // is reported like a file that failed (exit status 1), with what to do.
  if (inputs.length === 0 && mayHoldRefusals.length === 0)
    throw nothingFoundError(positionals, notAnalysed, 'analysed');
  const report = { domains, origin: domainsOrigin, notAnalysed, mayHoldRefusals };
  const unread = { notAnalysed, mayHoldRefusals };

  const progress = out.progress();
  const common = {
    domains,
    inboundConnectors,
    windowEvents: window,
    year,
    onProgress: progress.update,
  };

  let result: AnalysisResult;
  let storeNote: string | undefined;
  let correlationNote: string | undefined;
  let reclassified: { thisRun: number; earlierRuns: number; complete: boolean } | undefined;
  if (values['no-store']) {
    const writer = new NdjsonFindingWriter((bytes) => out.write(bytes));
    const sink: FindingSink = {
      putFindings: (findings: Finding[]) => writer.add(findings),
      async putSource() {},
    };
    result = await analyze(inputs, { ...common, sink });
    await writer.end();
    progress.done();
    // stdout carries the findings; the summary goes to stderr.
    out.error(
      values.json
        ? JSON.stringify(summaryJson(result, domains, domainsOrigin, unread))
        : renderAnalysisReport(result, report),
    );
  } else {
    const handle = await openStore(values);
    try {
      // Ctrl+C stops the reading, not the process: what was read is stored and counted (the store's
      // counters settled), so a run analysed again later never leaves the dashboard's totals short.
      const interrupt = interruptOnCtrlC(
        out,
        'Interrupted: storing what was read so far (Ctrl+C again to quit at once)…',
      );
      let correlation: RunCorrelation;
      try {
        ({ result, correlation } = await analyzeIntoStore(handle, inputs, {
          ...common,
          interrupted: () => interrupt.signal.aborted,
        }));
      } finally {
        interrupt.dispose();
      }
      correlationNote = correlationText(correlation);
      reclassified = {
        thisRun: correlation.ownReclassified.length,
        earlierRuns: correlation.earlierReclassified,
        complete: correlation.complete,
      };
      progress.done();
      // No count of the whole store here: counting reads every stored finding (a Query per scenario
      // partition), so each run would cost time, memory and — on a real table — read capacity in
      // proportion to everything ever analysed. `relay-audit findings` reads the store when asked.
      const written = Object.values(result.findingsByScenario).reduce((sum, count) => sum + count, 0);
      storeNote =
        `Stored in the ${handle.description}: ${groupDigits(written)} findings from this run ` +
        '(a finding analysed again replaces itself, it is never added twice). ' +
        `${correlationNote ?? ''}List them: ${suggestedCommand('findings', values)}`;
      if (values.json) {
        await out.write(
          `${JSON.stringify({ ...summaryJson(result, domains, domainsOrigin, unread), store: { description: handle.description, findingsWritten: written, reclassifiedAsForwarding: reclassified } })}\n`,
        );
      } else {
        await out.write(renderAnalysisReport(result, { ...report, storeNote, storeFlags: values }));
      }
    } finally {
      await handle.close();
    }
  }
  if (result.sources.some((source) => source.errorCode === ErrorCode.Interrupted)) return INTERRUPTED_STATUS;
  // A file that may hold refusals and was not read fails the run as it would have failed if named.
  return result.sources.some((source) => source.status === 'failed') || mayHoldRefusals.length > 0 ? 1 : 0;
}

/**
 * `--db` must be a folder (created when missing): given a file, the store could not be created in
 * it, and the run would fail after reading every log. A usage error, before anything is read.
 */
async function checkStoreFolder(db: string): Promise<void> {
  const info = await stat(db).catch(() => undefined);
  if (info !== undefined && !info.isDirectory()) {
    throw new ArgumentError(
      `--db ${db} is a file, not a folder: give the folder of the store (relay-audit creates it when it is missing)`,
    );
  }
}

/** One sentence on what the end-of-run correlation changed, or nothing when it changed nothing. */
function correlationText(correlation: {
  ownReclassified: readonly unknown[];
  ownUnforwarded?: readonly { finding: Pick<Finding, 'scenario'> }[] | undefined;
  earlierReclassified: number;
  complete: boolean;
}): string | undefined {
  const own = correlation.ownReclassified.length;
  const unforwarded = correlation.ownUnforwarded ?? [];
  const earlier = correlation.earlierReclassified;
  const parts: string[] = [];
  if (own > 0) {
    const what = plural(own, "of this run's refusals is", "of this run's refusals are");
    parts.push(`${what} forwarding, proven by receipts in another file of the run or in earlier runs`);
  }
  if (unforwarded.length > 0) {
    const what = plural(
      unforwarded.length,
      "of this run's refusals read as forwarding is",
      "of this run's refusals read as forwarding are",
    );
    const now = [...new Set(unforwarded.map(({ finding }) => finding.scenario))].sort().join(' or ');
    parts.push(
      `${what} ${now} instead: a receipt in an earlier run shows the sender addressed the outside recipient itself`,
    );
  }
  if (earlier > 0) {
    const what = plural(earlier, 'refusal stored by earlier runs is', 'refusals stored by earlier runs are');
    parts.push(`${what} now forwarding, proven by this run's receipts`);
  }
  if (!correlation.complete) {
    parts.push(
      'the run was too large to correlate in full: the nightly job (relay-audit report) completes it',
    );
  }
  return parts.length === 0 ? undefined : `${parts.join('; ')}. `;
}

/**
 * `--connectors`: the OnPremises inbound connectors, enabled or not; each finding's remediation
 * names the one that matters to it (a certificate connector that already fits, one to enable, one
 * to rename, or an IP-only one to switch). A file that is not a connectors export is a usage error;
 * one without an OnPremises connector only a note (the remediation then says to create one). A
 * Partner connector that expects a certificate is named too (see {@link partnerNotes}). `accepted`:
 * the accepted domains given (`--accepted-domains`), not inferred.
 */
async function loadConnectors(
  file: string,
  out: Output,
  accepted: DomainOracle | undefined,
): Promise<InboundConnectorInfo[] | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ArgumentError(
      `--connectors ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : 'cannot be read'}`,
    );
  }
  const connectors = parseInboundConnectors(bytes, file);
  const onPremises = onPremisesConnectors(connectors);
  const partners = partnerNotes(connectors, accepted);
  if (!onPremises.some((connector) => connector.enabled)) {
    const names = connectors.map((connector) => `"${connector.name}"`).join(', ');
    out.error(
      `Inbound connectors (${file}): no enabled OnPremises connector${names ? ` among ${names}` : ''}; ` +
        `the remediation says ${onPremises.length > 0 ? 'which to enable or ' : ''}how to create one (relay-audit check tells more).` +
        (partners.length > 0 ? ` Of type Partner: ${partners.join(', ')}.` : ''),
    );
    return onPremises.length > 0 ? onPremises : undefined;
  }
  const described = onPremises.map(
    (connector) =>
      `"${connector.name}" (${connector.identifiesBy === 'ip' ? 'IP address only' : `certificate ${expectedCertificateText(connector)}`.trim()}${connector.enabled ? '' : ', disabled'})`,
  );
  out.error(
    `Inbound connectors (${file}): ${[...described, ...partners].join(', ')}; ` +
      "each finding's remediation names the one that matters to it.",
  );
  return onPremises;
}

/**
 * A Partner connector that expects a certificate: no finding can name it (only OnPremises connectors
 * attribute relayed mail), so the header does, as it read it. Only one whose certificate name is in an
 * accepted domain may be the servers' connector created with the wrong type, so only then is the
 * change of type proposed: one for a partner's servers (`*.woodgrovebank.com`) would make Exchange
 * Online take that partner's mail for the tenant's own. With no accepted domains given, whose it is
 * cannot be told, and nothing is proposed either.
 */
function partnerNotes(connectors: readonly InboundConnector[], accepted: DomainOracle | undefined): string[] {
  return partnerCertificateConnectors(connectors).map((connector) => {
    const name = connector.tlsSenderCertificateName ?? '';
    const unused = 'no finding uses it, as only OnPremises connectors attribute relayed mail';
    let note: string;
    if (accepted === undefined)
      note = `${unused}; give --accepted-domains to tell whether it is meant for your servers`;
    else if (isAcceptedConnectorName(name, accepted))
      note =
        `${unused}; if it is meant for your servers, Set-InboundConnector -Identity ${psQuote(connector.name)} ` +
        `-ConnectorType OnPremises${connector.enabled ? '' : ' -Enabled $true'}`;
    else
      note =
        `${name} is not in your accepted domains (MatchSubDomains counted), so it is taken for a partner's ` +
        'connector, which no finding uses';
    return (
      `"${connector.name}" (certificate ${expectedCertificateText(connector)}, type Partner` +
      `${connector.enabled ? '' : ', disabled'}: ${note})`
    );
  });
}

/** Domains receipts alone would have made the organisation's but Exchange Online refused to relay to; only when there are. */
function notTaken(domains: InferredDomains): { notTaken?: InferredDomainEvidence[] } {
  const refused = domains.refusedRelayDespiteReceipts();
  return refused.length > 0 ? { notTaken: refused } : {};
}

function summaryJson(
  result: AnalysisResult,
  domains: DomainOracle,
  origin: string | undefined,
  {
    notAnalysed,
    mayHoldRefusals,
  }: { notAnalysed: readonly NotAnalysedFile[]; mayHoldRefusals: readonly string[] },
) {
  const unread = new Set(mayHoldRefusals);
  return {
    sources: result.sources,
    // Those that may hold refusals are flagged: the run failed for them, as for the files it was
    // stopped before.
    notAnalysed: [
      ...notAnalysed.map((entry) => (unread.has(entry.file) ? { ...entry, mayHoldRefusals: true } : entry)),
      ...filesNotReached(result).map((entry) => ({ ...entry, mayHoldRefusals: true })),
    ],
    findingsByScenario: result.findingsByScenario,
    senderDomains: result.senderDomains.slice(0, 50),
    forwardedFrom: result.forwardedFrom.slice(0, 50),
    events: result.events,
    rejections: result.rejections,
    duplicates: result.duplicates,
    unclassified: result.unclassified,
    acceptedDomains:
      domains instanceof InferredDomains
        ? { basis: 'inferred', domains: domains.evidence(), ...notTaken(domains) }
        : { basis: 'given', origin, domains: domains.domains() },
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
