/**
 * One entry of the inbound Message-ID index: "message M arrived for internal recipient R, in
 * upload U, at time T" — and which outside recipients the same receipt named: its sender addressed
 * those itself, so a refusal for one of them in another upload is no forwarding (`addressedBySender`,
 * the rule the classifier applies within a run). A receipt that named only outside recipients (an
 * application sending one envelope per recipient) is an entry without a recipient: it proves no
 * arrival, only whom the sender addressed. Pure (no AWS imports), so the analysis core can
 * produce entries while it reads a file, and the nightly job can consume them without re-reading
 * that file.
 */
import { z } from 'zod';
import { BoundedMap } from '../../kernel/bounded-map.js';
import { detach } from '../../kernel/strings.js';
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import { domainOf, type FormatId, normaliseMessageId, type TraceEvent } from '../model/events.js';
import { type InboundTrace, inboundRecipientOf, OwnServers, routingKindOf } from './inbound-trace.js';
import { UndecidedArrivals } from './undecided-arrivals.js';

/** Longest Message-ID kept (RFC 5322 sets no limit; real ones are under 250 characters). */
export const MAX_MESSAGE_ID_LENGTH = 998;
/** Longest address (RFC 5321: 64 + 1 + 255). */
export const MAX_ADDRESS_LENGTH = 320;
/** Longest client address kept (an IPv6 address with a zone, in brackets, fits). */
const MAX_CLIENT_LENGTH = 64;
/** Outside recipients an entry keeps, and the classifier per message (evidence/outside-receipts.ts). */
export const OUTSIDE_KEPT = 8;
/** Stands, last in `outside`, for outside recipients not kept: any outside address may be one. */
export const MORE_OUTSIDE = '*';

export const InboundEntry = z
  .object({
    /** Message-ID as the log writes it (angle brackets are stripped when keyed). */
    messageId: z.string().trim().min(1).max(MAX_MESSAGE_ID_LENGTH),
    /**
     * The internal recipient the message arrived for, lower-cased. Absent on an entry of a receipt
     * that named only outside recipients: it proves no arrival (see {@link provesArrival}), only that
     * the sender addressed those in `outside` itself.
     */
    recipient: z.string().trim().toLowerCase().min(3).max(MAX_ADDRESS_LENGTH).includes('@').optional(),
    /** When it arrived (UTC ISO 8601). */
    receivedAt: z.iso.datetime(),
    /** The upload (source record id) the evidence was read from. */
    sourceId: z.string().min(1).max(128),
    /** The upload's file name or S3 key, for the evidence text. */
    file: z.string().max(1024).optional(),
    /** The trace event that proved it, e.g. `RECEIVE`, `DELIVER`, `REDIRECT`, `EXPAND` (of the group `recipient`). */
    eventId: z.string().max(32).optional(),
    /**
     * The outside recipients a receipt of the message in this upload named along with `recipient`
     * (lower-cased), the first {@link OUTSIDE_KEPT}; {@link MORE_OUTSIDE} last stands for more, any
     * outside address. Absent when it named none, as most receipts (and entries stored before) do.
     */
    outside: z
      .array(
        z.union([
          z.literal(MORE_OUTSIDE),
          z.string().trim().toLowerCase().max(MAX_ADDRESS_LENGTH).includes('@'),
        ]),
      )
      .min(1)
      .max(OUTSIDE_KEPT + 1)
      .optional(),
    /**
     * The address a `RECEIVE` row says the message came from (its client IP), when it names one and
     * the entry stands for that row alone: a receipt from one of the organisation's own servers after
     * an arrival from another host is a forwarded copy's, which names no recipient the sender
     * addressed (`addressedBySender`, as the classifier judges it within a run).
     */
    client: z.string().trim().min(1).max(MAX_CLIENT_LENGTH).optional(),
    /**
     * Set with `client` when the upload's tracking logs name that host as one of the organisation's
     * own Exchange servers (`OwnServers` in inbound-trace.ts), as far as the upload had named them when
     * the entry was written: its receipt is a hop between them whatever the address range.
     */
    ownServer: z.literal(true).optional(),
  })
  .refine((entry) => entry.recipient !== undefined || entry.outside !== undefined, {
    message: 'an entry without a recipient must name the outside recipients its receipt did',
    path: ['outside'],
  });
