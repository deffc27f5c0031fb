/**
 * Mail logs of relays that are not Exchange: Postfix, sendmail and Exim (docs/domain.md "MTA
 * logs"). Apps, printers and Linux hosts relay through them to the tenant's MX host and get
 * `550 5.7.64` there; the refusal is in the MTA's delivery line, the envelope sender (P1) on an
 * earlier line of the same queue id; a temporary refusal by a server that is not the last one tried
 * is on a line of its own, which names no recipient (TriedServer). So the reader keeps, per queue id,
 * the sender and Message-ID until the message leaves the queue — in a bounded map: past its cap the
 * oldest queue ids are forgotten, counted in the file's notes, and a refusal whose sender was
 * forgotten is still reported (classified without its P1).
 *
 * One reader reads all three programs (a host may run more than one, a central syslog holds
 * several hosts: queue ids are kept per host). Lines of other programs are counted, not listed.
 *
 * A log rotated while a message was queued has its sender or Message-ID in the previous file: at
 * the end of a file the messages still queued are handed on as `QUEUED` events, and each delivery
 * names its queue id, so the classifier fills them in from another file of the run, read before or
 * after (evidence/queued-sender.ts). A message that left the queue is not handed on: its refusals
 * name its sender and Message-ID to the run themselves, for copies of them in another file (a SIEM
 * export of the refusal lines, an overlapping time window of the log).
 *
 * A log whose lines are out of order — newest first, as a SIEM lists them (Splunk, Graylog, Kibana)
 * or `tac` leaves them, or sorted by a time to the second, where `qmgr … removed` may come before
 * `smtp … to=` — still gives each delivery its message's sender and Message-ID from the file's own
 * lines. A sender or Message-ID read after deliveries were handed on without it is handed on at once
 * as a `QUEUED_LATE` event, under the name those deliveries had, while they still wait in the
 * classifier's window (handOnLate); a message's lines read after its `removed` line find it among
 * the recently removed (leave, afterFacts). The bound: the sender must come within the window
 * (`--window` events) after its refusal — the events logged while the message was queued, whatever
 * the size of the file; the file's notes say how far the farthest came (SENDER_READ_LATE). A refusal of
 * a server tried before the last takes the recipients of the delivery lines that end its attempt by
 * their times, not their places: newest first they are above it (triedServer). Where shuffled lines
 * leave that untold, the file's notes say so (RECIPIENTS_NOT_PAIRED). Where the file ends during the
 * refusal's attempt (the log rotated then; told by the times of its message's lines, in a file of any
 * order: openAtEnd), the rest of its delivery lines are in the next file: the run pairs them once it
 * has read every file, in either order (RotatedAttempts), and only a refusal whose next file is not
 * in the run is noted so.
 *
 * A block of lines read twice in one file — two overlapping windows of the log joined with `cat`, a
 * file joined with itself — gives what it gave the first time, as two files holding the same lines
 * do: its refusals are repeats, counted once by the run, and a repeated line of a server tried before
 * the last is the refusal already read (with the recipients the first reading gave it), not read again.
 *
 * A message whose Message-ID the log does not name (no `cleanup … message-id=` line, Exim's own
 * bounces) is identified by what the log says of it — program, host, queue id and, for Postfix's
 * reused short queue ids, the hour it arrived, e.g. `postfix:relay01:3F7A21C0B4@2026-11-28T22` —
 * never by the file's name or path, nor by where a rotation cut its lines (queuedMessageIdentity).
 */

import { BoundedMap } from '../../kernel/bounded-map.js';
import { boundedId } from '../../kernel/bounded-text.js';
import { groupDigits, plural } from '../../kernel/counts-in-words.js';
import { UnknownFormatError } from '../../kernel/errors.js';
import { detach, quoteText, StringPool } from '../../kernel/strings.js';
import { arrivedBy, delayArrival } from '../evidence/postfix-arrival.js';
import {
  type MtaProgram,
  QUEUED_EVENT_ID,
  QUEUED_LATE_EVENT_ID,
  type QueuedMessageName,
  queuedMessageIdentity,
  queueKey,
} from '../evidence/queued-sender.js';
import { RELAY_ATTRIBUTION_CODES, refusalMarkerIn, relayRejectionIn } from '../evidence/rejections.js';
import { nulBytesNote } from '../input/nul-bytes.js';
import { skipSearched } from '../input/unread-refusals.js';
import { type FormatId, normaliseAddress, normaliseMessageId, type TraceEvent } from '../model/events.js';
import type { SourceNote } from '../model/source-record.js';
import type { SkipReason } from './format-adapter.js';
import { isJournalMarker, SyslogDates, type SyslogLine, utcOfDigits, zoneMinutes } from './syslog.js';
import {
  type HeldBack,
  type LateTextFormat,
  type LateTextReader,
  LineReader,
  type RunPart,
  type TextContext,
  type TextFormat,
  type TextHead,
  type TextReader,
  type TextSink,
} from './text-format.js';

export type { MtaProgram } from '../evidence/queued-sender.js';

/** How many queue ids the reader remembers (sender, Message-ID) before forgetting the oldest. */
export const MAX_QUEUED_MESSAGES = 100_000;

/**
 * How many removed messages the reader keeps for their lines read after `removed` / `Completed`, or
 * after their sender in a file read newest first (see leave, afterFacts): their other lines are
 * within a second or two of it, a few hundred messages on a busy relay.
 */
export const MAX_REMOVED_MESSAGES = 10_000;

/** The MTA that queued a message, its host (`''` in Exim's own main.log), its queue id and arrival. */
interface QueuedMessage extends QueuedMessageName {
  /** Its key in the queue and among the recently removed (queueKey), a copy of the line's (entry). */
  key: string;
  /** P1, normalised; `''` for the null sender of a bounce. */
  from?: string;
  messageId?: string;
  /** Where and when the sender, else the Message-ID, was read: the place of its `QUEUED` event. */
  knownLine?: number;
  knownAt?: string;
  /** A delivery line was read for it; one of them was a deferral (it may be tried again later). */
  delivered?: boolean;
  deferred?: boolean;
  /** The time of its latest line read (all its lines are dated before its `removed` line). */
  lastAt: string;
  /** When it was removed (`removed`, `Completed`, afterFacts): lines dated later are another message's. */
  removedAt?: string;
  /** Its removal line (`removed`, `Completed`) was read after a line of it: no attempt of it goes on (openAtEnd). */
  removalRead?: boolean;
  /**
   * Deliveries of it were handed on before its sender or Message-ID was read: the name they had
   * (messageIdOf), the time of the first, and — while its sender is not read — the reader's count of
   * events handed on then. What is read of them later is handed on under the name (handOnLate).
   */
  waiting?: { name: string; at: string; since?: number };
  /**
   * The recipients its from= line counts (sendmail `nrcpts=`, Postfix qmgr `nrcpt=`). sendmail, which
   * logs no removal: how many of them its delivery lines gave a final status (sent or failed, not
   * deferred), in one queue run or several. It leaves the queue once all have (sendmailDone). -1 when
   * its lines do not add up (more final recipients than counted, a delivery after it left): it stays
   * queued until evicted.
   */
  recipients?: number;
  finals?: number;
  /**
   * Refusals of servers tried before the last in its latest attempt read (triedServer): waiting for the
   * delivery lines that name their recipients, or handed on and kept while the message is, for a line
   * of it read late (lines out of order).
   */
  tried?: TriedServer[];
  /** The lines of `tried` (time, server, status: triedLine), to know one read again in one look-up. */
  triedLines?: Set<string>;
  /**
   * Its delivery lines read since its last refusal of a server tried before the last, kept while its
   * sender's line was not read or the file's lines are out of order (deliveryRead); `closed` once such
   * a refusal is read, and the next delivery line begins anew. Read newest first, they are the lines
   * that ended that refusal's attempt (triedServer).
   */
  deliveriesRead?: DeliveriesRead;
  /** The time of its latest delivery line read (Postfix, Exim): see attemptEnded. */
  deliveredAt?: string;
  /**
   * Postfix: when it arrived, as the first of its delivery lines read with a `delay=` says
   * (delayArrival). Unlike `arrival` (its stand-in's hour), never a line's own time: it tells the
   * message from another one under its short queue id, reused, in another file of the run (arrivedBy).
   */
  arrivedAt?: string;
}

/**
 * How many lines of one attempt a message keeps — delivery lines (deliveryRead), refusals of servers
 * tried before the last (triedServer) — so that memory does not grow with a message's lines: past
 * them, a note.
 */
const MAX_DELIVERIES_KEPT = 1_000;

interface DeliveriesRead {
  lines: DeliveryRead[];
  closed: boolean;
  /** Lines past MAX_DELIVERIES_KEPT were not kept. */
  more?: boolean;
}

/** What tells a line of a refusal of a server tried before the last from another one of its message. */
function triedLine(timestamp: string, server: string, status: string): string {
  return `${timestamp}\u0000${server}\u0000${status}`;
}

/** A delivery line of a queued message, kept for the refusals of servers tried before the last read after it. */
interface DeliveryRead {
  recipient: string;
  /** The server it names (Exim `H=`); Postfix's refusals concern the attempt, whatever its relay. */
  server: string | undefined;
  timestamp: string;
  /** Postfix, a line kept for the run (Continuation): when its message arrived (QueuedMessage.arrivedAt). */
  arrival?: string;
}

/**
 * A server's temporary refusal that Postfix or Exim logs on a line of its own, without the recipient,
 * when it goes on to the next server of the list (the tenant's MX host resolves to several
 * addresses, a fallback relay): the delivery line that ends the attempt carries only the last
 * server's result — a connect timeout, or `sent` through the fallback — so this line is the refusal.
 */
interface TriedServer {
  /** The server's name, as the delivery lines name it (Exim `H=`). */
  server: string;
  /** Its address, as the line names it in brackets. */
  address?: string;
  status: string;
  timestamp: string;
  line: number;
  /** It was handed on of a recipient (Exim: each line of the batch sent to that server names one). */
  named?: boolean;
  /** Exim: the recipients it was handed on of, for the lines of its attempt in a later file (RotatedAttempts). */
  names?: string[];
  /** It was handed on, of its recipients or without one: none is to follow. */
  handed?: boolean;
  /**
   * Postfix: the recipients of the delivery lines that end its attempt — read after it, or before it
   * dated no earlier (newest first) — for when its message's recipient count is known (recipientOf).
   */
  endings?: string[];
  /** A delivery line that ends its attempt was read before it and not kept (deliveryRead): see unpaired. */
  unkept?: boolean;
  /**
   * A recipient of it may not be given: a delivery line that ends its attempt was read before it and
   * not kept, or after it was handed on without one, or is past the file's end (openAtEnd: then the
   * run may pair it). Counted once in the file's notes (RECIPIENTS_NOT_PAIRED), not lost unsaid.
   */
  unpaired?: boolean;
}

/**
 * Postfix: the recipient of a refusal of a server tried before the last, that of the delivery lines
 * ending its attempt when its message has one recipient; of several, which one cannot be told.
 */
function recipientOf(entry: QueuedMessage, refusal: TriedServer): string | undefined {
  return entry.recipients === 1 ? refusal.endings?.[0] : undefined;
}

/**
 * Whether a delivery line of a refusal's message dated at or after it was read: in a file in order,
 * each attempt ends with one for each of its recipients (through the next server, or the last).
 */
function attemptEnded(entry: QueuedMessage, refusal: TriedServer): boolean {
  return entry.deliveredAt !== undefined && entry.deliveredAt >= refusal.timestamp;
}

/**
 * Whether what a refusal of a server tried before the last is to be told by is still to come: a
 * delivery line ending its attempt, or (Postfix) its message's recipient count when such lines were
 * read (the `from=` line below them, out of order; in an earlier file, the log rotated).
 */
function stillToCome(entry: QueuedMessage, refusal: TriedServer): boolean {
  return !attemptEnded(entry, refusal) || (refusal.endings !== undefined && entry.recipients === undefined);
}

/** Whether a delivery line of its message dated after a refusal was read before it: the lines are out of order. */
function readAfterItsEnd(entry: QueuedMessage, refusal: TriedServer): boolean {
  return entry.deliveredAt !== undefined && entry.deliveredAt > refusal.timestamp;
}

/** The Message-ID of a queued message: the one its log names, else its stand-in. */
function messageIdOf(entry: QueuedMessage): string {
  return entry.messageId ?? queuedMessageIdentity(entry);
}

/**
 * The server a delivery line names: its host name and its address, each when the line gives it
 * (sendmail names a smart host set as an address literal by its address alone, `relay=[IPv6:…]`).
 */
interface DeliveredTo {
  host?: string;
  address?: string;
}

/** The server of a refusal of a server tried before the last. */
function triedAt(refusal: TriedServer): DeliveredTo {
  return refusal.address === undefined
    ? { host: refusal.server }
    : { host: refusal.server, address: refusal.address };
}

