/**
 * A temporary directory for each test of a file, removed after the test: for tests that fill a
 * folder and read it whole, where what one test wrote must not turn up in the next.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** Call once at the top of a test file; what it returns gives the running test's directory. */
export function dirPerTest(prefix: string): () => string {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (dir === undefined) throw new Error('no temporary directory outside a test');
    return dir;
  };
}
