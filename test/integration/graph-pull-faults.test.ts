/**
 * What the trace pull does when Graph or the network fails, against the local Graph with faults:
 * transient failures are sent again within the budget; a wait the invocation has no time for ends
 * the run cleanly; a failure that lasts names the request and its window, says that later hours
 * wait and what to do; a trace whose details Graph cannot find does not hold its window; a cursor
 * older than Graph's 90 days moves to the oldest window Graph answers.
 */
import { describe, expect, it } from 'vitest';
import { GraphFailure, GraphPullError } from '../../functions/graph-pull/errors.js';
import { GraphClient } from '../../functions/graph-pull/graph-client.js';
import { RequestBudget } from '../../functions/graph-pull/request-budget.js';
import { GRAPH_TRACE_RETENTION_MS } from '../../functions/graph-pull/trace-window.js';
import { harnessPerTest, type PullHarness } from '../support/graph-pull-harness.js';
import { type GraphFault, graphTrace, refusedDetails } from '../support/local-graph.js';

const NOW = new Date('2026-12-05T12:15:00Z');
const WINDOW_10 = '2026-12-05T10:00:00.000Z/2026-12-05T11:00:00.000Z';
const KEY_10 = 'incoming/graph/20261205T100000Z_20261205T110000Z.json';
const KEY_11 = 'incoming/graph/20261205T110000Z_20261205T120000Z.json';
const TRACES = [
  graphTrace(1, '2026-12-05T10:05:00Z', 'alerts@app.fabrikam.com', 'vendor@adatum.com', 'Failed'),
  graphTrace(2, '2026-12-05T11:05:00Z', 'alerts@app.fabrikam.com', 'vendor2@adatum.com', 'Failed'),
];
const DETAILS = Object.fromEntries(TRACES.map((t) => [t.id, refusedDetails(t)]));
const graphError = (
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): GraphFault => ({
  status,
  body: { error: { code, message } },
  ...(headers === undefined ? {} : { headers }),
});
const isList = (url: URL) => url.searchParams.has('$filter');

const startHarness = harnessPerTest();

async function start(fault?: (url: URL, n: number) => GraphFault | undefined) {
  const harness = await startHarness(TRACES, DETAILS);
  harness.graph.fault = fault;
  return harness;
}

