/**
 * A lock file that keeps two embedded engines off one store directory. LevelDB allows one opener
 * per directory, and dynalite reacts to a second one by throwing from a callback (crashing the
 * process) or never answering; checking a lock first turns that into a clear `StoreError`.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../core/kernel/errors.js';

/** Lock file name inside the store directory. */
export const LOCK_FILE = 'relay-audit-engine.lock';

/** True when a process with `pid` is running (EPERM: running, but another user's). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock on `dir` for this process, replacing a stale lock left by a process that no
 * longer runs. Throws `StoreError` naming the holder when the directory is in use (including by
 * this very process). Returns the function that releases it.
 */
export async function acquireEngineLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await unlink(path).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreError(`cannot create the lock file ${path}`, { cause: error });
      }
    }
    const holder = await readHolder(path);
    if (holder !== undefined && isRunning(holder)) {
      throw new StoreError(
        `the store in ${dir} is in use by process ${holder}${holder === process.pid ? ' (this process)' : ''}; ` +
          `stop it (e.g. a running "relay-audit serve") or use another directory. ` +
          `If no such process exists, delete ${path}.`,
      );
    }
    // Stale: its process is gone (crash, kill -9). Remove it and try once more.
    await unlink(path).catch(() => undefined);
  }
  throw new StoreError(`cannot take the lock ${path}: another process keeps recreating it`);
}
