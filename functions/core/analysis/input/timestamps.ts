/**
 * Timestamps → UTC ISO 8601, whatever culture the exporting PC used.
 *
 * Tracking logs and V2 traces write ISO 8601 in UTC. `Export-Csv` and `ConvertTo-Csv` write
 * `DateTime.ToString()` of the PC's culture — with or without `-UseCulture`, which only picks the
 * delimiter: en-US `11/28/2026 10:15:03 PM`, en-GB `28/11/2026 22:15:03`, en-AU `9/03/2021 10:14:21 AM`,
 * nl-NL `28-11-2026 22:15:03`, de-DE `28.11.2026 22:15:03`, fi-FI `9.3.2021 10.14.21`,
 * hu-HU `2021. 03. 09. 10:14:21`, ja-JP/zh-CN `2021/03/09 10:14:21`, ko-KR `2021-03-09 오전 10:14:21`,
 * fr-CA `2026-12-03 09 h 15 min 02 s`.
 * Values without a zone are taken as UTC *(inferred: the export does not record the PC's zone;
 * documented in the README)*, and the events built from them are marked (`timeZoneAssumed`): their
 * findings say so, and the store lets a time read with a zone win over theirs.
 *
 * Day and month order, per file:
 * - year-first dates (ISO, ja-JP, ko-KR, hu-HU, sv-SE…) and dotted dates (no culture writes
 *   `month.day.year`) need no decision;
 * - a `/` or `-` date proves its order when a part is above 12 (`28/11/2026`) or when the day is
 *   unpadded and the month zero-padded (`9/03/2021`: the en-AU `d/MM/yyyy`; no culture writes
 *   `M/dd`). The first proof holds for the file's ambiguous dates (`9/3/2021`); a date that proves
 *   the other order is still read as written, and the file gets a note that it mixes both;
 * - ambiguous dates seen before any proof are read with an assumed order — day first in a
 *   `;`-separated file (the list separator of the cultures that write the day first); else month
 *   first for dates as Excel saves en-US's in a CSV (`12/3/2026 14:05`: no seconds, which
 *   Export-Csv always writes, and a second part of one digit, which no culture that zero-pads the
 *   month writes) or while they look as en-US's Export-Csv writes them (`3/12/2026 9:15:01 AM`: an
 *   unpadded month, `AM`/`PM`); day first otherwise: 24-hour times (`3/12/2026 14:05` is en-AU's
 *   `d/MM` as much as en-US's), or 12-hour ones en-US never writes (vi-VN `03/12/2026 9:15:01 SA`,
 *   es-MX `a. m.`, en-NZ `am`, zh-SG `上午`), which say nothing of the order by themselves. When the
 *   file's dates point different ways, the strongest evidence so far decides ({@link WEIGHT}) and
 *   re-dates the events still waiting; rows already handed on keep their order, and the note says
 *   what pointed the other way. The events built from ambiguous dates are
 *   {@link TimestampParser.track tracked}: when a proof arrives, those not handed on yet are re-dated.
 *   {@link HeldBatches} keeps them back for a while for that. Events handed on with an assumed order
 *   are marked (`dateOrderAssumed`): their findings say so, and the store never lets such a date
 *   win over one read for sure. A file that ends without proof, or whose proof came too late, says
 *   so in its {@link TimestampParser.notes notes};
 * - a file read in several invocations (ingest's continuations) hands what its reads learnt on in
 *   its resume point ({@link TimestampParser.state}), so the file is read as in one pass and gets
 *   one note of each kind; a proof of the other order than the one rows already handed on were
 *   read in has the file read again from its start.
 *
 * The parser is a linear scanner over at most {@link MAX_TIMESTAMP_CHARS} characters (longer cells
 * are refused after trimming): no regular expression, each character looked at a bounded number of
 * times, whatever a cell holds.
 */
import type { DateOrderBasis, DateOrderState, DayOrder, SourceNote } from '../model/source-record.js';

export type { DayOrder } from '../model/source-record.js';

/** The longest (trimmed) cell read as a timestamp: `2026-11-28T22:15:03.1234567+01:00` is 33. */
export const MAX_TIMESTAMP_CHARS = 64;

/** What the file tells about its culture besides its dates. */
export interface TimestampHints {
  /** The file's delimiter; `;` is the list separator of cultures that write the day first. */
  delimiter?: string;
}

/** The re-export that settles the question: ISO 8601 in UTC, whatever the culture. */
export const UNAMBIGUOUS_EXPORT =
  "export ISO 8601 UTC by adding @{n='Timestamp';e={$_.Timestamp.ToUniversalTime().ToString('o')}} " +
  'to the Select-Object before Export-Csv (with * -ExcludeProperty Timestamp when you also select *); ' +
  '-UseCulture only changes the delimiter, never the dates';

