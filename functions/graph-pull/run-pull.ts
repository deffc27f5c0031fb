/**
 * One scheduled run: read the cursor, pull each whole window since it (oldest first), write the
 * window's file under `incoming/graph/`, then move the cursor past it. A window is started only
 * while the run has time for its worst case, so a run never stops halfway through a window's
 * requests because Lambda's time ran out.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../runtime/logger.js';
import type { CursorStore } from './cursor-store.js';
import { GraphClient } from './graph-client.js';
import { pullWindow } from './pull-window.js';
import { RequestBudget } from './request-budget.js';
import type { TokenSource } from './token-source.js';
import { type WindowPlan, windowKey, windowsToPull } from './trace-window.js';

/**
 * The documented budget (Exchange Team Blog, "Message Trace Support Using Graph API is now in
 * Public Preview", 22 January 2026): 100 requests per tenant in a rolling 5-minute window, shared
 * by message trace and message trace detail.
 */
export const DOCUMENTED_BUDGET = { limit: 100, windowMs: 5 * 60_000 } as const;

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

export interface PullResult {
  windows: { key: string; traces: number; details: number; detailsLeftOut: number; written: boolean }[];
  cursor: string | null;
  requests: number;
  throttled: number;
  reauthenticated: number;
  /** Windows due but left for the next run (not enough time left in this one). */
  windowsLeft: number;
}

/**
 * The longest one window can take: its detail requests plus a few trace pages, at the budget's
 * pace (a full budget is spent at once, then waits a whole budget window).
 */
export function worstCaseWindowMs(settings: PullSettings): number {
  const requests = settings.maxDetailsPerWindow + 5;
  return Math.ceil(requests / settings.requestLimit) * DOCUMENTED_BUDGET.windowMs;
}

export async function runPull(deps: PullDependencies): Promise<PullResult> {
  const { settings, logger } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const state = await deps.cursor.read();
  const budget = new RequestBudget({
    limit: Math.min(settings.requestLimit, DOCUMENTED_BUDGET.limit),
    windowMs: DOCUMENTED_BUDGET.windowMs,
    recent: state?.recentRequests ?? [],
    ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
  });
  const client = new GraphClient({
    tokens: deps.tokens,
    budget,
    ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
  });
  const due = windowsToPull(state?.cursor, now, settings);
  const result: PullResult = {
    windows: [],
    cursor: state?.cursor.toISOString() ?? null,
    requests: 0,
    throttled: 0,
    reauthenticated: 0,
    windowsLeft: 0,
  };
  const reserve = worstCaseWindowMs(settings);
  for (const [index, window] of due.entries()) {
    // The first window always runs (the function's timeout is sized for it); later ones only with time to spare.
    if (index > 0 && deps.remainingMs !== undefined && deps.remainingMs() < reserve) {
      result.windowsLeft = due.length - index;
      break;
    }
    const key = windowKey(window);
    const pulled = await pullWindow(client, window, {
      graphBase: settings.graphBase,
      maxDetails: settings.maxDetailsPerWindow,
    });
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
      logger.warn('trace details left out: more failed traces than the per-window detail cap', {
        key,
        detailsLeftOut: pulled.detailsLeftOut,
        maxDetailsPerWindow: settings.maxDetailsPerWindow,
      });
    }
    // Only now: a run that failed before this line pulls the same window again.
    await deps.cursor.write(window.to, budget.recent());
    result.cursor = window.to.toISOString();
    result.windows.push({
      key,
      traces: pulled.traces,
      details: pulled.details,
      detailsLeftOut: pulled.detailsLeftOut,
      written: pulled.body !== undefined,
    });
  }
  Object.assign(result, {
    requests: client.counts.requests,
    throttled: client.counts.throttled,
    reauthenticated: client.counts.reauthenticated,
  });
  logger.info('message trace pull finished', { ...result });
  return result;
}
