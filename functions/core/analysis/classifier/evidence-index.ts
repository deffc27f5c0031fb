/**
 * The evidence index: what every event may tell a refusal read before or after it, kept per
 * message (oldest evicted first) — its inbound traces (the REDIRECT that proves forwarding, the
 * receipt of an internal recipient; the receipts of outside recipients, evidence/outside-receipts.ts),
 * the sender, recipient and subject a message trace row names, the envelope sender a trace detail's
 * `Receive` row names, the sender of an MTA's queued message (evidence/queued-sender.ts), the start
 * of an SMTP session that goes on in another send protocol log (evidence/open-session.ts) — and,
 * when domains are inferred from the logs, the domains the events show.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { detach, type StringPool } from '../../kernel/strings.js';
import type { DomainOracle, InferredDomains } from '../../organisation/accepted-domains.js';
import { HashedMessageIds } from '../evidence/hashed-message-ids.js';
import {
  compareTraces,
  INTERNAL_SEND_CONNECTORS,
  type InboundTrace,
  inboundTraceOf,
  isCopyReceipt,
  isReceipt,
  OwnServers,
  routingKindOf,
} from '../evidence/inbound-trace.js';
import { OpenSessions } from '../evidence/open-session.js';
import { OutsideReceipts } from '../evidence/outside-receipts.js';
import { isPublicAddress } from '../evidence/public-address.js';
import { QueuedSenders } from '../evidence/queued-sender.js';
import {
  domainOf,
  type FormatId,
  MESSAGE_TRACE_FORMATS,
  type ServerHop,
  type TraceEvent,
} from '../model/events.js';

/**
 * How many inbound traces of each class are kept per message: rows that made a recipient (a
 * group's outside members, a redirect), and receipts (a message for many mailboxes has many), so
 * that neither crowds the other out.
 */
const TRACES_PER_CLASS = 4;
const NO_TRACES: readonly InboundTrace[] = [];

/**
 * Adds `trace` to a message's traces, kept in {@link compareTraces} order (one class, then the
 * other), and drops its class's last past {@link TRACES_PER_CLASS}: the traces kept are the same
 * whatever order the rows are read in. A newest-first export reads the deliveries to a group's
 * members before the EXPAND row that proves forwarding: they must not take its place.
 */
function keepRanked(list: InboundTrace[], trace: InboundTrace): void {
  let at = list.length;
  while (at > 0 && compareTraces(trace, list[at - 1] as InboundTrace) < 0) at--;
  // The same row read again (a log joined with itself, overlapping windows) says nothing more, and
  // must not take the place of another message's row that does.
  if (at > 0 && compareTraces(trace, list[at - 1] as InboundTrace) === 0) return;
  list.splice(at, 0, trace);
  const receipt = isReceipt(trace);
  const past = list.findIndex((kept) => isReceipt(kept) === receipt) + TRACES_PER_CLASS;
  const extra = list[past];
  if (extra !== undefined && isReceipt(extra) === receipt) list.splice(past, 1);
}

/** What a message trace row says of its message. */
interface MessageContext {
  sender?: string;
  subject?: string;
  /**
   * The recipient of the message's Failed rows or, while none failed, of its rows; `null` once they
   * name several: a refusal that names no recipient then gets none (see unnamed-recipients.ts).
   */
  recipient?: string | null;
  /** `recipient` is of Failed rows. */
  failed?: true;
  /** The address Exchange Online saw the message come from (the trace's FromIP). */
  clientIp?: string;
}

/** What one message trace row says, copied once for both of its keys. */
interface TraceRow {
  sender: string;
  subject: string | undefined;
  recipient: string | undefined;
  failed: boolean;
  clientIp: string | undefined;
}

/**
 * The context of a trace id or Message-ID once `row` is read too. `Get-MessageTrace` gives one trace
 * id to all recipients of a message, a row each; Graph a trace id per recipient: both are joined by
 * their rows' recipients, whatever the order of the rows.
 */
function withRow(known: MessageContext | undefined, row: TraceRow): MessageContext {
  const context: MessageContext = { sender: row.sender };
  if (row.subject !== undefined) context.subject = row.subject;
  const clientIp = row.clientIp ?? known?.clientIp;
  if (clientIp !== undefined) context.clientIp = clientIp;
  const { failed, recipient: own } = row;
  let recipient: string | null | undefined;
  if (known === undefined || (failed && known.failed !== true))
    recipient = own; // Failed rows outrank the rest
  else if (known.failed === true && !failed)
    recipient = known.recipient; // a delivered row is no candidate
  else if (own === undefined) recipient = known.recipient;
  else if (known.recipient === undefined || known.recipient === own) recipient = own;
  else recipient = null; // rows of one kind naming two recipients
  if (recipient !== undefined) context.recipient = recipient;
  if (failed || known?.failed === true) context.failed = true;
  return context;
}