/** AM/PM designators, lower-cased without dots or spaces (`a. m.` → `am`). */
const MERIDIEMS: ReadonlyMap<string, 'am' | 'pm'> = new Map([
  ['am', 'am'],
  ['pm', 'pm'],
  ['오전', 'am'], // ko-KR
  ['오후', 'pm'],
  ['午前', 'am'], // ja-JP (12-hour)
  ['午後', 'pm'],
  ['上午', 'am'], // zh-TW, zh-HK
  ['下午', 'pm'],
  ['πμ', 'am'], // el-GR
  ['μμ', 'pm'],
  ['sa', 'am'], // vi-VN
  ['ch', 'pm'],
  ['fm', 'am'], // sv, nb, da
  ['em', 'pm'],
  ['ص', 'am'], // Arabic, Gregorian calendar
  ['م', 'pm'],
  ['पूर्वाह्न', 'am'], // hi-IN (Windows), ne-NP
  ['अपराह्न', 'pm'],
  ['pg', 'am'], // ms-MY, ms-BN
  ['ptg', 'pm'],
  ['vm', 'am'], // af-ZA `vm.` / `nm.`
  ['nm', 'pm'],
  ['pd', 'am'], // sq-AL `PD` / `MD` (Windows), `p.d.` / `m.d.` (ICU)
  ['md', 'pm'],
  ['قظ', 'am'], // fa-IR `ق.ظ` / `ب.ظ` (Gregorian dates only: Persian years are out of range)
  ['بظ', 'pm'],
  ['öö', 'am'], // tr-TR `ÖÖ` / `ÖS`
  ['ös', 'pm'],
  ['vorm', 'am'], // de `vorm.` / `nachm.` (CLDR before v32: ICU, Java)
  ['nachm', 'pm'],
]);

const MIN_YEAR = 1900;
const MAX_YEAR = 2199;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 0xa0 || code === 0x2009 || code === 0x202f || code === 0x3000;
}

/** `+ - : /` */
const WORD_ENDS = [43, 45, 58, 47];

/** Characters that end a designator word: digits and the punctuation of dates, times and zones. */
function endsWord(code: number): boolean {
  return isDigit(code) || WORD_ENDS.includes(code);
}

/** A cursor over one trimmed cell; every method moves forward only. */
class Scanner {
  public at = 0;
  public constructor(private readonly text: string) {}

  public get done(): boolean {
    return this.at >= this.text.length;
  }

  public peek(): number {
    return this.text.charCodeAt(this.at);
  }

  public accept(char: string): boolean {
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }

  public spaces(): number {
    const start = this.at;
    while (isSpace(this.peek())) this.at++;
    return this.at - start;
  }

  /** How many digits the last {@link digits} call read. */
  public count = 0;

  /** The designator the last {@link meridiem} call consumed, as written (`AM`, `a. m.`, `SA`). */
  public designator = '';

  /** The value of 1..max digits, or -1 (when there are none or more than max). */
  public digits(max: number): number {
    let value = 0;
    const start = this.at;
    for (let code = this.peek(); isDigit(code); code = this.peek()) {
      value = value * 10 + code - 48;
      this.at++;
    }
    this.count = this.at - start;
    return this.count === 0 || this.count > max ? -1 : value;
  }

  /** Exactly two digits, or -1. */
  public twoDigits(): number {
    const value = this.digits(2);
    return this.count === 2 ? value : -1;
  }

  /** An AM/PM designator (`PM`, `a. m.`, `오후`) at the cursor, consumed; `undefined` (nothing consumed) otherwise. */
  public meridiem(): 'am' | 'pm' | undefined {
    let end = this.at;
    let word = '';
    for (let index = this.at; index < this.text.length; index++) {
      const code = this.text.charCodeAt(index);
      if (endsWord(code)) break;
      if (isSpace(code)) continue;
      end = index + 1;
      if (code !== 46 /* . */) word += this.text[index];
    }
    const meridiem = MERIDIEMS.get(word.toLowerCase());
    if (meridiem !== undefined) {
      this.designator = this.text.slice(this.at, end);
      this.at = end;
    }
    return meridiem;
  }

  /**
   * A unit word and the spaces around it (fr-CA `09 h 15 min 02 s`), consumed; false (nothing
   * consumed) otherwise.
   */
  public unit(name: string): boolean {
    let index = this.at;
    while (isSpace(this.text.charCodeAt(index))) index++;
    if (!this.text.startsWith(name, index)) return false;
    this.at = index + name.length;
    this.spaces();
    return true;
  }
}

/** A cell read as a date and time, before the day/month order is applied. */
interface Scanned {
  /** `2021-03-09`, `2021/3/9`, `2021. 03. 09.`: year, month, day. */
  yearFirst: boolean;
  separator: string;
  /** The three date parts, and how many digits each was written with. */
  a: number;
  b: number;
  c: number;
  aDigits: number;
  bDigits: number;
  hour: number;
  minute: number;
  second: number;
  /** False for a time written without seconds (`14:05`), as Excel saves date-times in a CSV. */
  hasSeconds: boolean;
  millis: number;
  meridiem: 'am' | 'pm' | undefined;
  /** The AM/PM designator as written (`AM`, `a. m.`), `''` without one. */
  designator: string;
  /** Minutes east of UTC, when the value has a zone (`Z`: 0). */
  offset: number | undefined;
}

