/**
 * Session reassembly for SMTP send protocol logs. A session spans many rows (connect, EHLO,
 * STARTTLS, the certificate lines, the message line, MAIL FROM, RCPT TO…, the answers, QUIT) and
 * sessions interleave, so each row updates its session's state; a refusal is turned into an event
 * when its answer row is read, with what the session has said so far (certificate, message,
 * MAIL FROM, the recipient whose RCPT TO it answers).
 *
 * Answers are matched to commands in order: with pipelining the client sends MAIL FROM and every
 * RCPT TO before the first answer, and the server answers them in the order sent (RFC 2920). A
 * refusal of a RCPT TO refuses its recipient; one of MAIL FROM or of the message refuses the
 * recipients of its transaction ({@link MailTransaction}).
 *
 * Memory is bounded: at most {@link SessionLimits.sessions} sessions are open at once (the oldest is
 * closed early when another starts; its later rows start a new, partial session) and each keeps at
 * most {@link SessionLimits.commands} unanswered commands (beyond that only their number is kept, so
 * answers still pair up; the recipients of such RCPT TO rows are not known).
 *
 * A session may go on in the next log file (Exchange starts SEND…-2.LOG when -1 is full), and in the
 * one after: at the end of a file the sessions still open are handed on ({@link SmtpSessions.stillOpen}),
 * with the recipients their transaction under way had accepted. In a session joined late, the first
 * answers are to the commands the earlier logs left unanswered, then to this log's own, and how many
 * the earlier logs left this log cannot tell: so a refusal there says its answer's place in the session
 * here (`earlierCommand`) and the session's rows in this log before it, commands and answers' codes in
 * the order read (`unanswered`, a {@link transcriptOf transcript}), and the classifier pairs it with the
 * commands of every log of the session (evidence/open-session.ts). Such a session still open at the end
 * of this log is handed on with its transcript too, for the log after; the numbers of the session's
 * rows (`sequence-number`, on across the files) say which log follows which. This log's own pairing
 * (as if the earlier one had left nothing unanswered) stands when the run lacks an earlier log.
 *
 * Two servers' logs may hold the same session id: a session is handed on with its connector and local
 * endpoint, which its refusals carry too, so that it is joined to the same server's session only.
 *
 * A send connector with FrontendProxyEnabled (Exchange 2013 and later) sends through the outbound
 * proxy front end, which opens its own session to Exchange Online: the server's log then shows its
 * session to the front end (port 717), with `XPROXYTO`, and the TLS and certificate of that internal
 * hop are not what Exchange Online saw ({@link SmtpSession.frontEnd}).
 */
import { detach } from '../../kernel/strings.js';
import { isDnsName, normaliseName } from '../../organisation/host-names.js';
import {
  answerEntry,
  certificateCutEntry,
  certificateValueEntry,
  rowEntry,
} from '../evidence/open-session.js';
import {
  normaliseAddress,
  normaliseMessageId,
  type PresentedCertificate,
  type SmtpSession,
} from '../model/events.js';
import { continuesReply, type HeldLines, holdLines, wholeReply } from './multi-line-reply.js';
import { CertificateBuilder, certificateLine } from './protocol-certificate.js';
import { MAX_PENDING_ANSWERS, SessionGap } from './session-gap.js';

export interface SessionLimits {
  /** Sessions open at once. */
  sessions: number;
  /** Unanswered commands kept per session. */
  commands: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { sessions: 10_000, commands: 1_000 };

/** One row of a send protocol log, its columns already picked. */
export interface ProtocolRow {
  sessionId: string;
  /** `+` connect, `-` disconnect, `>` sent, `<` received, `*` information. */
  event: string;
  data: string;
  context: string;
  line: number;
  /** The send connector (`connector-id`) and the server's end of the connection (`local-endpoint`), when written. */
  connector?: string | undefined;
  local?: string | undefined;
  /** The row's number in its session (`sequence-number`), which goes on across the next file. */
  sequence?: number | undefined;
}

/** What an answer row meant, when it answered a command and is worth an event. */
export interface Answer {
  /** The answer text, e.g. `550 5.7.64 TenantAttribution; Relay Access Denied [...]`. */
  reply: string;
  /** The command it answers: `RCPT` (with its recipient), `MAIL`, `DATA`… or `unknown`. */
  command: string;
  /** The recipient of the RCPT TO it answers, when known. */
  recipient?: string;
  /**
   * An answer to MAIL FROM or to the message, in a transaction the log has from its MAIL FROM: the
   * recipients it refuses, one event each ({@link MailTransaction.refusedBy}).
   */
  recipients?: readonly (string | undefined)[];
  /** Why the recipient is not known, when the answer is to a RCPT TO whose row was not kept. */
  recipientUnknown?: string;
  messageId?: string;
  /** MAIL FROM of the current message: `''` for `<>`; absent when not seen. */
  mailFrom?: string;
  /** The name the server announced itself with (EHLO/HELO), usually the send connector's FQDN. */
  ehloName?: string;
  /** The remote's name from its greeting (`220 host Microsoft ESMTP MAIL Service ready…`). */
  remoteName?: string;
  session: SmtpSession;
}

/** What the reassembly tells the row adapter about one row. */
export type RowOutcome =
  | { kind: 'read' }
  | { kind: 'answer'; answer: Answer }
  /**
   * A refusal read after rows missing from its session: paired once the answers after it tell with
   * which command, and handed out then ({@link SmtpSessions.takeReleased}) with this row's line.
   */
  | { kind: 'deferred' }
  /** A command row whose content could not be kept (the session's command cap was reached). */
  | { kind: 'dropped'; message: string };

interface Command {
  verb: string;
  recipient?: string;
  /** The transaction under way when it was sent, when the log has its MAIL FROM. */
  transaction?: MailTransaction;
}

/**
 * One mail transaction, from its MAIL FROM to the answer after its message (RFC 5321 §3.3), and the
 * recipients an answer to the whole of it refuses. Exchange Online may refuse a relay at MAIL FROM —
 * then every RCPT TO sent for it is refused with it (pipelined after it, RFC 2920; their own answers
 * are mere `503`s) — or after the message (DATA, BDAT), which refuses every recipient accepted at
 * RCPT TO. A refusal of one RCPT TO is that recipient's alone. The IIS SMTP reader keeps them too.
 */
export class MailTransaction {
  private readonly sent: string[] = [];
  private readonly accepted: string[] = [];
  /** A RCPT TO of the transaction whose recipient was not kept (beyond the bound, or not read). */
  private unnamed = false;
  /** A RCPT TO of the transaction may have been accepted by an answer not paired (rows missing). */
  private acceptedUnnamed = false;

