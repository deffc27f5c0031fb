/**
 * Inbound evidence — "message M first arrived for recipient R" — in one place. The row filter
 * (`relevance.ts`), the classifier's trace index, the inbound Message-ID index (`inbound-entry.ts`)
 * and through it the cross-upload correlation all ask these two functions, so what counts as a
 * receipt cannot differ between them.
 *
 * A receipt counts only for mail that came from outside (not Originating). An app relaying as a
 * foreign domain to one internal and one outside recipient is not forwarding: an authenticated
 * submission is Originating, and an anonymous relay connector's (Incoming) names the outside
 * recipient too ({@link addressedBySender}).
 */
import type { TraceEvent } from '../model/events.js';

/** Evidence, gathered across rows and files, that a message first arrived for an internal recipient. */
export interface InboundTrace {
  kind: 'redirect' | 'resolve' | 'mailbox-rule' | 'received-for' | 'delivered-to';
  /**
   * The recipient the message arrived for (when the row names one). A receipt without one stands
   * for outside recipients the index did not keep (evidence/outside-receipts.ts).
   */
  recipient?: string;
  /** What the message was redirected to, for redirect/resolve rows, or sent to, for mailbox-rule rows. */
  target?: string;
  eventId: string;
  line: number;
}

/** Event ids whose recipient proves the message arrived for that recipient. */
const RECEIPT_EVENTS: ReadonlySet<string> = new Set(['RECEIVE', 'DELIVER', 'DELIVERED']);
/** Event ids whose related recipient is the original recipient of a redirected message. */
const REDIRECT_EVENTS: ReadonlySet<string> = new Set(['REDIRECT', 'RESOLVE']);

/**
 * True when a row with these fields may be inbound evidence: the cheap test the row filter runs
 * before an event is built. Never false for a row {@link inboundTraceOf} would accept.
 */
export function mayBeEvidence(
  eventId: string,
  source: string | undefined,
  directionality: TraceEvent['directionality'],
): boolean {
  if (REDIRECT_EVENTS.has(eventId) || source === 'MAILBOXRULE') return true;
  return RECEIPT_EVENTS.has(eventId) && directionality !== 'originating';
}

/** True for the kinds that name the recipient a message was received for or delivered to. */
export function isReceipt(trace: InboundTrace): boolean {
  return trace.kind === 'received-for' || trace.kind === 'delivered-to';
}

type EvidenceFields = Pick<
  TraceEvent,
  'eventId' | 'source' | 'recipient' | 'relatedRecipient' | 'directionality' | 'line'
>;

/** A redirect or expansion that names the original recipient. */
function isRedirectOf(event: EvidenceFields): boolean {
  return REDIRECT_EVENTS.has(event.eventId) && Boolean(event.relatedRecipient);
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
  if (isRedirectOf(event)) return event.relatedRecipient;
  if (event.source === 'MAILBOXRULE') return undefined;
  return isReceiptOf(event) ? event.recipient : undefined;
}

/**
 * What one event proves about where its message arrived, before any judgement of domains (the
 * caller decides whether the recipient is internal): a redirect or expansion names the original
 * recipient, a mailbox rule that it acted, a receipt or delivery the recipient.
 */
export function inboundTraceOf(event: EvidenceFields): InboundTrace | undefined {
  const { eventId, recipient } = event;
  if (isRedirectOf(event)) {
    const trace: InboundTrace = {
      kind: eventId === 'REDIRECT' ? 'redirect' : 'resolve',
      recipient: event.relatedRecipient as string,
      eventId,
      line: event.line,
    };
    if (recipient !== undefined) trace.target = recipient;
    return trace;
  }
  if (event.source === 'MAILBOXRULE') {
    const trace: InboundTrace = { kind: 'mailbox-rule', eventId, line: event.line };
    if (recipient !== undefined) trace.target = recipient;
    return trace;
  }
  if (isReceiptOf(event)) {
    return {
      kind: eventId === 'RECEIVE' ? 'received-for' : 'delivered-to',
      recipient: recipient as string,
      eventId,
      line: event.line,
    };
  }
  return undefined;
}

/**
 * True when the message's own sender addressed `recipient`: the message was received for it (not
 * delivered: a delivery to an outside address may be a forward's), and no redirect, expansion or
 * mailbox rule made it. Then a refusal for it is not forwarding, whatever internal recipients the
 * message also had: an application relaying as a foreign domain through an anonymous relay
 * connector (which Exchange marks Incoming) to one internal and one outside recipient is received
 * for both. A redirect to it does explain it: the next server's receipt of the redirected message
 * names the redirected address too. The correlation across uploads asks it too, of what the inbound
 * index keeps (`tracesOfEntries` in inbound-entry.ts), so both judge a message alike.
 */
export function addressedBySender(inbound: readonly InboundTrace[], recipient: string): boolean {
  const named = inbound.some(
    (trace) =>
      trace.kind === 'received-for' && (trace.recipient === recipient || trace.recipient === undefined),
  );
  return named && !inbound.some((trace) => madeBy(trace, recipient));
}

/** A redirect, expansion or mailbox rule that sent the message to `recipient` (or to an address not logged). */
function madeBy(trace: InboundTrace, recipient: string): boolean {
  if (trace.kind !== 'redirect' && trace.kind !== 'resolve' && trace.kind !== 'mailbox-rule') return false;
  return trace.target === undefined || trace.target === recipient;
}
