/**
 * De-duplication: one finding per refusal, however often it is read. A DEFER and its FAIL, an
 * overlapping export, a tracking log and a protocol log of the same message all show one refusal
 * (the same message, recipient and enhanced code). The first occurrence becomes the finding; a
 * repeat while it still waits adds what it knows (its file, its session, fields it lacked). A retry in
 * a later SMTP session that presented another certificate gives the finding that session instead.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { detach, type StringPool } from '../../kernel/strings.js';
import { answerInLateSession } from '../evidence/open-session.js';
import type { SmtpSession, TraceEvent } from '../model/events.js';
import { sha256Hex32 } from '../model/finding-id.js';
import type { Rejection } from '../model/findings.js';
import { givesTime, type TimedReading } from '../model/time-certainty.js';
import { endsDelivery } from '../trace-failures.js';
import type { EventOrigin, Pending } from './pending-window.js';

/** How many other files a finding names as showing the same refusal. */
const MAX_ALSO = 4;
/** Fields a repeat from another file may fill in: a protocol log knows P1 and the session, a tracking row the rest. */
const CORROBORATED_FIELDS = [
  'returnPath',
  'sender',
  'subject',
  'clientHostname',
  'clientIp',
  'serverIp',
  'serverHostname',
  'connectorId',
] as const satisfies readonly (keyof TraceEvent)[];

/** The id the message of a refusal is known by in its rows, when they name one. */
export function knownMessageId(event: TraceEvent): string | undefined {
  return event.messageId ?? event.networkMessageId ?? event.messageTraceId;
}

/**
 * The message a refusal belongs to. Without any id of it (a protocol log whose session began in an
 * earlier file, a hand-made export), what the row says of it stands in — its format, time, and a hash
 * of its recipient, status and hosts — never the file's name or line, so the same log analysed again
 * under another name or path is the same finding, not a second one.
 */
export function messageIdentity(event: TraceEvent, origin: EventOrigin): string {
  const known = knownMessageId(event);
  if (known !== undefined) return known;
  const what = sha256Hex32([
    event.recipient ?? '',
    event.recipientStatus ?? '',
    event.returnPath ?? '',
    event.clientHostname ?? '',
    event.serverIp ?? '',
    event.serverHostname ?? '',
    event.connectorId ?? '',
  ]).slice(0, 12);
  return `unidentified:${origin.format}@${event.timestamp}#${what}`;
}

/**
 * The recipient a refusal is told apart by: its own, or for a message trace detail that names none
 * (Graph's `getDetailsByRecipient` saved without the recipient in its page, `Get-MessageTraceDetail`
 * exported without RecipientAddress) its time and text when it is a failure (`endsDelivery`: a
 * `Fail`, or a permanent refusal under an event named in another language) — each recipient fails
 * once, so two failed rows are two recipients' refusals, and the same row read twice (an
 * overlapping export) is one. A Graph detail's `id` is added to them, not used instead: in
 * Microsoft's own example response every record carries the trace id, which all recipients of the
 * message share. Other rows (a Defer, retried) keep only that id, when they have one: their repeats
 * are one refusal. See classifier/unnamed-recipients.ts for when the run names the recipient.
 *
 * A detail whose time lost its seconds (saved again from Excel) gets them back from its `{LRT=…}`
 * when that names the same minute (`lostSecond`): the id of the original export's row, so the two
 * analysed together count once. Otherwise it adds the LRT as written (`lastRetryTime`), so that two
 * recipients' rows of one minute stay two. Rows read with seconds keep the ids they always had.
 *
 * A refusal in an SMTP session begun before its log, whose command is in an earlier log, is told apart
 * by its answer's place in the session (`answerInLateSession`): two answers of one millisecond and
 * one text are two recipients' refusals once the run joins the logs.
 */
export function recipientOrStandIn(event: TraceEvent, rejection: Rejection): string {
  if (event.recipient !== undefined) return event.recipient;
  // An answer in a session whose commands an earlier log has: its place there (open-session.ts).
  const answer = answerInLateSession(event);
  if (answer !== undefined) return answer;
  const detail = event.detailId === undefined ? '' : `detail:${event.detailId}`;
  // A message known by no id is told apart by its time already (see `messageIdentity`).
  if (!endsDelivery(event.eventId, rejection) || knownMessageId(event) === undefined) return detail;
  const at =
    event.lostSecond !== undefined
      ? withSecond(event.timestamp, event.lostSecond)
      : event.lastRetryTime === undefined
        ? event.timestamp
        : `${event.timestamp}/${event.lastRetryTime}`;
  return `${detail}fail:${at}#${sha256Hex32([rejection.text]).slice(0, 12)}`;
}

/** `timestamp` (ISO, `…T21:15:00.000Z`) with its second set to `second`. */
function withSecond(timestamp: string, second: number): string {
  return `${timestamp.slice(0, 17)}${String(second).padStart(2, '0')}${timestamp.slice(19)}`;
}

/** What identifies a refusal: its message, its recipient and its enhanced code. */
export function refusalKey(event: TraceEvent, rejection: Rejection, origin: EventOrigin): string {
  return detach(
    `${messageIdentity(event, origin)}\u0000${recipientOrStandIn(event, rejection)}\u0000${rejection.enhancedCode}`,
  );
}