  /** `bound`: recipients kept; a transaction with more says that some are not known. */
  public constructor(private readonly bound: number) {}

  /** A RCPT TO sent in the transaction; `undefined` when its recipient is not known. */
  public send(recipient: string | undefined): void {
    if (recipient === undefined || this.sent.length >= this.bound) this.unnamed = true;
    else this.sent.push(recipient);
  }

  /** A RCPT TO of the transaction answered 2xx. */
  public accept(recipient: string): void {
    if (this.accepted.length < this.bound) this.accepted.push(recipient);
  }

  /** A 2xx that may answer one of the transaction's RCPT TO, which one not known. */
  public acceptUnnamed(): void {
    this.acceptedUnnamed = true;
  }

  /**
   * The recipients a refusal answering `verb` refuses — every RCPT TO sent, for MAIL FROM; every one
   * accepted, for the message (DATA, BDAT) — or `undefined` for another command. An `undefined` in the
   * list stands for those the log does not name (none named, or some not kept), so that the refusal
   * is still an event, without a recipient.
   */
  public refusedBy(verb: string): (string | undefined)[] | undefined {
    const named =
      verb === 'MAIL' ? this.sent : verb === 'DATA' || verb === 'BDAT' ? this.accepted : undefined;
    if (named === undefined) return undefined;
    const unnamed = this.unnamed || (verb !== 'MAIL' && this.acceptedUnnamed);
    return named.length === 0 || unnamed ? [...named, undefined] : [...named];
  }