/**
 * The relay a Postfix or sendmail delivery line names, with the address in brackets after its name:
 * Postfix `relay=host[ip]:25`, sendmail `relay=host. [ip]` (or `[IPv6:…]`, and `relay=[ip] [ip]` for a
 * smart host set as an address literal).
 */
function relayOf(text: string): DeliveredTo | undefined {
  const match = /(?:^|, )relay=([^,\s[]*)\s?(?:\[([^\]]+)\])?/.exec(text);
  return match === null ? undefined : deliveredTo(match[1], match[2]);
}

/** The server an Exim delivery line names: `H=host [ip]:25`. */
function eximServerOf(text: string): DeliveredTo | undefined {
  const match = /(?:^| )H=([^\s[]+)(?: \[([^\]]+)\])?/.exec(text);
  return match === null ? undefined : deliveredTo(match[1], match[2]);
}

/** A server from its name and bracketed address as a line writes them, either absent or empty. */
function deliveredTo(host: string | undefined, address: string | undefined): DeliveredTo | undefined {
  const to: DeliveredTo = {};
  if (host !== undefined && host !== '') to.host = host;
  if (address !== undefined) to.address = bareAddress(address);
  return to.host === undefined && to.address === undefined ? undefined : to;
}

/** An address as a log writes it in brackets, without sendmail's and Exim's `IPv6:` tag. */
function bareAddress(text: string): string {
  return text.replace(/^ipv6:/i, '');
}

/** The event of what a line says of one recipient of a queued message (a recipient `''` is not known). */
function deliveryEvent(
  queued: QueuedMessage,
  delivery: Delivery,
  timestamp: string,
  relay: DeliveredTo | undefined,
  line: number,
): TraceEvent {
  const event: TraceEvent = {
    timestamp,
    eventId: delivery.eventId,
    source: 'SMTP',
    recipient: normaliseAddress(delivery.recipient),
    // The queue id: the classifier finds the sender by it when the from= line is in another file.
    internalMessageId: queued.queueId,
    messageId: messageIdOf(queued),
    line,
  };
  if (delivery.status !== undefined) event.recipientStatus = delivery.status;
  // The message's sender (`from=`, `<=`), else the one its delivery line names.
  const from = queued.from ?? (delivery.sender === undefined ? undefined : normaliseAddress(delivery.sender));
  if (from !== undefined) event.returnPath = from;
  // As on an Exchange SEND row: the client is the relay itself, the server the host it delivered to.
  if (queued.host !== '') event.clientHostname = queued.host;
  if (relay?.host !== undefined && relay.host !== 'none')
    event.serverHostname = relay.host.replace(/\.$/, '');
  // The address tells whether the connection went over IPv6, which no inbound connector can list.
  if (relay?.address !== undefined) event.serverIp = relay.address;
  if (event.recipient === '') delete event.recipient;
  return event;
}

/** A refusal of a server tried before the last, handed on of `recipient` (`''`: not known). */
function triedEvent(entry: QueuedMessage, refusal: TriedServer, recipient: string): TraceEvent {
  const delivery: Delivery = { recipient, eventId: 'DEFER', status: refusal.status };
  return deliveryEvent(entry, delivery, refusal.timestamp, triedAt(refusal), refusal.line);
}

/** RECIPIENTS_NOT_PAIRED of `count` refusals whose attempt their file ends during, the first on `first`. */
function openAtEndNote(count: number, first: number, program: MtaProgram): SourceNote {
  const exim = program === 'exim';
  const refusals =
    count === 1
      ? `The refusal on line ${first} of a server tried before the last (a line of its own, which names no recipient) may lack recipients: the file ends during its delivery attempt`
      : `${groupDigits(count)} refusals of servers tried before the last (lines of their own, which name no recipient; the first on line ${first}) may lack recipients: the file ends during their delivery attempts`;
  return {
    code: 'RECIPIENTS_NOT_PAIRED',
    message:
      `${refusals} (no ${exim ? 'Completed' : 'removed'} line follows: the log was rotated then), and no file of ` +
      "the run holds the rest of the attempt's delivery lines: they are in the next file. Analyse it with this one " +
      `(e.g. relay-audit analyze ${exim ? 'mainlog.1 mainlog' : 'mail.log.1 mail.log'}) to have them named.`,
  };
}

/** The key of the mail logs' part of a run (TextRun). */
const ROTATED_ATTEMPTS = 'mta-log:rotated-attempts';

/** How many refusals the run holds back (RotatedAttempts.hold): past them, a file hands on and notes its own. */
const MAX_HELD_ATTEMPTS = 10_000;

/**
 * How long a delivery attempt goes on after a refusal in it, at most: 5 hours. Postfix's smtp(8)
 * handles one delivery request — one attempt of a message to its next hop, through each server it
 * tries — under the watchdog of `daemon_timeout` (postconf(5), default 18000s), which ends the process
 * past it. Exim has no such watchdog, but its smtp transport's default timeouts (connect_timeout and
 * command_timeout 5 minutes, final_timeout 10 minutes) for at most `hosts_max_try` (5) hosts an attempt
 * add up to less. A line under the refusal's queue id dated later is of a later attempt or another message.
 */
const MAX_ATTEMPT_MS = 5 * 60 * 60 * 1000;

/** Whether a line dated `timestamp` is at or after a refusal, within the longest its attempt lasts after it. */
function withinAttempt(refusal: TriedServer, timestamp: string): boolean {
  const after = Date.parse(timestamp) - Date.parse(refusal.timestamp);
  return after >= 0 && after <= MAX_ATTEMPT_MS;
}

/**
 * The delivery lines a file holds of a message whose sender's line it does not hold: the message was
 * queued when the log rotated, and its start is in the previous file, maybe with a refusal whose
 * attempt these lines end.
 */
interface Continuation {
  lines: DeliveryRead[];
  /** Lines past MAX_DELIVERIES_KEPT were not kept. */
  more?: boolean;
  /** The time of its first refusal of its own in the file: lines dated from then on are a later attempt's. */
  until?: string;
  /** The time of its removal line (`removed`, `Completed`) when the file read it before any other line of it. */
  removedAt?: string;
}

/**
 * A refusal of a server tried before the last held for the run's end, and its file. `open`: the file
 * ends during its attempt (openAtEnd), and it is noted when no file continues its message; else its
 * attempt's lines are in the file, but not its message's recipient count (countedElsewhere).
 */
interface HeldAttempt {
  file: string;
  entry: QueuedMessage;
  refusal: TriedServer;
  open: boolean;
}

/** A Postfix message's recipient count (`nrcpt=`), read on its from= line dated `seen`. */
interface Counted {
  recipients: number;
  seen: string;
}

/**
 * The mail logs' part of a run (TextRun): a log rotated during a delivery attempt has a refusal of a
 * server tried before the last in the older file, and delivery lines that end its attempt — the
 * recipients it concerns — in the newer one. Each reader leaves here the refusals whose attempt its
 * file ends during (hold) and the lines of the messages whose start its file lacks (continues). Once
 * every file is read, whatever their order, each such refusal takes the recipients of the lines
 * that end its attempt, by the rule of one file (same message; for Exim the same server; dated at or
 * after it, before the message's next refusal there; for Postfix its message's recipient count),
 * each once, and is handed on under its own file and line. The files may not be adjacent rotations
 * (`mail.log.3` and `mail.log.1`): a line under the refusal's queue id ends its attempt only when
 * dated within the longest an attempt lasts (MAX_ATTEMPT_MS) and, for Postfix, of a message that
 * arrived by the refusal (arrivedBy). One whose message no file of the run continues so is noted on
 * its file (RECIPIENTS_NOT_PAIRED): its next file is not in the run. So is a Postfix refusal of a
 * file that lacks its message's `from=` line, and with it the recipient count (`nrcpt=`), given the
 * count its previous file read of the same message (counts).
 *
 * Queue ids are kept per host, so two hosts' lines never pair. Exim's own mainlog names no host: two
 * servers' mainlogs pair only if their Exim ids are equal — made in the same second by processes of
 * the same id — which Exim rules out only with `localhost_number` set.
 */
class RotatedAttempts implements RunPart {
  private readonly held: HeldAttempt[] = [];
  private readonly continued = new BoundedMap<string, Continuation>(MAX_REMOVED_MESSAGES);
  /** The recipient counts of Postfix messages still queued at the end of a file, by queue key. */
  private readonly counted = new BoundedMap<string, Counted>(MAX_REMOVED_MESSAGES);

  /** Holds `refusal` of `entry`, read in `file`, for the end of the run; false when there is no room. */
  public hold(file: string, entry: QueuedMessage, refusal: TriedServer, open: boolean): boolean {
    if (this.held.length >= MAX_HELD_ATTEMPTS) return false;
    this.held.push({ file, entry, refusal, open });
    return true;
  }

  /** The recipient count of a message still queued at the end of a file (its from= line's `nrcpt=`). */
  public counts(key: string, counted: Counted): void {
    this.counted.set(key, counted);
  }

  /** The lines a file holds of the message of queue key `key`, whose start it lacks. */
  public continues(key: string, continuation: Continuation): void {
    const known = this.continued.get(key);
    if (known === undefined) {
      this.continued.set(key, continuation);
      return;
    }
    // The same message in two files of the run (overlapping windows of the newer log), or another one
    // under a reused queue id: each line is judged on its own (ending).
    const room = MAX_DELIVERIES_KEPT - known.lines.length;
    known.lines.push(...continuation.lines.slice(0, Math.max(room, 0)));
    if (continuation.more === true || continuation.lines.length > room) known.more = true;
    if (continuation.until !== undefined && (known.until === undefined || continuation.until < known.until))
      known.until = continuation.until;
    if (
      continuation.removedAt !== undefined &&
      (known.removedAt === undefined || continuation.removedAt < known.removedAt)
    )
      known.removedAt = continuation.removedAt;
  }

  public settle(): HeldBack[] {
    const files = new Map<string, HeldBack & { unpaired: HeldAttempt[] }>();
    for (const attempt of this.held) {
      let held = files.get(attempt.file);
      if (held === undefined) {
        held = { file: attempt.file, events: [], notes: [], unpaired: [] };
        files.set(attempt.file, held);
      }
      const { entry, refusal } = attempt;
      const continuation = attempt.open ? this.continued.get(entry.key) : undefined;
      const ending = continuation === undefined ? [] : this.ending(attempt, continuation);
      const recipients = this.recipients(entry, refusal, ending);
      for (const recipient of recipients) held.events.push(triedEvent(entry, refusal, recipient));
      if (recipients.length === 0 && refusal.named !== true) held.events.push(triedEvent(entry, refusal, ''));
      const continues =
        ending.length > 0 ||
        (continuation?.removedAt !== undefined && withinAttempt(refusal, continuation.removedAt));
      if (attempt.open && (!continues || continuation?.more === true)) held.unpaired.push(attempt);
    }
    this.held.length = 0;
    return [...files.values()].map(({ file, events, notes, unpaired }) => {
      const [first] = unpaired;
      if (first !== undefined)
        notes.push(openAtEndNote(unpaired.length, first.refusal.line, first.entry.program));
      return { file, events, notes };
    });
  }

  /**
   * The lines of another file under a refusal's queue key that may end its attempt: dated from the
   * refusal to the longest an attempt lasts after it, before its message's next refusal there
   * (`until`), and — Postfix — of a message that arrived by the earliest the refusal's file knows its
   * message was queued (its arrival, its sender's or Message-ID's line, the refusal): not another
   * message under the queue id, reused.
   */
  private ending({ entry, refusal }: HeldAttempt, continuation: Continuation): DeliveryRead[] {
    const until = continuation.until;
    const seen = [entry.arrivedAt, entry.knownAt].reduce<string>(
      (earliest, at) => (at !== undefined && at < earliest ? at : earliest),
      refusal.timestamp,
    );
    return continuation.lines.filter(
      (line) =>
        withinAttempt(refusal, line.timestamp) &&
        (until === undefined || line.timestamp < until) &&
        arrivedBy(line.arrival, seen),
    );
  }

  /**
   * The recipients a refusal takes of the lines that end its attempt, in its file and another one
   * (`ending`), as the lines of one file would give them (eximTried, recipientOf), but for those it
   * was handed on of.
   */
  private recipients(entry: QueuedMessage, refusal: TriedServer, ending: readonly DeliveryRead[]): string[] {
    if (entry.program === 'exim') {
      const named = new Set(refusal.names);
      return [
        ...new Set(ending.filter((line) => line.server === refusal.server).map((line) => line.recipient)),
      ].filter((recipient) => !named.has(recipient));
    }
    const endings = [...(refusal.endings ?? []), ...ending.map((line) => line.recipient)];
    const count = entry.recipients ?? this.countOf(entry);
    const recipient = count === 1 ? endings[0] : undefined;
    return recipient === undefined ? [] : [recipient];
  }

  /** The recipient count another file read of a message: of the same message, not one under its queue id reused. */
  private countOf(entry: QueuedMessage): number | undefined {
    const counted = this.counted.get(entry.key);
    return counted !== undefined && arrivedBy(entry.arrivedAt, counted.seen) ? counted.recipients : undefined;
  }
}

