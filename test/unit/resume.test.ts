/**
 * A read stopped at a deadline and resumed from its resume point, again and again, gives the same
 * findings and the same counts as one pass, writes each finding about once, and works for plain
 * bytes read with a range and for gzip inflated and skipped.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateTrackingLog } from '../../bench/generate-tracking-log.js';
import { analyze, type FindingSink } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { analyzeInInvocations } from '../support/invocations.js';
import { chunked } from '../support/streams.js';

const WINDOW = 50;
/** Small, so that the correlation state a resumed read must refill spans a few hundred events. */
const TRACKED = 30;
const domains = () => parseAcceptedDomains('contoso.com', 'test');

/** Keeps the last write of each finding and counts every write. */
class CountingSink implements FindingSink {
  public readonly findings = new Map<string, Finding>();
  public writes = 0;
  public record: SourceRecord | undefined;
  public async putFindings(findings: Finding[]): Promise<void> {
    this.writes += findings.length;
    for (const finding of findings) this.findings.set(finding.id, finding);
  }
  public async putSource(record: SourceRecord): Promise<void> {
    this.record = structuredClone(record);
  }
}

/** Analyses `file` in invocations that each stop after `batches` batches, as ingest's continuations do. */
async function inInvocations(file: Buffer, compressed: boolean, batches: number) {
  const sink = new CountingSink();
  const { record, invocations } = await analyzeInInvocations(file, {
    domains: domains(),
    sink,
    windowEvents: WINDOW,
    maxTrackedMessages: TRACKED,
    batches,
    sliced: !compressed,
    onStopped: (stopped, count) => {
      expect(stopped.resume, 'a stopped read of a tracking log takes a resume point').toBeDefined();
      expect(count).toBeLessThan(500);
    },
  });
  return { sink, record, invocations };
}

describe('resumed reads', () => {
  let plain: Buffer;
  let whole: CountingSink;
  let wholeRecord: SourceRecord;

  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'resume-')), 'MSGTRK.LOG');
    await generateTrackingLog(path, 4_000_000, 11);
    plain = readFileSync(path);
    whole = new CountingSink();
    const result = await analyze(
      [{ name: 'MSGTRK.LOG', sourceId: 'source-1', open: () => chunked(plain, 64 * 1024) }],
      {
        domains: domains(),
        sink: whole,
        windowEvents: WINDOW,
        maxTrackedMessages: TRACKED,
      },
    );
    wholeRecord = result.sources[0] as SourceRecord;
  });

  for (const compressed of [false, true]) {
    it(`${compressed ? 'gzip, inflated and skipped' : 'plain, read from the resume byte'}: same findings and counts as one pass`, async () => {
      const file = compressed ? gzipSync(plain) : plain;
      const { sink, record, invocations } = await inInvocations(file, compressed, 300);
      expect(invocations).toBeGreaterThan(3);
      expect(whole.findings.size).toBeGreaterThan(100);
      const scenarios = (findings: Map<string, Finding>) =>
        new Map([...findings].map(([id, finding]) => [id, finding.scenario]));
      expect(scenarios(sink.findings)).toEqual(scenarios(whole.findings));
      expect(record.status).toBe('done');
      expect(record.resume).toBeUndefined();
      for (const field of ['rowsRead', 'rowsAnalysed', 'rowsSkipped', 'events', 'rejections'] as const)
        expect(record[field], field).toBe(wholeRecord[field]);
      expect(record.findingsByScenario).toEqual(wholeRecord.findingsByScenario);
      expect(record.rowsRead).toBe(record.rowsAnalysed + record.rowsSkipped);
      expect(sink.writes, `${invocations} invocations`).toBeLessThanOrEqual(Math.ceil(whole.writes * 1.02));
    });
  }
});
