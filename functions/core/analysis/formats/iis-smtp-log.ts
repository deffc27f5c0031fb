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
 * sessions are kept in a bounded map. IIS writes W3C times in UTC.
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

function sniff(head: TextHead): boolean {
  for (const line of head.lines) {
    const fields = fieldsOf(line.replace(/^\uFEFF/, ''));
    if (fields !== undefined) return REQUIRED.every((name) => fields.includes(name));
  }
  return false;
}

export const iisSmtpLog: TextFormat = {
  id: 'iis-smtp-log',
  sniff,
  createReader: (context) => new IisSmtpReader(context),
};

interface Session {
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
      session = {};
      this.sessions.set(key, session);
    }
    if (kind === 'outboundconnectioncommand') {
      const command = (this.value(cells, 'cs-method') ?? '').toUpperCase();
      const argument = w3cValue(this.value(cells, 'cs-uri-query'));
      session.lastCommand = command;
      if (command === 'MAIL') {
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
    const answer =
      w3cValue(this.value(cells, 'cs-uri-query')) ??
      w3cValue(this.value(cells, 'cs-uri-stem')) ??
      w3cValue(this.value(cells, 'cs-method'));
    if (answer === undefined || session.lastCommand !== 'RCPT') return;
    const eventId = answer.startsWith('4') ? 'DEFER' : answer.startsWith('5') ? 'FAIL' : 'SEND';
    if (!this.context.isRelevant(eventId, 'SMTP', answer, undefined)) return;
    const event: TraceEvent = { timestamp, eventId, source: 'SMTP', recipientStatus: answer, line };
    if (session.recipient !== undefined) event.recipient = session.recipient;
    if (session.from !== undefined) event.returnPath = session.from;
    const host = this.value(cells, 's-computername');
    if (host !== undefined && host !== '-') event.clientHostname = host;
    const remote = this.value(cells, 'c-ip');
    if (remote !== undefined && remote !== '-') event.serverIp = remote;
    sink.event(event);
  }
}
