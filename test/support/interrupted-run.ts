/**
 * `relay-audit <args>` run as a user runs it (its own process), sent a real SIGINT once its store
 * (`db`) holds some writes: mid-run, well before its end. For the tests of Ctrl+C.
 */
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SDK_NODE_VERSION_NOTICE_SWITCH } from '../../bin/support/quiet-sdk-notice.js';

/** Bytes under `path`, 0 while it does not exist: how far a store's writes have come. */
export async function bytesUnder(path: string): Promise<number> {
  const entries = await readdir(path, { recursive: true, withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const entry of entries)
    if (entry.isFile())
      total += (await stat(join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
  return total;
}

/** Runs the command with `args` (which write into `db`) and interrupts it once `db` holds 256 KB. */
export async function interruptedRun(
  db: string,
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env[SDK_NODE_VERSION_NOTICE_SWITCH];
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/relay-audit.ts', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  // Findings have begun to land (LevelDB's log grows with every write).
  let running = true;
  void closed.then(() => {
    running = false;
  });
  while (running && (await bytesUnder(db)) < 256 * 1024) await sleep(20);
  child.kill('SIGINT');
  return { status: await closed, stdout, stderr };
}
