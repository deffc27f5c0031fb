/**
 * IIS 6 SMTP service logs of Windows relays (docs/domain.md "IIS SMTP logs"): W3C extended logs
 * whose `#Fields:` are separated by spaces. Outbound sessions — the relay delivering to Exchange
 * Online — are the rows whose `cs-username` is `OutboundConnectionCommand` (what the relay said:
 * `cs-method` MAIL/RCPT, the argument in `cs-uri-query`) or `OutboundConnectionResponse` (what the
 * remote answered, spaces written as `+`). Answers pair with the commands in the order sent (with
 * pipelining the relay sends MAIL FROM and every RCPT TO before the first answer, RFC 2920); a
 * `550 5.7.64` answer to a `RCPT` is the refusal of that recipient, sent by that message's `MAIL FROM`;
 * one to `MAIL FROM` or to the message refuses the recipients of its transaction ({@link MailTransaction}).
 *
 * Rows have no session id, and no field IIS SMTP can log tells sessions apart (no client port, no
 * connection id): a session is told by relay, site and remote IP (`c-ip`), and ends at its `QUIT` (or a 421).
 * When the relay opens another session to the same remote before the first ends (two greetings with
 * no QUIT between), their rows interleave: answers still pair in order, but a refusal there keeps
 * its MAIL FROM only when every interleaved session's was the same, and its recipient only when every
 * interleaved RCPT TO got the same answer; each is its own finding, and the file's notes say so.
 * IIS writes W3C times in UTC. Pairing by order needs the order IIS wrote: a log whose lines were
 * sorted or put newest first is refused ({@link WriteOrder}), and no refusal of it is handed on.
 *
 * A log without the `date` field (the SMTP service's default field set has only `time`) is dated by
 * its `#Date:` directives, which IIS writes at the file's start and again after each restart: a
 * row's date is the latest directive's, and a row whose time is well before the previous row's is
 * on the next day (the log ran past midnight). A file with neither cannot be dated and is refused.
 *
 * Each `#Fields:` line sets the columns of the rows after it: IIS writes a new directive block when
 * the service restarts and when the logged fields are changed (Extended Properties, often mid-day:
 * the default set until then). The file is read when one of its `#Fields:` lines has the fields read,
 * or when its head, as long as formats are told from, is all rows under lines that lack some (the
 * line that has them may come later: refused at the end when none does); the rows under one that
 * lacks some are skipped, each naming that line (one holding refusal text fails the file), and the
 * file's notes say which lines (FIELD_SET_UNKNOWN).
 *
 * The log names no Message-ID: a refusal's message is identified by what the log says of it — the
 * relay, the remote, the time of the session's first row and the message's number in the session,
 * e.g. `iis:RELAY02:52.101.1.1@2026-11-28T22:20:02.000Z#1` — never by the file's name or path, so
 * the same log analysed again under another name is the same finding. A log without `s-computername`
 * names the relay by the EHLO name it sent, and the message by its MAIL FROM too
 * (`iis:ehlo=relay02.contoso.local:52.101.1.1@…#1;from=scans@contoso.com`): relays behind one load
 * balancer refuse in the same second. A refusal whose message cannot
 * be told (interleaved sessions, a command before the log) is numbered on its own (`…#interleaved-1`,
 * `…#unpaired-1`), so it is never merged into another as a repeat.
 *
 * IIS starts a new log each hour, day or size (ex261128.log, then ex261129.log), so a session may go
 * on in the next log, and in the one after: its first rows there are neither the remote's greeting nor
 * EHLO. At the end of a log each session still open is handed on (one begun before the log, with what
 * the log read of it), and a refusal in a session that began before its log is joined to it when the
 * run has that log, through the logs between, in any order (evidence/open-session.ts): it gets the
 * MAIL FROM and the message of the session, and, by its answer's place after the commands the earlier
 * log left unanswered, the recipients of the command it answers, sent in either log — the finding the
 * whole session in one log gives. A refusal of MAIL FROM or its first RCPT TO that ends its log is
 * taken as the RCPT TO's and noted (the answer that tells is in the next log). Without it, the refusal says what it
 * lacks (the run notes its file). Messages begun after the rollover are numbered apart
 * (`…#continued-1`): only the earlier log knows how many the session had sent before.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { UnknownFormatError } from '../../kernel/errors.js';
import { quoteText } from '../../kernel/strings.js';
import {
  answerEntry,
  connectionSessionId,
  handOnEvents,
  OPEN_SESSION_EVENT_ID,
  perRecipient,
} from '../evidence/open-session.js';
import { skipSearched } from '../input/unread-refusals.js';
import { normaliseAddress, type SmtpSession, type TraceEvent } from '../model/events.js';
import type { SourceNote } from '../model/source-record.js';
import type { SkipReason } from './format-adapter.js';
import { handedOnCommands, MailTransaction } from './smtp-sessions.js';
import { LineReader, type TextContext, type TextFormat, type TextHead } from './text-format.js';
import { DAY_MS, OUT_OF_ORDER_MS, WriteOrder } from './write-order.js';

/**
 * The fields read; `date` may be missing when `#Date:` directives date the rows (see {@link RowDates}).
 * `cs-username` and `cs-uri-query` hold the remote server's replies: the SMTP service's default field
 * set (`time c-ip cs-method cs-uri-stem sc-status`) has neither, so it cannot show a refusal.
 */
export const IIS_SMTP_FIELDS: readonly string[] = [
  'time',
  'c-ip',
  'cs-username',
  'cs-method',
  'cs-uri-query',
];
const REQUIRED = IIS_SMTP_FIELDS;

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

/** A `#Fields:` line's field names and the data rows under it (up to the next `#Fields:`). */
interface FieldBlock {
  fields: string[];
  rows: string[];
}

/**
 * The `#Fields:` blocks of the lines, in order. IIS writes a new directive block whenever the
 * service restarts or the logged field set is changed (Extended Properties), and the rows after it
 * follow its fields, not the first block's.
 */
function fieldBlocks(lines: readonly string[]): FieldBlock[] {
  const blocks: FieldBlock[] = [];
  for (const raw of lines) {
    const line = raw.replace(/^\uFEFF/, '');
    const fields = fieldsOf(line);
    if (fields !== undefined) blocks.push({ fields, rows: [] });
    else if (line.trim() !== '' && !line.startsWith('#')) blocks.at(-1)?.rows.push(line);
  }
  return blocks;
}