/**
 * Postfix's daemons whose lines carry a queue id (postconf(5) `syslog_name`: the name is put before
 * the daemon's). Names another program's tag is unlikely to end in.
 */
const POSTFIX_DAEMONS: ReadonlySet<string> = new Set([
  'bounce',
  'cleanup',
  'discard',
  'error',
  'lmtp',
  'local',
  'pickup',
  'pipe',
  'qmgr',
  'smtp',
  'smtpd',
  'virtual',
]);

/** Which MTA wrote a syslog tag: `postfix/smtp`, `postfix-out/smtp`, `mailout/smtp`, `sm-mta`, `exim4`… */
export function programOf(tag: string): MtaProgram | undefined {
  const parts = tag.toLowerCase().split('/');
  const base = parts[0] ?? '';
  if (base === 'postfix' || base.startsWith('postfix-')) return 'postfix';
  // Postfix under its own `syslog_name` (main.cf or master.cf `-o syslog_name=mailout`) writes
  // `mailout/smtp`: its daemon's name is the last part of the tag.
  if (parts.length > 1 && POSTFIX_DAEMONS.has(parts[parts.length - 1] ?? '')) return 'postfix';
  if (base === 'sendmail' || base === 'sm-mta' || base === 'sm-msp-queue' || base === 'sendmail-mta')
    return 'sendmail';
  if (base === 'exim' || base === 'exim4') return 'exim';
  return undefined;
}

/** Exim's own main.log prefix: `2026-11-28 22:15:03[.123][ +0100][ [pid]] `. */
const EXIM_DATE =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?(?: ([+-]\d{4}))? (?:\[\d{1,10}\] )?(.*)$/;
/** Exim message ids: `1vAbCd-000123-AB` (before 4.97) and `1vAbCd-00000000123-ABCD`. */
const EXIM_ID = /^[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}$/;
/** Postfix queue ids: short (hex) and long (`enable_long_queue_ids`); sendmail's 14-character ids. */
const QUEUE_ID = /^([0-9A-F]{5,12}|[0-9A-Za-z]{10,20}): (.*)$/;
/**
 * Postfix smtpd's rejection of a client's MAIL FROM or RCPT TO (smtpd_check.c, `log_whatsup`):
 * `NOQUEUE: reject: RCPT from …`, or after the session's queue id once an earlier recipient was
 * accepted; `MAIL from` for a sender verified at once (smtpd_delay_reject = no); `reject_warning`
 * under warn_if_reject, which only logs what it would reject; `milter-reject`. Group 1: the verb.
 */
const POSTFIX_REJECTION =
  /^(?:NOQUEUE|[0-9A-F]{5,12}|[0-9A-Za-z]{10,20}): (reject|reject_warning|milter-reject): (?:MAIL|RCPT) from /;
/**
 * Exim's rejection of a client's MAIL FROM or RCPT TO (smtp_in.c `smtp_handle_acl_fail`):
 * `… [temporarily ]rejected RCPT <…>`, `rejected MAIL <…>`, and the line before it when a sender
 * callout failed, `… sender verify fail for <…>: response to "RCPT TO:<…>" … was: 550 5.7.64 …`.
 */
const EXIM_REJECTION = /\brejected (?:MAIL|RCPT) <|\bsender verify (?:fail|defer) for </;
/**
 * rsyslog's repeated-message reduction ($RepeatedMsgReduction on, long in Ubuntu's rsyslog.conf):
 * identical messages in a row after the first are logged once as `message repeated 2 times: [ <message>]`.
 */
const REPEATED = /^message repeated \d+ times: \[\s*/;

/**
 * Whether a line's message is the relay's own rejection of a client's MAIL FROM or RCPT TO (also
 * inside rsyslog's `message repeated` wrapper), and whether a Postfix reject_warning, which let the
 * message through; `undefined` when it is not one.
 */
function ownRejection(program: MtaProgram, message: string): 'reject' | 'warning' | undefined {
  const text = message.replace(REPEATED, '');
  if (program === 'exim') return EXIM_REJECTION.test(text) ? 'reject' : undefined;
  if (program !== 'postfix') return undefined;
  const verb = POSTFIX_REJECTION.exec(text)?.[1];
  if (verb === undefined) return undefined;
  return verb === 'reject_warning' ? 'warning' : 'reject';
}

/**
 * A bounce sendmail makes, logged after the queue id of the message it reports on: `NEWQID: DSN:
 * reason`; `sender notify:` (a delay warning), `postmaster notify:` (to the postmaster, the sender
 * being null) and `return to sender:` (a bounce that failed in its turn). sendmail logs no `from=`
 * line for it: this line is the only sign that NEWQID has the null sender.
 */
const SENDMAIL_BOUNCE = /^([0-9A-Za-z]{10,20}): (?:DSN|sender notify|postmaster notify|return to sender): /;

/**
 * Postfix smtp's note of a temporary error from a server that is not the last it may try
 * (smtp_trouble.c `smtp_rcpt_fail`, `smtp_bulk_fail`: "Just log something informative"):
 * `host NAME[ip] said: 451 4.4.62 … (in reply to RCPT TO command)`, `host NAME[ip] refused to talk to
 * me: 421 …`; the recipients it concerns are kept for the next server. Group 1: the server's name.
 */
const POSTFIX_TRIED = /^host ([^\s[]+)\[([^\]]*)\](?::\d+)? (?:said|refused to talk to me): /;
/**
 * Exim's note of a temporary error from a host that is not the last (transports/smtp.c `write_logs`,
 * Exim 4.87 on): `H=NAME [ip][:port]: SMTP error from remote mail server after MAIL FROM:<…>: 451 …`,
 * after MAIL FROM, DATA or the final dot — errors of the whole batch of addresses sent to that host.
 * Group 1: the host's name.
 */
const EXIM_TRIED = /^H=(\S+) \[([^\]]*)\](?::\d+)?: /;
/**
 * Postfix cleanup's header_checks and body_checks actions (`warning: header Subject: … from …`):
 * they quote the message's own content, not a server's answer.
 */
const POSTFIX_CONTENT_CHECK = /^[a-z_-]+: (?:header|body) /;

/** What a head's lines are: how many are log lines, and the MTA of the first mail line among them. */
interface HeadShape {
  program: MtaProgram | undefined;
  /** Syslog lines (of any program). */
  syslog: number;
  /** Lines of Exim's own main.log. */
  exim: number;
  /** Lines that are neither (blank lines and journalctl's markers are not counted). */
  other: number;
}

function withoutLeadingNuls(text: string): string {
  let start = 0;
  while (text.charCodeAt(start) === 0) start++;
  return start === 0 ? text : text.slice(start);
}

/** Each head's shape, once: every MTA format (and the late one) asks of the same head. */
const SHAPES = new WeakMap<TextHead, HeadShape>();

function shapeOf(head: TextHead): HeadShape {
  const known = SHAPES.get(head);
  if (known !== undefined) return known;
  const dates = new SyslogDates({ now: new Date(0) });
  const shape: HeadShape = { program: undefined, syslog: 0, exim: 0, other: 0 };
  for (const raw of head.lines) {
    // NULs before a line: a log written as its host lost power (see LineOptions.leadingNuls).
    const text = withoutLeadingNuls(raw).trim();
    if (text === '' || isJournalMarker(text)) continue;
    const exim = EXIM_DATE.exec(text);
    const line = exim ? undefined : dates.parse(text);
    if (exim) {
      shape.exim++;
      const id = exim[9]?.split(' ', 1)[0] ?? '';
      if (shape.program === undefined && EXIM_ID.test(id)) shape.program = 'exim';
    } else if (line !== undefined && line !== 'bad-date') {
      shape.syslog++;
      shape.program ??= programOf(line.program);
    } else {
      shape.other++;
    }
  }
  SHAPES.set(head, shape);
  return shape;
}

/**
 * The MTA of the first mail line among a head's lines, when most lines are log lines — whatever
 * programs the others are (dovecot, amavis, opendkim share the mail facility; kernel and systemd
 * lines fill /var/log/syslog and messages).
 */
export function mtaOfHead(head: TextHead): MtaProgram | undefined {
  const shape = shapeOf(head);
  return shape.program !== undefined && shape.syslog + shape.exim >= shape.other ? shape.program : undefined;
}

/**
 * A head of syslog lines none of which is a mail program's: `/var/log/syslog`, RHEL's `messages`, a
 * central syslog server's file of a host, a mail.log that begins with 200 lines of dovecot. Exim's
 * own lines do not count: their date shape is also that of W3C logs (IIS), which are named elsewhere.
 */
function syslogWithoutMailLine(head: TextHead): boolean {
  const shape = shapeOf(head);
  return shape.program === undefined && shape.syslog > 0 && shape.syslog >= shape.other + shape.exim;
}

const FORMAT_OF: Readonly<Record<MtaProgram, FormatId>> = {
  postfix: 'postfix-log',
  sendmail: 'sendmail-log',
  exim: 'exim-log',
};

function mtaFormat(program: MtaProgram): TextFormat {
  return {
    id: FORMAT_OF[program],
    sniff: (head) => mtaOfHead(head) === program,
    createReader: (context) => new MtaLogReader(context),
  };
}

export const postfixLog = mtaFormat('postfix');
export const sendmailLog = mtaFormat('sendmail');
export const eximLog = mtaFormat('exim');

/**
 * A syslog file whose head has no mail line: read whole, as a mail log whose format its first mail
 * line tells (the report calls a file by it, and remediation names that MTA's settings); with no
 * mail line at all it is refused, saying what it is (UNKNOWN_FORMAT).
 */
export const syslogMailLog: LateTextFormat = {
  late: true,
  sniff: syslogWithoutMailLine,
  createReader: (context) => new MtaLogReader(context),
};

/** A Postfix or sendmail line without its syslog prefix: `3F7A21C0B4: to=<…>, …`. */
const BARE_QUEUE_LINE = /^(?:[0-9A-F]{5,12}|[0-9A-Za-z]{10,20}): (?:from=|to=|message-id=|client=|removed$)/;
/** An Exim line without its date: `1vAbCd-000123-AB <= …`. */
const BARE_EXIM_LINE =
  /^[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} (?:<=|=>|->|>>|==|\*\*|Completed$)/;
/** journalctl `-o json-pretty`: one field a line, `"MESSAGE" : "…",`. */
const JOURNAL_PRETTY = /^\s*"(?:__REALTIME_TIMESTAMP|SYSLOG_IDENTIFIER|MESSAGE)" : /m;
/** journalctl `-o verbose` and `-o export`: one field a line, `SYSLOG_IDENTIFIER=postfix/smtp`. */
const JOURNAL_FIELDS = /^\s*SYSLOG_IDENTIFIER=\S/m;

/**
 * What to do with journalctl output relay-audit cannot read: these shapes (whyUnreadable) and the
 * ones input/unsupported-inputs.ts names (`-o short-monotonic`, `-o short-delta`).
 */
export const JOURNAL_EXPORT_AGAIN =
  'Export the journal again with one dated entry a line — journalctl -u postfix -o short-iso > mail.log, or -o json ' +
  '(the unit is postfix, exim4 or sendmail) — and analyse that.';

/**
 * Why a head that holds a mail log cannot be read, or `undefined`: journalctl output without its
 * dates (`-o cat`: the messages alone, which cannot be dated or told apart by host) or with one
 * field a line (`-o json-pretty`, `-o verbose`, `-o export`).
 */
function whyUnreadable(head: TextHead): string | undefined {
  const shape = shapeOf(head);
  if (shape.syslog > 0 || shape.exim > 0) return undefined;
  if (JOURNAL_PRETTY.test(head.text)) {
    return `looks like journalctl -o json-pretty output (one field a line), which relay-audit does not read. ${JOURNAL_EXPORT_AGAIN}`;
  }
  if (JOURNAL_FIELDS.test(head.text)) {
    return `looks like journalctl -o verbose or -o export output (one field a line), which relay-audit does not read. ${JOURNAL_EXPORT_AGAIN}`;
  }
  const lines = head.lines.filter((line) => line.trim() !== '' && !isJournalMarker(line.trim()));
  const bare = lines.filter((line) => BARE_QUEUE_LINE.test(line) || BARE_EXIM_LINE.test(line));
  // Mostly mail lines: a stray line of that shape in another text is no log.
  if (bare.length === 0 || bare.length * 3 < lines.length) return undefined;
  return (
    `looks like journalctl -o cat output: mail log lines without their date or host ("${quoteText(bare[0] ?? '', 60)}"), ` +
    `so no refusal in it can be dated or told from another host's. ${JOURNAL_EXPORT_AGAIN}`
  );
}

/**
 * A mail log in a shape relay-audit cannot read (see {@link whyUnreadable}), as a format whose
 * reader refuses it with what to export instead (UNKNOWN_FORMAT) — not taken for a CSV file without
 * headers. Found in a folder, it is then analysed and fails, like a file named.
 */
