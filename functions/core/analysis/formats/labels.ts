/**
 * What each input format is called, for people: in "unknown format" errors (`detect`), the CLI's
 * report and the dashboard's sources table. Data only, with type imports only, so the browser
 * bundle can import it; `satisfies` makes a format without labels a compile error.
 */
import type { FormatId } from '../model/events.js';

export interface FormatLabel {
  /** Precise, with the command or file that produces it: listed when no format matches. */
  readonly full: string;
  /** For tables, e.g. the dashboard's sources page. */
  readonly name: string;
  /** Inside a sentence of the CLI's report. */
  readonly short: string;
}

export const FORMAT_LABELS = {
  'exchange-tracking-log': {
    full: 'Exchange Server message tracking log (MSGTRK*.LOG)',
    name: 'Exchange message tracking log',
    short: 'tracking log',
  },
  'tracking-log-export': {
    full: 'Get-MessageTrackingLog | Export-Csv',
    name: 'Get-MessageTrackingLog export',
    short: 'Get-MessageTrackingLog export',
  },
  'message-trace': {
    full: 'Exchange Online message trace (Get-MessageTrace[V2])',
    name: 'Message trace',
    short: 'message trace',
  },
  'message-trace-detail': {
    full: 'Exchange Online message trace detail (Get-MessageTraceDetail[V2])',
    name: 'Message trace detail',
    short: 'message trace detail',
  },
  'historical-search-summary': {
    full: 'Historical search Enhanced summary report',
    name: 'Historical search (summary)',
    short: 'historical search summary',
  },
  'historical-search-extended': {
    full: 'Historical search Extended report',
    name: 'Historical search (extended)',
    short: 'historical search extended',
  },
  'postfix-log': {
    full: 'Postfix mail log (/var/log/mail.log, maillog; syslog or ISO 8601 timestamps, journalctl output)',
    name: 'Postfix mail log',
    short: 'Postfix log',
  },
  'sendmail-log': {
    full: 'sendmail mail log (syslog lines of sendmail / sm-mta)',
    name: 'sendmail mail log',
    short: 'sendmail log',
  },
  'exim-log': {
    full: 'Exim main log (main.log / mainlog, or Exim lines in syslog)',
    name: 'Exim main log',
    short: 'Exim log',
  },
  'iis-smtp-log': {
    full: 'IIS 6 SMTP service W3C log (Windows relay, #Fields: [date] time c-ip cs-username … cs-method cs-uri-query)',
    name: 'IIS SMTP log',
    short: 'IIS SMTP log',
  },
  'message-trace-json': {
    full:
      'Message trace as JSON: Microsoft Graph messageTraces and getDetailsByRecipient pages, ' +
      'Get-MessageTrace[Detail][V2] | ConvertTo-Json, Reporting Web Service JSON, NDJSON',
    name: 'Message trace (JSON)',
    short: 'JSON message trace',
  },
  'exchange-protocol-log': {
    full: 'Exchange SMTP send protocol log (ProtocolLog\\SmtpSend\\SEND*.LOG, Hub or FrontEnd)',
    name: 'Exchange SMTP send protocol log',
    short: 'send protocol log',
  },
} as const satisfies Record<FormatId, FormatLabel>;

/** The label of a stored format id, or the id itself when it is not one this version knows. */
export function formatLabel(id: string | undefined, kind: keyof FormatLabel): string {
  if (id === undefined) return 'unknown format';
  return Object.hasOwn(FORMAT_LABELS, id) ? FORMAT_LABELS[id as FormatId][kind] : id;
}
