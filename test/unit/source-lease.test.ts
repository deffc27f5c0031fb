/**
 * The CLI run's unsettled item: the days of its findings are named before the findings are written
 * (a write per new day, none per finding), it is deleted once the run's counter changes are applied,
 * and a run is told dead from alive by its lease, its process and this process's live runs.
 */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isAbandoned, isOnlyLiveRun, leasedSink } from '../../bin/support/source-lease.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { RunLease, UnsettledRuns } from '../../functions/store/unsettled-runs.js';

/** What the sink and the journal were asked to do, in order. */
function fakes(options: { failDays?: number } = {}) {
  const calls: string[] = [];
  let failures = options.failDays ?? 0;
  const store = {
    putFindings: async (findings: Finding[]) => {
      calls.push(`put ${findings.map((finding) => finding.timestamp.slice(0, 10)).join(',')}`);
    },
    putSource: async () => undefined,
    flushRollups: async () => {
      calls.push('flush');
    },
  };
  const journal = {
    addDays: async (_lease: RunLease, days: readonly string[]) => {
      if (failures-- > 0) throw new Error('throttled');
      calls.push(`name ${[...days].sort().join(',')}`);
    },
    renew: async () => undefined,
    remove: async () => {
      calls.push('remove');
    },
  } as unknown as UnsettledRuns;
  return { calls, store, journal };
}

const at = (timestamp: string) => ({ timestamp }) as Finding;

describe('leasedSink with an unsettled-run journal', () => {
  it('names each day once, before the first findings of it are written, and deletes the item when settled', async () => {
    const { calls, store, journal } = fakes();
    const leased = leasedSink(store, { journal });
    try {
      await leased.sink.putFindings([at('2026-11-27T10:00:00.000Z'), at('2026-11-27T11:00:00.000Z')]);
      await leased.sink.putFindings([at('2026-11-27T12:00:00.000Z'), at('2026-11-28T01:00:00.000+02:00')]);
      await leased.sink.putFindings([at('2026-11-28T02:00:00.000Z'), at('2026-11-29T00:00:00.000Z')]);
      await leased.settle();
    } finally {
      leased.stop();
    }
    // `+02:00` is still 27 November in UTC, the day its counter is kept under.
    expect(calls).toEqual([
      'name 2026-11-27',
      'put 2026-11-27,2026-11-27',
      'put 2026-11-27,2026-11-28',
      'name 2026-11-28,2026-11-29',
      'put 2026-11-28,2026-11-29',
      'flush',
      'remove',
    ]);
  });

  it('writes no finding of a day it could not name, and names it with the next batch', async () => {
    const { calls, store, journal } = fakes({ failDays: 1 });
    const leased = leasedSink(store, { journal });
    try {
      await expect(leased.sink.putFindings([at('2026-11-27T10:00:00.000Z')])).rejects.toThrow('throttled');
      await leased.sink.putFindings([at('2026-11-27T11:00:00.000Z')]);
    } finally {
      leased.stop();
    }
    expect(calls).toEqual(['name 2026-11-27', 'put 2026-11-27']);
  });

  it('without a journal, writes findings as before and settles by applying the counters', async () => {
    const { calls, store } = fakes();
    const leased = leasedSink(store);
    try {
      await leased.sink.putFindings([at('2026-11-27T10:00:00.000Z')]);
      await leased.settle();
    } finally {
      leased.stop();
    }
    expect(calls).toEqual(['put 2026-11-27', 'flush']);
  });
});

describe('isAbandoned', () => {
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const here = { host: hostname(), leaseExpiresAt: inAnHour };

  it('tells this process’s live runs from its finished ones, whatever their lease says', () => {
    const { store } = fakes();
    const leased = leasedSink(store);
    try {
      expect(isAbandoned({ ...here, owner: leased.owner, pid: process.pid })).toBe(false);
      expect(isOnlyLiveRun(leased.owner)).toBe(true);
      expect(isAbandoned({ ...here, owner: 'cli:gone', pid: process.pid })).toBe(true);
    } finally {
      leased.stop();
    }
    expect(isAbandoned({ ...here, owner: leased.owner, pid: process.pid })).toBe(true);
    expect(isOnlyLiveRun(leased.owner)).toBe(false);
  });

  it('takes a run of another process of this host for dead once that process is gone or its lease is out', () => {
    // The parent of the test runner runs; a pid far above any real one does not.
    expect(isAbandoned({ ...here, owner: 'cli:parent', pid: process.ppid })).toBe(false);
    expect(isAbandoned({ ...here, owner: 'cli:none', pid: 2 ** 22 + 1 })).toBe(true);
    expect(isAbandoned({ ...here, owner: 'cli:parent', pid: process.ppid, leaseExpiresAt: anHourAgo })).toBe(
      true,
    );
  });

  it('takes a run of another host for dead only once its lease has run out', () => {
    const elsewhere = { host: `not-${hostname()}`, pid: process.pid, owner: 'cli:elsewhere' };
    expect(isAbandoned({ ...elsewhere, leaseExpiresAt: inAnHour })).toBe(false);
    expect(isAbandoned({ ...elsewhere, leaseExpiresAt: anHourAgo })).toBe(true);
  });
});