export type InboundEntry = z.infer<typeof InboundEntry>;
/** An entry that proves its message arrived for an internal recipient. */
export type ArrivalEntry = InboundEntry & { recipient: string };

/**
 * True for an entry that proves its message arrived for an internal recipient. One without a
 * recipient (a receipt that named only outside recipients) is evidence for `addressedBySender` only:
 * no correlation may take it as the arrival that forwarding starts from.
 */
export function provesArrival(entry: InboundEntry): entry is ArrivalEntry {
  return entry.recipient !== undefined;
}

/**
 * `entry` as evidence only of whom its message's sender addressed (its `outside`, and its recipient
 * when a receipt names it: see {@link tracesOfEntries}), proving no arrival; undefined when it names
 * no one so. For receipts that count only for the rule, not as proof (a run's own receipts, which its
 * classifier already judged with).
 */
export function addressedOnly(entry: InboundEntry): InboundEntry | undefined {
  const { recipient, ...rest } = entry;
  if (recipient !== undefined && namesReceipt(entry)) rest.outside = [...(entry.outside ?? []), recipient];
  return rest.outside === undefined ? undefined : rest;
}

/** The receipt row an entry stands for: its message, recipient (or outside ones), time and event. */
function rowOf(entry: InboundEntry): string {
  const whom = entry.recipient ?? `(${(entry.outside ?? []).join(' ')})`;
  return [normaliseMessageId(entry.messageId), whom, entry.receivedAt, entry.eventId ?? ''].join('\u0000');
}

/**
 * Whether an entry repeats one of `judged`: the same receipt row, recorded by another upload too — a
 * copy of the file uploaded twice (`mail.log`, `mail (1).log`), overlapping exports. A refusal its
 * classifier judged with `judged` (its upload's receipts) was judged with that row already: the
 * repeat is no evidence from another upload.
 */
export function repeatsOf(judged: Iterable<InboundEntry>): (entry: InboundEntry) => boolean {
  const rows = new Set<string>();
  for (const entry of judged) rows.add(rowOf(entry));
  return (entry) => rows.size > 0 && rows.has(rowOf(entry));
}

/** True for an entry whose recipient a receipt named (`RECEIVE`): its sender, or a step before, addressed it. */
function namesReceipt(entry: InboundEntry): boolean {
  return entry.eventId === 'RECEIVE';
}

/**
 * The index entry a trace event contributes, if any: the recipient its inbound evidence names
 * (`inboundRecipientOf`, what the classifier's `inboundTraceOf` names), when the accepted domains
 * say it is internal (`covers() === true`): the nightly job has no domain list to double-check
 * with, so an entry must already be evidence on its own.
 */
export function inboundEntryOf(
  event: TraceEvent,
  origin: { sourceId: string; file?: string },
  domains: DomainOracle,
): InboundEntry | undefined {
  if (event.messageId === undefined) return undefined;
  const recipient = inboundRecipientOf(event);
  if (recipient === undefined || domains.covers(domainOf(recipient)) !== true) return undefined;
  // Hot path (one call per receipt row): plain checks here; the index validates with the schema
  // when it writes. An over-long address is not worth failing a file for: it is not indexed.
  if (recipient.length > MAX_ADDRESS_LENGTH) return undefined;
  const entry = entryOf(event, origin, domains);
  if (entry !== undefined) entry.recipient = detach(recipient);
  return entry;
}

