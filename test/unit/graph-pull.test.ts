/**
 * The trace pull's pure parts: the client-side budget (never more than the limit in any rolling
 * window, counting an earlier run's requests), the windows a run pulls, Retry-After.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../functions/graph-pull/graph-client.js';
import { RequestBudget } from '../../functions/graph-pull/request-budget.js';
import { windowKey, windowsToPull } from '../../functions/graph-pull/trace-window.js';

/** A clock that only moves when the budget sleeps (or the test advances it). */
function fakeClock(start = 0) {
  const clock = { now: start, slept: [] as number[] };
  return {
    clock,
    now: () => clock.now,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.now += ms;
    },
  };
}

describe('RequestBudget', () => {
  it('lets `limit` requests through at once, then waits for the oldest to leave the window', async () => {
    const { clock, now, sleep } = fakeClock(1_000);
    const budget = new RequestBudget({ limit: 3, windowMs: 300_000, now, sleep });
    for (let i = 0; i < 3; i++) await budget.take();
    expect(clock.slept).toEqual([]);
    await budget.take();
    expect(clock.now).toBe(1_000 + 300_000 + 1);
  });

  it('counts the requests of an earlier run still inside the window', async () => {
    const { clock, now, sleep } = fakeClock(100_000);
    const budget = new RequestBudget({ limit: 2, windowMs: 300_000, recent: [90_000, 10_000], now, sleep });
    // Both places are taken by the earlier run: the next one frees when 10_000 is 5 minutes old.
    await budget.take();
    expect(clock.now).toBe(310_001);
    expect(budget.recent()).toEqual([90_000, 310_001]);
  });

  it('never exceeds the limit in any rolling window, whatever the spacing of requests', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 60 }),
        async (limit, gaps) => {
          const windowMs = 1_000;
          const { clock, now, sleep } = fakeClock();
          const budget = new RequestBudget({ limit, windowMs, now, sleep });
          const sent: number[] = [];
          for (const gap of gaps) {
            clock.now += gap;
            await budget.take();
            sent.push(clock.now);
          }
          for (const start of sent) {
            expect(sent.filter((t) => t >= start && t < start + windowMs).length).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });
});

describe('windowsToPull', () => {
  const plan = { lagMs: 15 * 60_000, windowMs: 60 * 60_000, firstLookBackMs: 3 * 60 * 60_000 };

  it('pulls whole hours from the cursor to the last hour ending before now − lag', () => {
    const windows = windowsToPull(new Date('2026-12-05T08:00:00Z'), new Date('2026-12-05T11:14:00Z'), plan);
    expect(windows.map((w) => `${w.from.toISOString()} ${w.to.toISOString()}`)).toEqual([
      '2026-12-05T08:00:00.000Z 2026-12-05T09:00:00.000Z',
      '2026-12-05T09:00:00.000Z 2026-12-05T10:00:00.000Z',
    ]);
    // At 11:15 the 10:00–11:00 window is 15 minutes old: due.
    expect(
      windowsToPull(new Date('2026-12-05T10:00:00Z'), new Date('2026-12-05T11:15:00Z'), plan),
    ).toHaveLength(1);
  });

  it('starts the first run the look-back before the last due hour', () => {
    const windows = windowsToPull(undefined, new Date('2026-12-05T11:20:00Z'), plan);
    expect(windows.map((w) => w.from.toISOString())).toEqual([
      '2026-12-05T08:00:00.000Z',
      '2026-12-05T09:00:00.000Z',
      '2026-12-05T10:00:00.000Z',
    ]);
    expect(windowKey(windows[0] ?? { from: new Date(0), to: new Date(0) })).toBe(
      'incoming/graph/20261205T080000Z_20261205T090000Z.json',
    );
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, and falls back when the header is missing or bad', () => {
    expect(retryAfterMs('7')).toBe(7_000);
    expect(retryAfterMs('Sat, 05 Dec 2026 10:00:30 GMT', Date.parse('2026-12-05T10:00:00Z'))).toBe(30_000);
    expect(retryAfterMs(null)).toBe(30_000);
    expect(retryAfterMs('soon')).toBe(30_000);
  });
});
