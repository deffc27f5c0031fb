/**
 * The checks `npm test` runs before the tests: the three type checks (`npm run typecheck`: the
 * functions and CLI, the CDK app, the dashboard) and Biome (`npm run lint`), side by side: each is one
 * process on one core. Measured on the 2-core VM: 52 s one after another, 41 s side by side, of an
 * `npm test` that must stay under 10 minutes. Each one's output is printed whole once it ends; any
 * failure fails the step, after all have ended.
 */
import { spawn } from 'node:child_process';

const CHECKS = [
  ['type check (functions, CLI, tests)', 'tsc', ['--noEmit']],
  ['type check (CDK app)', 'tsc', ['-p', 'tsconfig.cdk.json']],
  ['type check (dashboard)', 'tsc', ['--noEmit', '-p', 'dashboard']],
  ['lint (Biome)', 'biome', ['check', '.']],
];

/** Runs one check (its binary from node_modules/.bin, on the PATH npm gives scripts); resolves its exit code. */
function run([name, command, args]) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => {
      output.push(Buffer.from(`${error.message}\n`));
      resolve({ name, code: 1, output, seconds: (Date.now() - started) / 1000 });
    });
    child.on('close', (code) =>
      resolve({ name, code: code ?? 1, output, seconds: (Date.now() - started) / 1000 }),
    );
  });
}

const results = await Promise.all(CHECKS.map(run));
for (const { name, code, output, seconds } of results) {
  process.stdout.write(`${code === 0 ? 'ok  ' : 'FAIL'} ${name} (${seconds.toFixed(1)} s)\n`);
  if (code !== 0) process.stdout.write(Buffer.concat(output));
}
process.exitCode = results.some((result) => result.code !== 0) ? 1 : 0;
