/**
 * An SMTP session that goes on in the next log of a run (docs/domain.md §3 format 7). Exchange starts
 * a new SEND…-2.LOG when SEND…-1.LOG is full, and IIS a new ex*.log each hour, day or size, so a
 * session can say EHLO, STARTTLS with the certificate presented, the message line, MAIL FROM and
 * RCPT TO in one file and get its `550 5.7.64` in the next, whose reader sees the end of a session
 * without its start. So at the end of each file its reader hands on every session still open, as an
 * `OPEN_SESSION` event (its TLS state and certificate, Message-ID, MAIL FROM, EHLO and greeting names,
 * and the commands not answered yet), and a refusal in a session joined late says which of those
 * commands it answers: each names the recipient its refusal refuses, when one
 * (formats/smtp-sessions.ts, `handedOnCommands`). The classifier indexes the `OPEN_SESSION` events
 * like any other evidence and fills such a refusal from them, when it is read and again when it
 * leaves the pending window — so the files of a run may be read in either order, as the MTA logs'
 * `QUEUED` events are (queued-sender.ts).
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

type Command = NonNullable<SmtpSession['unanswered']>[number];

/** What an `OPEN_SESSION` event says of its session. */
interface OpenSession {
  session: SmtpSession;
  unanswered: readonly Command[];
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

  public constructor(tracked: number) {
    this.sessions = new BoundedMap(tracked);
  }

  /** Keeps the session of an `OPEN_SESSION` event; other events are not looked at. */
  public observe(event: TraceEvent): void {
    if (event.eventId !== OPEN_SESSION_EVENT_ID || event.session === undefined) return;
    // The reader's strings are its own copies already (smtp-sessions.ts detaches what it keeps).
    const open: OpenSession = {
      session: plain(event.session),
      unanswered: event.session.unanswered ?? [],
      at: Date.parse(event.timestamp),
      startUnseen: event.session.partial === true,
    };
    if (event.messageId !== undefined) open.messageId = event.messageId;
    if (event.returnPath !== undefined) open.returnPath = event.returnPath;
    if (event.clientHostname !== undefined) open.clientHostname = event.clientHostname;
    if (event.serverHostname !== undefined) open.serverHostname = event.serverHostname;
    const { id } = event.session;
    const handed = this.sessions.get(id);
    if (handed === undefined) this.sessions.set(id, [open]);
    else {
      if (handed.length >= PER_CONNECTION) handed.shift();
      handed.push(open);
    }
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
   * and another file of the run has it; any other event as it is. What the refusal's own file said
   * wins: a message begun in that file is not the one the earlier file was sending.
   *
   * Filled as soon as a session is found, a refusal is not filled again: a connection's refusal read
   * after one log that handed a session of its connection on, and before a later log that handed on
   * another within the gap (logs rolled over by size within minutes, read out of order), keeps the
   * earlier. Only joining connections when the refusal leaves the window would tell.
   */
  public fill(event: TraceEvent): TraceEvent {
    const joined = event.session;
    if (joined?.partial !== true) return event;
    const open = this.sessionOf(joined.id, Date.parse(event.timestamp));
    if (open === undefined || open.startUnseen) return event;
    const { session: _joined, ...rest } = event;
    const filled: TraceEvent = rest;
    // STARTTLS in the refusal's own file (the log rotated before it) already says how the session was
    // secured. A connection's log says nothing of TLS: joined, the refusal is as if read whole.
    if (!isConnection(joined.id))
      filled.session = joined.tls || joined.certificate !== undefined ? plain(joined) : open.session;
    // Answers come in the order of the commands: the first answers in the refusal's file are to the
    // commands the earlier file left unanswered, whatever the refusal's file paired them with.
    const at = joined.earlierCommand;
    const recipient = at === undefined ? undefined : open.unanswered[at]?.recipient;
    if (recipient !== undefined) filled.recipient = recipient;
    // The message is the earlier file's when the refusal may answer a command sent there, or its own
    // file began none (no Message-ID): then so is its MAIL FROM, unless its own file gave one.
    if (at !== undefined || event.messageId === undefined) {
      if (open.messageId !== undefined) filled.messageId = open.messageId;
      if (filled.returnPath === undefined && open.returnPath !== undefined)
        filled.returnPath = open.returnPath;
    }
    if (filled.clientHostname === undefined && open.clientHostname !== undefined)
      filled.clientHostname = open.clientHostname;
    if (filled.serverHostname === undefined && open.serverHostname !== undefined)
      filled.serverHostname = open.serverHostname;
    return filled;
  }
}

/** True for a refusal whose session start no file of the run had (after {@link OpenSessions.fill}). */
export function sessionStartUnseen(event: TraceEvent): boolean {
  return event.session?.partial === true;
}
