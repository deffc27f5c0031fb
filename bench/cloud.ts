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
 *       are those of a calm run.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bigUpload, burst, sameMap } from './cloud-scenarios.js';

const DATA_DIR = join(import.meta.dirname, '.data');
/** Small enough that a replay fits a 3 s invocation; the same for the reference pass. */
const MEMORY = { windowEvents: 500, maxTrackedMessages: 500 };

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '500' },
    files: { type: 'string', default: '200' },
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

if (values.only !== 'b') {
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

if (values.only !== 'a') {
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
process.exitCode = wrong === 0 ? 0 : 1;
