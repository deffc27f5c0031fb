/**
 * Syslog line prefixes (docs/domain.md §6 "Syslog lines"): the date, host and program before an MTA's
 * own text, in the shapes real files take:
 * - traditional syslog, no year and no zone: `Nov 28 22:15:03 relay1 postfix/smtp[4711]: …`
 *   (also journalctl `-o short`, and `-o short-precise` with `.123456` after the seconds);
 * - ISO 8601 with a zone: rsyslog's high-precision `2026-11-28T22:15:03.123456+01:00 relay1 …`,
 *   journalctl `-o short-iso` `2026-11-28T22:15:03+0100 relay1 …`;
 * - an optional `<PRI>` in front, as files written by a syslog receiver may keep; a facility and
 *   severity after the host (`relay1 mail.info postfix/smtp[…]`, a template's
 *   `%syslogfacility-text%.%syslogseverity-text%`) or before it (`<mail.info> relay1`, FreeBSD
 *   syslogd -v -v).
 *
 * And the wrappers around such lines, unwrapped to the same {@link SyslogLine} (tried only for a
 * line that is no plain syslog line, so plain logs pay nothing for them):
 * - RFC 5424, as central rsyslog (`RSYSLOG_SyslogProtocol23Format`), syslog-ng and FreeBSD
 *   (`syslogd -O rfc5424`) write it: `<22>1 2026-11-28T22:15:03.123456+01:00 relay1 postfix/smtp
 *   4711 - - text`, structured data `[…]` or `-` before the text, `<PRI>` left out by some templates;
 * - `journalctl -o json` (and `-o json-seq`): one object per line, `MESSAGE`, `SYSLOG_IDENTIFIER`,
 *   `_HOSTNAME`, `__REALTIME_TIMESTAMP` (microseconds since 1970);
 * - containers: Docker's json-file `{"log":"<line>\n","stream":"stdout","time":"…"}`, the CRI
 *   log of Kubernetes `2026-11-28T22:15:03.123456789Z stdout F <line>`, and a line after an
 *   RFC 3339 time (`docker logs -t`, `kubectl logs --timestamps`); the line inside is a syslog
 *   line, a tag and text (`postfix/smtp[4711]: text`, Postfix `maillog_file = /dev/stdout`
 *   without its date), or a tag after a severity (`INFO    postfix/smtp[4711]: text`, the rsyslog
 *   template of the boky/postfix image). The wrapper's time is the line's: it has the year and
 *   the zone the syslog date inside lacks.
 * A line the runtime split (over 16 KB, which no MTA writes) is read as its parts. Solaris'
 * `[ID 801593 mail.info]` before the text is taken off in every shape and wrapper.
 *
 * Traditional dates get their year from `--year`, else from the file's modification time (a date
 * after it belongs to the year before: the log began last year), else from the current year, and
 * the file's notes say which. Their time of day is local to the host, which the line does not say:
 * it is taken as UTC, as for culture dates of exports.
 */

import { parseWellFormedJson } from '../../text/well-formed.js';
import type { SourceNote } from '../model/source-record.js';
import type { TextContext } from './text-format.js';

