/**
 * The benchmark's burst scenario at small size (`npm run bench:cloud` runs it at 200 uploads, with a
 * fifth of the writes throttled): uploads landing at once on a store that fails a tenth of its write
 * calls as throttled all end done, none is retried through SQS, and the findings are those of a calm
 * run. The big-upload scenario runs
 * small in test/integration/ingest-resume.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { burst } from '../../bench/cloud-scenarios.js';

describe('a burst of uploads on a throttling store', () => {
  it('ends with every file done and the findings of a calm run', async () => {
    const common = {
      dir: mkdtempSync(join(tmpdir(), 'burst-')),
      // Three uploads for two invocations: still a queue. The adaptive client's rate limiter slows to
      // a crawl after each throttle, so every file adds some ten seconds to the run. The burst fails
      // a tenth of the writes (3 of some 47 calls here): 30 s with a fifth, 12 s with a tenth.
      files: 3,
      bytesEach: 40_000,
      concurrency: 2,
      memory: { windowEvents: 500, maxTrackedMessages: 500 },
    };
    const calm = await burst({ ...common, throttleShare: 0 });
    const stormy = await burst({ ...common, throttleShare: 0.1 });
    expect(stormy.writes.throttled).toBeGreaterThan(1);
    expect(stormy.done).toBe(common.files);
    expect(stormy.failedMessages).toBe(0);
    expect(calm.findings.size).toBeGreaterThan(10);
    expect(stormy.findings).toEqual(calm.findings);
  }, 120_000);
});
