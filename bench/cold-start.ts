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
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ESM_REQUIRE_SHIM, EXTERNAL_MODULES, PROJECT_ROOT } from '../lib/constructs/relay-function.js';

const HANDLERS = ['ingest', 'nightly', 'api', 'graph-pull'] as const;

/**
 * Powertools alone, as a handler sets it up (import, then one function's logger, metrics and
 * tracer): its share of a cold start without the noise of the rest. Only where the root has it.
 */
const POWERTOOLS = 'powertools';
const POWERTOOLS_MODULE = join('functions', 'runtime', 'powertools.ts');
const POWERTOOLS_ENTRY = `import { powertools } from './${POWERTOOLS_MODULE}'; powertools('relay-audit-ingest', 'info');`;

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

/** Bundles one handler of `root` (or {@link POWERTOOLS}) as RelayFunction does; returns the bundle's path. */
async function bundle(root: string, fn: string): Promise<string> {
  const outdir = join(root, '.cold-start', fn);
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  await build({
    absWorkingDir: root,
    ...(fn === POWERTOOLS
      ? { stdin: { contents: POWERTOOLS_ENTRY, resolveDir: root, loader: 'ts' as const } }
      : { entryPoints: [join(root, 'functions', fn, 'handler.ts')] }),
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

function minimum(values: number[]): number {
  return Math.min(...values);
}

const { runs, roots } = parseArgs(process.argv.slice(2));
/** What is measured: `root|unit` → bundle. */
const bundles = new Map<string, string>();
for (const root of roots) {
  for (const fn of HANDLERS) bundles.set(`${root}|${fn}`, await bundle(root, fn));
  if (existsSync(join(root, POWERTOOLS_MODULE)))
    bundles.set(`${root}|${POWERTOOLS}`, await bundle(root, POWERTOOLS));
}
const times = new Map<string, ImportTime[]>();
for (let run = 0; run < runs; run += 1) {
  for (const [key, file] of bundles) times.set(key, [...(times.get(key) ?? []), importTime(file)]);
}
console.log(`${runs} imports per bundle, each in a fresh node ${process.version}; median (minimum)`);
console.log(`${'unit'.padEnd(10)} ${'root'.padEnd(28)}   bundle         wall           cpu`);
for (const fn of [...HANDLERS, POWERTOOLS]) {
  for (const root of roots) {
    const key = `${root}|${fn}`;
    const file = bundles.get(key);
    if (file === undefined) continue;
    const kb = (statSync(file).size / 1024).toFixed(0);
    const runTimes = times.get(key) ?? [];
    const show = (values: number[]): string =>
      `${median(values).toFixed(0).padStart(5)} (${minimum(values).toFixed(0).padStart(4)}) ms`;
    console.log(
      `${fn.padEnd(10)} ${root.padEnd(28)} ${kb.padStart(5)} KB ${show(runTimes.map((t) => t.wallMs))} ${show(runTimes.map((t) => t.cpuMs))}`,
    );
  }
}
