/**
 * How long an EventBridge schedule may leave between two runs, read from its expression, so the
 * nightly heartbeat alarm waits one schedule period (plus a margin) and no longer.
 *
 * Exact for `rate(...)`; for `cron(...)` an upper bound: every hour (hours `*`), every day
 * (day-of-month and day-of-week unrestricted) or, when the days are restricted, a week — the
 * longest window a CloudWatch alarm can evaluate, so a rarer schedule would alarm between runs.
 * A longer bound only delays the alarm; a shorter one would raise false alarms.
 */
import { Duration } from 'aws-cdk-lib';

const RATE = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/;
const CRON = /^cron\((.*)\)$/;

/** The longest gap between two runs of `expression` (a schedule `settings.ts` accepted). */
export function longestScheduleGap(expression: string): Duration {
  const trimmed = expression.trim();
  const rate = RATE.exec(trimmed);
  if (rate) {
    const amount = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (unit.startsWith('minute')) return Duration.minutes(amount);
    if (unit.startsWith('hour')) return Duration.hours(amount);
    return Duration.days(amount);
  }
  const fields = CRON.exec(trimmed)?.[1]?.trim().split(/\s+/);
  if (fields?.length !== 6) throw new Error(`not an EventBridge schedule expression: ${expression}`);
  const [, hours, dayOfMonth, month, dayOfWeek] = fields;
  const everyDay = [dayOfMonth, dayOfWeek].every((field) => field === '*' || field === '?') && month === '*';
  if (!everyDay) return Duration.days(7);
  return hours === '*' ? Duration.hours(1) : Duration.days(1);
}
