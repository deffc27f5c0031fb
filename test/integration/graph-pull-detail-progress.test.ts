/**
 * An hour with more failed traces than one run can detail (an NDR storm, a relay refusing everything)
 * completes over several runs (functions/graph-pull/detail-progress.ts): each run details traces no
 * earlier run stored, failed first, within its budget and time; every refusal becomes a finding, each
 * detail is asked once, and the hour leaves the re-read list once all are detailed. Against the local
 * Graph and s3rver, the written files analysed by the real analysis.
 */
import { describe, expect, it } from 'vitest';
import { REREAD_HORIZON_MS, SETTLE_DELAY_MS } from '../../functions/graph-pull/reread-list.js';
import type { PullResult } from '../../functions/graph-pull/run-pull.js';
import { harnessPerTest, type PullHarness } from '../support/graph-pull-harness.js';
import { type GraphDetail, type GraphTrace, graphTrace, refusedDetails } from '../support/local-graph.js';

const KEY_10 = 'incoming/graph/20261205T100000Z_20261205T110000Z.json';
const FROM_10 = '2026-12-05T10:00:00.000Z';
const STORM = 120;
/**
 * 25 details per window at its first pull; 30 requests per 5 minutes and a run with one budget
 * window of time (380 s, less the end margin) leave room for 25 detail requests per re-read.
 */
const SETTINGS = { maxDetailsPerWindow: 25, requestLimit: 30 };
const ROOMY = 380_000;

/** 120 refusals of one relay between 10:00 and 11:00, one recipient each. */
function storm(): { traces: GraphTrace[]; details: Record<string, GraphDetail[]> } {
  const traces = Array.from({ length: STORM }, (_, i) => {
    const at = new Date(Date.parse('2026-12-05T10:00:10Z') + i * 29_000).toISOString().replace('.000Z', 'Z');
    return graphTrace(i + 1, at, 'alerts@app.fabrikam.com', `vendor${i + 1}@adatum.com`, 'Failed');
  });
  return { traces, details: Object.fromEntries(traces.map((t) => [t.id, refusedDetails(t)])) };
}

const startHarness = harnessPerTest();

/** The storm's hour not pulled yet. */
async function start(): Promise<PullHarness> {
  const { traces, details } = storm();
  return startHarness(traces, details);
}

/** The runs are minutes apart: the requests of the last one have left the 5-minute budget window. */
async function budgetWindowPassed(h: PullHarness): Promise<void> {
  await h.setCursor({ ...(await h.cursor()), recentRequests: [] });
}

const detailRequests = (h: PullHarness): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const entry of h.graph.log.filter((e) => e.path.includes('/getDetailsByRecipient'))) {
    const id = /messageTraces\/([^/]+)\//.exec(entry.path)?.[1] ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
};

const onList = async (h: PullHarness): Promise<boolean> =>
  ((await h.cursor()).rereads as { from: string }[]).some((w) => w.from === FROM_10);

/** Runs every 5 minutes from 11:20 until nothing is left out (at most `runs`). */
async function runUntilDetailed(
  h: PullHarness,
  runs: number,
  remainingMs: () => number = () => ROOMY,
): Promise<PullResult[]> {
  const results: PullResult[] = [];
  for (let run = 0; run < runs; run++) {
    await budgetWindowPassed(h);
    const now = new Date(Date.parse('2026-12-05T11:20:00Z') + run * 5 * 60_000);
    results.push(await h.pull({ now, settings: SETTINGS, remainingMs }));
    const list = (await h.cursor()).rereads as { from: string; detailsLeftOut: number }[];
    if ((list.find((w) => w.from === FROM_10)?.detailsLeftOut ?? 0) === 0) break;
  }
  return results;
}

async function expectEveryRefusalFound(h: PullHarness): Promise<void> {
  const { found, unexplained } = await h.findings();
  expect(new Set(found.map(([recipient]) => recipient)).size).toBe(STORM);
  expect(
    found.every(([, , scenario, attr]) => scenario === 'foreign-sender-domain' && attr === 'ATTR36'),
  ).toBe(true);
  expect(unexplained).toBe(0);
}

