/**
 * The streaming classifier: canonical events in, findings out, in one pass over every file of a run.
 *
 * A relay-attribution rejection is not decided when its row is read: evidence that decides it
 * (the REDIRECT that proves forwarding, the trace row that names the sender) may come later — a
 * newest-first export — or may have come earlier, in the previous rolled-over log file. So each
 * rejection waits in a pending window of `windowEvents` events, then is classified with whatever
 * the correlation indexes hold. All state is bounded: the window, the per-message indexes (oldest
 * evicted first) and the set of ids already emitted. Memory does not grow with the input.
 *
 * This module composes the parts in `classifier/`, one job each: the evidence index, the pending
 * window, de-duplication (repeats), finding building and the remediation cache.
 */

import { StringPool } from '../kernel/strings.js';
import { type DomainOracle, InferredDomains } from '../organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../organisation/connector-info.js';
import { EvidenceIndex } from './classifier/evidence-index.js';
import { FindingBuilder, ruleInputOf } from './classifier/finding-builder.js';
import { type DroppedDomain, InferredReliance } from './classifier/inferred-reliance.js';
import { type LateCount, LateEvidence } from './classifier/late-evidence.js';
import { type EventOrigin, type Pending, PendingWindow, pendingOf } from './classifier/pending-window.js';
import { RemediationCache } from './classifier/remediation-cache.js';
import { Repeats, refusalKey } from './classifier/repeats.js';
import { UnnamedRecipients } from './classifier/unnamed-recipients.js';
import { mayBecomeForwarding } from './evidence/correlation.js';
import { addressedBySender } from './evidence/inbound-trace.js';
import { sessionStartUnseen } from './evidence/open-session.js';
import { senderUnseen } from './evidence/queued-sender.js';
import { relayRejectionIn } from './evidence/rejections.js';
import {
  domainOf,
  type FormatId,
  MESSAGE_TRACE_FORMATS,
  type ServerHop,
  type TraceEvent,
} from './model/events.js';
import type { Finding, Rejection } from './model/findings.js';
import { PRECEDENCE } from './scenarios/index.js';

export type { EventOrigin } from './classifier/pending-window.js';

export interface ClassifierOptions {
  domains: DomainOracle;
  /** How many events a rejection waits for correlating evidence. */
  windowEvents?: number | undefined;
  /** How many messages the correlation indexes remember. */
  maxTrackedMessages?: number | undefined;
  /**
   * The organisation's OnPremises inbound connectors, enabled or not, when known: each finding's
   * remediation names the one that matters to it.
   */
  inboundConnectors?: readonly InboundConnectorInfo[] | undefined;
  /**
   * Mark the `foreign-sender-domain` findings whose message's inbound traces were forgotten for the
   * bound (`EmittedFinding.forgotten`): for a run of several files, where another file's evidence can
   * be that far back. Costs a few MB on a long run, so a run of one file does not pay it.
   */
  noteForgotten?: boolean | undefined;
  /**
   * Told of each rejection that repeats one already pending or emitted: where the repeat came from,
   * where the first occurrence (the one that becomes the finding) came from, and whether the repeat's
   * evidence joined that finding (false when the finding had already been released).
   */
  onDuplicate?: (duplicate: EventOrigin, first: EventOrigin, joined: boolean) => void;
  /**
   * True for a refusal an earlier invocation already released (a resumed read goes over it again
   * for its evidence): it joins the de-duplication as released, and gives no finding. Asked once for
   * each refusal that is no repeat, as it arrives (the arrival number is `stats.events`); the others
   * wait in the window.
   */
  released?: (event: TraceEvent) => boolean;
}

export interface ClassifierStats {
  events: number;
  /** Relay-attribution rejection rows seen, duplicates included. */
  rejections: number;
  /** Rejection rows that repeated one already pending or emitted (same message, recipient, code). */
  duplicates: number;
  /** Rejections no rule matched (should stay 0; reported rather than guessed). */
  unclassified: number;
  /** Of those, rejections a scenario rule threw on (a defect: counted and reported, never a crash). */
  ruleFailures: number;
}

/**
 * What a refusal's own file says is in another file, when no file of the run had it: the sender of
 * an MTA's queued message, or the start of an SMTP session. `sourceId` is the file that lacks it.
 */
export interface Unseen {
  what: 'sender' | 'trace-sender' | 'session-start';
  sourceId: string;
}

export interface EmittedFinding {
  finding: Finding;
  origin: EventOrigin;
  /** Set when the finding was classified without such a part (its file's notes say so). */
  unseen?: Unseen;
  /**
   * Set on a `foreign-sender-domain` finding whose message's inbound traces the run read and then
   * forgot for its bound (`maxTrackedMessages`): with them it might have been forwarding.
   */
  forgotten?: true;
}

