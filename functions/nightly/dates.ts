/**
 * UTC calendar days as `YYYY-MM-DD` strings: the unit the nightly job works in (rollups, reports
 * and the look-back window are all per UTC day). String order is day order.
 */
import { z } from 'zod';
import { InvalidValueError } from '../core/kernel/errors.js';

const MS_PER_DAY = 86_400_000;

/** A real calendar day (`2026-02-30` is rejected), as zod schema for events and flags. */
export const IsoDay = z.iso.date().refine((value) => isCalendarDay(value), { message: 'not a calendar day' });

function isCalendarDay(value: string): boolean {
  const ms = Date.parse(`${value}T00:00:00.000Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

/** Throws `ArgumentError` unless `value` is a `YYYY-MM-DD` calendar day; returns it. */
export function assertDay(value: string, what = 'date'): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !isCalendarDay(value)) {
    throw new InvalidValueError(what, `"${value}" is not a YYYY-MM-DD calendar day`);
  }
  return value;
}

/** The UTC day of an instant. */
export function dayOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** `day` shifted by `days` (negative: earlier). */
export function addDays(day: string, days: number): string {
  return dayOf(new Date(Date.parse(`${day}T00:00:00.000Z`) + days * MS_PER_DAY));
}

/** The day before the instant's UTC day: what a run at 02:00 UTC reports on. */
export function previousDay(instant: Date): string {
  return addDays(dayOf(instant), -1);
}

/** The days `from`..`to` inclusive, oldest first (empty when `from` is after `to`). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** Milliseconds since the epoch at the first instant of `day` (UTC). */
export function dayStartMs(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`);
}
