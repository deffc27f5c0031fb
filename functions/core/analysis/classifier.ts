/**
 * The streaming classifier: canonical events in, findings out, in one pass over every file of a run.
 *
 * A relay-attribution rejection is not decided when its row is read: evidence that decides it
 * (the REDIRECT that proves forwarding, the trace row that names the sender) may come later — a
 * newest-first export — or may have come earlier, in the previous rolled-over log file. So each
 * rejection waits in a pending window of `windowEvents` events, then is classified with whatever
 * the correlation indexes hold. All state is bounded: the window, the per-message indexes (oldest
 * evicted first) and the set of ids already emitted. Memory does not grow with the input.
 */

import { BoundedMap } from '../kernel/bounded-map.js';
import { detach, StringPool } from '../kernel/strings.js';
import { type DomainOracle, InferredDomains } from '../organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../organisation/connector-info.js';
import { inboundTraceOf, isReceipt } from './evidence/inbound-trace.js';
import { certificateFacts, type SessionPlace, sessionEvidence } from './evidence/presented-certificate.js';
import { relayRejectionIn } from './evidence/rejections.js';
import { formatLabel } from './formats/labels.js';
import { validDomain } from './model/domain-name.js';
import { domainOf, type FormatId, type TraceEvent } from './model/events.js';
import { findingId } from './model/finding-id.js';
import type { Finding, Rejection, ScenarioId } from './model/findings.js';
import { type RefusalFacts, remediationContextOf, remediationKey } from './remediation/context-of.js';
import { remediationFor } from './remediation/index.js';
import { type RelaySoftware, relaySoftwareOf } from './remediation/relay-software.js';
import { type InboundTrace, PRECEDENCE, type RuleInput } from './scenarios/index.js';

/** Where an event came from; attached to the finding. */
export interface EventOrigin {
  file: string;
  format: FormatId;
  sourceId: string;
}

export interface ClassifierOptions {
  domains: DomainOracle;
  /** How many events a rejection waits for correlating evidence. */
  windowEvents?: number;
  /** How many messages the correlation indexes remember. */
  maxTrackedMessages?: number;
  /** The organisation's on-prem inbound connector, when known (names it in remediation). */
  inboundConnector?: InboundConnectorInfo;
  /**
   * Told of each rejection that repeats one already pending or emitted: where the repeat came from,
   * where the first occurrence (the one that becomes the finding) came from, and whether the repeat's
   * evidence joined that finding (false when the finding had already been released).
   */
  onDuplicate?: (duplicate: EventOrigin, first: EventOrigin, joined: boolean) => void;
  /**
   * True for a refusal an earlier invocation already released (a resumed read goes over it again
   * for its evidence): it joins the de-duplication as emitted, and gives no finding.
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

export interface EmittedFinding {
  finding: Finding;
  origin: EventOrigin;
}

interface Pending {
  seq: number;
  key: string;
  event: TraceEvent;
  rejection: Rejection;
  origin: EventOrigin;
  /** Where the event's protocol-log session was read, when it has one. */
  sessionPlace?: SessionPlace;
  /** The same refusal read from other files (a tracking log and a protocol log of one message). */
  also?: { file: string; format: FormatId; line: number }[];
}

/** How many other files a finding names as showing the same refusal. */
const MAX_ALSO = 4;
/** Fields a repeat from another file may fill in: a protocol log knows P1 and the session, a tracking row the rest. */
const CORROBORATED_FIELDS = [
  'returnPath',
  'sender',
  'subject',
  'clientHostname',
  'clientIp',
  'serverHostname',
  'connectorId',
] as const satisfies readonly (keyof TraceEvent)[];

interface MessageContext {
  sender?: string;
  recipient?: string;
  subject?: string;
}

const DEFAULT_WINDOW = 20_000;
const DEFAULT_TRACKED = 20_000;
const TRACES_PER_MESSAGE = 4;
const REMEDIATION_CACHE = 5_000;

