/**
 * Names what an unrecognised input is, when we can tell, so the UNKNOWN_FORMAT message says
 * "JSON, not CSV: a Microsoft Graph message trace" or "an Exchange SMTP send protocol log" instead
 * of listing the file's first data row as its "headers" (docs/domain.md §5: the shapes real files
 * take). Only shapes that can be told apart with confidence are named; anything else gets the
 * generic message.
 */

import { quoteText } from '../../kernel/strings.js';
import { normaliseHeader, splitRecord } from '../../text/csv-records.js';
import { refusalMarkerIn, relayRejectionIn } from '../evidence/rejections.js';
import { missingColumns } from '../formats/columns.js';
import { describeReceiveProtocolLog } from '../formats/exchange-protocol-log.js';
import {
  exchangeTrackingLog,
  startsWithTrackingTimestamp,
  TRACKING_FIELD_COUNTS,
} from '../formats/exchange-tracking-log.js';
import type { FormatAdapter } from '../formats/format-adapter.js';
import {
  ENABLE_FIELDS_ADVICE,
  IIS_SMTP_FIELDS,
  isIisWebLog,
  lackingFieldsWhy,
} from '../formats/iis-smtp-log.js';
import { FORMATS } from '../formats/index.js';
import { FORMAT_LABELS } from '../formats/labels.js';
import { JOURNAL_EXPORT_AGAIN } from '../formats/mta-log.js';
import type { FormatId } from '../model/events.js';
import { describeEacMailFlowReport } from './eac-mail-flow-reports.js';

/** How much text from the header line on detection hands over as {@link UnrecognisedInput.sample}. */
export const SAMPLE_CHARS = 16 * 1024;

/** What detection saw where it expected a header. */
export interface UnrecognisedInput {
  /** The header line's text (for a raw log, what follows `#Fields:`). */
  text: string;
  /** Its 1-based line. */
  line: number;
  /** True when the line was a `#Fields:` directive. */
  fieldsDirective: boolean;
  /** The line split into cells. */
  cells: readonly string[];
  /** `#` lines before it (`#Software:`, `#Log-type:` …). */
  preamble: readonly string[];
  /**
   * Text from the header line on (to tell JSON documents apart, to find refusals in a file refused):
   * {@link SAMPLE_CHARS}, or less when the input ends before; empty when there is none to give.
   */
  sample: string;
  /** What a search of the input past `sample` found, when the sample holds no refusal and was cut. */
  later?: LaterRefusal;
}

/**
 * A refused file searched for refusal text past its {@link UnrecognisedInput.sample}, as far as
 * {@link REFUSAL_SEARCH_CHARS}: the first line that holds some (its start, and the marker found), `none`
 * when the input ended without one, `bounded` when the search stopped at its bound.
 */
export type LaterRefusal = { line: number; text: string; marker: string } | 'none' | 'bounded';

/**
 * How far a refused file is searched for refusal text, from its header line on: as a file passed over
 * in a folder is (whole), but bounded, as a huge file refused would otherwise be read to its end first.
 */
export const REFUSAL_SEARCH_CHARS = 256 * 1024 * 1024;

/**
 * A sentence naming the input and saying what to do instead, or `undefined` when it looks like
 * nothing we know (the caller then lists the headers it saw).
 */
export function describeUnsupported(input: UnrecognisedInput): string | undefined {
  return input.fieldsDirective
    ? (describeLegacyTrackingLog(input) ?? describeW3cLog(input) ?? describePartialHeader(input))
    : (describeLegacyTrackingLog(input) ??
        describeJson(input) ??
        describeEmailEvents(input) ??
        describeIisOtherFormats(input) ??
        describeLogParserOutput(input) ??
        describeMailFlowReport(input) ??
        describeRows(input) ??
        describeShippedTrackingEvents(input) ??
        describeShownObjects(input) ??
        describePartialHeader(input) ??
        describePastedMessage(input) ??
        describeProductLog(input));
}

const NOT_YET = 'which relay-audit does not read yet';

/** `#Fields:` logs other than message tracking: SMTP protocol logs, IIS/W3C logs, other Exchange logs. */
function describeW3cLog(input: UnrecognisedInput): string | undefined {
  const logType = directive(input.preamble, 'log-type');
  const software = directive(input.preamble, 'software');
  const names = new Set(input.cells.map((cell) => cell.trim().toLowerCase()));
  const protocolLog = ['session-id', 'sequence-number', 'local-endpoint', 'remote-endpoint', 'event', 'data'];
  // Send protocol logs with all their fields are read (exchange-protocol-log); this names the rest.
  if (protocolLog.every((name) => names.has(name))) {
    if (logType !== undefined && /receive/i.test(logType))
      return `${describeReceiveProtocolLog(logType)}${refusalNote(input)}`;
    if (logType !== undefined && /send/i.test(logType)) {
      // Reached only for a send log joined after another kind of log: read whole, it is a format of its own.
      return (
        `looks like an Exchange SMTP send protocol log (#Log-type: ${logType}) joined to a log of another kind: ` +
        'relay-audit reads a send protocol log as a file of its own, so analyse it separately.'
      );
    }
    return (
      'looks like an Exchange SMTP protocol log' +
      `${logType ? ` (#Log-type: ${logType})` : ''}, ${NOT_YET}. ` +
      'Analyse the message tracking logs of the same server instead (MSGTRK*.LOG in ' +
      'TransportRoles\\Logs\\MessageTracking): a refused RCPT TO is also a FAIL row there, with its 550 5.7.64 text.'
    );
  }
  if (input.cells.length === 1 && /\s/.test(input.text.trim())) {
    if (isIisWebLog([`#Fields: ${input.text}`, ...input.sample.split(/\r?\n/).slice(1)])) {
      return (
        'looks like an IIS web server (HTTP) log (u_ex*.log: GET/POST requests in cs-method), not a mail log: ' +
        'it holds no SMTP traffic. For a Windows relay, analyse the IIS SMTP service log ' +
        '(%SystemRoot%\\System32\\LogFiles\\SMTPSVC1\\ex*.log); for Exchange, its message tracking logs.'
      );
    }
    const iis = /internet information services/i.test(software ?? '');
    const fields = input.text.trim().split(/\s+/);
    // The SMTP service's own log (its default field set, or one short of what the reader needs):
    // told by cs-method, or, without it, by rows that are SMTP (the relay's sessions, a refusal).
    if (iis && (fields.includes('cs-method') || smtpServiceRows(input.sample)))
      return describeIisSmtpLog(fields, input);
    const separated = input.text.includes('\t') ? 'tabs' : 'spaces';
    return (
      `looks like a W3C extended log${iis ? ' of IIS' : ''} (#Fields: separated by ${separated}) that is no IIS SMTP ` +
      `service log, ${NOT_YET}: of the W3C logs, relay-audit reads the IIS SMTP service's, with at least the ` +
      `fields ${IIS_SMTP_FIELDS.join(' ')}.${refusalNote(input)}`
    );
  }
  if (logType && !/message tracking/i.test(logType))
    return `${describeExchangeLog(logType)}${refusalNote(input)}`;
  return undefined;
}

/**
 * What an Exchange log is when the `#` lines Exchange writes at its top (`text`: the file's start)
 * name a kind relay-audit does not read — a receive protocol, agent or connectivity log —, with
 * where refusals are instead; `undefined` for the kinds it reads (message tracking, send protocol
 * logs, or a protocol log whose direction is not said) and for anything not told so.
 */
export function exchangeLogNotRead(text: string): string | undefined {
  const preamble: string[] = [];
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (!line.startsWith('#') || line.startsWith('#Fields:')) break;
    preamble.push(line);
  }
  const logType = directive(preamble, 'log-type');
  if (logType === undefined || !/microsoft exchange/i.test(directive(preamble, 'software') ?? ''))
    return undefined;
  if (/receive/i.test(logType)) return describeReceiveProtocolLog(logType);
  return /tracking|send|protocol/i.test(logType) ? undefined : describeExchangeLog(logType);
}