export function unreadableMailLog(head: TextHead): TextFormat | undefined {
  const reason = whyUnreadable(head);
  if (reason === undefined) return undefined;
  return {
    // Never recorded: parse-text.ts records a format once its reader is made, and this one is not.
    id: 'postfix-log',
    sniff: () => true,
    createReader: (context) => {
      throw new UnknownFormatError(`${context.file}: ${reason}`, { file: context.file });
    },
  };
}

/** What a delivery line says of one recipient. */
interface Delivery {
  recipient: string;
  /** SEND, DEFER or FAIL. */
  eventId: string;
  /** The answer text, when the line has one. */
  status: string | undefined;
  /**
   * When the MTA redirected the message to `recipient` (an alias, a `.forward`): the addresses it was
   * redirected from, nearest first, the one it arrived for last. Postfix `orig_to=<…>`; Exim's
   * `(parents) <top>` after the recipient (eximDelivery).
   */
  redirectedFrom?: string[];
  /**
   * The envelope sender the delivery line itself names (Exim's `P=`, else `F=`): the refusal's sender
   * when the message's `<=` line was not read.
   */
  sender?: string;
}

/** The MTAs as messages name them. */
const MTA_NAMES: Readonly<Record<MtaProgram, string>> = {
  postfix: 'Postfix',
  sendmail: 'sendmail',
  exim: 'Exim',
};

/** How many programs the reader names when a syslog file has no mail line. */
const MAX_PROGRAMS_NAMED = 32;

/**
 * Whether `reader`, a mail log's, read a relay refusal on `line` that it did not hand to its sink: a
 * refusal of a server tried before the last that the run hands on once every file is read
 * (RotatedAttempts), or a repeat of one read earlier in the file (a block of the log read twice). Asked
 * of the file's last line once the file has ended: a line without a line end whose refusal was read
 * this way was read, not lost (parse-text.ts readCutLine).
 */
export function refusalReadAside(reader: TextReader, line: number): boolean {
  return reader instanceof MtaLogReader && reader.readAside(line);
}

export class MtaLogReader extends LineReader implements LateTextReader {
  private readonly dates: SyslogDates;
  private readonly queue: BoundedMap<string, QueuedMessage>;
  /** Messages removed from the queue lately, for their lines read after it (see leave, afterFacts). */
  private readonly recentlyRemoved: BoundedMap<string, QueuedMessage>;
  /** When messages were removed whose removal was read before their other lines (out of order): see openAtEnd. */
  private readonly removedFirst: BoundedMap<string, string>;
  /** The hosts and senders of the queued messages, one copy each (entry, sender). */
  private readonly strings = new StringPool();
  /**
   * A sender or Message-ID was read dated before a delivery of its message handed on without it: the
   * file is read newest first (afterFacts).
   */
  private backwards = false;
  /**
   * A line of a message was read dated before one of its lines read earlier (newest first, sorted by
   * the second, shuffled, a block of the log repeated): from then on every message keeps its delivery
   * lines (deliveryRead).
   */
  private outOfOrder = false;
  private forgotten = 0;
  /** Events handed on: how far apart two events are in the classifier's window. */
  private handed = 0;
  /**
   * Messages whose sender was read after (or in the same second as) a delivery of theirs handed on
   * without it — the lines out of order — and the most events between the two.
   */
  private sendersLate = 0;
  /**
   * The relay's own rejections quoting a relay refusal its verification got (see `verifyRefusal`), the
   * first's line, and how many of them were Postfix reject_warning lines.
   */
  private verifyRefusals = 0;
  private firstVerifyRefusal: number | undefined;
  private verifyWarnings = 0;
  private farthestSender = 0;
  /** Messages with refusals of servers tried before the last not yet handed on (TriedServer), evicted or not. */
  private readonly triedWaiting = new Set<QueuedMessage>();
  /** Such refusals that may lack recipients the lines name (TriedServer.unpaired), and the first's line. */
  private triedUnpaired = 0;
  private firstTriedUnpaired: number | undefined;
  /** Such refusals past MAX_DELIVERIES_KEPT of one attempt, handed on at once without a recipient, and the first's line. */
  private triedUnkept = 0;
  private firstTriedUnkept: number | undefined;
  /**
   * Such refusals whose attempt the file ends during (openAtEnd), and the first's line; the time of the
   * latest mail line read — the file's end in time, whatever the order of its lines.
   */
  private triedOpenAtEnd = 0;
  private firstTriedOpenAtEnd: number | undefined;
  private latestRead = '';
  /** The number of the latest line read: at the end of the file, its last line. */
  private lastLine = 0;
  /**
   * The latest line whose relay refusal was read but not handed to the sink (see {@link refusalReadAside}):
   * its file's last line, read without a line end, was read all the same.
   */
  private asideLine: number | undefined;
  /** The run's refusals and lines of messages a rotation cut in two (absent: the file is read alone). */
  private readonly rotation: RotatedAttempts | undefined;
  /**
   * The delivery lines of the messages whose sender's line the file has not read, by queue key, for
   * the run (RotatedAttempts.continues): the first MAX_REMOVED_MESSAGES messages, those a rotation
   * left at the top of a file read in order. `entry`: the message's, once a line of it made one (its
   * removal alone makes none).
   */
  private readonly continuations = new Map<
    string,
    { entry: QueuedMessage | undefined; continuation: Continuation }
  >();
  private eximLocalDates = 0;
  /** The MTA of the first mail line: the file's format. */
  private program: MtaProgram | undefined;
  /** Until a mail line is read: the lines of other programs, by program, to say what the file is. */
  private readonly others = new Map<string, number>();
  private otherLines = 0;
  /** Lines that began with NUL bytes, those that held nothing else, and the NULs. */
  private nulLines = 0;
  private nulOnlyLines = 0;
  private nuls = 0;

  public constructor(
    private readonly context: TextContext,
    private readonly maxQueued = MAX_QUEUED_MESSAGES,
    maxRemoved = MAX_REMOVED_MESSAGES,
  ) {
    super({ leadingNuls: true });
    this.dates = new SyslogDates(context);
    this.queue = new BoundedMap(maxQueued);
    this.recentlyRemoved = new BoundedMap(maxRemoved);
    this.removedFirst = new BoundedMap(maxRemoved);
    this.rotation = context.run?.part(ROTATED_ATTEMPTS, () => new RotatedAttempts());
  }

  public format(): FormatId | undefined {
    return this.program === undefined ? undefined : FORMAT_OF[this.program];
  }

  /** See {@link refusalReadAside}. */
  public readAside(line: number): boolean {
    return line === this.asideLine;
  }