/**
 * What a detail row's envelope sender is joined by: its trace id or, for a Graph detail that names
 * no trace (a `getDetailsByRecipient` page whose context names neither trace nor recipient: the
 * detail keeps its `id`, see `detailId`), its Message-ID. Rows with a trace id are never joined by
 * Message-ID: a message relayed back in (forwarded) has a new trace id and maybe another P1; nor are
 * other formats' rows, which name their own P1.
 */
function envelopeKey(event: TraceEvent): { key: string; byMessage: boolean } | undefined {
  if (event.messageTraceId !== undefined) return { key: event.messageTraceId, byMessage: false };
  if (event.detailId === undefined || event.messageId === undefined) return undefined;
  return { key: `message:${event.messageId}`, byMessage: true };
}

/**
 * For the inference, per message and recipient: a receipt from outside was counted for it, or it was
 * no arrival: a row of the message's routing (a redirect, resolution, expansion, Inbox rule) made
 * it, or the message was sent on to it outside the organisation.
 */
type ArrivalState = 'counted' | 'not-arrival';

/** True for a row whose recipient the message's routing made (see `inboundTraceOf`'s kinds). */
function makesRecipient(event: TraceEvent): boolean {
  return routingKindOf(event.eventId) !== undefined || event.source === 'MAILBOXRULE';
}

/**
 * A SEND over SMTP to an internet address: the message left the organisation for this recipient, so
 * a receipt of it for the same address was mail relayed out, not an arrival — an application's mail
 * on an anonymous relay connector (Exchange marks it Incoming, as mail from the internet), sent on to
 * Exchange Online or by a partner's send connector. Hops between the organisation's own servers use
 * private addresses or Exchange's internal connectors; mail that arrived for a mailbox in Exchange
 * Online is sent on to its routing address (`…mail.onmicrosoft.com`), not to the address it arrived for.
 */
function sentOut(event: TraceEvent, format: FormatId | undefined): boolean {
  return (
    event.eventId === 'SEND' &&
    // An on-premises server's own log: Exchange Online's trace sends its inbound mail on to the
    // organisation's servers on the internet ("Outbound to … on-premises"), where it arrives.
    format !== undefined &&
    !MESSAGE_TRACE_FORMATS.has(format) &&
    event.source === 'SMTP' &&
    isPublicAddress(event.serverIp) === true &&
    !INTERNAL_SEND_CONNECTORS.test(event.connectorId ?? '')
  );
}

/** Message-IDs whose inbound traces the index forgot, remembered (as hashes: a few MB at most) up to this many. */
const MAX_FORGOTTEN = 200_000;

export class EvidenceIndex {
  private readonly traces: BoundedMap<string, InboundTrace[]>;
  /**
   * Messages whose inbound traces were forgotten for the bound: a refusal of one read later is
   * classified without the evidence that would make it forwarding (see `forgotTraces`).
   */
  private readonly forgotten = new HashedMessageIds();
  /** Receipts for outside recipients: kept apart, so that relayed mail evicts no evidence. */
  private readonly outside: OutsideReceipts;
  private readonly contexts: BoundedMap<string, MessageContext>;
  /**
   * Envelope senders (P1) by {@link envelopeKey}: a trace detail names it on the message's `Receive`
   * row, not on its `Fail` row, in either order. `null`: details joined by Message-ID named two (a
   * forwarded copy's among them), so none is taken.
   */
  private readonly envelopes: BoundedMap<string, string | null>;
  private readonly queued: QueuedSenders;
  private readonly sessions: OpenSessions;
  /** What the inference counted of each message's recipients (`learn`); only while inferring. */
  private readonly arrivals: BoundedMap<string, Map<string, ArrivalState>> | undefined;
  /** The organisation's servers the run's tracking logs named: a receipt from one is a hop between them. */
  private readonly servers = new OwnServers();

