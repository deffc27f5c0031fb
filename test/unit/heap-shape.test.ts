/**
 * The command's bound on V8's young generation, against V8 itself: in a child process (V8's flags
 * are the whole process's), a workload that makes the young generation grow, with and without the
 * bound. The bound is set below every Node version's own limit, so the test means the same on each.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const MB = 1024 * 1024;
const BOUND = 8 * MB;
/**
 * How far past the bound the young generation may go: V8 can grow it again before the check after a
 * collection runs, and Node 24's V8 also resizes it by pages (16.25 MB seen at this bound). Node 20's
 * own limit, 32 MB, is well past it.
 */
const TOLERATED = 2.5 * BOUND;

/** The largest young generation seen while objects that survive a while are allocated. */
function largestYoungGeneration(bounded: boolean): number {
  const script = `
    import { boundYoungGeneration, youngGenerationBytes } from './bin/support/heap-shape.ts';
    ${bounded ? `boundYoungGeneration(${BOUND});` : ''}
    let largest = 0;
    let kept = [];
    // In slices, so the checks after collections get their turns, as between an analysis's batches.
    for (let slice = 0; slice < 300; slice++) {
      for (let i = 0; i < 20_000; i++) {
        kept.push({ i, text: 'row ' + i });
        if (kept.length > 100_000) kept = [];
      }
      largest = Math.max(largest, youngGenerationBytes());
      await new Promise((resolve) => setImmediate(resolve));
    }
    console.log(largest);
  `;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return Number(result.stdout.trim());
}

describe('boundYoungGeneration', () => {
  it('without it the young generation grows past the bound (the workload is real)', () => {
    expect(largestYoungGeneration(false)).toBeGreaterThan(TOLERATED);
  });

  it('keeps the young generation near the bound', () => {
    const largest = largestYoungGeneration(true);
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(TOLERATED);
  });
});
