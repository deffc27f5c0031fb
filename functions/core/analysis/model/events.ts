/**
 * The canonical trace event: what every input format is turned into before classification.
 *
 * One event per recipient. Addresses are lower-cased and trimmed; `returnPath` is the envelope
 * MAIL FROM (P1) and is kept apart from `sender` (the header From/Sender, P2) because since
 * November 2023 Exchange Online attributes relay by P1 only.
 */
import { z } from 'zod';

/** Ids of the supported input formats (docs/domain.md §3). Stable: stored in source records. */
export const FormatId = z.enum([
  'exchange-tracking-log',
  'tracking-log-export',
  'message-trace',
  'message-trace-detail',
  'historical-search-summary',
  'historical-search-extended',
]);
export type FormatId = z.infer<typeof FormatId>;

export const TraceEvent = z.object({
  /** UTC ISO 8601 with milliseconds, e.g. `2026-11-28T22:15:03.000Z`. */
  timestamp: z.iso.datetime(),
  /** Upper-cased event id: RECEIVE, SEND, FAIL, DSN, DEFER, REDIRECT… or a trace status such as FAILED. */
  eventId: z.string().min(1),
  /** Upper-cased tracking source (SMTP, STOREDRIVER, MAILBOXRULE…), when the format has it. */
  source: z.string().optional(),
  /** Message-ID without angle brackets, as written (Message-IDs are case-sensitive). */
  messageId: z.string().optional(),
  /** Other ids the format carries: Exchange internal id, network message id, trace id. */
  internalMessageId: z.string().optional(),
  networkMessageId: z.string().optional(),
  messageTraceId: z.string().optional(),
  /** Header sender (P2), lower-cased. */
  sender: z.string().optional(),
  /**
   * Envelope sender (P1), lower-cased. `''` means the null sender `<>`; `undefined` means the
   * format does not tell us the P1 (then the classifier falls back to `sender`, with less confidence).
   */
  returnPath: z.string().optional(),
  recipient: z.string().optional(),
  /** This recipient's status text, e.g. `550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 […]`. */
  recipientStatus: z.string().optional(),
  relatedRecipient: z.string().optional(),
  subject: z.string().optional(),
  clientIp: z.string().optional(),
  clientHostname: z.string().optional(),
  serverIp: z.string().optional(),
  serverHostname: z.string().optional(),
  connectorId: z.string().optional(),
  directionality: z.enum(['incoming', 'originating']).optional(),
  /** 1-based physical line of the row in its file (the first line of a multi-line record). */
  line: z.number().int().positive(),
});
export type TraceEvent = z.infer<typeof TraceEvent>;

/** Lower-cases and trims an address; strips `<…>`; returns `''` for the null sender. */
export function normaliseAddress(raw: string): string {
  let value = raw.trim();
  if (value.startsWith('<') && value.endsWith('>')) value = value.slice(1, -1).trim();
  return value.toLowerCase();
}

/** The domain part of an address, lower-cased, or `undefined` when there is none. */
export function domainOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const at = address.lastIndexOf('@');
  if (at < 0 || at === address.length - 1) return undefined;
  return address.slice(at + 1).toLowerCase();
}

/** Strips angle brackets and whitespace from a Message-ID. */
export function normaliseMessageId(raw: string): string {
  const value = raw.trim();
  return value.startsWith('<') && value.endsWith('>') ? value.slice(1, -1) : value;
}