  /** The recipients accepted at RCPT TO so far (handed on with a session still open at the end of its log). */
  public get acceptedSoFar(): string[] {
    return [...this.accepted];
  }
}

/** A command waiting for its answer, as a reader keeps it. */
interface Waiting {
  verb: string;
  recipient?: string;
}

/**
 * The commands still waiting for their answer at the end of a log, oldest first, as they are handed
 * on to the next log of the run, each RCPT TO with its recipient (or a partial session's transcript,
 * its answers among them). What a refusal of MAIL FROM or of the message in the next log refuses is
 * told from them there (evidence/open-session.ts): the RCPT TOs after that MAIL FROM; those
 * accepted, before that message.
 */
export function handedOnCommands(waiting: readonly Waiting[]): { verb: string; recipient?: string }[] {
  return waiting.map(({ verb, recipient }) => (recipient === undefined ? { verb } : { verb, recipient }));
}

/** What a session still open at the end of its log had said, for the next log of the run. */
export interface OpenSession {
  /** Its TLS state and certificate, with the commands not answered yet. */
  session: SmtpSession;
  /** The recipients its transaction under way had accepted: what a refusal of its message refuses. */
  accepted: readonly string[];
  messageId?: string;
  mailFrom?: string;
  ehloName?: string;
  remoteName?: string;
  /** The server whose session it is: its connector and local endpoint, as its rows wrote them. */
  connector?: string;
  local?: string;
}

interface SessionState {
  id: string;
  firstLine: number;
  greeted: boolean;
  tls: boolean;
  /** Which certificate the next `Certificate …` lines describe. */
  reading: 'sending' | 'received' | undefined;
  /**
   * A session joined late whose rows here are so far certificate values only: they may go on with the
   * certificate lines a rollover cut (the earlier log's, which alone says whether the server's or the
   * remote's), so they are transcribed for the run to tell (evidence/open-session.ts).
   */
  continuing: boolean;
  builder: CertificateBuilder | undefined;
  session: SmtpSession;
  ehloName?: string;
  remoteName?: string;
  messageId?: string;
  mailFrom?: string;
  /** The transaction begun by the last MAIL FROM sent, until RSET or EHLO. */
  transaction: MailTransaction | undefined;
  commands: Command[];
  head: number;
  /** Commands sent beyond the cap: only counted, answered after the kept ones. */
  uncounted: number;
  /** True when this state began after the session's start was missed (closed early, or before the log). */
  partial: boolean;
  /** In a partial session: answers read so far (a 354 aside: the answer after it is to the same DATA). */
  answers: number;
  /**
   * In a partial session: its rows in this log, oldest first, commands and answers (at most twice the
   * command cap; see {@link transcriptOf}).
   */
  transcript: Waiting[];
  /** Its connector and local endpoint, which tell the server's session from another's of the same id. */
  connector?: string;
  local?: string;
  /** The number of its first row in this log, and the one after its last (when the log numbers them). */
  firstRow?: number;
  nextRow?: number;
  /** Its rows here skip numbers: rows were taken out of the log (filtered), so its files' numbers may skip too. */
  skipped?: boolean;
  /** The lines of a multi-line reply written one per row, until its last line ({@link SmtpSessions.wholeReply}). */
  continued?: HeldLines;
  /** The command first waiting is a DATA whose 354 was read. */
  messageOpen?: boolean;
  /** Rows missing while commands waited ({@link SessionGap}), and the answers read since, until they tell the pairing. */
  gap?: SessionGap;
  afterGap: GapReply[];
  /** Why the session's answers are no longer paired (rows missing, the pairing not told): every later one is unknown. */
  unpaired?: string;
}

/** What the session had said when an answer was read, as its refusal carries it. */
type Said = Pick<Answer, 'messageId' | 'mailFrom' | 'ehloName' | 'remoteName' | 'session'>;

/** An answer read after rows missing from its session, until it can be paired. */
interface GapReply {
  code: string;
  reply: string;
  line: number;
  /** The transaction under way when it was read: what a 2xx not paired may have accepted a RCPT TO of. */
  transaction: MailTransaction | undefined;
  said: Said;
}

/** Sessions whose rows skip while commands waited, for the reader's note. */
export interface MissingRows {
  /** Such sessions. */
  sessions: number;
  /** The first few, each `session <id>: sequence-number <from>–<to>`. */
  named: string[];
  /** Refusals read after such a skip that could not be paired, and the first few of their lines. */
  unpaired: number;
  lines: number[];
}

/** Sessions and lines a note names at most. */
const NAMED = 5;

const MESSAGE_LINE = /sending message with RecordId \S+ and InternetMessageId (<[^>\s]*>|\S+)/i;
const REPLY = /^([2-5]\d\d)([ -]|$)/;

/**
 * Spaces other than ASCII's that a copy of a log through Excel, Word or a web page leaves in a reply
 * (`550\u00a05.7.64`): no-break, the typographic ones, ideographic, and the tab. Read as spaces, so that
 * such a row is the answer it is, and its text the one the rejection parser reads.
 */
const OTHER_SPACES = /[\t\u00A0\u2000-\u200A\u202F\u205F\u3000]/g;

/** An answer row's text with its spaces made ASCII ({@link OTHER_SPACES}), trimmed. */
function plainReply(data: string): string {
  return data.replace(OTHER_SPACES, ' ').trim();
}

/**
 * The line Exchange writes before `XPROXYTO` when the send connector names its certificate: the
 * front end is to present it to Exchange Online.
 */
const FRONT_END_CERTIFICATE =
  /Instructing the next hop \(outbound proxy frontend\) to present the following certificate during TLS:(.*)$/i;
/** The front end's answer when its own session to the target failed. */
const FRONT_END_FAILURE = /Proxy session setup failed on Frontend/i;

/**
 * The certificate a "present the following certificate" line names: the send connector's
 * TlsCertificateName as Exchange writes it (`<I>issuer<S>subject`, the issuer optional), a
 * distinguished name, or the FQDN the front end picks its certificate by. Names only: the front
 * end's own log has the rest.
 */
function namedCertificate(text: string): PresentedCertificate | undefined {
  const value = text.trim();
  const builder = new CertificateBuilder();
  const identifier = /^(?:<I>([^<]*))?<S>(.+)$/i.exec(value);
  if (identifier !== null) {
    builder.add('subject', (identifier[2] ?? '').trim());
    builder.add('issuer', (identifier[1] ?? '').trim());
    return { ...builder.build(), instructed: true };
  }
  if (/(?:^|[,\s])CN=/i.test(value)) {
    builder.add('subject', value);
    return { ...builder.build(), instructed: true };
  }
  const name = normaliseName(value);
  return isDnsName(name) ? { names: [detach(name)], alternateNames: [], instructed: true } : undefined;
}

/** What the session has said so far, as a refusal read now carries it. */
function said(state: SessionState): Said {
  const said: Said = { session: state.session };
  if (state.messageId !== undefined) said.messageId = state.messageId;
  if (state.mailFrom !== undefined) said.mailFrom = state.mailFrom;
  if (state.ehloName !== undefined) said.ehloName = state.ehloName;
  if (state.remoteName !== undefined) said.remoteName = state.remoteName;
  return said;
}

/**
 * A refusal: of `command` (with its recipient, or the recipients of its transaction it refuses), or,
 * its command not known, `recipientUnknown` says why.
 */
function answerOf(reply: string, said: Said, command?: Command, recipientUnknown?: string): Answer {
  const verb = command?.verb ?? 'unknown';
  const answer: Answer = { reply, command: verb, session: said.session };
  if (command?.recipient !== undefined) answer.recipient = command.recipient;
  const recipients = command?.transaction?.refusedBy(verb);
  if (recipients !== undefined) answer.recipients = recipients;
  if (recipientUnknown !== undefined) answer.recipientUnknown = recipientUnknown;
  if (said.messageId !== undefined) answer.messageId = said.messageId;
  if (said.mailFrom !== undefined) answer.mailFrom = said.mailFrom;
  if (said.ehloName !== undefined) answer.ehloName = said.ehloName;
  if (said.remoteName !== undefined) answer.remoteName = said.remoteName;
  return answer;
}

/**
 * What a partial session hands on of its rows in this log: the number of its first row here
 * ({@link rowEntry}), then each command sent (a RCPT TO with its recipient) and, where it was read,
 * each answer's code ({@link answerEntry}), oldest first. Laid after the commands the earlier logs
 * left unanswered, it pairs every answer as the whole log would, and says which RCPT TOs were
 * accepted; the row numbers tell which logs the session went on through. Past its bound the list
 * stops, and its answers no longer number `earlierCommand`: the run then does not join the session
 * (evidence/open-session.ts).
 */
function transcriptOf(state: SessionState): Waiting[] {
  const transcript = handedOnCommands(state.transcript);
  return state.firstRow === undefined
    ? transcript
    : [rowEntry(state.firstRow, state.skipped === true), ...transcript];
}

export class SmtpSessions {
  private readonly open = new Map<string, SessionState>();
  /** Sessions closed before their end because too many were open. */
  public closedEarly = 0;
  /** Sessions whose rows skip while commands waited (for the reader's note). */
  public readonly missingRows: MissingRows = { sessions: 0, named: [], unpaired: 0, lines: [] };
  /** Sessions with a skip not told yet. */
  private readonly uncertain = new Set<SessionState>();
  /** Refusals of such sessions paired (or not) since the reader last took them. */
  private released: { answer: Answer; line: number }[] = [];

