/**
 * An SMTP session that goes on in the next logs of a run (docs/domain.md §3 format 7). Exchange starts
 * a new SEND…-2.LOG when SEND…-1.LOG is full, and IIS a new ex*.log each hour, day or size, so a
 * session can say EHLO, STARTTLS with the certificate presented, the message line, MAIL FROM and
 * RCPT TO in one file and get its `550 5.7.64` in the next, or in the one after when it outlives two
 * rollovers: a reader sees the end of a session without its start. So at the end of each file its
 * reader hands on every session still open, as an `OPEN_SESSION` event ({@link handOnEvents}):
 * - one whose start the file has, with its TLS state and certificate, Message-ID, MAIL FROM, EHLO and
 *   greeting names, the commands not answered yet (each RCPT TO with its recipient), then one
 *   `OPEN_SESSION_RECIPIENT` event per recipient its transaction under way had accepted;
 * - one begun before the file too, with what the file read of it: the answers it counted
 *   (`earlierCommand`) and its transcript (`unanswered`), the commands sent and, between them, the
 *   answers' codes in the order read (formats/smtp-sessions.ts), and the message line or MAIL FROM
 *   read there.
 * A refusal in a session begun before its log says the same of its log, up to it. Answers come in the
 * order of the commands (RFC 2920): laid end to end in the order of the logs — the commands the first
 * left unanswered, then each later log's transcript — they pair as the whole log would
 * ({@link Replay}), and the refusal gets the recipients it refuses, as in one file: a RCPT TO's own;
 * for MAIL FROM, every RCPT TO sent after it; for the message (DATA, BDAT), every recipient accepted.
 * The order of the logs is told by the numbers of the session's rows where the log writes them (a
 * send protocol log's `sequence-number`, on across its files: {@link rowEntry}), which also show a
 * log between that the run lacks (unless the logs' rows were filtered, their numbers skipping inside
 * a log too); else (IIS) by when each log's part of the session ended. A refusal that cannot be joined
 * keeps every recipient its own log named.
 * The classifier indexes these events like any other evidence and fills such a refusal from them, one
 * event per recipient, when it is read or when it leaves the pending window ({@link OpenSessions.fill})
 * — so the files of a run may be read in any order, as the MTA logs' `QUEUED` events are
 * (queued-sender.ts).
 *
 * A session is known by its id and its server (the connector and local address its rows name): two
 * Exchange servers' logs read in one run may hold the same session id, and one's session never fills
 * the other's refusal.
 *
 * An IIS SMTP log writes no session id: its sessions are connections, told by the relay and the remote
 * ({@link connectionSessionId}), which carry one session after another. Such a refusal joins the
 * session handed on last before it, within {@link CONNECTION_GAP_MS}, and, joined, carries no session:
 * the log says nothing of TLS, so the finding is the one the whole log in one file gives.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { detach } from '../../kernel/strings.js';
import {
  type CertificateField,
  continuedCertificate,
  isCertificateField,
} from '../formats/protocol-certificate.js';
import type { SmtpSession, TraceEvent } from '../model/events.js';
import { sha256Hex32 } from '../model/finding-id.js';

/** Event id of a session still open at the end of a log (stable: not a tracking event id). */
export const OPEN_SESSION_EVENT_ID = 'OPEN_SESSION';
/** Event id of a recipient the transaction under way in a session handed on had accepted. */
export const OPEN_SESSION_RECIPIENT_EVENT_ID = 'OPEN_SESSION_RECIPIENT';

/**
 * The events that hand on a session still open at the end of a log: its `OPEN_SESSION` event, then
 * one per recipient its transaction under way had accepted (an event names one recipient).
 */
export function handOnEvents(open: TraceEvent, accepted: readonly string[]): TraceEvent[] {
  const { session } = open;
  if (session === undefined) return [open];
  const handed: SmtpSession = { id: session.id, tls: session.tls, line: session.line };
  return [
    open,
    ...accepted.map((recipient): TraceEvent => {
      const event: TraceEvent = {
        timestamp: open.timestamp,
        eventId: OPEN_SESSION_RECIPIENT_EVENT_ID,
        session: handed,
        recipient,
        line: open.line,
      };
      // Of the same server's session (see `keyOf`).
      if (open.connectorId !== undefined) event.connectorId = open.connectorId;
      if (open.clientIp !== undefined) event.clientIp = open.clientIp;
      return event;
    }),
  ];
}

type Command = NonNullable<SmtpSession['unanswered']>[number];

/**
 * An answer in a transcript (smtp-sessions.ts): its reply code stands in the place of a command's
 * verb, between the commands it came after and before.
 */
export function answerEntry(code: string): { verb: string } {
  return { verb: code };
}

function isAnswer(entry: Command): boolean {
  return /^\d{3}$/.test(entry.verb);
}

/** Marks a row number whose log skips numbers of its own (see {@link rowEntry}). */
const SKIPPED = '~';

