/**
 * One scheduled run: read the cursor; read again the written windows that owe it (reread-list.ts),
 * oldest first; pull each new whole window since the cursor (oldest first), write its file under
 * `incoming/graph/`, then move the cursor past it; last, with the room left, read again the windows
 * whose detail cap left details out, for the traces no earlier run detailed, into a detail file of
 * their own (detail-progress.ts), so such an hour completes over several runs. All share the
 * request budget and the invocation's time: a window is started only while the run has time for
 * its worst case, a wait the invocation has no time for ends the run cleanly (what is done stays
 * done — a detail file keeps the details read before — the rest is owed to the next run), and the
 * cursor never moves past a new window that was not written.
 *
 * New windows fail loudly: one that Graph keeps refusing holds every later hour back, and the error
 * says so and what to do. A failed re-read is a warning: its window stays on the list.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../runtime/logger.js';
import type { CursorStore, RereadWindow } from './cursor-store.js';
import { detailFileKey } from './detail-progress.js';
import { GraphPullError, isOutOfTime } from './errors.js';
import { adviceFor } from './failure-advice.js';
import { END_MARGIN_MS, GraphClient } from './graph-client.js';
import { pullWindow, type WindowResult } from './pull-window.js';
import { RequestBudget } from './request-budget.js';
import { afterDetailRead, afterRead, detailedSoFar, planRereads, type RereadReason } from './reread-list.js';
import type { TokenSource } from './token-source.js';
import {
  oldestAnswerableStart,
  type TraceWindow,
  type WindowPlan,
  windowKey,
  windowsToPull,
} from './trace-window.js';

/**
 * The documented budget (Exchange Team Blog, "Message Trace Support Using Graph API is now in
 * Public Preview", 22 January 2026): 100 requests per tenant in a rolling 5-minute window, shared
 * by message trace and message trace detail.
 */
export const DOCUMENTED_BUDGET = { limit: 100, windowMs: 5 * 60_000 } as const;

/** Trace pages a window's worst case counts besides its detail requests. */
const PAGE_RESERVE = 5;

export interface PullSettings extends WindowPlan {
  readonly graphBase: string;
  /** Requests this function may send per 5 minutes (≤ 100: the rest stays for admins' own traces). */
  readonly requestLimit: number;
  readonly maxDetailsPerWindow: number;
}