/** Reads `<date> <time>` in any of the shapes above, or returns `undefined`. Linear in the text. */
function scan(text: string): Scanned | undefined {
  const s = new Scanner(text);
  const a = s.digits(4);
  const aDigits = s.count;
  if (a < 0) return undefined;
  const separator = text[s.at];
  if (separator !== '-' && separator !== '/' && separator !== '.') return undefined;
  s.at++;
  if (separator === '.') s.spaces(); // hu-HU `2021. 03. 09.`, cs-CZ `9. 3. 2021`
  const b = s.digits(2);
  const bDigits = s.count;
  if (b < 0 || !s.accept(separator)) return undefined;
  if (separator === '.') s.spaces();
  const c = s.digits(4);
  if (c < 0) return undefined;
  const yearFirst = aDigits === 4;
  if (yearFirst ? s.count > 2 : aDigits > 2 || s.count !== 4) return undefined;
  if (separator === '.') s.accept('.'); // hu-HU `09.`, hr-HR and lv-LV `2021.`

  // Date and time: `T`, spaces, or a comma and spaces.
  if (!s.accept('T') && !s.accept('t') && !s.accept(',') && s.spaces() === 0) return undefined;
  s.spaces();
  let meridiem = isDigit(s.peek()) ? undefined : s.meridiem(); // ko-KR `오전 10:14:21`
  if (meridiem !== undefined) s.spaces();

  const hour = s.digits(2);
  if (hour < 0) return undefined;
  let minute: number;
  let second = 0;
  let hasSeconds = false;
  let millis = 0;
  if (s.unit('h')) {
    // fr-CA `HH 'h' mm 'min' ss 's'`: `09 h 15 min 02 s`
    minute = s.twoDigits();
    if (minute < 0) return undefined;
    if (s.unit('min')) {
      second = s.twoDigits();
      if (second < 0 || !s.unit('s')) return undefined;
      hasSeconds = true;
    }
  } else {
    const timeSeparator = text[s.at];
    if (timeSeparator !== ':' && timeSeparator !== '.') return undefined; // fi-FI `10.14.21`
    s.at++;
    minute = s.twoDigits();
    if (minute < 0) return undefined;
    if (s.accept(timeSeparator)) {
      second = s.twoDigits();
      if (second < 0) return undefined;
      hasSeconds = true;
      if (timeSeparator === ':' && (s.accept('.') || s.accept(','))) {
        const fraction = s.digits(7);
        if (fraction < 0) return undefined;
        millis = s.count > 3 ? Math.floor(fraction / 10 ** (s.count - 3)) : fraction * 10 ** (3 - s.count);
      }
    }
  }
  s.spaces();
  if (meridiem === undefined) {
    meridiem = s.meridiem();
    if (meridiem !== undefined) s.spaces();
  }

  let offset: number | undefined;
  if (s.accept('Z') || s.accept('z')) {
    offset = 0;
  } else if (s.peek() === 43 || s.peek() === 45) {
    const sign = s.peek() === 45 ? -1 : 1;
    s.at++;
    let hhmm = s.digits(4);
    if (s.count === 2 && s.accept(':')) {
      const minutes = s.twoDigits();
      hhmm = minutes < 0 ? -1 : hhmm * 100 + minutes;
    } else if (s.count !== 4) {
      hhmm = -1;
    }
    if (hhmm < 0) return undefined;
    offset = sign * (Math.floor(hhmm / 100) * 60 + (hhmm % 100));
  }
  s.spaces();
  if (!s.done) return undefined;
  return {
    yearFirst,
    separator,
    a,
    b,
    c,
    aDigits,
    bDigits,
    hour,
    minute,
    second,
    hasSeconds,
    millis,
    meridiem,
    designator: s.designator,
    offset,
  };
}

function build(year: number, month: number, day: number, scanned: Scanned): string | undefined {
  let hour = scanned.hour;
  if (scanned.meridiem !== undefined) {
    if (hour > 12) return undefined;
    hour = (hour % 12) + (scanned.meridiem === 'pm' ? 12 : 0);
  }
  const { minute, second, millis, offset } = scanned;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return undefined;
  let epoch = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (new Date(epoch).getUTCDate() !== day) return undefined; // 31 November and friends
  if (offset !== undefined) epoch -= offset * 60_000;
  return new Date(epoch).toISOString();
}

const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

function twoDigits(value: string, at: number): number {
  return (value.charCodeAt(at) - 48) * 10 + (value.charCodeAt(at + 1) - 48);
}

/** `YYYY-MM-DDTHH:mm:ss.fffZ` with plausible ranges — checked by hand: this runs on every row. */
function isCanonicalUtc(value: string): boolean {
  if (value.length !== 24) return false;
  if (value[4] !== '-' || value[7] !== '-' || value[10] !== 'T' || value[13] !== ':' || value[16] !== ':')
    return false;
  if (value[19] !== '.' || value[23] !== 'Z') return false;
  for (const position of DIGIT_POSITIONS) {
    const code = value.charCodeAt(position);
    if (code < 48 || code > 57) return false;
  }
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    twoDigits(value, 11) < 24 &&
    twoDigits(value, 14) < 60 &&
    twoDigits(value, 17) < 61
  );
}

