/**
 * The bundled command (`npm run build` → dist/cli), built here into a temporary directory by the
 * same bundleCli() and run as a separate process, the way `npm start` and npx run it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** The project's root: a bundle built under it finds the project's node_modules, as dist/cli does. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

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

describe('bundled relay-audit serve', () => {
  // Inside the project (under the ignored dist/), as `npm run build` puts it: the store and the
  // upload form's reader (@fastify/busboy, CommonJS) are loaded at run time from node_modules.
  const bundleDir = join(ROOT, 'dist');
  let servedFrom: string | undefined;
  let work: string | undefined;

  afterAll(() => {
    if (servedFrom) rmSync(servedFrom, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('analyses a dashboard upload: the form is read and the findings are stored', async () => {
    mkdirSync(bundleDir, { recursive: true });
    servedFrom = mkdtempSync(join(bundleDir, 'test-cli-'));
    work = mkdtempSync(join(tmpdir(), 'relay-audit-serve-bundle-'));
    await bundleCli(servedFrom);
    const child = spawn(
      process.execPath,
      [join(servedFrom, 'relay-audit.js'), 'serve', '--db', join(work, 'db'), '--port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    try {
      const base = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (text: string) => {
          stdout += text;
          const url = /http:\/\/[0-9.:]+\//.exec(stdout)?.[0];
          if (url) resolve(url);
        });
        child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
      });
      const content = readFileSync(join(ROOT, 'sample-logs', 'postfix-mail.log'));
      const query = new URLSearchParams({ name: 'postfix-mail.log', size: String(content.length) });
      const granted = await fetch(`${base}api/uploads?${query}`, { method: 'POST' });
      expect(granted.status).toBe(201);
      const grant = (await granted.json()) as { url: string; key: string; fields: Record<string, string> };
      const form = new FormData();
      for (const [name, value] of Object.entries(grant.fields)) form.append(name, value);
      form.append('file', new Blob([content]), 'postfix-mail.log');
      const sent = await fetch(new URL(grant.url, base), { method: 'POST', body: form });
      expect(sent.status, await sent.text()).toBe(204);

      type Source = { file: string; status: string; rejections?: number; findingsByScenario?: object };
      let source: Source | undefined;
      for (let attempt = 0; attempt < 100 && source?.status !== 'done'; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        const sources = (await (await fetch(`${base}api/sources?limit=10`)).json()) as {
          items: Source[];
        };
        source = sources.items.find((item) => item.file === grant.key);
      }
      expect(source).toMatchObject({
        status: 'done',
        rejections: 6,
        findingsByScenario: {
          'foreign-sender-domain': 1,
          ndr: 1,
          'connector-mismatch': 2,
          'wrong-region': 1,
        },
      });
    } finally {
      child.kill('SIGINT');
      if (child.exitCode === null) await once(child, 'exit');
    }
    expect(stderr).not.toMatch(/Error|Cannot find/);
  }, 60_000);
});