/** An Exchange log of a kind other than message tracking and protocol logs (`Agent Log`), as a sentence. */
function describeExchangeLog(logType: string): string {
  const kind = /\blog$/i.test(logType) ? logType : `${logType} log`;
  return (
    `looks like an Exchange ${kind} (#Log-type: ${logType}), ${NOT_READ}. Exchange Online's refusals of relayed ` +
    'mail are in the message tracking log (MSGTRK*.LOG in TransportRoles\\Logs\\MessageTracking) and the send ' +
    'protocol log (SEND*.LOG in TransportRoles\\Logs\\Hub\\ProtocolLog\\SmtpSend) of the same server: analyse those instead.'
  );
}

/** Rows of the SMTP service's own log: the relay's outbound sessions (cs-username), or a refusal. */
function smtpServiceRows(sample: string): boolean {
  return /\bOutboundConnection(?:Command|Response)\b/.test(sample) || refusalMarkerIn(sample) !== undefined;
}

/**
 * How to have the SMTP service (IIS, or the SMTP virtual server of Exchange 2000/2003) log in the
 * W3C extended format with the fields relay-audit reads. `manager`: where its virtual server is.
 */
function w3cLoggingSteps(manager: string): string {
  return (
    `In ${manager}, set the SMTP virtual server's logging (Properties > General > Enable logging) to ` +
    '"W3C Extended Log File Format", with at least Date, Time, Client IP Address (c-ip), User Name (cs-username), ' +
    'Method (cs-method) and URI Query (cs-uri-query) ticked under Properties > Advanced; then analyse the ex*.log ' +
    'files it writes (%SystemRoot%\\System32\\LogFiles\\SMTPSVC1).'
  );
}

/** Where the SMTP virtual server of IIS and of Exchange 2000/2003 is configured. */
const IIS_MANAGER = 'IIS Manager (Exchange System Manager on Exchange 2000/2003)';

/** `# Date<TAB>Time<TAB>client-ip…`: a field list as Exchange 2000/2003 tracking logs write it, with `#` or `#Fields:`. */
const LEGACY_TRACKING_FIELDS = /^#(?:Fields:)?\s*Date\tTime\t/i;

/**
 * A message tracking log of Exchange 2000/2003 (`# Message Tracking Log File`, `# Exchange System
 * Attendant Version 6.5…`, tab-separated fields with Event-ID and MSGID): its fields are none of
 * Exchange 2007's, and its event ids numbers (1019, 1030…). The server's SMTP virtual server can
 * write a W3C log relay-audit reads, so the message says how.
 */
function describeLegacyTrackingLog(input: UnrecognisedInput): string | undefined {
  const lines = [...input.preamble, ...(input.fieldsDirective ? [`#Fields: ${input.text}`] : [])];
  const titled = lines.some((line) =>
    /^#\s*(?:Message Tracking Log File|Exchange System Attendant Version)\b/i.test(line),
  );
  const fields = lines.find((line) => LEGACY_TRACKING_FIELDS.test(line));
  if (!titled && !(fields !== undefined && /\tEvent-ID\t/i.test(fields) && /\tMSGID\b/i.test(fields)))
    return undefined;
  return (
    'looks like a message tracking log of Exchange 2000/2003 (tab-separated fields Date, Time, client-ip, … Event-ID, ' +
    `MSGID), which relay-audit does not read: it reads the message tracking logs of Exchange 2007 and later. ` +
    'Its SMTP virtual server can log the same sessions in a form relay-audit reads. ' +
    w3cLoggingSteps('Exchange System Manager (Servers > the server > Protocols > SMTP)') +
    refusalNote(input)
  );
}

