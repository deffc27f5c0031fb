/**
 * Rows missing inside an SMTP send protocol session while commands await their answers (formats/
 * smtp-sessions.ts). Exchange numbers each row of a session (`sequence-number`), so a skip shows how
 * many rows are gone — a log between two rolled-over ones deleted by circular logging
 * (`SendProtocolLogMaxAge`, `SendProtocolLogMaxDirectorySize`) and the rest joined, or a log
 * shipper's rule dropping rows such as every `250` — but not what they were: answers to the waiting
 * commands, further commands, or informational `*` rows. Paired by position, the answers after the
 * skip would be given to the wrong commands (a refusal to a recipient that was accepted).
 *
 * So every reading the skip allows is kept: `x` of the waiting commands answered in the missing rows,
 * `y` commands sent in them and still waiting, `x + y` at most the rows missing (the rest `*` rows or
 * commands answered there too). Each answer read after the skip is paired under every reading, and a
 * reading it cannot be is dropped: a 354 answers DATA only, DATA is first answered 354 or refused,
 * a 221 answers QUIT, the last command, and QUIT gets nothing else (RFC 5321 §4.1.1, §4.3.2). Once
 * the readings left agree on where the session stands, the answers read meanwhile are paired where
 * every reading pairs them alike; the others are not known.
 */

/** A command as the session keeps it: only its verb matters here. */
export interface Verb {
  verb: string;
}

/** One reading of the missing rows, and what it paired the answers since with. */
interface Reading {
  /** The index (in the session's commands) of the next known command waiting. */
  cursor: number;
  /**
   * Commands sent in missing rows still waiting, in blocks, each before the command at `at` (the first
   * sent after its skip): answered before it.
   */
  unknown: { at: number; count: number }[];
  /** The next command is a DATA whose 354 was read: its next answer is to the message. */
  open: boolean;
  /** Of the waiting commands answered, and commands sent, in the missing rows. */
  answered: number;
  sent: number;
  /** Per answer read since the skip: the index of the command it answered, or -1 for one sent in the missing rows. */
  picks: number[];
}

/** Readings kept at most; a skip allowing more leaves the rest of its session unpaired. */
export const MAX_READINGS = 256;
/** Answers read since the skip kept at most before the readings must agree. */
export const MAX_PENDING_ANSWERS = 64;

/** Whether an answer with this code fits a command (`undefined`: one sent in the missing rows). */
function fits(verb: string | undefined, open: boolean, code: string, last: boolean): boolean {
  const refusal = /^[45]/.test(code);
  if (code === '221' && !last) return false;
  if (verb === undefined) return true;
  if (code === '354') return verb === 'DATA' && !open;
  if (code === '221') return verb === 'QUIT';
  if (verb === 'DATA' && !open) return refusal;
  if (verb === 'QUIT') return refusal;
  return true;
}

/** A reading of its own, to be paired on apart from the one it was copied from. */
function copy(reading: Reading): Reading {
  return { ...reading, unknown: reading.unknown.map((block) => ({ ...block })), picks: [...reading.picks] };
}

/** Commands sent in missing rows a reading has still waiting. */
function waitingUnknown(reading: Reading): number {
  return reading.unknown.reduce((sum, block) => sum + block.count, 0);
}

/** The reading's next command (`index`, -1: one sent in missing rows) answered. */
function consume(reading: Reading, index: number): Reading {
  const block = reading.unknown.find((unknown) => unknown.count > 0);
  if (index === -1 && block !== undefined) block.count--;
  else reading.cursor++;
  return reading;
}

/** Whether the command `index` (-1: one sent in missing rows) is the last the session sent: a 221 answers only that. */
function isLast(reading: Reading, index: number, count: number): boolean {
  const unknown = waitingUnknown(reading);
  if (index === -1) return unknown === 1 && reading.cursor === count;
  return index === count - 1 && unknown === 0;
}

export class SessionGap {
  private readings: Reading[];
  /** Answers read since the skip. */
  public answers = 0;

  /**
   * A skip of rows `from`–`to` (sequence numbers) with the commands `head`… of `commands` waiting;
   * `open`: the first of them is a DATA whose 354 was read. `undefined` when it allows too many readings.
   */
  public static after(
    commands: readonly Verb[],
    head: number,
    open: boolean,
    from: number,
    to: number,
  ): SessionGap | undefined {
    const start: Reading = { cursor: head, unknown: [], open, answered: 0, sent: 0, picks: [] };
    const gap = new SessionGap([start]);
    return gap.widen(commands, from, to) ? gap : undefined;
  }

