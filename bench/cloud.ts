/**
 * `npm run bench:cloud`: the cloud pipeline at sizes real operations reach, on the local engines
 * with the real ingest handler (see cloud-scenarios.ts). A benchmark, not a test: it prints what
 * it measured and fails only when a scenario's outcome is wrong.
 *
 *   (a) one generated tracking log (default 500 MB; `--mb N`) analysed by invocations with a forced
 *       3 s deadline: it completes through continuations, its findings are exactly one pass's, and
 *       the items written are within 2 % of one pass;
 *   (b) 200 uploads landing at once (`--files N`), 10 invocations at a time, 20 % of the store's
 *       write calls failing as throttled: every file ends done, none is retried, and the findings
 *       are those of a calm run;
 *   (c) 100 uploads of 2 MB (`--reanalysis-files N`) an older classifier version analysed, re-analysed
 *       through the re-analysis worker 10 items at a time with 3 s invocations: no finding of the
 *       older version is left, the findings and rollup counters are a fresh run's;
 *   split: one 64 MB upload (`--split-mb N`) re-analysed by one worker process vs cut into
 *       `--parts` (4) parts analysed by as many processes at once (see split-measurement.ts).
 *
 * `--only a|b|c|split` runs one of them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bigUpload, burst, sameMap } from './cloud-scenarios.js';
import { reanalysis } from './reanalysis-scenario.js';
import { splitMeasurement } from './split-measurement.js';

const DATA_DIR = join(import.meta.dirname, '.data');
/** Small enough that a replay fits a 3 s invocation; the same for the reference pass. */
const MEMORY = { windowEvents: 500, maxTrackedMessages: 500 };

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '500' },
    files: { type: 'string', default: '200' },
    'reanalysis-files': { type: 'string', default: '100' },
    'split-mb': { type: 'string', default: '64' },
    parts: { type: 'string', default: '4' },
    only: { type: 'string' },
  },
});
const MB = 1024 * 1024;
mkdirSync(DATA_DIR, { recursive: true });
let wrong = 0;
const check = (ok: boolean, what: string): void => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) wrong++;
};

const runs = (scenario: string): boolean => values.only === undefined || values.only === scenario;

if (runs('a')) {
  const mb = Number(values.mb);
  console.log(`(a) one ${mb} MB upload, 3 s per invocation`);
  const a = await bigUpload({
    path: join(DATA_DIR, `MSGTRK-cloud-${mb}MB.LOG`),
    bytes: mb * MB,
    deadlineMs: 3_000,
    memory: MEMORY,
  });
  console.log(
    `  ${(a.bytes / MB).toFixed(0)} MB in ${a.seconds.toFixed(1)} s (one pass in memory: ${a.referenceSeconds.toFixed(1)} s); ` +
      `${a.invocations} invocations, ${a.continuations} continuations; ` +
      `${a.writes.calls} write calls; findings items written ${a.itemsWritten} vs one pass ${a.itemsOnePass} ` +
      `(${((a.itemsWritten / a.itemsOnePass - 1) * 100).toFixed(2)} %); ${a.findings} distinct findings`,
  );
  check(a.status === 'done', `the upload ends done (${a.status})`);
  check(a.failedMessages === 0, `no message retried (${a.failedMessages})`);
  check(a.sameFindings, 'findings exactly those of one pass (id and scenario)');
  check(a.itemsWritten <= a.itemsOnePass * 1.02, 'items written within 2 % of one pass');
}

if (runs('b')) {
  const files = Number(values.files);
  const common = { dir: DATA_DIR, files, bytesEach: 256 * 1024, concurrency: 10, memory: MEMORY };
  console.log(`(b) ${files} uploads at once, 10 invocations at a time`);
  const calm = await burst({ ...common, throttleShare: 0 });
  console.log(
    `  calm:      ${calm.seconds.toFixed(1)} s, ${calm.invocations} invocations, ${calm.writes.calls} write calls`,
  );
  const stormy = await burst({ ...common, throttleShare: 0.2 });
  console.log(
    `  throttled: ${stormy.seconds.toFixed(1)} s, ${stormy.invocations} invocations, ${stormy.writes.calls} write calls, ` +
      `${stormy.writes.throttled} throttled and retried by the SDK`,
  );
  check(stormy.done === files, `every file done (${stormy.done}/${files})`);
  check(
    stormy.failedMessages === 0,
    `nothing retried, so nothing can reach the DLQ (${stormy.failedMessages})`,
  );
  check(
    sameMap(stormy.findings, calm.findings),
    `findings identical to the calm run (${calm.findings.size})`,
  );
}
if (runs('c')) {
  const files = Number(values['reanalysis-files']);
  console.log(
    `(c) re-analysis of ${files} uploads an older classifier analysed, 10 at a time, 3 s invocations`,
  );
  const c = await reanalysis({
    dir: DATA_DIR,
    files,
    bytesEach: 2 * MB,
    concurrency: 10,
    memory: MEMORY,
    deadline: { ms: 3_000 },
  });
  console.log(
    `  ${(c.bytes / MB).toFixed(0)} MB; older version's ingest ${c.olderSeconds.toFixed(1)} s; ` +
      `re-analysis ${c.seconds.toFixed(1)} s (${c.invocations} invocations, ${c.continuations} continuations, ` +
      `${c.retries} item retries), ${c.writeCalls} write calls; fresh ingest ${c.freshSeconds.toFixed(1)} s, ` +
      `${c.freshWriteCalls} write calls`,
  );
  console.log(
    `  the older version wrote ${c.olderReclassified} findings in another scenario and ${c.olderExtras} the current ` +
      `one does not find; after: ${c.findings} findings; second run: ${JSON.stringify(c.again.outcomes)}, ` +
      `${c.again.writeCalls} write calls`,
  );
  check(
    c.outcomes.analysed === files && c.outcomes.failed === 0,
    `every upload re-analysed (${JSON.stringify(c.outcomes)})`,
  );
  check(
    c.olderLeft === 0 && c.gonesLeft === 0,
    `no finding of the older version left (${c.olderLeft}, ${c.gonesLeft})`,
  );
  check(c.sameFindings, 'findings those of a fresh analysis (id, scenario, version)');
  check(c.sameRollups, 'rollup counters those of a fresh analysis');
  check(c.allCurrent, 'every source record done by the current version');
  check(
    c.again.outcomes.skipped === files && c.again.writeCalls === 0,
    'a second run skips every upload, writes nothing',
  );
}

if (runs('split')) {
  const mb = Number(values['split-mb']);
  const parts = Number(values.parts);
  console.log(
    `split: one ${mb} MB upload, one worker vs ${parts} workers on byte ranges (separate processes)`,
  );
  const m = await splitMeasurement({
    path: join(DATA_DIR, `MSGTRK-split-${mb}MB.LOG`),
    bytes: mb * MB,
    parts,
  });
  console.log(
    `  one worker: ${m.one.wallSeconds.toFixed(1)} s (analysis ${m.one.slowestAnalysisSeconds.toFixed(1)} s), ${m.one.findings} findings`,
  );
  console.log(
    `  ${parts} workers: ${m.split.wallSeconds.toFixed(1)} s (slowest analysis ${m.split.slowestAnalysisSeconds.toFixed(1)} s), ` +
      `${m.split.findings} findings; speed-up ${(m.one.slowestAnalysisSeconds / m.split.slowestAnalysisSeconds).toFixed(2)}×`,
  );
}
process.exitCode = wrong === 0 ? 0 : 1;