/** `10.0.2.62, SCAN-FL1, 11/28/26, 22:20:01, SMTPSVC1, …`: a row of the Microsoft IIS Log File Format. */
const IIS_FORMAT_ROW = /^[^,]+, [^,]*, \d{1,2}\/\d{1,2}\/\d{2,4}, \d{1,2}:\d{2}:\d{2}, (SMTPSVC\d*), /i;
/** `10.0.2.62 - SCAN-FL1 [28/Nov/2026:22:20:01 +0000] "MAIL -?FROM:<…> SMTP" 250 35`: NCSA Common of the SMTP service. */
const NCSA_SMTP_ROW = /^\S+ \S+ \S+ \[\d{2}\/[A-Za-z]{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "[^"]* SMTP" /;

/**
 * The SMTP service's log in one of IIS's two other formats, Microsoft IIS Log File Format (in*.log)
 * and NCSA Common Log File Format (nc*.log): no `#Fields:` line, and no field that says which rows
 * are the remote server's replies. The message says how to switch to the W3C format relay-audit reads.
 */
function describeIisOtherFormats(input: UnrecognisedInput): string | undefined {
  const format = IIS_FORMAT_ROW.test(input.text)
    ? 'Microsoft IIS Log File Format (in*.log)'
    : NCSA_SMTP_ROW.test(input.text)
      ? 'NCSA Common Log File Format (nc*.log)'
      : undefined;
  if (format === undefined) return undefined;
  return (
    `looks like an IIS SMTP service log in ${format}, which relay-audit does not read: it reads the service's ` +
    `W3C extended logs (ex*.log). ${w3cLoggingSteps(IIS_MANAGER)}${refusalNote(input)}`
  );
}

/**
 * Log Parser's output of IIS logs (`LogParser "SELECT * INTO out.csv FROM ex*.log"`): the log's own
 * fields after the two Log Parser adds, LogFilename and LogRow. The original logs are what relay-audit
 * reads: the message names the first.
 */
function describeLogParserOutput(input: UnrecognisedInput): string | undefined {
  const names = input.cells.map((cell) => cell.trim().toLowerCase());
  if (names[0] !== 'logfilename' || names[1] !== 'logrow') return undefined;
  if (!['c-ip', 'cs-method', 'cs-uri-query', 'cs-username'].some((name) => names.includes(name)))
    return undefined;
  const first = input.sample.split(/\r?\n/)[1]?.split(',')[0]?.trim();
  const original = first ? ` (the first row is from ${quoteText(first, 200)})` : '';
  return (
    'looks like Log Parser output of IIS logs (LogFilename, LogRow, then the fields of the log), which ' +
    `relay-audit does not read: analyse the original log files it was made from instead${original}, as IIS wrote them.` +
    refusalNote(input, 'the original log files are analysed')
  );
}

/**
 * An IIS SMTP service log without some of the fields the reader needs. Without `cs-uri-query` (the
 * service's default field set) it logs no reply text; with it but without `cs-username` the replies
 * are there — a refusal among them is named — but cannot be told from the relay's own commands, nor
 * paired with the MAIL FROM and RCPT TO they answer.
 */
function describeIisSmtpLog(fields: readonly string[], input: UnrecognisedInput): string {
  const missing = IIS_SMTP_FIELDS.filter((name) => !fields.includes(name));
  const replies = fields.includes('cs-uri-query') || refusalMarkerIn(input.sample) !== undefined;
  return (
    `looks like an IIS SMTP service log whose #Fields: lack ${missing.join(', ')}: ` +
    `${lackingFieldsWhy(fields, replies)}${refusalNote(input)} ${ENABLE_FIELDS_ADVICE}`
  );
}

const NOT_READ = 'which relay-audit does not read';

/** A mail product's own log or trace, and what to analyse instead ({@link productLogIn}). */
export interface ProductLog {
  /** `Zimbra zmmsgtrace output`. */
  what: string;
  /** What to analyse instead, in lower case (`analyse …`); none when relay-audit reads none of the product's logs. */
  instead?: string;
}

/** What relay-audit reads, for a product none of whose logs it reads. */
export const READS =
  'it reads the logs of Exchange, IIS SMTP, Postfix, sendmail and Exim, and Exchange Online message traces: ' +
  '"Supported inputs" in the README';

/**
 * Logs and traces of mail products relay-audit does not read, told by their own lines, with what to
 * analyse instead: the Postfix log of a gateway built on Postfix.
 */
const PRODUCT_LOGS: readonly { is: RegExp; log: ProductLog }[] = [
  {
    // pmg-log-tracker (the Tracking Center's command line): `QENTRY: 4F1A22C0B4` blocks.
    is: /^(?:# LogReader: \d+|QENTRY: [0-9A-F]+)\s*$/m,
    log: {
      what: 'Proxmox Mail Gateway tracking output (pmg-log-tracker)',
      instead: "analyse the gateway's Postfix log instead (/var/log/mail.log, or journalctl -o short-iso)",
    },
  },
  {
    // The Tracking Center's API (/nodes/{node}/tracker/{id}): the log lines of one message.
    is: /"linenr"\s*:\s*\d+\s*,\s*"text"\s*:/,
    log: {
      what: 'a Proxmox Mail Gateway tracking center response (the log lines of one message)',
      instead: "analyse the gateway's Postfix log instead (/var/log/mail.log, or journalctl -o short-iso)",
    },
  },
  {
    is: /^Tracing messages\s*$[\s\S]*^Message ID '/m,
    log: {
      what: 'Zimbra zmmsgtrace output',
      instead: 'analyse the Postfix lines it is made from instead (/var/log/zimbra.log on the MTA server)',
    },
  },
  {
    // Kerio Connect's mail log: `[28/Nov/2026 10:02:11] Recv: Queue-ID: …`.
    is: /^\[\d{2}\/[A-Za-z]{3}\/\d{4} \d{2}:\d{2}:\d{2}\] (?:Recv|Sent): Queue-ID: /m,
    log: { what: 'a Kerio Connect mail log' },
  },
];

/** The mail product whose own log or trace `text` (a file's start) is, when it is one relay-audit does not read. */
export function productLogIn(text: string): ProductLog | undefined {
  return PRODUCT_LOGS.find((product) => product.is.test(text))?.log;
}

/**
 * Words only a program's own report of a refusal it was given holds: .NET's SmtpException
 * ("Mailbox unavailable. The server response was: …"), as Send-MailMessage and applications log it.
 */
const PROGRAM_ERROR = /The server response was:|\bSmtp(?:FailedRecipient)?Exception\b|^Send-MailMessage :/m;

/** Whether `text` is a program's own error output with a refusal it was told as it sent ({@link PROGRAM_ERROR}). */
export function programErrorIn(text: string): boolean {
  return PROGRAM_ERROR.test(text);
}

/** What to analyse instead of a program's own error output: the refusal was told to the program itself. */
export const PROGRAM_ERROR_INSTEAD =
  'analyse the log of the server the program sends through (its SMTP server setting)';

/**
 * PowerShell's Format-List or Format-Table text of objects (`RecipientStatus : {550 5.7.64 …}`, a
 * table with a rule of dashes under its header): what an export with Export-Csv replaces. `head`: the
 * file's start; `line`: the refusal's line.
 */
export function powerShellShown(head: string, line: string): boolean {
  if (LIST_PROPERTY.test(line)) return true;
  const lines = head.split(/\r?\n/).filter((text) => text.trim() !== '');
  return lines.slice(1, 4).some((text) => TABLE_RULE.test(text));
}

/**
 * JSON that reached detection is JSON the message trace reader (message-trace-json.ts) did not take:
 * it is no message trace, or its trace keys come too late to tell it from its first 64 KB.
 */
const NOT_A_TRACE =
  'but not records relay-audit reads as a message trace (Received or receivedDateTime, or Date, Event and Detail, within the first 64 KB)';

/** JSON documents (Graph, `ConvertTo-Json`) and NDJSON from log shippers, with the refusal they hold. */
function describeJson(input: UnrecognisedInput): string | undefined {
  const what = whatJson(input);
  return what === undefined ? undefined : `${what}${refusalNote(input)}`;
}

/** What JSON the input is, and what to export instead; `undefined` when its first line starts no JSON. */
function whatJson(input: UnrecognisedInput): string | undefined {
  const first = input.text.trim();
  // `[ 1000.000000] relay01 postfix/smtp…` (journalctl -o short-monotonic) starts with a bracket too.
  if (!startsJson(first)) return undefined;
  const object = parseObject(first);
  // A whole record on the first line, and not a page (`{"value": [ … ]}`): one record per line (NDJSON).
  // A lone object with a list inside (`{"data":{"logs":[…]}}`) is a document, an API's response saved.
  if (
    object !== undefined &&
    !('@odata.context' in object) &&
    !Object.values(object).some(Array.isArray) &&
    (nextLineStartsObject(input.sample) || !holdsArray(object))
  ) {
    const keys = new Set(Object.keys(object).map((key) => key.toLowerCase()));
    const ndjson = 'JSON, not CSV: newline-delimited JSON (one object per line, as log shippers write) of';
    if (emailEventsColumns(Object.keys(object))) return `JSON, not CSV: ${emailEventsJson()}`;
    if (traceKeys(keys)) return `${ndjson} message trace records, ${NOT_A_TRACE}. ${ADVICE.trace}`;
    if (trackingKeys(keys)) return `${ndjson} message tracking events, ${NOT_YET}. ${ADVICE.tracking}`;
    return `${ndjson} records that are no message trace. ${ADVICE.other}`;
  }
  const sample = input.sample;
  const graph = graphTrace(sample);
  if (graph !== undefined) return `JSON, not CSV: ${graph}, ${NOT_A_TRACE}. ${ADVICE.trace}`;
  if (/"MessageTraceId"\s*:/.test(sample) || /"(?:receivedDateTime|Received)"\s*:/.test(sample)) {
    const powershell = /"MessageTraceId"\s*:/.test(sample) ? ' (Get-MessageTrace | ConvertTo-Json)' : '';
    return `JSON, not CSV: a message trace${powershell}, ${NOT_A_TRACE}. ${ADVICE.trace}`;
  }
  if (/"(?:event-id|EventId|event_id)"\s*:/.test(sample))
    return `JSON, not CSV: message tracking events, ${NOT_YET}. ${ADVICE.tracking}`;
  // Defender's API (runHuntingQuery) and Export as JSON: records of EmailEvents' columns.
  if (emailEventsColumns([...sample.matchAll(/"([A-Za-z]+)"\s*:/g)].map((match) => match[1] ?? '')))
    return `JSON, not CSV: ${emailEventsJson()}`;
  const product = productLogIn(sample);
  if (product !== undefined) return `JSON, not CSV: ${productSaid(product)}`;
  return `JSON that is no message trace. ${ADVICE.other}`;
}

/**
 * How a Get-MessageTrackingLog export keeps its addresses: Export-Csv writes a list property as
 * `System.String[]`, so Recipients and RecipientStatus must be joined in the Select-Object. The one
 * wording of it for every message here that asks for a tracking export.
 */
const JOINED_TRACKING_EXPORT =
  "with Recipients and RecipientStatus joined in its Select-Object (@{n='Recipients';e={$_.Recipients -join ';'}}, " +
  "@{n='RecipientStatus';e={$_.RecipientStatus -join ';'}}: \"Exports that work\" in the README)";

const ADVICE = {
  trace:
    'Export the trace as CSV instead: Get-MessageTraceV2 … | Export-Csv -NoTypeInformation -Encoding UTF8, ' +
    'and for the refusal texts Get-MessageTraceDetailV2 … | Export-Csv.',
  tracking: `Analyse the MSGTRK*.LOG files themselves, or a CSV export ${JOINED_TRACKING_EXPORT}.`,
  other:
    'relay-audit reads JSON only as a message trace; the logs, exports and JSON it reads are listed below.',
} as const;

/** Whether a line after the first of `sample` starts a JSON object: the first line is one record of several. */
function nextLineStartsObject(sample: string): boolean {
  const next = sample
    .split('\n')
    .slice(1)
    .find((line) => line.trim() !== '');
  return next?.trimStart().startsWith('{') ?? false;
}

/** Whether a JSON value holds an array at any depth. */
function holdsArray(value: unknown): boolean {
  if (Array.isArray(value)) return true;
  return typeof value === 'object' && value !== null && Object.values(value).some(holdsArray);
}

function graphTrace(sample: string): string | undefined {
  if (!/"@odata\.context"\s*:/.test(sample)) return undefined;
  if (/getDetailsByRecipient/i.test(sample))
    return 'a Microsoft Graph message trace detail response (…/messageTraces/{id}/getDetailsByRecipient)';
  if (/messageTraces/i.test(sample) || /"receivedDateTime"\s*:/.test(sample))
    return 'a Microsoft Graph message trace response (GET /admin/exchange/tracing/messageTraces)';
  return 'a Microsoft Graph response';
}

function traceKeys(keys: ReadonlySet<string>): boolean {
  return (
    (keys.has('receiveddatetime') || keys.has('received')) &&
    (keys.has('recipientaddress') || keys.has('senderaddress'))
  );
}

function trackingKeys(keys: ReadonlySet<string>): boolean {
  return ['event-id', 'eventid', 'event_id'].some((key) => keys.has(key));
}

/**
 * Columns of Microsoft Defender's Advanced hunting `EmailEvents` table that no message trace or
 * tracking log has (learn.microsoft.com/defender-xdr/advanced-hunting-emailevents-table), compared as
 * {@link siemColumn} spells them.
 */
const EMAIL_EVENTS_COLUMNS = [
  'networkmessageid',
  'internetmessageid',
  'sendermailfromaddress',
  'recipientemailaddress',
  'deliveryaction',
];

/**
 * A CSV export of Defender's `EmailEvents` (Advanced hunting, Export): Defender's record of each
 * message, not the message trace relay-audit reads. Named by its header, before its first row is
 * taken for a tracking-log row whose `#Fields:` line was dropped (both begin with a date).
 */
function describeEmailEvents(input: UnrecognisedInput): string | undefined {
  if (!emailEventsColumns(input.cells)) return undefined;
  return (
    `looks like Microsoft Defender Advanced hunting EmailEvents rows (its header on line ${input.line}: ` +
    `NetworkMessageId, InternetMessageId, DeliveryAction…), ${EMAIL_EVENTS_NOT_READ} ${ADVICE.trace}${refusalNote(input)}`
  );
}

/** True when `names` (a header's cells, a JSON record's keys) hold every one of EmailEvents' own columns. */
function emailEventsColumns(names: readonly string[]): boolean {
  const columns = new Set(names.map(siemColumn));
  return EMAIL_EVENTS_COLUMNS.every((column) => columns.has(column));
}

/** Defender's EmailEvents as JSON records, and what to export instead. */
function emailEventsJson(): string {
  return `Microsoft Defender Advanced hunting EmailEvents records (NetworkMessageId, InternetMessageId, DeliveryAction…), ${EMAIL_EVENTS_NOT_READ} ${ADVICE.trace}`;
}

/** What EmailEvents is to relay-audit, and what to export instead (as CSV rows or JSON records). */
const EMAIL_EVENTS_NOT_READ =
  'which relay-audit does not read: it reads the Exchange Online message trace of the same messages.';

/**
 * A mail flow report of the new Exchange admin center (eac-mail-flow-reports.ts). Such a report
 * counts messages and holds no refusal, so the refusal sentence is added only for a line that does.
 */
function describeMailFlowReport(input: UnrecognisedInput): string | undefined {
  const what = describeEacMailFlowReport(
    input,
    input.sample.length < SAMPLE_CHARS ? undefined : input.sample.length,
  );
  if (what === undefined) return undefined;
  return refusalMarkerIn(input.sample) === undefined ? what : `${what}${refusalNote(input)}`;
}

/**
 * journalctl `-o short-monotonic` (`[ 1000.000000] relay01 postfix/smtp[24117]: …`) and `-o short-delta`
 * (`[ 1000.000000 <    0.000001>] …`): each line stamped with seconds since boot instead of a date.
 */
const JOURNAL_SINCE_BOOT = /^\[\s*\d+\.\d{6}( <\s*\d+\.\d{6}>)?\] \S+ [\w.-]+(?:\/[\w.-]+)*(?:\[\d+\])?:/;

/**
 * Rows without a header: SMTP protocol log rows, tracking rows of no known field count, journalctl
 * lines without a date, or syslog lines of an MTA.
 */
function describeRows(input: UnrecognisedInput): string | undefined {
  // Before the tracking rows: a protocol log row also starts with an ISO UTC date-time.
  const protocol = describeProtocolRows(input);
  if (protocol !== undefined) return protocol;
  if (
    startsWithTrackingTimestamp(input.cells) &&
    exchangeTrackingLog.headerless?.fieldsOf(input.cells) === undefined
  ) {
    return (
      `line ${input.line} looks like a message tracking log row without its #Fields: header, but it has ` +
      `${input.cells.length} fields, and rows without a header are read only when their field count names ` +
      `an Exchange version: ${TRACKING_FIELD_COUNTS}. Put the #Fields: line of the server's MSGTRK*.LOG ` +
      `above the rows, or analyse the log files themselves.${refusalNote(input)}`
    );
  }
  const sinceBoot = JOURNAL_SINCE_BOOT.exec(input.text);
  if (sinceBoot) {
    const mode = sinceBoot[1] === undefined ? 'short-monotonic' : 'short-delta';
    return (
      `looks like journalctl -o ${mode} output: its lines are stamped with seconds since boot, not a date, ` +
      `so no refusal in it can be dated, and relay-audit does not read it. ${JOURNAL_EXPORT_AGAIN}${refusalNote(input)}`
    );
  }
  const syslog = SYSLOG.exec(input.text);
  if (syslog) {
    // Mail logs are read (formats/mta-log.ts) when their first 64 KB hold a Postfix, sendmail or Exim line.
    return (
      `looks like a syslog file (${syslog[1]} lines) without a Postfix, sendmail or Exim line in its first 64 KB, ` +
      'so relay-audit does not read it. Analyse the mail log itself (/var/log/mail.log or /var/log/maillog, the ' +
      "mail facility), or `grep -E 'postfix|sendmail|sm-mta|exim'` the lines of the mail programs into a file of their own."
    );
  }
  return undefined;
}

/**
 * The `#Fields:` of Exchange's SMTP send and receive protocol logs (ProtocolLog\SmtpSend, SmtpReceive),
 * the same in every version since Exchange 2007.
 */
const PROTOCOL_LOG_FIELDS = [
  'date-time',
  'connector-id',
  'session-id',
  'sequence-number',
  'local-endpoint',
  'remote-endpoint',
  'event',
  'data',
  'context',
] as const;

/** `10.0.1.11:52134`, `[2001:db8::1]:25`; empty in a `*` row written before the connection. */
const ENDPOINT = /^(?:(?:\d{1,3}\.){3}\d{1,3}|\[?[0-9a-f:.]+\]?):\d{1,5}$|^$/i;

/**
 * Whether a row, split at its commas, has the shape of a protocol log row: its date-time, a
 * connector, a session id (16 hex digits), a sequence number, two endpoints and one of the events
 * `+ - > < *`. Each cell's shape is checked, as none of Exchange's other logs has nine such fields.
 */
function isProtocolLogRow(cells: readonly string[]): boolean {
  const [, connector, session, sequence, local, remote, event] = cells;
  return (
    cells.length === PROTOCOL_LOG_FIELDS.length &&
    startsWithTrackingTimestamp(cells) &&
    (connector ?? '').trim() !== '' &&
    /^[0-9A-F]{16}$/i.test(session ?? '') &&
    /^\d+$/.test(sequence ?? '') &&
    ENDPOINT.test(local ?? '') &&
    ENDPOINT.test(remote ?? '') &&
    ['+', '-', '>', '<', '*'].includes(event ?? '')
  );
}

/**
 * Rows of an SMTP protocol log whose `#` lines were dropped (a log shipper that starts inside the
 * file, `Select-Object -Skip 5`). Not read with an inferred field list, as header-less tracking rows
 * are: the `#Log-type:` line that went with them is what tells a send log, whose refusals relay-audit
 * reads, from a receive log, whose rows are this server's own answers to its clients — read as a send
 * log, they would be taken for Exchange Online's refusals. The admin restores the header of a SEND*.LOG.
 */
function describeProtocolRows(input: UnrecognisedInput): string | undefined {
  if (!isProtocolLogRow(splitRecord(input.text, ',') ?? [])) return undefined;
  return (
    `line ${input.line} looks like an Exchange SMTP protocol log row without the # lines above it ` +
    `(${PROTOCOL_LOG_FIELDS.length} fields: ${PROTOCOL_LOG_FIELDS.join(', ')}). A send protocol log ` +
    '(SEND*.LOG in ProtocolLog\\SmtpSend) is read only with its #Fields: line: put ' +
    `"#Fields: ${PROTOCOL_LOG_FIELDS.join(',')}" above the rows, or analyse the log files themselves. ` +
    "A receive protocol log (RECV*.LOG) is not read: Exchange Online's refusals are answers to the sending " +
    `server, in its send protocol log or message tracking log.${refusalNote(input)}`
  );
}

/**
 * The message tracking log's own fields other than its date (compared as {@link siemColumn} spells them).
 * The Extended report spells them the same way (`event_id`), so the date column tells a SIEM's rows
 * from a report with its date left out.
 */
const TRACKING_EVENT_FIELDS = [
  'eventid',
  'messageid',
  'recipientaddress',
  'recipientstatus',
  'senderaddress',
];
/**
 * Date columns of the tracking log itself (`date-time`) and of the services that store its events:
 * Microsoft Sentinel's TimeGenerated, Splunk's _time, Elastic's @timestamp, Graylog's timestamp.
 */
const EVENT_TIME_COLUMNS = ['datetime', 'timegenerated', 'time', 'timestamp'];

/**
 * Message tracking rows as a SIEM or log service stores them (the Sentinel MessageTrackingLog_CL
 * table, a Splunk `| table *`), exported as CSV: the tracking log's own field names in another
 * spelling (`eventId`, `event_id`) next to the service's columns. They are not read — Sentinel's
 * collection rule splits each line at every comma, so a subject with one shifts the columns — and
 * they are no EAC report cut short, which is what {@link describePartialHeader} would call them.
 */
function describeShippedTrackingEvents(input: UnrecognisedInput): string | undefined {
  const spelt = new Map(input.cells.map((cell) => [siemColumn(cell), cell.trim()]));
  if (!TRACKING_EVENT_FIELDS.every((field) => spelt.has(field))) return undefined;
  const time = EVENT_TIME_COLUMNS.find((column) => spelt.has(column));
  if (time === undefined) return undefined;
  const fields = TRACKING_EVENT_FIELDS.map((field) => spelt.get(field)).join(', ');
  return (
    `looks like message tracking events exported from a SIEM or log service: its header on line ${input.line} ` +
    `holds the tracking log's own fields (${fields}) with the date in ${spelt.get(time)}, ${NOT_YET}. ` +
    `${ADVICE.tracking}${refusalNote(input)}`
  );
}

/** A column name without case, punctuation or a unit in brackets: `TimeGenerated [UTC]` → `timegenerated`, `_time` → `time`. */
function siemColumn(name: string): string {
  // By index, not a regular expression: `\s*\[…\]\s*$` is quadratic on a cell of spaces (found by the fuzz run).
  let text = name.trimEnd();
  const open = text.endsWith(']') ? text.lastIndexOf('[') : -1;
  if (open >= 0) text = text.slice(0, open);
  return text.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
}

/**
 * How to get each format again with the columns relay-audit needs, for a header that lacks some
 * (docs/domain.md §3; the README's "Exports that work").
 */
const EXPORT_AGAIN: Readonly<Partial<Record<FormatId, string>>> = {
  'exchange-tracking-log':
    'Analyse the MSGTRK*.LOG files as Exchange wrote them, with their own #Fields: line.',
  'tracking-log-export':
    `Export again ${JOINED_TRACKING_EXPORT}, keeping at least Timestamp, EventId, Source, MessageId, Sender and ` +
    'ReturnPath.',
  'message-trace':
    'Export again with every column: Get-MessageTraceV2 … | Export-Csv -NoTypeInformation -Encoding UTF8.',
  'message-trace-detail':
    'Export again with every column: Get-MessageTraceV2 -Status Failed … | Get-MessageTraceDetailV2 | ' +
    'Export-Csv -NoTypeInformation -Encoding UTF8 (a Select-Object must keep Date, MessageId, MessageTraceId, ' +
    'RecipientAddress, SenderAddress, Event, Detail and Data: without the recipient, two recipients refused in ' +
    'one second are one finding).',
  'historical-search-summary':
    'Download the report again from the Exchange admin center (Mail flow > Message trace > Downloadable ' +
    'reports) and analyse it as it comes, without removing columns.',
  'historical-search-extended':
    'Download the report again from the Exchange admin center (Mail flow > Message trace > Downloadable ' +
    'reports) and analyse it as it comes, without removing columns.',
  'exchange-protocol-log':
    'Analyse the SEND*.LOG files as Exchange wrote them, with their own #Fields: line.',
};

/**
 * A header with more than half of one format's required columns but not all of them: an export cut
 * down with `Select-Object` (`Timestamp,EventId,Sender,Recipients,RecipientStatus` without
 * `MessageId`). relay-audit does not read such a subset — a refusal it cannot tie to its message can
 * be neither counted once nor joined with the other files of the run — so the message names the
 * format, what is missing, how to export it again, and whether the file holds refusals.
 */
function describePartialHeader(input: UnrecognisedInput): string | undefined {
  const present = new Set(input.cells.map(normaliseHeader));
  let closest: { format: FormatAdapter; missing: string[]; found: number } | undefined;
  for (const format of FORMATS) {
    if (Boolean(format.fieldsDirective) !== input.fieldsDirective) continue;
    const missing = missingColumns(format, present);
    const found = format.requiredHeaders.length - missing.length;
    if (found < 2 || found * 2 <= format.requiredHeaders.length) continue;
    // The fewest missing; of as few, the most found (`event_id` is the Extended report's, not the summary's).
    const closer =
      closest === undefined ||
      missing.length < closest.missing.length ||
      (missing.length === closest.missing.length && found > closest.found);
    if (closer) closest = { format, missing, found };
  }
  if (closest === undefined) return undefined;
  const { format, missing } = closest;
  return (
    `looks like ${FORMAT_LABELS[format.id].full} with columns left out: its header on line ${input.line} lacks ` +
    `${missing.join(', ')} (compared without case, spaces or underscores). relay-audit needs ${missing.length === 1 ? 'it' : 'them'} ` +
    `to tell one message from another and join its rows with the other files of the run, so it does not read the file. ` +
    `${EXPORT_AGAIN[format.id] ?? ''}${refusalNote(input)}`
  );
}

/**
 * The cmdlets whose objects PowerShell shows as text, told by their property names, and what to do
 * besides running the command again with Export-Csv where Format-List or Format-Table was.
 */
const SHOWN_CMDLETS = [
  {
    // Get-MessageTrackingLog: EventId, and the recipients or the sender of the event.
    is: (names: ReadonlySet<string>) =>
      names.has('eventid') &&
      ['recipients', 'recipientstatus', 'sender', 'messageid'].some((n) => names.has(n)),
    cmdlet: 'Get-MessageTrackingLog',
    // Lists exported without -join hold no addresses (System.String[]).
    besides: `${JOINED_TRACKING_EXPORT}, and analyse that CSV; or analyse the MSGTRK*.LOG files themselves.`,
  },
  {
    is: (names: ReadonlySet<string>) =>
      names.has('event') && names.has('detail') && (names.has('date') || names.has('messagetraceid')),
    cmdlet: 'Get-MessageTraceDetailV2',
    besides:
      'with the trace itself for the senders (Get-MessageTraceV2 … | Export-Csv -NoTypeInformation -Encoding UTF8), and analyse both CSV files.',
  },
  {
    // Get-MessageTrace[V2]; Get-MessageTrace's table spells `Sender Address`, `Recipient Address`.
    is: (names: ReadonlySet<string>) =>
      names.has('received') && ['status', 'senderaddress', 'recipientaddress'].some((n) => names.has(n)),
    cmdlet: 'Get-MessageTraceV2',
    besides:
      'with the refusal texts of Get-MessageTraceDetailV2 … | Export-Csv -NoTypeInformation -Encoding UTF8, and analyse both CSV files.',
  },
] as const;

/** A Format-List line: the property name padded with spaces to the longest one's, ` : `, the value. */
const LIST_PROPERTY = /^([A-Za-z][A-Za-z0-9]*) +:(?: |$)/;
/** The line under a Format-Table header: a run of dashes under each column's name. */
const TABLE_RULE = /^ *-+(?: +-+)* *$/;

/**
 * PowerShell's Format-List (`Name : value` lines, a block for each object) or Format-Table (a header,
 * a line of dashes under it) output of Get-MessageTrackingLog or Get-MessageTrace, saved or pasted:
 * text laid out for the screen (values cut, wrapped, lists in braces), never to be read as records.
 * The message says how to export the same objects as CSV.
 */
function describeShownObjects(input: UnrecognisedInput): string | undefined {
  const lines = input.sample.split(/\r?\n/);
  let shown: 'Format-List' | 'Format-Table';
  let names: Set<string>;
  if (LIST_PROPERTY.test(input.text)) {
    const properties = lines.flatMap((line) => LIST_PROPERTY.exec(line)?.[1] ?? []);
    if (properties.length < 3) return undefined;
    shown = 'Format-List';
    names = new Set(properties.map((name) => name.toLowerCase()));
  } else if (TABLE_RULE.test(lines.slice(1).find((line) => line.trim() !== '') ?? '')) {
    shown = 'Format-Table';
    // Get-MessageTrace's `Sender Address` heading is one column: read its words joined too.
    const words = input.text
      .trim()
      .split(/\s+/)
      .map((word) => word.toLowerCase());
    names = new Set([...words, ...words.slice(1).map((word, at) => `${words[at]}${word}`)]);
  } else {
    return undefined;
  }
  const cmdlet = SHOWN_CMDLETS.find((candidate) => candidate.is(names));
  if (cmdlet === undefined) return undefined;
  const layout = shown === 'Format-List' ? '`Name : value` lines, a block for each' : 'a table';
  // Get-MessageTrace and Get-MessageTraceV2, Get-MessageTraceDetail[V2] show the same properties.
  const named = cmdlet.cmdlet.replace(/V2$/, '');
  return (
    `looks like ${named} output shown with ${shown} (${layout}): text laid out for the screen, its values ` +
    `cut or wrapped to fit, which relay-audit does not read. Run the same ${cmdlet.cmdlet} command with ` +
    `| Export-Csv -NoTypeInformation -Encoding UTF8 in place of | ${shown}, ${cmdlet.besides}` +
    refusalNote(input, 'the CSV export of the same events is analysed')
  );
}

/**
 * Phrases only a non-delivery report (or the delivery status part of a bounce) holds: Exchange's and
 * Exchange Online's NDR texts, RFC 3464 fields, Postfix's, Exim's and sendmail's bounce texts.
 */
const NDR_PHRASES =
  /Delivery has failed to these recipients or groups|Your message (?:wasn't|was not|couldn't be|could not be) delivered|Diagnostic information for administrators|Remote Server returned '|^(?:Reporting-MTA|Final-Recipient|Diagnostic-Code): |This is the mail system at host|This message was created automatically by mail delivery software|The original message was received at/im;
/** Header fields an email message begins with (RFC 5322), in lower case. */
const MAIL_HEADERS = new Set([
  'received',
  'return-path',
  'delivered-to',
  'from',
  'to',
  'cc',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
]);
const MAIL_HEADER = /^([A-Za-z][A-Za-z0-9-]*): /;
/** `Generating server: EX01.contoso.local`: the server that wrote an Exchange NDR. */
const GENERATING_SERVER = /Generating server: *([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])/;

/**
 * A non-delivery report or an email pasted or saved as text. Its refusal is real, but a bounce tells
 * of one message, without the envelope sender and the connector: the logs of that time are what
 * relay-audit reads, and the message names them.
 */
function describePastedMessage(input: UnrecognisedInput): string | undefined {
  const ndr = NDR_PHRASES.test(input.sample);
  if (!ndr && !startsWithMailHeaders(input)) return undefined;
  // The server that wrote an NDR of a relay refusal is the relay Exchange Online refused.
  const server =
    refusalMarkerIn(input.sample) === undefined ? undefined : GENERATING_SERVER.exec(input.sample)?.[1];
  const logs =
    server === undefined
      ? 'the message tracking logs of the Exchange server that relayed it'
      : `the message tracking logs of ${quoteText(server, 100)}, the NDR's generating server`;
  return (
    `looks like ${ndr ? 'a non-delivery report (NDR)' : 'an email message'} pasted or saved as text, not a log or ` +
    'export: relay-audit does not read it (a bounce tells of one message, without the envelope sender and the ' +
    `connector the logs give). Analyse the logs of the time it was sent instead: ${logs} (MSGTRK*.LOG in ` +
    'TransportRoles\\Logs\\MessageTracking, or Get-MessageTrackingLog -Start … -End … | Export-Csv -NoTypeInformation ' +
    'as "Exports that work" in the README shows); an Exchange Online message trace of that time ' +
    '(Get-MessageTraceV2 -StartDate … -EndDate … | Export-Csv -NoTypeInformation -Encoding UTF8, with ' +
    'Get-MessageTraceDetailV2 … | Export-Csv for the refusal texts); or the mail log of a Postfix, sendmail or Exim relay.' +
    refusalNote(input, 'the logs or the trace of that time are analysed')
  );
}

/** A mail product's own log or trace ({@link productLogIn}), or a program's own error output. */
function describeProductLog(input: UnrecognisedInput): string | undefined {
  const product = productLogIn(input.sample);
  if (product !== undefined) return `looks like ${productSaid(product)}${refusalNote(input)}`;
  if (!programErrorIn(input.sample)) return undefined;
  return (
    "looks like a program's own log or error output, with a refusal it was told as it sent (.NET SmtpClient, " +
    `Send-MailMessage: "The server response was: …"), ${NOT_READ}: it names neither the envelope sender nor ` +
    `the connector; ${PROGRAM_ERROR_INSTEAD}.${refusalNote(input, 'that log is analysed')}`
  );
}

/** `Zimbra zmmsgtrace output, which relay-audit does not read: analyse …`, as a sentence. */
function productSaid(product: ProductLog): string {
  return `${product.what}, ${NOT_READ}${product.instead === undefined ? ` (${READS}).` : `: ${product.instead}.`}`;
}

/** True when the input begins with an email's header block: `Received: …`, `From: …`, `Subject: …`. */
function startsWithMailHeaders(input: UnrecognisedInput): boolean {
  if (!MAIL_HEADER.test(input.text)) return false;
  const known = new Set<string>();
  for (const line of input.sample.split(/\r?\n/)) {
    if (line.trim() === '') break;
    const name = MAIL_HEADER.exec(line)?.[1]?.toLowerCase();
    if (name !== undefined && MAIL_HEADERS.has(name)) known.add(name);
  }
  return known.size >= 3;
}

/**
 * {@link refusalInSample} after a sentence naming the input; nothing when there is no sample to
 * search. `until` says what gets the refusal counted, when that is not reading this file.
 */
function refusalNote(input: UnrecognisedInput, until?: string): string {
  return input.sample.length === 0 ? '' : ` ${refusalInSample(input.sample, input.line, until, input.later)}`;
}

/**
 * Whether `sample` (text from line `firstLine` on) holds a relay refusal, as a sentence for a
 * refused file: a refusal in it is lost until the file is exported again (or, for a file that is
 * never read, until what `until` names is analysed), which the user must know.
 */
export function refusalInSample(
  sample: string,
  firstLine: number,
  until = 'the file is read',
  later?: LaterRefusal,
): string {
  let line = firstLine;
  const found = (at: number, text: string, marker: string): string => {
    // The refusal's status as Exchange wrote it; the marker alone when the line has no status code.
    const said = relayRejectionIn(text)?.text ?? marker;
    return `Line ${at} holds a relay refusal (${quoteText(said, 79)}): it is not counted until ${until}.`;
  };
  for (const text of sample.split('\n')) {
    const marker = refusalMarkerIn(text);
    if (marker !== undefined) return found(line, text, marker);
    line++;
  }
  if (typeof later === 'object') return found(later.line, later.text, later.marker);
  if (later === 'bounded')
    return `Its first ${REFUSAL_SEARCH_CHARS / 1024 / 1024} MB hold no relay refusal; the rest was not searched.`;
  return later === 'none' || sample.length < SAMPLE_CHARS
    ? 'It holds no relay refusal.'
    : `Its first ${SAMPLE_CHARS / 1024} KB hold no relay refusal; the rest was not searched.`;
}

/**
 * `Oct 28 12:19:33 host postfix/smtp[123]:` or `2026-11-28T22:15:03.123456+01:00 host postfix/smtp[123]:`;
 * also without the pid (`kernel:`, `dovecot:`).
 */
const SYSLOG =
  /^(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})) \S+ ([\w.-]+(?:\/[\w.-]+)*)(?:\[\d+\])?:/;

