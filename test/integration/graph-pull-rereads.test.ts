/**
 * The trace pull reads recent windows again (functions/graph-pull/reread-list.ts), against the local
 * Graph and s3rver: a trace that had not settled when its hour was pulled, a trace Graph lists late,
 * one that never settles, details the per-window cap left out, a row Graph repeats across pages.
 * Each window is read again with the same question into the same key, and the written files are
 * analysed by the real analysis.
 */
import { describe, expect, it } from 'vitest';
import { REREAD_HORIZON_MS, SETTLE_DELAY_MS } from '../../functions/graph-pull/reread-list.js';
import { harnessPerTest, type PullHarness } from '../support/graph-pull-harness.js';
import { deferredDetails, graphTrace, refusedDetails } from '../support/local-graph.js';

const KEY_10 = 'incoming/graph/20261205T100000Z_20261205T110000Z.json';
const FILTER_10 =
  'receivedDateTime ge 2026-12-05T10:00:00.000Z and receivedDateTime le 2026-12-05T11:00:00.000Z';
const at = (iso: string) => new Date(iso);

/** A re-read of the 10:00 window that found the refused trace (2 traces, 2 details) and wrote it. */
const refusalWritten = (reason: 'unsettled' | 'late') => ({
  key: KEY_10,
  reason,
  traces: 2,
  unsettled: 0,
  details: 2,
  detailsLeftOut: 0,
  written: true,
  unchanged: false,
});

const start = harnessPerTest();

const rereadsOf = async (h: PullHarness) =>
  ((await h.cursor()).rereads as { from: string; unsettled: number }[]).map((w) => [w.from, w.unsettled]);

