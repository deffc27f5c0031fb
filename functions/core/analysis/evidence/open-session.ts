/**
 * An SMTP session that goes on in the next send protocol log of a run (docs/domain.md §3 format 7).
 * Exchange starts a new SEND…-2.LOG when SEND…-1.LOG is full, so a session can say EHLO, STARTTLS
 * with the certificate presented, the message line, MAIL FROM and RCPT TO in one file and get its
 * `550 5.7.64` in the next, whose reader sees the end of a session without its start. So at the end
 * of each file its reader hands on every session still open, as an `OPEN_SESSION` event (its TLS
 * state and certificate, Message-ID, MAIL FROM, EHLO and greeting names, and the commands not
 * answered yet), and a refusal in a session joined late says which of those commands it answers:
 * a RCPT TO names its recipient, and so does a MAIL FROM whose transaction sent one RCPT TO only.
 * The classifier indexes the `OPEN_SESSION` events like any other evidence and fills such a refusal
 * from them, when it is read and again when it leaves the pending window — so the files of a run may
 * be read in either order, as the MTA logs' `QUEUED` events are (queued-sender.ts).
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import type { SmtpSession, TraceEvent } from '../model/events.js';

/** Event id of a session still open at the end of a send protocol log (stable: not a tracking event id). */
export const OPEN_SESSION_EVENT_ID = 'OPEN_SESSION';

type Command = NonNullable<SmtpSession['unanswered']>[number];

/** What an `OPEN_SESSION` event says of its session. */
interface OpenSession {
  session: SmtpSession;
  unanswered: readonly Command[];
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

/** The sessions open at the end of the files of the run so far, by session id (oldest forgotten first). */
export class OpenSessions {
  private readonly sessions: BoundedMap<string, OpenSession>;

  public constructor(tracked: number) {
    this.sessions = new BoundedMap(tracked);
  }

  /** Keeps the session of an `OPEN_SESSION` event; other events are not looked at. */
  public observe(event: TraceEvent): void {
    if (event.eventId !== OPEN_SESSION_EVENT_ID || event.session === undefined) return;
    // The reader's strings are its own copies already (smtp-sessions.ts detaches what it keeps).
    const open: OpenSession = { session: plain(event.session), unanswered: event.session.unanswered ?? [] };
    if (event.messageId !== undefined) open.messageId = event.messageId;
    if (event.returnPath !== undefined) open.returnPath = event.returnPath;
    if (event.clientHostname !== undefined) open.clientHostname = event.clientHostname;
    if (event.serverHostname !== undefined) open.serverHostname = event.serverHostname;
    this.sessions.set(event.session.id, open);
  }

  /**
   * The refusal with what the start of its session said, when its own file began after that start
   * and another file of the run has it; any other event as it is. What the refusal's own file said
   * wins: a message begun in that file is not the one the earlier file was sending.
   */
  public fill(event: TraceEvent): TraceEvent {
    const joined = event.session;
    if (joined?.partial !== true) return event;
    const open = this.sessions.get(joined.id);
    if (open === undefined) return event;
    // STARTTLS in the refusal's own file (the log rotated before it) already says how the session was secured.
    const session = joined.tls || joined.certificate !== undefined ? plain(joined) : open.session;
    const filled: TraceEvent = { ...event, session };
    const recipient =
      joined.earlierCommand === undefined
        ? undefined
        : refusedRecipient(open.unanswered, joined.earlierCommand);
    if (filled.recipient === undefined && recipient !== undefined) filled.recipient = recipient;
    if (event.messageId === undefined) {
      if (open.messageId !== undefined) filled.messageId = open.messageId;
      // MAIL FROM belongs to the earlier file's message only when the refusal's file began none.
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

/**
 * The one recipient a refusal of the handed-on command `at` refuses: a RCPT TO's own, or for a MAIL
 * FROM the only RCPT TO pipelined after it (formats/smtp-sessions.ts, `MailTransaction`). One event
 * cannot name several: a MAIL FROM with more stays a refusal without a recipient, as does the
 * message (DATA, BDAT), whose RCPT TOs were answered in the earlier file.
 */
function refusedRecipient(unanswered: readonly Command[], at: number): string | undefined {
  const command = unanswered[at];
  if (command?.verb !== 'MAIL') return command?.recipient;
  let only: string | undefined;
  for (const { verb, recipient } of unanswered.slice(at + 1)) {
    // Another transaction begins (RFC 5321 §4.1.4).
    if (verb === 'MAIL' || verb === 'RSET' || verb === 'EHLO' || verb === 'HELO') break;
    if (verb !== 'RCPT') continue;
    if (only !== undefined || recipient === undefined) return undefined;
    only = recipient;
  }
  return only;
}

/** True for a refusal whose session start no file of the run had (after {@link OpenSessions.fill}). */
export function sessionStartUnseen(event: TraceEvent): boolean {
  return event.session?.partial === true;
}