/** The order a `/` or `-` date proves by itself, if any. */
function provenOrder(scanned: Scanned): DayOrder | undefined {
  if (scanned.a > 12) return 'day-first';
  if (scanned.b > 12) return 'month-first';
  // en-AU/en-NZ `d/MM/yyyy`: an unpadded part next to a zero-padded one is the day.
  if (scanned.aDigits === 1 && scanned.bDigits === 2 && scanned.b < 10) return 'day-first';
  return undefined;
}

/**
 * What in a 12-hour value en-US's `M/d/yyyy h:mm:ss tt` never writes, in words (`the designator
 * "SA"`, `the zero-padded "03/"`); `undefined` for a value written that way, and for a 24-hour one.
 * Other 12-hour cultures write `AM`/`PM` too (en-AU `d/MM/yyyy`, en-MY `d/M/yyyy`), so a value en-US
 * could have written points to en-US, no more.
 */
function unlikeEnUs(scanned: Scanned): string | undefined {
  const { meridiem, designator, a, aDigits, separator } = scanned;
  if (meridiem === undefined) return undefined;
  if (designator !== 'AM' && designator !== 'PM') return `the designator "${designator}"`;
  if (aDigits === 2 && a < 10) return `the zero-padded "0${a}${separator}"`;
  return undefined;
}

/**
 * True for a date-time as Excel writes en-US's when it saves a sheet as CSV, `m/d/yyyy h:mm`
 * (`12/3/2026 14:05`): no seconds, which PowerShell's Export-Csv always writes, and a second part of
 * one digit, which the cultures that zero-pad the month (en-GB `dd/MM/yyyy`, en-AU `d/MM/yyyy`)
 * never write. Such a date is M/d (en-US, by far the most common) or d/M (zh-HK, en-SG, en-MY, whose
 * list separator is a comma too; el-GR and id-ID separate with `;`, which settles the order first).
 * `3/12/2026 14:05` is not enough: en-AU writes it too.
 */
function savedByExcelEnUs(scanned: Scanned): boolean {
  const { separator, hasSeconds, meridiem, a, aDigits, bDigits } = scanned;
  const paddedMonth = aDigits === 2 && a < 10; // `03/4/2026`: not en-US's
  return separator === '/' && !hasSeconds && meridiem === undefined && bDigits === 1 && !paddedMonth;
}

/**
 * Why a file's ambiguous dates are read in the order they are (the names are those stored in resume
 * points): `spreadsheet` for a date-time as Excel saves en-US's; `meridiem` while the dates look as
 * en-US's Export-Csv writes them; `24-hour` for any other time, 24-hour or 12-hour as en-US never
 * writes it — which tells nothing of the order, and most cultures that write such times put the day
 * first (es-PA and es-PR write `MM/dd/yyyy h:mm:ss a. m.`).
 */
function basisOf(scanned: Scanned): DateOrderBasis {
  if (scanned.meridiem !== undefined) return unlikeEnUs(scanned) === undefined ? 'meridiem' : '24-hour';
  return savedByExcelEnUs(scanned) ? 'spreadsheet' : '24-hour';
}

/** The order assumed for ambiguous dates on each basis. */
const ASSUMED_ORDER: Readonly<Record<DateOrderBasis, DayOrder>> = {
  semicolons: 'day-first',
  meridiem: 'month-first',
  '24-hour': 'day-first',
  spreadsheet: 'month-first',
};

/**
 * How strongly each basis points to its order, for a file whose dates point different ways: the
 * strongest so far decides. `AM`/`PM` is written by cultures that put the day first too (en-AU,
 * en-MY); a time en-US's Export-Csv never writes points away from it; Excel's `m/d/yyyy h:mm` leaves
 * en-US and a few rarer d/M cultures. The delimiter holds for the whole file.
 */
const WEIGHT: Readonly<Record<DateOrderBasis, number>> = {
  meridiem: 0,
  '24-hour': 1,
  spreadsheet: 2,
  semicolons: 3,
};

/**
 * Why ambiguous dates were read in the order of their basis, in words, told from the note's example.
 * Short: the note is cut at 500 characters, and the re-export it ends with must stay in.
 */
function because(basis: DateOrderBasis, example: string): string {
  if (basis === 'semicolons') {
    return 'the file is ;-separated, the list separator of the cultures that write the day first';
  }
  if (basis === 'meridiem') return 'the times carry AM/PM, as en-US writes them';
  if (basis === 'spreadsheet') {
    return 'Excel saves en-US dates so in a CSV (m/d/yyyy h:mm: no seconds, an unpadded day)';
  }
  const scanned = scan(example);
  const unlike = scanned === undefined ? undefined : unlikeEnUs(scanned);
  if (unlike === undefined) {
    return 'the times are 24-hour, as written by the cultures that put the day first (en-GB, fr-FR, …)';
  }
  return `${unlike} is not en-US's, and most other cultures put the day first`;
}

