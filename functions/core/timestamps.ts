/**
 * Timestamps → UTC ISO 8601, whatever culture the exporting PC used.
 *
 * Tracking logs and V2 traces write ISO 8601 in UTC. `Export-Csv` writes the PC's culture:
 * `11/28/2026 10:15:03 PM` (en-US), `28-11-2026 22:15:03` (nl-NL), `28.11.2026 22:15:03` (de-DE),
 * `28/11/2026 22:15:03` (en-GB, fr-FR). Values without a zone are taken as UTC *(inferred: the
 * export does not record the PC's zone; documented in the README)*. Day/month order for `/` dates
 * follows the culture convention (AM/PM → month first, 24-hour → day first) until a value proves
 * otherwise (a part above 12), and that proof then holds for the rest of the file.
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,7}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const CULTURE =
  /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,7}))?)?\s*(AM|PM|a\.m\.|p\.m\.)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

export type DayOrder = 'month-first' | 'day-first';

function build(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  fraction: string | undefined,
  zone: string | undefined,
): string | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return undefined;
  const millis = fraction ? Number(fraction.padEnd(3, '0').slice(0, 3)) : 0;
  let epoch = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(epoch);
  if (check.getUTCDate() !== day) return undefined; // 31 November and friends
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    epoch -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
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

/**
 * Parses timestamps of one file. Stateful only in the day/month order it has learnt,
 * so create one per file.
 */
export class TimestampParser {
  private order: DayOrder | undefined;

  /** The learnt order, if any value has proved it. */
  public get learntOrder(): DayOrder | undefined {
    return this.order;
  }

  /** Returns the UTC ISO string, or `undefined` when the value is not a timestamp we understand. */
  public parse(raw: string): string | undefined {
    const value = raw.trim();
    // Fast path: tracking logs already write `2026-11-28T22:15:03.123Z`.
    if (isCanonicalUtc(value)) return value;
    const iso = ISO.exec(value);
    if (iso) {
      const [, y, mo, d, h, mi, s, f, z] = iso;
      return build(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s ?? 0), f, z);
    }
    const culture = CULTURE.exec(value);
    if (!culture) return undefined;
    const [, a, separator, b, y, h, mi, s, f, meridiem, z] = culture;
    const first = Number(a);
    const second = Number(b);
    let order: DayOrder;
    if (first > 12 && second <= 12) {
      order = 'day-first';
      this.order ??= order;
    } else if (second > 12 && first <= 12) {
      order = 'month-first';
      this.order ??= order;
    } else {
      order = this.order ?? (separator === '/' && meridiem ? 'month-first' : 'day-first');
    }
    let hour = Number(h);
    if (meridiem) {
      if (hour < 1 || hour > 12) return undefined;
      const pm = meridiem.toLowerCase().startsWith('p');
      hour = (hour % 12) + (pm ? 12 : 0);
    }
    const month = order === 'month-first' ? first : second;
    const day = order === 'month-first' ? second : first;
    return build(Number(y), month, day, hour, Number(mi), Number(s ?? 0), f, z);
  }
}

/** `YYYY-MM-DD` of an ISO timestamp. */
export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}
