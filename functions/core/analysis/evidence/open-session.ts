/**
 * An SMTP session that goes on in the next log of a run (docs/domain.md §3 format 7). Exchange starts
 * a new SEND…-2.LOG when SEND…-1.LOG is full, and IIS a new ex*.log each hour, day or size, so a
 * session can say EHLO, STARTTLS with the certificate presented, the message line, MAIL FROM and
 * RCPT TO in one file and get its `550 5.7.64` in the next, whose reader sees the end of a session
 * without its start. So at the end of each file its reader hands on every session still open, as an
 * `OPEN_SESSION` event (its TLS state and certificate, Message-ID, MAIL FROM, EHLO and greeting names,
 * and the commands not answered yet, each RCPT TO with its recipient), followed by one
 * `OPEN_SESSION_RECIPIENT` event per recipient its transaction under way had accepted ({@link handOnEvents}).
 * A refusal in a session joined late says its answer's place in the session in its own log and the
 * commands that log had sent in it: answers come in command order, so laid after the commands handed
 * on, the place names the command it answers ({@link OpenSessions.fill}). It gets the recipients it
 * refuses, as in one file: a RCPT TO's own; for MAIL FROM, every RCPT TO sent after it; for the
 * message (DATA, BDAT), every recipient accepted — before the log ended, or in the refusal's own log,
 * whose refusals of the earlier RCPT TOs this index notes too, by their place. The classifier indexes these events
 * like any other evidence and fills such a refusal from them, one event per recipient, when it is read
 * and again when it leaves the pending window — so the files of a run may be read in either order, as
 * the MTA logs' `QUEUED` events are (queued-sender.ts).
 *
 * An IIS SMTP log writes no session id: its sessions are connections, told by the relay and the remote
 * ({@link connectionSessionId}), which carry one session after another. Such a refusal joins the
 * session handed on last before it, within {@link CONNECTION_GAP_MS}, and, joined, carries no session:
 * the log says nothing of TLS, so the finding is the one the whole log in one file gives.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
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
    ...accepted.map(
      (recipient): TraceEvent => ({
        timestamp: open.timestamp,
        eventId: OPEN_SESSION_RECIPIENT_EVENT_ID,
        session: handed,
        recipient,
        line: open.line,
      }),
    ),
  ];
}

type Command = NonNullable<SmtpSession['unanswered']>[number];

/** What an `OPEN_SESSION` event says of its session. */
interface OpenSession {
  session: SmtpSession;
  unanswered: readonly Command[];
  /** The recipients its transaction under way had accepted before the log ended. */
  accepted: string[];
  /** When its last row was read (ms): a connection is joined by time. */
  at: number;
  /** It began before its own log too, and its message with it: it has nothing to give. */
  startUnseen: boolean;
  messageId?: string;
  returnPath?: string;
  clientHostname?: string;
  serverHostname?: string;
}

/** The session without what only the hand-over or only a partial answer carries. */
function plain(session: SmtpSession): SmtpSession {
  const { unanswered: _unanswered, earlierCommand: _earlier, partial: _partial, ...rest } = session;
  return rest;
}

/** Sessions handed on under one connection id that are remembered (each file hands on one at most). */
const PER_CONNECTION = 64;
/** Refusals of earlier commands remembered per session id (a session refusing more is rare). */
const REFUSED_PER_SESSION = 1_000;

/** The commands that end a transaction (RFC 5321 §4.1.4), or begin another. */
const TRANSACTION_BOUNDS: ReadonlySet<string> = new Set(['MAIL', 'RSET', 'EHLO', 'HELO']);
const MESSAGE: ReadonlySet<string> = new Set(['DATA', 'BDAT']);

/** A refusal in a session joined late: when, its answer's place there, and its reply code. */
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

/** The sessions open at the end of the files of the run so far, by session id (oldest forgotten first). */
export class OpenSessions {
  private readonly sessions: BoundedMap<string, OpenSession[]>;
  /** Refusals in sessions joined late, by session id: the RCPT TOs they answer were not accepted. */
  private readonly refusedEarlier: BoundedMap<string, EarlierRefusal[]>;

  public constructor(tracked: number) {
    this.sessions = new BoundedMap(tracked);
    this.refusedEarlier = new BoundedMap(tracked);
  }

  /** Keeps what a hand-over event, or a refusal of a command sent before its log, says; other events are not looked at. */
  public observe(event: TraceEvent): void {
    const { session } = event;
    if (session === undefined) return;
    if (event.eventId === OPEN_SESSION_EVENT_ID) this.handedOn(event, session);
    else if (event.eventId === OPEN_SESSION_RECIPIENT_EVENT_ID) this.acceptedBefore(event, session.id);
    else if (
      session.partial === true &&
      session.earlierCommand !== undefined &&
      /^[45]/.test(event.recipientStatus ?? '')
    )
      this.refused(session.id, {
        at: Date.parse(event.timestamp),
        command: session.earlierCommand,
        code: (event.recipientStatus ?? '').slice(0, 3),
      });
  }