  public unknown(scope: string): string {
    const named = [...this.others]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([program, lines]) => `${program} ${groupDigits(lines)}`);
    const more = this.others.size > 5 ? ', …' : '';
    return (
      `a syslog file (${plural(this.otherLines, 'line')} of other programs: ${named.join(', ')}${more}) ` +
      `with no Postfix, sendmail or Exim line ${scope}`
    );
  }

  public override notes(): SourceNote[] {
    const notes = this.dates.notes();
    if (this.eximLocalDates > 0) {
      notes.push({
        code: 'LOCAL_TIME_ASSUMED',
        message: `${this.eximLocalDates} Exim dates have no time zone (log_timezone is off): the times are taken as UTC.`,
      });
    }
    if (this.forgotten > 0) {
      notes.push({
        code: 'QUEUE_IDS_FORGOTTEN',
        message:
          // What the reader saw, not the MTA's queue: a message whose last lines are not in the file
          // (or that sendmail never says all its recipients are done with) stays open.
          `more than ${this.maxQueued.toLocaleString('en-US')} messages were open at one point of the log, with no ` +
          'line yet saying they left the queue (Postfix removed, Exim Completed, a final status for each recipient ' +
          'of a sendmail message): the senders of ' +
          `${this.forgotten.toLocaleString('en-US')} queue ids were forgotten to bound memory, so refusals of those ` +
          'messages, if any, are classified without their envelope sender.',
      });
    }
    if (this.verifyRefusals > 0) {
      const all = this.verifyRefusals;
      const warnings = this.verifyWarnings;
      const which =
        warnings === all
          ? all === 1
            ? 'It is'
            : 'They are'
          : `${groupDigits(warnings)} of them ${warnings === 1 ? 'is' : 'are'}`;
      // warn_if_reject only logs what it would reject: that mail was queued, and its delivery is read.
      const warned =
        warnings === 0
          ? ''
          : `${which} Postfix's reject_warning (warn_if_reject), which only warns: that mail was accepted, ` +
            'and its delivery is read like any other. ';
      notes.push({
        code: 'VERIFY_REFUSALS',
        message:
          `${all === 1 ? `Line ${this.firstVerifyRefusal} is this relay's own rejection` : `${groupDigits(all)} lines (the first on line ${this.firstVerifyRefusal}) are this relay's own rejections`} ` +
          'at RCPT time (or MAIL time) quoting an Exchange Online relay refusal its address verification got ' +
          "(reject_unverified_recipient or reject_unverified_sender, an Exim callout): the client's MAIL FROM or " +
          `RCPT TO is refused, so nothing is queued for it. ${warned}Such a line relays no message, so it is no ` +
          'finding; the refusal is the same: fix what the findings say, or check the connector the relay uses ' +
          '(relay-audit check).',
      });
    }
    if (this.sendersLate > 0) {
      const arrival = this.program === 'exim' ? '<=' : 'from=';
      const messages =
        this.sendersLate === 1
          ? '1 message has a delivery line before its'
          : `${groupDigits(this.sendersLate)} messages have delivery lines before their`;
      notes.push({
        code: 'SENDER_READ_LATE',
        message:
          `${messages} ${arrival} line: the lines are out of order (newest first, as a SIEM export or tac lists ` +
          'them, or sorted by a time to the second). Each sender was given to the deliveries above it, read at ' +
          `most ${plural(this.farthestSender, 'event')} after them; a refusal waits for it as many events as ` +
          '--window says (one whose sender comes later is classified without it, and counted in SENDER_NOT_SEEN).',
      });
    }
    if (this.triedUnpaired > 0) {
      const refusals =
        this.triedUnpaired === 1
          ? `The refusal on line ${this.firstTriedUnpaired} of a server tried before the last (a line of its own, which names no recipient) may lack`
          : `${groupDigits(this.triedUnpaired)} refusals of servers tried before the last (lines of their own, which name no recipient; the first on line ${this.firstTriedUnpaired}) may lack`;
      notes.push({
        code: 'RECIPIENTS_NOT_PAIRED',
        message:
          `${refusals} recipients the log names: its lines are out of order, and a delivery line that ends the ` +
          "refusal's attempt was read where it could not be paired with it (before it, after the message's " +
          'sender line; or after the refusal was handed on without a recipient). Such a refusal is counted once, ' +
          'without its recipient. Analyse the log in the order it was written (oldest first) to have them named.',
      });
    }
    if (this.triedUnkept > 0) {
      const refusals =
        this.triedUnkept === 1
          ? `The refusal on line ${this.firstTriedUnkept} of a server tried before the last (a line of its own, which names no recipient) came`
          : `${groupDigits(this.triedUnkept)} refusals of servers tried before the last (lines of their own, which name no recipient; the first on line ${this.firstTriedUnkept}) came`;
      notes.push({
        code: 'RECIPIENTS_NOT_PAIRED',
        message:
          `${refusals} past the first ${groupDigits(MAX_DELIVERIES_KEPT)} of one delivery attempt of their message: ` +
          'to bound memory they were not kept for the delivery lines that name their recipients, and each is ' +
          `read without one. ${this.program === 'exim' ? 'Exim logs one such line for each host it tries' : 'Postfix logs a few such lines an attempt (smtp_mx_address_limit)'}: ` +
          'so many suggest lines another program wrote under its name, or a log filtered to them.',
      });
    }
    // With a run, it notes those no file of the run continues once it has read them all (RotatedAttempts).
    if (this.triedOpenAtEnd > 0 && this.firstTriedOpenAtEnd !== undefined && this.program !== undefined)
      notes.push(openAtEndNote(this.triedOpenAtEnd, this.firstTriedOpenAtEnd, this.program));
    const nuls = nulBytesNote({
      nuls: this.nuls,
      leading: this.nulLines,
      inside: 0,
      alone: this.nulOnlyLines,
    });
    if (nuls !== undefined) notes.push(nuls);
    // A refusal without its from= line here may have it in another file of the run: the run says
    // which had none anywhere (SENDER_NOT_SEEN, source-accounting.ts).
    return notes;
  }

  protected line(raw: string, line: number, tooLong: boolean, nuls: number): void {
    const sink = this.sink;
    this.lastLine = line;
    const text = raw.trim();
    if (nuls > 0) {
      this.nulLines++;
      this.nuls += nuls;
      if (text === '') {
        // Nothing but NULs: no log line, but a row of the file all the same.
        this.nulOnlyLines++;
        sink.row(line);
        sink.count('NOT_A_LOG_LINE');
        return;
      }
    }
    if (text === '') return;
    sink.row(line);
    if (tooLong) {
      this.skipLine(
        line,
        'RECORD_TOO_LARGE',
        `the line is longer than ${raw.length} characters: not a log line`,
        text,
      );
      return;
    }
    if (isJournalMarker(text)) {
      sink.count('NOT_A_LOG_LINE');
      return;
    }
    const exim = EXIM_DATE.exec(text);
    if (exim) {
      this.eximMainLine(exim, line, sink);
      return;
    }
    const parsed = this.dates.parse(text);
    if (parsed === undefined) {
      this.skipLine(line, 'BAD_LINE', `not a syslog line: "${quoteText(text, 80)}"`, text);
      return;
    }
    if (parsed === 'bad-date') {
      const start = quoteText(text.slice(0, 32), 32);
      this.skipLine(line, 'BAD_TIMESTAMP', `"${start}" does not start with a real date`, text);
      return;
    }
    const program = programOf(parsed.program);
    if (program === undefined) {
      // A line of a program relay-audit does not read (a relay of its own, or one that names no
      // program: RFC 5424 APP-NAME `-`) with a refusal in it is not counted away with other
      // programs' lines: its file fails, naming the line.
      if (refusalMarkerIn(parsed.message) !== undefined) {
        const what =
          parsed.program === ''
            ? 'names no program'
            : `is a line of "${quoteText(parsed.program, 40)}", a program relay-audit does not read (it reads Postfix, also under a syslog_name of its own, Exim and sendmail)`;
        this.skipLine(line, 'BAD_LINE', `${what}: "${quoteText(text, 80)}"`, text);
        return;
      }
      if (this.program === undefined) this.tally(parsed.program);
      sink.count('OTHER_PROGRAM');
      return;
    }
    this.program ??= program;
    if (program === 'exim') {
      // Exim writing to syslog may still start its text with its own date: the syslog date wins.
      const own = EXIM_DATE.exec(parsed.message);
      this.exim(own ? (own[9] as string) : parsed.message, parsed, line);
    } else {
      this.queued(program, parsed, line);
    }
  }

  /**
   * Skips a line that cannot be read. One that holds relay-refusal text is skipped as
   * REFUSAL_NOT_READ, which fails the file (parse-text.ts): its refusal is never lost unsaid.
   */
  private skipLine(line: number, reason: SkipReason, message: string, text: string): void {
    const skipped = skipSearched(reason, message, text);
    this.sink.skip(line, skipped.reason, skipped.message);
  }

  private eximMainLine(match: RegExpExecArray, line: number, sink: TextSink): void {
    const [, , , , , , , ms, zone, rest] = match;
    const local = utcOfDigits(match.slice(1, 7), ms);
    if (local === undefined) {
      sink.skip(line, 'BAD_TIMESTAMP', `"${quoteText(match[0].slice(0, 23), 23)}" is not a real date`);
      return;
    }
    if (zone === undefined) this.eximLocalDates++;
    const timestamp = new Date(local - (zone === undefined ? 0 : zoneMinutes(zone)) * 60_000).toISOString();
    this.exim(rest as string, { timestamp, host: '', program: 'exim', message: rest as string }, line);
  }

  /** Counts a line of another program, while no mail line has been read (a few dozen names at most). */
  private tally(program: string): void {
    this.otherLines++;
    const lines = this.others.get(program);
    if (lines !== undefined) this.others.set(program, lines + 1);
    else if (this.others.size < MAX_PROGRAMS_NAMED) this.others.set(program, 1);
  }

  /**
   * Postfix and sendmail: `QUEUEID: from=<…>` / `QUEUEID: to=<…>, …`; Postfix's `QUEUEID: host … said: …`
   * (a server tried before the last); sendmail's `QUEUEID: NEWQID: DSN: …`.
   */
  private queued(program: MtaProgram, syslog: SyslogLine, line: number): void {
    const match = QUEUE_ID.exec(syslog.message);
    if (!match) {
      // connect/disconnect, NOQUEUE rejects, warnings: read, nothing to keep.
      this.withoutQueueId(program, syslog.message, line);
      return;
    }
    const [, queueId, text] = match as unknown as [string, string, string];
    const key = queueKey(syslog.host, queueId);
    const timestamp = syslog.timestamp;
    if (timestamp > this.latestRead) this.latestRead = timestamp;
    if (text === 'removed') {
      this.leave(key, timestamp);
      return;
    }
    const id = { program, host: syslog.host, queueId };
    if (text.startsWith('from=')) {
      const entry = this.entry(key, id, timestamp);
      let news = this.sender(entry, addressAt(text, 5), timestamp, line);
      // sendmail names the Message-ID on its from= line; Postfix on its cleanup line.
      const msgid = /(?:^|, )msgid=(<[^>]*>|[^,\s]+)/.exec(text);
      if (msgid) news = setMessageId(entry, msgid[1] as string, timestamp, line) || news;
      const count = /(?:^|, )nrcpts?=(\d+)/.exec(text)?.[1];
      if (count !== undefined && entry.recipients === undefined) entry.recipients = Number(count);
      this.afterFacts(key, entry, news, timestamp, line);
      if (program === 'sendmail') this.sendmailDone(key, entry);
      return;
    }
    if (text.startsWith('message-id=')) {
      const entry = this.entry(key, id, timestamp);
      this.afterFacts(key, entry, setMessageId(entry, text.slice(11), timestamp, line), timestamp, line);
      return;
    }
    if (!text.startsWith('to=')) {
      if (program === 'sendmail') {
        if (this.sendmailBounce(key, text, syslog, line)) return;
      } else {
        // smtpd's rejection of a later recipient of a session that already has a queue file.
        if (this.verifyRefusal(program, syslog.message, line)) return;
        const tried = POSTFIX_TRIED.exec(text);
        if (tried !== null) {
          this.triedServer(key, id, tried[1] as string, tried[2], text, syslog.timestamp, line);
          return;
        }
        if (POSTFIX_CONTENT_CHECK.test(text)) return;
      }
      this.unreadLine(program, text, line);
      return;
    }
    const deliveries = program === 'postfix' ? postfixDelivery(text) : sendmailDeliveries(text);
    if (typeof deliveries === 'string') {
      // A delivery line read as nothing would count as analysed: a refusal on it would be lost unsaid.
      this.skipLine(line, 'UNKNOWN_STATUS', deliveries, text);
      return;
    }
    const entry = this.entry(key, id, timestamp, true);
    if (program === 'postfix') {
      const arrival = delayArrival(timestamp, text);
      if (arrival !== undefined) entry.arrivedAt ??= arrival;
      // Its stand-in's hour (queuedMessageIdentity), fixed at the first delivery line read.
      if (entry.messageId === undefined && entry.arrival === undefined) {
        entry.arrival = arrival ?? timestamp;
        if (syslog.zone !== undefined) entry.zone = syslog.zone;
      }
    }
    const recipient = deliveries[0]?.recipient;
    if (program === 'postfix' && recipient !== undefined) {
      this.deliveryRead(entry, recipient, undefined, timestamp);
      // The delivery line that ends Postfix's attempt, whatever its relay (one recipient a line).
      if (entry.tried !== undefined) {
        const ending = { recipient, timestamp };
        this.lateEnding(entry, ending);
        this.reportTried(entry, ending);
      }
    }
    const to = relayOf(text);
    for (const delivery of deliveries) this.deliver(delivery, entry, syslog, to, line);
    if (program === 'sendmail') this.sendmailDelivered(key, entry, deliveries);
  }

  /**
   * A line of an MTA that does not start with a queue id. Such lines say nothing of a message, but
   * one that holds relay-refusal text is either the relay's own rejection quoting the answer its
   * address verification got (verifyRefusal) — or a delivery in a shape not read (a prefix a syslogd
   * or collector put before the queue id), skipped as REFUSAL_NOT_READ, failing the file: counted as
   * analysed, its refusal would be lost unsaid. Only these lines are searched (a few per message:
   * connect, disconnect), not the ones read.
   */
  private withoutQueueId(program: MtaProgram, text: string, line: number): void {
    if (refusalMarkerIn(text) === undefined || this.verifyRefusal(program, text, line)) return;
    const what = `a${program === 'exim' ? 'n' : ''} ${MTA_NAMES[program]} line that does not start with a ${program === 'exim' ? 'message' : 'queue'} id`;
    this.skipLine(line, 'BAD_LINE', `${what}: "${quoteText(text, 80)}"`, text);
  }

  /**
   * A line of a queued message read as none of its shapes (a delivery, a server tried before the
   * last, a bounce, the relay's own rejection): said nothing of before, it is still not counted as
   * analysed when it holds relay-refusal text — skipped as REFUSAL_NOT_READ, failing the file.
   */
  private unreadLine(program: MtaProgram, text: string, line: number): void {
    if (refusalMarkerIn(text) === undefined) return;
    const what = `a${program === 'exim' ? 'n' : ''} ${MTA_NAMES[program]} line of a queued message in a shape relay-audit does not read`;
    this.skipLine(line, 'BAD_LINE', `${what}: "${quoteText(text, 80)}"`, text);
  }

  /**
   * A refusal of a server tried before the last (TriedServer), which names no recipient. Its recipients
   * are those of the delivery lines that end its attempt — of its message, dated at or after it,
   * before the next attempt — wherever they stand: below it in a file in order (reportTried,
   * eximTried), above it in one read newest first (deliveryRead). It is handed on without a recipient
   * — as a refusal of the message whose recipient the run may name (classifier/unnamed-recipients.ts)
   * — when none is found by the time the message leaves the queue (its removal; newest first, its
   * sender's line) with its attempt ended, its next attempt begins or the file ends; at once when the
   * queue had no room for the message. So it also waits on a message whose removal was read before
   * that attempt's delivery lines (sorted by the second, shuffled), which find it among the recently
   * removed. The same line read again is a repeat, read once.
   */
  private triedServer(
    key: string,
    id: Pick<QueuedMessage, 'program' | 'host' | 'queueId'>,
    server: string,
    address: string | undefined,
    status: string,
    timestamp: string,
    line: number,
  ): void {
    if (!this.context.isRelevant('DEFER', 'SMTP', status, undefined)) return;
    const entry = this.entry(key, id, timestamp, true);
    // The line read again (a block of the log repeated, as `cat` of overlapping windows or of a file
    // with itself gives) is a repeat: its refusal was read, and is handed on as it was the first time.
    const read = triedLine(timestamp, server, status);
    if (entry.triedLines?.has(read) === true) {
      this.aside(line, status);
      return;
    }
    const refusal: TriedServer = { server: detach(server), status: detach(status), timestamp, line };
    if (address !== undefined && address !== '') refusal.address = detach(bareAddress(address));
    // Reported at once, without a recipient: when its message has no room in the queue, or its
    // attempt no room for more (see below).
    const reportAlone = () =>
      this.report(
        entry,
        { recipient: '', eventId: 'DEFER', status: refusal.status },
        timestamp,
        triedAt(refusal),
        line,
      );
    if (this.queue.get(key) !== entry && this.recentlyRemoved.get(key) !== entry) {
      reportAlone();
      return;
    }
    // Refusals named or handed on belong to another attempt (newest first, a later one): this one
    // begins anew.
    if (entry.tried?.some((other) => other.named === true || other.handed === true)) {
      this.reportTried(entry, undefined, true);
      delete entry.tried;
      delete entry.triedLines;
    }
    if (entry.tried === undefined) {
      entry.tried = [];
      entry.triedLines = new Set();
    } else if (entry.tried.length >= MAX_DELIVERIES_KEPT) {
      // Not kept (and so not known again if read twice: the run counts its repeat): never lost unsaid.
      this.triedUnkept++;
      this.firstTriedUnkept ??= line;
      reportAlone();
      return;
    }
    entry.tried.push(refusal);
    entry.triedLines?.add(detach(read));
    this.triedWaiting.add(entry);
    // Its lines in this file from now on are of this attempt, not of one a rotation cut short.
    const continuation = this.continuationOf(key, entry, false);
    if (continuation !== undefined && (continuation.until === undefined || timestamp < continuation.until))
      continuation.until = timestamp;
    const delivered = entry.deliveriesRead;
    if (delivered !== undefined) delivered.closed = true;
    const above = delivered?.lines.filter((delivery) => delivery.timestamp >= timestamp) ?? [];
    if (delivered?.more === true || (above.length === 0 && readAfterItsEnd(entry, refusal)))
      refusal.unkept = true;
    if (entry.program !== 'exim') {
      if (above.length > 0) refusal.endings = above.map((delivery) => delivery.recipient);
      return;
    }
    for (const delivery of above) {
      if (delivery.server === refusal.server) this.nameTried(entry, refusal, delivery.recipient);
    }
  }

  /**
   * A delivery line of a message, kept for the refusals of servers tried before the last read after
   * it (triedServer): newest first, they come below the lines that end their attempt. Kept while the
   * message's sender's line was not read (newest first, it is below) or once the file's lines are
   * seen out of order; in a file in order the refusals come first, and they wait (reportTried).
   */
  private deliveryRead(
    entry: QueuedMessage,
    recipient: string,
    server: string | undefined,
    timestamp: string,
  ): void {
    if (entry.deliveredAt === undefined || timestamp > entry.deliveredAt) entry.deliveredAt = timestamp;
    if (entry.from === undefined) this.continued(entry, recipient, server, timestamp);
    if (entry.from !== undefined && !this.outOfOrder) return;
    let read = entry.deliveriesRead;
    if (read === undefined || read.closed) {
      read = { lines: [], closed: false };
      entry.deliveriesRead = read;
    }
    this.keepLine(read, recipient, server, timestamp);
  }

  /** Keeps a delivery line in `kept`, up to {@link MAX_DELIVERIES_KEPT} (then only that there were more). */
  private keepLine(
    kept: { lines: DeliveryRead[]; more?: boolean },
    recipient: string,
    server: string | undefined,
    timestamp: string,
    arrival?: string,
  ): void {
    if (kept.lines.length >= MAX_DELIVERIES_KEPT) {
      kept.more = true;
      return;
    }
    const through = server === undefined ? undefined : this.strings.intern(server);
    const line: DeliveryRead = { recipient: detach(recipient), server: through, timestamp };
    if (arrival !== undefined) line.arrival = arrival;
    kept.lines.push(line);
  }

  /**
   * A delivery line of a message whose sender's line the file has not read: kept for the run, whose
   * previous file may end during the attempt it ends (RotatedAttempts).
   */
  private continued(
    entry: QueuedMessage,
    recipient: string,
    server: string | undefined,
    timestamp: string,
  ): void {
    const continuation = this.continuationOf(entry.key, entry, true);
    if (continuation === undefined) return;
    // With its message's arrival: what tells it from another message's under a reused queue id.
    this.keepLine(continuation, recipient, server, timestamp, entry.arrivedAt);
  }

  /**
   * The lines kept for the run of the message of queue key `key` (`entry`, when a line of it made
   * one), begun when `begin` and there is room; `undefined` for another message under the queue id
   * (Postfix reuses its short ids: the first keeps it) or when the file is read alone.
   */
  private continuationOf(
    key: string,
    entry: QueuedMessage | undefined,
    begin: boolean,
  ): Continuation | undefined {
    if (this.rotation === undefined) return undefined;
    const known = this.continuations.get(key);
    if (known !== undefined) {
      // Its removal was read before its other lines (newest first, shuffled).
      known.entry ??= entry;
      return known.entry === entry ? known.continuation : undefined;
    }
    if (!begin || this.continuations.size >= MAX_REMOVED_MESSAGES) return undefined;
    const continuation: Continuation = { lines: [] };
    this.continuations.set(detach(key), { entry, continuation });
    return continuation;
  }

  /**
   * Hands on the refusals of servers tried before the last waiting on `entry` (those named already
   * only end), Postfix's of the recipient its rule gives (recipientOf), else without one. `ending`: a
   * Postfix delivery line, which ends the attempt of those dated no later than it; the others, of a
   * later attempt read first, wait on. Unless `final`, a refusal also waits while what tells it is
   * still to come (stillToCome: its message's removal read first, lines sorted by the second or
   * shuffled). Handed on, they stay on the message, for a line of it read late (eximTried, lateEnding).
   */
  private reportTried(
    entry: QueuedMessage,
    ending?: { recipient: string; timestamp: string },
    final = false,
  ): void {
    const tried = entry.tried;
    if (tried === undefined) return;
    let waiting = false;
    for (const refusal of tried) {
      if (refusal.handed === true) continue;
      if (ending !== undefined) {
        if (refusal.timestamp > ending.timestamp) {
          waiting = true;
          continue;
        }
        if (refusal.endings === undefined) refusal.endings = [ending.recipient];
        else if (!refusal.endings.includes(ending.recipient)) refusal.endings.push(ending.recipient);
      }
      if (!final && stillToCome(entry, refusal)) {
        waiting = true;
        continue;
      }
      refusal.handed = true;
      // Exim names each recipient of the batch: one not kept may be another than those named.
      const several = entry.recipients !== undefined && entry.recipients !== 1;
      if (refusal.unkept === true && !several && (entry.program === 'exim' || refusal.named !== true))
        this.unpaired(refusal);
      if (refusal.named === true) continue;
      const recipient = recipientOf(entry, refusal);
      if (recipient !== undefined) refusal.named = true;
      const delivery: Delivery = { recipient: recipient ?? '', eventId: 'DEFER', status: refusal.status };
      this.report(entry, delivery, refusal.timestamp, triedAt(refusal), refusal.line);
    }
    if (!waiting) this.triedWaiting.delete(entry);
  }

  /**
   * A Postfix delivery line (`ending`, see reportTried) read after refusals of its attempt were handed
   * on without a recipient (its message's removal was read first): the lines are out of order, and
   * the recipient it would give them is counted, not lost unsaid.
   */
  private lateEnding(entry: QueuedMessage, ending: { recipient: string; timestamp: string }): void {
    if (entry.recipients !== undefined && entry.recipients !== 1) return;
    for (const refusal of entry.tried ?? []) {
      if (refusal.handed === true && refusal.named !== true && refusal.timestamp <= ending.timestamp)
        this.unpaired(refusal);
    }
  }

  /**
   * At the end of a file: counts the refusals of servers tried before the last whose attempt the file
   * ends during, judged by the times of what the file holds of their message, not by where its lines
   * stand (newest first or shuffled within a second, they may be anywhere): no removal line of it
   * (removalRead), and no delivery line dated at or after the refusal, or (Exim) its latest delivery
   * line dated in the second of the file's latest line (mayBeCut: a rotation between the `=>` and `->`
   * lines of one batch; also the end of a block read twice). The rest of the attempt's delivery lines are in
   * the next file, and a reader pairs a refusal only with its own file's lines: in a run they are held
   * for it (RotatedAttempts), which pairs them with the next file's lines, if it is in the run, and
   * hands them on; read alone, they are handed on as they are and noted (RECIPIENTS_NOT_PAIRED), never
   * lost unsaid. A message whose attempt ended earlier and that waits for a retry (a deferral) is not
   * counted.
   */
  private openAtEnd(entry: QueuedMessage): void {
    // Forgotten to bound memory: its refusals are handed on as they are.
    if (this.queue.get(entry.key) !== entry && this.recentlyRemoved.get(entry.key) !== entry) return;
    if (this.removalRead(entry)) return;
    const cut = this.mayBeCut(entry);
    for (const refusal of entry.tried ?? []) {
      if (refusal.handed === true || refusal.unpaired === true) continue;
      if (!cut && attemptEnded(entry, refusal)) continue;
      // Counted here, not again as a refusal of lines out of order (unpaired).
      refusal.unpaired = true;
      if (this.hold(entry, refusal, true)) {
        // The run hands it on, with the recipients the next file names.
        refusal.handed = true;
        continue;
      }
      this.triedOpenAtEnd++;
      this.firstTriedOpenAtEnd = Math.min(this.firstTriedOpenAtEnd ?? refusal.line, refusal.line);
    }
  }

  /**
   * Whether the file may end during an Exim attempt of `entry` that a delivery line of it ended — Exim
   * logs a line for each recipient of the batch, in one second: no removal line of it was read, and its
   * latest delivery line is dated in the second of the latest line read. (Postfix names a refusal's
   * recipient by its message's one recipient's line, the first that ends its attempt: recipientOf.)
   */
  private mayBeCut(entry: QueuedMessage): boolean {
    if (entry.program !== 'exim') return false;
    const delivered = entry.deliveredAt;
    if (delivered === undefined || delivered.slice(0, 19) !== this.latestRead.slice(0, 19)) return false;
    return !this.removalRead(entry);
  }

  /**
   * Whether the file holds the removal line (`removed`, `Completed`) of `entry`: read after a line of
   * it, or before them all (newest first, shuffled) dated no earlier than its delivery lines — one
   * dated earlier is an older message's under a reused queue id.
   */
  private removalRead(entry: QueuedMessage): boolean {
    if (entry.removalRead === true) return true;
    const removal = this.removedFirst.get(entry.key);
    return removal !== undefined && removal >= (entry.deliveredAt ?? entry.lastAt);
  }

  /**
   * At the end of a file: Postfix refusals of servers tried before the last whose attempt's delivery
   * lines the file holds, but not their message's `from=` line and its recipient count (`nrcpt=`,
   * which recipientOf needs): the log rotated between them. Held for the run, which takes the count
   * from the previous file if it is in the run (RotatedAttempts.counts), else hands them on as they are.
   */
  private countedElsewhere(entry: QueuedMessage): void {
    if (this.rotation === undefined || entry.from !== undefined || entry.recipients !== undefined) return;
    for (const refusal of entry.tried ?? []) {
      if (refusal.handed === true || refusal.endings === undefined) continue;
      if (this.hold(entry, refusal, false)) refusal.handed = true;
    }
  }

  /** Holds `refusal` for the run's end (RotatedAttempts.hold); false when the file is read alone or there is no room. */
  private hold(entry: QueuedMessage, refusal: TriedServer, open: boolean): boolean {
    if (this.rotation?.hold(this.context.file, entry, refusal, open) !== true) return false;
    this.aside(refusal.line, refusal.status);
    return true;
  }

  /**
   * A refusal with `status` read on `line` and not handed to the sink: held for the run, or a repeat.
   * Only the file's last line is asked about, and only a relay refusal, as the sink tells one.
   */
  private aside(line: number, status: string): void {
    if (line === this.lastLine && relayRejectionIn(status) !== undefined) this.asideLine = line;
  }

  /** Counts a refusal of a server tried before the last that lacks a recipient the lines name (TriedServer.unpaired). */
  private unpaired(refusal: TriedServer): void {
    if (refusal.unpaired === true) return;
    refusal.unpaired = true;
    this.triedUnpaired++;
    this.firstTriedUnpaired ??= refusal.line;
  }

  /**
   * An Exim delivery line of `recipient` through `host`, dated `timestamp`: the refusals of that host
   * of its message, dated no later, concern it — Exim notes only errors after MAIL FROM, DATA or the
   * final dot, which defer every address of the batch sent to that host, each named by a delivery
   * line of its own. Also one already handed on of other recipients (the lines out of order); one
   * handed on without any is counted (unpaired).
   */
  private eximTried(
    entry: QueuedMessage,
    recipient: string,
    host: string | undefined,
    timestamp: string,
  ): void {
    for (const refusal of entry.tried ?? []) {
      if (refusal.server !== host || refusal.timestamp > timestamp) continue;
      if (refusal.handed === true && refusal.named !== true) this.unpaired(refusal);
      else this.nameTried(entry, refusal, recipient);
    }
  }

  /** Hands on an Exim refusal of a server tried before the last as the refusal of `recipient`. */
  private nameTried(entry: QueuedMessage, refusal: TriedServer, recipient: string): void {
    refusal.named = true;
    if (refusal.names === undefined) refusal.names = [recipient];
    else refusal.names.push(recipient);
    const delivery: Delivery = { recipient, eventId: 'DEFER', status: refusal.status };
    this.report(entry, delivery, refusal.timestamp, triedAt(refusal), refusal.line);
  }

  /**
   * The relay's own rejection of a client's MAIL FROM or RCPT TO quoting a relay refusal its address
   * verification got (Postfix `NOQUEUE: reject: RCPT from … unverified address: host … said: 550
   * 5.7.64 …`, reject_unverified_recipient; Exim `rejected RCPT … callout`): noted (VERIFY_REFUSALS),
   * no finding — no message was relayed, and Exchange Online refused a probe, not the client's mail.
   * True when `message` is one.
   */
  private verifyRefusal(program: MtaProgram, message: string, line: number): boolean {
    // The marker first: most lines hold none, and then no pattern need be tried.
    if (refusalMarkerIn(message) === undefined) return false;
    const rejection = ownRejection(program, message);
    if (rejection === undefined) return false;
    this.verifyRefusals++;
    this.firstVerifyRefusal ??= line;
    if (rejection === 'warning') this.verifyWarnings++;
    return true;
  }

  /**
   * `NEWQID: DSN: …` after the queue id of a message (`reported`): NEWQID is the bounce sendmail made,
   * its sender null (`<>`). `Cannot send message for 5 days` (Timeout.queuereturn) returns every
   * recipient of the message still queued, and sendmail removes it from its queue. True when `text` is one.
   */
  private sendmailBounce(reported: string, text: string, syslog: SyslogLine, line: number): boolean {
    const bounce = SENDMAIL_BOUNCE.exec(text);
    if (bounce === null) return false;
    const queueId = bounce[1] as string;
    if (text.startsWith('Cannot send message for ', bounce[0].length)) this.leave(reported, syslog.timestamp);
    const key = queueKey(syslog.host, queueId);
    const entry = this.entry(key, { program: 'sendmail', host: syslog.host, queueId }, syslog.timestamp);
    this.afterFacts(key, entry, this.sender(entry, '<>', syslog.timestamp, line), syslog.timestamp, line);
    return true;
  }

  /**
   * A sendmail delivery line: its recipients with a final status (sent or failed, not deferred) count
   * towards the message's leaving the queue (sendmailDone). A delivery line of a message that left
   * says its count was wrong (an alias expanded after the from= line counted it): it goes back into
   * the queue, to stay until evicted. Read newest first, afterFacts empties the queue instead.
   */
  private sendmailDelivered(key: string, entry: QueuedMessage, deliveries: readonly Delivery[]): void {
    if (this.backwards) return;
    if (this.recentlyRemoved.get(key) === entry && entry.removedAt === undefined) {
      entry.recipients = -1;
      this.recentlyRemoved.delete(key);
      this.enqueue(entry);
      return;
    }
    const finals = deliveries.filter((delivery) => delivery.eventId !== 'DEFER').length;
    entry.finals = (entry.finals ?? 0) + finals;
    this.sendmailDone(key, entry);
  }

  /**
   * sendmail logs no removal: a message leaves the queue once each recipient its from= line counts
   * has a final status, to the recently removed, where its lines read later still find it — without
   * a removal time, as sendmail does not reuse a queue id (it holds the date and time).
   */
  private sendmailDone(key: string, entry: QueuedMessage): void {
    const recipients = entry.recipients;
    if (this.backwards || recipients === undefined || recipients < 0) return;
    if (this.queue.get(key) !== entry) return;
    const finals = entry.finals ?? 0;
    if (finals > recipients) entry.recipients = -1;
    if (finals !== recipients) return;
    this.queue.delete(key);
    this.keepRemoved(entry);
  }

  /**
   * Exim: `ID <= sender …`, `ID ** rcpt … : 550 5.7.64 …`, `ID == rcpt … defer …`, `ID Completed`;
   * `ID H=host [ip]: …` (a host tried before the last).
   */
  private exim(text: string, syslog: SyslogLine, line: number): void {
    const space = text.indexOf(' ');
    const id = space < 0 ? text : text.slice(0, space);
    if (!EXIM_ID.test(id)) {
      // Queue runs, daemon starts, rejections of the receiving side: read, nothing to keep.
      this.withoutQueueId('exim', text, line);
      return;
    }
    this.program ??= 'exim';
    const key = queueKey(syslog.host, id);
    const rest = text.slice(space + 1);
    const timestamp = syslog.timestamp;
    if (timestamp > this.latestRead) this.latestRead = timestamp;
    if (rest === 'Completed') {
      this.leave(key, timestamp);
      return;
    }
    const flag = rest.slice(0, 3);
    const after = rest.slice(3);
    const queued = { program: 'exim' as const, host: syslog.host, queueId: id };
    if (flag === '<= ') {
      const entry = this.entry(key, queued, timestamp);
      let news = this.sender(entry, after.split(' ', 1)[0] ?? '', timestamp, line);
      const messageId = /(?:^| )id=(\S+)/.exec(after);
      if (messageId) news = setMessageId(entry, messageId[1] as string, timestamp, line) || news;
      this.afterFacts(key, entry, news, timestamp, line);
      return;
    }
    const eventId = EXIM_EVENTS[flag];
    if (eventId === undefined) {
      const tried = EXIM_TRIED.exec(rest);
      if (tried !== null)
        this.triedServer(key, queued, tried[1] as string, tried[2], eximReply(rest), timestamp, line);
      else if (!this.verifyRefusal('exim', text, line)) this.unreadLine('exim', rest, line);
      return;
    }
    const server = eximServerOf(after);
    const host = server?.host;
    const entry = this.entry(key, queued, timestamp, true);
    const delivery = eximDelivery(after, eventId);
    this.eximTried(entry, delivery.recipient, host, timestamp);
    this.deliveryRead(entry, delivery.recipient, host, timestamp);
    this.deliver(delivery, entry, syslog, server, line);
  }

  /**
   * The queue entry of `key`, for a line dated `timestamp`: the queued message, else one removed
   * lately — unless the line is dated after its removal: then it is a new message under the same id.
   * One begun by a delivery line (`ifRoom`: its sender was not read yet) only keeps the message's
   * identity from line to line (a deferral and its bounce, a sender read after it): it is kept only
   * while there is room, never at the cost of a sender.
   */
  private entry(
    key: string,
    id: Pick<QueuedMessage, 'program' | 'host' | 'queueId'>,
    timestamp: string,
    ifRoom = false,
  ): QueuedMessage {
    let entry = this.queue.get(key) ?? this.recentlyRemoved.get(key);
    if (entry?.removedAt !== undefined && timestamp > entry.removedAt) entry = undefined;
    if (entry === undefined) {
      // A literal, not a spread of `id`: the spread was measured to slow the reader down.
      // Copies: slices of the line would keep its whole text (or the chunk it was cut from) alive
      // while the message is queued. Its queue id is the end of its key.
      const kept = detach(key);
      const host = this.strings.intern(id.host);
      const queueId = kept.slice(kept.length - id.queueId.length);
      entry = { key: kept, program: id.program, host, queueId, lastAt: timestamp };
      if (ifRoom && this.queue.size >= this.maxQueued && !this.queue.has(key)) {
        // Read newest first, its sender comes below: lost with it.
        if (this.backwards) this.forgotten++;
        return entry;
      }
      this.enqueue(entry);
    } else if (timestamp > entry.lastAt) entry.lastAt = timestamp;
    else if (timestamp < entry.lastAt) this.outOfOrder = true;
    return entry;
  }

  /** Queues a message. The map forgets the longest-queued id to make room: counted for the notes. */
  private enqueue(entry: QueuedMessage): void {
    if (this.queue.size >= this.maxQueued && !this.queue.has(entry.key)) this.forgotten++;
    this.queue.set(entry.key, entry);
  }

  /** Keeps a message that left the queue for its lines read later (see leave). */
  private keepRemoved(entry: QueuedMessage): void {
    this.recentlyRemoved.set(entry.key, entry);
  }

  /**
   * A message leaves the queue (`removed`, Exim's `Completed`, sendmail's `Cannot send message for`).
   * Lines sorted by a time to the second may still bring its deliveries after it (`qmgr … removed`
   * comes before `smtp … to=`): it is kept among the recently removed when it has something to give,
   * or whatever it has in a file read newest first. A delivery of it that waits for its sender keeps
   * it queued: lines listed newest first by the second put the sender below. A removal dated before a
   * line read of the message is an older message's under a reused queue id (listed newest first): the
   * message read has had all its lines.
   */
  private leave(key: string, timestamp: string): void {
    const removed = this.recentlyRemoved.get(key);
    if (removed !== undefined && timestamp < removed.lastAt) this.recentlyRemoved.delete(key);
    const entry = this.queue.get(key);
    if (entry === undefined) {
      if (removed === undefined) {
        this.removedFirst.set(detach(key), timestamp);
        // No line of it was read: in a file read in order its start, and its attempts', is in the
        // previous file; the run learns the message left the queue here, with no more delivery lines.
        const continuation = this.continuationOf(key, undefined, true);
        if (
          continuation !== undefined &&
          (continuation.removedAt === undefined || timestamp < continuation.removedAt)
        )
          continuation.removedAt = timestamp;
      } else if (this.recentlyRemoved.get(key) === removed) {
        // Read after its sender's line took it from the queue (newest first): no attempt of it goes on.
        removed.removalRead = true;
        this.reportTried(removed);
      }
      return;
    }
    // No delivery line of it is to come: its refusals of servers tried before the last are handed on.
    this.reportTried(entry);
    if (timestamp < entry.lastAt) {
      this.queue.delete(key);
      return;
    }
    entry.removedAt = timestamp;
    entry.removalRead = true;
    if (entry.waiting?.since !== undefined) return;
    this.queue.delete(key);
    // Read newest first, its earlier lines are below: they find it delivered (or its delivery lines).
    const gives =
      entry.knownAt !== undefined ||
      entry.waiting !== undefined ||
      entry.tried !== undefined ||
      entry.deliveriesRead !== undefined;
    if (this.backwards || gives) this.keepRemoved(entry);
  }

  /**
   * After a line that gave a message its sender or Message-ID (`news`: one not known yet): handed on
   * to its deliveries read before (handOnLate). In a file read newest first, the message leaves the
   * queue once its sender is read and it was delivered — its other lines are all read, but for
   * Postfix's `message-id=` line a moment earlier, which finds it among the recently removed — so
   * the queue holds only the messages waiting for their sender. A deferred one stays, handed on at
   * the end of the file (finish). So do the refusals of servers tried before the last of one whose
   * attempt the file may end during (openAtEnd): the next file may name more of their recipients.
   */
  private afterFacts(
    key: string,
    entry: QueuedMessage,
    news: boolean,
    timestamp: string,
    line: number,
  ): void {
    if (news) this.handOnLate(entry, timestamp, line);
    if (!this.backwards || entry.from === undefined || entry.delivered !== true || entry.deferred === true)
      return;
    if (this.queue.get(key) !== entry) return;
    if (!this.mayBeCut(entry)) this.reportTried(entry);
    this.queue.delete(key);
    entry.removedAt ??= entry.lastAt;
    this.keepRemoved(entry);
  }

  /**
   * The sender of a `from=` / `<=` line. Postfix logs it again each time a deferred message is
   * retried. True when it was not known yet.
   */
  private sender(entry: QueuedMessage, address: string, timestamp: string, line: number): boolean {
    const learnt = entry.from === undefined;
    // Its start is in this file (read newest first, below its deliveries): no rotation cut it.
    if (learnt && this.continuationOf(entry.key, entry, false) !== undefined)
      this.continuations.delete(entry.key);
    entry.from = this.strings.intern(normaliseAddress(address));
    entry.knownAt = timestamp;
    entry.knownLine = line;
    return learnt;
  }

  /**
   * A sender or Message-ID, read on `line`, of a message whose deliveries were handed on without it:
   * handed on at once, as a `QUEUED_LATE` event under the name those deliveries had, for the classifier
   * to give them while they wait in its window (evidence/queued-sender.ts) — not at the end of the
   * file, which may be far more events away than the window holds.
   */
  private handOnLate(entry: QueuedMessage, timestamp: string, line: number): void {
    const waiting = entry.waiting;
    if (waiting === undefined) return;
    const event: TraceEvent = {
      timestamp,
      eventId: QUEUED_LATE_EVENT_ID,
      internalMessageId: waiting.name,
      line,
    };
    if (entry.from !== undefined) event.returnPath = entry.from;
    if (entry.messageId !== undefined) event.messageId = entry.messageId;
    if (entry.host !== '') event.clientHostname = entry.host;
    this.handOn(event);
    if (timestamp < waiting.at) this.backwards = true;
    const since = waiting.since;
    if (entry.from === undefined || since === undefined) return;
    delete waiting.since;
    // Dated no later than the delivery: the lines are out of order (not the from= line Postfix logs
    // again when it retries a message whose first one was in the previous file).
    if (timestamp <= waiting.at) {
      this.sendersLate++;
      this.farthestSender = Math.max(this.farthestSender, this.handed - since);
    }
  }

  /**
   * Hands an event on, counting it (see handOnLate). Once the file gave a date without a zone (a
   * traditional syslog date, an Exim date without log_timezone), taken as UTC, its events are marked:
   * a refusal another file dates with its zone then keeps that time, in one run and in the store.
   */
  private handOn(event: TraceEvent): void {
    if (this.dates.zoneless || this.eximLocalDates > 0) event.timeZoneAssumed = true;
    this.sink.event(event);
    this.handed++;
  }

  /**
   * The end of the file: the messages still queued, with a sender or a Message-ID, are handed on for
   * a refusal of them in the next file of the run (the log rotated before they left the queue) —
   * newest first, the ones a rotation cuts in two. A rotation between the `message-id=` and `from=`
   * lines leaves a message its Message-ID alone here: without it the refusal would be named by its
   * stand-in in one run and by its Message-ID in another. A message all of whose deliveries were read
   * and final is not handed on (its refusals named it: see queued-sender.ts). Only a Message-ID the
   * log names is: a stand-in is the same in any file.
   */
  protected override finish(): void {
    super.finish();
    const sink = this.sink;
    for (const entry of [...this.triedWaiting]) {
      this.openAtEnd(entry);
      this.countedElsewhere(entry);
      this.reportTried(entry, undefined, true);
    }
    for (const [key, { continuation }] of this.continuations) this.rotation?.continues(key, continuation);
    this.continuations.clear();
    const queued = [...this.queue.values()].reverse();
    // The newest: those the log rotated before they left the queue.
    for (const entry of queued.slice(0, MAX_REMOVED_MESSAGES)) {
      if (entry.program === 'postfix' && entry.recipients !== undefined && entry.knownAt !== undefined)
        this.rotation?.counts(entry.key, { recipients: entry.recipients, seen: entry.knownAt });
    }
    for (const entry of queued) {
      if (entry.knownAt === undefined || entry.knownLine === undefined) continue;
      if (entry.delivered === true && entry.deferred !== true) continue;
      const event: TraceEvent = {
        timestamp: entry.knownAt,
        eventId: QUEUED_EVENT_ID,
        internalMessageId: entry.queueId,
        line: entry.knownLine,
      };
      if (entry.from !== undefined) event.returnPath = entry.from;
      if (entry.messageId !== undefined) event.messageId = entry.messageId;
      if (entry.host !== '') event.clientHostname = entry.host;
      sink.event(event);
    }
  }

  /**
   * A delivery to an address the MTA redirected from another (Postfix `orig_to=`, Exim's parent
   * addresses) is what Exchange logs as REDIRECT rows, one a step: evidence that the message first
   * arrived for the original address. The same events, so the forwarding rule and the inbound index
   * judge them alike (forwarding when an original address is internal and the new one is not).
   */
  private redirect(delivery: Delivery, queued: QueuedMessage, syslog: SyslogLine, line: number): void {
    if (delivery.redirectedFrom === undefined) return;
    if (!this.context.isRelevant('REDIRECT', 'ROUTING', undefined, undefined)) return;
    let target = normaliseAddress(delivery.recipient);
    for (const from of delivery.redirectedFrom) {
      const original = normaliseAddress(from);
      if (original !== '' && target !== '' && original !== target) {
        const event: TraceEvent = {
          timestamp: syslog.timestamp,
          eventId: 'REDIRECT',
          source: 'ROUTING',
          recipient: target,
          relatedRecipient: original,
          messageId: messageIdOf(queued),
          line,
        };
        if (syslog.host !== '') event.clientHostname = syslog.host;
        this.handOn(event);
      }
      target = original;
    }
  }

  private deliver(
    delivery: Delivery,
    queued: QueuedMessage,
    syslog: SyslogLine,
    relay: DeliveredTo | undefined,
    line: number,
  ): void {
    queued.delivered = true;
    if (delivery.eventId === 'DEFER') queued.deferred = true;
    this.redirect(delivery, queued, syslog, line);
    this.report(queued, delivery, syslog.timestamp, relay, line);
  }

  /** Hands on what a line says of one recipient of a queued message (a recipient `''` is not known). */
  private report(
    queued: QueuedMessage,
    delivery: Delivery,
    timestamp: string,
    relay: DeliveredTo | undefined,
    line: number,
  ): void {
    if (!this.context.isRelevant(delivery.eventId, 'SMTP', delivery.status, undefined)) return;
    const event = deliveryEvent(queued, delivery, timestamp, relay, line);
    this.handOn(event);
    // Handed on before its sender or Message-ID was read (lines out of order, or in an earlier file):
    // what is read of them later follows under this name.
    const from = event.returnPath;
    if (from === undefined || queued.messageId === undefined) {
      queued.waiting ??= { name: messageIdOf(queued), at: timestamp };
      if (from === undefined) queued.waiting.since ??= this.handed;
    }
  }
}

