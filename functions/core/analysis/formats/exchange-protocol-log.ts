/**
 * Exchange SMTP send protocol logs (`TransportRoles\Logs\Hub\ProtocolLog\SmtpSend`,
 * `…\FrontEnd\ProtocolLog\SmtpSend`; docs/domain.md §3 format 7, §5). Each row is one
 * line of an SMTP conversation; {@link SmtpSessions} ties the rows of a session together, and a
 * relay refusal answered in it becomes an event carrying the session's certificate, message and
 * MAIL FROM. Every other row is read into its session's state and counted as analysed. At the end
 * of the file the sessions still open are handed on as `OPEN_SESSION` events, with the recipients
 * their transaction under way had accepted and the server's connector and address (two servers' logs
 * may hold the same session id): the next SEND log of the run may have their refusals
 * (evidence/open-session.ts).
 *
 * A receive protocol log has the same `#Fields:`; it is told apart by its `#Log-type:` and refused:
 * Exchange Online's refusals are answers the sending side logs.
 *
 * Answers are paired with the commands before them in their session, so the rows must be in the order
 * Exchange wrote them. Exchange writes pipelined commands, and the answers that come back together, in
 * one millisecond, which a copy sorted on date-time alone may put in any order: each session's rows of
 * one date-time are put back in the order of their `sequence-number` before they are read
 * ({@link SessionRowOrder}), and rows whose order the numbers cannot tell (none, or repeated) are read
 * as read and noted (`SESSION_ORDER_UNKNOWN`). A copy whose rows were put newest first below its `#`
 * lines (sorted on date-time, descending) is refused as soon as its sessions' `sequence-number` goes
 * back from one date-time to the next, judged on the rows as the file has them ({@link WriteOrder}):
 * read so, refusals would lose their sender and recipients, or be taken apart.
 */
import { plural } from '../../kernel/counts-in-words.js';
import { UnknownFormatError } from '../../kernel/errors.js';
import { detach } from '../../kernel/strings.js';
import { handOnEvents, OPEN_SESSION_EVENT_ID, perRecipient } from '../evidence/open-session.js';
import type { TraceEvent } from '../model/events.js';
import type { SourceNote } from '../model/source-record.js';
import { type ColumnMap, cell, mapColumns } from './columns.js';
import type { FormatAdapter, RowAdapter, RowContext, RowSink } from './format-adapter.js';
import { hasHeaderShape, timestampOrSkip } from './row-checks.js';
import {
  type Answer,
  DEFAULT_SESSION_LIMITS,
  type OpenSession,
  type SessionLimits,
  SmtpSessions,
} from './smtp-sessions.js';
import { SessionRowOrder, WriteOrder } from './write-order.js';

type Column = 'timestamp' | 'connectorId' | 'sessionId' | 'local' | 'remote' | 'event' | 'data' | 'context';

const NAMES: Readonly<Record<Column, string>> = {
  timestamp: 'date-time',
  connectorId: 'connector-id',
  sessionId: 'session-id',
  local: 'local-endpoint',
  remote: 'remote-endpoint',
  event: 'event',
  data: 'data',
  context: 'context',
};

const EVENTS = new Set(['+', '-', '>', '<', '*']);

/**
 * The row's number in its session, on across the next file: tells the order of the rows, and which
 * logs a session went on through (smtp-sessions.ts).
 */
const SEQUENCE = { sequence: 'sequence-number' } as const;

/**
 * Lines after which a read may stop although its rows have not shown their order (a deadline must
 * be met): such a log, if refused at all, is refused by the read that ends it.
 */
const UNDECIDED_ROWS = 100_000;

/** A row as read, until its session's rows numbered before it are ({@link SessionRowOrder}). */
interface SessionRow {
  fields: string[];
  line: number;
  sessionId: string;
  event: string;
  sequence: number | undefined;
  /** Its date-time cell. */
  raw: string | undefined;
  sink: RowSink;
  /**
   * Of an answer held back that may be a refusal: its time, read as the row was (`undefined`: not a
   * date, the row skipped then), so that a skip is said of the row being read.
   */
  held?: { timestamp: string | undefined };
}

