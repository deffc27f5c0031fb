/**
 * IIS 6 SMTP service logs of Windows relays (docs/domain.md "IIS SMTP logs"): W3C extended logs
 * whose `#Fields:` are separated by spaces. Outbound sessions — the relay delivering to Exchange
 * Online — are the rows whose `cs-username` is `OutboundConnectionCommand` (what the relay said:
 * `cs-method` MAIL/RCPT, the argument in `cs-uri-query`) or `OutboundConnectionResponse` (what the
 * remote answered, spaces written as `+`). A `550 5.7.64` answer following a `RCPT` is the refusal
 * of that recipient; the sender is the session's last `MAIL FROM`.
 *
 * Rows have no session id: sessions are told apart by site and remote IP (`c-ip`), which holds as
 * long as one site does not talk to the same remote in two sessions at once *(inferred)*. The
 * sessions are kept in a bounded map, and a session ends at its `QUIT`. IIS writes W3C times in UTC.
 *
 * The log names no Message-ID: a refusal's message is identified by what the log says of it — the
 * relay, the remote, the time of the session's first row and the message's number in the session,
 * e.g. `iis:RELAY02:52.101.1.1@2026-11-28T22:20:02.000Z#1` — never by the file's name or path, so
 * the same log analysed again under another name is the same finding.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { normaliseAddress, type TraceEvent } from '../model/events.js';
import { LineReader, type TextContext, type TextFormat, type TextHead } from './text-format.js';

const REQUIRED = ['date', 'time', 'c-ip', 'cs-username', 'cs-method', 'cs-uri-query'];

/** Sessions remembered at once (one per remote a site talks to). */
const MAX_SESSIONS = 10_000;

/** The space-separated field names of a `#Fields:` line, or `undefined`. */
function fieldsOf(line: string): string[] | undefined {
  const match = /^#Fields:\s*(.*)$/i.exec(line.trim());
  if (!match) return undefined;
  return (match[1] ?? '')
    .split(/\s+/)
    .filter((name) => name !== '')
    .map((name) => name.toLowerCase());
}

/**
 * `cs-method` values of IIS web (HTTP) logs — `u_ex*.log`, which Exchange servers keep next to the
 * SMTP logs with the same W3C field names. An SMTP log's `cs-method` holds SMTP verbs, a reply code
 * or `-` instead.
 */
const HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'POST',
  'HEAD',
  'PUT',
  'DELETE',
  'OPTIONS',
  'PATCH',
  'TRACE',
  'CONNECT',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'RPC_IN_DATA',
  'RPC_OUT_DATA',
]);
/** What the SMTP service writes in `cs-method`: commands it received or sent, and reply codes. */
const SMTP_METHOD =
  /^(?:EHLO|HELO|MAIL|RCPT|DATA|BDAT|QUIT|RSET|NOOP|VRFY|EXPN|STARTTLS|AUTH|TURN|ETRN|XEXCH50|X-[A-Z0-9-]+|\d{3}|-)$/i;
/** `sc-substatus` is a field of IIS HTTP logging only; the SMTP service cannot log it. */
const HTTP_ONLY_FIELDS = ['sc-substatus'];

/**
 * Whether the rows under a `#Fields:` line look like an SMTP service log: their `cs-method` values
 * are SMTP verbs rather than HTTP methods. Rows count only while they have the header's width.
 */
function smtpRows(fields: readonly string[], rows: readonly string[]): boolean {
  const method = fields.indexOf('cs-method');
  let smtp = 0;
  let http = 0;
  for (const row of rows) {
    const cells = row.trim().split(' ');
    if (cells.length !== fields.length) continue;
    const value = cells[method] ?? '';
    if (HTTP_METHODS.has(value.toUpperCase())) http++;
    else if (SMTP_METHOD.test(value)) smtp++;
  }
  return http <= smtp;
}

