/**
 * Vitest global setup: one temporary directory for the whole run, named to the test processes by
 * an environment variable (they inherit it), and removed when the run ends (see temp-dir-setup.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The environment variable that names the run's temporary directory to the test processes. */
export const TEST_TEMP_ROOT = 'RELAY_AUDIT_TEST_TEMP_ROOT';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'relay-audit-test-'));
  process.env[TEST_TEMP_ROOT] = root;
  return () => {
    delete process.env[TEST_TEMP_ROOT];
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