/** The fields of {@link IIS_SMTP_FIELDS} a `#Fields:` line lacks. */
function missingFields(fields: readonly string[]): string[] {
  return REQUIRED.filter((name) => !fields.includes(name));
}

/** The first `#Fields:` of the lines and the data rows under it (up to the next `#Fields:`). */
function firstFields(lines: readonly string[]): FieldBlock | undefined {
  return fieldBlocks(lines)[0];
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
 * An IIS W3C log with the fields the reader needs under one of its `#Fields:` lines, not only the
 * first (the field set was changed later in the day: the rows before it are the default set's), and
 * no web log: the field names alone are shared by the SMTP service's and the web server's logs.
 * A head that is all blocks lacking fields is taken too when the file goes on past it
 * ({@link lackingHead}): the `#Fields:` line that has them may come later.
 */
function sniff(head: TextHead): boolean {
  const blocks = fieldBlocks(head.lines);
  const first = blocks[0];
  if (first === undefined || isWebLog(first)) return false;
  const readable = blocks.find((block) => missingFields(block.fields).length === 0);
  if (readable !== undefined) return !isWebLog(readable);
  return lackingHead(head, blocks);
}

/**
 * True for the head of an IIS SMTP service log (`#Software:` IIS, `cs-method` of SMTP verbs) whose
 * `#Fields:` lines all lack fields the reader needs, and that fills the head: the file goes on, maybe
 * with a `#Fields:` line that has them. The reader skips the rows it cannot read, and refuses the
 * file at its end when no `#Fields:` line had them ({@link lackingFieldsMessage}); a shorter file
 * is refused whole at detection, with the same advice.
 */
function lackingHead(head: TextHead, blocks: readonly FieldBlock[]): boolean {
  // A head that is not the whole file may be all the default field set's rows of a log whose
  // Extended Properties were enabled hours later.
  const iis = head.lines.some((line) => /^#Software:\s*Microsoft Internet Information Services/i.test(line));
  return (
    !head.whole && iis && blocks.every((block) => block.fields.includes('cs-method') && !isWebLog(block))
  );
}

/**
 * Why an IIS SMTP service log whose `#Fields:` lack some of {@link IIS_SMTP_FIELDS} is not read:
 * without `cs-uri-query` (the default field set) it logs no reply; with the replies (`replies`) but
 * without `cs-username` they cannot be told from the relay's commands. Said at detection
 * (input/unsupported-inputs.ts) and by the reader when no later `#Fields:` line had them.
 */
export function lackingFieldsWhy(fields: readonly string[], replies: boolean): string {
  const missing = missingFields(fields);
  const them = missing.length === 1 ? 'it' : 'them';
  return replies
    ? `relay-audit needs ${them} to pair a remote server's reply with the MAIL FROM and RCPT TO it answers` +
        (fields.includes('cs-username')
          ? ''
          : " (cs-username tells the relay's commands, OutboundConnectionCommand, from the server's replies, " +
            'OutboundConnectionResponse)') +
        ', so it does not read the file.'
    : "without them it holds no remote server's replies, so it cannot show a refusal (the service's default " +
        'field set logs none).';
}

/** What to do about a log whose `#Fields:` lack some of {@link IIS_SMTP_FIELDS}. */
export const ENABLE_FIELDS_ADVICE =
  "Enable them in the SMTP virtual server's logging properties (Advanced > Extended Properties: at least " +
  `date, ${IIS_SMTP_FIELDS.join(', ')}) and analyse the logs written after.`;

export const iisSmtpLog: TextFormat = {
  id: 'iis-smtp-log',
  sniff,
  createReader: (context) => new IisSmtpReader(context),
};

/** A command sent and not answered yet. */
interface Command {
  verb: string;
  /** The message's number on the connection when it was sent. */
  message: number;
  /** RCPT: the recipient. */
  recipient?: string;
  /** Its MAIL FROM (`''` for `<>`), when only one can be its. */
  from?: string;
  /** RCPT sent while the remote had another session of the site open, or after MAIL FROMs of two. */
  loose: boolean;
  /** The transaction under way when it was sent, in a session alone (see {@link Connection.transaction}). */
  transaction?: MailTransaction;
}

/** What a refusal's row says, for its event. */
interface RefusalRow {
  answer: string;
  eventId: string;
  timestamp: string;
  line: number;
  cells: readonly string[];
}

/** Who a row's session is between, as IIS writes them; `-` or absent when not logged. */
interface Peer {
  host: string | undefined;
  site: string | undefined;
  remote: string | undefined;
}

/** A refusal of a loose RCPT TO, held until the interleaved answers tell whether its recipient is sure. */
interface Held {
  event: TraceEvent;
  recipient?: string;
}

/**
 * The sessions of one site with one remote: one at a time, usually; when the relay opens another
 * before the first ends, IIS writes their rows with nothing to tell them apart, so they meet here.
 */
interface Connection {
  /** The relay (`s-computername`, `s-sitename`) and the remote (`c-ip`). */
  peer: Peer;
  /** When its first row was written (UTC ISO 8601), for the stand-in Message-ID. */
  start: string;
  /** The line of its first row. */
  firstLine: number;
  /** The EHLO (HELO) name the relay sent in its session, for stand-in Message-IDs without `s-computername`. */
  helo: string | undefined;
  /**
   * The session began before this log (its first row here is neither the greeting nor EHLO): the
   * previous log of the run has its start, and its message under way until its next MAIL FROM.
   */
  partial: boolean;
  /**
   * In a partial session: answers read so far in this log. They answer the commands sent before it
   * first, then its own (answers come in the order of the commands, RFC 2920).
   */
  answers: number;
  /**
   * In a partial session: its rows in this log, oldest first, the commands sent and the codes of the
   * answers `answers` counts, a 354 too (a transcript, as a send protocol log's: formats/smtp-sessions.ts).
   */
  transcript: { verb: string; recipient?: string }[];
  /** Its last row's time (ms), to tell sessions that ended without a QUIT. */
  last: number;
  /** Sessions open: greetings (or a first command) less QUITs. */
  open: number;
  /** MAIL commands so far: the number of the current message. */
  messages: number;
  /** The MAIL FROMs the next RCPT TO may belong to: one, unless sessions interleave. */
  senders: Set<string | undefined>;
  /** The transaction of the last MAIL FROM of a session alone, until RSET or another session opens. */
  transaction: MailTransaction | undefined;
  /**
   * A relay refusal that answers either MAIL FROM or, when the log did not write MAIL FROM's answer,
   * the first of the RCPT TOs pipelined after it; the next answer tells which (see {@link decide}).
   */
  undecided: RefusalRow | undefined;
  /** Commands waiting for their answer, in the order sent: the remote answers in that order (RFC 2920). */
  pending: Command[];
  /** Refusals of loose RCPT TOs, and what every answer to a loose RCPT TO said (see {@link settle}). */
  held: Held[];
  meanings: Set<string>;
  /** Refusals whose message could not be told, numbered for their stand-in Message-IDs. */
  loose: number;
}

/**
 * Commands that end a pipelined group (RFC 2920 §3.1): the client waits for their answer, so a
 * command after one means it was answered even when the log did not write the answer (an EHLO's
 * multi-line answer often is not).
 */
const GROUP_END: ReadonlySet<string> = new Set([
  'EHLO',
  'HELO',
  'DATA',
  'VRFY',
  'EXPN',
  'TURN',
  'QUIT',
  'NOOP',
  'STARTTLS',
  'AUTH',
]);

/** Commands kept unanswered per connection: a log that leaves more unanswered writes no answers. */
const MAX_PENDING = 1_000;

/**
 * A greeting after this long without a row, with no command waiting, begins the only session: the
 * one before ended without a QUIT written (IIS quits as soon as it has nothing more to send).
 */
const LULL_MS = 60_000;

/**
 * W3C writes a space inside a value as `+`; `-` is an empty value. A log written or re-saved with URL
 * encoding (`550%205.7.64%20TenantAttribution…`) has its `%XX` escapes decoded too: read as they are,
 * `%20` would be a digit run into the reply's code.
 */
function w3cValue(value: string | undefined): string | undefined {
  if (value === undefined || value === '-' || value === '') return undefined;
  const spaced = value.replace(/\+/g, ' ');
  return spaced.includes('%') ? spaced.replace(PERCENT_ESCAPES, percentDecoded) : spaced;
}

/** A run of `%XX` escapes: one character may take several (UTF-8 bytes). */
const PERCENT_ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;

/** A run of `%XX` escapes decoded; as it is when its bytes are no UTF-8 (`100%FF`). */
function percentDecoded(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    return run;
  }
}

/** `FROM:<a@b>` / `TO:<a@b>` (with optional `SIZE=…` after it) → the address. */
function commandAddress(argument: string | undefined): string | undefined {
  if (argument === undefined) return undefined;
  const match = /^(?:FROM|TO):\s*(<[^>]*>|\S+)/i.exec(argument.trim());
  return match ? normaliseAddress(match[1] as string) : undefined;
}

/** What an answer says, for comparing interleaved answers: its code, enhanced code and ATTR. */
function meaning(answer: string): string {
  const code = /^\d{3}/.exec(answer)?.[0] ?? '';
  const enhanced = /\b[245]\.\d{1,3}\.\d{1,3}\b/.exec(answer)?.[0] ?? '';
  const attr = /\bATTR\d+\b/i.exec(answer)?.[0]?.toUpperCase() ?? '';
  return `${code} ${enhanced} ${attr}`;
}

/**
 * The stand-in Message-ID of a message of the session: the relay, the remote, when the session
 * began and the message's number in it — the same whatever the file is called, and different for
 * every message (sessions with one remote follow one another). `loose` names a refusal whose message
 * cannot be told (interleaved sessions, or a command before the log) by its own number instead, and
 * the messages a session begun before the log sent after it (`continued`).
 *
 * Without `s-computername` (the field set the README asks for has none) the relay is not named, and
 * relays behind one load balancer each open a session to the same remote in the same second: what
 * the log says of the message tells them apart instead — the EHLO name the relay sent in the session
 * and the message's MAIL FROM (`told`), when the log has them. Ids of logs that name the relay keep
 * their form (ids are stored).
 */
export function sessionMessageIdentity(
  host: string | undefined,
  remote: string | undefined,
  session: { start: string; messages: number },
  loose?: { kind: 'interleaved' | 'unpaired' | 'continued'; number: number },
  told: MessageTold = {},
): string {
  const known = (value: string | undefined) => (value === undefined || value === '-' ? '' : value);
  const which = loose === undefined ? String(Math.max(session.messages, 1)) : `${loose.kind}-${loose.number}`;
  const relay = known(host);
  if (relay !== '') return `iis:${relay}:${known(remote)}@${session.start}#${which}`;
  const helo = told.helo === undefined ? '' : `ehlo=${told.helo}`;
  const from = told.from === undefined ? '' : `;from=${told.from}`;
  return `iis:${helo}:${known(remote)}@${session.start}#${which}${from}`;
}

/** What a log without `s-computername` says of a message, for its stand-in Message-ID. */
interface MessageTold {
  /** The EHLO (or HELO) name the relay sent in the session. */
  helo?: string;
  /** The message's MAIL FROM (`''` for `<>`). */
  from?: string;
}

/** {@link MessageTold} of a connection's message, whose MAIL FROM is `from` when known. */
function toldOf(connection: Connection, from?: string): MessageTold {
  const told: MessageTold = {};
  if (connection.helo !== undefined) told.helo = connection.helo;
  if (from !== undefined) told.from = from;
  return told;
}

/** `hh:mm:ss[.fff]` → milliseconds into the day, or `undefined`. */
function timeOfDay(time: string): number | undefined {
  const match = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(time);
  if (!match) return undefined;
  const [hours, minutes, seconds] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  const millis = Number((match[4] ?? '').padEnd(3, '0'));
  return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis;
}

/**
 * The dates of rows in a log without a `date` field: the latest `#Date:` directive's day, moved on
 * a day each time the rows' time of day goes back (the log ran past midnight: logs that roll weekly,
 * monthly or by size).
 */
class RowDates {
  /** Midnight (ms, UTC) of the current rows' day; `undefined` before the first `#Date:`. */
  private day: number | undefined;
  /** The latest time of day seen since then (ms). */
  private latest = 0;

  /** A `#Date: yyyy-mm-dd hh:mm:ss` directive: the rows after it are on that day, at or after that time. */
  public directive(text: string): void {
    const match = /^#Date:\s*(\d{4}-\d{2}-\d{2})(?:[ T]+(\S+))?/i.exec(text);
    const day = match ? Date.parse(`${match[1]}T00:00:00Z`) : Number.NaN;
    // A directive that gives no date leaves the rows on the day they were.
    if (Number.isNaN(day)) return;
    this.day = day;
    this.latest = timeOfDay(match?.[2] ?? '') ?? 0;
  }

  public get known(): boolean {
    return this.day !== undefined;
  }

  /** The date (`yyyy-mm-dd`) of a row written at `time`, or `undefined` when it cannot be told. */
  public dateOf(time: string): string | undefined {
    const at = timeOfDay(time);
    if (this.day === undefined || at === undefined) return undefined;
    if (at < this.latest - OUT_OF_ORDER_MS) {
      this.day += DAY_MS;
      this.latest = at;
    } else this.latest = Math.max(this.latest, at);
    return new Date(this.day).toISOString().slice(0, 10);
  }
}

/** Lines from the first to the last counted, for notes. */
class Tally {
  public count = 0;
  private first = 0;
  private lastLine = 0;

  public add(line: number): void {
    this.count++;
    if (this.first === 0) this.first = line;
    this.lastLine = line;
  }

  public get lines(): string {
    return this.first === this.lastLine ? `line ${this.first}` : `lines ${this.first}–${this.lastLine}`;
  }
}

/** The id a connection's session is handed on and joined by: IIS logs none (evidence/open-session.ts). */
function sessionIdOf(connection: Connection): string {
  const { host, site, remote } = connection.peer;
  return connectionSessionId(host ?? '', site ?? '', remote ?? '');
}

/**
 * The session of a refusal in a session begun before its log, by which the run joins it to the one
 * the previous log handed on; `earlier`: its answer's place among the answers in this log, which the
 * run pairs with the commands of both logs, this log's sent so far (evidence/open-session.ts).
 */
function begunBefore(connection: Connection, earlier?: number): SmtpSession {
  const session: SmtpSession = {
    id: sessionIdOf(connection),
    tls: false,
    partial: true,
    line: connection.firstLine,
  };
  if (earlier !== undefined) {
    session.earlierCommand = earlier;
    session.unanswered = handedOnCommands(connection.transcript);
  }
  return session;
}

/** Adds a row of a partial session to its transcript, within its bound. */
function transcribe(connection: Connection, entry: { verb: string; recipient?: string }): void {
  if (connection.transcript.length < MAX_PENDING * 2) connection.transcript.push(entry);
}

/** `#Fields:` lines lacking fields that the file's note names; it counts the others (notes are short). */
const NOTED_BLOCKS = 2;

/** Refusals held while the rows could still be sorted or newest first: past this many, the file is decided on. */
const MAX_HELD = 10_000;

class IisSmtpReader extends LineReader {
  private readonly connections = new Map<string, Connection>();
  /**
   * The relays and remotes this log has had a session between: a session begins before the log only
   * as the first of its pair (rows after one ended, such as the 221 after QUIT, are that one's).
   */
  private readonly seen = new BoundedMap<string, true>(MAX_SESSIONS);
  /** The line of the last row read, for the sessions handed on at the end. */
  private lastLine = 0;
  private fields: string[] = [];
  private index = new Map<string, number>();
  /** Where the rows' dates come from when the fields have no `date`. */
  private readonly dates = new RowDates();
  /** The line of the current `#Fields:`, for the refusal of a log that cannot be dated. */
  private fieldsLine = 0;
  /**
   * What the current `#Fields:` lacks of {@link IIS_SMTP_FIELDS}: its rows are skipped, each naming
   * it (the skip of one that holds refusal text fails the file), and the file's notes name the line.
   */
  private missing: string[] = [];
  /** The first `#Fields:` lines whose rows were skipped for what they lack (see {@link missing}), for the note. */
  private readonly lacking: { line: number; fields: string[]; missing: string[]; rows: Tally }[] = [];
  /** Whether a `#Fields:` line had every field read: without one, the file is refused at its end. */
  private readable = false;
  /** Whether a skipped row held refusal text: the file fails for it (REFUSAL_NOT_READ), naming its line. */
  private refusalSkipped = false;
  /** How many `#Fields:` lines had rows skipped so (a log may have one after each restart). */
  private lackingBlocks = 0;
  private lastLacking = 0;
  /** Refusals in interleaved sessions: all, those kept without MAIL FROM, those without recipient. */
  private readonly interleaved = new Tally();
  private readonly withoutSender = new Tally();
  private readonly withoutRecipient = new Tally();
  /**
   * Refusals answering a command the log does not have, other than in a session begun before the
   * log alone (the run notes those, when no file of it has the start: evidence/open-session.ts).
   */
  private readonly unpaired = new Tally();
  /** Refusals of MAIL FROM or its first RCPT TO whose log ended before the answer that tells which. */
  private readonly undecidedAtEnd = new Tally();
  /** Whether the rows are in IIS's order; refusals wait in `held` until it is trusted. */
  private readonly order = new WriteOrder();
  private held: TraceEvent[] = [];

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
        this.fieldsLine = line;
        this.missing = missingFields(fields);
        if (this.missing.length === 0) this.readable = true;
      } else if (/^#Date:/i.test(text)) this.dates.directive(text);
      this.order.directive();
      return;
    }
    sink.row(line);
    this.lastLine = line;
    if (tooLong) {
      this.skipLine(line, text, 'RECORD_TOO_LARGE', 'the line is longer than a W3C log line can be');
      return;
    }
    if (this.fields.length > 0 && this.missing.length > 0) {
      this.lackingRow(line, text);
      return;
    }
    const cells = text.split(' ');
    if (this.fields.length === 0 || cells.length !== this.fields.length) {
      this.skipLine(
        line,
        text,
        'COLUMN_COUNT',
        `expected ${this.fields.length} fields, found ${cells.length}`,
      );
      return;
    }
    const time = this.value(cells, 'time');
    const date = this.index.has('date') ? this.value(cells, 'date') : this.undatedRow(time, line);
    const timestamp =
      date === undefined || time === undefined
        ? undefined
        : this.context.timestamps.parse(`${date}T${time}Z`, line);
    if (timestamp === undefined) {
      this.skipLine(
        line,
        text,
        'BAD_TIMESTAMP',
        `"${quoteText(`${date ?? ''} ${time ?? ''}`, 64)}" is not a date and time`,
        'date',
      );
      return;
    }
    const kind = this.value(cells, 'cs-username')?.toLowerCase();
    const outbound = kind === 'outboundconnectioncommand' || kind === 'outboundconnectionresponse';
    const answer = kind === 'outboundconnectionresponse';
    const peer: Peer = {
      host: this.value(cells, 's-computername'),
      site: this.value(cells, 's-sitename'),
      remote: this.value(cells, 'c-ip'),
    };
    // The relay too: logs of several relays merged in time order keep each relay's sessions apart.
    const relay = `${peer.host ?? ''} ${peer.site ?? ''}`;
    const key = `${relay} ${peer.remote ?? ''}`;
    if (!this.order.trusted) {
      this.order.time(relay, timestamp, `${date} ${time}`, !this.index.has('date'), line);
      if (outbound) {
        const text = (answer ? this.answer(cells) : this.value(cells, 'cs-method')) ?? '';
        this.order.row(key, timestamp, answer, text, peer.remote ?? '', line);
      }
      if (this.order.trusted) this.release();
    }
    if (!outbound) return;
    if (answer) this.response(cells, key, peer, timestamp, line);
    else this.command(cells, key, peer, timestamp, line);
  }

  /** A refusal's event, held while the rows have not shown that they are in the order IIS wrote them. */
  private emit(event: TraceEvent): void {
    if (this.order.trusted) {
      this.sink.event(event);
      return;
    }
    this.held.push(event);
    if (this.held.length >= MAX_HELD) this.decideOrder();
  }

  private release(): void {
    for (const event of this.held) this.sink.event(event);
    this.held = [];
  }

  /**
   * The rows have not been trusted to be in IIS's order (see {@link WriteOrder}): when an answer was
   * paired with a command by position and the rows were put newest first, or sorted, that pairing is
   * not the server's, and the file is refused rather than give a refusal another recipient or none.
   * Answers paired with nothing lose nothing, and rows that showed answers followed by commands, with
   * neither time nor SMTP's order going back more than forward (too few steps to trust them early, such
   * as daily logs of one message each, joined newest file first), are read as written: released.
   */
  private decideOrder(): void {
    const { order } = this;
    const line = order.firstPaired;
    if (line === undefined) {
      this.release();
      return;
    }
    const back = order.timeReversed ? order.firstBack : undefined;
    const behind = order.stepsReversed ? order.firstBehind : undefined;
    const at = back?.line ?? behind?.line;
    if (at !== undefined) {
      const signs = [
        back &&
          `its time goes back at line ${back.line} (${back.when} after ${back.before}), and from row to row of a ` +
            `relay it went back ${order.backward} times for ${order.forward} forward`,
        behind &&
          `its sessions go against the order of SMTP at line ${behind.line} (${behind.how}), and from row to row ` +
            `of a session they went back ${order.behind} times for ${order.ahead} forward`,
      ];
      throw new UnknownFormatError(
        `${this.context.file}: looks like an IIS SMTP service log put newest first (Sort-Object -Descending, sort -r, ` +
          `tac, a "newest first" export such as Log Parser's ORDER BY date DESC, time DESC): ` +
          `${signs.filter((sign) => sign !== undefined).join('; ')}, while IIS writes the rows as they happen, oldest ` +
          'first. IIS logs no session id: answers are paired with commands by their order, and here a refusal would ' +
          "be paired with another message's command and given its recipient and sender, or none. Analyse the " +
          'ex*.log files as IIS wrote them (several can be given at once). A copy reversed line by line (tac) is put ' +
          'back by reversing it again; sorting it oldest first on date and time only, keeping equal lines in order ' +
          '(sort -s -k1,2; not a sort of whole lines, which Sort-Object does), puts it back only if the newest-first sort kept the ' +
          'rows of each second in the order IIS wrote them.',
        { file: this.context.file, line: at },
      );
    }
    if (order.paired) {
      this.release();
      return;
    }
    throw new UnknownFormatError(
      `${this.context.file}: looks like an IIS SMTP service log whose lines were sorted (sort, Sort-Object): in no ` +
        "second is a remote's answer followed by the relay's next command, which every log IIS writes shows (it sends " +
        'each command as soon as it has read the answer), so from the first answer paired with a command (line ' +
        `${line}) on, the order of commands and answers is not the server's. IIS logs no session id: answers are ` +
        'paired with commands by their order, and here a refusal would be given another recipient, or none. Analyse ' +
        'the logs as IIS wrote them (the ex*.log files unsorted; several can be given at once), or merge them without ' +
        'reordering the lines of one second: concatenate them, or sort on date and time only, keeping equal lines in ' +
        'order (sort -s -k1,2).',
      { file: this.context.file, line },
    );
  }

  /**
   * The date of a row under fields without `date`, from the `#Date:` directives before it. Without
   * one the rows cannot be dated (nor their refusals told from another day's): the file is refused.
   */
  private undatedRow(time: string | undefined, line: number): string | undefined {
    if (!this.dates.known) {
      throw new UnknownFormatError(
        `${this.context.file}: looks like an IIS SMTP service log, but its #Fields: line (line ${this.fieldsLine}) ` +
          `has no date field and no #Date: line comes before its first row (line ${line}), so its rows cannot be dated. ` +
          'Analyse the log as IIS wrote it (it begins with a #Date: line), or enable the Date field in the SMTP ' +
          "virtual server's logging properties (Extended Properties).",
        { file: this.context.file, line },
      );
    }
    return time === undefined ? undefined : this.dates.dateOf(time);
  }

  /**
   * Skips a row under a `#Fields:` line that lacks what reading needs (the service's default field set
   * before the admin added the others, or after they were taken away): without `cs-uri-query` it holds
   * no reply, without `cs-username` its replies cannot be told from the relay's commands.
   */
  private lackingRow(line: number, text: string): void {
    const { missing, fieldsLine } = this;
    if (this.lastLacking !== fieldsLine) {
      this.lastLacking = fieldsLine;
      if (++this.lackingBlocks <= NOTED_BLOCKS)
        this.lacking.push({ line: fieldsLine, fields: this.fields, missing, rows: new Tally() });
    }
    const block = this.lacking.at(-1);
    if (block?.line === fieldsLine) block.rows.add(line);
    this.skipLine(
      line,
      text,
      'MISSING_FIELD',
      `its #Fields: line (line ${fieldsLine}) lacks ${missing.join(', ')}, which relay-audit needs to read a row: ` +
        `enable ${missing.length === 1 ? 'it' : 'them'} in the SMTP virtual server's logging properties ` +
        '(Extended Properties) for the logs to come',
    );
  }

  /** Skips a line not read: REFUSAL_NOT_READ, which fails the file, when it holds relay-refusal text. */
  private skipLine(line: number, text: string, reason: SkipReason, message: string, column?: string): void {
    const skipped = skipSearched(reason, message, text);
    if (skipped.reason === 'REFUSAL_NOT_READ') this.refusalSkipped = true;
    this.sink.skip(line, skipped.reason, skipped.message, column);
  }

  private command(cells: readonly string[], key: string, peer: Peer, timestamp: string, line: number): void {
    const verb = (this.value(cells, 'cs-method') ?? '').toUpperCase();
    // A session begins with the greeting, or EHLO when the greeting was not logged.
    const connection =
      this.connections.get(key) ??
      this.open(key, peer, timestamp, line, verb !== 'EHLO' && verb !== 'HELO' && !this.seen.has(key));
    connection.last = Date.parse(timestamp);
    // The client sends nothing before it has read every answer of its pipelined group.
    this.decide(connection, false);
    const pending = connection.pending;
    if (verb === 'QUIT' && --connection.open <= 0) {
      // The next row with this remote is another session, with its own start.
      this.close(key, connection);
      return;
    }
    const shared = connection.open > 1;
    if (!shared) {
      // Sent after a group's last command: that command was answered, written or not.
      let answered = -1;
      pending.forEach((command, at) => {
        if (GROUP_END.has(command.verb)) answered = at;
      });
      if (answered >= 0) pending.splice(0, answered + 1);
    }
    const sent: Command = { verb, message: connection.messages, loose: false };
    if (verb === 'MAIL') {
      const from = commandAddress(w3cValue(this.value(cells, 'cs-uri-query')));
      if (shared) connection.senders.add(from);
      else connection.senders = new Set([from]);
      sent.message = ++connection.messages;
      // Interleaved sessions' RCPT TOs cannot be told apart: no transaction is kept for them.
      connection.transaction = shared ? undefined : new MailTransaction(MAX_PENDING);
    } else if (verb === 'RCPT') {
      const recipient = commandAddress(w3cValue(this.value(cells, 'cs-uri-query')));
      if (recipient !== undefined) sent.recipient = recipient;
      sent.loose = shared || connection.senders.size > 1;
      connection.transaction?.send(recipient);
    } else if (verb === 'RSET' || verb === 'EHLO' || verb === 'HELO') {
      connection.transaction = undefined;
      // The session's name for the relay (the first: one again after STARTTLS is the same).
      if (verb !== 'RSET') connection.helo ??= w3cValue(this.value(cells, 'cs-uri-query'))?.toLowerCase();
    }
    if (connection.transaction !== undefined) sent.transaction = connection.transaction;
    const from = connection.senders.size === 1 ? [...connection.senders][0] : undefined;
    if (from !== undefined) sent.from = from;
    if (pending.length >= MAX_PENDING) pending.shift();
    pending.push(sent);
    if (connection.partial) transcribe(connection, sent);
    this.settle(connection);
  }

  private response(cells: readonly string[], key: string, peer: Peer, timestamp: string, line: number): void {
    const answer = this.answer(cells);
    if (answer === undefined) return;
    const time = Date.parse(timestamp);
    let connection = this.connections.get(key);
    const code = /^\d{3}/.exec(answer)?.[0];
    if (connection !== undefined) this.decide(connection, code === '503');
    if (code === '220') {
      const tls = connection?.pending.findIndex((command) => command.verb === 'STARTTLS') ?? -1;
      if (connection !== undefined && tls >= 0) {
        connection.pending.splice(0, tls + 1);
        connection.last = time;
        return;
      }
      // A greeting: a session begins. Idle sessions ended without a QUIT written.
      if (connection !== undefined && connection.pending.length === 0 && time - connection.last > LULL_MS) {
        this.close(key, connection);
        connection = undefined;
      }
      if (connection === undefined) this.open(key, peer, timestamp, line, false).last = time;
      else {
        // Another session with the same remote while one is open: their rows interleave from here,
        // and RCPT TOs after it may be the other session's.
        connection.open++;
        connection.last = time;
        connection.transaction?.send(undefined);
        connection.transaction = undefined;
      }
      return;
    }
    const eventId = answer.startsWith('4') ? 'DEFER' : answer.startsWith('5') ? 'FAIL' : 'SEND';
    const relevant = this.context.isRelevant(eventId, 'SMTP', answer, undefined);
    if (connection === undefined) {
      // The first row of a pair's session in this log, an answer: the session began before the log.
      // After a session of the pair ended here, an answer (the 221 after QUIT) is that one's, and
      // begins nothing; a refusal is never lost.
      const before = !this.seen.has(key) && code !== '221';
      if (!before && !relevant) return;
      connection = this.open(key, peer, timestamp, line, before);
    }
    connection.last = time;
    const row: RefusalRow = { answer, eventId, timestamp, line, cells };
    if (relevant && code !== '421' && this.mailOrRecipient(connection)) {
      connection.undecided = row;
      return;
    }
    const command = this.answered(connection, relevant);
    // In a session begun before this log, an answer may be to a command sent before it: one with no
    // command of this log waiting is; one paired with a command of this log sent before the answers
    // came may be (pipelined across the rollover). Which, the previous log of the run tells, by the
    // answer's place (evidence/open-session.ts).
    let earlier: number | undefined;
    if (connection.partial && connection.open <= 1) {
      earlier = connection.answers;
      // A 354 asks for the message: the answer after it is to the same DATA.
      if (code !== '354') connection.answers++;
    }
    if (command?.verb === 'DATA' && code === '354') connection.pending.unshift(command);
    if (command?.verb === 'RCPT' && code?.startsWith('2') && command.recipient !== undefined) {
      command.transaction?.accept(command.recipient);
    }
    const loose = command?.verb === 'RCPT' && (command.loose || connection.open > 1);
    if (loose) connection.meanings.add(meaning(answer));
    if (relevant) this.refusal(connection, command, loose, row, earlier);
    if (earlier !== undefined && code !== undefined) transcribe(connection, answerEntry(code));
    // 421: the remote closes the session (RFC 5321 §3.8); no QUIT follows.
    if (code === '421' && --connection.open <= 0) this.close(key, connection);
    else this.settle(connection);
  }

  /**
   * The command an answer is to: the first waiting. A relay refusal answers a RCPT TO, so in a
   * session alone the commands before the first waiting RCPT TO had answers the log did not write.
   */
  private answered(connection: Connection, refusal: boolean): Command | undefined {
    const pending = connection.pending;
    if (refusal && connection.open <= 1 && pending[0]?.verb !== 'RCPT') {
      const rcpt = pending.findIndex((command) => command.verb === 'RCPT');
      if (rcpt > 0) pending.splice(0, rcpt);
    }
    return pending.shift();
  }

  /**
   * True when a relay refusal, in a session alone, answers either the MAIL FROM waiting before
   * several RCPT TOs — then it refuses them all — or, the log not having written MAIL FROM's answer,
   * the first of them alone ({@link answered}). The answers before the MAIL FROM are dropped as there.
   */
  private mailOrRecipient(connection: Connection): boolean {
    const pending = connection.pending;
    if (connection.open > 1 || pending[0]?.verb === 'RCPT') return false;
    const rcpt = pending.findIndex((command) => command.verb === 'RCPT');
    const first = pending[rcpt];
    if (
      rcpt < 1 ||
      pending[rcpt - 1]?.verb !== 'MAIL' ||
      pending[rcpt + 1]?.verb !== 'RCPT' ||
      first?.loose
    ) {
      return false;
    }
    pending.splice(0, rcpt - 1);
    return true;
  }

  /**
   * Tells whose the undecided refusal is, at the next answer or before: MAIL FROM's when that answer
   * is a `503` (bad sequence: the RCPT TO after a refused MAIL FROM, RFC 5321 §4.1.4), else the first
   * RCPT TO's, as a refusal alone is taken.
   */
  private decide(connection: Connection, mailRefused: boolean): void {
    const row = connection.undecided;
    if (row === undefined) return;
    connection.undecided = undefined;
    const mail = connection.pending.shift();
    this.refusal(connection, mailRefused ? mail : connection.pending.shift(), false, row);
  }

  private refusal(
    connection: Connection,
    command: Command | undefined,
    loose: boolean,
    row: RefusalRow,
    earlier?: number,
  ): void {
    const host = this.value(row.cells, 's-computername');
    const remote = this.value(row.cells, 'c-ip');
    const event: TraceEvent = {
      timestamp: row.timestamp,
      eventId: row.eventId,
      source: 'SMTP',
      recipientStatus: row.answer,
      line: row.line,
    };
    if (command === undefined) {
      // Its command is before the log: recipient and message unknown, but the refusal counts. In a
      // session begun before the log, the previous log of the run has them.
      event.messageId = sessionMessageIdentity(
        host,
        remote,
        connection,
        { kind: 'unpaired', number: ++connection.loose },
        toldOf(connection),
      );
      if (earlier !== undefined) event.session = begunBefore(connection, earlier);
      else this.unpaired.add(row.line);
    } else if (loose) {
      event.messageId = sessionMessageIdentity(
        host,
        remote,
        connection,
        { kind: 'interleaved', number: ++connection.loose },
        toldOf(connection),
      );
      this.interleaved.add(row.line);
      if (command.from === undefined) this.withoutSender.add(row.line);
    } else if (connection.partial && command.message === 0 && connection.open <= 1) {
      // Its message began before the log: the previous log of the run has its MAIL FROM, the
      // session's start that names it, and maybe the command it answers. Without it, the refusal is
      // told apart by its recipient.
      event.session = begunBefore(connection, earlier);
      if (command.recipient !== undefined) event.recipient = command.recipient;
    } else {
      const told = toldOf(connection, command.from);
      event.messageId = connection.partial
        ? sessionMessageIdentity(
            host,
            remote,
            connection,
            { kind: 'continued', number: command.message },
            told,
          )
        : sessionMessageIdentity(
            host,
            remote,
            { start: connection.start, messages: command.message },
            undefined,
            told,
          );
      if (command.recipient !== undefined) event.recipient = command.recipient;
    }
    if (command?.from !== undefined) event.returnPath = command.from;
    if (host !== undefined && host !== '-') event.clientHostname = host;
    if (remote !== undefined && remote !== '-') event.serverIp = remote;
    if (!loose) {
      // One event per recipient an answer to MAIL FROM or to the message refuses; while sessions
      // interleave, that answer may be another session's: its recipients are not named.
      const recipients = connection.open > 1 ? undefined : command?.transaction?.refusedBy(command.verb);
      if (recipients === undefined) this.emit(event);
      else for (const each of perRecipient(event, recipients)) this.emit(each);
      return;
    }
    const held: Held = { event };
    if (command?.recipient !== undefined) held.recipient = command.recipient;
    connection.held.push(held);
  }

  /**
   * Hands on the held refusals once no loose RCPT TO waits for its answer. Answers of interleaved
   * sessions may cross, so a refusal keeps its recipient only when every loose RCPT TO got the same
   * answer (then whichever was whose, each recipient was refused so); otherwise none is named.
   */
  private settle(connection: Connection, end = false): void {
    if (connection.held.length === 0) return;
    const waiting = connection.pending.some(
      (command) => command.verb === 'RCPT' && (command.loose || connection.open > 1),
    );
    if (waiting && !end) return;
    const sure = connection.meanings.size <= 1 && !waiting;
    for (const { event, recipient } of connection.held) {
      if (sure && recipient !== undefined) event.recipient = recipient;
      else this.withoutRecipient.add(event.line);
      this.emit(event);
    }
    connection.held = [];
    connection.meanings.clear();
  }

  private open(key: string, peer: Peer, timestamp: string, line: number, partial: boolean): Connection {
    if (this.connections.size >= MAX_SESSIONS) {
      // Map order is insertion order: the first key is the connection open longest.
      const oldest = this.connections.keys().next().value;
      const connection = oldest === undefined ? undefined : this.connections.get(oldest);
      if (oldest !== undefined && connection !== undefined) this.close(oldest, connection);
    }
    this.seen.set(key, true);
    const connection: Connection = {
      peer,
      start: timestamp,
      firstLine: line,
      helo: undefined,
      partial,
      answers: 0,
      transcript: [],
      last: Date.parse(timestamp),
      open: 1,
      messages: 0,
      senders: new Set(),
      // Begun before the log, its message's RCPT TOs here are of the transaction under way there.
      transaction: partial ? new MailTransaction(MAX_PENDING) : undefined,
      undecided: undefined,
      pending: [],
      held: [],
      meanings: new Set(),
      loose: 0,
    };
    this.connections.set(key, connection);
    return connection;
  }

  private close(key: string, connection: Connection): void {
    this.decide(connection, false);
    this.settle(connection, true);
    this.connections.delete(key);
  }

  protected override finish(): void {
    super.finish();
    if (!this.readable && !this.refusalSkipped) this.refuseLacking();
    for (const [key, connection] of [...this.connections]) {
      // A refusal waiting for the next answer is decided as at any end, before the rest is handed on;
      // that answer is in the next log, which cannot tell it back: noted.
      if (connection.undecided !== undefined) this.undecidedAtEnd.add(connection.undecided.line);
      this.decide(connection, false);
      this.handOn(connection);
      this.close(key, connection);
    }
    if (!this.order.trusted) this.decideOrder();
  }

  /**
   * Refuses a log none of whose `#Fields:` lines has the fields read, taken for its long head of
   * rows under lines that lack them ({@link lackingHead}): as detection refuses a shorter one, and
   * saying no later line has them. A row with refusal text among them fails the file by its own line.
   */
  private refuseLacking(): void {
    const first = this.lacking[0];
    if (first === undefined) return;
    const { line, fields, missing } = first;
    const others = this.lackingBlocks > 1 ? ` and ${this.lackingBlocks - 1} #Fields: lines after it` : '';
    throw new UnknownFormatError(
      `${this.context.file}: looks like an IIS SMTP service log whose #Fields: lack ${missing.join(', ')} (line ` +
        `${line}${others}), and no #Fields: line of the file has them: ` +
        `${lackingFieldsWhy(fields, !missing.includes('cs-uri-query'))} ${ENABLE_FIELDS_ADVICE}`,
      { file: this.context.file, line },
    );
  }

  /**
   * Hands on a session still open at the end of the log, for its refusals in the next log of the run
   * (evidence/open-session.ts): its message under way, MAIL FROM, the commands not answered yet, and
   * the recipients its transaction had accepted.
   * Sessions interleaved with the same remote are not: which rows were whose is not known. One begun
   * before this log whose message is too is handed on with what this log read of it (the answers it
   * counted, and its transcript), so that the next log's refusal is paired through this log, not
   * joined to the earlier log's session as if this log had not been.
   */
  private handOn(connection: Connection): void {
    if (connection.open > 1) return;
    const { host, remote } = connection.peer;
    const session: SmtpSession = {
      id: sessionIdOf(connection),
      tls: false,
      line: connection.firstLine,
      unanswered: handedOnCommands(connection.pending),
    };
    const event: TraceEvent = {
      timestamp: new Date(connection.last).toISOString(),
      eventId: OPEN_SESSION_EVENT_ID,
      session,
      line: this.lastLine,
    };
    if (connection.partial && connection.messages === 0) {
      // Its message began before this log too: what the log after needs is what this log read of it.
      session.partial = true;
      session.earlierCommand = connection.answers;
      session.unanswered = handedOnCommands(connection.transcript);
    } else if (connection.messages > 0) {
      const from = connection.senders.size === 1 ? [...connection.senders][0] : undefined;
      const told = toldOf(connection, from);
      event.messageId = connection.partial
        ? sessionMessageIdentity(
            host,
            remote,
            connection,
            { kind: 'continued', number: connection.messages },
            told,
          )
        : sessionMessageIdentity(host, remote, connection, undefined, told);
      if (from !== undefined) event.returnPath = from;
    }
    if (host !== undefined && host !== '-') event.clientHostname = host;
    for (const handed of handOnEvents(event, connection.transaction?.acceptedSoFar ?? [])) this.emit(handed);
  }

  /**
   * FIELD_SET_UNKNOWN, as for a joined log's `#Fields:` line of another format: the `#Fields:` lines
   * whose rows were not read for the fields they lack ({@link lackingRow}), the first {@link NOTED_BLOCKS} named.
   */
  private lackingNote(): SourceNote | undefined {
    const count = this.lackingBlocks;
    if (count === 0) return undefined;
    const named = this.lacking.map(
      ({ line, missing, rows }) => `line ${line} (rows on ${rows.lines}) lacks ${missing.join(', ')}`,
    );
    if (count > NOTED_BLOCKS) named.push(`${count - NOTED_BLOCKS} more`);
    return {
      code: 'FIELD_SET_UNKNOWN',
      message:
        `the rows under ${count === 1 ? 'a #Fields: line' : `${count} #Fields: lines`} are not read: ` +
        `${named.join('; ')}. relay-audit needs ${REQUIRED.join(', ')} to tell the remote server's replies from the ` +
        "relay's commands and pair them (the SMTP service's default field set has neither cs-username nor " +
        'cs-uri-query); the rows under the other #Fields: lines are read with their own fields.',
    };
  }

  public override notes(): SourceNote[] {
    const notes: SourceNote[] = [];
    const lacking = this.lackingNote();
    if (lacking !== undefined) notes.push(lacking);
    const { interleaved, withoutSender, withoutRecipient, unpaired, undecidedAtEnd } = this;
    if (interleaved.count > 0) {
      notes.push({
        code: 'SESSIONS_INTERLEAVED',
        message:
          `${interleaved.count} refusals (${interleaved.lines}) came while the relay had two or more sessions open ` +
          'with the same remote, which IIS logs without a session id: each is kept as its own finding' +
          (withoutSender.count > 0
            ? `; ${withoutSender.count} without a sender (the MAIL FROM of any of those sessions could be theirs)`
            : '') +
          (withoutRecipient.count > 0
            ? `; ${withoutRecipient.count} without a recipient (the interleaved answers differed, so which RCPT TO each refused is not known)`
            : ''),
      });
    }
    if (undecidedAtEnd.count > 0) {
      notes.push({
        code: 'RECIPIENTS_NOT_PAIRED',
        message:
          `${undecidedAtEnd.count} refusals (${undecidedAtEnd.lines}) answer either MAIL FROM, refusing every RCPT TO ` +
          "sent after it, or, MAIL FROM's answer not written, the first of them alone; the log ends before the next " +
          'answer, which tells which (a 503 to the next RCPT TO after a refused MAIL FROM): each is taken as the first ' +
          "RCPT TO's, and the other recipients of its MAIL FROM may have been refused too (the next log has that answer)",
      });
    }
    if (unpaired.count > 0) {
      notes.push({
        code: 'ANSWERS_UNPAIRED',
        message:
          `${unpaired.count} refusals (${unpaired.lines}) answer commands the log does not have (not written, or ` +
          'sent while sessions with the same remote interleaved): each is its own finding, without its recipient ' +
          'and MAIL FROM',
      });
    }
    return notes;
  }
}
