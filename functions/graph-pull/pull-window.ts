/**
 * One window of message trace, as one file the analysis reads (the "message trace as JSON" format,
 * formats/message-trace-json.ts): a Graph page whose `value` holds each trace record followed by
 * the per-recipient detail records of the traces that can show a refusal. Detail records get the
 * recipient, trace id and sender written into them, so the file does not depend on how Graph
 * shapes the `@odata.context` of a detail page.
 *
 * The same window is read again later (reread-list.ts): the result says how many of its traces
 * have not settled yet and gives a digest of what Graph listed, so an unchanged re-read costs one
 * request and writes nothing. A re-read for the details the cap left out makes a detail file in the
 * same format, of the traces it detailed only (detail-progress.ts).
 */
import { createHash } from 'node:crypto';
import { traceDigest } from './detail-progress.js';
import { GraphFailure, GraphPullError, isOutOfTime } from './errors.js';
import type { GraphClient } from './graph-client.js';
import type { TraceWindow } from './trace-window.js';

/** Largest page Graph allows (default 1000): fewer pages, fewer requests from the budget. */
const PAGE_SIZE = 5000;

/**
 * Trace statuses whose details can hold a refusal or a deferral (5.7.64, 4.4.62), in the order
 * their details are asked when the window has more of them than its detail cap: `failed` first.
 * A failed trace is the refusal the audit is for and is final, so its details, once read, are
 * complete; a pending one is still being retried, keeps its window on the re-read list until it
 * settles (as failed, it is then asked first), and its deferral is usually read again with it.
 */
const STATUSES_WITH_DETAILS: readonly string[] = ['failed', 'pending'];

/**
 * Statuses that do not change any more (Get-MessageTraceV2's documented values). Any other —
 * `gettingStatus`, `pending`, a value this code does not know — may still turn into `failed`.
 */
const FINAL_STATUSES: ReadonlySet<string> = new Set([
  'delivered',
  'expanded',
  'failed',
  'filteredasspam',
  'quarantined',
  'none',
]);

/** A trace whose details could not be read (404, 400): kept in the file as its trace record only. */
export interface MissingDetail {
  readonly id: string;
  readonly recipient: string;
  readonly error: string;
}

export interface WindowResult {
  /** The file's text; `undefined` when the window has no traces or did not change (`unchanged`). */
  readonly body: string | undefined;
  /** The listing was the same as `previousListing`: no details asked, no file to write. */
  readonly unchanged: boolean;
  /** Digest of the trace records Graph listed (in no particular order). */
  readonly listing: string;
  readonly traces: number;
  /** Traces in a status that may still change (see {@link FINAL_STATUSES}). */
  readonly unsettled: number;
  readonly details: number;
  /** Detail requests asked (one per trace, its pages aside). */
  readonly detailsAsked: number;
  /** Traces that needed details beyond the window's detail cap: kept as trace records only. */
  readonly detailsLeftOut: number;
  /**
   * Digests of the traces asked whose status is final: their details are complete
   * (detail-progress.ts). Absent: none.
   */
  readonly detailed?: readonly string[];
  readonly detailsMissing: readonly MissingDetail[];
  /**
   * A detail file's read that the invocation's time ended: the file holds the details read before
   * it (the rest counts as left out), and the run ends with this error once the file is written.
   */
  readonly interrupted?: GraphPullError;
}

export interface PullWindowOptions {
  /** e.g. `https://graph.microsoft.com/beta`. */
  readonly graphBase: string;
  /** Detail requests for this window at most, so it fits a run (see run-pull.ts). */
  readonly maxDetails: number;
  /** The listing digest of the last read: when Graph lists the same, details are not asked again. */
  readonly previousListing?: string | undefined;
  /** Digests of traces whose details are stored already: not asked, not left out. */
  readonly detailedBefore?: ReadonlySet<string>;
  /**
   * A detail file (detail-progress.ts): the body holds only the traces asked, each with its
   * details, and there is none when no trace was asked.
   */
  readonly detailFile?: boolean;
}

/** The `$filter` of a window: `receivedDateTime` supports `ge` and `le` (both inclusive). */
export function windowFilter(window: TraceWindow): string {
  return `receivedDateTime ge ${window.from.toISOString()} and receivedDateTime le ${window.to.toISOString()}`;
}

/** `2026-12-05T10:00:00.000Z/2026-12-05T11:00:00.000Z`: how files and errors name a window. */
export const windowName = (window: TraceWindow): string =>
  `${window.from.toISOString()}/${window.to.toISOString()}`;

/** OData string literal: a quote inside is doubled. */
const odataString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const statusOf = (trace: Record<string, unknown>): string => String(trace.status ?? '').toLowerCase();