const DEFAULT_WINDOW = 20_000;
const DEFAULT_TRACKED = 20_000;

export class StreamingClassifier {
  public readonly stats: ClassifierStats = {
    events: 0,
    rejections: 0,
    duplicates: 0,
    unclassified: 0,
    ruleFailures: 0,
  };
  private readonly domains: DomainOracle;
  private readonly inferred: InferredDomains | undefined;
  /** How many events a refusal waits. */
  private readonly windowEvents: number;
  private readonly onDuplicate: ClassifierOptions['onDuplicate'];
  private readonly releasedBefore: ClassifierOptions['released'];
  private readonly tracked: number;
  /** Values that repeat across rows (event ids, hosts, senders), one copy each. */
  private readonly strings = new StringPool();
  private readonly evidence: EvidenceIndex;
  private readonly window = new PendingWindow();
  private readonly repeats: Repeats;
  private readonly unnamed: UnnamedRecipients;
  private readonly findings: FindingBuilder;
  private output: EmittedFinding[] = [];
  private seq = 0;
  /** The time of the last event read: a refusal released with older rows still coming is remembered in `late`. */
  private latestRead: string | undefined;
  private readonly late: LateEvidence;
  private readonly reliance: InferredReliance;

  public constructor(options: ClassifierOptions) {
    this.domains = options.domains;
    this.inferred = options.domains instanceof InferredDomains ? options.domains : undefined;
    this.windowEvents = options.windowEvents ?? DEFAULT_WINDOW;
    this.onDuplicate = options.onDuplicate;
    this.releasedBefore = options.released;
    const tracked = options.maxTrackedMessages ?? DEFAULT_TRACKED;
    this.tracked = tracked;
    this.evidence = new EvidenceIndex(this.domains, this.inferred, tracked, this.strings, {
      rememberForgotten: options.noteForgotten === true,
    });
    this.repeats = new Repeats(tracked, this.strings);
    this.unnamed = new UnnamedRecipients(tracked);
    this.late = new LateEvidence(tracked, (messageId, recipient) =>
      addressedBySender(this.evidence.inboundOf(messageId), recipient),
    );
    this.reliance = new InferredReliance(this.domains);
    this.findings = new FindingBuilder(
      this.domains,
      new RemediationCache(this.domains, options.inboundConnectors),
      this.reliance,
    );
  }

  /** True when domains are inferred from the logs (the row filter, `rowMayMatter`, then keeps more rows). */
  public get inferring(): boolean {
    return this.inferred !== undefined;
  }

  /**
   * Feeds one event; findings whose window has passed become available through {@link drain}.
   * `rejection` is the event's relay refusal when the caller has already parsed it (`parseInput` does).
   */
  public push(
    event: TraceEvent,
    origin: EventOrigin,
    rejection: Rejection | null = relayRejectionIn(event.recipientStatus) ?? null,
  ): void {
    const seq = ++this.seq;
    this.stats.events++;
    this.latestRead = event.timestamp;
    // A row is read as one event per recipient: the row before this one is whole now.
    this.late.settleBefore(origin.sourceId, event.line);
    if (this.evidence.observe(event, origin.file, origin.format, rejection !== null) && event.messageId)
      this.late.observe(event.messageId, seq, origin.sourceId, event.line);
    // Filled now from files read before, so that the refusal is known by its message at once.
    if (rejection)
      for (const filled of this.evidence.handedOn(event)) this.enqueue(seq, filled, rejection, origin);
    const oldest = this.window.oldestSeq();
    if (oldest !== undefined && oldest <= seq - this.windowEvents) this.release(seq - this.windowEvents);
  }

  /**
   * Learns the organisation's servers from the hosts of an SMTP SEND row of a file in `format` that
   * the row filter dropped (`RowContext.noteServerHop`): no event is built, none counted, nothing
   * waits; a forwarded copy's hop back from one of them is then known, as when the row is an event.
   */
  public noteServerHop(format: FormatId, hop: Readonly<ServerHop>): void {
    this.evidence.noteServerHop(format, hop);
  }

  /**
   * Classifies what is still pending (end of run): the oldest `max` rejections, or all of them.
   * Returns how many were released, so a caller can hand findings on a batch at a time.
   */
  public flush(max = Number.POSITIVE_INFINITY): number {
    const count = Math.min(max, this.window.size);
    if (count <= 0) return 0;
    this.release(this.window.seqOf(count) as number);
    return count;
  }