  public constructor(private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS) {}

  /** Updates the row's session and says what the row meant. */
  public read(row: ProtocolRow): RowOutcome {
    const known = this.open.get(row.sessionId);
    if (row.event === '-') {
      if (known !== undefined) this.settle(known);
      this.open.delete(row.sessionId);
      return { kind: 'read' };
    }
    if (row.event === '+') {
      // Exchange may write `attempting to connect` (`*`) under the session id before the connect row.
      const state = known ?? this.start(row, false);
      state.greeted = false;
      state.continuing = false;
      delete state.continued;
      this.locate(state, row);
      this.number(state, row);
      return { kind: 'read' };
    }
    // Rows of a session never seen to start (it began before the log, or was closed early); only
    // `attempting to connect` may come before the connect row.
    const state =
      known ?? this.start(row, !(row.event === '*' && /^attempting to connect/i.test(row.context.trim())));
    this.locate(state, row);
    this.number(state, row);
    switch (row.event) {
      case '*':
        this.information(state, row);
        return { kind: 'read' };
      case '>':
        state.reading = undefined;
        state.continuing = false;
        return this.sent(state, row);
      case '<':
        state.reading = undefined;
        state.continuing = false;
        return this.received(state, row);
      default:
        return { kind: 'read' };
    }
  }

  private start(row: ProtocolRow, partial: boolean): SessionState {
    if (this.open.size >= this.limits.sessions) {
      // Map order is insertion order: the first key is the session open longest.
      const oldest = this.open.keys().next().value;
      if (oldest !== undefined) {
        const evicted = this.open.get(oldest);
        if (evicted !== undefined) this.settle(evicted);
        this.open.delete(oldest);
      }
      this.closedEarly++;
    }
    const id = detach(row.sessionId);
    const state: SessionState = {
      id,
      firstLine: row.line,
      // A session joined late has had its greeting already.
      greeted: partial,
      tls: false,
      reading: undefined,
      continuing: partial,
      builder: undefined,
      session: partial
        ? { id, tls: false, partial: true, line: row.line }
        : { id, tls: false, line: row.line },
      transaction: undefined,
      commands: [],
      head: 0,
      uncounted: 0,
      partial,
      answers: 0,
      transcript: [],
      afterGap: [],
    };
    this.open.set(id, state);
    return state;
  }

