/**
 * Which windows of message trace a run pulls, and where each is written. Windows are aligned to
 * whole multiples of their length (an hour by default) and end at least `lag` before now, so a
 * rerun of the same window asks Graph the same question and writes the same key — the ingest then
 * re-analyses it without counting anything twice.
 */
import { GRAPH_TRACE_PREFIX } from '../runtime/bucket-layout.js';

export interface TraceWindow {
  readonly from: Date;
  readonly to: Date;
}

export interface WindowPlan {
  /** Events can reach message trace minutes after they happened: windows end this long before now. */
  readonly lagMs: number;
  readonly windowMs: number;
  /** Without a cursor (the first run), how far back the pull starts. */
  readonly firstLookBackMs: number;
}

/**
 * How far back Graph's message trace answers: "the last 90 days" (Microsoft Learn, "Graph-based
 * message trace API onboarding guide"); an older start date is refused with a 400.
 */
export const GRAPH_TRACE_RETENTION_MS = 90 * 24 * 3_600_000;

/**
 * The start of the oldest window Graph still answers at `now`: one window inside the 90 days, so
 * the window is still inside them when its requests (and a run's waits) reach Graph.
 */
export function oldestAnswerableStart(now: Date, plan: WindowPlan): Date {
  const limit = now.getTime() - GRAPH_TRACE_RETENTION_MS + plan.windowMs;
  return new Date(Math.ceil(limit / plan.windowMs) * plan.windowMs);
}

/** The windows from the cursor up to `now − lag`, oldest first. */
export function windowsToPull(cursor: Date | undefined, now: Date, plan: WindowPlan): TraceWindow[] {
  const end = Math.floor((now.getTime() - plan.lagMs) / plan.windowMs) * plan.windowMs;
  const start =
    cursor === undefined
      ? end - Math.ceil(plan.firstLookBackMs / plan.windowMs) * plan.windowMs
      : Math.floor(cursor.getTime() / plan.windowMs) * plan.windowMs;
  const windows: TraceWindow[] = [];
  for (let from = start; from + plan.windowMs <= end; from += plan.windowMs) {
    windows.push({ from: new Date(from), to: new Date(from + plan.windowMs) });
  }
  return windows;
}

/** `20261205T170000Z`: sortable, and without the colons some tools dislike in keys. */
const compact = (date: Date): string =>
  date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');

/** Where a window's file goes: under `incoming/`, so the normal ingest analyses it. */
export function windowKey(window: TraceWindow): string {
  return `${GRAPH_TRACE_PREFIX}${compact(window.from)}_${compact(window.to)}.json`;
}
