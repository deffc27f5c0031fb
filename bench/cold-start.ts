/**
 * What a Lambda cold start pays for the handlers' code: each function bundled as the stack bundles
 * it (esbuild, ESM, minified, AWS SDK external: lib/constructs/relay-function.ts), its size, and
 * the median time a fresh Node process takes to import it, with Lambda's environment variables set
 * (so Powertools' Tracer initialises as it does in Lambda): wall-clock time, and the CPU time the
 * import used (user + system), which a busy machine disturbs less.
 *
 *     npx tsx bench/cold-start.ts [--runs N] [ROOT…]
 *
 * Each ROOT is a checkout of relay-audit with its `node_modules` (default: this one). With two
 * roots (say an export of `main` and this branch) the runs are interleaved, so a busy machine
 * slows both alike and the ratio stays fair.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ESM_REQUIRE_SHIM, EXTERNAL_MODULES, PROJECT_ROOT } from '../lib/constructs/relay-function.js';

const HANDLERS = ['ingest', 'nightly', 'api', 'graph-pull'] as const;

/** Lambda's own variables: Powertools reads them to tell it runs in Lambda. */
const LAMBDA_ENV = {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  AWS_LAMBDA_FUNCTION_NAME: 'cold-start-bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  AWS_REGION: 'eu-west-1',
  LAMBDA_TASK_ROOT: '/var/task',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  NODE_OPTIONS: '--enable-source-maps',
};

function parseArgs(argv: string[]): { runs: number; roots: string[] } {
  let runs = 15;
  const roots: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--runs') {
      runs = Number(argv[i + 1]);
      i += 1;
    } else roots.push(resolve(arg));
  }
  return { runs, roots: roots.length > 0 ? roots : [PROJECT_ROOT] };
}

/** Bundles one handler of `root` as RelayFunction does; returns the bundle's path. */
async function bundle(root: string, fn: string): Promise<string> {
  const outdir = join(root, '.cold-start', fn);
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'functions', fn, 'handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_SHIM },
    sourcemap: true,
    sourcesContent: false,
    minify: true,
    keepNames: true,
    external: EXTERNAL_MODULES,
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });
  return outfile;
}

interface ImportTime {
  wallMs: number;
  cpuMs: number;
}

/** Wall-clock and CPU milliseconds one fresh Node process takes to import `file`. */
function importTime(file: string): ImportTime {
  const script =
    'const t=performance.now();const c=process.cpuUsage();' +
    `await import(${JSON.stringify(pathToFileURL(file).href)});` +
    'const u=process.cpuUsage(c);' +
    'process.stdout.write(JSON.stringify({wallMs:performance.now()-t,cpuMs:(u.user+u.system)/1000}));';
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...LAMBDA_ENV },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`import of ${file} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ImportTime;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const { runs, roots } = parseArgs(process.argv.slice(2));
const bundles = new Map<string, string>();
for (const root of roots) for (const fn of HANDLERS) bundles.set(`${root}|${fn}`, await bundle(root, fn));
const times = new Map<string, ImportTime[]>();
for (let run = 0; run < runs; run += 1) {
  for (const fn of HANDLERS) {
    for (const root of roots) {
      const key = `${root}|${fn}`;
      times.set(key, [...(times.get(key) ?? []), importTime(bundles.get(key) as string)]);
    }
  }
}
console.log(`${runs} imports per bundle, each in a fresh node ${process.version}; medians`);
console.log(`${'function'.padEnd(10)} ${'root'.padEnd(28)}   bundle    wall     cpu`);
for (const fn of HANDLERS) {
  for (const root of roots) {
    const key = `${root}|${fn}`;
    const kb = (statSync(bundles.get(key) as string).size / 1024).toFixed(0);
    const runTimes = times.get(key) ?? [];
    const wall = median(runTimes.map((time) => time.wallMs)).toFixed(0);
    const cpu = median(runTimes.map((time) => time.cpuMs)).toFixed(0);
    console.log(
      `${fn.padEnd(10)} ${root.padEnd(28)} ${kb.padStart(5)} KB ${wall.padStart(4)} ms ${cpu.padStart(4)} ms`,
    );
  }
}
