/**
 * The receipts of a message for recipients outside the organisation. They are no evidence that it
 * arrived for the organisation, but they name recipients its sender addressed itself, so a refusal
 * for one of them is not forwarding (`addressedBySender` in inbound-trace.ts). Mail from outside is
 * received for an outside address when a relay connector accepted it (an application's mail), or
 * on the next server after a redirect made that address (which the redirect row explains).
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { detach } from '../../kernel/strings.js';
import { OUTSIDE_KEPT } from './inbound-entry.js';
import { compareTraces, type InboundTrace } from './inbound-trace.js';

/**
 * Receipts kept per outside recipient, one per client address, the earliest. A message is received
 * for a recipient once from its sender and again on each of the organisation's servers it passes
 * (Edge, Mailbox, a second Mailbox of the site): four covers the sender's receipt and three hops.
 * Past the bound the latest goes, and the sender's own receipt is the earliest (a copy's follows a
 * receipt: `isCopyReceipt`), so it is never lost to a copy's, whatever order the rows are read in.
 * At most {@link OUTSIDE_KEPT} times this many receipts (and a stand-in) per message.
 */
const RECEIPTS_PER_RECIPIENT = 4;

/** Time order, then client address: which of a recipient's receipts are kept is read-order free. */
function compareReceipts(a: InboundTrace, b: InboundTrace): number {
  const byTime = compareTraces(a, b);
  if (byTime !== 0 || a.client === b.client) return byTime;
  if (a.client === undefined) return -1;
  if (b.client === undefined) return 1;
  return a.client < b.client ? -1 : 1;
}

/**
 * Per message, the first {@link OUTSIDE_KEPT} outside recipients (as a stored inbound entry keeps),
 * each with up to {@link RECEIPTS_PER_RECIPIENT} of its receipts; past them one receipt without a
 * recipient stands for the rest.
 */
export class OutsideReceipts {
  private readonly byMessage: BoundedMap<string, InboundTrace[]>;

  /** @param tracked how many messages are remembered (oldest forgotten first) */
  public constructor(tracked: number) {
    this.byMessage = new BoundedMap(tracked);
  }

  /** Keeps `trace`, a receipt of message `messageId` for an outside recipient (its strings detached). */
  public add(messageId: string, trace: InboundTrace): void {
    // A delivery to an outside address may be a forward's; only an arrival names whom the sender addressed.
    if (trace.kind !== 'received-for') return;
    const list = this.byMessage.get(messageId);
    if (list === undefined) {
      this.byMessage.set(detach(messageId), [trace]);
      return;
    }
    const same = list.filter((kept) => kept.recipient === trace.recipient);
    if (same.length > 0) {
      keepEarliest(list, same, trace);
    } else if (list.some((kept) => kept.recipient === undefined)) {
      // Stood for by the receipt without a recipient.
    } else if (countRecipients(list) < OUTSIDE_KEPT) {
      list.push(trace);
    } else {
      // Any outside recipient may be one of those not kept: none of them is taken for forwarded.
      list.push({ kind: trace.kind, eventId: trace.eventId, line: trace.line });
    }
  }

  /** The receipts kept for message `messageId`. */
  public of(messageId: string): readonly InboundTrace[] | undefined {
    return this.byMessage.get(messageId);
  }
}

/**
 * Adds `trace` to `list` beside `same`, the receipts kept for its recipient: in place of one from
 * the same client if it is earlier, else while fewer than the bound, else in place of the latest
 * if it is earlier.
 */
function keepEarliest(list: InboundTrace[], same: readonly InboundTrace[], trace: InboundTrace): void {
  const rival =
    same.find((kept) => kept.client === trace.client) ??
    (same.length < RECEIPTS_PER_RECIPIENT
      ? undefined
      : same.reduce((latest, kept) => (compareReceipts(kept, latest) > 0 ? kept : latest)));
  if (rival === undefined) list.push(trace);
  else if (compareReceipts(trace, rival) < 0) list[list.indexOf(rival)] = trace;
}

/** How many outside recipients `list` names. */
function countRecipients(list: readonly InboundTrace[]): number {
  return new Set(list.map((kept) => kept.recipient)).size;
}