/**
 * A row number in a transcript or a hand-over, in a log that numbers each session's rows on across
 * its files (a send protocol log's `sequence-number`): a transcript begins with its first row's, a
 * hand-over ends with the one after its last. Consecutive numbers say that no log of the session
 * between two is missing. `skipped`: the log's own rows of the session skip numbers (rows were
 * filtered out), so a skip between two logs may be filtered rows too, not a log missing.
 */
export function rowEntry(row: number, skipped = false): { verb: string } {
  return { verb: `#${row}${skipped ? SKIPPED : ''}` };
}

/**
 * The certificate lines of a session cut by a rollover (a send protocol log writes one row per value:
 * `Sending certificate`, then subject, issuer, serial number, thumbprint, alternate names): a log that
 * ends inside them hands on, before its last row number, the mark {@link certificateCutEntry}; a
 * session joined late hands on, in its transcript after its first row number, the value rows it began
 * with ({@link certificateValueEntry}), which its reader cannot tell from the remote's certificate's.
 * Laid after the mark they are the server's certificate's ({@link Replay}); after none, they are not.
 */
const CERTIFICATE = '*';
const CERTIFICATE_CUT = `${CERTIFICATE}sending certificate`;
const CERTIFICATE_VALUE = /^\*([A-Za-z]+)=([\s\S]*)$/;

/** Marks a hand-over whose log ended inside the lines of the certificate the server sent (see {@link CERTIFICATE}). */
export function certificateCutEntry(): { verb: string } {
  return { verb: CERTIFICATE_CUT };
}

/** A certificate value row a session joined late began its log with (see {@link CERTIFICATE}). */
export function certificateValueEntry(field: CertificateField, value: string): { verb: string } {
  return { verb: detach(`${CERTIFICATE}${field}=${value}`) };
}

function isCertificateEntry(entry: Command): boolean {
  return entry.verb.startsWith(CERTIFICATE);
}

/** The certificate values a log's transcript begins with (after its first row number). */
function leadingValues(entries: readonly Command[]): { field: CertificateField; value: string }[] {
  const values: { field: CertificateField; value: string }[] = [];
  for (const entry of entries.slice(rowOf(entries[0]) === undefined ? 0 : 1)) {
    const [, field = '', value = ''] = CERTIFICATE_VALUE.exec(entry.verb) ?? [];
    if (!isCertificateField(field)) break;
    values.push({ field, value });
  }
  return values;
}

/** Whether a log ended inside the lines of the certificate the server sent. */
function endsInCertificate(entries: readonly Command[]): boolean {
  return entries.some((entry) => entry.verb === CERTIFICATE_CUT);
}

function rowOf(entry: Command | undefined): number | undefined {
  const row = /^#(\d+)~?$/.exec(entry?.verb ?? '')?.[1];
  return row === undefined ? undefined : Number(row);
}

/** Whether a row number's log skips numbers of its own (see {@link rowEntry}). */
function skipsRows(entry: Command | undefined): boolean {
  return rowOf(entry) !== undefined && entry?.verb.endsWith(SKIPPED) === true;
}

/** The answer at `place` of a transcript, as its log numbers them (see {@link answersIn}). */
function answerAt(entries: readonly Command[], place: number): Command | undefined {
  return entries.filter((entry) => isAnswer(entry) && entry.verb !== '354')[place];
}

/** The answers a transcript holds, as its log numbers them (a 354 aside: the answer after it is to the same DATA). */
function answersIn(entries: readonly Command[]): number {
  return entries.filter((entry) => isAnswer(entry) && entry.verb !== '354').length;
}

/** What an `OPEN_SESSION` event says of its session. */
interface OpenSession {
  session: SmtpSession;
  /** The commands not answered yet; of a session begun before its log too, its transcript there. */
  unanswered: readonly Command[];
  /**
   * Of a session begun before its log too, whose log wrote its transcript: the answers that log read
   * in it, which answer the commands the logs before it left first.
   */
  answered?: number;
  /** The recipients its transaction under way had accepted before the log ended. */
  accepted: string[];
  /** When its last row was read (ms): a connection is joined by time, and the logs of a session are put in order by it. */
  at: number;
  messageId?: string;
  returnPath?: string;
  clientHostname?: string;
  serverHostname?: string;
}

/** The session without what only the hand-over or only a partial answer carries. */
function plain(session: SmtpSession): SmtpSession {
  const {
    unanswered: _unanswered,
    earlierCommand: _earlier,
    answerRow: _row,
    partial: _partial,
    ...rest
  } = session;
  return rest;
}

/** Sessions handed on under one key that are remembered (each file hands on one at most). */
const PER_CONNECTION = 64;
/** A connection's refusals remembered per session (a session refusing more is rare). */
const REFUSED_PER_SESSION = 1_000;

/** The commands that end a transaction (RFC 5321 §4.1.4). */
const RESETS: ReadonlySet<string> = new Set(['RSET', 'EHLO', 'HELO']);
const MESSAGE: ReadonlySet<string> = new Set(['DATA', 'BDAT']);

/** What a refusal's row says of its message, as its log read it up to the answer. */
const READ_FIELDS = ['messageId', 'returnPath', 'clientHostname', 'serverHostname'] as const;

