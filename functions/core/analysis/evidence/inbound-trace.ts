/**
 * Inbound evidence — "message M first arrived for recipient R" — in one place. The row filter
 * (`relevance.ts`), the classifier's trace index, the inbound Message-ID index (`inbound-entry.ts`)
 * and through it the cross-upload correlation all ask these functions, so what counts as a receipt,
 * and what made a recipient of the message, cannot differ between them.
 *
 * A receipt counts only for mail that came from outside (not Originating). An app relaying as a
 * foreign domain to one internal and one outside recipient is not forwarding: an authenticated
 * submission is Originating, and an anonymous relay connector's (Incoming) names the outside
 * recipient too ({@link addressedBySender}).
 */
import { detach } from '../../kernel/strings.js';
import { domainOf, type FormatId, type ServerHop, type TraceEvent } from '../model/events.js';
import type { ForwardingOrigin } from '../model/findings.js';
import { isPublicAddress } from './public-address.js';

/** What made a recipient of the message from the recipient it arrived for. */
export type RoutingKind = 'redirect' | 'resolve' | 'expand';

/** Evidence, gathered across rows and files, that a message first arrived for an internal recipient. */
export interface InboundTrace {
  kind: RoutingKind | 'mailbox-rule' | 'received-for' | 'delivered-to';
  /**
   * The recipient the message arrived for (when the row names one): for an expansion, the group. A
   * receipt without one stands for outside recipients the index did not keep (evidence/outside-receipts.ts).
   */
  recipient?: string;
  /**
   * What the message was redirected or resolved to, the group member it was expanded to, or, for
   * mailbox-rule rows, what it was sent to.
   */
  target?: string;
  eventId: string;
  line: number;
  /**
   * Set on a redirect an Inbox rule made (source `MAILBOXRULE`, event `REDIRECT`: the rule of the
   * mailbox `recipient` redirected the message to `target`): forwarding by that mailbox's rules,
   * not by its forwarding address.
   */
  byRule?: true;
  /**
   * The file the row was read from: evidence for a refusal in another file says which file its line
   * is in. Left unset by {@link inboundTraceOf}, which sees the row only.
   */
  file?: string;
  /**
   * When the row was written (the event's timestamp, UTC ISO 8601 with milliseconds), set by the
   * classifier's index beside `file`: of a message's traces it keeps the first in time
   * ({@link compareTraces}), not the first read.
   */
  at?: string;
  /**
   * The address a receipt's row says the message came from (its client IP), when it names one: a
   * receipt from one of the organisation's own servers may be a copy its routing made
   * ({@link addressedBySender}).
   */
  client?: string;
  /**
   * Set on a receipt whose client is one of the organisation's own Exchange servers as the run's logs
   * name them (a row's logging server, a send's sending server), whatever its address range: set by the
   * classifier's index when the traces are asked for, as a server's address may be read after its
   * receipt ({@link isCopyReceipt}).
   */
  fromOwnServer?: true;
}

/** Event ids whose recipient proves the message arrived for that recipient. */
const RECEIPT_EVENTS: ReadonlySet<string> = new Set(['RECEIVE', 'DELIVER', 'DELIVERED']);
/**
 * Event ids whose related recipient is the recipient the message arrived for and whose recipient
 * routing made from it: a mailbox's alternate recipient (REDIRECT), a proxy address's primary one
 * (RESOLVE), a distribution group's member (EXPAND, one row for all members).
 */
const ROUTING_EVENTS: ReadonlyMap<string, RoutingKind> = new Map([
  ['REDIRECT', 'redirect'],
  ['RESOLVE', 'resolve'],
  ['EXPAND', 'expand'],
]);
/** The trace kinds that made a recipient of the message. */
const MAKING_KINDS: ReadonlySet<InboundTrace['kind']> = new Set([
  'redirect',
  'resolve',
  'expand',
  'mailbox-rule',
]);

const ROUTING_KINDS: ReadonlySet<string> = new Set(ROUTING_EVENTS.values());

/** True for the trace kinds of a redirect, a resolution or an expansion. */
function isRoutingKind(kind: InboundTrace['kind']): kind is RoutingKind {
  return ROUTING_KINDS.has(kind);
}

/** The kind of routing an event id records (a redirect, a resolution, an expansion), if any. */
export function routingKindOf(eventId: string | undefined): RoutingKind | undefined {
  return eventId === undefined ? undefined : ROUTING_EVENTS.get(eventId);
}