/** The read after the settle delay finds nothing new and the hour leaves the list. */
async function expectLeavesList(h: PullHarness): Promise<void> {
  await budgetWindowPassed(h);
  const settle = await h.pull({
    now: new Date(Date.parse('2026-12-05T11:00:00Z') + SETTLE_DELAY_MS + 5 * 60_000),
    settings: SETTINGS,
    remainingMs: () => ROOMY,
  });
  expect(settle.rereads).toContainEqual(
    expect.objectContaining({ key: KEY_10, reason: 'late', unchanged: true, written: false }),
  );
  expect(await onList(h)).toBe(false);
  expect(h.warnings.map(([message]) => message)).not.toContain(
    'message trace window left the re-read list before it settled',
  );
}

describe('an hour with more failed traces than one run can detail', () => {
  it('completes over several runs: each refusal is a finding, each detail asked once, and the hour leaves the list', async () => {
    const h = await start();

    const first = await h.pull({
      now: new Date('2026-12-05T11:15:00Z'),
      settings: SETTINGS,
      remainingMs: () => ROOMY,
    });
    expect(first.windows).toEqual([
      { key: KEY_10, traces: STORM, details: 50, detailsLeftOut: STORM - 25, written: true },
    ]);

    const runs = await runUntilDetailed(h, 8);
    // 95 left out, 25 a run: four runs, each asking only traces not detailed before.
    expect(runs.map((r) => r.rereads.map((w) => [w.key, w.reason, w.details / 2, w.detailsLeftOut]))).toEqual(
      [
        [[KEY_10, 'details', 25, 70]],
        [[KEY_10, 'details', 25, 45]],
        [[KEY_10, 'details', 25, 20]],
        [[KEY_10, 'details', 20, 0]],
      ],
    );
    const requests = detailRequests(h);
    expect(requests.size).toBe(STORM);
    expect([...requests.values()].every((n) => n === 1)).toBe(true);
    await expectEveryRefusalFound(h);
    expect(await onList(h)).toBe(true); // the read for late traces is still owed
    await expectLeavesList(h);
    expect(detailRequests(h).size).toBe(STORM);
    expect([...detailRequests(h).values()].every((n) => n === 1)).toBe(true);
  });

  it('a run stopped by its time budget in the middle of the details: the next runs still complete the hour', async () => {
    const h = await start();
    await h.pull({ now: new Date('2026-12-05T11:15:00Z'), settings: SETTINGS, remainingMs: () => ROOMY });
    await runUntilDetailed(h, 1);

    // The invocation's time runs out after the room was measured, the list and 9 details read.
    let calls = 0;
    const [stopped] = await runUntilDetailed(h, 1, () => (calls++ < 11 ? ROOMY : 60_000));
    expect(stopped?.stopped).toMatch(/would pass the end of the invocation/);
    expect(stopped?.rereadList).toBe(1);

    // The details read before the stop are in a detail file: none is asked again.
    expect(stopped?.rereads).toEqual([
      expect.objectContaining({
        key: KEY_10,
        reason: 'details',
        details: 18,
        detailsLeftOut: 61,
        written: true,
      }),
    ]);
    await runUntilDetailed(h, 8);
    await expectEveryRefusalFound(h);
    const requests = detailRequests(h);
    expect(requests.size).toBe(STORM);
    expect([...requests.values()].every((n) => n === 1)).toBe(true);
    await expectLeavesList(h);
  });

  it('an hour no run has room for leaves the list after the horizon, with a warning saying how many never got a detail', async () => {
    const h = await start();
    await h.pull({ now: new Date('2026-12-05T11:15:00Z'), settings: SETTINGS, remainingMs: () => ROOMY });
    await runUntilDetailed(h, 1);
    // Too little time for one budget window of details: nothing is asked, nothing is written.
    const cramped = await runUntilDetailed(h, 1, () => 200_000);
    expect(cramped[0]?.rereads).toEqual([]);
    await budgetWindowPassed(h);
    await h.pull({
      now: new Date(Date.parse('2026-12-05T11:00:00Z') + REREAD_HORIZON_MS + 10 * 60_000),
      settings: SETTINGS,
      remainingMs: () => 200_000,
    });
    expect(await onList(h)).toBe(false);
    expect(h.warnings).toContainEqual([
      'message trace window left the re-read list before it settled',
      expect.objectContaining({ key: KEY_10, unsettled: 0, detailsLeftOut: STORM - 50 }),
    ]);
    expect(detailRequests(h).size).toBe(50);
  });
});
