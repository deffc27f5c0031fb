/**
 * Failures a trace names without their reason (`unexplainedFailures`): a message trace's `Failed`
 * row, a historical search summary's `Fail` — refusals, maybe, that no finding stands for. The reason
 * may be in any file of the run (a trace detail export, a tracking log, a send protocol log, a mail
 * log), so every event of the run is shown here and the failures are judged once every file is read:
 * files explain each other in any order.
 *
 * A failure is one recipient's. A reason explains it only when it is that recipient's, of that
 * message: another recipient's receipt, delivery or refusal says nothing of it. A reason is a relay
 * refusal in any format, or the text of a failure (`Fail`, `Drop`, or a permanent refusal whatever
 * language names its event: see `endsDelivery`), never a `Receive` or `Deliver` row. The message is
 * known by its Message-ID, or without one by its trace id or network message id (see `reasonIds`);
 * a failed row with none of them cannot be joined to any reason: unexplained.
 *
 * A failure's text that names no recipient (a detail export without `RecipientAddress`, a Graph
 * `getDetailsByRecipient` page saved without its address) could be any recipient's: such reasons
 * explain a message only when they are at least as many as its failed recipients — one `Fail` row
 * for a message with one failed recipient, one for each otherwise. A deferral without its recipient
 * is never counted: one recipient's retries would pass for several recipients.
 */
import { detach } from '../kernel/strings.js';
import { type FormatId, MESSAGE_TRACE_FORMATS, type TraceEvent } from './model/events.js';
import type { Rejection } from './model/findings.js';

/** Events that end a recipient's delivery in failure: with their text, the reason of the failure. */
const FAILURE_EVENTS: ReadonlySet<string> = new Set(['FAILED', 'FAIL', 'DROP']);
/** The event of a delivery put off and retried: its refusal is the same one each time. */
const DEFERRAL_EVENT = 'DEFER';

/**
 * True for a row that ends its recipient's delivery in failure: its event says so, or it holds a
 * permanent (5.x.x) relay refusal under any event but a deferral. A trace detail exported from a
 * session in another language names its events in that language (`Empfangen`, `Zustellen` in
 * German), so there the refusal's class tells a failure from a deferral (4.x.x, retried).
 */
export function endsDelivery(eventId: string, rejection: Rejection | null): boolean {
  if (FAILURE_EVENTS.has(eventId)) return true;
  return eventId !== DEFERRAL_EVENT && rejection?.enhancedCode.startsWith('5') === true;
}

/**
 * True for a row that may explain a trace's failure although it is no relay refusal: a failure
 * with its text (`FAIL 550 5.1.1` in a tracking log). The row filter keeps such rows, so that a
 * trace's `Failed` row is not reported as "failed without a reason" when a log of the run gives it.
 */
export function mayBeFailureReason(eventId: string, status: string | undefined): boolean {
  return status !== undefined && FAILURE_EVENTS.has(eventId) && status.trim() !== '';
}
/** A trace row's failure that may come without its reason: `Failed` (message trace), `Fail` (summary, detail). */
const TRACE_FAILURES: ReadonlySet<string> = new Set(['FAILED', 'FAIL']);

/**
 * True for a trace's status (upper case) that names a failure the trace gives no reason for: the
 * failures counted unexplained. A trace row that says so but cannot be read must not drop out of
 * that count unsaid: it is skipped as `FAILURE_NOT_READ` (csv-row-adapter.ts).
 */
export function isTraceFailure(eventId: string): boolean {
  return TRACE_FAILURES.has(eventId);
}
/**
 * Failed recipients, and reasons, kept (a few MB at most); past it a failure is counted unchecked
 * and a reason is lost: both over-count, neither says "nothing to fix" wrongly.
 */
export const MAX_TRACE_FAILURES = 100_000;
/** Characters of a reason without recipient that tell it from another (the date tells them first). */
const REASON_TEXT = 256;
const SEP = '\u0000';

/**
 * A message a trace says failed: the ids its reasons may be kept under, its failed recipients → the
 * file that said so, and the line of its last failure read.
 */
