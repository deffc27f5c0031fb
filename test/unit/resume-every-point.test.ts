/**
 * A file analysed through ingest's continuations ends as one pass ends it, wherever its reads are
 * stopped: for each fixture, a first read stopped at every deadline check it makes (and runs whose
 * every read stops, each a little later) give the findings, counts and notes of one pass.
 * The fixtures are the shapes where a resume lost or doubled something: rows of one millisecond
 * handed on out of the order of their lines, a refusal whose row the reader held when the read
 * stopped, sessions handed on at the end of a log, a trace's failures without reason, notes of a
 * joined or header-less log or of NUL bytes, and files refused whole (by their order, by a refusal
 * not read). With a window of one event, a refusal is released while the one of the line before it
 * (handed on after it) still waits when a read stops.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResumePoint } from '../../functions/core/analysis/model/source-record.js';
import { InferredDomains } from '../../functions/core/organisation/accepted-domains.js';
import { analyzeInInvocations, comparable, LastWrites } from '../support/invocations.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/real-world');
const CASES = [
  'protocol-log-same-millisecond/SEND20261128-1-sorted-on-date-time.LOG',
  'smtp-transactions/rolled-over/at-mail-from/SEND2026112810-1.LOG',
  'smtp-transactions/rolled-over/at-mail-from/SEND2026112810-2.LOG',
  'smtp-transactions/rolled-over-runs/missing-middle-3.LOG',
  'smtp-transactions/rolled-over-runs/filtered-1.LOG',
  'smtp-transactions/rolled-over-runs/filtered-three-2.LOG',
  'smtp-transactions/rolled-over-runs/snapshot-2.LOG',
  'smtp-transactions/rolled-over-runs/no-connector-2.LOG',
  'trace-detail-languages/trace-de-DE-two-recipients.csv',
  'MSGTRK-joined-EX2013-EX2019.LOG',
  'shipped-MSGTRK-EX2013-EX2019-headerless.log',
  'siem-export-EX2019-headerless.csv',
  'skipped-refusal-rows/MSGTRK-nul-line-start.LOG',
  'protocol-log-order/SEND20261128-1-newest-first.LOG',
  'refusal-code-encodings/MSGTRK-refusal-words-without-code.LOG',
];
/** How the classifier is set: as by default, or with a window of one event. */
interface Variant {
  windowEvents?: number;
  /** Bytes per piece of the body (a deadline check between pieces): 256 unless said. */
  chunk?: number;
}
/** Fixtures read with other settings besides. */
const VARIANTS: [string, Variant][] = [
  ['protocol-log-same-millisecond/SEND20261128-1-sorted-on-date-time.LOG', { windowEvents: 1, chunk: 128 }],
];

/**
 * The outcome of `bytes` read in invocations, the n-th stopping after `batches(n)` checks: the
 * findings as stored (the last write of each id) and the record, and the resume points taken. Domains
 * are inferred afresh by each invocation, as ingest does without an accepted-domains list.
 */
async function analysed(name: string, bytes: Buffer, variant: Variant, batches: (n: number) => number) {
  const sink = new LastWrites();
  const points: ResumePoint[] = [];
  const { record, invocations } = await analyzeInInvocations(bytes, {
    name,
    chunk: 256,
    ...variant,
    domains: new InferredDomains(),
    domainsOf: () => new InferredDomains(),
    sink,
    batches,
    sliced: true,
    onStopped: (stopped) => {
      if (stopped.resume !== undefined) points.push(stopped.resume);
    },
  });
  const findings = Object.fromEntries([...sink.findings].sort(([a], [b]) => a.localeCompare(b)));
  return { outcome: { findings, record: comparable(record) }, invocations, points };
}

describe('a file read through continuations ends as one pass', () => {
  const cases = [...CASES.map((fixture): [string, Variant] => [fixture, {}]), ...VARIANTS];
  for (const [fixture, variant] of cases) {
    const settings = Object.keys(variant).length > 0 ? ` ${JSON.stringify(variant)}` : '';
    it(`${basename(fixture)}${settings}`, async () => {
      const bytes = readFileSync(join(FIXTURES, fixture));
      const name = basename(fixture);
      const whole = await analysed(name, bytes, variant, () => Number.POSITIVE_INFINITY);
      expect(whole.invocations).toBe(1);
      let stops = 0;
      // The first read stopped at its k-th check (0: its first), the next reading to the end.
      for (let checks = 0; ; checks++) {
        const resumed = await analysed(name, bytes, variant, (n) => (n === 1 ? checks : Infinity));
        if (resumed.invocations === 1) break;
        stops++;
        expect(
          resumed.outcome,
          `stopped after ${checks} checks at ${JSON.stringify(resumed.points)}`,
        ).toEqual(whole.outcome);
      }
      // Every read stopped, the n-th after n·k checks: several resume points, each from the last.
      for (let checks = 1; checks <= 8; checks++) {
        const resumed = await analysed(name, bytes, variant, (n) => n * checks);
        // A read that could not get past its replay made no progress: DEADLINE_REACHED, not compared.
        if (resumed.outcome.record.errorCode === 'DEADLINE_REACHED') continue;
        expect(resumed.outcome, `every read stopped after n·${checks} checks`).toEqual(whole.outcome);
      }
      // A file refused whole is refused before a read can stop (its order) or by its first read.
      if (whole.outcome.record.status === 'done') expect(stops).toBeGreaterThan(0);
    });
  }
});
