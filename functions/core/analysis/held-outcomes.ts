/**
 * A run's work on a file goes on after its analysis: the correlation with earlier uploads may still
 * change its findings, a re-analysis removes what the old classifier found. Until then the file's
 * record must not say `done` (a dashboard reading its findings at once would read them before
 * they settle). `holdOutcomes` wraps a sink so that a finished record (`done`, `failed`, …) is
 * written as still `processing`, with its counts, and held; `release` writes each held record as
 * last given. A run that dies before `release` leaves the record `processing` under a lease that
 * runs out: interrupted, and analysed again — never `done` with its work half done.
 */
import type { FindingSink } from './analyze.js';
import type { SourceRecord } from './model/source-record.js';

export interface HeldOutcomes {
  sink: FindingSink;
  /** Writes the finished records held so far, each as last given (and holds nothing more). */
  release(): Promise<void>;
}

export function holdOutcomes(inner: FindingSink): HeldOutcomes {
  const held = new Map<string, SourceRecord>();
  let releasing = false;
  const sink: FindingSink = {
    putFindings: (findings) => inner.putFindings(findings),
    putSource: (record) => {
      if (record.status === 'processing' || releasing) return inner.putSource(record);
      held.set(record.id, record);
      // Its counts shown, its outcome not yet.
      const { errorCode: _code, errorMessage: _message, finishedAt: _at, ...counts } = record;
      return inner.putSource({ ...counts, status: 'processing' });
    },
    ...(inner.putInboundMessages === undefined
      ? {}
      : { putInboundMessages: inner.putInboundMessages.bind(inner) }),
  };
  return {
    sink,
    release: async () => {
      releasing = true;
      for (const [id, record] of held) {
        await inner.putSource(record);
        held.delete(id);
      }
    },
  };
}