/**
 * True when a row with these fields may be inbound evidence: the cheap test the row filter runs
 * before an event is built. Never false for a row {@link inboundTraceOf} would accept.
 */
export function mayBeEvidence(
  eventId: string,
  source: string | undefined,
  directionality: TraceEvent['directionality'],
): boolean {
  if (ROUTING_EVENTS.has(eventId) || source === 'MAILBOXRULE') return true;
  return RECEIPT_EVENTS.has(eventId) && directionality !== 'originating';
}

/**
 * Exchange's own send connectors between its servers, which may use public addresses (global IPv6
 * inside a dual-stack site, an organisation's own IPv4 range): the implicit intra-organisation
 * connector, and an Edge Transport server's subscription connector to its Mailbox servers.
 */
export const INTERNAL_SEND_CONNECTORS =
  /intra-organization smtp send connector|(?:^|\\)edgesync - inbound to /i;

/** The on-premises Exchange tracking logs, whose rows name the servers that wrote them. */
const TRACKING_LOG_FORMATS: ReadonlySet<FormatId> = new Set<FormatId>([
  'exchange-tracking-log',
  'tracking-log-export',
]);

/** How many addresses of the organisation's servers are remembered: an organisation has few. */
const MAX_SERVERS = 256;

/**
 * The addresses of the organisation's own Exchange servers, as the run's tracking logs name them,
 * without configuration: the server that logged a receipt or a routing row (its server-ip), the server
 * that sent a SEND (its client-ip) and the one a SEND over Exchange's internal connectors reached, and
 * the server that delivered into its own mailbox database (a DELIVER names it as both). Otherwise a
 * SEND's or a FAIL's server-ip is the next hop (Exchange Online, a partner), and a receipt's client-ip
 * the sending host, which may be anyone's. A receipt from one of them is a hop between the
 * organisation's servers whatever the address range ({@link isCopyReceipt}).
 */
export class OwnServers {
  private readonly addresses = new Set<string>();

  public get size(): number {
    return this.addresses.size;
  }

  /** Remembers the servers `event`, a row of a file in `format`, names; true when one is new. */
  public note(event: Readonly<ServerHop>, format: FormatId | undefined): boolean {
    if (format === undefined || !TRACKING_LOG_FORMATS.has(format)) return false;
    const { eventId, serverIp, clientIp } = event;
    if (eventId === 'RECEIVE' || ROUTING_EVENTS.has(eventId)) return this.add(serverIp);
    if (eventId === 'SEND' && event.source === 'SMTP') {
      const sender = this.add(clientIp);
      const reached = INTERNAL_SEND_CONNECTORS.test(event.connectorId ?? '') && this.add(serverIp);
      return sender || reached;
    }
    return eventId === 'DELIVER' && serverIp === clientIp && this.add(serverIp);
  }

  /** True when `ip` is one of the servers remembered. */
  public has(ip: string | undefined): boolean {
    if (ip === undefined || this.addresses.size === 0) return false;
    return this.addresses.has(ip) || this.addresses.has(ip.trim().toLowerCase());
  }

  private add(ip: string | undefined): boolean {
    // Looked up as written first: a server's rows name its address again and again, alike.
    if (!ip || this.addresses.has(ip)) return false;
    const address = ip.trim().toLowerCase();
    if (!address || this.addresses.has(address) || this.addresses.size >= MAX_SERVERS) return false;
    this.addresses.add(detach(address));
    return true;
  }
}

/** True for the kinds that name the recipient a message was received for or delivered to. */
export function isReceipt(trace: InboundTrace): boolean {
  return trace.kind === 'received-for' || trace.kind === 'delivered-to';
}

type EvidenceFields = Pick<
  TraceEvent,
  'eventId' | 'source' | 'recipient' | 'relatedRecipient' | 'directionality' | 'line' | 'clientIp'
>;

/**
 * A redirect, resolution or expansion that names the recipient the message arrived for. Not an
 * expansion to a member in the group's own domain: that member is internal, so no refusal is for it,
 * and a group has many, which would crowd the outside member out of the few traces kept per message.
 */
function isRoutingOf(event: EvidenceFields): boolean {
  if (!ROUTING_EVENTS.has(event.eventId) || !event.relatedRecipient) return false;
  return event.eventId !== 'EXPAND' || domainOf(event.recipient) !== domainOf(event.relatedRecipient);
}

