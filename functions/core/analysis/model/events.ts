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
  'postfix-log',
  'sendmail-log',
  'exim-log',
  'iis-smtp-log',
  'message-trace-json',
  'exchange-protocol-log',
]);
export type FormatId = z.infer<typeof FormatId>;

/**
 * Exchange Online's message trace in its forms: the trace page, its detail, historical search and
 * Graph's JSON. Their failure rows may come without their reason (a trace) or with it (a detail), and
 * their runs name the recipient a detail exported without one left out.
 */
export const MESSAGE_TRACE_FORMATS: ReadonlySet<FormatId> = new Set<FormatId>([
  'message-trace',
  'message-trace-detail',
  'message-trace-json',
  'historical-search-summary',
  'historical-search-extended',
]);

/**
 * The mail logs of relays that are not Exchange (Postfix, sendmail, Exim; one reader reads every
 * program's lines, whichever the file's format is named after): a refusal's sender is on the
 * `from=` / `<=` line of its queue id, and a server tried before the last is refused on a line of its
 * own, its recipient named only on a later one.
 */
export const MAIL_LOG_FORMATS: ReadonlySet<FormatId> = new Set<FormatId>([
  'postfix-log',
  'sendmail-log',
  'exim-log',
]);

/**
 * The certificate an on-premises server presented to Exchange Online after STARTTLS, as its send
 * protocol log records it (docs/domain.md §3 format 7, §5). Values as written; `names`
 * are the DNS names Exchange Online attributes by: the subject's CN, then the alternate names.
 */
export const PresentedCertificate = z.object({
  subject: z.string().max(1024).optional(),
  issuer: z.string().max(1024).optional(),
  serialNumber: z.string().max(128).optional(),
  thumbprint: z.string().max(128).optional(),
  notBefore: z.string().max(64).optional(),
  notAfter: z.string().max(64).optional(),
  /** CN then SANs, lower-case, without duplicates; at most 100. */
  names: z.array(z.string().max(255)).max(100),
  /** The subject alternative names alone (DNS names, lower-case); at most 100. */
  alternateNames: z.array(z.string().max(255)).max(100),
  /**
   * Not presented by the server itself: it told the outbound proxy front end to present it (its log's
   * "Instructing the next hop (outbound proxy frontend)" line, which names it only; SmtpSession.frontEnd).
   */
  instructed: z.literal(true).optional(),
});
export type PresentedCertificate = z.infer<typeof PresentedCertificate>;

/** The SMTP session of a protocol log that carried a refusal: its id, whether TLS was used, the certificate sent. */
export const SmtpSession = z.object({
  /** Exchange's session id (`08DF161A86D3EC58`), also the first part of a tracking row's source-context. */
  id: z.string().min(1).max(64),
  /** True once STARTTLS was answered 220 in this session (in one through the front end: see `frontEnd`). */
  tls: z.boolean(),
  /** The log does not have the session's start: whether it used TLS, and its certificate, are unknown. */
  partial: z.boolean().optional(),
  certificate: PresentedCertificate.optional(),
  /**
   * The session went to the outbound proxy front end (a send connector with FrontendProxyEnabled),
   * which relayed it to Exchange Online in a session of its own: how this server reached the front
   * end is not what Exchange Online saw. `certificate` is then the one this server told the front end
   * to present (absent when the log names none) and `tls` is true: this log cannot show that the
   * front end went without TLS.
   */
  frontEnd: z.literal(true).optional(),
  /** Line of the first certificate line (or of the session's first row read, without one). */
  line: z.number().int().positive(),
  /**
   * In a session joined late (begun before its log), on a refusal and on the `OPEN_SESSION` event a
   * log hands on for such a session still open at its end: how many answers this log read in the
   * session (for a refusal, before its own: 0 for the first). The first answers are to the commands
   * the earlier logs left unanswered, then to this log's own: the run lays the logs end to end and
   * pairs them (evidence/open-session.ts).
   */
  earlierCommand: z.number().int().nonnegative().optional(),
  /**
   * On a refusal in a session joined late, in a log that numbers its rows (a send protocol log's
   * `sequence-number`, on across the session's files): the number of the answer's own row. Every copy
   * of the log, whatever row it begins at, numbers the answer alike (evidence/open-session.ts,
   * `answerInLateSession`).
   */
  answerRow: z.number().int().nonnegative().optional(),
  /**
   * On the `OPEN_SESSION` event a log hands on for a session it has the start of, still open at its
   * end: the commands not answered yet, oldest first, with the recipient of each `RCPT TO` (the
   * recipients its transaction under way had already accepted follow that event, one
   * `OPEN_SESSION_RECIPIENT` event each). In a session joined late (the hand-over of a middle log, a
   * refusal): this log's transcript, in the order read — the commands it sent and, between them, the
   * answers' reply codes as entries of their own (`answerEntry`), with the rows' `#N` sequence
   * markers where the log writes them (formats/smtp-sessions.ts) — which goes on from the earlier
   * logs' (evidence/open-session.ts).
   */
  unanswered: z.array(z.object({ verb: z.string(), recipient: z.string().optional() })).optional(),
});
export type SmtpSession = z.infer<typeof SmtpSession>;

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
  /**
   * A message trace detail's id (Graph's `id`), kept only when the detail names no recipient. Graph
   * may give every detail of a message the trace id, so it does not tell recipients apart alone:
   * a recipient-less refusal is keyed by its time and text with this id added (`recipientOrStandIn`).
   */
  detailId: z.string().optional(),
  /**
   * A message trace detail's `{LRT=…}` (the time of its last attempt, to the second, as written),
   * kept only when the row's own time has no seconds (saved again from Excel: `28.11.2026 22:15`):
   * it then tells two rows of one minute apart (see `recipientOrStandIn`).
   */
  lastRetryTime: z.string().optional(),
  /**
   * The second a message trace detail's row lost when saved again from Excel, read from its
   * `{LRT=…}` when that names the row's minute: the row then gets the id the original export gives
   * it (see `recipientOrStandIn`), so an export and its Excel copy analysed together count once.
   */
  lostSecond: z.number().int().min(0).max(59).optional(),
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
  /** Protocol logs only: the session the refusal was answered in. */
  session: SmtpSession.optional(),
  /** 1-based physical line of the row in its file (the first line of a multi-line record). */
  line: z.number().int().positive(),
  /**
   * Set when the day and month of `timestamp` could be either way (`3/9/2021`) and were read in an
   * order the file had not proved when the event was handed on (see input/timestamps.ts).
   */
  dateOrderAssumed: z.literal(true).optional(),
  /** Set when `timestamp` had no time zone and was taken as UTC (see input/timestamps.ts). */
  timeZoneAssumed: z.literal(true).optional(),
});
export type TraceEvent = z.infer<typeof TraceEvent>;

/**
 * What an SMTP SEND row tells of the organisation's servers when no event is built for it (the row
 * filter dropped it: `RowContext.noteServerHop`): the hosts and connector of the hop.
 */
export type ServerHop = Pick<
  TraceEvent,
  'eventId' | 'source' | 'directionality' | 'clientIp' | 'serverIp' | 'connectorId'
>;

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