/**
 * A refusal's reading of its answer in its log (see {@link OpenSessions.fill}): its session there —
 * the transcript up to the answer and its place in it, TLS and certificate — and its message.
 */
type Reading = Pick<TraceEvent, (typeof READ_FIELDS)[number]> & { session: SmtpSession };

/** A connection's refusal in a session joined late: when, its answer's place in its log, and its reply code. */
interface EarlierRefusal {
  at: number;
  command: number;
  code: string;
}

/**
 * How long after a connection's session was handed on a refusal of the next log may still be in it:
 * IIS closes a connection idle for 10 minutes (the SMTP virtual server's default connection time-out),
 * and the refusals that need the earlier log come right after the rollover, or after the message under
 * way. It keeps a run that lacks the log between two (a day missing) from joining a session handed on
 * before that gap to the refusal of another.
 */
export const CONNECTION_GAP_MS = 10 * 60_000;

const CONNECTION = 'connection ';
/** A session id is at most 64 characters (model/events.ts). */
const MAX_ID = 64;

/**
 * The session id of a log that writes none (IIS SMTP): the relay (its computer and site) and the remote
 * it connects to — hashed, when too long (an IPv6 remote).
 */
export function connectionSessionId(relay: string, site: string, remote: string): string {
  const id = `${CONNECTION}${relay}/${site}/${remote}`;
  return id.length <= MAX_ID ? id : `${CONNECTION}${sha256Hex32([relay, site, remote]).slice(0, 32)}`;
}

function isConnection(id: string): boolean {
  return id.startsWith(CONNECTION);
}

/**
 * The key a session is handed on and joined by: its id and the server whose session it is, as the
 * hand-over and the refusal both name it (a send protocol log's connector and local address; a
 * connection's id names its relay already).
 */
function keyOf(event: TraceEvent, id: string): string {
  return `${id}\n${event.connectorId ?? ''}\n${event.clientIp ?? ''}`;
}

/** A transaction as the replay keeps it: the RCPT TOs sent in it so far, and those accepted. */
interface Transaction {
  sent: (string | undefined)[];
  accepted: string[];
}

/** A command waiting in the replay, with its transaction. */
interface Waiting extends Command {
  transaction?: Transaction;
  /** A MAIL FROM of the refusal's own log was sent at or before it: the message is that log's to name. */
  ownMail: boolean;
}

/**
 * One session's logs laid end to end, as the whole log would be read (smtp-sessions.ts): the commands
 * the log with its start left unanswered, then each later log's transcript — its commands queued, its
 * answers paired with the oldest waiting (RFC 2920), a RCPT TO answered 2xx accepted in its
 * transaction — and what each log said of the session and its message, the later over the earlier.
 */
class Replay {
  private readonly waiting: Waiting[] = [];
  private transaction: Transaction | undefined;
  private own = false;
  private ownMail = false;
  /** The last log read ended inside the lines of the certificate the server sent: the next goes on with them. */
  private inCertificate: boolean;
  public session: SmtpSession;
  public messageId: string | undefined;
  public returnPath: string | undefined;
  public clientHostname: string | undefined;
  public serverHostname: string | undefined;

  public constructor(start: OpenSession) {
    // The waiting commands before any MAIL FROM among them are of the transaction whose accepted recipients were handed on.
    this.transaction = { sent: [], accepted: [...start.accepted] };
    this.read(start.unanswered);
    this.session = start.session;
    this.inCertificate = endsInCertificate(start.unanswered);
    this.messageId = start.messageId;
    this.returnPath = start.returnPath;
    this.clientHostname = start.clientHostname;
    this.serverHostname = start.serverHostname;
  }

  private send(command: Command): void {
    if (command.verb === 'MAIL') {
      this.transaction = { sent: [], accepted: [] };
      if (this.own) this.ownMail = true;
    } else if (RESETS.has(command.verb)) this.transaction = undefined;
    else if (command.verb === 'RCPT') this.transaction?.sent.push(command.recipient);
    const waiting: Waiting = { ...command, ownMail: this.ownMail };
    if (this.transaction !== undefined) waiting.transaction = this.transaction;
    this.waiting.push(waiting);
  }

  /** An answer with `code`, to the command waiting first (a 354 asks for the message: the DATA waits on). */
  private answer(code: string): void {
    const command = this.waiting[0];
    if (command === undefined || (code === '354' && command.verb === 'DATA')) return;
    this.waiting.shift();
    if (command.verb === 'RCPT' && code.startsWith('2') && command.recipient !== undefined)
      command.transaction?.accepted.push(command.recipient);
  }

  /** The command the refusal answers, after the logs read: the one waiting first, or `undefined`. */
  public refusal(): Waiting | undefined {
    return this.waiting.shift();
  }