  /** The sequence numbers missing, each skip as `from–to`. */
  private readonly skips: [number, number][] = [];

  private constructor(readings: Reading[]) {
    this.readings = readings;
  }

  /** The sequence numbers missing: `10–11, 13`. */
  public get missing(): string {
    return this.skips.map(([from, to]) => (from === to ? `${from}` : `${from}–${to}`)).join(', ');
  }

  /**
   * Rows `from`–`to` missing (again): every reading is replaced by those the missing rows allow, some
   * of its waiting commands answered there, some sent there. False when that makes too many.
   */
  public widen(commands: readonly Verb[], from: number, to: number): boolean {
    const missing = to - from + 1;
    const readings: Reading[] = [];
    for (const reading of this.readings) {
      let answered = reading;
      for (let lost = 0; lost <= missing; lost++) {
        if (lost > 0) {
          const next = this.next(answered, commands.length);
          if (next === undefined) break;
          answered = consume(copy(answered), next);
          answered.open = false;
          answered.answered = reading.answered + lost;
        }
        for (let sent = 0; lost + sent <= missing; sent++) {
          const unknown =
            sent === 0 ? answered.unknown : [...answered.unknown, { at: commands.length, count: sent }];
          const widened = copy({ ...answered, unknown, sent: answered.sent + sent });
          readings.push(widened);
          // The missing rows may hold the 354 of the DATA waiting next.
          const next = this.next(widened, commands.length);
          const data = next !== undefined && (next === -1 || commands[next]?.verb === 'DATA');
          if (data && !widened.open && lost + sent < missing) readings.push({ ...copy(widened), open: true });
          if (readings.length > MAX_READINGS) return false;
        }
      }
    }
    this.readings = readings;
    this.skips.push([from, to]);
    return true;
  }

  /** The index of a reading's next command, -1 for one sent in the missing rows, `undefined` for none. */
  private next(reading: Reading, count: number): number | undefined {
    const block = reading.unknown.find((unknown) => unknown.count > 0);
    if (block !== undefined && block.at <= reading.cursor) return -1;
    return reading.cursor < count ? reading.cursor : undefined;
  }

  /**
   * Pairs one more answer under every reading and drops those it does not fit. Returns the indexes
   * of the commands it may answer (-1: one sent in the missing rows); none when no reading is left.
   */
  public answer(commands: readonly Verb[], code: string): number[] {
    const count = commands.length;
    const kept: Reading[] = [];
    const picks = new Set<number>();
    for (const reading of this.readings) {
      const index = this.next(reading, count);
      if (index === undefined) continue;
      const verb = index === -1 ? undefined : commands[index]?.verb;
      if (!fits(verb, reading.open, code, isLast(reading, index, count))) continue;
      reading.picks.push(index);
      picks.add(index);
      if (code === '354') reading.open = true;
      else {
        consume(reading, index);
        reading.open = false;
      }
      kept.push(reading);
    }
    this.readings = kept;
    this.answers++;
    return [...picks];
  }

  /** No reading fits the answers read: the missing rows were not what the session's state allows. */
  public get broken(): boolean {
    return this.readings.length === 0;
  }

  /** Where every reading left agrees the session stands, with nothing sent in the missing rows still waiting. */
  public get settled(): { cursor: number; open: boolean } | undefined {
    const [first, ...others] = this.readings;
    if (first === undefined || waitingUnknown(first) > 0) return undefined;
    const same = others.every(
      (reading) =>
        reading.cursor === first.cursor && waitingUnknown(reading) === 0 && reading.open === first.open,
    );
    return same ? { cursor: first.cursor, open: first.open } : undefined;
  }

  /** The command every reading left paired answer `i` (since the skip) with, when they agree on a known one. */
  public agreed(i: number): number | undefined {
    const [first, ...others] = this.readings;
    const index = first?.picks[i];
    if (index === undefined || index < 0) return undefined;
    return others.every((reading) => reading.picks[i] === index) ? index : undefined;
  }

  /** The commands answer `i` may have answered, under the readings left (-1: one sent in the missing rows). */
  public candidates(i: number): number[] {
    return [...new Set(this.readings.map((reading) => reading.picks[i] ?? -1))];
  }

  /** Whether the missing rows held answers or commands under some reading left (not only `*` rows). */
  public get lostRows(): boolean {
    return this.readings.some((reading) => reading.answered > 0 || reading.sent > 0);
  }
}