/** Pulls the traces of `window` and the details of those that may show a refusal. */
export async function pullWindow(
  client: GraphClient,
  window: TraceWindow,
  options: PullWindowOptions,
): Promise<WindowResult> {
  const base = options.graphBase.replace(/\/$/, '');
  const listUrl = `${base}/admin/exchange/tracing/messageTraces?$filter=${encodeURIComponent(windowFilter(window))}&$top=${PAGE_SIZE}`;
  const listed = await client.all(listUrl, `the trace list of window ${windowName(window)}`);
  const traces = uniqueTraces(listed.records, window);
  const listing = listingDigest(traces);
  const unsettled = traces.filter((trace) => !FINAL_STATUSES.has(statusOf(trace))).length;
  const counts = { listing, traces: traces.length, unsettled };
  const nothing = { details: 0, detailsAsked: 0, detailsLeftOut: 0, detailed: [], detailsMissing: [] };
  if (options.previousListing === listing) return { body: undefined, unchanged: true, ...counts, ...nothing };
  if (traces.length === 0) return { body: undefined, unchanged: false, ...counts, ...nothing };

  const wanted = traces
    .filter((trace) => text(trace.id) !== undefined && text(trace.recipientAddress) !== undefined)
    .filter((trace) => STATUSES_WITH_DETAILS.includes(statusOf(trace)))
    .filter((trace) => options.detailedBefore?.has(digestOf(trace)) !== true)
    .sort(detailOrder);
  const asked = wanted.slice(0, Math.max(0, options.maxDetails));
  if (options.detailFile === true && asked.length === 0)
    return { ...nothing, ...counts, detailsLeftOut: wanted.length, body: undefined, unchanged: false };
  const detailsOf = new Map<Record<string, unknown>, Record<string, unknown>[]>();
  const detailsMissing: MissingDetail[] = [];
  let details = 0;
  let interrupted: GraphPullError | undefined;
  let answered = 0;
  for (const trace of asked) {
    const id = text(trace.id) ?? '';
    const recipient = text(trace.recipientAddress) ?? '';
    const detailUrl = `${base}/admin/exchange/tracing/messageTraces/${encodeURIComponent(id)}/getDetailsByRecipient(recipientAddress=${encodeURIComponent(odataString(recipient))})`;
    let records: Record<string, unknown>[];
    try {
      ({ records } = await client.all(
        detailUrl,
        `the details of trace ${id} for ${recipient} in window ${windowName(window)}`,
      ));
    } catch (error) {
      // A detail file keeps what the invocation had time for: the next run asks the rest.
      if (options.detailFile === true && isOutOfTime(error)) {
        interrupted = error;
        break;
      }
      // This trace's details cannot be had (it is gone, or Graph refuses its address): the trace
      // record stays, counted by the analysis as a failure without its reason, and the window
      // goes on rather than stalling every later hour on one trace.
      if (!(error instanceof GraphPullError) || !PER_TRACE_FAILURES.has(error.failure)) throw error;
      detailsMissing.push({ id, recipient, error: error.message });
      answered++;
      continue;
    }
    detailsOf.set(
      trace,
      records.map((record) => ({
        recipientAddress: recipient,
        messageTraceId: id,
        senderAddress: trace.senderAddress,
        ...record,
      })),
    );
    details += records.length;
    answered++;
  }
  const read = asked.slice(0, answered);
  if (interrupted !== undefined && read.length === 0) throw interrupted;
  // One record per line, so a finding's line number points at its record; each trace is followed
  // by its details.
  const readSet = new Set(read);
  const inFile = options.detailFile === true ? traces.filter((trace) => readSet.has(trace)) : traces;
  const value = inFile.flatMap((trace) => [trace, ...(detailsOf.get(trace) ?? [])]);
  const body = [
    `{"@odata.context":${JSON.stringify(`${base}/$metadata#admin/exchange/tracing/messageTraces`)},`,
    `"@relayAudit.window":${JSON.stringify(windowName(window))},`,
    '"value":[',
    value.map((record) => JSON.stringify(record)).join(',\n'),
    ']}',
    '',
  ].join('\n');
  return {
    body,
    unchanged: false,
    ...counts,
    details,
    detailsAsked: read.length,
    detailsLeftOut: wanted.length - read.length,
    detailed: read.filter((trace) => FINAL_STATUSES.has(statusOf(trace))).map(digestOf),
    detailsMissing,
    ...(interrupted === undefined ? {} : { interrupted }),
  };
}

const digestOf = (trace: Record<string, unknown>): string =>
  traceDigest(text(trace.id) ?? '', text(trace.recipientAddress) ?? '');

/** Detail failures that are the trace's own, not the tenant's or the service's. */
const PER_TRACE_FAILURES: ReadonlySet<string> = new Set([GraphFailure.NotFound, GraphFailure.BadRequest]);

/**
 * The window's traces, each once: offset paging over a set that grows while it is read can repeat
 * a row at the head of the next page. A trace is one recipient's (the id is shared by a message's
 * recipients); a repeat keeps its first place and its latest content.
 */
function uniqueTraces(records: Record<string, unknown>[], window: TraceWindow): Record<string, unknown>[] {
  const byKey = new Map<string, Record<string, unknown>>();
  for (const [index, trace] of records.entries()) {
    // `le` includes the end: a trace received exactly at `to` belongs to the next window.
    if (Date.parse(String(trace.receivedDateTime ?? '')) >= window.to.getTime()) continue;
    const id = text(trace.id);
    const recipient = text(trace.recipientAddress);
    const key =
      id === undefined || recipient === undefined ? `#${index}` : `${id}\u0000${recipient.toLowerCase()}`;
    byKey.set(key, trace);
  }
  return [...byKey.values()];
}

/** `failed` before `pending`, then by time, id and recipient: a larger cap asks a superset. */
function detailOrder(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const rank = STATUSES_WITH_DETAILS.indexOf(statusOf(a)) - STATUSES_WITH_DETAILS.indexOf(statusOf(b));
  if (rank !== 0) return rank;
  const key = (trace: Record<string, unknown>) =>
    `${String(trace.receivedDateTime ?? '')}\u0000${text(trace.id) ?? ''}\u0000${text(trace.recipientAddress) ?? ''}`;
  const [x, y] = [key(a), key(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** SHA-256 of the trace records, sorted, so Graph's order of the same rows does not count as a change. */
function listingDigest(traces: Record<string, unknown>[]): string {
  const lines = traces.map((trace) => JSON.stringify(trace)).sort();
  return createHash('sha256').update(lines.join('\n')).digest('base64url');
}