  /** A later log's transcript, and what that log said of the session and its message. */
  public log(log: OpenSession): void {
    this.read(log.unanswered);
    this.continueCertificate(log.unanswered);
    if (log.session.tls || log.session.certificate !== undefined) this.session = log.session;
    this.inCertificate = endsInCertificate(log.unanswered);
    // A message line there names the message, and MAIL FROM follows it (smtp-sessions.ts).
    if (log.messageId !== undefined) {
      this.messageId = log.messageId;
      this.returnPath = log.returnPath;
    } else if (log.returnPath !== undefined) this.returnPath = log.returnPath;
    this.clientHostname = log.clientHostname ?? this.clientHostname;
    this.serverHostname = log.serverHostname ?? this.serverHostname;
  }

  /** The refusal's own log, its transcript up to the refusal: the MAIL FROMs there are that log's to name. */
  public ownLog(entries: readonly Command[]): void {
    this.own = true;
    this.read(entries);
    this.continueCertificate(entries);
  }

  /** The certificate values a log begins with, after a log that ended inside the server's certificate lines. */
  private continueCertificate(entries: readonly Command[]): void {
    if (!this.inCertificate) return;
    const values = leadingValues(entries);
    if (values.length > 0)
      this.session = { ...this.session, certificate: continuedCertificate(this.session.certificate, values) };
  }

  private read(entries: readonly Command[]): void {
    for (const entry of entries) {
      if (isAnswer(entry)) this.answer(entry.verb);
      else if (rowOf(entry) === undefined && !isCertificateEntry(entry)) this.send(entry);
    }
  }
}

/** The sessions open at the end of the files of the run so far, by session key (oldest forgotten first). */
export class OpenSessions {
  private readonly sessions: BoundedMap<string, OpenSession[]>;
  /**
   * Refusals in connections joined late, by session key: the answer after a refusal of MAIL FROM,
   * which tells whether it refused MAIL FROM, may be one of them (see {@link answerAfter}).
   */
  private readonly refusedEarlier: BoundedMap<string, EarlierRefusal[]>;
  /**
   * The events of a refusal set aside until the last of its answer is joined, by answer
   * ({@link answerKey}): the last gives every recipient when it joins, and gives these back, as read,
   * when it cannot (see {@link perRecipient}).
   */
  private readonly setAside: BoundedMap<string, TraceEvent[]>;
  /**
   * In logs that number their rows: of each answer read in a session joined late, by answer
   * ({@link readingKey}), the reading that begins earliest in the session. Copies of one log begun at
   * different rows (a log forwarder's, and the file) read the same answer; the one whose transcript
   * reaches back to the log before joins it, and gives the others its recipients.
   */
  private readonly readings: BoundedMap<string, Reading>;

  public constructor(tracked: number) {
    this.sessions = new BoundedMap(tracked);
    this.refusedEarlier = new BoundedMap(tracked);
    this.setAside = new BoundedMap(tracked);
    this.readings = new BoundedMap(tracked);
  }

  /**
   * Keeps what a hand-over event, or a refusal of a command sent before its log, says (a connection's
   * refusal; in a log that numbers its rows, its reading of the answer); other events are not looked at.
   */
  public observe(event: TraceEvent): void {
    const { session } = event;
    if (session === undefined) return;
    const key = keyOf(event, session.id);
    if (event.eventId === OPEN_SESSION_EVENT_ID) this.handedOn(event, session, key);
    else if (event.eventId === OPEN_SESSION_RECIPIENT_EVENT_ID) this.acceptedBefore(event, key);
    else if (
      isConnection(session.id) &&
      session.partial === true &&
      session.earlierCommand !== undefined &&
      /^[45]/.test(event.recipientStatus ?? '')
    )
      this.refused(key, {
        at: Date.parse(event.timestamp),
        command: session.earlierCommand,
        code: (event.recipientStatus ?? '').slice(0, 3),
      });
    else this.reading(event);
  }

  /** Keeps a refusal's reading of its answer in a session joined late, when it begins earlier than the answer's others. */
  private reading(event: TraceEvent): void {
    const key = readingKey(event);
    const { session } = event;
    const own = session?.unanswered;
    // A transcript cut short (its bound) no longer numbers the answers before the refusal.
    if (
      key === undefined ||
      session === undefined ||
      own === undefined ||
      answersIn(own) !== session.earlierCommand
    )
      return;
    const first = rowOf(own[0]);
    const known = rowOf(this.readings.get(key)?.session.unanswered?.[0]);
    if (first === undefined || (known !== undefined && known <= first)) return;
    // The session's strings are the reader's own copies already (smtp-sessions.ts); the row's are not.
    const reading: Reading = { session };
    for (const field of READ_FIELDS) {
      const value = event[field];
      if (value !== undefined) reading[field] = detach(value);
    }
    this.readings.set(key, reading);
  }