/** The first `#Fields:` of the lines and the data rows under it (up to the next `#Fields:`). */
function firstFields(lines: readonly string[]): { fields: string[]; rows: string[] } | undefined {
  const clean = lines.map((line) => line.replace(/^\uFEFF/, ''));
  const at = clean.findIndex((line) => fieldsOf(line) !== undefined);
  if (at < 0) return undefined;
  const fields = fieldsOf(clean[at] as string) as string[];
  const rows: string[] = [];
  for (const line of clean.slice(at + 1)) {
    // Another #Fields: line (logs joined) starts other rows: the first part decides.
    if (fieldsOf(line) !== undefined) break;
    if (line.trim() !== '' && !line.startsWith('#')) rows.push(line);
  }
  return { fields, rows };
}

/**
 * True for an IIS web server (HTTP) log: a W3C log with a `cs-method` field whose fields include one
 * only HTTP logging writes, or whose rows' `cs-method` values are HTTP methods rather than SMTP verbs.
 */
export function isIisWebLog(lines: readonly string[]): boolean {
  const first = firstFields(lines);
  return first !== undefined && isWebLog(first);
}

function isWebLog(first: { fields: readonly string[]; rows: readonly string[] }): boolean {
  if (!first.fields.includes('cs-method')) return false;
  if (HTTP_ONLY_FIELDS.some((name) => first.fields.includes(name))) return true;
  return !smtpRows(first.fields, first.rows);
}

/**
 * An IIS W3C log with the fields the reader needs and not a web log: the field names alone are
 * shared by the SMTP service's and the web server's logs.
 */
function sniff(head: TextHead): boolean {
  const first = firstFields(head.lines);
  if (first === undefined || !REQUIRED.every((name) => first.fields.includes(name))) return false;
  return !isWebLog(first);
}

export const iisSmtpLog: TextFormat = {
  id: 'iis-smtp-log',
  sniff,
  createReader: (context) => new IisSmtpReader(context),
};

interface Session {
  /** When the session's first row was written (UTC ISO 8601). */
  start: string;
  /** MAIL commands so far: the number of the current message in the session. */
  messages: number;
  from?: string;
  /** The recipient of the last RCPT command, until its answer. */
  recipient?: string;
  lastCommand?: string;
}

/** W3C writes a space inside a value as `+`; `-` is an empty value. */
function w3cValue(value: string | undefined): string | undefined {
  if (value === undefined || value === '-' || value === '') return undefined;
  return value.replace(/\+/g, ' ');
}

/** `FROM:<a@b>` / `TO:<a@b>` (with optional `SIZE=…` after it) → the address. */
function commandAddress(argument: string | undefined): string | undefined {
  if (argument === undefined) return undefined;
  const match = /^(?:FROM|TO):\s*(<[^>]*>|\S+)/i.exec(argument.trim());
  return match ? normaliseAddress(match[1] as string) : undefined;
}

/**
 * The stand-in Message-ID of the session's current message: the relay, the remote, when the session
 * began and the message's number in it — the same whatever the file is called, and different for
 * every message (sessions with one remote follow one another).
 */
export function sessionMessageIdentity(
  host: string | undefined,
  remote: string | undefined,
  session: Pick<Session, 'start' | 'messages'>,
): string {
  const known = (value: string | undefined) => (value === undefined || value === '-' ? '' : value);
  return `iis:${known(host)}:${known(remote)}@${session.start}#${Math.max(session.messages, 1)}`;
}

class IisSmtpReader extends LineReader {
  private readonly sessions = new BoundedMap<string, Session>(MAX_SESSIONS);
  private fields: string[] = [];
  private index = new Map<string, number>();

  public constructor(private readonly context: TextContext) {
    super();
  }

  private value(cells: readonly string[], name: string): string | undefined {
    const at = this.index.get(name);
    return at === undefined ? undefined : cells[at];
  }

