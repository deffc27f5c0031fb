/**
 * The CLI's claim on the sources it analyses: each `processing` record carries a lease that a
 * timer renews while the run is alive. A run killed mid-way (Ctrl-C, OOM, a closed laptop) stops
 * renewing, so its record shows as interrupted once the lease runs out instead of `processing`
 * forever; the next run over the same file replaces it.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FindingSink } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceLease, SourceRecord } from '../../functions/core/analysis/model/source-record.js';

/** How long a CLI lease lasts without renewal. */
export const CLI_LEASE_MS = 10 * 60_000;

export interface LeaseStore extends FindingSink {
  /** With `deferCounters`: the rollup counters wait for the next source record (see FindingsStore). */
  putFindings(findings: Finding[], options?: { deferCounters?: boolean }): Promise<unknown>;
  putSource(record: SourceRecord, options?: { leaseOwner?: string }): Promise<unknown>;
}

export interface LeasedSink {
  sink: FindingSink;
  /** Stops renewing (call when the run ends, however it ends). */
  stop(): void;
}

/** Wraps `store` so that the records it writes carry this run's lease, renewed every third of it. */
export function leasedSink(
  store: LeaseStore,
  options: { durationMs?: number; owner?: string; onRenewFailure?: (error: unknown) => void } = {},
): LeasedSink {
  const durationMs = options.durationMs ?? CLI_LEASE_MS;
  const owner = options.owner ?? `cli:${hostname()}:${process.pid}:${randomUUID()}`;
  const leaseFromNow = (): SourceLease => ({
    owner,
    expiresAt: new Date(Date.now() + durationMs).toISOString(),
  });
  /** The records of this run still `processing`, as last written: renewed by writing them again. */
  const processing = new Map<string, SourceRecord>();
  const timer = setInterval(() => {
    for (const record of processing.values()) {
      // Fenced: a run whose lease was taken over (it stalled past it) does not take it back.
      store
        .putSource({ ...record, lease: leaseFromNow() }, { leaseOwner: owner })
        .catch((error: unknown) => options.onRenewFailure?.(error));
    }
  }, durationMs / 3);
  // Renewal never keeps a finished CLI process alive.
  timer.unref();
  return {
    sink: {
      // Counted at each record the run writes (the lease renewals too), not per batch.
      putFindings: (findings) => store.putFindings(findings, { deferCounters: true }),
      ...(store.putInboundMessages === undefined
        ? {}
        : { putInboundMessages: store.putInboundMessages.bind(store) }),
      putSource: (record) => {
        if (record.status === 'processing') processing.set(record.id, { ...record });
        else processing.delete(record.id);
        return store.putSource({ ...record, lease: leaseFromNow() });
      },
    },
    stop: () => clearInterval(timer),
  };
}
