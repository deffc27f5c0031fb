/**
 * A date or time as a person types it for a time flag (`check --at`, `findings --since/--until`,
 * `reanalyze --from/--to`): one grammar and one message for all of them, so a value one flag takes
 * is never refused by another.
 */

/** The forms accepted, for help texts and the message a refused value gets. */
export const ISO_TIME_FORMS =
  'a date such as 2026-11-28 or an ISO 8601 time such as 2026-11-28T22:00, 2026-11-28T22:00:30Z or ' +
  '2026-11-28T23:00+01:00 (a time without a zone is UTC)';

/** A date (a whole UTC day) or an instant. */
export interface IsoTime {
  /** `2026-11-28` for a date; the instant in UTC (`2026-11-28T22:00:00.000Z`) for a time. */
  readonly iso: string;
  /** First millisecond covered: the instant, or 00:00 UTC of the date. */
  readonly start: number;
  /** Last millisecond covered: the instant, or 23:59:59.999 UTC of the date. */
  readonly end: number;
}

const DAY_MS = 86_400_000;

/**
 * Date; date and time with minutes, optional seconds and fraction, `T` or a space between (the
 * findings table prints `2026-11-28 22:00:00`); then `Z`, an offset (`+01:00`, `+0100`, `+01`) or no
 * zone, which is UTC (every time relay-audit prints is UTC).
 */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)? ?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** The value read, or `undefined` when it is not one of {@link ISO_TIME_FORMS} or names no real time. */
export function parseIsoTime(text: string): IsoTime | undefined {
  const match = ISO_TIME.exec(text.trim());
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  // 2026-02-30 would roll over to March: a date that does not exist is refused.
  if (date.getUTCMonth() !== Number(month) - 1 || date.getUTCDate() !== Number(day)) return undefined;
  if (hour === undefined) {
    const start = date.getTime();
    return { iso: date.toISOString().slice(0, 10), start, end: start + DAY_MS - 1 };
  }
  const [h, m, s] = [Number(hour), Number(minute), Number(second ?? 0)];
  if (h > 23 || m > 59 || s > 59) return undefined;
  const offset = offsetMinutes(zone);
  if (offset === undefined) return undefined;
  const ms = Number((fraction ?? '').padEnd(3, '0').slice(0, 3));
  const instant = date.getTime() + ((h * 60 + m - offset) * 60 + s) * 1000 + ms;
  return { iso: new Date(instant).toISOString(), start: instant, end: instant };
}

/** Minutes east of UTC: `Z` or none 0, `+01:00` 60; `undefined` for an offset no clock has. */
function offsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(3).replace(':', '') || '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