async function failure(h: PullHarness): Promise<GraphPullError> {
  const error = await h.pull({ now: NOW }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(GraphPullError);
  // Nothing was written and the cursor did not move: the same hour is asked next run.
  expect((await h.cursor()).cursor).toBe('2026-12-05T10:00:00.000Z');
  return error as GraphPullError;
}

describe('trace pull faults', () => {
  it('sends a 503 (after its Retry-After) and a reset connection again, each in the budget', async () => {
    let resets = 0;
    const h = await start((url, n) => {
      if (n === 1)
        return graphError(503, 'ServiceUnavailable', 'Service Unavailable', { 'retry-after': '10' });
      if (url.pathname.includes('getDetails') && resets++ === 0) return 'reset';
      return undefined;
    });
    const result = await h.pull({ now: NOW });
    expect(result.windows.map((w) => [w.key, w.details])).toEqual([
      [KEY_10, 2],
      [KEY_11, 2],
    ]);
    expect(result).toMatchObject({ retried: 2, requests: 6, cursor: '2026-12-05T12:00:00.000Z' });
    expect(h.waits).toEqual([10_000, 2_000]);
    expect(((await h.cursor()).recentRequests as number[]).length).toBe(6);
  });

  it('a 5xx that lasts fails naming the request and its window, and says the later hours wait', async () => {
    const h = await start((url) =>
      isList(url) ? graphError(500, 'InternalServerError', 'boom') : undefined,
    );
    const error = await failure(h);
    expect(error.failure).toBe(GraphFailure.ServerError);
    expect(error.message).toContain(`the trace list of window ${WINDOW_10}`);
    expect(error.message).toContain('HTTP 500 (5 attempts) InternalServerError: boom');
    expect(error.message).toContain('every later hour wait until it succeeds');
    expect(error.cause).toBeInstanceOf(GraphPullError);
    expect(h.waits).toEqual([2_000, 4_000, 8_000, 16_000]);
  });

  it('a connection that keeps being reset fails as NETWORK with its cause, naming the request', async () => {
    const h = await start((url) => (url.pathname.includes('getDetails') ? 'reset' : undefined));
    const error = await failure(h);
    expect(error.failure).toBe(GraphFailure.Network);
    expect(error.message).toMatch(
      /^the details of trace 10000000-.* for vendor@adatum\.com in window 2026-12-05T10:00/,
    );
    expect(error.message).toContain('got no answer in 5 attempts: fetch failed');
    expect(error.message).not.toMatch(/^TypeError/);
  });

  it('401 after a new token: the error points at the service principal (set-up step 4)', async () => {
    const h = await start(() =>
      graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure.'),
    );
    const error = await failure(h);
    expect(error.failure).toBe(GraphFailure.Unauthorized);
    expect(error.message).toContain(
      '8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 must exist in the tenant (set-up step 4)',
    );
    expect(error.message).toContain('takes hours to spread');
    expect(error.message).toContain('The cursor stays at 2026-12-05T10:00:00.000Z');
  });

  it('403: the error names the application permission and admin consent', async () => {
    const h = await start(() =>
      graphError(
        403,
        'Forbidden',
        "Missing role permissions on the request. API requires one of 'ExchangeMessageTrace.Read.All'.",
      ),
    );
    const error = await failure(h);
    expect(error.failure).toBe(GraphFailure.Forbidden);
    expect(error.message).toContain(
      'application permission ExchangeMessageTrace.Read.All and grant admin consent',
    );
  });

  it('a Retry-After longer than the time left ends the run cleanly: the hour done stays done', async () => {
    const h = await start((url) =>
      isList(url) && url.searchParams.get('$filter')?.includes('ge 2026-12-05T11:00')
        ? graphError(429, 'TooManyRequests', 'Too many requests', { 'retry-after': '600' })
        : undefined,
    );
    const result = await h.pull({
      now: NOW,
      settings: { maxDetailsPerWindow: 5 },
      remainingMs: () => 400_000,
    });
    expect(result.windows.map((w) => w.key)).toEqual([KEY_10]);
    expect(result.windowsLeft).toBe(1);
    expect(result.stopped).toMatch(
      /^waiting 600 s for Retry-After of a 429 to the trace list of window 2026-12-05T11:00.* would pass the end of the invocation \(400 s left\)$/,
    );
    expect(h.waits).toEqual([]);
    expect((await h.cursor()).cursor).toBe('2026-12-05T11:00:00.000Z');
    expect(h.warnings).toContainEqual([
      'message trace pull stopped early: the rest waits for the next run',
      { reason: result.stopped },
    ]);
  });

  it('a trace whose details Graph cannot find stays without them, and its window does not hold the later hours', async () => {
    const h = await start((url) =>
      url.pathname.includes(`${TRACES[0]?.id}/getDetails`)
        ? graphError(404, 'ResourceNotFound', 'Resource not found.')
        : undefined,
    );
    const result = await h.pull({ now: NOW });
    expect(result.windows).toEqual([
      { key: KEY_10, traces: 1, details: 0, detailsLeftOut: 0, written: true },
      { key: KEY_11, traces: 1, details: 2, detailsLeftOut: 0, written: true },
    ]);
    expect(result.cursor).toBe('2026-12-05T12:00:00.000Z');
    expect(h.warnings).toEqual([
      [
        'trace details not found: the traces stay in the file without them',
        {
          key: KEY_10,
          traces: [
            expect.objectContaining({
              id: TRACES[0]?.id,
              recipient: 'vendor@adatum.com',
              error: expect.stringContaining('HTTP 404'),
            }),
          ],
        },
      ],
    ]);
    // The analysis counts it as a failure without its reason.
    expect(await h.findings()).toEqual({
      found: [['vendor2@adatum.com', 'alerts@app.fabrikam.com', 'foreign-sender-domain', 'ATTR36']],
      unexplained: 1,
    });
  });

  it('a cursor older than Graph answers moves to the oldest window Graph answers, and the warning names the hours skipped', async () => {
    const h = await start();
    h.graph.oldestAnswered = new Date(NOW.getTime() - GRAPH_TRACE_RETENTION_MS);
    await h.setCursor({ cursor: '2026-08-01T10:00:00.000Z' });
    // Graph answers from 2026-09-06T12:15 on; the pull starts a window inside that. Time for one
    // window only: the point is which window comes first.
    const result = await h.pull({ now: NOW, remainingMs: () => 200_000 });
    expect(result.windows.map((w) => w.key)).toEqual([
      'incoming/graph/20260906T140000Z_20260906T150000Z.json',
    ]);
    expect(h.warnings).toEqual([
      [
        'message trace cursor older than Graph answers (90 days): hours skipped',
        { skippedFrom: '2026-08-01T10:00:00.000Z', skippedTo: '2026-09-06T14:00:00.000Z', hoursSkipped: 868 },
      ],
    ]);
    expect((await h.cursor()).cursor).toBe('2026-09-06T15:00:00.000Z');
  });

  it('a request left unanswered times out and is sent again; one that never answers fails as TIMEOUT', async () => {
    const h = await start(() => 'no-answer');
    const client = new GraphClient({
      tokens: h.tokens,
      budget: new RequestBudget({ limit: 80, windowMs: 300_000 }),
      sleep: async () => {},
      requestTimeoutMs: 200,
    });
    const error = await client
      .page(`${h.graph.graphBase}/admin/exchange/tracing/messageTraces`, 'the trace list')
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(GraphPullError);
    expect((error as GraphPullError).failure).toBe(GraphFailure.Timeout);
    expect((error as GraphPullError).message).toBe(
      'the trace list (GET /v1.0/admin/exchange/tracing/messageTraces) got no answer in 5 attempts: no answer in 0.2 s',
    );
    expect(client.counts).toMatchObject({ requests: 5, retried: 4 });
  });
});
