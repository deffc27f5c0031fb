/**
 * Re-analysis after a classifier change, at small size (`npm run bench:cloud --only c` runs it
 * big): uploads an older classifier version analysed are re-analysed through the re-analysis
 * worker item by item, as the state machine's Distributed Map runs it, with invocations short
 * enough that every upload goes on through continuations. The state machine itself is checked by
 * template assertions (test/infra/reanalysis.test.ts): Step Functions does not run locally.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reanalysis } from '../../bench/reanalysis-scenario.js';

describe('re-analysis after a classifier change', () => {
  it('replaces what the older version wrote with what a fresh analysis finds', async () => {
    const result = await reanalysis({
      dir: mkdtempSync(join(tmpdir(), 'reanalysis-')),
      files: 3,
      bytesEach: 2_000_000,
      concurrency: 2,
      memory: { windowEvents: 20, maxTrackedMessages: 10 },
      deadline: { checks: 250 },
    });
    // The older version's run wrote findings to change and to remove.
    expect(result.olderExtras).toBeGreaterThan(0);
    expect(result.olderReclassified).toBeGreaterThan(0);
    expect(result.continuations).toBeGreaterThan(0);
    expect(result.outcomes).toEqual({ analysed: 3, skipped: 0, continued: 0, failed: 0 });
    expect(result.retries).toBe(0);
    expect(result.olderLeft).toBe(0);
    expect(result.gonesLeft).toBe(0);
    expect(result.findings).toBeGreaterThan(10);
    expect(result.sameFindings).toBe(true);
    expect(result.sameRollups).toBe(true);
    expect(result.allCurrent).toBe(true);
    // Started again: every upload is current, nothing is analysed or written twice.
    expect(result.again).toEqual({
      outcomes: { analysed: 0, skipped: 3, continued: 0, failed: 0 },
      writeCalls: 0,
    });
  }, 180_000);
});
