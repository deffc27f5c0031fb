/** The nightly heartbeat alarm's window comes from the schedule expression. */
import { describe, expect, it } from 'vitest';
import { longestScheduleGap } from '../../lib/schedule-gap.js';

describe('longestScheduleGap', () => {
  it.each([
    ['cron(0 2 * * ? *)', 24 * 60],
    ['cron(30 3 ? * * *)', 24 * 60],
    ['cron(0 * * * ? *)', 60],
    ['cron(0 2 ? * MON *)', 7 * 24 * 60],
    ['cron(0 2 1 * ? *)', 7 * 24 * 60],
    ['rate(12 hours)', 12 * 60],
    ['rate(1 day)', 24 * 60],
    ['rate(30 minutes)', 30],
  ])('%s → %i minutes', (expression, minutes) => {
    expect(longestScheduleGap(expression).toMinutes()).toBe(minutes);
  });

  it('refuses what is not a schedule expression', () => {
    expect(() => longestScheduleGap('0 2 * * *')).toThrow(/not an EventBridge schedule/);
  });
});