/**
 * What an Exim delivery line says before its router (deliver.c `string_log_address`, then
 * `delivery_log`/`failure_log`): `rcpt (parent, …) <top> F=<sender> Q=name P=<return path>`.
 * `<top>`, the address the message arrived for, follows a recipient that a redirect router made (an
 * alias, a `.forward`); with `log_selector = +all_parents` the parents between them stand in
 * parentheses, nearest first. `F=` (`+sender_on_delivery`) is the sender the message arrived with,
 * `P=` (`+return_path_on_delivery`) the one this delivery sent; Exim writes them on `=>` and `**`
 * lines (not on `==`), `SRS=` between them in builds with EXPERIMENTAL_SRS.
 */
const EXIM_ADDRESSES =
  /^(\S+)(?: \(([^()]*)\))?(?: <([^<>\s]*)>)?(?: F=(<[^<>\s]*>))?(?: Q=\S+)?(?: SRS=<[^<>\s]*>)?(?: P=(<[^<>\s]*>))?(?=[ :]|$)/;

/**
 * How Exim's own sentence about a server's reply starts (transports/smtp.c): `SMTP error from remote
 * mail server after [pipelined ]RCPT TO:<…>: 550 …`, `… after end of data: …`, `… after MAIL FROM:<…>
 * SIZE=…: …`; before Exim 4.87 with the host in it (`…: host mx [ip]: 450 …`); `remote mailer` in Exim 3.
 * A substring, not a regular expression: it is looked for on every delivery line.
 */
