/**
 * The mail flow reports of the new Exchange admin center (Reports > Mail flow) that admins download
 * when relayed mail is refused, told by the header of their details table's CSV export: the
 * Non-accepted domain report and the Auto-forwarded messages report. Neither holds a refusal, and
 * neither is read; the message says what each report is to a relay refusal and what to analyse
 * instead. Columns are compared as {@link normaliseHeader} spells them, matched on a distinctive
 * subset, because spellings vary between tenants and a spreadsheet re-save may add or move columns.
 */

import { plural } from '../../kernel/counts-in-words.js';
import { quoteText } from '../../kernel/strings.js';
import { CsvRecordSplitter, guessDelimiter, normaliseHeader } from '../../text/csv-records.js';
import { validDomain } from '../model/domain-name.js';

/**
 * What of detection's unrecognised input (unsupported-inputs.ts, which calls this module) is read
 * here: the header line, its 1-based line, its cells, and the text from it on.
 */
export interface ReportInput {
  text: string;
  line: number;
  cells: readonly string[];
  sample: string;
}

/** Sender domains named from a Non-accepted domain report: enough to recognise, few enough to read. */
const DOMAINS_NAMED = 3;

/**
 * A sentence naming the report and saying what to analyse instead, or `undefined` when the header is
 * neither report's. `cutAt`: the sample's length when it ends before the input does (the sender
 * domains named are then those of the rows it holds, and the message says so).
 */
export function describeEacMailFlowReport(input: ReportInput, cutAt?: number): string | undefined {
  return describeNonAcceptedDomains(input, cutAt) ?? describeAutoForwarded(input);
}

/** Each header cell by its normalised name, as the file spells it (the first of two that normalise alike). */
function spellings(cells: readonly string[]): Map<string, string> {
  const spelt = new Map<string, string>();
  for (const cell of cells) {
    const name = normaliseHeader(cell);
    if (name !== '' && !spelt.has(name)) spelt.set(name, cell.trim());
  }
  return spelt;
}

/** The first column (normalised name) that `is` takes. */
function find(spelt: ReadonlyMap<string, string>, is: (name: string) => boolean): string | undefined {
  for (const name of spelt.keys()) if (is(name)) return name;
  return undefined;
}

/** The columns as the file spells them, for the message: `Sender domain, Count…`. */
function named(spelt: ReadonlyMap<string, string>, columns: readonly (string | undefined)[]): string {
  const names = columns.flatMap((name) =>
    name === undefined ? [] : [quoteText(spelt.get(name) ?? name, 40)],
  );
  return `${names.join(', ')}…`;
}

/**
 * The Non-accepted domain report (admin.exchange.microsoft.com/#/reports/nonaccepteddomain), whose
 * details Microsoft documents as Date, Inbound connector name, Sender domain, Count and Sample messages:
 * mail Exchange Online received from the on-premises organisation whose sender domain is no accepted
 * domain of the tenant. Its sender domain and connector columns, and its count or its sample messages,
 * tell it (one of those two may be renamed or left out).
 */
function describeNonAcceptedDomains(input: ReportInput, cutAt: number | undefined): string | undefined {
  const spelt = spellings(input.cells);
  const domain = find(spelt, (name) => name === 'senderdomain' || name === 'senderdomains');
  const connector = find(spelt, (name) => name.includes('connector'));
  const samples = find(spelt, (name) => name.startsWith('samplemessage'));
  const count = find(spelt, (name) => name === 'count' || name === 'messagecount');
  if (domain === undefined || connector === undefined || (samples === undefined && count === undefined))
    return undefined;
  const at = (name: string) => input.cells.findIndex((cell) => normaliseHeader(cell) === name);
  const domains = senderDomains(input, cutAt !== undefined, at(domain), count === undefined ? -1 : at(count));
  const theirs =
    domains.length === 0
      ? 'Such sender domains are'
      : `Its sender domains (${domainList(domains)}${cutAt === undefined ? '' : `, in its first ${Math.round(cutAt / 1024)} KB`}) are`;
  return (
    'looks like the Non-accepted domain report of the new Exchange admin center (Reports > Mail flow; its ' +
    `header on line ${input.line}: ${named(spelt, [connector, domain, count, samples])}), which relay-audit does ` +
    'not read: it holds no refusals, but counts messages from your on-premises servers that Exchange Online ' +
    'accepted (and may throttle) although their sender domain is not an accepted domain of the tenant. ' +
    `${theirs} the ones at risk: Exchange Online relays their mail only through a certificate-based inbound ` +
    'connector whose certificate names an accepted domain (since November 2023 the header From no longer ' +
    "counts), and refuses it otherwise with 550 5.7.64 (relay-audit's foreign-sender-domain); confirm yours " +
    'with relay-audit check --accepted-domains … --connectors … --certificate … (Get-AcceptedDomain | ' +
    "Export-Csv, Get-InboundConnector | ConvertTo-Json, the server's certificate as PEM). To find the refused " +
    "messages, analyse the on-premises servers' message tracking logs (MSGTRK*.LOG), or a message trace of the " +
    'failures with its details (Get-MessageTraceV2 -Status Failed … | Export-Csv -NoTypeInformation -Encoding ' +
    'UTF8, and Get-MessageTraceDetailV2 … | Export-Csv for the refusal texts).'
  );
}