  private handedOn(event: TraceEvent, session: SmtpSession): void {
    // The reader's strings are its own copies already (smtp-sessions.ts detaches what it keeps).
    const open: OpenSession = {
      session: plain(session),
      unanswered: session.unanswered ?? [],
      accepted: [],
      at: Date.parse(event.timestamp),
      startUnseen: session.partial === true,
    };
    if (event.messageId !== undefined) open.messageId = event.messageId;
    if (event.returnPath !== undefined) open.returnPath = event.returnPath;
    if (event.clientHostname !== undefined) open.clientHostname = event.clientHostname;
    if (event.serverHostname !== undefined) open.serverHostname = event.serverHostname;
    const handed = this.sessions.get(session.id);
    if (handed === undefined) this.sessions.set(session.id, [open]);
    else {
      if (handed.length >= PER_CONNECTION) handed.shift();
      handed.push(open);
    }
  }

  /** A recipient accepted before the log ended: the session's `OPEN_SESSION` came just before it. */
  private acceptedBefore(event: TraceEvent, id: string): void {
    const open = this.sessions.get(id)?.at(-1);
    if (open !== undefined && event.recipient !== undefined && open.at === Date.parse(event.timestamp))
      open.accepted.push(event.recipient);
  }

  private refused(id: string, refusal: EarlierRefusal): void {
    const known = this.refusedEarlier.get(id);
    if (known === undefined) this.refusedEarlier.set(id, [refusal]);
    else if (known.length < REFUSED_PER_SESSION) known.push(refusal);
  }

  /**
   * The session a refusal at `at` goes on: an Exchange session id names one; a connection carries one
   * session after another, and the refusal is in the one handed on last before it (within the gap).
   */
  private sessionOf(id: string, at: number): OpenSession | undefined {
    const handed = this.sessions.get(id);
    if (!isConnection(id)) return handed?.at(-1);
    let found: OpenSession | undefined;
    for (const open of handed ?? []) {
      if (open.at <= at && at - open.at <= CONNECTION_GAP_MS && (found === undefined || open.at > found.at))
        found = open;
    }
    return found;
  }

  /**
   * The refusal with what the start of its session said, when its own file began after that start
   * and another file of the run has it — one event per recipient it refuses (an `undefined` one
   * without a recipient: the log did not name it); any other event as it is.
   *
   * Answers come in the order of the commands (RFC 2920): in the refusal's file, the first answers
   * are to the commands the earlier file left unanswered, then to its own. Its reader cannot tell how
   * many the earlier file left, so it says the answer's place and the commands its file had sent
   * (`earlierCommand`, `unanswered`); here both files' commands are laid end to end and the place
   * names the command answered. A reader giving one event per recipient of its own pairing gives
   * those only on the last ({@link perRecipient}): the others are dropped here, the last giving every
   * recipient.
   *
   * Filled as soon as a session is found, a refusal is not filled again: a connection's refusal read
   * after one log that handed a session of its connection on, and before a later log that handed on
   * another within the gap (logs rolled over by size within minutes, read out of order), keeps the
   * earlier. Only joining connections when the refusal leaves the window would tell.
   *
   * `leaving`: the refusal leaves the window, and what the run has is all it will have. Before that,
   * a refusal whose meaning the answer after it decides (see {@link answersMailFrom}) is left as read.
   */
  public fill(event: TraceEvent, leaving: boolean): TraceEvent[] {
    const joined = event.session;
    const place = joined?.earlierCommand;
    if (joined?.partial !== true || place === undefined) return [event];
    const at = Date.parse(event.timestamp);
    const open = this.sessionOf(joined.id, at);
    if (open === undefined || open.startUnseen) return [event];
    if (joined.unanswered === undefined) return [];
    const commands = [...open.unanswered, ...joined.unanswered];
    // A place past every command: the earlier file kept fewer than were sent (beyond its bound).
    if (place >= commands.length) return [event];
    const refused = this.refusedRecipients(open, event, commands, place, leaving);
    if (refused === 'undecided') return [event];
    const { session: _joined, recipient: _guessed, ...rest } = event;
    const filled: TraceEvent = rest;
    // STARTTLS in the refusal's own file (the log rotated before it) already says how the session was
    // secured. A connection's log says nothing of TLS: joined, the refusal is as if read whole.
    if (!isConnection(joined.id))
      filled.session = joined.tls || joined.certificate !== undefined ? plain(joined) : open.session;
    // The message is the earlier file's unless the command answered is of a MAIL FROM sent in the
    // refusal's own file (whose message line, when it has one, names it).
    const ownMail = commands.slice(open.unanswered.length, place + 1).some(({ verb }) => verb === 'MAIL');
    if (!ownMail || filled.messageId === undefined) {
      if (open.messageId !== undefined) filled.messageId = open.messageId;
    }
    if (!ownMail || filled.returnPath === undefined) {
      if (open.returnPath !== undefined) filled.returnPath = open.returnPath;
    }
    if (filled.clientHostname === undefined && open.clientHostname !== undefined)
      filled.clientHostname = open.clientHostname;
    if (filled.serverHostname === undefined && open.serverHostname !== undefined)
      filled.serverHostname = open.serverHostname;
    return refused.map((recipient) => (recipient === undefined ? filled : { ...filled, recipient }));
  }