describe('windows read again', () => {
  it('a trace still gettingStatus when its hour is pulled is read again next run, and its refusal is found', async () => {
    const late = graphTrace(
      1,
      '2026-12-05T10:58:00Z',
      'alerts@app.fabrikam.com',
      'vendor@adatum.com',
      'GettingStatus',
    );
    const traces = [
      late,
      graphTrace(2, '2026-12-05T10:06:00Z', 'kate@contoso.com', 'lee@contoso.com', 'Delivered'),
    ];
    const h = await start(traces, { [late.id]: refusedDetails(late) });

    const first = await h.pull({ now: at('2026-12-05T11:15:00Z') });
    expect(first.windows).toEqual([{ key: KEY_10, traces: 2, details: 0, detailsLeftOut: 0, written: true }]);
    expect(await rereadsOf(h)).toEqual([['2026-12-05T10:00:00.000Z', 1]]);
    expect((await h.findings()).found).toEqual([]);

    late.status = 'Failed'; // Exchange resolves the status afterwards
    const second = await h.pull({ now: at('2026-12-05T12:15:00Z') });
    expect(second.rereads).toEqual([refusalWritten('unsettled')]);
    expect(second.cursor).toBe('2026-12-05T12:00:00.000Z');
    expect((await h.findings()).found).toEqual([
      ['vendor@adatum.com', 'alerts@app.fabrikam.com', 'foreign-sender-domain', 'ATTR36'],
    ]);
    // The finished-run log line names the window read again.
    expect(h.infos.at(-1)).toEqual([
      'message trace pull finished',
      expect.objectContaining({ rereads: [expect.objectContaining({ key: KEY_10, reason: 'unsettled' })] }),
    ]);

    // Settled, it is read once more after the settle delay (nothing new: not written again), then leaves the list.
    const settle = await h.pull({
      now: new Date(Date.parse('2026-12-05T11:00:00Z') + SETTLE_DELAY_MS + 60_000),
    });
    expect(settle.rereads).toEqual([
      expect.objectContaining({ key: KEY_10, reason: 'late', unchanged: true, written: false }),
    ]);
    expect(h.uploads(KEY_10)).toBe(2);
    expect((await rereadsOf(h)).map(([from]) => from)).not.toContain('2026-12-05T10:00:00.000Z');
    expect(h.graph.filters.filter((filter) => filter === FILTER_10)).toHaveLength(3);
  });

  it('a failed trace Graph lists 20 minutes late is caught by the read after the settle delay', async () => {
    const late = graphTrace(
      1,
      '2026-12-05T10:57:00Z',
      'alerts@app.fabrikam.com',
      'vendor@adatum.com',
      'Failed',
    );
    const visible = [
      graphTrace(2, '2026-12-05T10:06:00Z', 'kate@contoso.com', 'lee@contoso.com', 'Delivered'),
    ];
    const h = await start(visible, { [late.id]: refusedDetails(late) });

    await h.pull({ now: at('2026-12-05T11:16:00Z') });
    visible.push(late); // listed from 11:17 on
    const before = await h.pull({ now: at('2026-12-05T12:16:00Z') });
    expect(before.rereads).toEqual([]); // settled, and the settle delay not over yet
    const after = await h.pull({ now: at('2026-12-05T14:16:00Z') });
    expect(after.rereads).toEqual([refusalWritten('late')]);
    expect(await h.findings()).toEqual({
      found: [['vendor@adatum.com', 'alerts@app.fabrikam.com', 'foreign-sender-domain', 'ATTR36']],
      unexplained: 0,
    });
    expect(h.warnings).toEqual([]);
  });

  it('an unsettled window costs one request per run while unchanged, writes nothing, and leaves the list after the horizon with a warning', async () => {
    const stuck = graphTrace(1, '2026-12-05T10:20:00Z', 'app@contoso.com', 'ops@adatum.com', 'GettingStatus');
    const h = await start([stuck], {});
    await h.pull({ now: at('2026-12-05T11:15:00Z') });
    const requests = h.graph.log.length;
    const again = await h.pull({ now: at('2026-12-05T11:45:00Z') });
    expect(again.windows).toEqual([]);
    expect(again.rereads).toEqual([
      expect.objectContaining({ key: KEY_10, unchanged: true, written: false, unsettled: 1 }),
    ]);
    expect(h.graph.log.length - requests).toBe(1);
    expect(h.uploads(KEY_10)).toBe(1);

    const late = await h.pull({
      now: new Date(Date.parse('2026-12-05T11:00:00Z') + REREAD_HORIZON_MS + 10 * 60_000),
    });
    expect(late.rereads.map((w) => w.key)).not.toContain(KEY_10);
    expect(h.warnings).toContainEqual([
      'message trace window left the re-read list before it settled',
      expect.objectContaining({ key: KEY_10, unsettled: 1 }),
    ]);
    expect((await rereadsOf(h)).map(([from]) => from)).not.toContain('2026-12-05T10:00:00.000Z');
  });

  it('the detail cap asks failed traces first, says failed and pending, and the window is read again for the pending deferral', async () => {
    const failed = graphTrace(
      1,
      '2026-12-05T10:05:00Z',
      'alerts@app.fabrikam.com',
      'vendor@adatum.com',
      'Failed',
    );
    const pending = graphTrace(
      2,
      '2026-12-05T10:03:00Z',
      'alerts@contoso.com',
      'orders@adatum.com',
      'Pending',
    );
    const h = await start([pending, failed], {
      [failed.id]: refusedDetails(failed),
      [pending.id]: deferredDetails(pending),
    });
    const settings = { maxDetailsPerWindow: 1 };

    const first = await h.pull({ now: at('2026-12-05T11:15:00Z'), settings });
    expect(first.windows).toEqual([{ key: KEY_10, traces: 2, details: 2, detailsLeftOut: 1, written: true }]);
    expect(h.graph.log.filter((e) => e.path.includes('getDetails')).map((e) => e.path)).toEqual([
      expect.stringContaining(failed.id),
    ]);
    expect(h.warnings).toEqual([
      [
        'trace details left out: more failed and pending traces than the detail cap',
        expect.objectContaining({ key: KEY_10, detailsLeftOut: 1, detailCap: 1 }),
      ],
    ]);
    expect((await h.findings()).found.map((f) => f[3])).toEqual(['ATTR36']);

    // A run without room for a detail request reads the unsettled window (unchanged), not the details.
    const cramped = await h.pull({ now: at('2026-12-05T12:15:00Z'), settings, remainingMs: () => 350_000 });
    expect(cramped.rereads).toEqual([
      expect.objectContaining({ key: KEY_10, reason: 'unsettled', unchanged: true }),
    ]);
    expect(cramped.windows).toHaveLength(1);

    // A run with room: the window is read again for the details left out.
    const second = await h.pull({ now: at('2026-12-05T13:15:00Z'), settings, remainingMs: () => 600_000 });
    expect(second.rereads).toEqual([
      expect.objectContaining({ key: KEY_10, reason: 'unsettled', unchanged: true }),
      expect.objectContaining({
        key: KEY_10,
        reason: 'details',
        details: 2,
        detailsLeftOut: 0,
        written: true,
      }),
    ]);
    // Only the pending trace's details: the failed one's were stored by the first read.
    expect(
      h.graph.log.filter((e) => e.path.includes(`getDetails`) && e.path.includes(failed.id)),
    ).toHaveLength(1);
    // In the file's order: Graph listed the pending trace first.
    expect((await h.findings()).found).toEqual([
      ['orders@adatum.com', 'alerts@contoso.com', 'wrong-region', 'ATTR35'],
      ['vendor@adatum.com', 'alerts@app.fabrikam.com', 'foreign-sender-domain', 'ATTR36'],
    ]);
  });

  it('a re-read that fails is a warning: the window stays on the list and the new hour is still pulled', async () => {
    const stuck = graphTrace(1, '2026-12-05T10:20:00Z', 'app@contoso.com', 'ops@adatum.com', 'Pending');
    const h = await start([stuck], {});
    await h.pull({ now: at('2026-12-05T11:15:00Z') });
    h.graph.fault = (url) =>
      url.searchParams.get('$filter') === FILTER_10
        ? { status: 400, body: { error: { code: 'BadRequest', message: 'Invalid filter.' } } }
        : undefined;
    const result = await h.pull({ now: at('2026-12-05T12:15:00Z') });
    expect(result.rereads).toEqual([]);
    expect(result.rereadsLeft).toBe(1);
    expect(result.cursor).toBe('2026-12-05T12:00:00.000Z');
    expect(h.warnings).toEqual([
      [
        'message trace re-read failed: the window stays on the re-read list',
        expect.objectContaining({ key: KEY_10, reason: 'unsettled', failure: 'BAD_REQUEST' }),
      ],
    ]);
    expect((await rereadsOf(h)).map(([from]) => from)).toContain('2026-12-05T10:00:00.000Z');
  });

  it('a trace Graph repeats across pages is written and asked for once', async () => {
    const t1 = graphTrace(
      1,
      '2026-12-05T10:05:00Z',
      'alerts@app.fabrikam.com',
      'vendor@adatum.com',
      'Failed',
    );
    const t2 = graphTrace(2, '2026-12-05T10:06:00Z', 'kate@contoso.com', 'lee@contoso.com', 'Delivered');
    const t3 = graphTrace(3, '2026-12-05T10:07:00Z', 'scan@app.fabrikam.com', 'orders@adatum.com', 'Failed');
    const h = await start([t1, t2, t3], { [t1.id]: refusedDetails(t1), [t3.id]: refusedDetails(t3) }, 2);
    // The second page repeats the first row, as offset paging over a growing set does.
    h.graph.rewritePage = (page, url) =>
      url.searchParams.has('$skiptoken') ? { ...page, value: [t1, ...(page.value as unknown[])] } : page;

    const result = await h.pull({ now: at('2026-12-05T11:15:00Z') });
    expect(result.windows).toEqual([
      { key: KEY_10, traces: 3, details: 4, detailsLeftOut: 0, written: true },
    ]);
    expect(h.graph.log.filter((e) => e.path.includes('getDetails'))).toHaveLength(2);
    expect(await h.findings()).toEqual({
      found: [
        ['vendor@adatum.com', 'alerts@app.fabrikam.com', 'foreign-sender-domain', 'ATTR36'],
        ['orders@adatum.com', 'scan@app.fabrikam.com', 'foreign-sender-domain', 'ATTR36'],
      ],
      unexplained: 0,
    });
  });
});