  /**
   * @param inferred the domains being inferred from the logs, when no list was given
   * @param tracked how many messages each index remembers
   * @param options.rememberForgotten keep which messages' traces were forgotten (`forgotTraces`)
   */
  public constructor(
    private readonly domains: DomainOracle,
    private readonly inferred: InferredDomains | undefined,
    tracked: number,
    private readonly strings: StringPool,
    options: { rememberForgotten?: boolean } = {},
  ) {
    this.traces = new BoundedMap(
      tracked,
      options.rememberForgotten
        ? (messageId) => {
            if (this.forgotten.size < MAX_FORGOTTEN) this.forgotten.add(messageId);
          }
        : undefined,
    );
    this.outside = new OutsideReceipts(tracked);
    this.contexts = new BoundedMap(tracked);
    this.envelopes = new BoundedMap(tracked);
    this.queued = new QueuedSenders(tracked);
    this.sessions = new OpenSessions(tracked);
    if (inferred !== undefined) this.arrivals = new BoundedMap(tracked);
  }

  /**
   * Indexes what later (or earlier) refusals may need: inbound traces, message context, domains.
   * `file` is the event's file: a refusal read from another file names it beside the trace's line;
   * `format` its format; `refused` true when it is a relay refusal (an MTA's refusals name their
   * queued message: evidence/queued-sender.ts). True when it kept an inbound trace of the row's
   * message that may prove forwarding (not a receipt for an outside address).
   */
  public observe(event: TraceEvent, file?: string, format?: FormatId, refused = false): boolean {
    let kept = false;
    const { recipient } = event;
    this.queued.observe(event, refused ? format : undefined);
    this.sessions.observe(event);
    const newServer = this.servers.note(event, format);
    if (this.inferred) this.learn(event, this.inferred, format);
    const messageId = event.messageId;
    if (messageId !== undefined) {
      const trace = inboundTraceOf(event);
      if (trace) {
        trace.eventId = this.strings.intern(trace.eventId);
        // The run's own string for the file (one per file), so a trace costs a reference.
        if (file !== undefined) trace.file = file;
        trace.at = detach(event.timestamp);
        if (trace.recipient !== undefined) trace.recipient = detach(trace.recipient);
        if (trace.target !== undefined) trace.target = detach(trace.target);
        // Interned: receipts of a server name its few addresses again and again.
        if (trace.client !== undefined) trace.client = this.strings.intern(trace.client);
        // A receipt for an address that cannot be internal (with a given list) is no evidence of
        // arrival: it only names a recipient the sender addressed itself.
        if (isReceipt(trace) && this.domains.covers(domainOf(recipient)) === false) {
          this.outside.add(messageId, trace);
        } else {
          const list = this.traces.get(messageId);
          if (!list) this.traces.set(detach(messageId), [trace]);
          else keepRanked(list, trace);
          kept = true;
        }
        // Now this receipt is indexed, a copy's receipt counted before it (newest first) is known for one.
        if (this.inferred && trace.kind === 'received-for' && !newServer)
          this.withdrawCopies(messageId, this.inferred);
      }
    }
    if (newServer) this.serverNamed();
    const returnPath = event.returnPath;
    const envelope = returnPath === undefined ? undefined : envelopeKey(event);
    if (returnPath !== undefined && envelope !== undefined) {
      const known = envelope.byMessage ? this.envelopes.get(envelope.key) : undefined;
      const agreed = known === undefined || known === returnPath;
      this.envelopes.set(detach(envelope.key), agreed ? detach(returnPath) : null);
    }
    // Message trace rows name sender and recipient; detail rows often do not.
    if (
      event.messageTraceId !== undefined &&
      event.recipientStatus === undefined &&
      event.sender !== undefined
    ) {
      const row: TraceRow = {
        sender: detach(event.sender),
        subject: event.subject === undefined ? undefined : detach(event.subject),
        recipient: recipient === undefined ? undefined : detach(recipient),
        failed: event.eventId === 'FAILED',
        clientIp: event.clientIp === undefined ? undefined : detach(event.clientIp),
      };
      const traceId = event.messageTraceId;
      this.contexts.set(detach(traceId), withRow(this.contexts.get(traceId), row));
      if (messageId !== undefined)
        this.contexts.set(detach(messageId), withRow(this.contexts.get(messageId), row));
    }
    return kept;
  }

  /**
   * Learns the organisation's servers from the hosts of a row of a file in `format` the row filter
   * dropped, an SMTP SEND (`RowContext.noteServerHop`), as {@link observe} would from its event.
   */
  public noteServerHop(format: FormatId, hop: Readonly<ServerHop>): void {
    if (this.servers.note(hop, format)) this.serverNamed();
  }

  /** A server's address read after its copies' receipts (its own log read later) makes them copies. */
  private serverNamed(): void {
    if (this.inferred && this.arrivals !== undefined)
      for (const known of [...this.arrivals.keys()]) this.withdrawCopies(known, this.inferred);
  }

