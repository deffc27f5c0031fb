/**
 * The envelope sender of a queued MTA message, across the files of a run (docs/domain.md "MTA
 * logs"). Postfix, sendmail and Exim log a message's sender once, when it is queued (`from=<…>`,
 * `<= …`), and its deliveries later, by queue id; a log rotated in between leaves the sender in
 * `mail.log.1` and the refusal in `mail.log`. So at the end of each file its reader hands on, as a
 * `QUEUED` event, every message still in its queue with the sender (and Message-ID) it knows, and
 * marks each delivery with its queue id (`internalMessageId`, with the host as `clientHostname`).
 * The classifier indexes the `QUEUED` events like any other evidence and fills a refusal that has
 * no sender from them when the refusal leaves the pending window — so the files of a run may be
 * read in either order, as for the forwarding evidence of rolled-over tracking logs.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { detach } from '../../kernel/strings.js';
import type { FormatId, TraceEvent } from '../model/events.js';

/** Event id of a message still queued at the end of an MTA log file (stable: not a tracking event id). */
export const QUEUED_EVENT_ID = 'QUEUED';

/** The formats whose refusals take their sender from the `from=` / `<=` line of their queue id. */
const MTA_FORMATS: ReadonlySet<FormatId> = new Set(['postfix-log', 'sendmail-log', 'exim-log']);

/**
 * True for an MTA refusal whose sender no file of the run had (after {@link QueuedSenders.fill}):
 * its `from=` line was before the first file, or its queue id was forgotten.
 */
export function senderUnseen(event: TraceEvent, format: FormatId): boolean {
  return MTA_FORMATS.has(format) && event.returnPath === undefined;
}

/** What a `QUEUED` event says of its message. */
interface QueuedSender {
  returnPath: string;
  messageId?: string;
}

/** The host and queue id of an MTA event, or `undefined` for events of other formats. */
function queueKeyOf(event: TraceEvent): string | undefined {
  if (event.internalMessageId === undefined) return undefined;
  return `${event.clientHostname ?? ''}\u0000${event.internalMessageId}`;
}

/** The senders of queued messages seen in the run so far, by host and queue id (oldest forgotten first). */
export class QueuedSenders {
  private readonly senders: BoundedMap<string, QueuedSender>;

  public constructor(tracked: number) {
    this.senders = new BoundedMap(tracked);
  }

  /** Keeps the sender of a `QUEUED` event; other events are not looked at. */
  public observe(event: TraceEvent): void {
    if (event.eventId !== QUEUED_EVENT_ID || event.returnPath === undefined) return;
    const key = queueKeyOf(event);
    if (key === undefined) return;
    const sender: QueuedSender = { returnPath: detach(event.returnPath) };
    if (event.messageId !== undefined) sender.messageId = detach(event.messageId);
    this.senders.set(detach(key), sender);
  }

  /**
   * The event with the sender and Message-ID of its queued message, when its own file did not
   * have them. A delivery without a sender had no `from=` line in its file, so the Message-ID it
   * has is the reader's stand-in (see mta-log.ts): the one of the file that had the sender wins.
   */
  public fill(event: TraceEvent): TraceEvent {
    if (event.returnPath !== undefined) return event;
    const key = queueKeyOf(event);
    const sender = key === undefined ? undefined : this.senders.get(key);
    if (sender === undefined) return event;
    const filled: TraceEvent = { ...event, returnPath: sender.returnPath };
    if (sender.messageId !== undefined) filled.messageId = sender.messageId;
    return filled;
  }
}
