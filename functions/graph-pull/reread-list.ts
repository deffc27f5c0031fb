/**
 * Which written windows are read again, and when they stop being. Message trace is not final when
 * a window is first pulled: a trace can still be `gettingStatus` or `pending` (and turn `failed`
 * later), and a trace can reach message trace later than the pull's lag. A window is therefore kept
 * on a list (in the cursor) and read again — the same query, the same key, so the ingest's
 * re-analysis replaces the earlier one:
 * - on every run while it holds traces that have not settled (reread reason `unsettled`);
 * - once after {@link SETTLE_DELAY_MS}, for traces listed late (`late`);
 * - while its detail cap left details out, when a run has room for more details (`details`): the
 *   traces no read detailed yet, into a detail file of their own (detail-progress.ts).
 * It leaves the list once none of these is owed, or at {@link REREAD_HORIZON_MS}.
 */
import type { RereadWindow } from './cursor-store.js';
import { compactProgress, withDigests } from './detail-progress.js';
import type { WindowResult } from './pull-window.js';
import type { TraceWindow } from './trace-window.js';

const HOUR = 3_600_000;

/**
 * A window's read for traces listed late, this long after its end. Microsoft documents 5–10
 * minutes for a message to reach message trace (Message Trace FAQ) and the pull waits 15; three
 * hours is many times that, catches the delays of a service incident, and the findings are still
 * fresh when they come.
 */
export const SETTLE_DELAY_MS = 3 * HOUR;

/**
 * A window leaves the list this long after its end, settled or not. A deferred (`pending`) message
 * is retried until Exchange Online's message expiration timeout — 24 hours by default, at most one
 * day — and then fails: the window's last read comes after that, with an hour for the failure to
 * reach message trace and for the hourly run to come.
 */
export const REREAD_HORIZON_MS = 25 * HOUR;

export type RereadReason = 'unsettled' | 'late' | 'details';

export interface RereadPlan {
  /** Read before the new windows, oldest first: cheap (one request when nothing changed), and owed by a deadline. */
  readonly first: { readonly window: RereadWindow; readonly reason: 'unsettled' | 'late' }[];
  /**
   * Windows whose detail cap left details out: read after the new windows, with the room left, for
   * the traces no earlier read detailed (detail-progress.ts).
   */
  readonly capped: RereadWindow[];
  /** Past the horizon: they leave the list now. */
  readonly expired: RereadWindow[];
  /** Every window that stays on the list for now (due or not). */
  readonly kept: RereadWindow[];
}

/** What the list owes at `now`. */
export function planRereads(list: readonly RereadWindow[], now: Date): RereadPlan {
  const byAge = [...list].sort((a, b) => a.from.getTime() - b.from.getTime());
  const expired = byAge.filter((window) => now.getTime() - window.to.getTime() > REREAD_HORIZON_MS);
  const kept = byAge.filter((window) => !expired.includes(window));
  const first: RereadPlan['first'] = [];
  for (const window of kept) {
    if (window.unsettled > 0) first.push({ window, reason: 'unsettled' });
    else if (!window.settleRead && settled(window, now)) first.push({ window, reason: 'late' });
  }
  return { first, capped: kept.filter((window) => window.detailsLeftOut > 0), expired, kept };
}

/**
 * The window's entry after a read of its own file at `now` (`previous`: its entry before, none for
 * a new window), or `undefined` when nothing more is owed and it leaves the list. A rewritten file
 * holds the details of this read only: those of the detail files stay counted.
 */
export function afterRead(
  previous: RereadWindow | undefined,
  window: TraceWindow,
  result: WindowResult,
  now: Date,
): RereadWindow | undefined {
  const settleRead = (previous?.settleRead ?? false) || settled(window, now);
  const next: RereadWindow =
    result.unchanged && previous !== undefined
      ? { ...previous, settleRead }
      : {
          from: window.from,
          to: window.to,
          listing: result.listing,
          unsettled: result.unsettled,
          detailsLeftOut: result.detailsLeftOut,
          detailsAsked: result.detailsAsked,
          settleRead,
          ...compactProgress({
            // Needed only by a re-read for details, which only a file that left details out gets.
            detailedInWindowFile: result.detailsLeftOut > 0 ? result.detailed : undefined,
            detailedInDetailFiles: previous?.detailedInDetailFiles,
            detailFiles: previous?.detailFiles,
          }),
        };
  return owesNothing(next) ? undefined : next;
}

/**
 * The window's entry after a re-read for details that wrote (`written`) a detail file, or
 * `undefined` when it leaves the list. The window's own file is not rewritten: what the entry says
 * of it (listing, unsettled traces, details asked) stays, so a changed listing still rewrites it.
 */
export function afterDetailRead(
  previous: RereadWindow,
  result: WindowResult,
  written: boolean,
): RereadWindow | undefined {
  const { detailedInWindowFile, detailedInDetailFiles, detailFiles, ...rest } = previous;
  const next: RereadWindow = {
    ...rest,
    detailsLeftOut: result.detailsLeftOut,
    ...compactProgress({
      detailedInWindowFile,
      detailedInDetailFiles: withDigests(detailedInDetailFiles ?? [], result.detailed ?? []),
      detailFiles: (detailFiles ?? 0) + (written ? 1 : 0),
    }),
  };
  return owesNothing(next) ? undefined : next;
}

/** The digests of traces whose details are stored: a re-read for details asks the others. */
export function detailedSoFar(entry: RereadWindow): Set<string> {
  return new Set([...(entry.detailedInWindowFile ?? []), ...(entry.detailedInDetailFiles ?? [])]);
}

const owesNothing = (entry: RereadWindow): boolean =>
  entry.settleRead && entry.unsettled === 0 && entry.detailsLeftOut === 0;

/** True once the window's end is the settle delay old. */
const settled = (window: TraceWindow, now: Date): boolean =>
  now.getTime() - window.to.getTime() >= SETTLE_DELAY_MS;