interface FailedMessage {
  ids: string[];
  recipients: Map<string, string>;
  lastLine: number;
}

export class TraceFailures {
  /** Failed messages by their first id. */
  private readonly failed = new Map<string, FailedMessage>();
  private failedRecipients = 0;
  /** Per source: failures past {@link MAX_TRACE_FAILURES}, counted as unexplained: never a wrong all-clear. */
  private readonly unchecked = new Map<string, number>();
  /**
   * Each reason that names its recipient, as two 31-bit hashes of its id and recipient, one in each
   * set ({@link ReasonHashes}): every refusal of a run is a reason (a 750 MB log has over 100,000),
   * and kept as strings they held some 13 MB; small integers cost no object each. A failure is
   * explained when both of its hashes are there: a wrong match about once in 10^9 lookups.
   */
  private readonly reasons = new ReasonHashes();
  /** Per message id: the distinct failure reasons that name no recipient. */
  private readonly unnamedReasons = new Map<string, Set<string>>();
  private reasonsKept = 0;

  /** Takes what an event says of a failure. */
  public see(event: TraceEvent, format: FormatId, sourceId: string, rejection: Rejection | null): void {
    const failure = endsDelivery(event.eventId, rejection);
    if (!failure && rejection === null) return;
    if (rejection !== null || event.recipientStatus?.trim()) this.reason(event, failure);
    else if (isTraceFailure(event.eventId) && MESSAGE_TRACE_FORMATS.has(format))
      this.failure(event, sourceId);
  }

  /**
   * Per source id, the messages it says failed for a recipient whose reason no event of the run gave.
   * `open`: a file a later invocation reads on from `fromLine` (ingest's continuations): its messages
   * with a failure from there on are left to that read, which reads them again.
   */
  public unexplained(open?: { sourceId: string; fromLine: number }): Map<string, number> {
    const counts = new Map(this.unchecked);
    for (const message of this.failed.values()) {
      const sourceId = this.unexplainedBy(message);
      if (sourceId === undefined) continue;
      if (open !== undefined && sourceId === open.sourceId && message.lastLine >= open.fromLine) continue;
      counts.set(sourceId, (counts.get(sourceId) ?? 0) + 1);
    }
    return counts;
  }

  private failure(event: TraceEvent, sourceId: string): void {
    // Without any id, the row's date and sender stand for its message: an overlapping export's copy
    // of it is the same failure, and no reason can name it.
    const ids = failureIds(event);
    const key = ids[0] ?? `u:${event.timestamp}${SEP}${event.sender ?? ''}`;
    const recipient = event.recipient ?? '';
    let message = this.failed.get(key);
    if (message !== undefined && event.line > message.lastLine) message.lastLine = event.line;
    if (message?.recipients.has(recipient)) return;
    if (this.failedRecipients >= MAX_TRACE_FAILURES) {
      this.unchecked.set(sourceId, (this.unchecked.get(sourceId) ?? 0) + 1);
      return;
    }
    this.failedRecipients++;
    if (message === undefined) {
      message = { ids: ids.map(detach), recipients: new Map(), lastLine: event.line };
      this.failed.set(detach(key), message);
    }
    message.recipients.set(detach(recipient), sourceId);
  }

  private reason(event: TraceEvent, failure: boolean): void {
    if (this.reasonsKept >= MAX_TRACE_FAILURES) return;
    const { recipient, messageId, messageTraceId, networkMessageId } = event;
    if (recipient) {
      // Every refusal of every log comes here: its ids (see `reasonIds`) hashed as they are, no
      // string or array made.
      const known = Boolean(messageId);
      if (messageId) this.keepNamed('m:', messageId, recipient);
      if (messageTraceId) this.keepNamed(known ? 'T:' : 't:', messageTraceId, recipient);
      if (networkMessageId) this.keepNamed(known ? 'N:' : 'n:', networkMessageId, recipient);
      return;
    }
    const ids = reasonIds(event);
    if (ids.length === 0) return;
    if (!failure) return;
    // Its date, id and text tell one recipient's failure from another's, and make a copy (an
    // overlapping export) the same reason.
    const text = (event.recipientStatus ?? '').slice(0, REASON_TEXT);
    const reason = detach(
      `${event.eventId}${SEP}${event.timestamp}${SEP}${event.detailId ?? ''}${SEP}${text}`,
    );
    for (const id of ids) {
      let known = this.unnamedReasons.get(id);
      if (known === undefined) {
        known = new Set();
        this.unnamedReasons.set(detach(id), known);
      }
      if (known.has(reason)) continue;
      known.add(reason);
      this.reasonsKept++;
    }
  }