/** The value of a `#Name: value` preamble line, case-insensitively. */
function directive(preamble: readonly string[], name: string): string | undefined {
  for (const line of preamble) {
    const match = /^#([\w-]+):\s*(.*)$/.exec(line);
    if (match && match[1]?.toLowerCase() === name) return match[2]?.trim();
  }
  return undefined;
}

/**
 * One JSON token and the white space before it: an opening or closing bracket, `,` or `:`, a string,
 * or a number or literal followed by white space, punctuation or the line's end (`1000.000000]`, not `true1`);
 * `NaN` and `Infinity` too, which Python's `json` writes for such floats.
 */
const JSON_TOKEN =
  /\s*(?:([[{])|([\]}])|(,)|(:)|("(?:[^"\\]|\\.)*")|(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|NaN|-?Infinity)(?=[\s,:\]}]|$))/y;
/** The start of a token cut where the line was cut (at the {@link SAMPLE_CHARS} detection hands over). */
const CUT_TOKEN = /^(?:"(?:[^"\\]|\\.)*\\?|-?[\d.]*(?:[eE][+-]?\d*)?|t(?:ru?)?|f(?:a(?:ls?)?)?|n(?:ul?)?)$/;

/**
 * Whether `line` starts a JSON document: its tokens, up to where the line ends, follow JSON's grammar
 * (the document may go on over the lines after). `[ 1000.000000] relay01 postfix…` and `[mysqld]`
 * do not: after `[ 1000.000000]` comes a word, and `mysqld` is none of JSON's values.
 */
