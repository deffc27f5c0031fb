/**
 * The bundled command (`npm run build` → dist/cli), built here into a temporary directory by the
 * same bundleCli() and run as a separate process, the way `npm start` and npx run it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../../bin/bundle-cli.js';
import { main } from '../../bin/cli.js';
import { CapturedOutput } from '../support/capture-output.js';
import { SAMPLE_FINDING_COUNT } from '../support/sample-expectations.js';

// Outside the project on purpose: the AWS SDK and dynalite are external, so `--no-store` working
// from here proves the bundle loads them only when a store is opened.
const outdir = mkdtempSync(join(tmpdir(), 'relay-audit-cli-'));
const cli = join(outdir, 'relay-audit.js');

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

beforeAll(async () => {
  await bundleCli(outdir);
}, 60_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('bundled relay-audit', () => {
  it('prints usage, and exits 2 for an unknown command', () => {
    expect(run('--help').status).toBe(0);
    expect(run('--help').stdout).toMatch(/relay-audit analyze <file\|dir>/);
    const unknown = run('toString');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "toString"/);
  });

  it('writes the same NDJSON as the in-process command, without loading the store', async () => {
    const args = [
      'analyze',
      'sample-logs',
      '--accepted-domains',
      'sample-logs/config/accepted-domains.csv',
      '--no-store',
    ];
    const bundled = run(...args);
    const inProcess = new CapturedOutput();
    const status = await main(args, inProcess);
    expect(bundled.status).toBe(status);
    expect(bundled.stdout).toBe(inProcess.stdout);
    expect(bundled.stdout.trim().split('\n')).toHaveLength(SAMPLE_FINDING_COUNT);
  });
});