  /**
   * Keeps the numbers of the session's first row in this log and of the row after its last, and
   * whether its rows skip numbers: Exchange numbers each row of a session, so a skip says rows were
   * taken out (a log shipper or `Select-String -NotMatch` dropping the informational `*` rows).
   */
  private number(state: SessionState, row: ProtocolRow): void {
    if (row.sequence === undefined) return;
    if (state.nextRow !== undefined && row.sequence !== state.nextRow) {
      state.skipped = true;
      if (row.sequence > state.nextRow) this.missing(state, state.nextRow, row.sequence - 1);
    }
    state.firstRow ??= row.sequence;
    state.nextRow = row.sequence + 1;
  }

  /**
   * Rows `from`–`to` of the session are not in the log. With no command waiting they were `*` rows
   * (a filter dropping them) or whole exchanges: the pairing goes on. With commands waiting, the
   * answers after the skip are paired once they tell how ({@link SessionGap}). A session joined late
   * hands its row numbers on instead (its transcript), for the run to tell.
   */
  private missing(state: SessionState, from: number, to: number): void {
    if (state.partial || state.unpaired !== undefined) return;
    if (state.head === state.commands.length && state.uncounted === 0) return;
    // A second skip before the first was told: both are read together, while the readings stay few.
    if (state.gap !== undefined) {
      if (state.gap.widen(state.commands, from, to)) return;
      this.settle(state);
      if (state.unpaired !== undefined) return;
    }
    const gap =
      state.uncounted > 0
        ? undefined
        : SessionGap.after(state.commands, state.head, state.messageOpen === true, from, to);
    if (gap === undefined) {
      const missing = from === to ? `${from}` : `${from}–${to}`;
      this.noteMissing(state, missing, 0, undefined);
      this.losePairing(state, missing);
      return;
    }
    state.gap = gap;
    this.uncertain.add(state);
  }

  /** The session's answers can no longer be paired: every later one is unknown, until the session ends. */
  private losePairing(state: SessionState, missing: string): void {
    state.unpaired =
      `rows of the session (sequence-number ${missing}) are missing from the log while commands waited for ` +
      'their answers, so the command this answers is not known';
    state.head = state.commands.length;
    state.uncounted = 0;
    delete state.messageOpen;
    this.compact(state);
  }

  /** Counts a session with rows missing while commands waited, for the reader's note. */
  private noteMissing(
    state: SessionState,
    missing: string,
    unpaired: number,
    line: number | undefined,
  ): void {
    const { missingRows } = this;
    missingRows.sessions++;
    if (missingRows.named.length < NAMED)
      missingRows.named.push(`session ${state.id}: sequence-number ${missing}`);
    missingRows.unpaired += unpaired;
    if (line !== undefined && missingRows.lines.length < NAMED) missingRows.lines.push(line);
  }

  /**
   * Keeps the session's connector and local endpoint, each from its first row that writes one
   * (`attempting to connect` writes no local endpoint, and may leave the connector out): a session is
   * handed on and joined by them (evidence/open-session.ts), so both logs must name them alike.
   */
  private locate(state: SessionState, row: ProtocolRow): void {
    if (state.connector === undefined && row.connector !== undefined && row.connector !== '')
      state.connector = detach(row.connector);
    if (state.local === undefined && row.local !== undefined && row.local !== '')
      state.local = detach(row.local);
  }

  private information(state: SessionState, row: ProtocolRow): void {
    const certificate = certificateLine(row.data, row.context);
    if (state.continuing) {
      if (certificate?.kind === 'value') {
        this.transcribe(state, certificateValueEntry(certificate.field, certificate.value));
        return;
      }
      state.continuing = false;
    }
    if (certificate !== undefined) {
      // Through the front end, this server's certificate lines are of the hop to the front end.
      if (state.session.frontEnd === true) return;
      switch (certificate.kind) {
        case 'sending-start':
          state.reading = 'sending';
          state.builder = new CertificateBuilder();
          state.session = { ...state.session, line: row.line };
          return;
        case 'sending-whole':
          state.reading = undefined;
          state.session = { ...state.session, certificate: certificate.certificate, line: row.line };
          return;
        case 'received-start':
          this.finishCertificate(state);
          state.reading = 'received';
          return;
        case 'value':
          if (state.reading === 'sending') {
            state.builder?.add(certificate.field, certificate.value);
            // Rebuilt per value: the lines end with no marker, and a refusal may follow any of them.
            if (state.builder) state.session = { ...state.session, certificate: state.builder.build() };
          }
          return;
      }
    }
    const named = FRONT_END_CERTIFICATE.exec(row.context) ?? FRONT_END_CERTIFICATE.exec(row.data);
    if (named !== null) {
      this.throughFrontEnd(state, row.line, namedCertificate(named[1] ?? ''));
      return;
    }
    const message = MESSAGE_LINE.exec(row.context) ?? MESSAGE_LINE.exec(row.data);
    if (message?.[1] !== undefined) {
      state.messageId = detach(normaliseMessageId(message[1]));
      delete state.mailFrom;
    }
  }