function startsJson(line: string): boolean {
  /** The brackets opened and not yet closed. */
  const open: string[] = [];
  /** What may come next: a value, an object's key, the colon after it, `,` or a closing bracket, nothing. */
  let expect: 'value' | 'key' | 'colon' | 'next' | 'end' = 'value';
  /** Right after an opening bracket, where the closing one may come (`[]`, `{}`). */
  let empty = false;
  const afterValue = (): 'next' | 'end' => (open.length > 0 ? 'next' : 'end');
  const text = line.trimEnd();
  if (!text.startsWith('{') && !text.startsWith('[')) return false;
  let at = 0;
  while (at < text.length) {
    JSON_TOKEN.lastIndex = at;
    const token = JSON_TOKEN.exec(text);
    if (token === null)
      return (expect === 'value' || expect === 'key') && CUT_TOKEN.test(text.slice(at).trim());
    at = JSON_TOKEN.lastIndex;
    const [, opening, closing, comma, colon, string, scalar] = token;
    const wasEmpty = empty;
    empty = false;
    if (opening !== undefined) {
      if (expect !== 'value') return false;
      open.push(opening);
      expect = opening === '{' ? 'key' : 'value';
      empty = true;
    } else if (closing !== undefined) {
      if (!(expect === 'next' || wasEmpty) || open.pop() !== (closing === '}' ? '{' : '[')) return false;
      expect = afterValue();
    } else if (comma !== undefined) {
      // After a whole value, a comma starts the next one: objects a writer joined with commas.
      if (expect !== 'next' && expect !== 'end') return false;
      expect = open.at(-1) === '{' ? 'key' : 'value';
    } else if (colon !== undefined) {
      if (expect !== 'colon') return false;
      expect = 'value';
    } else if (string !== undefined && expect === 'key') {
      expect = 'colon';
    } else if ((string !== undefined || scalar !== undefined) && expect === 'value') {
      expect = afterValue();
    } else {
      return false;
    }
  }
  return true;
}

/** The line as a JSON object, or `undefined` (not JSON, an array, or not complete on this line). */
function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{') || !line.endsWith('}')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
