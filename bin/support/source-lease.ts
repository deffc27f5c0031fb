/**
 * The CLI's claim on the sources it analyses: each `processing` record carries a lease that a
 * timer renews while the run is alive (a finished record carries none). A run killed mid-way (Ctrl-C, OOM, a closed laptop) stops
 * renewing, so its record shows as interrupted once the lease runs out instead of `processing`
 * forever; the next run over the same file replaces it.
 *
 * With an {@link UnsettledRuns} journal the run also names, before it writes the findings of a new
 * day, that day in its unsettled item, and deletes the item once every counter change it held back
 * is applied ({@link LeasedSink.settle}): a run killed before that leaves the days whose counters
 * may be short, for the next run to recount (see store-run.ts).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FindingSink } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { LOCAL_RUN_OWNER_PREFIX } from '../../functions/core/analysis/model/lease-owner.js';
import type { SourceLease, SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { isRunning } from '../../functions/store/engine-lock.js';
import type { RunLease, UnsettledRuns } from '../../functions/store/unsettled-runs.js';

/** How long a CLI lease lasts without renewal. */
export const CLI_LEASE_MS = 10 * 60_000;

/** Lease owners of the runs alive in this process (uploads on `serve` run side by side). */
const liveOwners = new Set<string>();

export interface LeaseStore extends FindingSink {
  /** With `deferCounters`: the rollup counters wait for the next source record (see FindingsStore). */
  putFindings(
    findings: Finding[],
    options?: { deferCounters?: boolean; leavingDays?: (days: readonly string[]) => Promise<void> },
  ): Promise<unknown>;
  putSource(record: SourceRecord, options?: { leaseOwner?: string }): Promise<unknown>;
  /** Applies the counter changes held back so far. */
  flushRollups(): Promise<void>;
}

export interface LeasedSink {
  sink: FindingSink;
  /** The owner of this run's leases. */
  owner: string;
  /**
   * Names the days of `findings` in the run's unsettled item before they are written; `undefined`
   * when every day is named already (nothing to wait for). What the sink's `putFindings` does first;
   * call it before any other write of findings of the run.
   */
  cover(findings: readonly Pick<Finding, 'timestamp'>[]): Promise<void> | undefined;
  /** Names `days` in the run's unsettled item (days whose counters it is about to recount). */
  coverDays(days: readonly string[]): Promise<void>;
  /**
   * Applies every counter change held back and deletes the run's unsettled item: call once the run
   * has written everything. Throws (and leaves the item) when a change could not be applied.
   */
  settle(): Promise<void>;
  /** Stops renewing (call when the run ends, however it ends). */
  stop(): void;
}

/**
 * True when the run that holds `lease` is gone: a run of this process that is no longer alive, a
 * process of this host that no longer runs, or a lease that has run out (a run elsewhere).
 */
export function isAbandoned(lease: Omit<RunLease, 'owner'> & { owner: string }, now = Date.now()): boolean {
  const here = lease.host === hostname();
  if (here && lease.pid === process.pid) return !liveOwners.has(lease.owner);
  if (Date.parse(lease.leaseExpiresAt) <= now) return true;
  return here && !isRunning(lease.pid);
}

/** A local run's lease owner: host (group 1) and process id (group 2). */
const LOCAL_OWNER = new RegExp(`^${LOCAL_RUN_OWNER_PREFIX}(.*):(\\d+):[^:]+$`);

/**
 * True when the run holding a source record's lease is gone (see {@link isAbandoned}): a CLI owner
 * (`cli:<host>:<pid>:<uuid>`) names its process; any other is gone once the lease has run out.
 */
export function isSourceLeaseGone(lease: SourceLease, now = Date.now()): boolean {
  const match = LOCAL_OWNER.exec(lease.owner);
  if (match?.[1] === undefined || match[2] === undefined) return Date.parse(lease.expiresAt) <= now;
  return isAbandoned(
    { owner: lease.owner, host: match[1], pid: Number(match[2]), leaseExpiresAt: lease.expiresAt },
    now,
  );
}

/** True when the run of `owner` is the one run alive in this process. */
export function isOnlyLiveRun(owner: string): boolean {
  return liveOwners.size === 1 && liveOwners.has(owner);
}

/** True for an ISO 8601 time in UTC (what the analysis writes): its first ten characters are the day. */
function isUtc(timestamp: string): boolean {
  return timestamp.length >= 20 && timestamp[10] === 'T' && timestamp.endsWith('Z');
}

/** The UTC day a finding is counted under (as `rollupCellOf` says), `undefined` for no time at all. */
function dayOf(timestamp: string): string | undefined {
  if (isUtc(timestamp)) return timestamp.slice(0, 10);
  const ms = Date.parse(timestamp);
  // An unreadable time is refused by the store with the finding: nothing to count.
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().slice(0, 10);
}

