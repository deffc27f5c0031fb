/**
 * Syslog line prefixes (docs/domain.md "MTA logs"): the date, host and program before an MTA's own
 * text, in the shapes real files take:
 * - traditional syslog, no year and no zone: `Nov 28 22:15:03 relay1 postfix/smtp[4711]: …`
 *   (also journalctl `-o short`, and `-o short-precise` with `.123456` after the seconds);
 * - ISO 8601 with a zone: rsyslog's high-precision `2026-11-28T22:15:03.123456+01:00 relay1 …`,
 *   journalctl `-o short-iso` `2026-11-28T22:15:03+0100 relay1 …`;
 * - an optional `<PRI>` in front, as files written by a syslog receiver may keep.
 *
 * Traditional dates get their year from `--year`, else from the file's modification time (a date
 * after it belongs to the year before: the log began last year), else from the current year, and
 * the file's notes say which. Their time of day is local to the host, which the line does not say:
 * it is taken as UTC, as for culture dates of exports.
 */
import type { SourceNote } from '../model/source-record.js';
import type { TextContext } from './text-format.js';

export interface SyslogLine {
  /** UTC ISO 8601 with milliseconds. */
  timestamp: string;
  host: string;
  /** The tag before `[pid]:`, e.g. `postfix/smtp`, `sm-mta`, `exim`. */
  program: string;
  /** The program's text after `: `. */
  message: string;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const TRADITIONAL =
  /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? (\S+) (.*)$/;
const ISO =
  /^(?:<\d{1,3}>)?(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2}) (\S+) (.*)$/;
/** `program[pid]: text` or `program: text`. */
const TAG = /^([^\s[\]:]{1,128})(?:\[(\d{1,10})\])?: ?(.*)$/;

/** `-- Logs begin at … --`, `-- Boot 1a2b… --`, `-- No entries --`: journalctl's own lines. */
export function isJournalMarker(text: string): boolean {
  return text.startsWith('-- ') && text.endsWith(' --');
}

/** Milliseconds of a fraction written with 1–9 digits. */
function millis(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
}

/** `Date.UTC` of the parts when they form a real date and time, else `undefined`. */
export function utcOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return undefined;
  const time = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59), ms);
  // 31 November rolls over into December: not a date.
  return new Date(time).getUTCDate() === day ? time : undefined;
}

/** {@link utcOf} of the digits a regular expression matched; `fraction` is 1–9 digits of a second. */
export function utcOfDigits(
  [year, month, day, hour, minute, second]: readonly (string | undefined)[],
  fraction: string | undefined,
): number | undefined {
  return utcOf(
    Number(year),
    Number(month),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    millis(fraction),
  );
}

/** Minutes east of UTC of `Z`, `+01:00` or `+0100`. */
export function zoneMinutes(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

/**
 * Reads syslog prefixes of one file and knows which year their dates were given. Create one per file.
 */
export class SyslogDates {
  private readonly basis: 'option' | 'modified' | 'now';
  private readonly reference: Date;
  /** With `--year`: the year of the previous traditional date and its month (a log crossing New Year). */
  private year: number;
  private previousMonth = 0;
  private traditional = 0;
  private movedBack = 0;
  private movedOn = 0;

  public constructor(context: Pick<TextContext, 'year' | 'modified' | 'now'>) {
    if (context.year !== undefined) {
      this.basis = 'option';
      this.reference = context.now;
      this.year = context.year;
    } else {
      this.basis = context.modified === undefined ? 'now' : 'modified';
      this.reference = context.modified ?? context.now;
      this.year = this.reference.getUTCFullYear();
    }
  }

  /**
   * The line's prefix: `undefined` when the line is not a syslog line, `'bad-date'` when it is one
   * whose date is not a real date.
   */
  public parse(text: string): SyslogLine | 'bad-date' | undefined {
    let timestamp: number | undefined;
    let rest: string;
    let host: string;
    const traditional = TRADITIONAL.exec(text);
    if (traditional) {
      const [, month, day, hour, minute, second, fraction, name, after] = traditional;
      const monthIndex = MONTHS.indexOf((month as string).toLowerCase());
      if (monthIndex < 0) return undefined;
      timestamp = this.traditionalDate(
        monthIndex + 1,
        Number(day),
        Number(hour),
        Number(minute),
        Number(second),
        millis(fraction),
      );
      host = name as string;
      rest = after as string;
    } else {
      const iso = ISO.exec(text);
      if (!iso) return undefined;
      const [, , , , , , , fraction, zone, name, after] = iso;
      const local = utcOfDigits(iso.slice(1, 7), fraction);
      timestamp = local === undefined ? undefined : local - zoneMinutes(zone as string) * 60_000;
      host = name as string;
      rest = after as string;
    }
    const tag = TAG.exec(rest);
    if (!tag) return undefined;
    if (timestamp === undefined) return 'bad-date';
    return {
      timestamp: new Date(timestamp).toISOString(),
      host,
      program: tag[1] as string,
      message: tag[3] as string,
    };
  }

  private traditionalDate(
    month: number,
    day: number,
    hour: number,
    minute: number,
    second: number,
    ms: number,
  ): number | undefined {
    this.traditional++;
    if (this.basis === 'option') {
      // A log read with --year runs forward: December followed by January is the next year.
      if (this.previousMonth - month > 6) {
        this.year++;
        this.movedOn++;
      }
      this.previousMonth = month;
      return utcOf(this.year, month, day, hour, minute, second, ms);
    }
    const time = utcOf(this.year, month, day, hour, minute, second, ms);
    // A date more than a day after the file was last written (or now) is from the year before.
    if (time !== undefined && time > this.reference.getTime() + 86_400_000) {
      this.movedBack++;
      return utcOf(this.year - 1, month, day, hour, minute, second, ms);
    }
    return time;
  }

  /** How the dates without a year were read, for the source record. */
  public notes(): SourceNote[] {
    if (this.traditional === 0) return [];
    const count = this.traditional === 1 ? '1 syslog date has' : `${this.traditional} syslog dates have`;
    const zone = 'and no time zone: the times are taken as UTC';
    let message: string;
    if (this.basis === 'option') {
      const start = this.year - this.movedOn;
      message = `${count} no year, read in ${start} as --year says${this.movedOn > 0 ? ' (dates after a December go on into the next year)' : ''}, ${zone}.`;
    } else if (this.basis === 'modified') {
      const day = this.reference.toISOString().slice(0, 10);
      message =
        `${count} no year, read in ${this.year}, the year the file was last modified (${day})` +
        `${this.movedBack > 0 ? `; ${this.movedBack} after that day were read in ${this.year - 1}` : ''}, ${zone}. ` +
        'If the file was copied or touched since, give the year with --year.';
    } else {
      message =
        `${count} no year and the file's modification time is not known: read in the current year (${this.year})` +
        `${this.movedBack > 0 ? `, ${this.movedBack} later than today in ${this.year - 1}` : ''}, ${zone}. Give the year with --year.`;
    }
    return [{ code: 'SYSLOG_YEAR', message }];
  }
}