export interface PullDependencies {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly cursor: CursorStore;
  readonly tokens: TokenSource;
  readonly logger: Logger;
  readonly settings: PullSettings;
  readonly now?: () => Date;
  /** Milliseconds left in the invocation (Lambda's `getRemainingTimeInMillis`). */
  readonly remainingMs?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface WindowReport {
  key: string;
  traces: number;
  details: number;
  detailsLeftOut: number;
  written: boolean;
}

export interface RereadReport extends WindowReport {
  reason: RereadReason;
  /** Traces not settled yet at this read. */
  unsettled: number;
  /** Graph listed the same as last time: no details asked, nothing written. */
  unchanged: boolean;
  /** Reason `details`: the detail file this read writes (when `written`) in place of the window's file. */
  file?: string;
}

export interface PullResult {
  /** New windows pulled (the cursor moved past each). */
  windows: WindowReport[];
  /** Written windows read again. */
  rereads: RereadReport[];
  cursor: string | null;
  requests: number;
  throttled: number;
  reauthenticated: number;
  /** 5xx answers and requests without an answer, sent again. */
  retried: number;
  /** New windows due but left for the next run (not enough time, or the run stopped). */
  windowsLeft: number;
  /** Re-reads owed but left for the next run. */
  rereadsLeft: number;
  /** Windows on the re-read list after this run. */
  rereadList: number;
  /** Why the run ended before its work was done; `null` when it was not cut short. */
  stopped: string | null;
}

/**
 * The longest one window can take with `cap` detail requests: those plus a few trace pages, at
 * the budget's pace (a full budget is spent at once, then waits a whole budget window).
 */
export function worstCaseWindowMs(settings: PullSettings, cap = settings.maxDetailsPerWindow): number {
  const requests = cap + PAGE_RESERVE;
  return Math.ceil(requests / budgetLimit(settings)) * DOCUMENTED_BUDGET.windowMs;
}

/** The inverse of {@link worstCaseWindowMs}: detail requests that fit in `ms`. */
export function detailsThatFit(settings: PullSettings, ms: number): number {
  return Math.floor(ms / DOCUMENTED_BUDGET.windowMs) * budgetLimit(settings) - PAGE_RESERVE;
}

const budgetLimit = (settings: PullSettings): number =>
  Math.min(settings.requestLimit, DOCUMENTED_BUDGET.limit);

export async function runPull(deps: PullDependencies): Promise<PullResult> {
  const { settings, logger } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const state = await deps.cursor.read();
  const budget = new RequestBudget({
    limit: budgetLimit(settings),
    windowMs: DOCUMENTED_BUDGET.windowMs,
    recent: state?.recentRequests ?? [],
    ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
  });
  const client = new GraphClient({
    tokens: deps.tokens,
    budget,
    ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
    ...(deps.remainingMs === undefined ? {} : { timeLeft: deps.remainingMs }),
  });
  const result: PullResult = {
    windows: [],
    rereads: [],
    cursor: state?.cursor.toISOString() ?? null,
    requests: 0,
    throttled: 0,
    reauthenticated: 0,
    retried: 0,
    windowsLeft: 0,
    rereadsLeft: 0,
    rereadList: 0,
    stopped: null,
  };

  let cursor = skipPastRetention(state?.cursor, now, settings, logger);
  const plan = planRereads(state?.rereads ?? [], now);
  for (const window of plan.expired) {
    logger.warn('message trace window left the re-read list before it settled', {
      key: windowKey(window),
      unsettled: window.unsettled,
      detailsLeftOut: window.detailsLeftOut,
      lateTracesChecked: window.settleRead,
    });
  }
  const list = new Map<number, RereadWindow>(plan.kept.map((window) => [window.from.getTime(), window]));
  const due = windowsToPull(cursor, now, settings);

  let started = 0;
  /**
   * The first window of a run always runs (the function's timeout is sized for it); later ones
   * only with time for their worst case. Without it, the run says so in `stopped`.
   */
  const roomFor = (cap: number): boolean => {
    if (started++ === 0 || deps.remainingMs === undefined) return true;
    const left = deps.remainingMs();
    const worst = worstCaseWindowMs(settings, cap);
    if (left >= worst) return true;
    result.stopped = `not enough time left for another window (its worst case ${worst / 1000} s, ${Math.floor(left / 1000)} s left)`;
    return false;
  };
  const save = async (): Promise<void> => {
    if (cursor === undefined) return;
    await deps.cursor.write({
      cursor,
      recentRequests: budget.recent(),
      rereads: [...list.values()].sort((a, b) => a.from.getTime() - b.from.getTime()),
    });
  };
  const write = async (key: string, pulled: WindowResult, cap: number): Promise<void> => {
    if (pulled.body !== undefined) {
      await deps.s3.send(
        new PutObjectCommand({
          Bucket: deps.bucket,
          Key: key,
          Body: pulled.body,
          ContentType: 'application/json',
        }),
      );
    }
    if (pulled.detailsLeftOut > 0) {
      logger.warn('trace details left out: more failed and pending traces than the detail cap', {
        key,
        detailsLeftOut: pulled.detailsLeftOut,
        detailCap: cap,
        note: 'failed traces are asked first; the window is read again for the rest when a run has room',
      });
    }
    if (pulled.detailsMissing.length > 0) {
      logger.warn('trace details not found: the traces stay in the file without them', {
        key,
        traces: pulled.detailsMissing,
      });
    }
  };
  /** Reads a listed window again; false when the run must not go on with re-reads. */
  const reread = async (entry: RereadWindow, reason: RereadReason, cap: number): Promise<boolean> => {
    const key = windowKey(entry);
    const forDetails = reason === 'details';
    // A rewrite of the window's file replaces the details it held, so only those of detail files
    // count as stored; a re-read for details writes a detail file and asks neither.
    const file = forDetails ? detailFileKey(entry, (entry.detailFiles ?? 0) + 1) : key;
    let pulled: WindowResult;
    try {
      pulled = await pullWindow(client, entry, {
        graphBase: settings.graphBase,
        maxDetails: cap,
        previousListing: forDetails ? undefined : entry.listing,
        detailedBefore: forDetails ? detailedSoFar(entry) : new Set(entry.detailedInDetailFiles),
        detailFile: forDetails,
      });
    } catch (error) {
      if (isOutOfTime(error)) throw error;
      // Most failures are the tenant's or the service's (sign-in, 5xx, network): the next window
      // would fail the same way, so the re-reads stop here; the new windows still get their turn.
      logger.warn('message trace re-read failed: the window stays on the re-read list', {
        key,
        reason,
        error: error instanceof Error ? error.message : String(error),
        ...(error instanceof GraphPullError
          ? { failure: error.failure, advice: adviceFor(error.failure) }
          : {}),
      });
      return false;
    }
    await write(file, pulled, cap);
    const next = forDetails
      ? afterDetailRead(entry, pulled, pulled.body !== undefined)
      : afterRead(entry, entry, pulled, now);
    if (next === undefined) list.delete(entry.from.getTime());
    else list.set(entry.from.getTime(), next);
    await save();
    result.rereads.push({
      key,
      reason,
      traces: pulled.traces,
      unsettled: pulled.unsettled,
      details: pulled.details,
      detailsLeftOut: pulled.detailsLeftOut,
      written: pulled.body !== undefined,
      unchanged: pulled.unchanged,
      ...(forDetails ? { file } : {}),
    });
    // Written and counted: now the run ends as any run out of time does.
    if (pulled.interrupted !== undefined) throw pulled.interrupted;
    return true;
  };

  try {
    let rereading = true;
    for (const { window, reason } of plan.first) {
      const cap = Math.max(settings.maxDetailsPerWindow, window.detailsAsked);
      if (!roomFor(cap) || !(await reread(window, reason, cap))) {
        rereading = false;
        break;
      }
    }
    for (const [index, window] of due.entries()) {
      if (!roomFor(settings.maxDetailsPerWindow)) {
        result.windowsLeft = due.length - index;
        break;
      }
      let pulled: WindowResult;
      try {
        pulled = await pullWindow(client, window, {
          graphBase: settings.graphBase,
          maxDetails: settings.maxDetailsPerWindow,
        });
      } catch (error) {
        if (isOutOfTime(error)) result.windowsLeft = due.length - index;
        throw isOutOfTime(error) ? error : stalled(error, window);
      }
      const key = windowKey(window);
      await write(key, pulled, settings.maxDetailsPerWindow);
      // Only now: a run that failed before this line pulls the same window again.
      cursor = window.to;
      const entry = afterRead(undefined, window, pulled, now);
      if (entry !== undefined) list.set(window.from.getTime(), entry);
      await save();
      result.cursor = window.to.toISOString();
      result.windows.push({
        key,
        traces: pulled.traces,
        details: pulled.details,
        detailsLeftOut: pulled.detailsLeftOut,
        written: pulled.body !== undefined,
      });
    }
    // Capped windows last: a window over the cap in every hour must not hold the new hours back.
    for (const window of plan.capped) {
      if (!rereading || result.windowsLeft > 0) break;
      const entry = list.get(window.from.getTime());
      if (entry === undefined || entry.detailsLeftOut === 0) continue;
      const room =
        deps.remainingMs === undefined
          ? Number.POSITIVE_INFINITY
          : detailsThatFit(settings, deps.remainingMs() - END_MARGIN_MS);
      // The traces detailed before are not asked again: any room makes progress.
      if (room < 1) continue;
      rereading = await reread(entry, 'details', room);
    }
  } catch (error) {
    if (!isOutOfTime(error)) throw error;
    result.stopped = error.message;
    logger.warn('message trace pull stopped early: the rest waits for the next run', {
      reason: error.message,
    });
    await save();
  }
  const readAgain = new Set(result.rereads.map((report) => report.key));
  Object.assign(result, {
    rereadsLeft: plan.first.filter(({ window }) => !readAgain.has(windowKey(window))).length,
    requests: client.counts.requests,
    throttled: client.counts.throttled,
    reauthenticated: client.counts.reauthenticated,
    retried: client.counts.retried,
    rereadList: list.size,
  });
  logger.info('message trace pull finished', { ...result });
  return result;
}

/**
 * A cursor further back than Graph answers (the pull was off for months) moves to the oldest window
 * Graph still answers: the hours between are lost to message trace, and the warning names them.
 */
function skipPastRetention(
  cursor: Date | undefined,
  now: Date,
  settings: PullSettings,
  logger: Logger,
): Date | undefined {
  const oldest = oldestAnswerableStart(now, settings);
  if (cursor === undefined || cursor.getTime() >= oldest.getTime()) return cursor;
  logger.warn('message trace cursor older than Graph answers (90 days): hours skipped', {
    skippedFrom: cursor.toISOString(),
    skippedTo: oldest.toISOString(),
    hoursSkipped: Math.round((oldest.getTime() - cursor.getTime()) / 3_600_000),
  });
  return oldest;
}

/** The error of a new window that failed: what failed, what to do, and that the later hours wait. */
function stalled(error: unknown, window: TraceWindow): unknown {
  if (!(error instanceof GraphPullError)) return error;
  return new GraphPullError(
    `${error.message.replace(/\.+$/, '')}. What to do: ${adviceFor(error.failure)}. The cursor stays at ` +
      `${window.from.toISOString()}: this window and every later hour wait until it succeeds.`,
    { failure: error.failure, cause: error },
  );
}