/** Wraps `store` so that the records it writes carry this run's lease, renewed every third of it. */
export function leasedSink(
  store: LeaseStore,
  options: {
    durationMs?: number;
    owner?: string;
    onRenewFailure?: (error: unknown) => void;
    journal?: UnsettledRuns;
  } = {},
): LeasedSink {
  const durationMs = options.durationMs ?? CLI_LEASE_MS;
  const owner = options.owner ?? `${LOCAL_RUN_OWNER_PREFIX}${hostname()}:${process.pid}:${randomUUID()}`;
  const { journal } = options;
  liveOwners.add(owner);
  const expiresFromNow = (): string => new Date(Date.now() + durationMs).toISOString();
  const leaseFromNow = (): SourceLease => ({ owner, expiresAt: expiresFromNow() });
  /** The records of this run still `processing`, as last written: renewed by writing them again. */
  const processing = new Map<string, SourceRecord>();
  /** Days named in the unsettled item: `true` once written, the write while it is on its way. */
  const named = new Map<string, true | Promise<void>>();
  let journaled = false;

  const coverDays = async (days: Iterable<string>): Promise<void> => {
    if (journal === undefined) return;
    const waits: Promise<void>[] = [];
    const missing: string[] = [];
    for (const day of days) {
      const state = named.get(day);
      if (state === undefined) missing.push(day);
      else if (state !== true) waits.push(state);
    }
    if (missing.length > 0) {
      journaled = true;
      const lease = { owner, host: hostname(), pid: process.pid, leaseExpiresAt: expiresFromNow() };
      const write = journal.addDays(lease, missing).then(
        () => {
          for (const day of missing) named.set(day, true);
        },
        (error: unknown) => {
          // Not named: the next batch of these days tries again; this one is not written.
          for (const day of missing) named.delete(day);
          throw error;
        },
      );
      for (const day of missing) named.set(day, write);
      waits.push(write);
    }
    await Promise.all(waits);
  };

  /** The day of the last finding covered: most findings of a batch are of the day before them. */
  let lastDay: string | undefined;
  const cover = (findings: readonly Pick<Finding, 'timestamp'>[]): Promise<void> | undefined => {
    if (journal === undefined) return undefined;
    // A comparison per finding; a write only for a day not named yet.
    let days: Set<string> | undefined;
    for (const { timestamp } of findings) {
      if (lastDay !== undefined && isUtc(timestamp) && timestamp.startsWith(lastDay)) continue;
      const day = dayOf(timestamp);
      if (day === undefined) continue;
      if (named.get(day) === true) lastDay = day;
      else {
        days ??= new Set();
        days.add(day);
      }
    }
    return days === undefined ? undefined : coverDays(days);
  };

  const timer = setInterval(() => {
    for (const record of processing.values()) {
      // Fenced: a run whose lease was taken over (it stalled past it) does not take it back.
      store
        .putSource({ ...record, lease: leaseFromNow() }, { leaseOwner: owner })
        .catch((error: unknown) => options.onRenewFailure?.(error));
    }
    if (journal !== undefined && journaled) {
      journal.renew(owner, expiresFromNow()).catch((error: unknown) => options.onRenewFailure?.(error));
    }
  }, durationMs / 3);
  // Renewal never keeps a finished CLI process alive.
  timer.unref();
  return {
    sink: {
      // Counted at each record the run writes (the lease renewals too), not per batch; the days
      // named first, so that a run killed before its next record leaves word of what it did not count.
      putFindings: (findings) => {
        const covering = cover(findings);
        // The days a finding leaves (moved earlier by the merge) are named too: a kill before the
        // counters are applied leaves them counting it.
        const put = () => store.putFindings(findings, { deferCounters: true, leavingDays: coverDays });
        return covering === undefined ? put() : covering.then(put);
      },
      ...(store.putInboundMessages === undefined
        ? {}
        : { putInboundMessages: store.putInboundMessages.bind(store) }),
      putSource: (record) => {
        if (record.status === 'processing') {
          processing.set(record.id, { ...record });
          return store.putSource({ ...record, lease: leaseFromNow() });
        }
        processing.delete(record.id);
        // A finished record carries no lease: nothing holds it any more, and a renewal already on
        // its way (fenced on the lease's owner) can then no longer turn it back into `processing`.
        const { lease: _lease, ...finished } = record;
        return store.putSource(finished);
      },
    },
    owner,
    cover,
    coverDays,
    settle: async () => {
      await store.flushRollups();
      if (journal !== undefined && journaled) {
        await journal.remove(owner);
        journaled = false;
        named.clear();
        lastDay = undefined;
      }
    },
    stop: () => {
      clearInterval(timer);
      liveOwners.delete(owner);
    },
  };
}
