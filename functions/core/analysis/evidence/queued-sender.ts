/**
 * A queued MTA message across the files of a run (docs/domain.md "MTA logs"). Postfix, sendmail and
 * Exim log a message's Message-ID and sender once, when it is queued (`cleanup … message-id=`,
 * `from=<…>`, `<= …`), and its deliveries later, by queue id; a log rotated in between leaves them in
 * `mail.log.1` and the refusal in `mail.log` — or the Message-ID in one and the sender in the other,
 * when the rotation fell between those lines. So at the end of each file its reader hands on, as a
 * `QUEUED` event, every message still in its queue with the sender and the Message-ID it knows, and
 * marks each delivery with its queue id (`internalMessageId`, with the host as `clientHostname`).
 * The classifier indexes the `QUEUED` events like any other evidence and fills in a refusal from them
 * when the refusal leaves the pending window — so the files of a run may be read in either order, as
 * for the forwarding evidence of rolled-over tracking logs.
 *
 * A file whose lines are out of order (newest first, sorted to the second) may name a message's
 * sender or Message-ID after deliveries of it: its reader hands them on at once as a `QUEUED_LATE`
 * event under the name those deliveries had (their Message-ID or stand-in), and only a delivery of
 * that name takes them — not another message under the same, reused, queue id.
 *
 * A message that left the queue during its file is not handed on, but its refusals name its sender
 * and Message-ID as that file read them, with its queue id and host, and when they were logged: they
 * are kept like a `QUEUED` event, for lines logged within those times (`QueuedSenders.refused`).
 * Another file of the run may hold copies of some of the same lines — a SIEM export of the refusal
 * lines alone (Splunk `index=mail "5.7.64"`, `grep -E '5\.7\.64|4\.4\.62'`), or two
 * overlapping time windows of one log — and its copy of the refusal is then named as the original,
 * which makes it a repeat, not a second finding under a stand-in without a sender.
 *
 * A message whose Message-ID no file names is known by a stand-in ({@link queuedMessageIdentity}).
 *
 * Postfix reuses its short queue ids: two files of a run far apart in time (`mail.log.3` and
 * `mail.log.1`, the rotation between them missing) may name two messages by one id and host. What
 * one file says of a message is given to a line of another only when it can be the same message
 * ({@link canBeOf}): by its arrival and how long a message stays queued.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { detach } from '../../kernel/strings.js';
import { type FormatId, MAIL_LOG_FORMATS, type TraceEvent } from '../model/events.js';
import { arrivedBy } from './postfix-arrival.js';

/** Event id of a message still queued at the end of an MTA log file (stable: not a tracking event id). */
export const QUEUED_EVENT_ID = 'QUEUED';

/**
 * Event id of a sender or Message-ID read after deliveries of its message were handed on without it:
 * `internalMessageId` is the name those deliveries had (a Message-ID or stand-in), with the host.
 */
export const QUEUED_LATE_EVENT_ID = 'QUEUED_LATE';

/** The MTAs whose logs name messages by queue id. */
const MTA_PROGRAMS = ['postfix', 'sendmail', 'exim'] as const;
export type MtaProgram = (typeof MTA_PROGRAMS)[number];
const PROGRAM_NAMES: ReadonlySet<string> = new Set(MTA_PROGRAMS);

/** What the log says of a queued message whose Message-ID it does not name. */
export interface QueuedMessageName {
  program: MtaProgram;
  /** `''` in Exim's own main.log, which names no host. */
  host: string;
  queueId: string;
  /** When the message arrived (UTC ISO 8601), as its first delivery line read says; Postfix only. */
  arrival?: string;
  /**
   * Minutes east of UTC of the zone that line's time was written in (SyslogLine.zone): absent when
   * it was written without one, taken as UTC.
   */
  zone?: number;
}

/** Postfix's short queue ids: hexadecimal, the microseconds and inode number of the queue file. */
const SHORT_POSTFIX_ID = /^[0-9A-F]+$/;