/** The codes of the notes {@link TimestampParser.notes} gives: one of each per file. */
export const DATE_ORDER_NOTE_CODES: ReadonlySet<string> = new Set([
  'DATE_ORDER_ASSUMED',
  'DATE_ORDER_LATE',
  'DATE_ORDER_MIXED',
]);

/**
 * How far an unambiguous time of the same event may be from a culture date's reading
 * ({@link TimestampParser.settleBy}): the exporting PC's zone (up to 14 hours) and an SMTP session
 * that began before the event, well within two days.
 */
const SAME_EVENT_MS = 2 * 86_400_000;

/** A date that proved an order, for notes. */
interface Proof {
  order: DayOrder;
  line: number | undefined;
  value: string;
}

/** Rows (by line) whose dates were read with an assumed order. */
interface Rows {
  order: DayOrder;
  rows: number;
  firstLine: number | undefined;
  lastLine: number | undefined;
}

function addRow(rows: Rows | undefined, order: DayOrder, line: number | undefined): Rows {
  if (rows === undefined) return { order, rows: 1, firstLine: line, lastLine: line };
  rows.rows++;
  rows.firstLine ??= line;
  if (line !== undefined) rows.lastLine = line;
  return rows;
}

/** `later` (rows after those of `rows`) added to `rows`. */
function addRows(rows: Rows | undefined, later: Rows): Rows {
  if (rows === undefined) return { ...later };
  rows.rows += later.rows;
  rows.firstLine ??= later.firstLine;
  rows.lastLine = later.lastLine ?? rows.lastLine;
  return rows;
}

// What a resume point carries (model/source-record.ts) has no `undefined` members: absent instead.

function proofOf(stored: DateOrderState['proof']): Proof | undefined {
  return stored === undefined ? undefined : { order: stored.order, line: stored.line, value: stored.value };
}

function storedProof(proof: Proof): NonNullable<DateOrderState['proof']> {
  const { order, line, value } = proof;
  return line === undefined ? { order, value } : { order, line, value };
}

function rowsOf(stored: DateOrderState['released']): Rows | undefined {
  if (stored === undefined) return undefined;
  const { order, rows, firstLine, lastLine } = stored;
  return { order, rows, firstLine, lastLine };
}

function storedRows(rows: Rows): NonNullable<DateOrderState['released']> {
  const { order, firstLine, lastLine } = rows;
  return {
    order,
    rows: rows.rows,
    ...(firstLine === undefined ? {} : { firstLine }),
    ...(lastLine === undefined ? {} : { lastLine }),
  };
}

function linesText(range: Rows): string {
  const { firstLine, lastLine } = range;
  if (firstLine === undefined || lastLine === undefined) return '';
  return firstLine === lastLine ? ` (line ${firstLine})` : ` (lines ${firstLine}–${lastLine})`;
}

function lineText(value: { line: number | undefined }): string {
  return value.line === undefined ? '' : ` on line ${value.line}`;
}

function datesText(rows: number): string {
  return rows === 1 ? '1 date' : `${rows} dates`;
}

/**
 * What {@link TimestampParser.track} needs of an event: its timestamp (re-dated in place) and row,
 * and the marks it gets when it is handed on dated with an assumed order, or with a time that had
 * no zone (its finding says so).
 */
export interface TrackedEvent {
  timestamp: string;
  line: number;
  dateOrderAssumed?: true | undefined;
  timeZoneAssumed?: true | undefined;
}

/** A read that goes on where earlier ones stopped (ingest's continuations). */
export interface ResumedDates {
  /** What the earlier reads learnt of the dates (their resume point's `dates`). */
  state: DateOrderState | undefined;
  /** Rows before this line were read by the earlier reads: read again, their dates are not counted again. */
  countFrom: number;
}

/**
 * Parses timestamps of one file: create one per file (and per read of it). Stateful in the
 * day/month order it has learnt and in the events whose dates still wait for that order.
 *
 * A file read in several invocations (ingest's continuations) hands {@link state} on in its resume
 * point, so that the next read knows the proof or the assumption so far. Rows an earlier invocation
 * handed on were written as findings: when a proof shows that their order was wrong, this read
 * cannot re-date them, so it asks for the file to be {@link mustReread read again} from its start.
 */
