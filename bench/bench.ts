/**
 * `npm run bench`: throughput and peak memory of relay-audit against a plain Python baseline on generated
 * Exchange message tracking logs.
 *
 * For each input size (25 MB and 250 MB by default) it runs, as child processes:
 *   - baseline       python3 bench/baseline.py FILE
 *   - classify-only  node dist/cli/relay-audit.js analyze FILE --no-store --accepted-domains contoso.com
 *   - with store     node dist/cli/relay-audit.js analyze FILE --db <fresh temp dir> --accepted-domains contoso.com --json
 * measuring wall time (spawn → exit) and the child's peak RSS (`VmHWM` from /proc/<pid>/status, polled every
 * 20 ms; it is monotonic, so the last reading is the peak). It reports, it does not assert: exit code 0 even
 * when a goal is missed, non-zero only when a child process fails or the CLI build is missing.
 *
 * Environment:
 *   BENCH_SMALL_MB (25), BENCH_LARGE_MB (250)  input sizes in MB (2^20 bytes)
 *   BENCH_MEMORY_MB (750)                       a third size measured with the store only, for its memory goal (0: skip)
 *   BENCH_REPEAT (1)                            runs per measurement; the median time is reported
 *   BENCH_SEED (42)                             generator seed
 *   BENCH_BASELINE_ONLY=1                       run only the Python baseline (no CLI needed)
 *   BENCH_TOOLS (baseline,classify-only,with-store)  which measurements to run (the baseline always runs)
 *   BENCH_CLI (dist/cli/relay-audit.js)         the CLI to measure
 * Then what a user feels, as child processes too: `relay-audit analyze` of the bundled samples into a fresh
 * embedded store (start to report; `npm start` without the build) and a cold start of `relay-audit help`.
 * Results: printed as a table and written to bench/.data/results.json.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ACCEPTED_DOMAIN, type GenerateResult, generateTrackingLog } from './generate-tracking-log.js';

const MB = 1024 * 1024;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA_DIR = join(ROOT, 'bench', '.data');
const CLI = process.env.BENCH_CLI
  ? resolve(process.env.BENCH_CLI)
  : join(ROOT, 'dist', 'cli', 'relay-audit.js');
const BASELINE = join(ROOT, 'bench', 'baseline.py');
const POLL_MS = 20;

const GOAL_THROUGHPUT_RATIO = 1.5;
const GOAL_PEAK_RSS_MB = 300;
const GOAL_FLAT_RATIO = 1.5;
/** The embedded store may cost at most half the analysis' throughput (with-store ≥ 0.5× classify-only). */
const GOAL_STORE_RATIO = 0.5;
/** With-store peak RSS at the memory size (BENCH_MEMORY_MB). */
const GOAL_STORE_PEAK_RSS_MB = 300;

type ToolId = 'baseline' | 'classify-only' | 'with-store';

interface Run {
  seconds: number;
  peakRssBytes: number;
}

interface Measurement {
  size: string;
  tool: ToolId;
  command: string;
  runs: Run[];
  /** Median over runs. */
  seconds: number;
  /** Highest peak over runs. */
  peakRssMB: number;
  mbPerSec: number;
  rowsPerSec: number;
  /** baseline_seconds / tool_seconds on the same input. */
  ratioVsBaseline: number | null;
  /** baseline: its own {rows, hits}; with-store: the CLI's JSON summary. */
  output?: unknown;
}

interface Input extends GenerateResult {
  label: string;
  sizeMB: number;
  /** Data rows by a quick line count of the file (non-`#` lines). */
  countedRows: number;
}

interface Goal {
  goal: string;
  detail: string;
  status: 'PASS' | 'MISS' | 'N/A';
}

class ChildFailed extends Error {}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

/** Data rows: lines that are neither `#` preamble lines nor blank (a BOM before the first line is skipped). */
function countRows(path: string): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(4 * MB);
  let lines = 0;
  let notRows = 0;
  let atLineStart = true;
  let first = true;
  let last = -1;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      const b = buf.subarray(0, n);
      let i = 0;
      if (first) {
        first = false;
        if (n >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
      }
      while (i < n) {
        if (atLineStart) {
          const c = b[i];
          if (c === 0x23 || c === 0x0d || c === 0x0a) notRows++;
          atLineStart = false;
        }
        const j = b.indexOf(0x0a, i);
        if (j === -1) break;
        lines++;
        atLineStart = true;
        i = j + 1;
      }
      last = b[n - 1] as number;
    }
  } finally {
    closeSync(fd);
  }
  if (last !== -1 && last !== 0x0a) lines++;
  return lines - notRows;
}

function readPeakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined; // exited (or not Linux)
  }
}

function tail(s: string, max = 4000): string {
  return s.length > max ? `…${s.slice(-max)}` : s;
}

interface ChildResult extends Run {
  stdout: string;
  stderr: string;
}

/** Runs one child, timing spawn → exit and polling its peak RSS. Rejects when it cannot start or fails. */
function runChild(tool: ToolId, cmd: string, args: string[], captureStdout: boolean): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'] });
    } catch (err) {
      reject(new ChildFailed(`${tool}: could not start ${cmd}: ${(err as Error).message}`));
      return;
    }
    let ended = 0;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let peak = 0;
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      err = tail(err + d, 64 * 1024);
    });
    const pid = child.pid;
    const poll = (): void => {
      if (pid === undefined) return;
      const v = readPeakRss(pid);
      if (v !== undefined && v > peak) peak = v;
    };
    poll();
    const timer = setInterval(poll, POLL_MS);
    child.once('error', (e) => {
      clearInterval(timer);
      reject(new ChildFailed(`${tool}: could not start ${cmd}: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      ended = performance.now();
      clearInterval(timer);
      exitCode = code;
      exitSignal = signal;
    });
    child.once('close', () => {
      clearInterval(timer);
      if (exitCode !== 0) {
        const how = exitSignal ? `signal ${exitSignal}` : `exit code ${exitCode}`;
        reject(
          new ChildFailed(
            `${tool} failed (${how}): ${cmd} ${args.join(' ')}\n--- stderr (tail) ---\n${tail(err)}`,
          ),
        );
        return;
      }
      resolvePromise({
        seconds: ((ended || performance.now()) - started) / 1000,
        peakRssBytes: peak,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: err,
      });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function lastJsonLine(s: string): unknown {
  const lines = s.trim().split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i] as string);
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return { unparsedStdout: tail(s, 2000) };
  }
}

async function measure(tool: ToolId, input: Input, repeat: number): Promise<Measurement> {
  const file = input.path;
  const runs: Run[] = [];
  let output: unknown;
  let command = '';
  for (let r = 0; r < repeat; r++) {
    (globalThis as { gc?: () => void }).gc?.();
    let res: ChildResult;
    if (tool === 'baseline') {
      const args = [BASELINE, file];
      command = `python3 ${args.map((a) => relative(ROOT, a)).join(' ')}`;
      res = await runChild(tool, 'python3', args, false);
      output = lastJsonLine(res.stderr);
    } else if (tool === 'classify-only') {
      const args = [CLI, 'analyze', file, '--no-store', '--accepted-domains', ACCEPTED_DOMAIN];
      command = `node ${args.map((a) => (a.startsWith('/') ? relative(ROOT, a) : a)).join(' ')} > /dev/null`;
      res = await runChild(tool, process.execPath, args, false);
    } else {
      const db = mkdtempSync(join(tmpdir(), 'relay-audit-bench-'));
      const args = [CLI, 'analyze', file, '--db', db, '--accepted-domains', ACCEPTED_DOMAIN, '--json'];
      command = `node ${[CLI, 'analyze', file].map((a) => relative(ROOT, a)).join(' ')} --db <temp dir> --accepted-domains ${ACCEPTED_DOMAIN} --json`;
      try {
        res = await runChild(tool, process.execPath, args, true);
      } finally {
        rmSync(db, { recursive: true, force: true });
      }
      output = parseJson(res.stdout);
    }
    runs.push({ seconds: res.seconds, peakRssBytes: res.peakRssBytes });
    process.stdout.write(
      `  ${input.label.padStart(7)}  ${tool.padEnd(13)} run ${r + 1}/${repeat}: ${res.seconds.toFixed(2)} s, peak RSS ${(res.peakRssBytes / MB).toFixed(1)} MB\n`,
    );
  }
  const seconds = median(runs.map((x) => x.seconds));
  return {
    size: input.label,
    tool,
    command,
    runs,
    seconds,
    peakRssMB: Math.max(...runs.map((x) => x.peakRssBytes)) / MB,
    mbPerSec: input.bytes / MB / seconds,
    rowsPerSec: input.countedRows / seconds,
    ratioVsBaseline: null,
    output,
  };
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function table(ms: Measurement[]): string {
  const head = ['size', 'tool', 'seconds', 'MB/s', 'rows/s', 'peak RSS MB', 'ratio vs baseline'];
  const body = ms.map((m) => [
    m.size,
    m.tool,
    m.seconds.toFixed(2),
    m.mbPerSec.toFixed(1),
    fmtInt(m.rowsPerSec),
    m.peakRssMB.toFixed(1),
    m.ratioVsBaseline === null ? '-' : `${m.ratioVsBaseline.toFixed(2)}×`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join(' | ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

function evaluateGoals(
  ms: Measurement[],
  inputs: Input[],
  baselineOnly: boolean,
  memory: Measurement | undefined,
): Goal[] {
  if (baselineOnly) {
    return [
      {
        goal: `classify-only ≥ ${GOAL_THROUGHPUT_RATIO}× baseline throughput`,
        detail: 'not run',
        status: 'N/A',
      },
      { goal: `peak RSS < ${GOAL_PEAK_RSS_MB} MB`, detail: 'not run', status: 'N/A' },
      { goal: `RSS flat (large/small peak < ${GOAL_FLAT_RATIO})`, detail: 'not run', status: 'N/A' },
    ];
  }
  const goals: Goal[] = [];
  const classify = ms.filter((m) => m.tool === 'classify-only');
  goals.push({
    goal: `classify-only ≥ ${GOAL_THROUGHPUT_RATIO}× baseline throughput`,
    detail: classify.map((m) => `${m.size}: ${(m.ratioVsBaseline ?? 0).toFixed(2)}×`).join(', '),
    status: classify.every((m) => (m.ratioVsBaseline ?? 0) >= GOAL_THROUGHPUT_RATIO) ? 'PASS' : 'MISS',
  });
  const ours = ms.filter((m) => m.tool !== 'baseline');
  goals.push({
    goal: `peak RSS < ${GOAL_PEAK_RSS_MB} MB (relay-audit)`,
    detail: ours.map((m) => `${m.size} ${m.tool}: ${m.peakRssMB.toFixed(1)} MB`).join(', '),
    status: ours.every((m) => m.peakRssMB < GOAL_PEAK_RSS_MB) ? 'PASS' : 'MISS',
  });
  const small = inputs[0]?.label;
  const large = inputs[inputs.length - 1]?.label;
  const flat: string[] = [];
  let allFlat = true;
  for (const tool of ['classify-only', 'with-store'] as const) {
    const s = ms.find((m) => m.tool === tool && m.size === small);
    const l = ms.find((m) => m.tool === tool && m.size === large);
    if (!s || !l) continue;
    const ratio = l.peakRssMB / s.peakRssMB;
    if (!(ratio < GOAL_FLAT_RATIO)) allFlat = false;
    flat.push(`${tool}: ${s.peakRssMB.toFixed(1)} → ${l.peakRssMB.toFixed(1)} MB (${ratio.toFixed(2)}×)`);
  }
  goals.push({
    goal: `RSS flat between ${small} and ${large} input (large/small peak < ${GOAL_FLAT_RATIO})`,
    detail: flat.join(', '),
    status: allFlat ? 'PASS' : 'MISS',
  });
  const storeRatios: string[] = [];
  let storeFastEnough = true;
  for (const input of inputs) {
    const c = ms.find((m) => m.tool === 'classify-only' && m.size === input.label);
    const w = ms.find((m) => m.tool === 'with-store' && m.size === input.label);
    if (!c || !w) continue;
    const ratio = c.seconds / w.seconds;
    if (ratio < GOAL_STORE_RATIO) storeFastEnough = false;
    storeRatios.push(
      `${input.label}: ${ratio.toFixed(2)}× (${w.seconds.toFixed(2)} s vs ${c.seconds.toFixed(2)} s)`,
    );
  }
  if (storeRatios.length > 0) {
    goals.push({
      goal: `with-store throughput ≥ ${GOAL_STORE_RATIO}× classify-only`,
      detail: storeRatios.join(', '),
      status: storeFastEnough ? 'PASS' : 'MISS',
    });
  }
  if (memory !== undefined) {
    goals.push({
      goal: `with-store peak RSS < ${GOAL_STORE_PEAK_RSS_MB} MB at ${memory.size}`,
      detail: `${memory.peakRssMB.toFixed(1)} MB in ${memory.seconds.toFixed(2)} s`,
      status: memory.peakRssMB < GOAL_STORE_PEAK_RSS_MB ? 'PASS' : 'MISS',
    });
  }
  return goals;
}

/** BENCH_TOOLS, validated; the baseline always runs (every ratio needs it). */
function selectedTools(): ToolId[] {
  const all: ToolId[] = ['baseline', 'classify-only', 'with-store'];
  const raw = process.env.BENCH_TOOLS;
  if (raw === undefined || raw.trim() === '') return all;
  const asked = raw.split(',').map((tool) => tool.trim());
  const unknown = asked.filter((tool) => !all.includes(tool as ToolId));
  if (unknown.length > 0)
    throw new Error(`BENCH_TOOLS: unknown ${unknown.join(', ')} (known: ${all.join(', ')})`);
  return all.filter((tool) => tool === 'baseline' || asked.includes(tool));
}

function pythonVersion(): string {
  const r = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').trim() || 'unknown';
}

/** Generates (or reuses) the tracking log of `sizeMB` and counts its rows. */
async function prepareInput(sizeMB: number, seed: number): Promise<Input> {
  const label = `${sizeMB} MB`;
  const path = join(DATA_DIR, `MSGTRK-bench-${sizeMB}MB-seed${seed}.LOG`);
  const g = await generateTrackingLog(path, Math.round(sizeMB * MB), seed);
  const countedRows = countRows(path);
  console.log(
    g.generated
      ? `generated ${relative(ROOT, path)}: ${(g.bytes / MB).toFixed(1)} MB, ${fmtInt(countedRows)} rows ` +
          `(${fmtInt(g.rejectionRows)} relay rejections) in ${g.seconds.toFixed(2)} s (${(g.bytes / MB / g.seconds).toFixed(0)} MB/s)`
      : `cached    ${relative(ROOT, path)}: ${(g.bytes / MB).toFixed(1)} MB, ${fmtInt(countedRows)} rows ` +
          `(${fmtInt(g.rejectionRows)} relay rejections)`,
  );
  return { ...g, label, sizeMB, countedRows };
}

/** What a user feels: one command line, timed spawn → exit over `repeat` runs (median), with its peak RSS. */
interface UserMeasurement {
  what: string;
  command: string;
  seconds: number;
  peakRssMB: number;
}

async function measureUserCommand(what: string, args: string[], repeat: number): Promise<UserMeasurement> {
  const runs: Run[] = [];
  let command = '';
  for (let r = 0; r < repeat; r++) {
    const db = mkdtempSync(join(tmpdir(), 'relay-audit-bench-'));
    const withDb = args.map((arg) => (arg === '<db>' ? db : arg));
    command = `node ${[relative(ROOT, CLI), ...args].join(' ')}`;
    try {
      const res = await runChild('with-store', process.execPath, [CLI, ...withDb], false);
      runs.push(res);
    } finally {
      rmSync(db, { recursive: true, force: true });
    }
  }
  return {
    what,
    command,
    seconds: median(runs.map((run) => run.seconds)),
    peakRssMB: Math.max(...runs.map((run) => run.peakRssBytes)) / MB,
  };
}

async function main(): Promise<number> {
  const smallMB = envNumber('BENCH_SMALL_MB', 25);
  const largeMB = envNumber('BENCH_LARGE_MB', 250);
  const repeat = Math.round(envNumber('BENCH_REPEAT', 1));
  const seed = Math.round(envNumber('BENCH_SEED', 42));
  const baselineOnly = process.env.BENCH_BASELINE_ONLY === '1';
  const memoryMB = process.env.BENCH_MEMORY_MB === '0' ? 0 : envNumber('BENCH_MEMORY_MB', 750);

  if (!baselineOnly && !existsSync(CLI)) {
    console.error(
      `bench: the relay-audit CLI build is missing: ${relative(ROOT, CLI)} does not exist.\n` +
        '  `npm run bench` builds it with `npm run build` (bin/bundle-cli.ts bundles bin/relay-audit.ts);\n' +
        '  make sure bin/relay-audit.ts exists and compiles. To time only the Python baseline: BENCH_BASELINE_ONLY=1.',
    );
    return 1;
  }
  if (process.platform !== 'linux')
    console.warn('bench: peak RSS needs /proc (Linux); it will read as 0 here.');

  mkdirSync(DATA_DIR, { recursive: true });
  console.log(`relay-audit bench — node ${process.version}, ${pythonVersion()}, ${cpus().length} CPU(s)`);
  console.log(`MB = 2^20 bytes; seed ${seed}; ${repeat} run(s) per measurement (median time)\n`);

  const inputs: Input[] = [];
  for (const sizeMB of [smallMB, largeMB]) inputs.push(await prepareInput(sizeMB, seed));
  console.log('');

  const tools = baselineOnly ? (['baseline'] as ToolId[]) : selectedTools();
  const measurements: Measurement[] = [];
  for (const input of inputs) {
    let baselineSeconds: number | undefined;
    for (const tool of tools) {
      const m = await measure(tool, input, repeat);
      if (tool === 'baseline') {
        baselineSeconds = m.seconds;
        const out = m.output as { rows?: number } | undefined;
        if (out?.rows !== undefined && out.rows !== input.countedRows) {
          console.warn(`  warning: baseline read ${out.rows} rows, the line count says ${input.countedRows}`);
        }
      }
      m.ratioVsBaseline = baselineSeconds === undefined ? null : baselineSeconds / m.seconds;
      measurements.push(m);
    }
  }

  let memory: Measurement | undefined;
  if (memoryMB > 0 && tools.includes('with-store')) {
    // Not one of `inputs`: only its memory is a goal, and the flat-RSS goal compares the two sizes above.
    memory = await measure('with-store', await prepareInput(memoryMB, seed), 1);
    measurements.push(memory);
  }

  const user: UserMeasurement[] = [];
  if (!baselineOnly) {
    const userRepeat = Math.max(3, repeat);
    user.push(
      await measureUserCommand(
        'analyze the bundled samples into a fresh store (npm start without the build)',
        [
          'analyze',
          'sample-logs',
          '--accepted-domains',
          'sample-logs/config/accepted-domains.csv',
          '--db',
          '<db>',
        ],
        userRepeat,
      ),
      await measureUserCommand('cold start of relay-audit help', ['help'], userRepeat),
    );
  }

  const goals = evaluateGoals(measurements, inputs, baselineOnly, memory);
  console.log(`\n${table(measurements)}\n`);
  if (user.length > 0) {
    console.log('What users feel (median of runs, spawn → exit):');
    for (const u of user)
      console.log(
        `  ${u.seconds.toFixed(2)} s, peak RSS ${u.peakRssMB.toFixed(1)} MB — ${u.what}: ${u.command}`,
      );
    console.log('');
  }
  console.log('Goals:');
  for (const g of goals) console.log(`  ${g.status.padEnd(4)}  ${g.goal}${g.detail ? ` — ${g.detail}` : ''}`);

  const resultsPath = join(DATA_DIR, 'results.json');
  const results = {
    finishedAt: new Date().toISOString(),
    environment: {
      node: process.version,
      python: pythonVersion(),
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
    },
    config: { seed, repeat, smallMB, largeMB, baselineOnly, mb: MB },
    inputs: inputs.map((i) => ({
      size: i.label,
      file: relative(ROOT, i.path),
      bytes: i.bytes,
      rows: i.countedRows,
      relayRejectionRows: i.rejectionRows,
      generated: i.generated,
      generationSeconds: i.seconds,
    })),
    measurements,
    user,
    goals,
  };
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nresults: ${relative(ROOT, resultsPath)}`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof ChildFailed) console.error(`bench: ${err.message}`);
  else console.error('bench: failed:', err);
  process.exitCode = 1;
}