/**
 * The fields of the entry of `event`'s message (no recipient yet), when the index keeps it: a
 * Message-ID it can key, and mail from outside. Only mail from outside can be forwarded into a
 * refusal the index is looked up for (a refusal whose sender is not the organisation's, and the
 * message keeps its sender): a receipt of the organisation's own mail is never asked for. Most
 * receipts are internal mail; each is a write.
 */
function entryOf(
  event: TraceEvent,
  origin: { sourceId: string; file?: string },
  domains: DomainOracle,
): InboundEntry | undefined {
  const { messageId } = event;
  if (messageId === undefined || messageId.length > MAX_MESSAGE_ID_LENGTH || messageId.trim() === '')
    return undefined;
  const sender = event.returnPath ?? event.sender;
  if (sender !== undefined && domains.covers(domainOf(sender)) === true) return undefined;
  const entry: InboundEntry = {
    messageId: detach(messageId),
    receivedAt: event.timestamp,
    sourceId: origin.sourceId,
    eventId: event.eventId,
  };
  if (origin.file !== undefined) entry.file = origin.file.slice(0, 1024);
  const client = event.clientIp?.trim();
  if (namesReceipt(entry) && client && client.length <= MAX_CLIENT_LENGTH) entry.client = detach(client);
  return entry;
}

/** Outside lists remembered for entries to come with the same item key (see {@link InboundEntries}). */
const LISTS_REMEMBERED = 10_000;

/**
 * The inbound index entries of a run's events, in order, each with the outside recipients its
 * receipt named. A tracking log's receipt row names all its recipients (`lee@contoso.com;ap@litware.com`)
 * and becomes one event for each, one after another, so the entries of a row are completed when the
 * next row begins: an outside recipient may come before the internal one.
 *
 * A later entry of the same message, upload and recipient (the DELIVER after the RECEIVE) is the same
 * item in the index and replaces it: it takes the list along, or the index would lose it.
 *
 * A receipt row of mail from outside that names only outside recipients (one envelope per recipient,
 * another relay receiving the internal one) gets an entry of its own, without a recipient: its list
 * is the evidence, or a refusal of one of them analysed in another run would read as forwarding
 * from the internal envelope's entry. It is one item per message, upload and day, lists merged alike.
 *
 * With inferred domains, an arrival for a recipient whose domain the inference has not decided yet
 * waits until an event decides it (`UndecidedArrivals`): the first receipts of an upload are read
 * before it knows the organisation's domains.
 */
export class InboundEntries {
  private entries: InboundEntry[] = [];
  /** The row being read: its source, line and message (a JSON line may hold many), and where its entries start. */
  private rowSource: string | undefined;
  private rowLine = -1;
  private rowMessage: string | undefined;
  private rowStart = 0;
  /** The outside recipients the row's receipt named so far (none: undefined, the usual case). */
  private outside: string[] | undefined;
  /** The entry the row is when it names no internal recipient (set with `outside`, when kept). */
  private addressed: InboundEntry | undefined;
  /** Lists given to entries, by message, upload and recipient. */
  private readonly lists = new BoundedMap<string, string[]>(LISTS_REMEMBERED);
  /** Arrivals waiting for their recipient's domain to be inferred. */
  private readonly undecided: UndecidedArrivals<ArrivalEntry>;
  /** The organisation's servers the run's tracking logs named so far (see `take`). */
  private readonly servers = new OwnServers();

  public constructor(private readonly domains: DomainOracle) {
    this.undecided = new UndecidedArrivals(domains);
  }

  /**
   * Entries not yet taken, the row's entry without a recipient counted before its end adds it (a
   * file whose only receipt names only outside recipients still has one to take).
   */
  public get length(): number {
    const pending = this.addressed !== undefined && this.entries.length === this.rowStart ? 1 : 0;
    return this.entries.length + pending;
  }