const EXIM_REPLY = 'SMTP error from remote mail';

/**
 * The status of an Exim delivery or tried-host line: its message from {@link EXIM_REPLY} on — the
 * server's reply with the command it answered, as Postfix's status says `host … said: 550 … (in
 * reply to RCPT TO command)` and sendmail's `stat=` — not the line's fields before it (recipient,
 * `R=`, `T=`, `H=`, `X=`, `CV=`), which are no part of the reply and which the event keeps apart
 * (`H=` is its server). A line with no such sentence (`defer (110): Connection timed out`, `retry
 * timeout exceeded`) quotes no reply: it is kept whole.
 */
function eximReply(text: string): string {
  const at = text.indexOf(EXIM_REPLY);
  return at <= 0 ? text : text.slice(at);
}

/** `rcpt … R=… T=… H=…: reply` after Exim's `** `, `== `, `=> `. */
function eximDelivery(text: string, eventId: string): Delivery {
  const [, recipient = '', parents, top, sender, returnPath] = EXIM_ADDRESSES.exec(text) ?? [];
  const delivery: Delivery = { recipient, eventId, status: eximReply(text) };
  if (top !== undefined) delivery.redirectedFrom = [...(parents?.split(', ') ?? []), top];
  // P= is what the next host was given as MAIL FROM, the sender it attributes the message by.
  const lineSender = returnPath ?? sender;
  if (lineSender !== undefined) delivery.sender = lineSender;
  return delivery;
}

