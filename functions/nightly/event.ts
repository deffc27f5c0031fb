/**
 * What invokes the nightly function: the EventBridge schedule (`detail-type: Scheduled Event`,
 * `detail: {}`), or an operator re-running a day with a `date` (and optionally `lookBackDays`) in
 * the detail, e.g. `aws lambda invoke --payload '{"detail":{"date":"2026-11-28"}}'`. Validated
 * with zod; unknown detail fields are refused so a typo cannot silently re-run the wrong day.
 */
import { z } from 'zod';
import { InvalidEventError } from '../core/kernel/errors.js';
import { issueText } from '../core/kernel/issues.js';
import { IsoDay, previousDay } from './dates.js';
import { MAX_LOOK_BACK_DAYS } from './look-back.js';

export const NightlyEvent = z.looseObject({
  'detail-type': z.string().optional(),
  source: z.string().optional(),
  /** When EventBridge fired the schedule; the report day is the day before it (UTC). */
  time: z.iso.datetime({ offset: true }).optional(),
  detail: z
    .strictObject({
      date: IsoDay.optional(),
      lookBackDays: z.number().int().min(0).max(MAX_LOOK_BACK_DAYS).optional(),
    })
    .optional(),
});
export type NightlyEvent = z.infer<typeof NightlyEvent>;

/** The run an event asks for. */
export interface NightlyRequest {
  date: string;
  lookBackDays?: number;
}

/** Parses the event; throws {@link InvalidEventError} naming the offending field. */
export function parseNightlyEvent(event: unknown, now: Date): NightlyRequest {
  const parsed = NightlyEvent.safeParse(event ?? {});
  if (!parsed.success) {
    throw new InvalidEventError(`not a nightly event: ${issueText(parsed.error)}`, { cause: parsed.error });
  }
  const { time, detail } = parsed.data;
  const date = detail?.date ?? previousDay(time === undefined ? now : new Date(time));
  return { date, ...(detail?.lookBackDays === undefined ? {} : { lookBackDays: detail.lookBackDays }) };
}