export interface SyslogLine {
  /** UTC ISO 8601 with milliseconds. */
  timestamp: string;
  /**
   * Minutes east of UTC of the zone its time was written in (`+01:00`: 60); absent for a time written
   * without one (a traditional date, taken as UTC) or as a count (the journal's microseconds). With it
   * the time reads as the log wrote it: the host's wall clock, as a traditional date gives it.
   */
  zone?: number;
  host: string;
  /** The tag before `[pid]:`, e.g. `postfix/smtp`, `sm-mta`, `exim`. */
  program: string;
  /** The program's text after `: `. */
  message: string;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * An ISO 8601 date and time with a zone, up to nanoseconds (rsyslog, journalctl `-o short-iso`,
 * container runtimes): groups year, month, day, hour, minute, second, fraction, zone.
 */
const ISO_TIME =
  '(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))?(Z|[+-]\\d{2}:?\\d{2})';

const TRADITIONAL =
  /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? (\S+) (.*)$/;
const ISO = new RegExp(`^(?:<\\d{1,3}>)?${ISO_TIME} (\\S+) (.*)$`);
/** `program[pid]: text` or `program: text`. */
const TAG = /^([^\s[\]:]{1,128})(?:\[(\d{1,10})\])?: ?(.*)$/;

/**
 * A facility and severity by name or number (`mail.info`, `<mail.info>`, `<2.6>`, rsyslog's
 * `%pri-text%` `mail.info<22>`), written next to the host by some templates and syslogds.
 */
const FACILITY_SEVERITY =
  /^<?(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|ntp|security|console|clock|local[0-7]|\d{1,2})\.(?:emerg|panic|alert|crit|err|error|warning|warn|notice|info|debug|[0-7])(?:>|<\d{1,3}>)?$/;

/** Docker json-file's `time`. */
const TIME = new RegExp(`^${ISO_TIME}$`);
/**
 * A line after a time: the CRI log (`<time> stdout|stderr F|P <line>`), `docker logs -t` and
 * `kubectl logs --timestamps` (`<time> <line>`).
 */
const STAMPED = new RegExp(`^${ISO_TIME} (?:(?:stdout|stderr) [FP] )?(.*)$`);
/** RFC 5424: `[<PRI>]1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID ` then STRUCTURED-DATA and MSG. */
const RFC5424 = /^(?:<\d{1,3}>)?1 (-|\d{4}-\S+) (\S+) (\S+) \S+ \S+ (.*)$/;
/** A severity before the tag, as rsyslog templates write it (`%syslogseverity-text:::uppercase%`, padded). */
const SEVERITY = /^(?:EMERG|ALERT|CRIT|ERR|ERROR|WARNING|WARN|NOTICE|INFO|DEBUG) +/;

/** RFC 5424's NILVALUE: a field that has no value. */
const NIL = '-';
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const COLON = 0x3a;
const BOM = 0xfeff;
/** The record separator `journalctl -o json-seq` writes before each object (RFC 7464). */
const RECORD_SEPARATOR = 0x1e;

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

/** UTC milliseconds of the date, time and zone {@link ISO_TIME} matched, from group `first` on. */
function isoTime(match: RegExpExecArray, first: number): number | undefined {
  const local = utcOfDigits(match.slice(first, first + 6), match[first + 6]);
  return local === undefined ? undefined : local - isoZone(match, first) * 60_000;
}

/** Minutes east of UTC of the zone {@link ISO_TIME} matched, from group `first` on. */
function isoZone(match: RegExpExecArray, first: number): number {
  return zoneMinutes(match[first + 7] as string);
}

/** Solaris and illumos syslogd: a message id and the facility before the text. */
const SOLARIS_MESSAGE_ID = /^\[ID \d{1,10} [a-z0-9]+\.[a-z]+\] /;

/** The text without Solaris' `[ID 801593 mail.info] ` before it. */
function withoutMessageId(message: string): string {
  const id = SOLARIS_MESSAGE_ID.exec(message);
  return id ? message.slice(id[0].length) : message;
}

/**
 * Every reading of a line, plain or wrapped, ends here: so Solaris' `[ID …]` before the text is
 * taken off whatever wrapper a central syslog or the journal put around the line. Only a text that
 * opens with `[` is looked at: plain logs pay nothing.
 */
function syslogLine(
  time: number,
  host: string,
  program: string,
  message: string,
  zone: number | undefined,
): SyslogLine {
  const text = message.charCodeAt(0) === OPEN_BRACKET ? withoutMessageId(message) : message;
  const line: SyslogLine = { timestamp: new Date(time).toISOString(), host, program, message: text };
  if (zone !== undefined) line.zone = zone;
  return line;
}

/**
 * The host and tag of a line whose tag does not follow its host: a facility and severity after the
 * host (`relay1 mail.info postfix/smtp[…]: …`) or before it (`<mail.info> relay1 postfix/smtp[…]: …`).
 */
function besideFacility(host: string, rest: string): { host: string; tag: RegExpExecArray } | undefined {
  const space = rest.indexOf(' ');
  if (space < 0) return undefined;
  const word = rest.slice(0, space);
  const tag = TAG.exec(rest.slice(space + 1));
  if (!tag) return undefined;
  if (FACILITY_SEVERITY.test(word)) return { host, tag };
  if (FACILITY_SEVERITY.test(host)) return { host: word, tag };
  return undefined;
}

/**
 * The tag of a line with no host before it, when it names a program beyond doubt: with its pid or
 * a `/` (`postfix/smtp[4711]:`, `sm-mta[3101]:`, `postfix/postlog:`). A Postfix text alone,
 * `3F7A21C0B4: to=<…>`, would otherwise pass for the program `3F7A21C0B4`.
 */
function hostlessTag(text: string): RegExpExecArray | null {
  const tag = TAG.exec(text);
  return tag && (tag[2] !== undefined || (tag[1] as string).includes('/')) ? tag : null;
}

/** A tag and text inside a container's wrapper, after a severity or not; the wrapper names no host. */
function severityTagged(text: string, at: number, zone: number | undefined): SyslogLine | undefined {
  const severity = SEVERITY.exec(text);
  const tag = hostlessTag(severity ? text.slice(severity[0].length) : text);
  return tag ? syslogLine(at, '', tag[1] as string, tag[3] as string, zone) : undefined;
}

/**
 * An RFC 5424 line: its time, host and APP-NAME (`postfix/smtp`, or `postfix` as rsyslog names
 * the program), the message after the structured data. With no APP-NAME (`-`), a tag may still
 * lead the message, as in a line converted from RFC 3164.
 */
function rfc5424Line(match: RegExpExecArray): SyslogLine | 'bad-date' | undefined {
  const [, time, host, app, rest] = match as unknown as [string, string, string, string, string];
  const start = messageStart(rest);
  if (start < 0) return undefined;
  // MSG may begin with a BOM, which says it is UTF-8 (RFC 5424 §6.4); rsyslog's `%msg%` of a
  // message received as RFC 3164 keeps the space after the tag's colon.
  let message = rest.slice(start);
  if (message.charCodeAt(0) === BOM) message = message.slice(1);
  message = message.trimStart();
  let program = app;
  if (app === NIL) {
    const tag = hostlessTag(message);
    program = tag ? (tag[1] as string) : '';
    if (tag) message = tag[3] as string;
  }
  const stamp = TIME.exec(time);
  const at = stamp ? isoTime(stamp, 1) : undefined;
  if (stamp === null || at === undefined) return 'bad-date';
  return syslogLine(at, host === NIL ? '' : host, program, message, isoZone(stamp, 1));
}

/**
 * Where the message begins after RFC 5424 structured data — `-`, or elements `[id name="value" …]`
 * whose values may hold `\"`, `\]` and `\\` — or -1 when it is malformed.
 */
function messageStart(text: string): number {
  let index = 0;
  if (text.startsWith(NIL)) index = 1;
  else {
    while (text.charCodeAt(index) === OPEN_BRACKET) {
      index = elementEnd(text, index);
      if (index < 0) return -1;
    }
    if (index === 0) return -1;
  }
  if (index === text.length) return index;
  return text.charCodeAt(index) === SPACE ? index + 1 : -1;
}

/** The index after the structured-data element that opens at `open`, or -1 when it never closes. */
function elementEnd(text: string, open: number): number {
  let quoted = false;
  for (let index = open + 1; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (quoted && code === BACKSLASH) index++;
    else if (code === QUOTE) quoted = !quoted;
    else if (!quoted && code === CLOSE_BRACKET) return index + 1;
  }
  return -1;
}

/** The JSON object a line holds, or `undefined` (no JSON, or no object). */
function objectOf(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = parseWellFormedJson(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * A `journalctl -o json` entry: dated by the time its program gave (`_SOURCE_REALTIME_TIMESTAMP`),
 * else when the journal received it (`__REALTIME_TIMESTAMP`), in microseconds since 1970; named by
 * its syslog identifier (`postfix/smtp`), else its process name. No entry lacks the second.
 */
function journalLine(record: Record<string, unknown>): SyslogLine | 'bad-date' | undefined {
  const message = journalText(record.MESSAGE);
  const received = journalText(record.__REALTIME_TIMESTAMP);
  if (message === undefined || received === undefined) return undefined;
  const micros = journalText(record._SOURCE_REALTIME_TIMESTAMP) ?? received;
  if (!/^\d{1,16}$/.test(micros)) return 'bad-date';
  const program = journalText(record.SYSLOG_IDENTIFIER) ?? journalText(record._COMM) ?? '';
  const host = journalText(record._HOSTNAME) ?? '';
  return syslogLine(Math.floor(Number(micros) / 1000), host, program, message, undefined);
}

const UTF8 = new TextDecoder();

/**
 * A journal field's text: a string, or the bytes journalctl writes as an array of numbers for a
 * value that is not printable UTF-8.
 */
function journalText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return undefined;
  const bytes: unknown[] = value;
  return bytes.every(isByte) ? UTF8.decode(Uint8Array.from(bytes)) : undefined;
}

function isByte(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 256;
}

/**
 * Reads syslog prefixes of one file and knows which year their dates were given. Create one per file.
 */
export class SyslogDates {
  /** What the year was taken from: `--year`, the file's time, the upload's time (S3), or now. */
  private readonly basis: 'option' | 'modified' | 'uploaded' | 'now';
  /** True for an object in the bucket: the advice is to upload it again with its time, not --year. */
  private readonly inBucket: boolean;
  private readonly reference: Date;
  /** With `--year`: the year of the previous traditional date and its month (a log crossing New Year). */
  private year: number;
  private previousMonth = 0;
  private traditional = 0;
  private movedBack = 0;
  private movedOn = 0;

  /** True once a date without a zone was read (a traditional one): its time was taken as UTC. */
  public get zoneless(): boolean {
    return this.traditional > 0;
  }

  public constructor(context: Pick<TextContext, 'year' | 'modified' | 'uploaded' | 'now'>) {
    this.inBucket = context.uploaded !== undefined;
    if (context.year !== undefined) {
      this.basis = 'option';
      this.reference = context.now;
      this.year = context.year;
    } else {
      this.basis =
        context.modified !== undefined ? 'modified' : context.uploaded !== undefined ? 'uploaded' : 'now';
      this.reference = context.modified ?? context.uploaded ?? context.now;
      this.year = this.reference.getUTCFullYear();
    }
  }

  /**
   * The line's prefix: `undefined` when the line is not a syslog line, plain or wrapped, and
   * `'bad-date'` when it is one whose date is not a real date.
   */
  public parse(text: string): SyslogLine | 'bad-date' | undefined {
    return this.prefixed(text) ?? this.unwrapped(text);
  }

  /**
   * A line with a syslog date and host before its tag. `at`: the time of a wrapper around the line,
   * which is the line's time (its own date is then not read), written in `atZone`.
   */
  private prefixed(text: string, at?: number, atZone?: number): SyslogLine | 'bad-date' | undefined {
    const traditional = TRADITIONAL.exec(text);
    const match = traditional ?? ISO.exec(text);
    if (!match) return undefined;
    let month = 0;
    if (traditional) {
      month = MONTHS.indexOf((traditional[1] as string).toLowerCase()) + 1;
      if (month === 0) return undefined;
    }
    // Host and rest are the last two groups of both shapes.
    let host = match[match.length - 2] as string;
    let rest = match[match.length - 1] as string;
    if (host.charCodeAt(host.length - 1) === COLON) {
      // No host: a template without one (`2026-11-28T22:15:03+01:00 postfix/smtp[4711]: …`).
      rest = text.slice(text.length - rest.length - host.length - 1);
      host = '';
    }
    let tag = host === '' ? hostlessTag(rest) : TAG.exec(rest);
    if (!tag) {
      const beside = besideFacility(host, rest);
      if (beside === undefined) return undefined;
      ({ host, tag } = beside);
    }
    // Dated only once it is known to be a syslog line: traditional dates are counted for the notes.
    const timestamp = at ?? (traditional ? this.traditionalTime(traditional, month) : isoTime(match, 1));
    if (timestamp === undefined) return 'bad-date';
    const zone = at !== undefined ? atZone : traditional ? undefined : isoZone(match, 1);
    return syslogLine(timestamp, host, tag[1] as string, tag[3] as string, zone);
  }

  /**
   * A line the journal, a syslog server or a container runtime wrapped (see the comment at the top
   * of this file). Tried only for lines that are no plain syslog line.
   */
  private unwrapped(text: string): SyslogLine | 'bad-date' | undefined {
    const first = text.charCodeAt(0);
    if (first === OPEN_BRACE || first === RECORD_SEPARATOR) return this.jsonRecord(text);
    const rfc5424 = RFC5424.exec(text);
    if (rfc5424) return rfc5424Line(rfc5424);
    const stamped = STAMPED.exec(text);
    if (stamped) return this.wrappedLine(stamped[9] as string, isoTime(stamped, 1), isoZone(stamped, 1));
    return undefined;
  }

  /** `journalctl -o json` (or `json-seq`) and Docker's json-file: one object per line. */
  private jsonRecord(text: string): SyslogLine | 'bad-date' | undefined {
    const record = objectOf(text.charCodeAt(0) === RECORD_SEPARATOR ? text.slice(1) : text);
    if (record === undefined) return undefined;
    const { log, time } = record;
    if (typeof log === 'string' && typeof time === 'string') {
      const stamp = TIME.exec(time);
      return stamp
        ? this.wrappedLine(log.trimEnd(), isoTime(stamp, 1), isoZone(stamp, 1))
        : this.wrappedLine(log.trimEnd(), undefined, undefined);
    }
    return journalLine(record);
  }

  /**
   * The line inside a container runtime's wrapper, dated by the wrapper: a syslog line, or a tag
   * and text after a time of their own, a severity, both or neither (`2026-11-28T22:15:03+00:00
   * INFO    postfix/smtp[4711]: …`); `'bad-date'` when the wrapper's time is none.
   */
  private wrappedLine(
    text: string,
    at: number | undefined,
    zone: number | undefined,
  ): SyslogLine | 'bad-date' | undefined {
    const time = at ?? 0;
    let line = this.prefixed(text, time, zone);
    if (line === undefined) {
      const stamped = STAMPED.exec(text);
      const rest = stamped ? (stamped[9] as string) : text;
      line = (stamped ? this.prefixed(rest, time, zone) : undefined) ?? severityTagged(rest, time, zone);
    }
    if (line === undefined || line === 'bad-date') return line;
    return at === undefined ? 'bad-date' : line;
  }

  private traditionalTime(match: RegExpExecArray, month: number): number | undefined {
    return this.traditionalDate(
      month,
      Number(match[2]),
      Number(match[3]),
      Number(match[4]),
      Number(match[5]),
      millis(match[6]),
    );
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
    } else if (this.basis === 'now') {
      message =
        `${count} no year and the file's modification time is not known: read in the current year (${this.year})` +
        `${this.movedBack > 0 ? `, ${this.movedBack} later than today in ${this.year - 1}` : ''}, ${zone}. ${this.advice('now')}`;
    } else {
      const day = this.reference.toISOString().slice(0, 10);
      const when =
        this.basis === 'modified'
          ? `the year the file was last modified (${day})`
          : `the year of the upload (${day}: the object's LastModified, as the upload sent no file-modified time)`;
      message =
        `${count} no year, read in ${this.year}, ${when}` +
        `${this.movedBack > 0 ? `; ${this.movedBack} after that day were read in ${this.year - 1}` : ''}, ${zone}. ` +
        this.advice(this.basis);
    }
    return [{ code: 'SYSLOG_YEAR', message }];
  }

  /**
   * What to do when the year is wrong: locally, give it with --year; an object in the bucket is
   * uploaded again with the file's time (`file-modified`, see core/kernel/file-modified.ts), which
   * `relay-audit upload` sends and `aws s3 cp` sends only when told.
   */
  private advice(basis: 'modified' | 'uploaded' | 'now'): string {
    if (!this.inBucket) {
      return basis === 'modified'
        ? 'If the file was copied or touched since, give the year with --year.'
        : 'Give the year with --year.';
    }
    const metadata =
      'aws s3 cp <file> s3://<bucket>/incoming/<folder>/ --metadata file-modified=<its last write in UTC, e.g. 2025-11-29T06:25:00Z>';
    return basis === 'modified'
      ? `If the file was copied or touched before its upload, upload it again with the time it was last written: ${metadata}.`
      : `If the log is from an earlier year, upload it again with the file's time: relay-audit upload <file> sends it, or ${metadata}.`;
  }
}
