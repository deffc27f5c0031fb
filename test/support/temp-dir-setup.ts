/**
 * Vitest setup file: every temporary file a test file makes goes under one directory of its own
 * test process, emptied when the file's tests end. That covers the tests' own `mkdtemp`s, the
 * `cdk.out` directory of every CDK app a test synthesises (22 MB each, with its bundles) and what
 * child processes write, since all of them ask `os.tmpdir()`, which reads `TMPDIR`. Without it, every
 * `npm test` left some 200 MB behind.
 *
 * The directory is one per process, not per file, because the projects that do not isolate their
 * files run many files in one process, and the CDK reads `os.tmpdir()` once per process: a directory
 * per file would be gone under it by the second file. The run's global setup (temp-root-setup.ts)
 * removes them all at the end. tsx's transform cache (`tsx-*`) is kept between files: the CLI runs
 * that tests start load faster with it, and it holds nothing of a test's own.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { TEST_TEMP_ROOT } from './temp-root-setup.js';

const root = process.env[TEST_TEMP_ROOT] ?? tmpdir();
const dir = join(root, `process-${process.pid}`);
mkdirSync(dir, { recursive: true });
process.env.TMPDIR = dir;

afterAll(() => {
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('tsx-')) continue;
    rmSync(join(dir, entry), { recursive: true, force: true, maxRetries: 3 });
  }
});