  /**
   * The session goes through the outbound proxy front end: what the log said of its own TLS and
   * certificate is dropped, and `named` (the certificate the front end was told to present, when the
   * log names it) is what Exchange Online saw.
   */
  private throughFrontEnd(state: SessionState, line: number, named?: PresentedCertificate): void {
    if (state.session.frontEnd === true && named === undefined) return;
    state.reading = undefined;
    state.builder = undefined;
    const { certificate: _ownHop, ...session } = state.session;
    state.session =
      named === undefined
        ? { ...session, tls: true, frontEnd: true, line: state.firstLine }
        : { ...session, tls: true, frontEnd: true, certificate: named, line };
  }

  private finishCertificate(state: SessionState): void {
    if (state.reading === 'sending' && state.builder) {
      state.session = { ...state.session, certificate: state.builder.build() };
    }
    state.builder = undefined;
  }

  private sent(state: SessionState, row: ProtocolRow): RowOutcome {
    const text = row.data.trim();
    const verb = (/^[A-Za-z-]+/.exec(text)?.[0] ?? '').toUpperCase();
    if (verb === '') return { kind: 'read' };
    let recipient: string | undefined;
    if (verb === 'XPROXYTO') {
      this.throughFrontEnd(state, row.line);
    } else if (verb === 'MAIL') {
      const address = /^MAIL FROM:\s*(<[^>]*>|\S*)/i.exec(text)?.[1];
      if (address !== undefined) state.mailFrom = detach(normaliseAddress(address));
      state.transaction = new MailTransaction(this.limits.commands);
    } else if (verb === 'RCPT') {
      const address = /^RCPT TO:\s*(<[^>]*>|\S*)/i.exec(text)?.[1];
      if (address !== undefined) recipient = detach(normaliseAddress(address));
    } else if (verb === 'EHLO' || verb === 'HELO') {
      // Ends the transaction under way, as RSET does (RFC 5321 §4.1.4); its commands keep it for their answers.
      state.transaction = undefined;
      const name = text.slice(5).trim();
      if (name !== '') state.ehloName = detach(name.toLowerCase());
    } else if (verb === 'RSET') {
      state.transaction = undefined;
    }
    const transaction = state.transaction;
    // Past the bound while a skip is not told: the readings index the commands kept, so it is told now.
    if (state.gap !== undefined && state.commands.length - state.head >= this.limits.commands)
      this.settle(state);
    const live = state.commands.length - state.head;
    if (state.uncounted > 0 || live >= this.limits.commands) {
      state.uncounted++;
      if (verb === 'RCPT') {
        transaction?.send(undefined);
        return {
          kind: 'dropped',
          message: `session ${state.id} has more than ${this.limits.commands} unanswered commands; this RCPT TO's recipient is not kept (its answer is still read)`,
        };
      }
      return { kind: 'read' };
    }
    const command: Command = { verb };
    if (recipient !== undefined) command.recipient = recipient;
    if (state.partial) this.transcribe(state, recipient === undefined ? { verb } : { verb, recipient });
    if (transaction !== undefined) {
      command.transaction = transaction;
      if (verb === 'RCPT') transaction.send(recipient);
    }
    state.commands.push(command);
    return { kind: 'read' };
  }

  private received(state: SessionState, row: ProtocolRow): RowOutcome {
    const line = plainReply(row.data);
    const code = REPLY.exec(line);
    if (code === null) return { kind: 'read' };
    const reply = this.wholeReply(state, line, code[1] ?? '');
    if (reply === undefined) return { kind: 'read' };
    // The greeting answers no command; in a session joined late, answers are to commands already sent.
    if (!state.greeted && state.head === state.commands.length && state.uncounted === 0) {
      state.greeted = true;
      // The name is on the greeting's first line (RFC 5321 §4.2), of a multi-line one too.
      const name = /^220[ -]+(\S+)/.exec(reply)?.[1];
      if (name !== undefined) state.remoteName = detach(name.toLowerCase());
      return { kind: 'read' };
    }
    if (state.gap !== undefined) return this.afterGap(state, row, reply, code[1] ?? '', state.gap);
    if (state.unpaired !== undefined) {
      if (FRONT_END_FAILURE.test(reply)) this.throughFrontEnd(state, row.line);
      if (!/^[45]/.test(reply)) return { kind: 'read' };
      return { kind: 'answer', answer: answerOf(reply, said(state), undefined, state.unpaired) };
    }
    let command: Command | undefined;
    let recipientUnknown: string | undefined;
    // In a session joined late, every answer's place: the run pairs it with the commands of both logs.
    let earlierCommand: number | undefined;
    let transcript: Waiting[] | undefined;
    if (state.partial) {
      earlierCommand = state.answers;
      transcript = /^[45]/.test(reply) ? transcriptOf(state) : undefined;
      // A 354 asks for the message: the answer after it is to the same DATA.
      if (code[1] !== '354') state.answers++;
      this.transcribe(state, answerEntry(code[1] ?? ''));
    }
    if (state.head < state.commands.length) {
      command = state.commands[state.head];
      state.commands[state.head++] = { verb: '' };
    } else if (state.uncounted > 0) {
      state.uncounted--;
      recipientUnknown = `the session had more than ${this.limits.commands} unanswered commands`;
    } else if (state.partial) {
      recipientUnknown =
        'the session began before this log (or was closed early), so the command answered is not known';
    }
    const verb = command?.verb ?? 'unknown';
    if (verb === 'STARTTLS' && code[1] === '220') {
      state.tls = true;
      state.session = { ...state.session, tls: true };
    }
    if (FRONT_END_FAILURE.test(reply)) this.throughFrontEnd(state, row.line);
    // A 354 asks for the message; the answer to the message itself comes next.
    delete state.messageOpen;
    if (command !== undefined && verb === 'DATA' && code[1] === '354') {
      state.commands[--state.head] = command;
      state.messageOpen = true;
    }
    this.compact(state);
    if (verb === 'RCPT' && reply.startsWith('2') && command?.recipient !== undefined) {
      command.transaction?.accept(command.recipient);
    }
    if (!/^[45]/.test(reply)) return { kind: 'read' };
    const session =
      earlierCommand === undefined ? state.session : this.lateAnswer(state, row, earlierCommand, transcript);
    return {
      kind: 'answer',
      answer: answerOf(reply, { ...said(state), session }, command, recipientUnknown),
    };
  }