  /** What `event` tells the inference of the organisation's domains. */
  private learn(event: TraceEvent, inferred: InferredDomains, format: FormatId | undefined): void {
    const { eventId, recipient } = event;
    if (eventId === 'DELIVER') inferred.observeDelivered(domainOf(recipient));
    else if ((eventId === 'SUBMIT' || eventId === 'RECEIVE') && event.source === 'STOREDRIVER')
      inferred.observeSubmitted(domainOf(event.sender));
    else if (eventId === 'RECEIVE' && event.source === 'SMTP' && event.directionality === 'incoming')
      this.arrived(event, inferred);
    else if (makesRecipient(event) || sentOut(event, format)) this.notArrived(event, inferred);
  }

  /**
   * A receipt over SMTP of mail from outside counts for its recipient's domain once a message, and
   * not for a recipient the message's routing made: Exchange marks the message's direction, not the
   * hop's, so the next server's receipt of a copy a group expanded to an outside contact is Incoming
   * too, and names the contact.
   */
  private arrived(event: TraceEvent, inferred: InferredDomains): void {
    const { messageId, recipient } = event;
    const domain = domainOf(recipient);
    const recipients = this.recipientsOf(messageId, recipient);
    if (recipients !== undefined) {
      const address = (recipient as string).toLowerCase();
      if (recipients.has(address)) return; // counted already, or a hop's
      const copy = this.isCopy(event);
      recipients.set(detach(address), copy ? 'not-arrival' : 'counted');
      if (copy) return;
    }
    inferred.observeReceivedFromOutside(domain);
  }

  /**
   * True when `event`, a receipt, is of a copy handed back between the organisation's servers after
   * an earlier receipt of its message (`isCopyReceipt`): no receipt from outside.
   */
  private isCopy(event: TraceEvent): boolean {
    const { clientIp } = event;
    // The usual receipt, from an internet host not the organisation's, is judged without a trace.
    if (clientIp === undefined) return false;
    const own = this.servers.has(clientIp);
    if (!own && isPublicAddress(clientIp) !== false) return false;
    const trace = inboundTraceOf(event);
    if (trace === undefined) return false;
    trace.at = event.timestamp;
    if (own) trace.fromOwnServer = true;
    return isCopyReceipt(trace, this.inboundOf(event.messageId));
  }

  /**
   * A row that shows the message's receipt for its recipient was no arrival: the message's routing
   * made the recipient, or the message was sent on to it outside. A receipt for it read before (a
   * newest-first export reads the next server's receipt before the expansion) is taken back.
   */
  private notArrived(event: TraceEvent, inferred: InferredDomains): void {
    const recipients = this.recipientsOf(event.messageId, event.recipient);
    if (recipients === undefined) return;
    const address = (event.recipient as string).toLowerCase();
    const known = recipients.get(address);
    if (known === 'not-arrival') return;
    recipients.set(detach(address), 'not-arrival');
    if (known === 'counted') inferred.withdrawReceivedFromOutside(domainOf(address));
  }

  /**
   * Takes back the receipts from outside counted for recipients of message `messageId` whose receipts
   * were a copy's, handed back between the organisation's servers (`isCopyReceipt`): the copy's
   * recipient was made by routing whose row another server's log has, as a redirect's would be
   * (`notArrived`).
   */
  private withdrawCopies(messageId: string, inferred: InferredDomains): void {
    const recipients = this.arrivals?.get(messageId);
    if (recipients === undefined) return;
    let inbound: readonly InboundTrace[] | undefined;
    for (const [address, state] of recipients) {
      if (state !== 'counted') continue;
      inbound ??= this.inboundOf(messageId);
      const traces = inbound;
      // Every receipt for it a copy's: one from the internet too was an arrival, counted rightly.
      const receipts = traces.filter(
        (trace) => trace.kind === 'received-for' && trace.recipient?.toLowerCase() === address,
      );
      if (receipts.length === 0 || !receipts.every((trace) => isCopyReceipt(trace, traces))) continue;
      recipients.set(address, 'not-arrival');
      inferred.withdrawReceivedFromOutside(domainOf(address));
    }
  }

  /** What the inference knows of the recipients of message `messageId`; undefined without both. */
  private recipientsOf(
    messageId: string | undefined,
    recipient: string | undefined,
  ): Map<string, ArrivalState> | undefined {
    if (this.arrivals === undefined || messageId === undefined || recipient === undefined) return undefined;
    let recipients = this.arrivals.get(messageId);
    if (recipients === undefined) {
      recipients = new Map();
      this.arrivals.set(detach(messageId), recipients);
    }
    return recipients;
  }