export class TimestampParser {
  private readonly hint: DateOrderBasis | undefined;
  private readonly countFrom: number;
  private proof: Proof | undefined;
  private conflict: Proof | undefined;
  /** The last parse, when it assumed an order: the value it returned and the other reading. */
  private provisional: { iso: string; alternative: string; order: DayOrder } | undefined;
  /** Every ambiguous date read with an assumed order (before any proof), with why and an example. */
  private assumed: (Rows & { basis: DateOrderBasis; example: string }) | undefined;
  /** Events dated with an assumed order and not handed on yet (see {@link track}), and their rows. */
  private pending: { event: TrackedEvent; alternative: string; order: DayOrder }[] = [];
  private pendingRows: Rows | undefined;
  /** Rows whose events were handed on, dated with an assumed order, before any proof. */
  private releasedRows: Rows | undefined;
  /**
   * The first date that pointed to the other order more strongly after rows were handed on, for the
   * note (not in resume points: a later invocation tells it only if it reads that row again).
   */
  private outweighed: { basis: DateOrderBasis; value: string; line: number | undefined } | undefined;
  /** The order of the rows earlier reads of the file handed on with an assumed order, if any. */
  private readonly releasedEarlier: DayOrder | undefined;
  private reread = false;
  /** True when the last value parsed had no zone (taken as UTC). */
  private zoneless = false;
  /** False when the last value parsed had no seconds (`28.11.2026 22:15`: saved again by Excel). */
  private seconds = true;

  public constructor(hints: TimestampHints = {}, resumed?: ResumedDates) {
    if (hints.delimiter === ';') this.hint = 'semicolons';
    this.countFrom = resumed?.countFrom ?? 0;
    const state = resumed?.state;
    if (state === undefined) return;
    this.proof = proofOf(state.proof);
    this.conflict = proofOf(state.conflict);
    const assumed = rowsOf(state.assumed);
    if (assumed !== undefined && state.assumed !== undefined) {
      this.assumed = { ...assumed, basis: state.assumed.basis, example: state.assumed.example };
    }
    this.releasedRows = rowsOf(state.released);
    this.releasedEarlier = state.released?.order;
  }

  /** Whether the value just parsed had seconds (a date-time Excel saved again has none). */
  public get hadSeconds(): boolean {
    return this.seconds;
  }

  /** The learnt order, if any value has proved it. */
  public get learntOrder(): DayOrder | undefined {
    return this.proof?.order;
  }

  /** True while events dated with an assumed order wait to be handed on. */
  public get waiting(): boolean {
    return this.pending.length > 0;
  }

  /**
   * True once a proof showed that rows an earlier read handed on were dated in the wrong order: this
   * read should stop, and the next start the file over with {@link state} (which then says so).
   */
  public get mustReread(): boolean {
    return this.reread;
  }

  /**
   * Returns the UTC ISO string, or `undefined` when the value is not a timestamp we understand.
   * `line` (of the row) is only used in {@link notes}.
   */
  public parse(raw: string, line?: number): string | undefined {
    this.provisional = undefined;
    this.zoneless = false;
    this.seconds = true;
    const value = raw.trim();
    if (value.length > MAX_TIMESTAMP_CHARS) return undefined;
    // Fast path: tracking logs already write `2026-11-28T22:15:03.123Z`.
    if (isCanonicalUtc(value)) return value;
    const scanned = scan(value);
    if (scanned === undefined) return undefined;
    this.zoneless = scanned.offset === undefined;
    this.seconds = scanned.hasSeconds;
    const { a, b, c } = scanned;
    if (scanned.yearFirst) {
      // ISO keeps any year; elsewhere a Buddhist (2564) or Persian (1400) year is not read as ours.
      if (scanned.separator !== '-' && (a < MIN_YEAR || a > MAX_YEAR)) return undefined;
      return build(a, b, c, scanned);
    }
    if (c < MIN_YEAR || c > MAX_YEAR) return undefined;
    if (scanned.separator === '.' || a === b) return build(c, b, a, scanned);
    const proven = provenOrder(scanned);
    if (proven !== undefined) {
      const iso = proven === 'day-first' ? build(c, b, a, scanned) : build(c, a, b, scanned);
      if (iso !== undefined) this.learn({ order: proven, line, value });
      return iso;
    }
    const dayFirst = build(c, b, a, scanned);
    const monthFirst = build(c, a, b, scanned);
    if (this.proof !== undefined) return this.proof.order === 'day-first' ? dayFirst : monthFirst;

    const basis = this.basisFor(scanned, value, line);
    const order = ASSUMED_ORDER[basis];
    const iso = order === 'day-first' ? dayFirst : monthFirst;
    const alternative = order === 'day-first' ? monthFirst : dayFirst;
    if (iso === undefined || alternative === undefined) return iso;
    this.provisional = { iso, alternative, order };
    // A row an earlier read counted is read again (as evidence only): its date is counted once.
    if (this.counts(line)) {
      this.assumed = Object.assign(addRow(this.assumed, order, line), {
        basis: this.assumed?.basis ?? basis,
        example: this.assumed?.example ?? value,
      });
    }
    return iso;
  }

  /** True when the value just parsed was read with an assumed day/month order (see {@link settleBy}). */
  public get orderAssumed(): boolean {
    return this.provisional !== undefined;
  }