  /**
   * Per file (source id): `foreign-sender-domain` refusals classified before evidence of their
   * message read later in the run, past the window (see classifier/late-evidence.ts). Asked once
   * the run has read everything: the last row's evidence is decided first.
   */
  public lateEvidence(): ReadonlyMap<string, LateCount> {
    this.late.settleBefore(undefined, 0);
    return this.late.bySource();
  }

  /**
   * Of file `sourceId`, the inferred domains its findings relied on that the run dropped later (see
   * classifier/inferred-reliance.ts). Asked once the run has read everything.
   */
  public droppedDomains(sourceId: string): DroppedDomain[] {
    return this.reliance.dropped(sourceId);
  }

  /** How many events a refusal waits for correlating evidence. */
  public get windowSize(): number {
    return this.windowEvents;
  }

  /** How many messages (and released refusals) the correlation and de-duplication indexes remember. */
  public get trackedMessages(): number {
    return this.tracked;
  }

  /**
   * What is still pending, for a resumed read (the stop of a single-file run): the arrival number of
   * the oldest refusal (every one before it was released: they go in arrival order) and the lowest
   * line of them (rows of one millisecond put back in order arrive out of the order of their lines);
   * `undefined` when nothing is pending.
   */
  public pending(): { seq: number; line: number } | undefined {
    const seq = this.window.oldestSeq();
    if (seq === undefined) return undefined;
    let line = Number.POSITIVE_INFINITY;
    this.window.each((item) => {
      if (item.event.line < line) line = item.event.line;
    });
    return { seq, line };
  }

