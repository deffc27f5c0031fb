/**
 * Whether a log's SMTP rows are in the order its server wrote them ({@link WriteOrder}). Readers that
 * pair a session's answers with its commands by their order need it: in a log sorted, or put newest
 * first, an answer would be paired with another command, and a refusal given another recipient and
 * sender, or none. The IIS SMTP reader (iis-smtp-log.ts) and the Exchange send protocol log reader
 * (exchange-protocol-log.ts) refuse such a log, naming the line where its order goes back.
 *
 * A log that numbers each session's rows (Exchange's `sequence-number`) can have its order restored
 * where a sort on time alone changed it: the rows of one millisecond ({@link SessionRowOrder}).
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { detach } from '../../kernel/strings.js';

export const DAY_MS = 86_400_000;

/**
 * How far a row's time may fall behind the previous row's and still be the same day: rows of
 * sessions logged at once may be written a little out of order, and taking one for a midnight
 * crossing would date every row after it a day late.
 */
export const OUT_OF_ORDER_MS = 5 * 60_000;

/**
 * Net steps forward the rows must show, in time and in SMTP's order, before their order is trusted
 * (see {@link WriteOrder}): a newest-first log that has a row or two out of order may step forward
 * once or twice.
 */
const TRUST_STEPS = 3;

/**
 * Where an outbound row stands in its SMTP session (RFC 5321 §3), for {@link WriteOrder}: the remote's
 * greeting (`220`), the relay's EHLO or HELO, MAIL, RCPT, DATA or BDAT, and QUIT, and the `221` that
 * closes the session. Another command (RSET, STARTTLS, AUTH, NOOP…) is a step that keeps no order with
 * these; another answer is none, so the commands around it are next to each other.
 */
type Step = 'greeting' | 'hello' | 'mail' | 'rcpt' | 'data' | 'quit' | 'closing' | 'other';

const COMMAND_STEPS: Readonly<Record<string, Step>> = {
  EHLO: 'hello',
  HELO: 'hello',
  MAIL: 'mail',
  RCPT: 'rcpt',
  DATA: 'data',
  BDAT: 'data',
  QUIT: 'quit',
};

/**
 * Steps that follow each other in a session in this order only: the greeting before EHLO, EHLO before
 * MAIL, MAIL before RCPT, RCPT before DATA, QUIT before its 221. Steps that follow each other either
 * way as IIS writes them (MAIL after DATA for a second message, EHLO after STARTTLS) are not listed.
 */
const SMTP_ORDER: ReadonlySet<string> = new Set([
  'greeting hello',
  'hello mail',
  'mail rcpt',
  'rcpt data',
  'quit closing',
]);

/** The step of an outbound row, from what it says: an answer's code, or a command's verb. */
function stepOf(answer: boolean, said: string): Step | undefined {
  if (answer) return said === '220' ? 'greeting' : said === '221' ? 'closing' : undefined;
  return COMMAND_STEPS[said] ?? 'other';
}

/** A session's rows of one date-time, for {@link WriteOrder.sequence}. */
interface SessionTime {
  time: string | undefined;
  /** The lowest number and its line (named where a step goes back), and the highest. */
  low: { number: number; line: number };
  high: number;
}

/**
 * Whether the rows are in the order IIS wrote them, which pairing answers by position needs. IIS
 * sends its next command as soon as it has read an answer, so a log as written shows, for one remote,
 * an answer followed by a command within the same second (the greeting then EHLO, `250` then RCPT
 * TO), from its first session on. Rows sorted as whole lines (`sort`, `Sort-Object`) never do:
 * `OutboundConnectionCommand` sorts before `OutboundConnectionResponse`, so each second's commands
 * come before its answers, and its answers are sorted by code (`221` before `550`).
 *
 * Rows put newest first (`tac`, `sort -r`, `Sort-Object -Descending`, a "newest first" export) show
 * that pattern too, the other way round (a command's answer, then the command). Two signs tell them:
 * - SMTP's order, within each session (relay, site and remote): IIS writes the greeting before EHLO,
 *   EHLO before MAIL, MAIL before RCPT, RCPT before DATA, QUIT before its 221 ({@link SMTP_ORDER}),
 *   even when the whole session falls in one second; rows reversed line by line have each pair the
 *   other way round. Sessions IIS opens with one remote at once interleave, so a step of one may
 *   follow a later step of the other, but most steps stay in order. Files or sessions joined in any
 *   order leave each session's rows in order.
 * - Time, from one row of a relay (s-computername and site) to its next: IIS writes them as they
 *   happen, so the time goes forward or stays in its second. Real logs go back too, but seldom: a row
 *   written a second out of order (sessions logged at once) is followed by rows later again, a clock
 *   set back goes back once, and without a `date` field a new day only looks like a step back (not
 *   counted, as the IIS reader's RowDates takes it). Across directives (`#Date:`, `#Fields:`: another file, or
 *   a restart) no step is counted: daily logs joined newest file first go back once per file while
 *   each session stays whole. Rows whose seconds were put newest first, each second's rows kept as
 *   written, are in SMTP's order but go back at nearly every change of second — which splits each
 *   session that spans two seconds.
 * So the order is trusted once both have gone forward {@link TRUST_STEPS} times more than back, and
 * the rows are taken as newest first when either went back more than twice as often as forward.
 *
 * Exchange's send protocol logs number the rows of each session as they are written
 * (`sequence-number`: 0 at its start, on across the next file), so a session's order is known row by
 * row ({@link sequence}) and alone decides: neither time nor answers followed by commands are needed.
 * Only steps from one date-time of a session to its next count: a copy sorted on date-time alone
 * (oldest first) may put the rows of one millisecond in any order, which says nothing of the file's
 * order (and {@link SessionRowOrder} puts them back). So the rows are judged as the file has them,
 * before any are put back: put back first, each millisecond's rows of a log put newest first would
 * look like steps forward. Rows put newest first go back at the first session's first change of time,
 * so such a log is told as it is read ({@link sessionsGoBack}), before any of its refusals could be
 * handed on.
 */