  private handedOn(event: TraceEvent, session: SmtpSession, key: string): void {
    // The reader's strings are its own copies already (smtp-sessions.ts detaches what it keeps).
    const open: OpenSession = {
      session: plain(session),
      unanswered: session.unanswered ?? [],
      accepted: [],
      at: Date.parse(event.timestamp),
    };
    if (session.partial === true && session.earlierCommand !== undefined)
      open.answered = session.earlierCommand;
    if (event.messageId !== undefined) open.messageId = event.messageId;
    if (event.returnPath !== undefined) open.returnPath = event.returnPath;
    if (event.clientHostname !== undefined) open.clientHostname = event.clientHostname;
    if (event.serverHostname !== undefined) open.serverHostname = event.serverHostname;
    const handed = this.sessions.get(key);
    if (handed === undefined) this.sessions.set(key, [open]);
    else {
      if (handed.length >= PER_CONNECTION) handed.shift();
      handed.push(open);
    }
  }

  /** A recipient accepted before the log ended: the session's `OPEN_SESSION` came just before it. */
  private acceptedBefore(event: TraceEvent, key: string): void {
    const open = this.sessions.get(key)?.at(-1);
    if (open !== undefined && event.recipient !== undefined && open.at === Date.parse(event.timestamp))
      open.accepted.push(event.recipient);
  }

  private refused(key: string, refusal: EarlierRefusal): void {
    const known = this.refusedEarlier.get(key);
    if (known === undefined) this.refusedEarlier.set(key, [refusal]);
    else if (known.length < REFUSED_PER_SESSION) known.push(refusal);
  }

  /**
   * The hand-over with the start of the session a refusal at `at` goes on: an Exchange session id
   * names one session, whose start one log has (the latest before the refusal, were the id used
   * again); a connection carries one session after another, and the refusal is in the one handed on
   * last before it (within the gap).
   */
  private sessionOf(key: string, at: number): OpenSession | undefined {
    const handed = this.sessions.get(key) ?? [];
    const connection = isConnection(key);
    let found: OpenSession | undefined;
    for (const open of handed) {
      if (open.answered !== undefined || open.at > at) continue;
      if (connection && at - open.at > CONNECTION_GAP_MS) continue;
      if (
        found === undefined ||
        open.at > found.at ||
        (open.at === found.at && weight(open) >= weight(found))
      )
        found = open;
    }
    return found;
  }

  /**
   * The logs a session went on through between its start and the refusal's own log, in order: those
   * that handed it on with a transcript after `start` and by the refusal's time, but for the
   * refusal's own (whose transcript goes on from the refusal's `own`, with a refusal), each once (a
   * log read twice hands it on twice). `undefined` when one's transcript was cut short (its bound):
   * the answers after it cannot be paired.
   */
  private logsBetween(
    key: string,
    start: OpenSession,
    at: number,
    own: readonly Command[],
  ): OpenSession[] | undefined {
    const between = this.transcribed(key).filter(
      (open) => open.at >= start.at && open.at <= at && !(open.at === at && isOwnLog(open, own)),
    );
    return between.some((open) => answersIn(open.unanswered) !== open.answered) ? undefined : between;
  }

  /**
   * In logs that number their rows: the hand-over with the start of the session whose rows end
   * before `row`, the first of the refusal's log (the latest, were the session id used again).
   */
  private startBefore(key: string, row: number): OpenSession | undefined {
    let found: OpenSession | undefined;
    let foundNext = -1;
    for (const open of this.sessions.get(key) ?? []) {
      const next = rowOf(open.unanswered.at(-1));
      if (open.answered !== undefined || next === undefined || next > row || next < foundNext) continue;
      found = open;
      foundNext = next;
    }
    return found;
  }

  /**
   * In logs that number their rows: the logs the session went on through from `start` to the
   * refusal's, whose transcript is `own`, in the order of their rows, each going on where the one
   * before ended; `undefined` when one is not in the run, or its transcript was cut short (its
   * bound). Of logs beginning alike (a copy taken while Exchange still wrote the log, and the log
   * finished), the one reaching furthest. Numbers skipped between two logs that no log of the run
   * holds are a log missing, unless a log of the session skips numbers of its own: its rows were
   * filtered.
   */
  private logsFrom(key: string, start: OpenSession, own: readonly Command[]): OpenSession[] | undefined {
    const row = rowOf(own[0]);
    if (row === undefined) return undefined;
    const logs = this.transcribed(key);
    // The session's logs were filtered alike (one tool, one run): one skipping rows says they all may.
    const filtered =
      skipsRows(start.unanswered.at(-1)) ||
      skipsRows(own[0]) ||
      logs.some((log) => skipsRows(log.unanswered[0]) || skipsRows(log.unanswered.at(-1)));
    const between: OpenSession[] = [];
    let next = rowOf(start.unanswered.at(-1));
    while (next !== undefined && next < row) {
      const log = nextLog(logs, next, row);
      if (log === undefined) break;
      if (rowOf(log.unanswered[0]) !== next && !filtered) return undefined;
      if (answersIn(log.unanswered) !== log.answered) return undefined;
      between.push(log);
      next = rowOf(log.unanswered.at(-1));
    }
    return next === row || (filtered && next !== undefined && next < row) ? between : undefined;
  }