  /** The remote's answer on an `OutboundConnectionResponse` row, in whichever field IIS put it. */
  private answer(cells: readonly string[]): string | undefined {
    return (
      w3cValue(this.value(cells, 'cs-uri-query')) ??
      w3cValue(this.value(cells, 'cs-uri-stem')) ??
      w3cValue(this.value(cells, 'cs-method'))
    );
  }

  protected line(raw: string, line: number, tooLong: boolean): void {
    const sink = this.sink;
    const text = raw.trim();
    if (text === '') return;
    if (text.startsWith('#')) {
      // Directives are not rows; a new #Fields: line (the service restarted, logs joined) applies from here.
      const fields = fieldsOf(text);
      if (fields !== undefined) {
        this.fields = fields;
        this.index = new Map(fields.map((name, at) => [name, at]));
      }
      return;
    }
    sink.row(line);
    if (tooLong) {
      sink.skip(line, 'RECORD_TOO_LARGE', 'the line is longer than a W3C log line can be');
      return;
    }
    const cells = text.split(' ');
    if (this.fields.length === 0 || cells.length !== this.fields.length) {
      sink.skip(line, 'COLUMN_COUNT', `expected ${this.fields.length} fields, found ${cells.length}`);
      return;
    }
    const date = this.value(cells, 'date');
    const time = this.value(cells, 'time');
    const timestamp =
      date === undefined || time === undefined
        ? undefined
        : this.context.timestamps.parse(`${date}T${time}Z`, line);
    if (timestamp === undefined) {
      sink.skip(line, 'BAD_TIMESTAMP', `"${date ?? ''} ${time ?? ''}" is not a date and time`, 'date');
      return;
    }
    const kind = this.value(cells, 'cs-username')?.toLowerCase();
    if (kind !== 'outboundconnectioncommand' && kind !== 'outboundconnectionresponse') return;
    const key = `${this.value(cells, 's-sitename') ?? ''} ${this.value(cells, 'c-ip') ?? ''}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      // An answer after QUIT (221) ends a session, it does not begin one; a greeting (220) or a command does.
      const response = kind === 'outboundconnectionresponse';
      if (response && !/^220\b/.test(this.answer(cells) ?? '')) return;
      session = { start: timestamp, messages: 0 };
      this.sessions.set(key, session);
    }
    if (kind === 'outboundconnectioncommand') {
      const command = (this.value(cells, 'cs-method') ?? '').toUpperCase();
      const argument = w3cValue(this.value(cells, 'cs-uri-query'));
      session.lastCommand = command;
      if (command === 'QUIT') {
        // The next row with this remote is another session, with its own start.
        this.sessions.delete(key);
      } else if (command === 'MAIL') {
        session.messages++;
        const from = commandAddress(argument);
        if (from === undefined) delete session.from;
        else session.from = from;
      } else if (command === 'RCPT') {
        const recipient = commandAddress(argument);
        if (recipient === undefined) delete session.recipient;
        else session.recipient = recipient;
      }
      return;
    }
    const answer = this.answer(cells);
    if (answer === undefined || session.lastCommand !== 'RCPT') return;
    const eventId = answer.startsWith('4') ? 'DEFER' : answer.startsWith('5') ? 'FAIL' : 'SEND';
    if (!this.context.isRelevant(eventId, 'SMTP', answer, undefined)) return;
    const host = this.value(cells, 's-computername');
    const remote = this.value(cells, 'c-ip');
    const event: TraceEvent = {
      timestamp,
      eventId,
      source: 'SMTP',
      recipientStatus: answer,
      messageId: sessionMessageIdentity(host, remote, session),
      line,
    };
    if (session.recipient !== undefined) event.recipient = session.recipient;
    if (session.from !== undefined) event.returnPath = session.from;
    if (host !== undefined && host !== '-') event.clientHostname = host;
    if (remote !== undefined && remote !== '-') event.serverIp = remote;
    sink.event(event);
  }
}