export class WriteOrder {
  /** True once the rows show an answer followed by a command of its remote within one second. */
  public paired = false;
  /** The first answer after a command of its remote: the first the reader pairs by position. */
  public firstPaired: number | undefined;
  /** Steps from one row of a relay to its next that went forward and back in time. */
  public forward = 0;
  public backward = 0;
  /** The first row whose time is before that of its relay's row before it: both rows' date and time. */
  public firstBack: { line: number; when: string; before: string } | undefined;
  /** Steps from one row of a session to its next that kept SMTP's order and went against it. */
  public ahead = 0;
  public behind = 0;
  /** The first row of a session that SMTP, or its number, has before the session's row before it, and how. */
  public firstBehind: { line: number; how: string } | undefined;
  /** Each remote's last row while the order is not trusted: its second, and whether it was an answer. */
  private readonly last = new Map<string, { second: string; answer: boolean }>();
  /** Remotes the relay has sent a command to while the order is not trusted. */
  private readonly commanded = new Set<string>();
  /** Each relay's last row: its time (ms; of the day, in a log without `date`) and date and time. */
  private readonly clocks = new Map<string, { at: number; when: string }>();
  /** Each remote's last row that is a {@link Step}: the step, its code or verb, and its line. */
  private readonly steps = new Map<string, { step: Step; said: string; line: number }>();
  /**
   * Each session's rows of its last date-time, in a log that numbers them ({@link sequence}): that
   * date-time, and the lowest and highest of their numbers.
   */
  private readonly numbers = new Map<string, SessionTime>();
  /** True once {@link sequence} was called: the session's order is known row by row. */
  private numbered = false;

  /**
   * Whether the rows have shown the order they were written in: answers after commands, time and
   * SMTP's order going forward; in a log that numbers each session's rows, those numbers going forward.
   */
  public get trusted(): boolean {
    const sessions = this.ahead - this.behind >= TRUST_STEPS;
    if (this.numbered) return sessions;
    return this.paired && this.forward - this.backward >= TRUST_STEPS && sessions;
  }

  /** Whether the rows were put newest first by time: it went back more than twice as often as forward. */
  public get timeReversed(): boolean {
    return this.firstBack !== undefined && this.backward > 2 * this.forward;
  }

  /**
   * Whether the rows of sessions were put newest first: SMTP's order (or the rows' numbers) went back
   * more than twice as often as forward, with answers followed by commands (rows sorted show none, and
   * are told as sorted) unless the rows are numbered.
   */
  public get stepsReversed(): boolean {
    return (this.paired || this.numbered) && this.firstBehind !== undefined && this.behind > 2 * this.ahead;
  }

  /**
   * Whether the rows of sessions were put newest first already: they went back more than twice as
   * often as forward, and {@link TRUST_STEPS} times more. For a reader that decides as it reads.
   */
  public get sessionsGoBack(): boolean {
    return this.stepsReversed && this.behind - this.ahead >= TRUST_STEPS;
  }

  /** A directive: the rows after it are another file's, or written after a restart (no step across it). */
  public directive(): void {
    this.clocks.clear();
    this.steps.clear();
  }

  /**
   * Called for each dated row of `relay` until {@link trusted}; `when`: its date and time as the log
   * gives them, for the message; `undated`: its day is inferred.
   */
  public time(relay: string, timestamp: string, when: string, undated: boolean, line: number): void {
    const ms = Date.parse(timestamp);
    const at = undated ? ms % DAY_MS : ms;
    const before = this.clocks.get(relay);
    this.clocks.set(relay, { at, when });
    if (before === undefined || at === before.at) return;
    if (at > before.at) this.forward++;
    // Without `date`, a step back past OUT_OF_ORDER_MS was taken as a new day: it tells nothing.
    else if (!undated || at >= before.at - OUT_OF_ORDER_MS) {
      this.backward++;
      this.firstBack ??= { line, when, before: before.when };
    }
  }