/**
 * The stand-in Message-ID of a queued message whose log names none — what the log says of it, never
 * the file's name, and the same from whichever of its lines a file holds (a rotation may cut the
 * message's lines anywhere, and each delivery attempt is logged anew): `exim:1vF3kr-000Hn4-3T`,
 * `postfix:relay01:3F7A21C0B4@2026-11-28T22`.
 *
 * The program, host (queue ids repeat across the hosts of a central syslog) and queue id. sendmail's,
 * Exim's and Postfix's long queue ids (`enable_long_queue_ids`) encode the arrival time and are
 * unique: the id alone names the message. Postfix's short ones are reused, on a quiet relay within
 * days: they also carry the hour the message arrived, which every delivery line gives — its time
 * less its `delay=` — retries days later included.
 *
 * That hour is the host's wall clock, as its log writes it: a traditional syslog date has no zone
 * (taken as UTC, `Nov 28 22:10:03`), and the same line exported with one (`journalctl -o short-iso`,
 * rsyslog's RFC 3339 dates: `2026-11-28T22:10:03+01:00`) states the same wall clock with its offset.
 * An hour in UTC would name one message two ways, `…@…T22` and `…@…T21`, and count each of its
 * refusals twice when a run, or the store, holds both copies. So a mail log, its journal export and
 * its RFC 3339 copy name a message alike, in one run and across runs, and the finding keeps the time
 * with the zone (repeats.ts, store merge).
 *
 * Limits: two messages under one short id arriving in the same hour are one; one arriving within about
 * 2 s of a full hour (syslog times are whole seconds, `delay=` is rounded) may be named after either
 * hour by two of its delivery lines; a copy written in another zone than the host's (`journalctl
 * --utc`, `-o json`'s microseconds, a container runtime's UTC time) names the hour in that zone.
 */
export function queuedMessageIdentity(message: QueuedMessageName): string {
  const name = `${message.program}:${message.host === '' ? '' : `${message.host}:`}${message.queueId}`;
  const reused = message.program === 'postfix' && SHORT_POSTFIX_ID.test(message.queueId);
  if (!reused || message.arrival === undefined) return name;
  const written = Date.parse(message.arrival) + (message.zone ?? 0) * 60_000;
  return `${name}@${new Date(written).toISOString().slice(0, 13)}`;
}

/**
 * True for a stand-in of {@link queuedMessageIdentity}: a real Message-ID has no `:` before its `@`
 * (RFC 5322 dot-atom), let alone after a program's name.
 */
export function isQueuedMessageIdentity(messageId: string | undefined): boolean {
  const colon = messageId?.indexOf(':') ?? -1;
  return colon > 0 && PROGRAM_NAMES.has((messageId as string).slice(0, colon));
}

/** The farthest a zone is east of UTC (UTC+14, Kiribati): a wall clock is at most this far ahead. */
const MAX_ZONE_AHEAD_MS = 14 * 60 * 60 * 1000;

/**
 * The earliest a Postfix message can have arrived (UTC), as the event's stand-in names its hour
 * (queuedMessageIdentity, from a delivery line's `delay=`), give or take the rounding of `delay=`.
 * That hour is the host's wall clock: in the frame of the event's own time when the event's time has
 * no zone either (taken as UTC, `timeZoneAssumed`); otherwise the zone is not known, and the hour
 * starts up to 14 hours later than in UTC. `undefined` for a Message-ID the log names, or a stand-in
 * without the hour.
 */
function arrivalHourOf(event: TraceEvent): string | undefined {
  if (!isQueuedMessageIdentity(event.messageId)) return undefined;
  const hour = /@(\d{4}-\d{2}-\d{2}T\d{2})$/.exec(event.messageId as string)?.[1];
  if (hour === undefined) return undefined;
  const start = Date.parse(`${hour}:00:00.000Z`);
  return new Date(event.timeZoneAssumed === true ? start : start - MAX_ZONE_AHEAD_MS).toISOString();
}

/**
 * How long a Postfix message stays queued, at most: `maximal_queue_lifetime` (postconf(5), default
 * 5 days), then its last retry (`maximal_backoff_time`, 4000 s) and attempt (`daemon_timeout`, 5
 * hours): under 6 days. Lines under a reused queue id farther apart are of two messages.
 */
const MAX_QUEUED_MS = 6 * 24 * 60 * 60 * 1000;

/**
 * True for an MTA refusal whose sender no file of the run had (after {@link QueuedSenders.fill}):
 * its `from=` line was before the first file, or its queue id was forgotten.
 */
export function senderUnseen(event: TraceEvent, format: FormatId): boolean {
  return MAIL_LOG_FORMATS.has(format) && event.returnPath === undefined;
}

/** What the `QUEUED` events and MTA refusals of the run say of one message: its sender, its Message-ID, or both. */
interface QueuedSender {
  returnPath?: string;
  messageId?: string;
}

/** What the events of one queued message said of it, and when the first and last were logged (ms). */
interface KnownMessage {
  sender: QueuedSender;
  first: number;
  last: number;
}

