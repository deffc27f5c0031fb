/**
 * Writes in flight (`writesInFlight`): the analysis reads on while the sink writes, but when
 * `analyze` returns every write has landed, and a failed write fails the run — also when the last
 * batch was handed over before the end of the run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { analyze, type FindingSink } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { WritePipeline } from '../../functions/core/kernel/write-pipeline.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';

const domains = parseAcceptedDomains('contoso.com,corp.contoso.com,fabrikam-group.com', 'test');

/** A sink whose writes take a while, counting those started and those landed. */
class SlowSink implements FindingSink {
  public started = 0;
  public landed = 0;
  public readonly stored = new Set<string>();
  public constructor(private readonly fail = false) {}
  public async putFindings(findings: Finding[]): Promise<void> {
    this.started++;
    await sleep(20);
    if (this.fail) throw new Error('store unavailable');
    for (const finding of findings) this.stored.add(finding.id);
    this.landed++;
  }
  public async putSource(): Promise<void> {}
}

describe('writes in flight', () => {
  it('have all landed when analyze returns, even when nothing was left to add at the end', async () => {
    // Prepare: one finding per batch, so every batch is handed over while reading.
    const sink = new SlowSink();

    // Act
    const result = await analyze(await localInputs(['sample-logs/MSGTRK2026112800-2.LOG']), {
      domains,
      sink,
      batchSize: 1,
      writesInFlight: 4,
    });

    // Assess
    const total = Object.values(result.findingsByScenario).reduce((sum, count) => sum + count, 0);
    expect(total).toBeGreaterThan(4);
    expect(sink.started).toBe(total);
    expect(sink.landed).toBe(total);
    expect(sink.stored.size).toBe(total);
  });

  it('fail the run when one of them fails', async () => {
    const run = analyze(await localInputs(['sample-logs/MSGTRK2026112800-2.LOG']), {
      domains,
      sink: new SlowSink(true),
      batchSize: 1,
      writesInFlight: 4,
    });
    await expect(run).rejects.toThrow('store unavailable');
  });

  it('never run more than the depth at once', async () => {
    const pipeline = new WritePipeline(2);
    let running = 0;
    let most = 0;
    const write = async () => {
      running++;
      most = Math.max(most, running);
      await sleep(5);
      running--;
    };
    for (let i = 0; i < 10; i++) await pipeline.add(write);
    await pipeline.drain();
    expect(most).toBe(2);
  });
});