/** The refusals already released, and what a repeat adds to one still waiting. */
export class Repeats {
  /** Keys of released refusals, with the origin of the occurrence that was classified. */
  private readonly released: BoundedMap<string, EventOrigin>;
  /** When the session a pending refusal cites was read (ms), once a repeat is looked at. */
  private readonly sessionRead = new WeakMap<Pending, number>();

  public constructor(
    tracked: number,
    private readonly strings: StringPool,
  ) {
    this.released = new BoundedMap(tracked);
  }

  /** Where the released refusal `key` was read, when it was released (and is still remembered). */
  public releasedFrom(key: string): EventOrigin | undefined {
    return this.released.get(key);
  }

  /** Remembers a refusal an earlier invocation released (a resumed read goes over it again). */
  public releasedBefore(key: string, origin: EventOrigin): void {
    this.released.set(key, origin);
  }

  /** Remembers a refusal leaving the window, so that a later repeat is counted, not found again. */
  public release(item: Pending): void {
    this.released.set(item.key, item.origin);
  }

  /** Adds what a repeat of a pending refusal from another file knows: its place, its session, missing fields. */
  public corroborate(item: Pending, event: TraceEvent, origin: EventOrigin): void {
    this.laterSession(item, event, origin);
    if (origin.sourceId === item.origin.sourceId) return; // a DEFER and its FAIL: the file's own finding
    const also = item.also ?? [];
    if (also.length < MAX_ALSO) also.push({ file: origin.file, format: origin.format, line: event.line });
    item.also = also;
    const merged: TraceEvent = { ...item.event };
    if (merged.session === undefined && event.session !== undefined) {
      merged.session = event.session;
      item.sessionPlace = { file: origin.file, sourceId: origin.sourceId, line: event.line };
      this.sessionRead.set(item, Date.parse(event.timestamp));
    }
    for (const field of CORROBORATED_FIELDS) {
      const value = event[field];
      if (merged[field] === undefined && value !== undefined) merged[field] = this.strings.intern(value);
    }
    // The time the store would keep of the two readings, so that one run gives what several do. A
    // refusal named by no recipient is told apart by its time (`recipientOrStandIn`): its time stays.
    if (merged.recipient !== undefined && givesTime(timingOf(event), timingOf(merged)))
      withTimeOf(merged, event);
    item.event = merged;
  }

  /**
   * A retry of the refusal in a later session that secured it otherwise (Exchange retries a deferred
   * message: `451 4.4.62` at 09:00 presenting a certificate since expired, again at 15:00 presenting
   * the renewed one): the finding cites the later session — the state the admin acts on now, not a
   * certificate already replaced — and names the earlier attempt's row among the other readings. The
   * refusal's time and its counting as one repeat stay. A session whose start no file had (its
   * certificate not known) does not replace one whose start a file had.
   */
  private laterSession(item: Pending, event: TraceEvent, origin: EventOrigin): void {
    const held = item.event.session;
    const place = item.sessionPlace;
    if (held === undefined || place === undefined) return;
    const heldAt = this.sessionRead.get(item) ?? Date.parse(item.event.timestamp);
    this.sessionRead.set(item, heldAt);
    const later = event.session;
    const at = Date.parse(event.timestamp);
    if (later === undefined || !(at > heldAt) || securedAs(later) === securedAs(held)) return;
    if (later.partial === true && later.certificate === undefined && held.partial !== true) return;
    const also = item.also ?? [];
    const format = place.sourceId === item.origin.sourceId ? item.origin.format : origin.format;
    if (
      also.length < MAX_ALSO &&
      !also.some((known) => known.file === place.file && known.line === place.line)
    )
      also.push({ file: place.file, format, line: place.line });
    item.also = also;
    item.event = { ...item.event, session: later };
    item.sessionPlace = { file: origin.file, sourceId: origin.sourceId, line: event.line };
    this.sessionRead.set(item, at);
  }
}

/**
 * What a session says of how the server secured it: TLS, the certificate presented, the front end. A
 * retry that says otherwise was made in another state (the certificate renewed or replaced since).
 */
function securedAs(session: SmtpSession): string {
  return JSON.stringify([session.tls, session.frontEnd ?? false, session.certificate ?? null]);
}

/** How many assumptions an event's time was read under (see model/time-certainty.ts). */
function timingOf(event: TraceEvent): TimedReading {
  return {
    timestamp: event.timestamp,
    assumptions: (event.dateOrderAssumed ? 1 : 0) + (event.timeZoneAssumed ? 1 : 0),
  };
}

/** Gives `event` the time of `timed`, with the assumptions it was read under and no others. */
function withTimeOf(event: TraceEvent, timed: TraceEvent): void {
  event.timestamp = timed.timestamp;
  for (const field of ['dateOrderAssumed', 'timeZoneAssumed', 'lostSecond'] as const) {
    if (timed[field] === undefined) delete event[field];
    else Object.assign(event, { [field]: timed[field] });
  }
}
