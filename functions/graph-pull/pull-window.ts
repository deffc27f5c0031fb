/**
 * One window of message trace, as one file the analysis reads (the "message trace as JSON" format,
 * formats/message-trace-json.ts): a Graph page whose `value` holds each trace record followed by
 * the per-recipient detail records of the traces that can show a refusal. Detail records get the
 * recipient, trace id and sender written into them, so the file does not depend on how Graph
 * shapes the `@odata.context` of a detail page.
 */
import type { GraphClient } from './graph-client.js';
import type { TraceWindow } from './trace-window.js';

/** Largest page Graph allows (default 1000): fewer pages, fewer requests from the budget. */
const PAGE_SIZE = 5000;

/** Trace statuses whose details can hold a refusal or a deferral (5.7.64, 4.4.62). */
const STATUSES_WITH_DETAILS: ReadonlySet<string> = new Set(['failed', 'pending']);

export interface WindowResult {
  /** The file's text; `undefined` when the window had no traces (nothing to analyse). */
  readonly body: string | undefined;
  readonly traces: number;
  readonly details: number;
  /** Traces that needed details beyond the window's detail cap: kept as trace records only. */
  readonly detailsLeftOut: number;
}

export interface PullWindowOptions {
  /** e.g. `https://graph.microsoft.com/beta`. */
  readonly graphBase: string;
  /** Detail requests per window at most, so one window fits a run (see run-pull.ts). */
  readonly maxDetails: number;
}

/** The `$filter` of a window: `receivedDateTime` supports `ge` and `le` (both inclusive). */
export function windowFilter(window: TraceWindow): string {
  return `receivedDateTime ge ${window.from.toISOString()} and receivedDateTime le ${window.to.toISOString()}`;
}

/** OData string literal: a quote inside is doubled. */
const odataString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** Pulls the traces of `window` and the details of those that may show a refusal. */
export async function pullWindow(
  client: GraphClient,
  window: TraceWindow,
  options: PullWindowOptions,
): Promise<WindowResult> {
  const base = options.graphBase.replace(/\/$/, '');
  const listUrl = `${base}/admin/exchange/tracing/messageTraces?$filter=${encodeURIComponent(windowFilter(window))}&$top=${PAGE_SIZE}`;
  const listed = await client.all(listUrl);
  // `le` includes the end: a trace received exactly at `to` belongs to the next window.
  const traces = listed.records.filter((trace) => {
    const received = Date.parse(String(trace.receivedDateTime ?? ''));
    return !(received >= window.to.getTime());
  });
  if (traces.length === 0) return { body: undefined, traces: 0, details: 0, detailsLeftOut: 0 };

  const value: Record<string, unknown>[] = [];
  let details = 0;
  let detailRequests = 0;
  let detailsLeftOut = 0;
  for (const trace of traces) {
    value.push(trace);
    const id = typeof trace.id === 'string' ? trace.id : undefined;
    const recipient = typeof trace.recipientAddress === 'string' ? trace.recipientAddress : undefined;
    const status = String(trace.status ?? '').toLowerCase();
    if (id === undefined || recipient === undefined || !STATUSES_WITH_DETAILS.has(status)) continue;
    if (detailRequests >= options.maxDetails) {
      detailsLeftOut++;
      continue;
    }
    detailRequests++;
    const detailUrl = `${base}/admin/exchange/tracing/messageTraces/${encodeURIComponent(id)}/getDetailsByRecipient(recipientAddress=${encodeURIComponent(odataString(recipient))})`;
    const { records } = await client.all(detailUrl);
    for (const record of records) {
      value.push({
        recipientAddress: recipient,
        messageTraceId: id,
        senderAddress: trace.senderAddress,
        ...record,
      });
      details++;
    }
  }
  // One record per line, so a finding's line number points at its record.
  const body = [
    `{"@odata.context":${JSON.stringify(`${base}/$metadata#admin/exchange/tracing/messageTraces`)},`,
    `"@relayAudit.window":${JSON.stringify(`${window.from.toISOString()}/${window.to.toISOString()}`)},`,
    '"value":[',
    value.map((record) => JSON.stringify(record)).join(',\n'),
    ']}',
    '',
  ].join('\n');
  return { body, traces: traces.length, details, detailsLeftOut };
}