  /**
   * Called, until {@link trusted}, for each row of a log that numbers the rows of each session
   * (`key`) as it writes them, in the file's order: `number` is the row's, `time` its date-time cell.
   * Each change of a session's date-time is a step of its order: forward when the number is past all
   * of the rows of its date-time before, back when it is before all of them. Rows of one date-time are
   * no step (see {@link WriteOrder}).
   */
  public sequence(key: string, number: number, time: string | undefined, line: number): void {
    this.numbered = true;
    const before = this.numbers.get(key);
    if (before !== undefined && time !== undefined && time === before.time) {
      if (number < before.low.number) before.low = { number, line };
      else if (number > before.high) before.high = number;
      return;
    }
    // Kept until the order is trusted: detached from the chunk the cell was cut from.
    const kept = time === undefined ? undefined : detach(time);
    this.numbers.set(key, { time: kept, low: { number, line }, high: number });
    if (before === undefined) return;
    if (number > before.high) this.ahead++;
    else if (number < before.low.number) {
      this.behind++;
      this.firstBehind ??= {
        line,
        how: `row ${number} of session ${key} follows its row ${before.low.number}, on line ${before.low.line}`,
      };
    }
  }

  /**
   * Called for each outbound row until {@link trusted}; `text`: the answer, or the command's verb;
   * `remote`: its c-ip, for the message.
   */
  public row(
    key: string,
    timestamp: string,
    answer: boolean,
    text: string,
    remote: string,
    line: number,
  ): void {
    const second = timestamp.slice(0, 19);
    const last = this.last.get(key);
    if (!answer && last?.answer === true && last.second === second) this.paired = true;
    if (answer && this.firstPaired === undefined && this.commanded.has(key)) this.firstPaired = line;
    if (!answer) this.commanded.add(key);
    this.last.set(key, { second, answer });

    const said = answer ? (/^\d{3}/.exec(text)?.[0] ?? '') : text.toUpperCase();
    const step = stepOf(answer, said);
    if (step === undefined) return;
    const before = this.steps.get(key);
    this.steps.set(key, { step, said, line });
    if (before === undefined) return;
    if (SMTP_ORDER.has(`${before.step} ${step}`)) this.ahead++;
    else if (SMTP_ORDER.has(`${step} ${before.step}`)) {
      this.behind++;
      this.firstBehind ??= {
        line,
        how:
          `the ${said} ${answer ? 'from' : 'to'} ${remote} follows the ${before.said} of line ${before.line}, ` +
          `which SMTP sends after a ${said}`,
      };
    }
  }
}

/**
 * Rows held back at most, across sessions, before they are read in the best order known: rows that
 * share one date-time are few (a session's pipelined commands, its certificate lines), unless the
 * times were cut to the second or the day, where waiting longer would only cost memory.
 */
export const HELD_ROWS = 10_000;

/** A session id as a note names it: at most 64 characters, as Exchange writes them (a cell may hold anything). */
function named(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}

/** A row held back until the rows of its session numbered before it are read. */
interface Held<T> {
  number: number;
  line: number;
  row: T;
}

/**
 * Puts the rows of each session of a log that numbers them (Exchange's `sequence-number`: 0 at the
 * session's start, one more with each row) back in the order of their numbers before they are read,
 * where a sort on time alone changed it. Exchange writes a session's pipelined commands, and answers
 * that come back together, in one millisecond; a sort on `date-time` alone (a SIEM's or Log Parser's
 * `ORDER BY date-time`, Windows PowerShell's `Sort-Object`, which is not stable, Excel's "Sort Oldest
 * to Newest" of a copy put newest first) may put those rows in any order, and an answer read before
 * its command would be paired with another. Rows of different times are in the order written already
 * (rows put newest first are {@link WriteOrder}'s to tell), so only the rows of one date-time are put
 * back in order: a row is read as soon as the row its session numbers before it is, else held back
 * until its date-time's rows have all been read (in a file sorted on date-time they are next to each
 * other), then read in the order of their numbers. Numbers that skip (rows filtered out, or in
 * another file) are no doubt: the rows are read in the order the numbers tell.
 *
 * Where the rows of one date-time cannot be put in order — two of a session with the same number, one
 * with none (no `sequence-number` column, or an empty cell) beside another of its session, one
 * numbered before a row of its session already read — they are read as read, and {@link unsure}
 * counts them for a note: their answers may have been paired with other commands.
 */