/** Event fields whose values repeat across rows: pending rejections share one copy of each. */
const REPEATING_EVENT_FIELDS: ReadonlySet<string> = new Set<keyof TraceEvent>([
  'eventId',
  'source',
  'sender',
  'returnPath',
  'relatedRecipient',
  'clientIp',
  'clientHostname',
  'serverIp',
  'serverHostname',
  'connectorId',
]);
/** The status text is already parsed into the pending item's `rejection`. */
const DROPPED_EVENT_FIELDS: ReadonlySet<string> = new Set<keyof TraceEvent>(['recipientStatus']);
const REPEATING_REJECTION_FIELDS: ReadonlySet<string> = new Set<keyof Rejection>([
  'smtpCode',
  'enhancedCode',
  'attr',
  'remoteHost',
  'text',
]);

/** The tenant's own MX endpoint (`contoso-com.mail.protection.outlook.com`). */

/** Exchange Online's own hosts: never the on-premises server. */
const MICROSOFT_HOST = /(?:\.outlook\.com|\.exchangelabs\.com|\.microsoft\.com)$/i;

/**
 * The on-premises server that tried to relay. On SEND/FAIL rows one of client-hostname and
 * server-hostname is the Exchange Online front end, so take the first that is not a Microsoft host.
 */
export function onPremisesHost(event: TraceEvent): string | undefined {
  for (const host of [event.clientHostname, event.serverHostname]) {
    if (host !== undefined && !MICROSOFT_HOST.test(host)) return host;
  }
  return undefined;
}

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
  private readonly window: number;
  private readonly tracked: number;
  private readonly inboundConnector: InboundConnectorInfo | undefined;
  private readonly pending = new Map<string, Pending>();
  /**
   * The same pending rejections in arrival (seq) order, consumed from `pendingHead`: `push` checks
   * the oldest in O(1) instead of starting a Map iteration per event (measured: a tenth of the run).
   */
  private pendingOrder: Pending[] = [];
  private pendingHead = 0;
  /** Keys of released rejections, with the origin of the occurrence that was classified. */
  private readonly emittedKeys: BoundedMap<string, EventOrigin>;
  private readonly onDuplicate: ClassifierOptions['onDuplicate'];
  private readonly released: ClassifierOptions['released'];
  /** The line of the last refusal released, and how many of that line were released. */
  private lastReleased = { line: 0, count: 0 };
  private readonly traces: BoundedMap<string, InboundTrace[]>;
  private readonly contexts: BoundedMap<string, MessageContext>;
  private readonly remediations = new BoundedMap<string, Finding['remediation']>(REMEDIATION_CACHE);
  private readonly strings = new StringPool();
  private output: EmittedFinding[] = [];
  private seq = 0;

  public constructor(options: ClassifierOptions) {
    this.domains = options.domains;
    this.inferred = options.domains instanceof InferredDomains ? options.domains : undefined;
    this.window = options.windowEvents ?? DEFAULT_WINDOW;
    this.inboundConnector = options.inboundConnector;
    this.onDuplicate = options.onDuplicate;
    this.released = options.released;
    const tracked = options.maxTrackedMessages ?? DEFAULT_TRACKED;
    this.tracked = tracked;
    this.emittedKeys = new BoundedMap(tracked);
    this.traces = new BoundedMap(tracked);
    this.contexts = new BoundedMap(tracked);
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
    this.observe(event);
    if (rejection) this.enqueue(seq, event, rejection, origin);
    const oldest = this.pendingOrder[this.pendingHead];
    if (oldest !== undefined && oldest.seq <= seq - this.window) this.release(seq - this.window);
  }

  /**
   * Classifies what is still pending (end of run): the oldest `max` rejections, or all of them.
   * Returns how many were released, so a caller can hand findings on a batch at a time.
   */
  public flush(max = Number.POSITIVE_INFINITY): number {
    const pending = this.pendingOrder.length - this.pendingHead;
    const count = Math.min(max, pending);
    if (count <= 0) return 0;
    const last = this.pendingOrder[this.pendingHead + count - 1] as Pending;
    this.release(last.seq);
    return count;
  }

  /** The events a rejection waits for correlating evidence. */
  public get windowEvents(): number {
    return this.window;
  }

  /** How many messages (and released refusals) the correlation and de-duplication indexes remember. */
  public get trackedMessages(): number {
    return this.tracked;
  }

  /**
   * Where a resumed read must start releasing again (the stop of a single-file run): the line of
   * the oldest refusal still pending and its arrival number, and how many refusals of that line
   * were already released; `undefined` when nothing is pending.
   */
  public pendingFrom(): { line: number; seq: number; releasedOnLine: number } | undefined {
    const oldest = this.pendingOrder[this.pendingHead];
    if (oldest === undefined) return undefined;
    const { line } = oldest.event;
    return {
      line,
      seq: oldest.seq,
      releasedOnLine: this.lastReleased.line === line ? this.lastReleased.count : 0,
    };
  }

  /** Takes the findings emitted so far. */
  public drain(): EmittedFinding[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  /** Indexes what later (or earlier) rejections may need: inbound traces, message context, domains. */
  private observe(event: TraceEvent): void {
    const { eventId, recipient } = event;
    if (this.inferred) {
      if (eventId === 'DELIVER') this.inferred.observeDelivered(domainOf(recipient));
      else if ((eventId === 'SUBMIT' || eventId === 'RECEIVE') && event.source === 'STOREDRIVER')
        this.inferred.observeSubmitted(domainOf(event.sender));
      else if (eventId === 'RECEIVE' && event.source === 'SMTP' && event.directionality === 'incoming')
        this.inferred.observeReceivedFromOutside(domainOf(recipient));
    }
    const messageId = event.messageId;
    if (messageId !== undefined) {
      let trace = inboundTraceOf(event);
      // Receipts that cannot be internal are dropped now (with a given list) to save memory.
      if (trace && isReceipt(trace) && this.domains.covers(domainOf(recipient)) === false) trace = undefined;
      if (trace) {
        trace.eventId = this.strings.intern(trace.eventId);
        if (trace.recipient !== undefined) trace.recipient = detach(trace.recipient);
        if (trace.target !== undefined) trace.target = detach(trace.target);
        const list = this.traces.get(messageId);
        if (!list) this.traces.set(detach(messageId), [trace]);
        else if (list.length < TRACES_PER_MESSAGE) list.push(trace);
      }
    }
    // Message trace rows name sender and recipient; detail rows often do not.
    if (
      event.messageTraceId !== undefined &&
      event.recipientStatus === undefined &&
      event.sender !== undefined
    ) {
      const context: MessageContext = { sender: detach(event.sender) };
      if (recipient !== undefined) context.recipient = detach(recipient);
      if (event.subject !== undefined) context.subject = detach(event.subject);
      this.contexts.set(detach(event.messageTraceId), context);
      if (messageId !== undefined) this.contexts.set(detach(messageId), context);
    }
  }

  private enqueue(seq: number, event: TraceEvent, rejection: Rejection, origin: EventOrigin): void {
    this.stats.rejections++;
    const identity =
      event.messageId ?? event.networkMessageId ?? event.messageTraceId ?? `${origin.file}:${event.line}`;
    const key = detach(`${identity}\u0000${event.recipient ?? ''}\u0000${rejection.enhancedCode}`);
    const waiting = this.pending.get(key);
    const first = waiting?.origin ?? this.emittedKeys.get(key);
    if (first !== undefined) {
      this.stats.duplicates++;
      // Still pending: the repeat's evidence joins the one finding (once released, it cannot).
      if (waiting !== undefined) this.corroborate(waiting, event, origin);
      this.onDuplicate?.(origin, first, waiting !== undefined);
      return;
    }
    if (this.released?.(event)) {
      this.emittedKeys.set(key, origin);
      return;
    }
    // Pending rows outlive their text chunk: copy their strings so the chunk can be freed, sharing
    // the values that repeat (measured on 250 MB: a third fewer bytes promoted to the old generation).
    const item: Pending = {
      seq,
      key,
      event: this.strings.keep(event, REPEATING_EVENT_FIELDS, DROPPED_EVENT_FIELDS),
      rejection: this.strings.keep(rejection, REPEATING_REJECTION_FIELDS),
      origin,
    };
    if (event.session !== undefined) item.sessionPlace = { file: origin.file, line: event.line };
    this.pending.set(key, item);
    this.pendingOrder.push(item);
  }

  /** Adds what a repeat of a pending refusal from another file knows: its place, its session, missing fields. */
  private corroborate(item: Pending, event: TraceEvent, origin: EventOrigin): void {
    if (origin.sourceId === item.origin.sourceId) return; // a DEFER and its FAIL: the file's own finding
    const also = item.also ?? [];
    if (also.length < MAX_ALSO) also.push({ file: origin.file, format: origin.format, line: event.line });
    item.also = also;
    const merged: TraceEvent = { ...item.event };
    if (merged.session === undefined && event.session !== undefined) {
      merged.session = event.session;
      item.sessionPlace = { file: origin.file, line: event.line };
    }
    for (const field of CORROBORATED_FIELDS) {
      const value = event[field];
      if (merged[field] === undefined && value !== undefined) merged[field] = this.strings.intern(value);
    }
    item.event = merged;
  }

  private release(upTo: number): void {
    const order = this.pendingOrder;
    for (;;) {
      const item = order[this.pendingHead];
      if (item === undefined || item.seq > upTo) break;
      order[this.pendingHead++] = undefined as unknown as Pending;
      this.pending.delete(item.key);
      this.emittedKeys.set(item.key, item.origin);
      const { line } = item.event;
      this.lastReleased =
        line === this.lastReleased.line ? { line, count: this.lastReleased.count + 1 } : { line, count: 1 };
      const finding = this.classify(item);
      if (finding) this.output.push({ finding, origin: item.origin });
      else this.stats.unclassified++;
    }
    // Drop the consumed front now and then, so the array stays as small as the window.
    if (this.pendingHead > 4096 && this.pendingHead * 2 > order.length) {
      this.pendingOrder = order.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }

  private classify(item: Pending): Finding | undefined {
    const { event: row, rejection } = item;
    const event = this.enrich(row);
    let attributedSender: string | undefined;
    let senderBasis: RuleInput['senderBasis'];
    if (event.returnPath !== undefined) {
      attributedSender = event.returnPath;
      senderBasis = 'return-path';
    } else if (event.sender !== undefined) {
      attributedSender = event.sender;
      senderBasis = 'header-sender';
    } else {
      senderBasis = 'none';
    }
    const input: RuleInput = {
      event,
      rejection,
      attributedSender,
      senderBasis,
      // Validated where it enters: it is named in findings, reports, alerts and PowerShell.
      senderDomain: validDomain(domainOf(attributedSender)),
      recipientDomain: domainOf(event.recipient),
      domains: this.domains,
      inbound: (event.messageId !== undefined && this.traces.get(event.messageId)) || [],
    };
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
      return this.buildFinding(rule.id, input, result.evidence, result.confidence, item);
    }
    return undefined;
  }

  /** Fills sender/recipient/subject from a correlated message trace row when the row lacks them. */
  private enrich(event: TraceEvent): TraceEvent {
    if (event.sender !== undefined && event.recipient !== undefined) return event;
    const context =
      (event.messageTraceId !== undefined ? this.contexts.get(event.messageTraceId) : undefined) ??
      (event.messageId !== undefined ? this.contexts.get(event.messageId) : undefined);
    if (!context) return event;
    const enriched = { ...event };
    if (enriched.sender === undefined && context.sender !== undefined) enriched.sender = context.sender;
    if (enriched.recipient === undefined && context.recipient !== undefined)
      enriched.recipient = context.recipient;
    if (enriched.subject === undefined && context.subject !== undefined) enriched.subject = context.subject;
    return enriched;
  }

  private buildFinding(
    scenario: ScenarioId,
    input: RuleInput,
    evidence: Finding['evidence'],
    confidence: Finding['confidence'],
    item: Pending,
  ): Finding {
    const { event, rejection } = input;
    const { origin } = item;
    const messageId =
      event.messageId ?? event.networkMessageId ?? event.messageTraceId ?? `${origin.file}:${event.line}`;
    const recipient = event.recipient ?? '';
    const finding: Finding = {
      id: findingId(messageId, recipient, rejection.enhancedCode),
      scenario,
      messageId,
      recipient,
      code: rejection.enhancedCode,
      rejectionText: rejection.text,
      timestamp: event.timestamp,
      evidence: [...evidence, ...this.corroboration(item, event)],
      confidence,
      remediation: this.remediation(scenario, input, relaySoftwareOf(origin.format)),
      source: { file: origin.file, line: event.line, format: origin.format, sourceId: origin.sourceId },
    };
    if (event.sender !== undefined) finding.sender = event.sender;
    if (event.returnPath !== undefined) finding.returnPath = event.returnPath;
    if (input.senderDomain !== undefined) finding.senderDomain = input.senderDomain;
    if (input.recipientDomain !== undefined) finding.recipientDomain = input.recipientDomain;
    if (event.subject !== undefined) finding.subject = event.subject;
    if (rejection.smtpCode !== undefined) finding.smtpCode = rejection.smtpCode;
    if (rejection.attr !== undefined) finding.attr = rejection.attr;
    if (rejection.remoteHost !== undefined) finding.remoteHost = rejection.remoteHost;
    const server = onPremisesHost(event);
    if (server !== undefined) finding.serverHostname = server;
    if (event.clientIp !== undefined) finding.clientIp = event.clientIp;
    if (event.connectorId !== undefined) finding.connectorId = event.connectorId;
    return finding;
  }

  /** Evidence from the protocol-log session and the other files that show the same refusal. */
  private corroboration(item: Pending, event: TraceEvent): Finding['evidence'] {
    const evidence: Finding['evidence'] = [];
    if (event.session !== undefined && item.sessionPlace !== undefined) {
      evidence.push(
        ...sessionEvidence(event.session, item.sessionPlace, {
          server: onPremisesHost(event) ?? 'the on-premises server',
          domains: this.domains,
          domainsKnown: this.domainsKnown(),
          ...(this.inboundConnector === undefined ? {} : { connector: this.inboundConnector }),
        }),
      );
    }
    const session = item.sessionPlace;
    for (const other of item.also ?? []) {
      if (session !== undefined && other.file === session.file && other.line === session.line) continue;
      evidence.push({
        kind: 'also-in',
        detail: `the same refusal is in ${other.file} line ${other.line} (${formatLabel(other.format, 'short')})`,
      });
    }
    return evidence;
  }

  private domainsKnown(): boolean {
    return this.domains.basis === 'given' || this.domains.domains().length > 0;
  }

  /** Remediation depends on a few fields only, so identical findings share one (cached) text. */
  private remediation(
    scenario: ScenarioId,
    input: RuleInput,
    relay: RelaySoftware | undefined,
  ): Finding['remediation'] {
    const { event, rejection } = input;
    const session = event.session;
    const certificate =
      session?.certificate === undefined ? undefined : certificateFacts(session.certificate, this.domains);
    const facts: RefusalFacts = {
      code: rejection.enhancedCode,
      attr: rejection.attr,
      senderDomain: input.senderDomain,
      recipientDomain: input.recipientDomain,
      serverHostname: onPremisesHost(event),
      connectorId: event.connectorId,
      remoteHost: rejection.remoteHost,
      relay,
      // A session joined late without a certificate tells nothing about TLS: advise as without a protocol log.
      session:
        session === undefined || (certificate === undefined && session.partial === true)
          ? undefined
          : certificate === undefined
            ? { tls: session.tls }
            : { tls: session.tls, certificate },
    };
    const key = remediationKey(scenario, facts);
    const cached = this.remediations.get(key);
    if (cached) return cached;
    const accepted = this.domains.domains();
    const context = remediationContextOf(scenario, facts, {
      acceptedDomains: accepted,
      acceptedDomainsSource:
        this.domains.basis === 'given' ? 'given' : accepted.length > 0 ? 'inferred' : 'none',
      inboundConnector: this.inboundConnector,
    });
    // Round-trip through JSON: the cached text must not keep the log chunks its domains came from.
    const remediation = JSON.parse(
      JSON.stringify(remediationFor(scenario, context)),
    ) as Finding['remediation'];
    this.remediations.set(key, remediation);
    return remediation;
  }
}