  private keepNamed(kind: string, id: string, recipient: string): void {
    if (this.reasons.add(kind, id, recipient)) this.reasonsKept++;
  }

  /** The file of the message's first failure no reason explains; `undefined` when every one is explained. */
  private unexplainedBy({ ids, recipients }: FailedMessage): string | undefined {
    const unnamed = new Set<string>();
    for (const id of ids) for (const reason of this.unnamedReasons.get(id) ?? []) unnamed.add(reason);
    if (unnamed.size >= recipients.size) return undefined;
    for (const [recipient, sourceId] of recipients)
      if (!ids.some((id) => this.reasons.has('', id, recipient))) return sourceId;
    return undefined;
  }
}

/*
 * A message's ids. The Message-ID is what joins formats; a trace id or a network message id joins a
 * row that lacks it (a Graph detail page has only its trace's id; a trace row may have no
 * Message-ID). Two rows whose Message-IDs differ are two messages whatever else they share, so a
 * reason that has one is kept under its other ids in upper case, which only a failure without one
 * looks up.
 */

/** The ids a reason is kept under (see above); empty when the row gives none. */
function reasonIds(event: TraceEvent): string[] {
  const ids: string[] = [];
  const known = Boolean(event.messageId);
  if (known) ids.push(`m:${event.messageId}`);
  if (event.messageTraceId) ids.push(`${known ? 'T' : 't'}:${event.messageTraceId}`);
  if (event.networkMessageId) ids.push(`${known ? 'N' : 'n'}:${event.networkMessageId}`);
  return ids;
}

/** The ids a failure's reasons are looked up by, its own first; empty when the row gives none. */
function failureIds(event: TraceEvent): string[] {
  const ids: string[] = [];
  if (event.messageId) ids.push(`m:${event.messageId}`);
  if (event.messageTraceId) {
    ids.push(`t:${event.messageTraceId}`);
    if (!event.messageId) ids.push(`T:${event.messageTraceId}`);
  }
  if (event.networkMessageId) {
    ids.push(`n:${event.networkMessageId}`);
    if (!event.messageId) ids.push(`N:${event.networkMessageId}`);
  }
  return ids;
}

/**
 * Reasons as two 31-bit hashes of `kind + id + SEP + recipient` over its UTF-16 code units (FNV-1a,
 * and a multiply-xor hash of another seed and multiplier), kept in two sets of small integers.
 */
class ReasonHashes {
  private readonly first = new Set<number>();
  private readonly second = new Set<number>();
  private a = 0;
  private b = 0;

  /** Keeps the reason; false when both its hashes were there already. */
  public add(kind: string, id: string, recipient: string): boolean {
    this.hash(kind, id, recipient);
    if (this.first.has(this.a) && this.second.has(this.b)) return false;
    this.first.add(this.a);
    this.second.add(this.b);
    return true;
  }

  public has(kind: string, id: string, recipient: string): boolean {
    this.hash(kind, id, recipient);
    return this.first.has(this.a) && this.second.has(this.b);
  }

  private hash(kind: string, id: string, recipient: string): void {
    this.a = 0x811c9dc5;
    this.b = 0x050c5d1f;
    this.mix(kind);
    this.mix(id);
    this.mix(SEP);
    this.mix(recipient);
    this.a >>>= 1;
    this.b >>>= 1;
  }

  private mix(text: string): void {
    let { a, b } = this;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      a = Math.imul(a ^ unit, 0x01000193);
      b = Math.imul(b ^ unit, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.a = a;
    this.b = b;
  }
}
