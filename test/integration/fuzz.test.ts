/**
 * A short run of the fuzz harness (bench/fuzz-harness.ts; `npm run fuzz` is the long one): generated
 * and mutated inputs of every format and encoding, with a fixed seed, through `analyze()` — no crash,
 * no input past its budget, every row accounted for, nothing past the store's item limits.
 */
import { describe, expect, it } from 'vitest';
import { fuzz } from '../../bench/fuzz-harness.js';

describe('fuzz (short run, fixed seed)', () => {
  it('analyses 40 generated inputs with every invariant kept', async () => {
    // The budget per input is generous: the machine is shared; `npm run fuzz` states its own.
    const ran = await fuzz({
      seed: 20261205,
      runs: 40,
      budget: { seconds: 20, secondsPerMB: 2, heapMB: 1024 },
    });
    expect(ran).toBe(40);
  }, 300_000);
});