  /** The context of the refusal's trace id, else of its Message-ID. */
  private contextOf(event: TraceEvent): MessageContext | undefined {
    return (
      (event.messageTraceId !== undefined ? this.contexts.get(event.messageTraceId) : undefined) ??
      (event.messageId !== undefined ? this.contexts.get(event.messageId) : undefined)
    );
  }

  /**
   * What the message trace rows say of the recipient of a refusal that names none: their one failed
   * recipient (or one recipient, when none failed), `null` when they name several, `undefined` none.
   */
  public tracedRecipient(event: TraceEvent): string | null | undefined {
    return this.contextOf(event)?.recipient;
  }

  /**
   * The inbound traces of message `messageId` seen so far, with those its MTA log named under a
   * stand-in when another file gave the message its Message-ID (evidence/queued-sender.ts).
   */
  public inboundOf(messageId: string | undefined): readonly InboundTrace[] {
    if (messageId === undefined) return NO_TRACES;
    const own = this.traces.get(messageId);
    const standIn = this.queued.standInOf(messageId);
    const named = standIn === undefined ? undefined : this.traces.get(standIn);
    const outside = this.outside.of(messageId);
    if (named === undefined && outside === undefined) return this.markOwnServers(own ?? NO_TRACES);
    return this.markOwnServers([...(own ?? NO_TRACES), ...(named ?? NO_TRACES), ...(outside ?? NO_TRACES)]);
  }

  /**
   * `inbound`, its receipts from the organisation's servers marked so (`fromOwnServer`). Judged when
   * asked, not when the receipt was read: a server's own log, or a newest-first export's older rows,
   * may name its address after its receipts. Once marked, always: the servers are only added to.
   */
  private markOwnServers(inbound: readonly InboundTrace[]): readonly InboundTrace[] {
    if (this.servers.size === 0) return inbound;
    for (const trace of inbound)
      if (trace.fromOwnServer === undefined && this.servers.has(trace.client)) trace.fromOwnServer = true;
    return inbound;
  }

  /**
   * True when inbound traces of message `messageId` were read and then forgotten for the bound (more
   * than `tracked` other messages came between): a refusal of it now lacks what they proved. None
   * of it kept now: a trace read again since is known again.
   */
  public forgotTraces(messageId: string | undefined): boolean {
    return messageId !== undefined && !this.traces.has(messageId) && this.forgotten.has(messageId);
  }

  /**
   * What another file of the run hands on about the row's message, when the row's own file began
   * after it: the envelope sender (and Message-ID) of an MTA's queued message, the start of an SMTP
   * session. Asked when a refusal is read, so that it is known by its message at once when the other
   * file came first, and again when it leaves the window, when the other file came after. One event
   * per recipient the refusal refuses: a refusal of MAIL FROM or of the message, in a session begun
   * in another file, refuses the recipients of its transaction there. `leaving`: asked as the refusal
   * leaves the window (what is not known then will not be).
   */
  public handedOn(row: TraceEvent, leaving = false): TraceEvent[] {
    return this.sessions.fill(this.queued.fill(row), leaving);
  }

  /**
   * Fills the envelope sender another detail row of the trace named, and sender, subject and (for a
   * trace's own rows) the address the message came from from a correlated message trace row, when
   * the row lacks them (its recipient is the run's to give: see unnamed-recipients.ts). `event` is the
   * refusal as {@link handedOn} left it (the classifier has it already: not asked twice).
   */
  public enrich(event: TraceEvent): TraceEvent {
    const envelope = event.returnPath === undefined ? envelopeKey(event) : undefined;
    const returnPath = envelope === undefined ? undefined : (this.envelopes.get(envelope.key) ?? undefined);
    // A detail row has no FromIP: its trace row tells whether the server connected over IPv6.
    const traced = event.messageTraceId !== undefined && event.clientIp === undefined;
    const context =
      event.sender !== undefined && event.recipient !== undefined && !traced
        ? undefined
        : this.contextOf(event);
    if (returnPath === undefined && context === undefined) return event;
    const enriched = { ...event };
    if (returnPath !== undefined) enriched.returnPath = returnPath;
    if (context === undefined) return enriched;
    if (enriched.sender === undefined && context.sender !== undefined) enriched.sender = context.sender;
    if (enriched.subject === undefined && context.subject !== undefined) enriched.subject = context.subject;
    if (traced && context.clientIp !== undefined) enriched.clientIp = context.clientIp;
    return enriched;
  }
}
