/**
 * How the command sizes V8's heap, which it has to do from inside the process: `relay-audit` is
 * started as `node relay-audit.js` (npm's bin shim, `npx`), so start-up flags are not its to give.
 *
 * An analysis keeps a small, bounded live heap (the classifier's window) while allocating fast:
 * - **Old generation.** V8 lets the heap grow to about four times the live size before collecting.
 *   Growing by half instead keeps peak memory flat as logs get larger, for about 5 % of speed
 *   (measured, `analyze --no-store`: 250 MB log 182 → 156 MB peak RSS, 750 MB log 258 → 171 MB).
 * - **Young generation.** Node 20 and 22 let it grow to 32 MB, Node 24's V8 to 128 MB on a machine
 *   with much memory. Every page of it is touched, so all of it counts in the peak RSS. Its limit
 *   (`--max-semi-space-size`) is read only at start-up, but the factor it grows by is read at each
 *   growth: `boundYoungGeneration` keeps that factor at V8's 2 while a doubling stays within the
 *   bound, and at 1 (no growth) once it would not. The bound is 16 MB on every version. Measured on
 *   Node 20, side by side in turns, a 750 MB log into the store: 316 and 306 MiB at 32 MB against
 *   276 and 269 MiB at 16 MB, 1–3 % slower; the 250 MB log without the store: the same time, 20 MB
 *   less. At 8 MB the 750 MB run peaked higher again (307 MiB, one run): what a batch of findings
 *   keeps alive while it is written is promoted, and the old generation grows instead.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The young generation's bound (both semi-spaces): half of Node 20's and 22's own limit. */
export const YOUNG_GENERATION_BYTES = 16 * 1024 * 1024;

/** Sets the old generation's growth for the whole run (see the module comment). */
export function growOldGenerationByHalf(): void {
  setFlagsFromString('--heap-growing-percent=50');
}

/** V8's young generation now (both semi-spaces), in bytes. */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Keeps the young generation near `limitBytes` from now on (see the module comment). It is looked at
 * after each garbage collection, when V8 may have grown it: a process that allocates nothing (an
 * idle `relay-audit serve`) is never woken for it. Not to the byte: V8 may grow it more than once
 * before the check runs, and Node 24's V8 also resizes it by pages (at an 8 MB bound it reached
 * 16 MB). On Node 24 a 250 MB run into the store stayed within 35 MB at a 32 MB bound (128 MB
 * without one; peak RSS 268 against 345 MB, same time), and within 16 MB at 16 MB. Returns a
 * function that stops it.
 */
export function boundYoungGeneration(limitBytes: number = YOUNG_GENERATION_BYTES): () => void {
  let factor: number | undefined;
  const check = () => {
    const wanted = youngGenerationBytes() * 2 <= limitBytes ? 2 : 1;
    if (wanted === factor) return;
    factor = wanted;
    setFlagsFromString(`--semi-space-growth-factor=${wanted}`);
  };
  check();
  const observer = new PerformanceObserver(check);
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