  /** Adds what `event` contributes: its entry, or the outside recipient its receipt names. */
  public add(event: TraceEvent, origin: { sourceId: string; file?: string; format?: FormatId }): void {
    this.servers.note(event, origin.format);
    if (
      event.line !== this.rowLine ||
      origin.sourceId !== this.rowSource ||
      event.messageId !== this.rowMessage
    ) {
      this.endRow();
      this.rowLine = event.line;
      this.rowSource = origin.sourceId;
      this.rowMessage = event.messageId;
    }
    const decided = this.undecided.decidedBy(event);
    if (decided !== undefined) this.addDecided(decided);
    const entry = inboundEntryOf(event, origin, this.domains);
    if (entry !== undefined) {
      // An expansion's row is an event per member, each naming the group: one entry is the index's item.
      const last = this.entries.length > this.rowStart ? this.entries.at(-1) : undefined;
      if (last?.recipient === entry.recipient) return;
      if (this.lists.size > 0) {
        const list = this.lists.get(listKey(entry));
        if (list !== undefined) takeList(entry, list);
      }
      this.entries.push(entry);
    } else this.notInternal(event, origin);
  }

  /**
   * The entries so far, completed (a batch of events holds whole rows), each receipt from one of the
   * organisation's servers named so marked: judged as late as the entries wait, as a server's address
   * may come after its receipts (its own log read later, a newest-first export).
   */
  public take(): InboundEntry[] {
    this.endRow();
    this.rowMessage = undefined; // may be cut from a text chunk: not kept alive
    this.rowLine = -1;
    const taken = this.entries;
    this.entries = [];
    this.rowStart = 0;
    if (this.servers.size > 0)
      for (const entry of taken) if (this.servers.has(entry.client)) entry.ownServer = true;
    return taken;
  }

  /**
   * An event whose recipient the domains do not say is internal: a receipt names it as addressed by
   * the sender, and an arrival for a domain not decided yet waits for it to be.
   */
  private notInternal(event: TraceEvent, origin: { sourceId: string; file?: string }): void {
    const recipient = inboundRecipientOf(event);
    if (recipient === undefined) return;
    const domain = domainOf(recipient);
    const internal = this.domains.covers(domain);
    // Internal, yet not kept (the organisation's own mail, a Message-ID too long to key).
    if (internal === true) return;
    if (
      internal === undefined &&
      domain !== undefined &&
      recipient.length <= MAX_ADDRESS_LENGTH &&
      this.undecided.wants(domain)
    ) {
      const waiting = entryOf(event, origin, this.domains);
      if (waiting !== undefined)
        this.undecided.remember(domain, { ...waiting, recipient: detach(recipient) });
    }
    // Only an arrival names whom the sender addressed: a delivery outside may be a forward's.
    if (event.eventId === 'RECEIVE') this.named(recipient, event, origin);
  }

  /**
   * Arrivals whose domain an event just decided, each with the list its item has, placed before the
   * row being read: its outside recipients are not theirs, and its entry (the DELIVER that decided a
   * RECEIVE's domain) and later ones replace theirs when they are the same item.
   */
  private addDecided(decided: ArrivalEntry[]): void {
    if (this.lists.size > 0) {
      for (const entry of decided) {
        const list = this.lists.get(listKey(entry));
        if (list !== undefined) takeList(entry, list);
      }
    }
    this.entries.splice(this.rowStart, 0, ...decided);
    this.rowStart += decided.length;
  }

  private named(recipient: string, event: TraceEvent, origin: { sourceId: string; file?: string }): void {
    if (this.outside === undefined) {
      this.outside = [];
      // Once a row: the entry the row is if it names no internal recipient (none for own mail).
      this.addressed = entryOf(event, origin, this.domains);
    }
    addOutside(this.outside, detach(recipient));
  }