  /**
   * Settles the file's day/month order by `iso`, an unambiguous time (ISO 8601 with its zone) of the
   * event whose value was just parsed — a tracking row's `SourceContext` names its SMTP session's
   * start so (`08DFE22526BF27A1;2021-03-09T10:14:21.829Z;0`) — when that value's order was assumed
   * and exactly one of its two readings lies within {@link SAME_EVENT_MS} of `iso`: the two readings
   * of a date whose day and month differ are four weeks or more apart. It is then a proof like a
   * day above 12. Returns the value's time in the settled order; `undefined` when nothing settled.
   */
  public settleBy(iso: string, line?: number): string | undefined {
    const provisional = this.provisional;
    if (provisional === undefined || this.proof !== undefined) return undefined;
    const at = Date.parse(iso);
    if (Number.isNaN(at)) return undefined;
    const near = (time: string) => Math.abs(Date.parse(time) - at) <= SAME_EVENT_MS;
    const assumedNear = near(provisional.iso);
    if (assumedNear === near(provisional.alternative)) return undefined;
    const other: DayOrder = provisional.order === 'day-first' ? 'month-first' : 'day-first';
    // Not tracked as assumed: the event built from the value is dated for sure.
    this.provisional = undefined;
    this.learn({ order: assumedNear ? provisional.order : other, line, value: iso });
    return assumedNear ? provisional.iso : provisional.alternative;
  }

  /**
   * Called with each event built from the value just parsed. When that value had no zone, the event
   * is marked so. When its order was assumed, the event is remembered so a later proof can re-date
   * it, until it is {@link release}d.
   */
  public track(event: TrackedEvent): void {
    if (this.zoneless) event.timeZoneAssumed = true;
    const provisional = this.provisional;
    if (provisional === undefined || event.timestamp !== provisional.iso) return;
    // One row may give several events (one per recipient); count the row once.
    const last = this.pending.at(-1)?.event;
    if ((last === undefined || last.line !== event.line) && this.counts(event.line)) {
      this.pendingRows = addRow(this.pendingRows, provisional.order, event.line);
    }
    this.pending.push({ event, alternative: provisional.alternative, order: provisional.order });
  }

  /**
   * The tracked events are handed on as they are, marked as dated with an assumed order: a later
   * proof can no longer re-date them.
   */
  public release(): void {
    for (const { event } of this.pending) event.dateOrderAssumed = true;
    const rows = this.pendingRows;
    this.pending = [];
    this.pendingRows = undefined;
    if (rows !== undefined) this.releasedRows = addRows(this.releasedRows, rows);
  }

  /**
   * What this read and those it resumes learnt of the file's dates, for the next read of a file
   * stopped mid-way (once {@link release}d); `undefined` when there is nothing to hand on. A file to
   * be read again hands on only the proof: the new read counts everything again.
   */
  public state(): DateOrderState | undefined {
    const { proof, conflict, assumed, releasedRows } = this;
    if (this.reread && proof !== undefined) return { proof: storedProof(proof), reread: true };
    const state: DateOrderState = {};
    if (proof !== undefined) state.proof = storedProof(proof);
    if (conflict !== undefined) state.conflict = storedProof(conflict);
    if (assumed !== undefined) {
      state.assumed = { ...storedRows(assumed), basis: assumed.basis, example: assumed.example };
    }
    if (releasedRows !== undefined) state.released = storedRows(releasedRows);
    return Object.keys(state).length === 0 ? undefined : state;
  }

  /** What the reader should know about the file's dates, once it has been read and released. */
  public notes(): SourceNote[] {
    const notes: SourceNote[] = [];
    const { assumed, releasedRows, proof, conflict } = this;
    if (proof === undefined && assumed !== undefined) {
      notes.push({
        code: 'DATE_ORDER_ASSUMED',
        message:
          `${datesText(assumed.rows)}${linesText(assumed)} could be day-first or month-first (e.g. "${assumed.example}") ` +
          "and no date in the file settles it (a day above 12, or 9/03/2021's zero-padded month): " +
          `they were read ${assumed.order} because ${because(assumed.basis, assumed.example)}. ` +
          `${this.ifSwapped(assumed)} To be sure, ${UNAMBIGUOUS_EXPORT}.`,
      });
    }
    if (proof !== undefined && releasedRows !== undefined && releasedRows.order !== proof.order) {
      notes.push({
        code: 'DATE_ORDER_LATE',
        message:
          `"${proof.value}"${lineText(proof)} shows the file writes dates ${proof.order}, but the dates of ` +
          `${releasedRows.rows === 1 ? '1 row' : `${releasedRows.rows} rows`}${linesText(releasedRows)} had been read ` +
          `${releasedRows.order} and analysed before it (too many rows came first to wait for it): their day and ` +
          `month are swapped. To be sure, ${UNAMBIGUOUS_EXPORT}.`,
      });
    }
    if (proof !== undefined && conflict !== undefined) {
      notes.push({
        code: 'DATE_ORDER_MIXED',
        message:
          `The file writes dates in both orders: "${proof.value}"${lineText(proof)} is ${proof.order}, ` +
          `"${conflict.value}"${lineText(conflict)} ${conflict.order} — it joins exports from PCs with different ` +
          `cultures. Dates that prove their order are read as written, ambiguous ones ${proof.order}. ` +
          `Export each file separately, or ${UNAMBIGUOUS_EXPORT}.`,
      });
    }
    return notes;
  }