/**
 * Whether the message `known` can be that of an MTA event under its host and queue id, read in
 * another file. Not when each names a Message-ID and they differ. A queue id of Postfix's short form
 * may have been reused ({@link SHORT_POSTFIX_ID}; Exim's ids never have that form, sendmail's seldom,
 * and its messages too leave the queue within days): then not when the event and `known` lie farther
 * apart than a message stays queued (MAX_QUEUED_MS), nor when the event's message arrived after
 * `known` was first logged (arrivedBy, from the hour its stand-in names: arrivalHourOf) — `known` is
 * then an older message under the id, gone by the time this one arrived.
 */
function canBeOf(known: KnownMessage, event: TraceEvent): boolean {
  const named = isQueuedMessageIdentity(event.messageId) ? undefined : event.messageId;
  const knownId = known.sender.messageId;
  if (named !== undefined && knownId !== undefined && named !== knownId) return false;
  if (!SHORT_POSTFIX_ID.test(event.internalMessageId ?? '')) return true;
  const at = Date.parse(event.timestamp);
  if (Math.max(known.last, at) - Math.min(known.first, at) > MAX_QUEUED_MS) return false;
  return arrivedBy(arrivalHourOf(event), new Date(known.first).toISOString());
}

/** What `known` (when it can be the event's message: canBeOf) and the event say of a message, logged at `at`. */
function knownWith(
  known: KnownMessage | undefined,
  event: TraceEvent,
  at: number,
  returnPath?: string,
  messageId?: string,
): KnownMessage {
  const same = known !== undefined && canBeOf(known, event) ? known : undefined;
  return {
    sender: merged(same?.sender, returnPath, messageId),
    first: Math.min(same?.first ?? at, at),
    last: Math.max(same?.last ?? at, at),
  };
}

/** The host and queue id of an MTA event, or `undefined` for events of other formats. */
function queueKeyOf(event: TraceEvent): string | undefined {
  if (event.internalMessageId === undefined) return undefined;
  return hostKey(event, event.internalMessageId);
}

/** The key of a queued message: queue ids are kept per host (a central syslog holds several). */
export function queueKey(host: string, queueId: string): string {
  return `${host}\u0000${queueId}`;
}

function hostKey(event: TraceEvent, name: string): string {
  return queueKey(event.clientHostname ?? '', name);
}

/** What was `known` of one message, with the sender and Message-ID an event names of it. */
function merged(known: QueuedSender | undefined, returnPath?: string, messageId?: string): QueuedSender {
  const sender: QueuedSender = {};
  if (returnPath !== undefined) sender.returnPath = detach(returnPath);
  else if (known?.returnPath !== undefined) sender.returnPath = known.returnPath;
  if (messageId !== undefined) sender.messageId = detach(messageId);
  else if (known?.messageId !== undefined) sender.messageId = known.messageId;
  return sender;
}

/**
 * The senders and Message-IDs of queued and refused messages seen in the run so far, by host and
 * queue id, oldest forgotten first: as many as the classifier's other indexes remember (`tracked`,
 * 20,000 by default; its repeats index remembers as many released refusals). Refusals take one entry
 * per message, whatever the size of the log; a copy of one whose message was forgotten keeps its
 * stand-in, and is counted again.
 */
export class QueuedSenders {
  /** What `QUEUED` events said of their messages, by host and queue id: one message a key, the latest handed on. */
  private readonly senders: BoundedMap<string, KnownMessage>;
  /**
   * What MTA refusals said of their messages, by host and queue id: of a message that left the queue,
   * it names only copies of those lines (their times lie within), not a later message under the same,
   * reused, queue id (Postfix's short ids repeat; `enable_long_queue_ids` exists for that).
   */
  private readonly refused: BoundedMap<string, KnownMessage>;
  /** What files read after deliveries of a message, by host and the name the deliveries had. */
  private readonly late: BoundedMap<string, QueuedSender>;
  /** The stand-ins refusals were named by in their own files, by the Message-ID another file gave them. */
  private readonly standIns: BoundedMap<string, string>;

  public constructor(tracked: number) {
    this.senders = new BoundedMap(tracked);
    this.refused = new BoundedMap(tracked);
    this.late = new BoundedMap(tracked);
    this.standIns = new BoundedMap(tracked);
  }

