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
} as const satisfies Record<FormatId, FormatLabel>;

/** The label of a stored format id, or the id itself when it is not one this version knows. */
export function formatLabel(id: string | undefined, kind: keyof FormatLabel): string {
  if (id === undefined) return 'unknown format';
  return Object.hasOwn(FORMAT_LABELS, id) ? FORMAT_LABELS[id as FormatId][kind] : id;
}