/** A receipt or delivery, from outside, that names its recipient. */
function isReceiptOf(event: EvidenceFields): boolean {
  return (
    event.recipient !== undefined &&
    RECEIPT_EVENTS.has(event.eventId) &&
    event.directionality !== 'originating'
  );
}

/**
 * The recipient an event proves its message arrived for, if any — what {@link inboundTraceOf}
 * would name, without building a trace (the inbound Message-ID index asks once per receipt row).
 */
export function inboundRecipientOf(event: EvidenceFields): string | undefined {
  if (isRoutingOf(event)) return event.relatedRecipient;
  if (event.source === 'MAILBOXRULE') return undefined;
  return isReceiptOf(event) ? event.recipient : undefined;
}

/**
 * What one event proves about where its message arrived, before any judgement of domains (the
 * caller decides whether the recipient is internal): a redirect, resolution or expansion names the
 * recipient the message arrived for (an expansion, the group) and the one it made (a member), a
 * mailbox rule that it acted, a receipt or delivery the recipient.
 */
export function inboundTraceOf(event: EvidenceFields): InboundTrace | undefined {
  const { eventId, recipient } = event;
  if (isRoutingOf(event)) {
    const trace: InboundTrace = {
      kind: ROUTING_EVENTS.get(eventId) as RoutingKind,
      recipient: event.relatedRecipient as string,
      eventId,
      line: event.line,
    };
    if (recipient !== undefined) trace.target = recipient;
    if (event.source === 'MAILBOXRULE') trace.byRule = true;
    return trace;
  }
  if (event.source === 'MAILBOXRULE') {
    const trace: InboundTrace = { kind: 'mailbox-rule', eventId, line: event.line };
    if (recipient !== undefined) trace.target = recipient;
    return trace;
  }
  if (isReceiptOf(event)) {
    const trace: InboundTrace = {
      kind: eventId === 'RECEIVE' ? 'received-for' : 'delivered-to',
      recipient: recipient as string,
      eventId,
      line: event.line,
    };
    if (event.clientIp !== undefined) trace.client = event.clientIp;
    return trace;
  }
  return undefined;
}

/**
 * Of a message's traces written at the same moment, which comes first: as transport handles a
 * message, routed before a rule acted, received before delivered.
 */
const KIND_ORDER: Readonly<Record<InboundTrace['kind'], number>> = {
  redirect: 0,
  resolve: 0,
  expand: 0,
  'mailbox-rule': 1,
  'received-for': 2,
  'delivered-to': 3,
};

/**
 * The order in which a message's traces are kept and cited, the same whatever order their rows
 * were read in (a newest-first export, files named in any order): rows that made a recipient
 * first, then the earliest, then by kind; addresses settle the rest. Only the row's place (line,
 * file) is left out: two traces equal here say the same.
 */
export function compareTraces(a: InboundTrace, b: InboundTrace): number {
  return (
    Number(isReceipt(a)) - Number(isReceipt(b)) ||
    compareText(a.at, b.at) ||
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
    compareText(a.recipient, b.recipient) ||
    compareText(a.target, b.target) ||
    compareText(a.eventId, b.eventId)
  );
}