  /** Takes the findings emitted so far. */
  public drain(): EmittedFinding[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  /** A refusal joins the window, unless it repeats one pending or released (then it is counted). */
  private enqueue(seq: number, event: TraceEvent, rejection: Rejection, origin: EventOrigin): void {
    this.stats.rejections++;
    // Exchange Online relays only to recipients outside the tenant: theirs is none of its domains.
    if (rejection.enhancedCode === '5.7.64') this.inferred?.observeRelayRefusedTo(domainOf(event.recipient));
    const key = refusalKey(event, rejection, origin);
    if (this.repeated(key, event, origin)) return;
    if (this.releasedBefore?.(event)) {
      this.repeats.releasedBefore(key, origin);
      this.unnamed.observe(event, rejection.enhancedCode, undefined, this.window);
      return;
    }
    const item = pendingOf(seq, key, event, rejection, origin, this.strings);
    this.window.add(item);
    this.unnamed.observe(item.event, rejection.enhancedCode, item, this.window);
  }

  /** True (and counted) when refusal `key` repeats one pending or released. */
  private repeated(key: string, event: TraceEvent, origin: EventOrigin): boolean {
    const waiting = this.window.get(key);
    const first = waiting?.origin ?? this.repeats.releasedFrom(key);
    if (first === undefined) return false;
    this.stats.duplicates++;
    // Still pending: the repeat's evidence joins the one finding (once released, it cannot).
    if (waiting !== undefined) this.repeats.corroborate(waiting, event, origin);
    this.onDuplicate?.(origin, first, waiting !== undefined);
    return true;
  }

  /** Classifies every refusal that arrived at or before `upTo`. */
  private release(upTo: number): void {
    this.window.release(upTo, (item) => {
      if (item.folded) return; // counted, and its evidence joined, when it folded (see `fold`)
      // A file read after the refusal named its message (its from= line, the start of its session):
      // under that name it may repeat a refusal another file showed, and it may refuse several
      // recipients there (a MAIL FROM, or the message): one finding each, as if read in that order.
      // None: another event of the same answer gives its recipients (evidence/open-session.ts), and
      // this one's key is not taken as released, so that those are not taken for its repeats.
      const events = this.evidence.handedOn(item.event, true);
      if (events.length > 0) this.repeats.release(item);
      if (events.length !== 1) {
        this.stats.rejections += events.length - 1;
        this.unnamed.leave(item);
      }
      for (const event of events) this.releaseAs(item, event);
    });
  }

  /** Classifies the released refusal `item` as `event` (what the run handed on filled in). */
  private releaseAs(item: Pending, handedOn: TraceEvent): void {
    let event = handedOn;
    if (event.recipient === undefined) event = this.recipientOf(item, event);
    const key = refusalKey(event, item.rejection, item.origin);
    if (key !== item.key) {
      if (this.repeated(key, event, item.origin)) return;
      this.repeats.release({ ...item, key });
      this.unnamed.noteNamed(event, item.rejection.enhancedCode);
    }
    if (item.event.recipient !== undefined && this.fold(item, event))
      event = this.evidence.handedOn(item.event, true)[0] ?? event;
    event = this.evidence.enrich(event);
    const finding = this.classify(item, event);
    if (!finding) {
      this.stats.unclassified++;
      return;
    }
    const emitted: EmittedFinding = { finding, origin: item.origin };
    const unseen = this.unseen(item, event);
    if (unseen !== undefined) emitted.unseen = unseen;
    // A receipt that named the refused recipient says its sender addressed it: no forwarding, whatever
    // else the message's rows show, so neither forgotten nor late evidence of it is worth a word.
    if (
      mayBecomeForwarding(finding) &&
      !addressedBySender(this.evidence.inboundOf(event.messageId), finding.recipient)
    ) {
      if (this.evidence.forgotTraces(event.messageId)) emitted.forgotten = true;
      // Rows older than the refusal are still being read (newest first): its arrival may come yet.
      if (event.messageId !== undefined && this.latestRead !== undefined && this.latestRead < event.timestamp)
        this.late.release(event.messageId, item.seq, item.origin.sourceId, finding.recipient);
    }
    this.output.push(emitted);
  }

  /**
   * A refusal that names no recipient, with the one the run gives it (then it is keyed, and may
   * repeat a refusal, as that recipient's), or as it is.
   */
  private recipientOf(item: Pending, event: TraceEvent): TraceEvent {
    this.unnamed.leave(item);
    const code = item.rejection.enhancedCode;
    const recipient = this.unnamed.resolve(event, code, this.evidence.tracedRecipient(event));
    if (recipient === undefined) return event;
    // Enriched first: the trace row's subject is filled only while the recipient is missing.
    return { ...this.evidence.enrich(event), recipient };
  }

  /**
   * The named refusal `item` leaving the window takes in the refusals without a recipient still
   * waiting that the run gives its recipient (they would fold into it when released, when it is gone):
   * so their evidence joins it whichever file came first. True when one did.
   */
  private fold(item: Pending, event: TraceEvent): boolean {
    const code = item.rejection.enhancedCode;
    const { recipient } = event;
    const waiting = recipient === undefined ? undefined : this.unnamed.waitingFor(event, code);
    if (waiting === undefined) return false;
    let folded = false;
    // Each is of this message and code, as it was when it came (only a stand-in's Message-ID is filled
    // in later, and it was for this refusal alike); at most one, as two could not be told apart.
    for (const other of [...waiting]) {
      const handedOn = this.evidence.handedOn(other.event, true);
      // A refusal of several recipients (handed on) is not one recipient's.
      const [only] = handedOn;
      if (only === undefined || handedOn.length > 1) continue;
      if (this.unnamed.resolve(only, code, this.evidence.tracedRecipient(only)) !== recipient) continue;
      this.unnamed.leave(other);
      this.window.forget(other);
      other.folded = true;
      // A later repeat of it (the same page again) is a repeat of this refusal.
      this.repeats.releasedBefore(other.key, item.origin);
      this.stats.duplicates++;
      this.repeats.corroborate(item, { ...only, recipient }, other.origin);
      this.onDuplicate?.(other.origin, item.origin, true);
      folded = true;
    }
    return folded;
  }

  /** What the refusal's file said was in another file, when no file of the run had it. */
  private unseen(item: Pending, event: TraceEvent): Unseen | undefined {
    if (senderUnseen(event, item.origin.format)) return { what: 'sender', sourceId: item.origin.sourceId };
    // A trace detail names no sender (Graph's getDetailsByRecipient, an export without SenderAddress):
    // the trace page does, and no file of the run had the message's row.
    if (
      MESSAGE_TRACE_FORMATS.has(item.origin.format) &&
      event.sender === undefined &&
      event.returnPath === undefined
    )
      return { what: 'trace-sender', sourceId: item.origin.sourceId };
    // The session may be a repeat's from another file (a tracking-log finding with its protocol log).
    if (sessionStartUnseen(event))
      return { what: 'session-start', sourceId: item.sessionPlace?.sourceId ?? item.origin.sourceId };
    return undefined;
  }

  /** The first rule in precedence order that matches decides the scenario; none, or a rule that throws, leaves it unclassified. */
  private classify(item: Pending, event: TraceEvent): Finding | undefined {
    const inbound = this.evidence.inboundOf(event.messageId);
    const input = ruleInputOf(event, item.rejection, this.domains, inbound, item.origin.file);
    for (const rule of PRECEDENCE) {
      let result: ReturnType<typeof rule.evaluate>;
      try {
        result = rule.evaluate(input);
      } catch {
        // A rule that throws must not end the run nor let a later rule guess: the refusal stays
        // unclassified, and the report says a rule failed (the cdk-nag way).
        this.stats.ruleFailures++;
        return undefined;
      }
      if (result.outcome !== 'match') continue;
      return this.findings.build(rule.id, input, result.evidence, result.confidence, item);
    }
    return undefined;
  }
}
