/**
 * `npm run fuzz`: the long run of the fuzz harness (bench/fuzz-harness.ts) — generated and mutated
 * inputs through `analyze()` with a time and memory budget per input. Reports how many inputs ran
 * clean, or the first (shrunk) input that broke an invariant, and exits 1 then.
 *
 * Environment: FUZZ_SEED (random), FUZZ_RUNS (2000), FUZZ_MINUTES (10: stops after this long even
 * if FUZZ_RUNS are not done), FUZZ_INPUT_SECONDS (10) and FUZZ_SECONDS_PER_MB (1): the time budget
 * of an input (normal reading is some 30 MB/s), FUZZ_HEAP_MB (768).
 */
import { fuzz } from './fuzz-harness.js';

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(process.env.FUZZ_RUNS ?? 2000);
const minutes = Number(process.env.FUZZ_MINUTES ?? 10);
const budget = {
  seconds: Number(process.env.FUZZ_INPUT_SECONDS ?? 10),
  secondsPerMB: Number(process.env.FUZZ_SECONDS_PER_MB ?? 1),
  heapMB: Number(process.env.FUZZ_HEAP_MB ?? 768),
};
const started = Date.now();
console.log(
  `fuzz: seed ${seed}, up to ${runs} inputs or ${minutes} min; per input ${budget.seconds} s + ${budget.secondsPerMB} s/MB, ${budget.heapMB} MB heap`,
);
try {
  const ran = await fuzz({ seed, runs, budget, interruptAfterMs: minutes * 60_000 });
  console.log(`fuzz: ${ran} inputs clean in ${((Date.now() - started) / 1000).toFixed(0)} s (seed ${seed})`);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  // fast-check keeps what the property threw as the cause: the invariants that broke.
  if (error instanceof Error && error.cause instanceof Error) console.error(`\n${error.cause.message}`);
  console.error(`fuzz: an invariant broke (seed ${seed}; FUZZ_SEED=${seed} reproduces it)`);
  process.exitCode = 1;
}