/** The address of an endpoint `10.0.1.11:52134` or `[2001:db8::1]:25`. */
function addressOf(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(endpoint);
  if (bracketed) return bracketed[1];
  const colon = endpoint.lastIndexOf(':');
  // One colon: IPv4 with port; several: a bare IPv6 address.
  return colon > 0 && endpoint.indexOf(':') === colon ? endpoint.slice(0, colon) : endpoint;
}

export class ProtocolLogRows implements RowAdapter {
  private readonly columns: ColumnMap<Column>;
  private readonly sessions: SmtpSessions;
  private readonly sequence: ColumnMap<'sequence'>;
  /** Whether the rows are in the order Exchange wrote them: checked until they have shown it. */
  private readonly order = new WriteOrder();
  /** Each session's rows of one millisecond, put back in the order of their numbers. */
  private readonly rowOrder: SessionRowOrder<SessionRow>;
  /** Whether the log has a `sequence-number` column. */
  private readonly numbered: boolean;
  /** The date-time cell and line of the last row read: when the sessions still open were last seen. */
  private lastTime: string | undefined;
  private lastLine = 0;
  /** Refusal rows whose session had rows missing, by line, until the session pairs them. */
  private readonly deferred = new Map<number, SessionRow>();

  public constructor(
    private readonly headers: readonly string[],
    private readonly context: RowContext,
    private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {
    this.columns = mapColumns(headers, NAMES, context.file);
    this.sessions = new SmtpSessions(limits);
    this.sequence = mapColumns(headers, SEQUENCE, context.file);
    this.numbered = this.sequence.sequence !== undefined;
    this.rowOrder = new SessionRowOrder(limits.sessions, (row) => this.readRow(row));
  }

  public adapt(fields: string[], line: number, sink: RowSink): void {
    if (!hasHeaderShape(fields, this.headers.length, line, sink)) return;
    const sessionId = cell(fields, this.columns, 'sessionId');
    const event = cell(fields, this.columns, 'event');
    if (sessionId === undefined || event === undefined || !EVENTS.has(event)) {
      sink.skip(
        line,
        'MISSING_FIELD',
        sessionId === undefined
          ? 'the row names no session'
          : `"${event ?? ''}" is not a protocol log event (+ - > < *)`,
        sessionId === undefined ? 'session-id' : 'event',
      );
      return;
    }
    const number = cell(fields, this.sequence, 'sequence');
    const sequence = number !== undefined && /^\d{1,15}$/.test(number) ? Number(number) : undefined;
    const raw = cell(fields, this.columns, 'timestamp');
    if (raw !== undefined) {
      this.lastTime = raw;
      this.lastLine = line;
    }
    // Judged as the file has them, before each millisecond's rows are put back in order: put back,
    // those of a copy put newest first would look written oldest first (see WriteOrder.sequence).
    if (!this.order.trusted && sequence !== undefined) this.checkOrder(sessionId, sequence, raw, line);
    const row: SessionRow = { fields, line, sessionId, event, sequence, raw, sink };
    if (this.rowOrder.push(sessionId, sequence, raw, line, row)) return;
    // Held back: a skip of it is said now, while it is the row being read (see readRow).
    if (event === '<' && /^\s*[45]/.test(fields[this.columns.data ?? -1] ?? ''))
      row.held = { timestamp: timestampOrSkip(raw, NAMES.timestamp, line, this.context, sink) };
  }

  /**
   * Reads a row into its session, in the session's order. A row held back is read as a later one
   * is: what it gives is said on its own line, but a command the session's bound drops
   * (`SESSION_LIMIT`) is counted with the row being read then.
   */
  private readRow(row: SessionRow): void {
    const { fields, line, sessionId, event, sequence, sink } = row;
    if (event === '-') this.rowOrder.ended(sessionId);
    // Only answers need their time; reading the date of every row would cost without telling more.
    const outcome = this.sessions.read({
      sessionId,
      event,
      data: fields[this.columns.data ?? -1] ?? '',
      context: fields[this.columns.context ?? -1] ?? '',
      line,
      connector: cell(fields, this.columns, 'connectorId'),
      local: cell(fields, this.columns, 'local'),
      sequence,
    });
    if (outcome.kind === 'dropped') sink.skip(line, 'SESSION_LIMIT', outcome.message, 'data');
    else if (outcome.kind === 'answer') this.emit(outcome.answer, row);
    // Kept until the answers after it pair it (rows missing from its session): emitted with its own row.
    else if (outcome.kind === 'deferred') this.deferred.set(line, row);
    this.emitReleased();
  }

  /** Emits the refusals of sessions with rows missing that their later answers (or their end) paired. */
  private emitReleased(): void {
    for (const { answer, line } of this.sessions.takeReleased()) {
      const row = this.deferred.get(line);
      if (row === undefined) continue;
      this.deferred.delete(line);
      this.emit(answer, row);
    }
  }

  /** The refusal an answer row gives, one event per recipient it refuses. */
  private emit(answer: Answer, row: SessionRow): void {
    const { fields, line, raw, sink } = row;
    const timestamp =
      row.held === undefined
        ? timestampOrSkip(raw, NAMES.timestamp, line, this.context, sink)
        : row.held.timestamp;
    if (timestamp === undefined) return;
    const refusal = this.eventOf(answer, fields, timestamp, line);
    // One event per recipient refused: an answer to MAIL FROM or to the message refuses its transaction's.
    if (answer.recipients === undefined) sink.event(refusal);
    else for (const event of perRecipient(refusal, answer.recipients)) sink.event(event);
  }

  /**
   * Counts the step from the session's row before to this one; throws once the sessions have gone
   * back so often that the rows were put newest first. In such a file the first session's rows tell,
   * before the first batch of rows is handed on: none of its refusals is.
   */
  private checkOrder(sessionId: string, sequence: number, time: string | undefined, line: number): void {
    this.order.sequence(detach(sessionId), sequence, time, line);
    if (this.order.sessionsGoBack) throw this.newestFirst();
  }

  /** The refusal of a file whose rows are not in the order Exchange wrote them. */
  private newestFirst(): UnknownFormatError {
    const { file } = this.context;
    const { firstBehind, behind, ahead } = this.order;
    const line = firstBehind?.line ?? this.lastLine;
    return new UnknownFormatError(
      `${file}: looks like an Exchange send protocol log put newest first (its rows sorted on date-time, ` +
        "descending, below its # lines: Sort-Object -Descending, Log Parser's ORDER BY … DESC, a spreadsheet " +
        `sorted newest to oldest): its sessions go back at line ${line} (${firstBehind?.how ?? ''}), and from ` +
        `row to row of a session they went back ${behind} times for ${ahead} forward, while Exchange writes ` +
        "each session's rows in the order of their sequence-number. Each answer is paired with the commands " +
        'before it in its session, so read in this order a refusal would lose its sender and recipients, or be ' +
        'taken for another. Analyse the SEND*.LOG files as Exchange wrote them ' +
        '(TransportRoles\\Logs\\Hub\\ProtocolLog\\SmtpSend, or …\\FrontEnd\\ProtocolLog\\SmtpSend; several can be ' +
        "given at once), or sort this copy's rows oldest first on date-time, then sequence-number (as a " +
        'number), keeping its # lines first.',
      { file, line },
    );
  }

  private eventOf(answer: Answer, fields: readonly string[], timestamp: string, line: number): TraceEvent {
    const event: TraceEvent = {
      timestamp,
      // 4xx answers are deferrals: Exchange retries, as the tracking log's DEFER rows say.
      eventId: answer.reply.startsWith('4') ? 'DEFER' : 'FAIL',
      source: 'SMTP',
      recipientStatus: answer.reply,
      directionality: 'originating',
      session: answer.session,
      line,
    };
    if (answer.messageId !== undefined) event.messageId = answer.messageId;
    if (answer.mailFrom !== undefined) event.returnPath = answer.mailFrom;
    if (answer.recipient !== undefined) event.recipient = answer.recipient;
    if (answer.ehloName !== undefined) event.clientHostname = answer.ehloName;
    if (answer.remoteName !== undefined) event.serverHostname = answer.remoteName;
    const local = addressOf(cell(fields, this.columns, 'local'));
    const remote = addressOf(cell(fields, this.columns, 'remote'));
    const connector = cell(fields, this.columns, 'connectorId');
    if (local !== undefined) event.clientIp = local;
    if (remote !== undefined) event.serverIp = remote;
    if (connector !== undefined) event.connectorId = connector;
    return event;
  }

  /**
   * The first line whose events are still to come: a row held back, or the last row read while a
   * session is open ({@link finish} hands it on with that row's line).
   */
  public heldFrom(): number | undefined {
    const deferred = this.sessions.firstDeferredLine;
    const firstHeld = this.rowOrder.firstHeld;
    const held =
      deferred === undefined || firstHeld === undefined
        ? (firstHeld ?? deferred)
        : Math.min(firstHeld, deferred);
    const open = this.sessions.openSessions > 0 && this.lastTime !== undefined ? this.lastLine : undefined;
    if (held === undefined || open === undefined) return held ?? open;
    return Math.min(held, open);
  }

  /**
   * A read may stop once the rows have shown the order Exchange wrote them in (a log put newest first
   * is refused before any of its refusals are handed on), or when they cannot show it (no
   * `sequence-number`), or have not in {@link UNDECIDED_ROWS} rows.
   */
  public mayStop(): boolean {
    return !this.numbered || this.order.trusted || this.lastLine >= UNDECIDED_ROWS;
  }

  /**
   * The end of the file: each session still open is handed on, as it stood at the last row, for its
   * refusal in the next SEND log of the run (read before or after this one).
   */
  public finish(sink: RowSink): void {
    this.rowOrder.flush();
    // Refusals after rows missing whose pairing the session's later rows did not tell: unpaired now.
    this.sessions.settleAll();
    this.emitReleased();
    // Too few rows to have decided as they were read (a session or two): decided now, on all of them.
    if (!this.order.trusted && this.order.stepsReversed) throw this.newestFirst();
    const { lastTime, lastLine } = this;
    // The rows' dates are read only for answers: this one once, when there is a session to hand on.
    let timestamp: string | undefined;
    for (const open of this.sessions.stillOpen()) {
      timestamp ??= lastTime === undefined ? undefined : this.context.timestamps.parse(lastTime, lastLine);
      if (timestamp === undefined) return;
      for (const event of handOnEvents(openSessionEvent(open, timestamp, lastLine), open.accepted))
        sink.event(event);
    }
  }

  public notes(): SourceNote[] {
    const notes: SourceNote[] = [];
    const { closedEarly } = this.sessions;
    // Refusals in sessions whose start no file of the run has are noted by the run, which knows.
    if (closedEarly > 0)
      notes.push({
        code: 'SESSIONS_CLOSED_EARLY',
        message:
          `${closedEarly} SMTP sessions were still open when more than ${this.limits.sessions} were; ` +
          'the oldest were closed early, and refusals in their later rows were read without what the session had said before',
      });
    const unsure = this.unsureOrder();
    if (unsure !== undefined) notes.push(unsure);
    const missing = this.missingRows();
    if (missing !== undefined) notes.push(missing);
    return notes;
  }

  /**
   * Sessions whose rows skip sequence numbers while commands waited for their answers (a log between
   * deleted by circular logging and the rest joined, a shipper's rule dropping rows): answers, maybe
   * refusals, are missing, and the refusals after them that could not be paired are given without
   * their recipient. The same note as the IIS SMTP reader's for answers whose command is not known.
   */
  private missingRows(): SourceNote | undefined {
    const { sessions, named, unpaired, lines } = this.sessions.missingRows;
    if (sessions === 0) return undefined;
    const more = sessions > named.length ? `, and ${sessions - named.length} more` : '';
    const unpairedText =
      unpaired === 0
        ? ''
        : ` ${plural(unpaired, 'refusal')} after them (line ${lines.join(', ')}${unpaired > lines.length ? ', …' : ''}) ` +
          'could not be paired with a command: each is its own finding, without recipient.';
    return {
      code: 'ANSWERS_UNPAIRED',
      message:
        `${plural(sessions, 'SMTP session')} ${sessions === 1 ? 'skips' : 'skip'} rows while commands waited for their answers (${named.join('; ')}${more}): ` +
        'a log between deleted by circular logging and the others joined, or a filter dropping rows. A refusal ' +
        `among them is not known, nor a recipient accepted there.${unpairedText} Analyse every SEND*.LOG file ` +
        'as Exchange wrote it, in one run.',
    };
  }

  /**
   * Rows whose order in their session could not be told (see {@link SessionRowOrder}): read in the
   * file's order, an answer among them may have been paired with another command.
   */
  private unsureOrder(): SourceNote | undefined {
    const { unsure, firstUnsure } = this.rowOrder;
    if (unsure === 0 || firstUnsure === undefined) return undefined;
    const paired =
      'were read in the order of the file: if it was sorted on date-time (ORDER BY, Sort-Object, a ' +
      'spreadsheet), an answer among them may have been paired with another command, its refusal given ' +
      'another sender or recipient';
    return {
      code: 'SESSION_ORDER_UNKNOWN',
      message: this.numbered
        ? `${plural(unsure, 'row')} of SMTP sessions could not be put in sequence-number order ` +
          `(first: line ${firstUnsure.line}, ${firstUnsure.how}), and ${paired}. Analyse the SEND*.LOG ` +
          'files as Exchange wrote them'
        : `the log has no sequence-number column, and ${plural(unsure, 'row')} of SMTP sessions share their ` +
          `date-time with another row of the session (first: line ${firstUnsure.line}): they ${paired}. ` +
          'Analyse the SEND*.LOG files as Exchange wrote them, or an export that keeps sequence-number',
    };
  }
}

/** The event that hands on a session still open at the end of a file. */
function openSessionEvent(open: OpenSession, timestamp: string, line: number): TraceEvent {
  const event: TraceEvent = { timestamp, eventId: OPEN_SESSION_EVENT_ID, session: open.session, line };
  if (open.messageId !== undefined) event.messageId = open.messageId;
  if (open.mailFrom !== undefined) event.returnPath = open.mailFrom;
  if (open.ehloName !== undefined) event.clientHostname = open.ehloName;
  if (open.remoteName !== undefined) event.serverHostname = open.remoteName;
  // The server, as its refusals name it: two servers' logs may hold the same session id.
  const local = addressOf(open.local);
  if (local !== undefined) event.clientIp = local;
  if (open.connector !== undefined) event.connectorId = open.connector;
  return event;
}

/**
 * What an Exchange SMTP receive protocol log is, and what to analyse instead: the log has the send
 * log's fields, only its `#Log-type:` tells them apart. Detection names it with the refusal text it
 * holds, if any (input/unsupported-inputs.ts), as every log relay-audit does not read.
 */
export function describeReceiveProtocolLog(logType: string): string {
  return (
    `looks like an Exchange SMTP receive protocol log (#Log-type: ${logType}), which relay-audit does not read: ` +
    "it records what this server received, from the clients and servers that sent to it. Exchange Online's refusals " +
    'of relayed mail are its answers to this server as it sends, in the send protocol log: analyse the send protocol log ' +
    '(SEND*.LOG in TransportRoles\\Logs\\Hub\\ProtocolLog\\SmtpSend, or FrontEnd\\ProtocolLog\\SmtpSend) or the ' +
    'message tracking log (MSGTRK*.LOG) of the same server instead.'
  );
}

export const exchangeProtocolLog: FormatAdapter = {
  id: 'exchange-protocol-log',
  requiredHeaders: Object.values(NAMES),
  fieldsDirective: true,
  refuses(preamble) {
    const logType = preamble
      .map((line) => /^#Log-type:\s*(.*)$/i.exec(line)?.[1]?.trim())
      .find((value) => value !== undefined);
    if (logType === undefined || !/receive/i.test(logType)) return undefined;
    return describeReceiveProtocolLog(logType);
  },
  createRowAdapter: (headers, context) => new ProtocolLogRows(headers, context),
};