  /** The hand-overs of a session begun before their logs, with their transcripts, in order, each once. */
  private transcribed(key: string): OpenSession[] {
    const logs: OpenSession[] = [];
    for (const open of this.sessions.get(key) ?? []) {
      if (open.answered === undefined) continue;
      if (logs.some((known) => known.at === open.at && sameEntries(known.unanswered, open.unanswered)))
        continue;
      logs.push(open);
    }
    return logs.sort((a, b) => a.at - b.at);
  }

  /**
   * The refusal with what the start of its session said, when its own file began after that start
   * and other files of the run have it — one event per recipient it refuses (an `undefined` one
   * without a recipient: the log did not name it); any other event as it is.
   *
   * Answers come in the order of the commands (RFC 2920): in the refusal's file, the first answers
   * are to the commands the earlier files left unanswered, then to its own. Its reader cannot tell how
   * many the earlier files left, so it says the answer's place and what its file had read in the
   * session (`earlierCommand`, `unanswered`); here every file's part is laid end to end, in order
   * ({@link Replay}), and the answer is paired with the command waiting first. A reader giving one
   * event per recipient of its own pairing gives those only on the last ({@link perRecipient}): the
   * others are set aside here, the last giving every recipient when it joins, and them as read when
   * it cannot — a refusal not joined keeps every recipient its own log named.
   *
   * Joined as soon as it is read (`leaving` false) when its log numbers its rows (a send protocol
   * log) and the run has read every log from the session's start to it, so that it is known by its
   * message at once (a tracking log's record of it, read before, is then its repeat); else as it
   * leaves the window, with what the run has then: a log between may be read after both, and a
   * connection's answer after the refusal, which may decide what it refused ({@link answersMailFrom}),
   * in the log after it. A log between that the run lacks leaves the refusal as read (its file's
   * notes say what it lacks), where rows are numbered; a connection is joined over it (see
   * {@link CONNECTION_GAP_MS}).
   */
  public fill(event: TraceEvent, leaving: boolean): TraceEvent[] {
    const joined = event.session;
    if (joined?.partial !== true || joined.earlierCommand === undefined) return [event];
    const own = joined.unanswered;
    if (!leaving && own !== undefined && rowOf(own[0]) === undefined) return [event];
    // Joined, or as read: unchanged when a log between is not read yet (then again as it leaves).
    const filled = this.join(event);
    if (filled !== undefined) return filled;
    // Not joined: as its log alone gives it, with every recipient that log named (once it is final).
    if (!leaving || own === undefined) return [event];
    return [...(this.setAside.get(answerKey(event)) ?? []), event];
  }

  /**
   * The refusal joined to its session with what the run has read so far (see {@link fill}); `[]`
   * for an event of an answer whose last event gives its recipients (set aside until then);
   * `undefined` when it cannot be joined.
   */
  private join(refusal: TraceEvent): TraceEvent[] | undefined {
    // Of an answer another copy of the log read from an earlier row: as that copy reads it (see `readings`).
    const event = this.asFullestRead(refusal);
    const joined = event.session;
    const place = joined?.earlierCommand;
    if (joined?.partial !== true || place === undefined) return undefined;
    const at = Date.parse(event.timestamp);
    const key = keyOf(event, joined.id);
    const own = joined.unanswered;
    const row = rowOf(own?.[0]);
    const start = row === undefined ? this.sessionOf(key, at) : this.startBefore(key, row);
    if (start === undefined) return undefined;
    // Another event of the same answer, the last, gives its recipients (see perRecipient): this one
    // waits for it, which gives it back should it not join.
    if (own === undefined) {
      this.putAside(event);
      return [];
    }
    // A transcript cut short (its bound) no longer numbers the answers before the refusal.
    if (answersIn(own) !== place) return undefined;
    const between =
      row === undefined ? this.logsBetween(key, start, at, own) : this.logsFrom(key, start, own);
    // A log between is not in the run (not yet, or not at all): its answers cannot be told.
    if (between === undefined) return undefined;
    const replay = new Replay(start);
    for (const log of between) replay.log(log);
    replay.ownLog(own);
    const command = replay.refusal();
    // None waiting: the earlier file kept fewer than were sent (beyond its bound).
    if (command === undefined) return undefined;
    const refused = this.refusedRecipients(command, () => this.answersMailFrom(key, start, at, own, place));
    const { session: _joined, recipient: _guessed, ...rest } = event;
    const filled: TraceEvent = rest;
    // STARTTLS in the refusal's own file (the log rotated before it) already says how the session was
    // secured. A connection's log says nothing of TLS: joined, the refusal is as if read whole.
    if (!isConnection(joined.id))
      filled.session = joined.tls || joined.certificate !== undefined ? plain(joined) : replay.session;
    // The message is the earlier files' unless the command answered is of a MAIL FROM sent in the
    // refusal's own file (whose message line, when it has one, names it).
    if (!command.ownMail || filled.messageId === undefined) {
      if (replay.messageId !== undefined) filled.messageId = replay.messageId;
    }
    if (!command.ownMail || filled.returnPath === undefined) {
      if (replay.returnPath !== undefined) filled.returnPath = replay.returnPath;
    }
    if (filled.clientHostname === undefined && replay.clientHostname !== undefined)
      filled.clientHostname = replay.clientHostname;
    if (filled.serverHostname === undefined && replay.serverHostname !== undefined)
      filled.serverHostname = replay.serverHostname;
    return refused.map((recipient) => (recipient === undefined ? filled : { ...filled, recipient }));
  }

