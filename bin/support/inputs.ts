/**
 * Local files as analysis inputs: paths and directories expanded, sorted so rolled-over logs
 * (`MSGTRK…-1.LOG`, `-2.LOG`) are read in order.
 */
import { createReadStream, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { AnalysisInput } from '../../functions/core/analyze.js';
import { ArgumentError } from '../../functions/core/errors.js';
import { sourceId } from '../../functions/store/table-design.js';

/**
 * Directory entries that are not trace files: hidden files and a `config/` folder, which holds the
 * organisation's configuration (the same convention as the S3 bucket's `config/` prefix).
 */
function ignored(name: string): boolean {
  return name.startsWith('.') || name === 'config' || name.toLowerCase() === 'readme.md';
}

/** A file found under the command-line paths, with what `stat` said of it. */
interface FoundFile {
  path: string;
  info: Stats;
}

/** Identity of a file or directory whatever path reaches it (symbolic links, `..`): device and inode. */
function identity(info: { dev: number; ino: number }, path: string): string {
  // Some file systems report no inode (0); the resolved path is the best identity there.
  return info.ino === 0 ? resolve(path) : `${info.dev}:${info.ino}`;
}

/**
 * Appends the files under `path` to `out`. Each directory is read once, so a symbolic link back to
 * an ancestor (`logs/all -> ..`) cannot send the walk round in circles.
 */
async function expand(path: string, out: FoundFile[], visited: Set<string>): Promise<void> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch {
    throw new ArgumentError(`${path}: no such file or directory`);
  }
  if (info.isDirectory()) {
    const id = identity(info, path);
    if (visited.has(id)) return;
    visited.add(id);
    const entries = (await readdir(path)).filter((name) => !ignored(name));
    entries.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    for (const name of entries) await expand(join(path, name), out, visited);
  } else if (info.isFile()) {
    out.push({ path, info });
  }
}

/** Expands the command-line paths into inputs; a missing path is a usage error. */
export async function localInputs(paths: readonly string[], cwd = process.cwd()): Promise<AnalysisInput[]> {
  const files: FoundFile[] = [];
  const directories = new Set<string>();
  for (const path of paths) await expand(path, files, directories);
  const inputs: AnalysisInput[] = [];
  // The same file named twice, or reached through a link, is analysed once.
  const seen = new Set<string>();
  for (const { path, info } of files) {
    const absolute = resolve(cwd, path);
    const id = identity(info, absolute);
    if (seen.has(id)) continue;
    seen.add(id);
    inputs.push({
      name: relative(cwd, absolute) || absolute,
      // Same file (path, size, modification time) → same source record on re-analysis.
      sourceId: sourceId(`file://${absolute}#${info.size}#${info.mtimeMs}`),
      size: info.size,
      // 256 KB reads: fewer round trips to the thread pool (measured 64 KB → 256 KB: −8 % on 50 MB).
      open: () => createReadStream(absolute, { highWaterMark: 1 << 18 }),
    });
  }
  return inputs;
}