  /**
   * The basis of the file's ambiguous dates: a `;` delimiter settles it, else the strongest basis its
   * dates gave so far ({@link WEIGHT}). A stronger one (`03/12/2026 9:15:01 SA` after en-US-looking
   * dates, `12/3/2026 14:05` after `3/12/2026 14:05`) re-dates the events waiting in the other order,
   * unless dates were handed on in that order already: then the file keeps it, so that it is read one
   * way, and its note says what pointed the other way.
   */
  private basisFor(scanned: Scanned, value: string, line: number | undefined): DateOrderBasis {
    if (this.hint !== undefined) return this.hint;
    const basis = basisOf(scanned);
    const assumed = this.assumed;
    if (assumed === undefined) return basis;
    if (WEIGHT[basis] <= WEIGHT[assumed.basis]) return assumed.basis;
    const order = ASSUMED_ORDER[basis];
    if (order !== assumed.order && this.releasedRows !== undefined) {
      this.outweighed ??= { basis, value, line };
      return assumed.basis;
    }
    for (const entry of this.pending) {
      if (entry.order === order) continue;
      const { timestamp } = entry.event;
      entry.event.timestamp = entry.alternative;
      entry.alternative = timestamp;
      entry.order = order;
    }
    if (this.pendingRows !== undefined) this.pendingRows.order = order;
    this.assumed = { ...assumed, order, basis, example: value };
    return basis;
  }

  /**
   * What points to the other order, in words: the cultures that write it, or the date that pointed to
   * it more strongly once dates had been handed on. Short, as {@link because}.
   */
  private ifSwapped(assumed: { basis: DateOrderBasis; order: DayOrder }): string {
    const { outweighed } = this;
    if (outweighed !== undefined) {
      const order = ASSUMED_ORDER[outweighed.basis];
      return `"${outweighed.value}"${lineText(outweighed)} points ${order}, but came after some were analysed.`;
    }
    const otherCultures =
      assumed.basis === 'spreadsheet'
        ? 'the day first (zh-HK, en-SG, …)'
        : assumed.order === 'month-first'
          ? 'the day first (en-GB, en-AU, …)'
          : 'the month first (en-US, …)';
    return `If the exporting PC writes ${otherCultures}, day and month are swapped.`;
  }

  /** True when the row on `line` is counted by this read (not one an earlier read counted). */
  private counts(line: number | undefined): boolean {
    return line === undefined || line >= this.countFrom;
  }

  private learn(proof: Proof): void {
    if (this.proof === undefined) {
      this.proof = proof;
      // Events dated with the other order and not handed on yet are re-dated now.
      for (const entry of this.pending) {
        if (entry.order !== proof.order) entry.event.timestamp = entry.alternative;
      }
      this.pending = [];
      this.pendingRows = undefined;
      // Those an earlier invocation handed on are written: only a read from the start re-dates them.
      if (this.releasedEarlier !== undefined && this.releasedEarlier !== proof.order) this.reread = true;
    } else if (proof.order !== this.proof.order) {
      this.conflict ??= proof;
    }
  }
}

/**
 * How much may wait for a proof of a file's day/month order: events (what the wait holds in
 * memory) and rows (however few of them became events, the wait ends: memory for the skipped rows,
 * progress for the reader).
 */
export const HOLD_LIMITS = { events: 20_000, rows: 200_000 };

/**
 * Holds a file's batches back while events in them are dated with an assumed day/month order, so a
 * proof later in the file can re-date them before anyone sees them; past {@link HOLD_LIMITS} they
 * are handed on as dated (and the file's notes say so if a proof comes later).
 */
export class HeldBatches<B extends { events: readonly unknown[]; rowsRead: number; notes?: SourceNote[] }> {
  private held: B[] = [];
  private heldEvents = 0;
  private heldRows = 0;

  public constructor(
    private readonly dates: TimestampParser,
    private readonly limits: { events: number; rows: number } = HOLD_LIMITS,
  ) {}

  /** True while batches are held. */
  public get holding(): boolean {
    return this.held.length > 0;
  }

  /**
   * Takes the next batch; returns the batches to hand on now, in order. The `last` batch of the file
   * releases everything and carries the file's notes.
   */
  public take(batch: B, last: boolean): B[] {
    this.held.push(batch);
    this.heldEvents += batch.events.length;
    this.heldRows += batch.rowsRead;
    const full = this.heldEvents >= this.limits.events || this.heldRows >= this.limits.rows;
    if (!last && !full && this.dates.waiting) return [];
    this.dates.release();
    if (last) {
      const notes = this.dates.notes();
      if (notes.length > 0) batch.notes = notes;
    }
    const ready = this.held;
    this.held = [];
    this.heldEvents = 0;
    this.heldRows = 0;
    return ready;
  }
}

/** `YYYY-MM-DD` of an ISO timestamp. */
export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}