export class SessionRowOrder<T> {
  /** The number of each session's next row, once its rows have shown where they start. */
  private readonly next: BoundedMap<string, number>;
  /** Each session's rows held back, as read. */
  private readonly held = new Map<string, Held<T>[]>();
  private heldRows = 0;
  /** The date-time of the rows read last, and the sessions with a row at it (true: one without a number). */
  private time: string | undefined;
  private readonly atTime = new Map<string, boolean>();
  /** Rows whose place among their session's rows of one date-time cannot be told, and the first. */
  public unsure = 0;
  public firstUnsure: { line: number; how: string } | undefined;

  /**
   * @param sessions sessions whose next number is kept at once (the oldest forgotten first: its rows
   *   are then held back until their date-time's have been read, and read in order all the same)
   * @param read reads a row, in its session's order
   */
  public constructor(
    sessions: number,
    private readonly read: (row: T) => void,
  ) {
    this.next = new BoundedMap(sessions);
  }

  /**
   * A row of session `key`, its `number` (`undefined`: the log has none for it) and its `time` (its
   * date-time cell): read now, or held back. Returns true when it was read now.
   */
  public push(
    key: string,
    number: number | undefined,
    time: string | undefined,
    line: number,
    row: T,
  ): boolean {
    if (time !== this.time) {
      this.flush();
      this.time = time;
    }
    const before = this.atTime.get(key);
    // Kept only until the date-time changes: the key need not be detached from the chunk it was cut from.
    if (before === undefined) this.atTime.set(key, number === undefined);
    else if (number === undefined) this.atTime.set(key, true);
    if (number === undefined || before === true) {
      if (before !== undefined)
        this.doubt(
          line,
          `a row of session ${named(key)} without a sequence-number shares its date-time with another`,
        );
      if (number === undefined) {
        this.release(key);
        this.read(row);
        return true;
      }
    }
    const known = this.next.get(key);
    const expected = known ?? (number === 0 ? 0 : undefined);
    if (expected !== undefined && number <= expected) {
      // Behind a row of its session read at the same date-time: which came first cannot be told.
      if (number < expected && before !== undefined) this.behind(key, number, expected, line);
      if (number < expected) {
        this.read(row);
        return true;
      }
      this.next.set(known === undefined ? detach(key) : key, number + 1);
      this.read(row);
      if (this.held.size > 0) this.drain(key);
      return true;
    }
    const held = this.held.get(key);
    if (held === undefined) this.held.set(detach(key), [{ number, line, row }]);
    else held.push({ number, line, row });
    if (++this.heldRows > HELD_ROWS) for (const other of [...this.held.keys()]) this.release(other);
    return false;
  }

  /** The line of the first row held back, or `undefined` when none is. */
  public get firstHeld(): number | undefined {
    let first: number | undefined;
    for (const rows of this.held.values())
      for (const { line } of rows) if (first === undefined || line < first) first = line;
    return first;
  }

  /** The session has ended (its disconnect was read): its number is no longer kept. */
  public ended(key: string): void {
    this.next.delete(key);
  }

  /** Reads every row held back, each session's in the order of their numbers: their date-time's rows have ended. */
  public flush(): void {
    if (this.held.size > 0) for (const key of [...this.held.keys()]) this.release(key);
    if (this.atTime.size > 0) this.atTime.clear();
  }

  private numbered(key: string, next: number): void {
    this.next.set(this.next.has(key) ? key : detach(key), next);
  }

  /** Reads the rows of `key` held back that are next in its order. */
  private drain(key: string): void {
    const held = this.held.get(key);
    if (held === undefined) return;
    held.sort((a, b) => a.number - b.number);
    let taken = 0;
    for (const { number, line, row } of held) {
      const next = this.next.get(key);
      if (next === undefined || number > next) break;
      if (number < next) this.behind(key, number, next, line);
      else this.numbered(key, number + 1);
      this.read(row);
      taken++;
    }
    this.heldRows -= taken;
    if (taken === held.length) this.held.delete(key);
    else held.splice(0, taken);
  }

  /** Reads all the rows of `key` held back, in the order of their numbers (a skip: rows not in this log). */
  private release(key: string): void {
    const held = this.held.get(key);
    if (held === undefined) return;
    this.held.delete(key);
    this.heldRows -= held.length;
    held.sort((a, b) => a.number - b.number);
    for (const { number, line, row } of held) {
      const next = this.next.get(key);
      if (next !== undefined && number < next) this.behind(key, number, next, line);
      else this.numbered(key, number + 1);
      this.read(row);
    }
  }

  private behind(key: string, number: number, next: number, line: number): void {
    this.doubt(
      line,
      `row ${number} of session ${named(key)} comes after its row ${next - 1}, at the same date-time`,
    );
  }

  private doubt(line: number, how: string): void {
    this.unsure++;
    this.firstUnsure ??= { line, how };
  }
}
