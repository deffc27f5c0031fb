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
import type { InboundTrace } from './inbound-trace.js';

/**
 * Per message, the first {@link OUTSIDE_KEPT} outside recipients (as a stored inbound entry keeps);
 * past them one receipt without a recipient stands for the rest.
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
    } else if (list.some((kept) => kept.recipient === trace.recipient || kept.recipient === undefined)) {
      // Known already, or stood for by the receipt without a recipient.
    } else if (list.length < OUTSIDE_KEPT) {
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