/** A sender domain of the report and the messages its rows count (`undefined`: a count not read). */
interface DomainCount {
  domain: string;
  messages: number | undefined;
}

/**
 * The sender domains of the sample's rows, the most messages first, each with its rows' counts added
 * up (the report has a row a day and connector). A cell that is no domain name is passed over: it
 * would travel into the message. Cheap: the sample is at most 16 KB.
 */
function senderDomains(
  input: ReportInput,
  sampleCut: boolean,
  domainAt: number,
  countAt: number,
): DomainCount[] {
  const counts = new Map<string, number | undefined>();
  const splitter = new CsvRecordSplitter(
    { delimiter: guessDelimiter(input.text), firstLine: input.line },
    {
      onRecord(fields, line) {
        if (line === input.line) return;
        const domain = validDomain(fields[domainAt]?.trim());
        if (domain === undefined) return;
        const messages = countAt < 0 ? undefined : messageCount(fields[countAt]);
        const before = counts.has(domain) ? counts.get(domain) : 0;
        counts.set(domain, before === undefined || messages === undefined ? undefined : before + messages);
      },
      onMalformed() {},
    },
  );
  splitter.push(input.sample);
  // A sample cut short ends inside a row: that row is left out rather than read cut.
  if (!sampleCut) splitter.end();
  return [...counts]
    .map(([domain, messages]) => ({ domain, messages }))
    .sort((a, b) => (b.messages ?? -1) - (a.messages ?? -1) || a.domain.localeCompare(b.domain));
}

/** A Count cell as a number: digits, maybe grouped (`1,234`, `1.234`, `1 234`); else `undefined`. */
function messageCount(cell: string | undefined): number | undefined {
  const digits = cell?.trim().replace(/[\s.,'\u00a0\u202f]/g, '');
  return digits !== undefined && /^\d{1,12}$/.test(digits) ? Number(digits) : undefined;
}

/** `fabrikam.com: 42 messages, adatum.com: 7, litware.com: 3, and 2 more domains`. */
function domainList(domains: readonly DomainCount[]): string {
  const shown = domains.slice(0, DOMAINS_NAMED).map(({ domain, messages }, at) => {
    if (messages === undefined) return domain;
    return `${domain}: ${at === 0 ? plural(messages, 'message') : String(messages)}`;
  });
  const more = domains.length - shown.length;
  return more > 0
    ? `${shown.join(', ')}, and ${plural(more, 'more domain', 'more domains')}`
    : shown.join(', ');
}

/**
 * The Auto-forwarded messages report (Forwarder, Forwarding type, Recipient name, Recipient domain,
 * Details, Forward count, First forward date): forwarding Exchange Online did. Told by a forwarding
 * type column and a forward count or forwarder column, whatever their exact spelling (`Forwarders`,
 * `Forwarded count`).
 */
function describeAutoForwarded(input: ReportInput): string | undefined {
  const spelt = spellings(input.cells);
  const type = find(spelt, (name) => name.startsWith('forward') && /type|method/.test(name));
  const count = find(spelt, (name) => name.startsWith('forward') && name.includes('count'));
  const forwarders = find(spelt, (name) => name === 'forwarder' || name === 'forwarders');
  if (type === undefined || (count === undefined && forwarders === undefined)) return undefined;
  return (
    'looks like the Auto-forwarded messages report of the new Exchange admin center (Reports > Mail flow; its ' +
    `header on line ${input.line}: ${named(spelt, [forwarders, type, count])}), which relay-audit does not read: ` +
    'it counts the forwarding Exchange Online itself did (inbox rules and SMTP forwarding of its mailboxes, ' +
    'its mail flow rules), never that of on-premises mailboxes (an inbox rule, ForwardingAddress or ' +
    'ForwardingSmtpAddress), whose forwarded copies Exchange Online refuses with 550 5.7.64 when your ' +
    "on-premises servers relay them (relay-audit's forwarding). To find those, " +
    "analyse the on-premises servers' message tracking logs (MSGTRK*.LOG in TransportRoles\\Logs\\MessageTracking): " +
    "a mailbox's forwarding address is a REDIRECT row there, an inbox rule's forward a RECEIVE row with Source " +
    'MAILBOXRULE, and the refused copy a FAIL row with its 550 5.7.64 text.'
  );
}