  /**
   * The refusal as the copy of its log that began earliest in its session reads its answer, its own
   * line kept, when another copy began before the refusal's own (see `readings`); else as it is.
   */
  private asFullestRead(event: TraceEvent): TraceEvent {
    const key = readingKey(event);
    const reading = key === undefined ? undefined : this.readings.get(key);
    const first = rowOf(event.session?.unanswered?.[0]);
    const earliest = rowOf(reading?.session.unanswered?.[0]);
    if (reading === undefined || first === undefined || earliest === undefined || earliest >= first)
      return event;
    const read: TraceEvent = { ...event, session: reading.session };
    for (const field of READ_FIELDS) {
      const value = reading[field];
      if (value !== undefined) read[field] = value;
    }
    return read;
  }

  /** Keeps an event of a refusal until the last of its answer is joined or not (once per recipient: it may be asked again). */
  private putAside(event: TraceEvent): void {
    const key = answerKey(event);
    const aside = this.setAside.get(key);
    if (aside === undefined) this.setAside.set(key, [event]);
    else if (!aside.some((known) => known.recipient === event.recipient)) aside.push(event);
  }

  /**
   * The recipients an answer to `command` refuses, as its whole session in one file would say: a
   * RCPT TO's own; for MAIL FROM, every RCPT TO sent after it; for the message, every recipient its
   * transaction accepted; none for another command.
   */
  private refusedRecipients(command: Waiting, answersMailFrom: () => boolean): (string | undefined)[] {
    let refused: (string | undefined)[] = [];
    if (command.verb === 'RCPT') refused = [command.recipient];
    else if (command.verb === 'MAIL') {
      const sent = command.transaction?.sent ?? [];
      refused = sent.length < 2 || answersMailFrom() ? sent : sent.slice(0, 1);
    } else if (MESSAGE.has(command.verb)) refused = command.transaction?.accepted ?? [];
    return refused.length === 0 ? [undefined] : refused;
  }

  /**
   * Whether a refusal of a MAIL FROM pipelined with several RCPT TOs answers it, as the whole log
   * would tell (formats/iis-smtp-log.ts, `decide`). An IIS SMTP log may leave MAIL FROM's answer
   * unwritten: its refusal is then the first RCPT TO's, unless the next answer is a `503` (bad
   * sequence: the RCPT TO after a refused MAIL FROM). An Exchange log writes every answer, so its
   * place tells.
   */
  private answersMailFrom(
    key: string,
    start: OpenSession,
    at: number,
    own: readonly Command[],
    place: number,
  ): boolean {
    return !isConnection(key) || this.answerAfter(key, start, at, own, place) === '503';
  }

  /**
   * The code of the answer after a connection's refusal at `place` of its log, where the run has it:
   * later in its log's transcript, when that log handed the session on, else in the logs after
   * (the first answer of the next that did, or the refusal a last log read first); when its log did
   * not, among that log's refusals, by its place. `undefined`: not a refusal, or not in the run.
   */
  private answerAfter(
    key: string,
    start: OpenSession,
    at: number,
    own: readonly Command[],
    place: number,
  ): string | undefined {
    const later = this.transcribed(key).filter((open) => open.at >= at);
    const index = later.findIndex((open) => isOwnLog(open, own));
    const ownLog = later[index];
    if (ownLog === undefined) return this.lastLogRefusal(key, start, at, place + 1);
    for (const entries of [
      ownLog.unanswered.slice(own.length + 1),
      ...later.slice(index + 1).map((log) => log.unanswered),
    ]) {
      const next = entries.find(isAnswer);
      if (next !== undefined) return next.verb;
    }
    return this.lastLogRefusal(key, start, (later.at(-1) ?? ownLog).at, 0);
  }

  /**
   * The code of the refusal at `place` of a log that did not hand the session on, read at `from` or
   * after: one of the refusals noted so, but those the transcripts of logs that did hand it on, read
   * in the same second, account for (IIS writes whole seconds).
   */
  private lastLogRefusal(key: string, start: OpenSession, from: number, place: number): string | undefined {
    const codes = this.refusalsIn(start, key)
      .filter((refusal) => refusal.at >= from && refusal.command === place)
      .map((refusal) => refusal.code);
    for (const log of this.transcribed(key)) {
      const code = log.at >= from ? answerAt(log.unanswered, place)?.verb : undefined;
      const known = code === undefined ? -1 : codes.indexOf(code);
      if (known >= 0) codes.splice(known, 1);
    }
    return codes[0];
  }

  /** The refusals of commands sent before their log in the connection joined to `start`. */
  private refusalsIn(start: OpenSession, key: string): EarlierRefusal[] {
    return (this.refusedEarlier.get(key) ?? []).filter(
      (refusal) => refusal.at >= start.at && this.sessionOf(key, refusal.at) === start,
    );
  }
}