  /**
   * Gives the row's outside recipients to its entries (internal recipients of the same receipt),
   * with those an earlier receipt gave the same item, or, when it named no internal recipient, to
   * the entry without one. A list given away is never changed again.
   */
  private endRow(): void {
    const list = this.outside;
    if (list !== undefined) {
      if (this.entries.length === this.rowStart && this.addressed !== undefined) {
        const entry = this.addressed;
        const earlier = this.lists.size > 0 ? this.lists.get(listKey(entry)) : undefined;
        if (earlier !== undefined) takeList(entry, earlier);
        this.entries.push(entry);
      }
      this.addressed = undefined;
      for (let i = this.rowStart; i < this.entries.length; i++) {
        const entry = this.entries[i] as InboundEntry;
        let merged = list;
        if (entry.outside !== undefined) {
          merged = [...entry.outside];
          for (const recipient of list) addOutside(merged, recipient);
        }
        entry.outside = merged;
        this.lists.set(listKey(entry), merged);
      }
      this.outside = undefined;
    }
    this.rowStart = this.entries.length;
  }
}

/**
 * Gives `entry` the outside recipients earlier receipts gave its item. They may have come from
 * another host: the entry no longer says which its recipients came from.
 */
function takeList(entry: InboundEntry, list: string[]): void {
  entry.outside = list;
  delete entry.client;
  delete entry.ownServer;
}

/** Adds an outside recipient to a list of them, bounded: past the bound, or too long to store, the marker. */
function addOutside(list: string[], recipient: string): void {
  if (list.includes(recipient) || list.at(-1) === MORE_OUTSIDE) return;
  // Any outside address may then be one not kept.
  if (recipient !== MORE_OUTSIDE && list.length < OUTSIDE_KEPT && recipient.length <= MAX_ADDRESS_LENGTH)
    list.push(recipient);
  else list.push(MORE_OUTSIDE);
}

/** The part of an entry's item key (table-design.ts `inboundKey`) that a later entry may share. */
function listKey(entry: InboundEntry): string {
  return `${entry.messageId}\u0000${entry.sourceId}\u0000${entry.recipient ?? ''}`;
}

/**
 * What index entries say as inbound traces, for the rule the classifier applies (`addressedBySender`):
 * every recipient they name as received for (an entry's own when its receipt is a `RECEIVE`, and its
 * `outside`), and their redirects, resolutions and group expansions. The index keeps no target (nor a
 * group's members), so one stands for routing to any address. An entry's own recipient counts as the
 * classifier counts a receipt, whatever its domain: the upload's inferred domains may have taken an
 * outside recipient for internal half-way through the file (an anonymous relay's receipts for
 * litware.com addresses are what makes inference take litware.com for the organisation's), and its
 * receipt still says the sender addressed it. An entry without a recipient says only its `outside`.
 */
export function tracesOfEntries(entries: readonly InboundEntry[]): InboundTrace[] {
  const traces: InboundTrace[] = [];
  for (const entry of entries) {
    const { recipient, eventId, outside } = entry;
    const routing = routingKindOf(eventId);
    if (routing !== undefined && recipient !== undefined)
      traces.push({ kind: routing, recipient, eventId: eventId as string, line: 0 });
    else if (recipient !== undefined && namesReceipt(entry))
      traces.push(receivedFrom(entry, { kind: 'received-for', recipient, eventId: 'RECEIVE', line: 0 }));
    for (const named of outside ?? []) {
      const trace: InboundTrace = { kind: 'received-for', eventId: 'RECEIVE', line: 0 };
      // A receipt without a recipient stands for outside recipients not kept.
      if (named !== MORE_OUTSIDE) trace.recipient = named;
      traces.push(receivedFrom(entry, trace));
    }
  }
  return traces;
}

/**
 * `trace` with the host and time of the entry's receipt row, when the entry keeps its host, and
 * whether the upload named that host one of the organisation's servers.
 */
function receivedFrom(entry: InboundEntry, trace: InboundTrace): InboundTrace {
  if (entry.client === undefined || !namesReceipt(entry)) return trace;
  trace.client = entry.client;
  trace.at = entry.receivedAt;
  if (entry.ownServer === true) trace.fromOwnServer = true;
  return trace;
}