  /**
   * An answer read after rows missing while commands waited: paired under every reading of the missing
   * rows, and kept until they agree (or the session ends, or too many wait); a refusal is handed out
   * then ({@link takeReleased}).
   */
  private afterGap(
    state: SessionState,
    row: ProtocolRow,
    reply: string,
    code: string,
    gap: SessionGap,
  ): RowOutcome {
    const picks = gap.answer(state.commands, code);
    if (code === '220' && picks.some((index) => state.commands[index]?.verb === 'STARTTLS')) {
      state.tls = true;
      state.session = { ...state.session, tls: true };
    }
    if (FRONT_END_FAILURE.test(reply)) this.throughFrontEnd(state, row.line);
    state.afterGap.push({ code, reply, line: row.line, transaction: state.transaction, said: said(state) });
    const refusal = /^[45]/.test(reply);
    if (gap.broken || gap.settled !== undefined || gap.answers >= MAX_PENDING_ANSWERS) this.settle(state);
    return refusal ? { kind: 'deferred' } : { kind: 'read' };
  }

  /**
   * Pairs the answers read since the session's rows skipped, as the readings left agree, and hands
   * out their refusals: one every reading pairs with the same command is that command's; another is
   * given without its recipient. Where the readings agree the session stands, its pairing goes on
   * from there; otherwise its later answers are not paired either.
   */
  private settle(state: SessionState): void {
    const gap = state.gap;
    if (gap === undefined) return;
    delete state.gap;
    this.uncertain.delete(state);
    const replies = state.afterGap;
    state.afterGap = [];
    const reason =
      `rows of the session (sequence-number ${gap.missing}) are missing from the log while commands waited ` +
      'for their answers, and the answers after them do not tell which command this answers';
    let unpaired = 0;
    let firstLine: number | undefined;
    replies.forEach((reply, i) => {
      const index = gap.agreed(i);
      const command = index === undefined ? undefined : state.commands[index];
      const refusal = /^[45]/.test(reply.reply);
      if (command !== undefined) {
        if (command.verb === 'RCPT' && reply.code.startsWith('2') && command.recipient !== undefined)
          command.transaction?.accept(command.recipient);
        if (refusal)
          this.released.push({ answer: answerOf(reply.reply, reply.said, command), line: reply.line });
        return;
      }
      if (reply.code.startsWith('2')) this.doubt(state, gap, i, reply);
      if (!refusal) return;
      unpaired++;
      firstLine ??= reply.line;
      this.released.push({ answer: answerOf(reply.reply, reply.said, undefined, reason), line: reply.line });
    });
    const settled = gap.broken ? undefined : gap.settled;
    if (settled === undefined || unpaired > 0 || gap.lostRows)
      this.noteMissing(state, gap.missing, unpaired, firstLine);
    if (settled === undefined) {
      this.losePairing(state, gap.missing);
      return;
    }
    for (let index = state.head; index < settled.cursor; index++) state.commands[index] = { verb: '' };
    state.head = settled.cursor;
    if (settled.open) state.messageOpen = true;
    else delete state.messageOpen;
    this.compact(state);
  }

  /**
   * A 2xx not paired may have accepted a RCPT TO of the transactions it may answer in: a refusal of
   * their message then refuses a recipient the log does not name.
   */
  private doubt(state: SessionState, gap: SessionGap, i: number, reply: GapReply): void {
    const candidates = gap.broken ? [-1] : gap.candidates(i);
    for (const index of candidates) {
      const command = index < 0 ? undefined : state.commands[index];
      if (command === undefined) {
        // One sent in the missing rows, or no reading left: any transaction of the session's waiting commands.
        reply.transaction?.acceptUnnamed();
        for (let at = state.head; at < state.commands.length; at++)
          state.commands[at]?.transaction?.acceptUnnamed();
      } else if (command.verb === 'RCPT') command.transaction?.acceptUnnamed();
    }
  }

