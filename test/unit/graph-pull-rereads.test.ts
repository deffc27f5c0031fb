/**
 * The re-read list's pure parts: when a written window is read again and when it leaves the list,
 * and the cursor that carries it (a cursor file from before the list still reads).
 */
import { describe, expect, it } from 'vitest';
import { CursorState, type RereadWindow } from '../../functions/graph-pull/cursor-store.js';
import type { WindowResult } from '../../functions/graph-pull/pull-window.js';
import {
  afterRead,
  planRereads,
  REREAD_HORIZON_MS,
  SETTLE_DELAY_MS,
} from '../../functions/graph-pull/reread-list.js';
import { detailsThatFit, type PullSettings, worstCaseWindowMs } from '../../functions/graph-pull/run-pull.js';

const HOUR = 3_600_000;
const END = Date.parse('2026-12-05T11:00:00Z');
const window = (over: Partial<RereadWindow> = {}): RereadWindow => ({
  from: new Date(END - HOUR),
  to: new Date(END),
  listing: 'digest-1',
  unsettled: 0,
  detailsLeftOut: 0,
  detailsAsked: 0,
  settleRead: false,
  ...over,
});
const read = (over: Partial<WindowResult> = {}): WindowResult => ({
  body: '{}',
  unchanged: false,
  listing: 'digest-2',
  traces: 1,
  unsettled: 0,
  details: 0,
  detailsAsked: 0,
  detailsLeftOut: 0,
  detailsMissing: [],
  ...over,
});
const at = (msAfterEnd: number) => new Date(END + msAfterEnd);

describe('planRereads', () => {
  it('reads unsettled windows every run, settled ones once after the settle delay, oldest first', () => {
    const older = window({ from: new Date(END - 2 * HOUR), to: new Date(END - HOUR), unsettled: 2 });
    const settled = window();
    const early = planRereads([settled, older], at(HOUR));
    expect(early.first).toEqual([{ window: older, reason: 'unsettled' }]);
    expect(early.kept).toEqual([older, settled]);
    const due = planRereads([settled, older], at(SETTLE_DELAY_MS));
    expect(due.first).toEqual([
      { window: older, reason: 'unsettled' },
      { window: settled, reason: 'late' },
    ]);
    expect(planRereads([{ ...settled, settleRead: true }], at(SETTLE_DELAY_MS)).first).toEqual([]);
  });

  it('lists capped windows apart, and lets windows past the horizon go', () => {
    const capped = window({ detailsLeftOut: 3, detailsAsked: 150 });
    expect(planRereads([capped], at(HOUR)).capped).toEqual([capped]);
    const plan = planRereads([capped], at(REREAD_HORIZON_MS + 1));
    expect(plan).toEqual({ first: [], capped: [], expired: [capped], kept: [] });
    expect(planRereads([capped], at(REREAD_HORIZON_MS)).kept).toEqual([capped]);
  });
});

describe('afterRead', () => {
  const trace = { from: new Date(END - HOUR), to: new Date(END) };

  it('keeps a new window until its settle read, and while anything is unsettled or left out', () => {
    expect(afterRead(undefined, trace, read(), at(HOUR))).toEqual(
      window({ listing: 'digest-2', settleRead: false }),
    );
    // Pulled after the settle delay (a backlog), settled, nothing left out: nothing owed.
    expect(afterRead(undefined, trace, read(), at(SETTLE_DELAY_MS))).toBeUndefined();
    expect(afterRead(undefined, trace, read({ unsettled: 1 }), at(SETTLE_DELAY_MS))).toMatchObject({
      unsettled: 1,
      settleRead: true,
    });
    expect(
      afterRead(undefined, trace, read({ detailsLeftOut: 2, detailsAsked: 150 }), at(SETTLE_DELAY_MS)),
    ).toMatchObject({
      detailsLeftOut: 2,
      detailsAsked: 150,
    });
  });

  it('an unchanged read keeps what the last read found', () => {
    const previous = window({ unsettled: 1, detailsAsked: 4 });
    expect(
      afterRead(previous, trace, read({ unchanged: true, body: undefined }), at(SETTLE_DELAY_MS)),
    ).toEqual({
      ...previous,
      settleRead: true,
    });
  });
});

describe('the cursor object', () => {
  it('reads a cursor written before the re-read list, and the list with its dates', () => {
    expect(CursorState.parse({ cursor: '2026-12-05T10:00:00.000Z' })).toEqual({
      cursor: new Date('2026-12-05T10:00:00.000Z'),
      recentRequests: [],
      rereads: [],
    });
    expect(
      CursorState.parse({
        cursor: '2026-12-05T11:00:00.000Z',
        recentRequests: [5],
        rereads: [
          { from: '2026-12-05T10:00:00.000Z', to: '2026-12-05T11:00:00.000Z', listing: 'x', unsettled: 1 },
        ],
      }).rereads,
    ).toEqual([window({ listing: 'x', unsettled: 1 })]);
    expect(
      CursorState.safeParse({ cursor: '2026-12-05T11:00:00.000Z', rereads: [{ from: 'soon' }] }).success,
    ).toBe(false);
  });
});

describe('detailsThatFit', () => {
  const settings = { requestLimit: 80, maxDetailsPerWindow: 150 } as PullSettings;

  it('is the inverse of the worst case: the details it allows fit the time given', () => {
    for (const minutes of [5, 10, 12, 15]) {
      const fit = detailsThatFit(settings, minutes * 60_000);
      expect(worstCaseWindowMs(settings, fit)).toBeLessThanOrEqual(minutes * 60_000);
      expect(worstCaseWindowMs(settings, fit + 1)).toBeGreaterThan(minutes * 60_000);
    }
  });
});