/**
 * What a hand-over says of its session, to choose between two of a connection handed on in the same
 * second (IIS writes whole seconds): the later log's, which began the session anew (EHLO) after the
 * earlier ended on its greeting, says more.
 */
function weight(open: OpenSession): number {
  return open.unanswered.length + open.accepted.length + (open.messageId === undefined ? 0 : 1);
}

/**
 * The log of a session whose rows go on from `from`, before the refusal's log at `row`: the first
 * to begin at or after `from`, the one reaching furthest (not past `row`) among those beginning alike.
 */
function nextLog(logs: readonly OpenSession[], from: number, row: number): OpenSession | undefined {
  let found: OpenSession | undefined;
  for (const log of logs) {
    const first = rowOf(log.unanswered[0]);
    const next = rowOf(log.unanswered.at(-1));
    if (first === undefined || next === undefined || first < from || first >= row || next > row) continue;
    const foundFirst = rowOf(found?.unanswered[0]) ?? Number.POSITIVE_INFINITY;
    const foundNext = rowOf(found?.unanswered.at(-1)) ?? -1;
    if (first < foundFirst || (first === foundFirst && next > foundNext)) found = log;
  }
  return found;
}

/** Whether a hand-over is of a refusal's own log: its transcript goes on from the refusal's `own`, with the refusal. */
function isOwnLog(open: OpenSession, own: readonly Command[]): boolean {
  return startsWith(open.unanswered, own) && /^[45]/.test(open.unanswered[own.length]?.verb ?? '');
}

/** The answer a refusal's events share (see {@link perRecipient}): its session, row, time and place. */
function answerKey(event: TraceEvent): string {
  const { session } = event;
  return [keyOf(event, session?.id ?? ''), event.timestamp, event.line, session?.earlierCommand ?? ''].join(
    '\n',
  );
}

/**
 * The answer a refusal in a session joined late is, in whatever copy of its log it is read: its
 * session, the number of its own row and its time; `undefined` where the log does not number its rows.
 */
function readingKey(event: TraceEvent): string | undefined {
  const { session } = event;
  if (session?.partial !== true || session.answerRow === undefined) return undefined;
  return [keyOf(event, session.id), session.answerRow, event.timestamp].join('\n');
}

/** True when `entries` begins with `head`. */
function startsWith(entries: readonly Command[], head: readonly Command[]): boolean {
  return head.length <= entries.length && sameEntries(entries.slice(0, head.length), head);
}

function sameEntries(a: readonly Command[], b: readonly Command[]): boolean {
  return (
    a.length === b.length &&
    a.every((entry, at) => entry.verb === b[at]?.verb && entry.recipient === b[at]?.recipient)
  );
}

/**
 * The events of a refusal its reader gives one per recipient: in a session joined late, the last
 * says what the run needs to pair its answer again (the commands sent in its log); the others do not,
 * and are set aside until it is joined: dropped when it joins (it gives every recipient then), given
 * back with it when it cannot ({@link OpenSessions.fill}). The last: the run releases the others
 * first, so that none is still waiting under a recipient the last then gives.
 */
export function perRecipient(event: TraceEvent, recipients: readonly (string | undefined)[]): TraceEvent[] {
  return recipients.map((recipient, index) => {
    const named = recipient === undefined ? event : { ...event, recipient };
    const { session } = event;
    if (index === recipients.length - 1 || session?.unanswered === undefined) return named;
    const { unanswered: _last, ...guessed } = session;
    return { ...named, session: guessed };
  });
}

/**
 * What tells apart the refusals naming no recipient in a session begun before their log, whose
 * commands an earlier log has; `undefined` for any other refusal. Two answers are two refusals — two
 * RCPT TOs pipelined and refused in one millisecond with one text, say, even when a rollover put them
 * in two logs — which the run gives two recipients once joined to the earlier log
 * ({@link OpenSessions.fill}); taken for one before that, the second was counted as the first's
 * repeat and its recipient lost. And one answer is one refusal in every copy of its log: a log
 * forwarder (Fluent Bit, NXLog) begins its copy at whatever row it found the file at. So the session
 * and, where the log numbers its rows, the answer's own row (`answerRow`, a send protocol log's
 * `sequence-number`: the same in every copy); else the number of the session's first row in the log,
 * where written, and the answer's place in it there (`earlierCommand`: alike in copies begun alike).
 */
export function answerInLateSession(event: TraceEvent): string | undefined {
  const { session } = event;
  if (session?.partial !== true || session.earlierCommand === undefined) return undefined;
  if (session.answerRow !== undefined) return `answer:${session.id}@${session.answerRow}`;
  const first = rowOf(session.unanswered?.[0]);
  return `answer:${session.id}#${first === undefined ? '' : `${first}+`}${session.earlierCommand}`;
}

/** True for a refusal whose session start no file of the run had (after {@link OpenSessions.fill}). */
export function sessionStartUnseen(event: TraceEvent): boolean {
  return event.session?.partial === true;
}
