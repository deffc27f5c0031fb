/**
 * Arrivals the inbound index would keep but that came before the upload's inferred domains knew
 * their recipient's domain. Without a list, a domain is the organisation's only from its first
 * delivery or its second receipt from outside (`InferredDomains`), so the first receipt of an
 * upload for kate@contoso.com reads as one for an unknown address — and when no delivery of hers
 * follows (a mailbox that only redirects), the index would never learn the message arrived for her,
 * while one run over every file, which judges its refusals later, reads forwarding. Such entries wait
 * here, bounded, and are written once an event of the run makes their domain the organisation's;
 * those of a domain the upload never shows as the organisation's are dropped with the run, as its
 * final inference says they are no arrival. With a list every domain is decided: nothing waits.
 */
import { detach } from '../../kernel/strings.js';
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import { domainOf, type TraceEvent } from '../model/events.js';

/** What is told of a waiting entry (inbound-entry.ts's `ArrivalEntry`, which uses this module). */
interface Arrival {
  messageId: string;
  receivedAt: string;
  sourceId: string;
  recipient: string;
}

/** True for entries that are one item of the index (table-design.ts `inboundKey`: message, day, upload, recipient). */
function sameItem(a: Arrival | undefined, b: Arrival): boolean {
  return (
    a?.recipient === b.recipient &&
    a.messageId === b.messageId &&
    a.sourceId === b.sourceId &&
    a.receivedAt.slice(0, 10) === b.receivedAt.slice(0, 10)
  );
}

/**
 * Domains with entries waiting, the first seen kept: the organisation's show early in an upload
 * (its mail is most of it) and are decided within a few rows; the rest are outside domains.
 */
const DOMAINS_KEPT = 1000;
/**
 * Entries waiting per domain, the first kept: before a domain is decided come its first receipt and
 * the rows that routed that message (a redirect, an expansion), rarely more.
 */
const PER_DOMAIN = 8;
/** Events whose addresses the inference learns a domain from (`InferredDomains`): only they decide one. */
const LEARNING_EVENTS: ReadonlySet<string> = new Set(['RECEIVE', 'DELIVER', 'SUBMIT']);

export class UndecidedArrivals<Entry extends Arrival> {
  private readonly byDomain = new Map<string, Entry[]>();

  public constructor(private readonly domains: DomainOracle) {}

  /** True when an entry for `domain` would be kept: the caller builds none otherwise (a receipt a row). */
  public wants(domain: string): boolean {
    const waiting = this.byDomain.get(domain);
    return waiting === undefined ? this.byDomain.size < DOMAINS_KEPT : waiting.length < PER_DOMAIN;
  }

  /** Keeps `entry`, whose recipient is in `domain`, which the inference has not decided yet. */
  public remember(domain: string, entry: Entry): void {
    const waiting = this.byDomain.get(domain);
    if (waiting === undefined) {
      if (this.byDomain.size < DOMAINS_KEPT) this.byDomain.set(detach(domain), [entry]);
      return;
    }
    // The same item (an expansion's event per member, each naming the group; the REDIRECT after the
    // RECEIVE): the later one, as the index keeps it.
    const last = waiting.length - 1;
    if (sameItem(waiting[last], entry)) waiting[last] = entry;
    else if (waiting.length < PER_DOMAIN) waiting.push(entry);
  }

  /**
   * The entries waiting for the domains `event` names, when the inference now says they are the
   * organisation's (the event was just learnt from); no longer kept. Undefined, the usual case, when none.
   */
  public decidedBy(event: TraceEvent): Entry[] | undefined {
    if (this.byDomain.size === 0 || !LEARNING_EVENTS.has(event.eventId)) return undefined;
    const forRecipient = this.decided(event.recipient);
    const forSender = this.decided(event.sender);
    if (forSender === undefined) return forRecipient;
    return forRecipient === undefined ? forSender : [...forRecipient, ...forSender];
  }

  private decided(address: string | undefined): Entry[] | undefined {
    const domain = domainOf(address);
    if (domain === undefined) return undefined;
    const waiting = this.byDomain.get(domain);
    if (waiting === undefined || this.domains.covers(domain) !== true) return undefined;
    this.byDomain.delete(domain);
    return waiting;
  }
}