/**
 * Keeps a message's Message-ID, read at `timestamp` on `line`; an empty one (`message-id=<>`, no
 * header) is none. True when it was not known yet.
 */
function setMessageId(entry: QueuedMessage, raw: string, timestamp: string, line: number): boolean {
  const messageId = normaliseMessageId(raw);
  if (messageId === '') return false;
  const learnt = entry.messageId === undefined;
  entry.messageId = detach(boundedId(messageId)); // as every event's (input/batches.ts): a sender may write a huge one
  // The sender's line is the place of the QUEUED event when there is one.
  if (entry.from === undefined) {
    entry.knownAt = timestamp;
    entry.knownLine = line;
  }
  return learnt;
}

/** The address after `to=` or `from=`: `<a@b>`, `<>` or a bare word up to the next comma. */
function addressAt(text: string, from: number): string {
  if (text.charAt(from) === '<') {
    const close = text.indexOf('>', from);
    return close < 0 ? text.slice(from) : text.slice(from, close + 1);
  }
  const comma = text.indexOf(',', from);
  return comma < 0 ? text.slice(from) : text.slice(from, comma);
}

/**
 * Exim's delivery flags: `=>` delivered, `->` another address delivered in the same transaction,
 * `>>` a cutthrough delivery, `==` deferred, `**` failed.
 */
const EXIM_EVENTS: Readonly<Record<string, string>> = {
  '=> ': 'SEND',
  '-> ': 'SEND',
  '>> ': 'SEND',
  '== ': 'DEFER',
  '** ': 'FAIL',
};

/**
 * The delivery statuses Postfix writes (`log_adhoc` callers), by their word in lower case. With
 * `soft_bounce = yes`, what would have bounced is logged `status=SOFTBOUNCE` and its DSN gets a 4
 * (`dsn=4.7.64`), but the reply is the server's own (`said: 550 5.7.64 …`): the refusal, which Postfix
 * keeps in the queue and tries again, so it is read as a deferral of it — one finding however often
 * it is retried, and the message still queued at the end of the file. `deliverable`/`undeliverable`
 * are address verification probes.
 */
const POSTFIX_EVENTS: Readonly<Record<string, string>> = {
  sent: 'SEND',
  deliverable: 'SEND',
  deferred: 'DEFER',
  softbounce: 'DEFER',
  bounced: 'FAIL',
  expired: 'FAIL',
  undeliverable: 'FAIL',
};

/** The statuses as Postfix writes them, for messages. */
const POSTFIX_STATUSES = 'sent, deferred, bounced, SOFTBOUNCE, expired, deliverable, undeliverable';

/**
 * `to=<r@x>, relay=…, dsn=5.7.64, status=bounced (host … said: 550 5.7.64 … (in reply to RCPT TO command))`,
 * or why the line cannot be read.
 */
function postfixDelivery(text: string): Delivery[] | string {
  // The reason runs to the end of the line; one cut short by syslog's size limit lacks its `)`.
  const status = /, status=([A-Za-z]+)(?: \((.*))?$/.exec(text);
  if (!status) return `a to= line with no status= that relay-audit can read: "${quoteText(text, 120)}"`;
  const word = status[1] as string;
  const eventId = POSTFIX_EVENTS[word.toLowerCase()];
  if (eventId === undefined)
    return `status=${quoteText(word, 40)} is not a delivery status Postfix writes (${POSTFIX_STATUSES}): the line is not read`;
  let answer = status[2];
  if (answer?.endsWith(')')) answer = answer.slice(0, -1);
  const dsn = /, dsn=(\d\.\d{1,3}\.\d{1,3})/.exec(text)?.[1];
  // `status=bounced` without a reason still names the code in `dsn=`. So does a reason cut short
  // before its relay-refusal code (the last line of a log copied while Postfix writes it): `dsn=`
  // comes from the server's reply, so the line is that refusal, told by the reason as far as it goes.
  if (answer === undefined) answer = dsn;
  else if (dsn !== undefined && RELAY_ATTRIBUTION_CODES.has(dsn) && relayRejectionIn(answer) === undefined)
    answer = `${dsn} ${answer}`;
  const delivery: Delivery = { recipient: addressAt(text, 3), eventId, status: answer };
  // `orig_to=<…>`: the address before alias or virtual expansion (the parent of a forward).
  const original = /, orig_to=(<[^>]*>|[^,\s]+)/.exec(text)?.[1];
  if (original !== undefined) delivery.redirectedFrom = [original];
  return [delivery];
}

/** The recipients of a sendmail `to=` line, up to its first field (and its part's ` [more]` marker). */
const SENDMAIL_RECIPIENTS =
  /^to=(.*?)(?:, \[more\])?, (?:ctladdr|delay|orig_to|xdelay|mailer|pri|relay|dsn|stat)=/;

/**
 * `to=<a@x>,<b@x>, ctladdr=…, delay=…, mailer=esmtp, relay=host. [ip], dsn=5.7.64, stat=Service unavailable`:
 * one line for all recipients of a delivery attempt. `stat=` is the reply text when sendmail kept it
 * (`Deferred: 451 4.4.62 …`), else a description; `dsn=` always has the code. A list too long for
 * one syslog message is logged in parts, each with the whole tail (deliver.c `logdelivery`:
 * `to=%.*s [more]%s`): `to=<a@x>,…,<k@x>, [more], delay=…`, the last part without the marker.
 */
function sendmailDeliveries(text: string): Delivery[] | string {
  const list = SENDMAIL_RECIPIENTS.exec(text)?.[1];
  const dsn = /, dsn=(\d\.\d{1,3}\.\d{1,3})/.exec(text)?.[1];
  const stat = /, stat=(.*)$/.exec(text)?.[1];
  if (list === undefined || stat === undefined)
    return `a to= line with no recipients and stat= that relay-audit can read: "${quoteText(text, 120)}"`;
  // `queued`: kept for a later queue run (DeliveryMode=queue, a message sent while offline).
  const eventId = /^sent\b/i.test(stat)
    ? 'SEND'
    : /^(?:deferred|queued)\b/i.test(stat) || dsn?.startsWith('4.')
      ? 'DEFER'
      : 'FAIL';
  const status = dsn !== undefined && !stat.includes(dsn) ? `${dsn} ${stat}` : stat;
  return recipientsOf(list).map((recipient) => ({ recipient, eventId, status }));
}

/**
 * The addresses of a sendmail recipient list, which `logdelivery` joins with `,`: split at the commas
 * outside `<…>` and quotes — a quoted local part may hold one (`<"Smith, John"@x>`, RFC 5321).
 */
function recipientsOf(list: string): string[] {
  const recipients: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let at = 0; at < list.length; at++) {
    const char = list[at];
    if (quoted) {
      if (char === '\\') at++;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === '<') angle = true;
    else if (char === '>') angle = false;
    else if (char === ',' && !angle) {
      recipients.push(list.slice(start, at));
      start = at + 1;
    }
  }
  recipients.push(list.slice(start));
  return recipients.map((recipient) => recipient.trim()).filter((recipient) => recipient !== '');
}