  /** Refusals paired or told unknown since last taken, each with its row's line: the reader emits them. */
  public takeReleased(): { answer: Answer; line: number }[] {
    const released = this.released;
    this.released = [];
    return released;
  }

  /** The first line of a refusal kept until its session's skip is told, if any. */
  public get firstDeferredLine(): number | undefined {
    let first: number | undefined;
    for (const state of this.uncertain)
      for (const reply of state.afterGap)
        if (/^[45]/.test(reply.code) && (first === undefined || reply.line < first)) first = reply.line;
    return first;
  }

  /** The end of the file: every skip not told yet is settled as it stands. */
  public settleAll(): void {
    for (const state of [...this.uncertain]) this.settle(state);
  }

  /**
   * The session as a refusal in it says it, when the session began before this log: the answer's
   * place among the answers read here (`earlierCommand`), the transcript up to it, and the number of
   * its own row where the log numbers them (`answerRow`, the same in every copy of the log).
   */
  private lateAnswer(
    state: SessionState,
    row: ProtocolRow,
    earlierCommand: number,
    transcript: Waiting[] | undefined,
  ): SmtpSession {
    const session: SmtpSession = { ...state.session, earlierCommand, unanswered: transcript ?? [] };
    if (row.sequence !== undefined) session.answerRow = row.sequence;
    return session;
  }

  /**
   * The whole reply a row ends, or `undefined` while it does not end one. Exchange writes a multi-line
   * answer on one row (`250-host Hello … 250-SIZE … 250 SMTPUTF8`); another build or a tool may write
   * each line on its own row (`550-5.7.64 … ATTR36`, then `550 5.7.64 [host]`). A row that is only a
   * continuation line (`code-`, no line with `code ` ending it) answers nothing yet, but its text is
   * the reply's: it is kept, and joined, as the one-row form has it, to the line that ends the reply.
   * Lines of another code are not of that reply (its last line was not written): they are dropped.
   */
  private wholeReply(state: SessionState, line: string, code: string): string | undefined {
    if (continuesReply(line, code)) {
      const held = holdLines(state.continued, code, line);
      held.text = detach(held.text);
      state.continued = held;
      return undefined;
    }
    const reply = wholeReply(state.continued, code, line);
    delete state.continued;
    return reply;
  }

  /** Adds a row of a partial session to its transcript, within its bound. */
  private transcribe(state: SessionState, entry: Waiting): void {
    if (state.transcript.length < this.limits.commands * 2) state.transcript.push(entry);
  }

  /** Drops answered commands from the front now and then, so the array stays as small as the backlog. */
  private compact(state: SessionState): void {
    // The readings of a skip not told yet index the commands.
    if (state.gap !== undefined) return;
    if (state.head > 64 && state.head * 2 > state.commands.length) {
      state.commands = state.commands.slice(state.head);
      state.head = 0;
    }
  }

  /**
   * The sessions still open, for the next log of the run (at the end of a file). One whose start this
   * log has hands on the commands not answered yet; a partial one, what the log after needs to pair
   * its answers through this log: the answers read here (`earlierCommand`) and its transcript (the
   * recipients it accepted are told from that, not from this log's own pairing). Each ends with the
   * number of the row after its last here, when the log numbers them.
   */
  public *stillOpen(): Generator<OpenSession> {
    for (const state of this.open.values()) {
      const unanswered = state.partial ? transcriptOf(state) : this.unanswered(state);
      // Cut inside the lines of the certificate the server sent: the next log goes on with them.
      if (state.reading === 'sending' || state.continuing) unanswered.push(certificateCutEntry());
      // The number of the row after its last here: the log after goes on from it.
      if (state.nextRow !== undefined) unanswered.push(rowEntry(state.nextRow, state.skipped === true));
      const session: SmtpSession = state.partial
        ? { ...state.session, earlierCommand: state.answers, unanswered }
        : { ...state.session, unanswered };
      const open: OpenSession = {
        session,
        accepted: state.partial ? [] : (state.transaction?.acceptedSoFar ?? []),
      };
      if (state.messageId !== undefined) open.messageId = state.messageId;
      if (state.mailFrom !== undefined) open.mailFrom = state.mailFrom;
      if (state.ehloName !== undefined) open.ehloName = state.ehloName;
      if (state.remoteName !== undefined) open.remoteName = state.remoteName;
      if (state.connector !== undefined) open.connector = state.connector;
      if (state.local !== undefined) open.local = state.local;
      yield open;
    }
  }

  /** The commands of a session whose start this log has, not answered yet. */
  private unanswered(state: SessionState): { verb: string; recipient?: string }[] {
    const unanswered = handedOnCommands(state.commands.slice(state.head));
    // Not greeted yet: the next answer, the greeting, answers the connection, not a command.
    if (!state.greeted) unanswered.unshift({ verb: 'CONNECT' });
    return unanswered;
  }

  /** Sessions open now (for tests of the bound). */
  public get openSessions(): number {
    return this.open.size;
  }
}