  /**
   * The recipients the answer at `place` of `commands` (both files' commands, end to end) refuses, as
   * its whole session in one file would say: a RCPT TO's own; for MAIL FROM, every RCPT TO sent after
   * it; for the message, every recipient its transaction accepted; none for another command.
   */
  private refusedRecipients(
    open: OpenSession,
    event: TraceEvent,
    commands: readonly Command[],
    place: number,
    leaving: boolean,
  ): (string | undefined)[] | 'undecided' {
    const command = commands[place];
    let refused: (string | undefined)[] = [];
    if (command?.verb === 'RCPT') refused = [command.recipient];
    else if (command?.verb === 'MAIL') {
      const sent = sentAfter(commands, place);
      const mail = sent.length < 2 || this.answersMailFrom(open, event, place, leaving);
      if (mail === undefined) return 'undecided';
      refused = mail ? sent : sent.slice(0, 1);
    } else if (MESSAGE.has(command?.verb ?? '')) refused = this.acceptedBy(open, commands, place, event);
    return refused.length === 0 ? [undefined] : refused;
  }

  /**
   * Whether a refusal of the MAIL FROM at `mail`, pipelined with several RCPT TOs, answers it, as the
   * whole log would tell (formats/iis-smtp-log.ts, `decide`). An IIS SMTP log may leave MAIL FROM's
   * answer unwritten: its refusal is then the first RCPT TO's, unless the next answer is a `503` (bad
   * sequence: the RCPT TO after a refused MAIL FROM). An Exchange log writes every answer, so its
   * place tells. `undefined` while that next answer may still come.
   */
  private answersMailFrom(
    open: OpenSession,
    event: TraceEvent,
    mail: number,
    leaving: boolean,
  ): boolean | undefined {
    const id = event.session?.id ?? '';
    if (!isConnection(id)) return true;
    const next = this.refusalsIn(open, id).find((refusal) => refusal.command === mail + 1);
    if (next !== undefined) return next.code === '503';
    return leaving ? false : undefined;
  }

  /** The refusals of commands sent before their log in the session joined to `open`. */
  private refusalsIn(open: OpenSession, id: string): EarlierRefusal[] {
    return (this.refusedEarlier.get(id) ?? []).filter(
      (refusal) => refusal.at >= open.at && this.sessionOf(id, refusal.at) === open,
    );
  }

  /**
   * Every recipient the transaction of the message sent at `message` accepted: those accepted before
   * the earlier file ended (when its MAIL FROM was answered there), and its RCPT TOs answered after,
   * but for those refused then (by their place, as the refusal's).
   */
  private acceptedBy(
    open: OpenSession,
    commands: readonly Command[],
    message: number,
    event: TraceEvent,
  ): (string | undefined)[] {
    let start = message;
    while (start > 0 && !TRANSACTION_BOUNDS.has(commands[start - 1]?.verb ?? '')) start--;
    const accepted: (string | undefined)[] = start === 0 ? [...open.accepted] : [];
    const at = Date.parse(event.timestamp);
    const refused = new Set(
      this.refusalsIn(open, event.session?.id ?? '')
        .filter((refusal) => refusal.at <= at)
        .map((refusal) => refusal.command),
    );
    for (let index = start; index < message; index++) {
      const command = commands[index];
      if (command?.verb === 'RCPT' && !refused.has(index)) accepted.push(command.recipient);
    }
    return accepted;
  }
}

/** Every RCPT TO sent after the MAIL FROM at `mail`, up to the end of its transaction or its message. */
function sentAfter(commands: readonly Command[], mail: number): (string | undefined)[] {
  const sent: (string | undefined)[] = [];
  for (const command of commands.slice(mail + 1)) {
    if (TRANSACTION_BOUNDS.has(command.verb) || MESSAGE.has(command.verb)) break;
    if (command.verb === 'RCPT') sent.push(command.recipient);
  }
  return sent;
}

/**
 * The events of a refusal its reader gives one per recipient: in a session joined late, the last
 * says what the run needs to pair its answer again (the commands sent in its log); the others do not,
 * and are dropped when it does ({@link OpenSessions.fill}). The last: the run releases the others
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

/** True for a refusal whose session start no file of the run had (after {@link OpenSessions.fill}). */
export function sessionStartUnseen(event: TraceEvent): boolean {
  return event.session?.partial === true;
}