/** Code-unit order (no locale: the same on every machine), an absent value first. */
function compareText(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

/**
 * True when the message's own sender addressed `recipient`: the message was received for it (not
 * delivered: a delivery to an outside address may be a forward's), and no redirect, expansion or
 * mailbox rule made it. Then a refusal for it is not forwarding, whatever internal recipients the
 * message also had: an application relaying as a foreign domain through an anonymous relay
 * connector (which Exchange marks Incoming) to one internal and one outside recipient is received
 * for both. A redirect or a group's expansion to it does explain it: the next server's receipt of
 * the copy names the address it made too, and so does the receipt of a copy handed back from one of
 * the organisation's servers when the redirect is in that server's log ({@link isCopyReceipt}). The
 * correlation across uploads asks it too, of what the inbound index keeps (`tracesOfEntries` in
 * inbound-entry.ts, with each receipt's client address), so both judge a message alike.
 */
export function addressedBySender(inbound: readonly InboundTrace[], recipient: string): boolean {
  const named = inbound.some(
    (trace) =>
      trace.kind === 'received-for' &&
      (trace.recipient === recipient || trace.recipient === undefined) &&
      !isCopyReceipt(trace, inbound),
  );
  return named && !inbound.some((trace) => madeBy(trace, recipient));
}

/**
 * True for a receipt of a copy the organisation's routing made, passed back between its own servers:
 * it came from a private address or from one of the organisation's servers (`fromOwnServer`: a
 * university or an older network numbers its servers in its own public range), after the message was
 * received from another host for another recipient. An Edge Transport server (or a Mailbox server of
 * a DAG) receives an outside sender's message for kate@contoso.com, passes it to a Mailbox server,
 * which redirects it and hands the copy for kate@tailspintoys.com back to it; Exchange marks the
 * copy's receipt Incoming too, and the redirect row is in the other server's log. An application that
 * addresses an internal and an outside recipient itself sends both from the same host (one receipt
 * row, or one per envelope), and a receipt from an internet address that is none of the
 * organisation's servers is no hop between them. The inference of the organisation's domains asks it
 * too: such a copy is no receipt from outside (classifier/evidence-index.ts).
 */
export function isCopyReceipt(trace: InboundTrace, inbound: readonly InboundTrace[]): boolean {
  const { client, recipient, at } = trace;
  if (trace.kind !== 'received-for' || client === undefined || recipient === undefined) return false;
  if (trace.fromOwnServer !== true && isPublicAddress(client) !== false) return false;
  return inbound.some(
    (earlier) =>
      earlier.kind === 'received-for' &&
      earlier.recipient !== undefined &&
      earlier.recipient !== recipient &&
      earlier.client !== undefined &&
      earlier.client !== client &&
      (earlier.at === undefined || at === undefined || earlier.at <= at),
  );
}

/** A redirect, expansion or mailbox rule that sent the message to `recipient` (or to an address not logged). */
function madeBy(trace: InboundTrace, recipient: string): boolean {
  if (!MAKING_KINDS.has(trace.kind)) return false;
  return trace.target === undefined || trace.target === recipient;
}

/**
 * The traces that made `recipient` (any recipient when it is not known), in their order: those that
 * made it, and, step by step, those that made the recipient such a step started from (a group
 * expanded to a group, a mailbox redirected to one that redirects). A row's other targets are other
 * recipients' and prove nothing about this one.
 */
export function tracesMaking(
  inbound: readonly InboundTrace[],
  recipient: string | undefined,
): InboundTrace[] {
  if (recipient === undefined) return inbound.filter((trace) => MAKING_KINDS.has(trace.kind));
  const made = new Set<InboundTrace>();
  const wanted = [recipient];
  for (let i = 0; i < wanted.length; i++) {
    for (const trace of inbound) {
      if (made.has(trace) || !madeBy(trace, wanted[i] as string)) continue;
      made.add(trace);
      if (trace.recipient !== undefined && !wanted.includes(trace.recipient)) wanted.push(trace.recipient);
    }
  }
  return inbound.filter((trace) => made.has(trace));
}

/**
 * Where on-premises a refusal for `refused` was passed on outside (`ForwardingOrigin`: the internal
 * address the message arrived for, and how), from the traces of its message; undefined when they do
 * not point at one internal address (receipts for two internal recipients: either may have forwarded). Prefers the row that made the refused recipient itself (the group with the outside
 * member, the mailbox that redirects outside) over the steps before it, and a row that made it over a
 * receipt. `isInternal` judges an address the organisation's, as the forwarding rule does.
 */
export function forwardingOrigin(
  inbound: readonly InboundTrace[],
  refused: string | undefined,
  isInternal: (address: string) => boolean,
): ForwardingOrigin | undefined {
  const making = tracesMaking(inbound, refused).flatMap((trace) => {
    const { kind, recipient } = trace;
    return isRoutingKind(kind) && recipient !== undefined && isInternal(recipient)
      ? [{ kind: trace.byRule ? ('mailbox-rule' as const) : kind, address: recipient, target: trace.target }]
      : [];
  });
  const maker = making.find((step) => step.target === refused) ?? making[0];
  if (maker !== undefined) return { kind: maker.kind, address: maker.address };
  const received = new Set<string>();
  for (const trace of inbound) {
    if (isReceipt(trace) && trace.recipient !== undefined && isInternal(trace.recipient))
      received.add(trace.recipient);
  }
  if (received.size !== 1) return undefined;
  const [address] = [...received] as [string];
  // An inbox rule's row names what it sent to, not whose rule it was: the one mailbox the message reached is.
  const byRule = inbound.some(
    (trace) => trace.kind === 'mailbox-rule' && (refused === undefined || madeBy(trace, refused)),
  );
  return { kind: byRule ? 'mailbox-rule' : 'received-for', address };
}