  /**
   * Keeps what a `QUEUED` event or a relay refusal of an MTA log (`refusedIn`: its format, given
   * for refusals only) says — other events are not looked at — with what another file said of the
   * same message: a rotation between the `message-id=` and `from=` lines leaves one in each. What was
   * said of another message under the queue id (canBeOf) is replaced. A `QUEUED_LATE` event is kept
   * apart, under the name its file's deliveries had.
   */
  public observe(event: TraceEvent, refusedIn?: FormatId): void {
    const late = event.eventId === QUEUED_LATE_EVENT_ID;
    const mtaRefusal = refusedIn !== undefined && MAIL_LOG_FORMATS.has(refusedIn);
    if (!late && event.eventId !== QUEUED_EVENT_ID && !mtaRefusal) return;
    const returnPath = event.returnPath;
    // A stand-in is the same in any file: only a Message-ID the log names is worth handing on.
    const messageId = isQueuedMessageIdentity(event.messageId) ? undefined : event.messageId;
    if (returnPath === undefined && messageId === undefined) return;
    const key = queueKeyOf(event);
    if (key === undefined) return;
    if (!late) {
      const map = event.eventId === QUEUED_EVENT_ID ? this.senders : this.refused;
      const at = Date.parse(event.timestamp);
      if (Number.isNaN(at)) return;
      const known = map.get(key);
      map.set(known === undefined ? detach(key) : key, knownWith(known, event, at, returnPath, messageId));
      return;
    }
    const known = this.late.get(key);
    const sender = merged(known, returnPath, messageId);
    this.late.set(known === undefined ? detach(key) : key, sender);
    // Deliveries handed on once the Message-ID was read, before the sender, are named by it.
    if (sender.messageId !== undefined && sender.messageId !== event.internalMessageId) {
      const named = hostKey(event, sender.messageId);
      this.late.set(detach(named), merged(this.late.get(named), sender.returnPath, sender.messageId));
    }
  }

  /** What a file handed on of the event's queued message (`QUEUED`), when it can be that message. */
  private queuedOf(key: string, event: TraceEvent): QueuedSender | undefined {
    const known = this.senders.get(key);
    return known !== undefined && canBeOf(known, event) ? known.sender : undefined;
  }

  /** What the refusals of the event's message said of it, when the event lies within their times. */
  private refusedOf(key: string, event: TraceEvent): QueuedSender | undefined {
    const known = this.refused.get(key);
    if (known === undefined) return undefined;
    const at = Date.parse(event.timestamp);
    return at >= known.first && at <= known.last ? known.sender : undefined;
  }

  /**
   * The event with the sender and Message-ID of its queued message, when they were not read before
   * it: a delivery without a sender had no `from=` line before it, one named by a stand-in no
   * `message-id=` line (see mta-log.ts). What its own file read after it, under its name, comes
   * first; then what a file handed on under its host and queue id, of a message that can be its own
   * (canBeOf). The Message-ID named wins over the stand-in.
   */
  public fill(event: TraceEvent): TraceEvent {
    const standIn = isQueuedMessageIdentity(event.messageId);
    if (event.returnPath !== undefined && !standIn) return event;
    const key = queueKeyOf(event);
    if (key === undefined) return event;
    const late = this.lateOf(event);
    const queued = this.queuedOf(key, event) ?? this.refusedOf(key, event);
    const returnPath = late?.returnPath ?? queued?.returnPath;
    const messageId = late?.messageId ?? queued?.messageId;
    if (returnPath === undefined && messageId === undefined) return event;
    const filled: TraceEvent = { ...event };
    if (filled.returnPath === undefined && returnPath !== undefined) filled.returnPath = returnPath;
    if (standIn && messageId !== undefined && messageId !== event.messageId) {
      filled.messageId = messageId;
      this.standIns.set(messageId, detach(event.messageId as string));
    }
    return filled;
  }

  /**
   * What the event's own file read of its message after it (`QUEUED_LATE`): under its name, or under
   * the stand-in it had in that file when another file has since given it its Message-ID.
   */
  private lateOf(event: TraceEvent): QueuedSender | undefined {
    const name = event.messageId;
    // Empty unless the log is out of order: files read in order pay no lookups.
    if (name === undefined || this.late.size === 0) return undefined;
    const named = this.late.get(hostKey(event, name));
    if (named !== undefined) return named;
    const standIn = this.standIns.get(name);
    return standIn === undefined ? undefined : this.late.get(hostKey(event, standIn));
  }

  /**
   * The stand-in a message was named by in the file of its refusal, when another file of the run
   * gave it its Message-ID: that file's inbound evidence of it (a redirect, Postfix `orig_to=`) is
   * indexed under the stand-in.
   */
  public standInOf(messageId: string): string | undefined {
    return this.standIns.get(messageId);
  }
}
