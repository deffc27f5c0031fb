/**
 * Vitest setup file: every temporary file a test file makes goes under one directory of its own,
 * removed when the file's tests end. That covers the tests' own `mkdtemp`s, the `cdk.out` directory
 * of every CDK app a test synthesises (22 MB each, with its bundles) and what child processes
 * write, since all of them ask `os.tmpdir()`, which reads `TMPDIR`. Without it, every `npm test`
 * left some 200 MB behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const previous = process.env.TMPDIR;
const dir = mkdtempSync(join(tmpdir(), 'relay-audit-test-'));
process.env.TMPDIR = dir;

afterAll(() => {
  if (previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previous;
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});
