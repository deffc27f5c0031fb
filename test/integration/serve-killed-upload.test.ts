/**
 * `relay-audit serve` killed outright (SIGKILL) while it analyses a dashboard upload, then started
 * again on its store: the upload's record shows interrupted at once (its process is gone, long
 * before its lease runs out) and tells to upload the file again (nothing on serve delivers it
 * again, as the cloud does); the temporary file the killed
 * server kept the upload in is removed at the start, and nothing else is; and the same file
 * uploaded again supersedes the interrupted record. The first server runs as a user runs it (its
 * own process, killed mid-analysis), the second in this process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTrackingLog } from '../../bench/generate-tracking-log.js';
import { type RunningServer, startServer } from '../../bin/commands/serve.js';
import { UPLOAD_TEMP_PREFIX, uploadsTempDir } from '../../bin/support/local-uploads.js';
import { SDK_NODE_VERSION_NOTICE_SWITCH } from '../../bin/support/quiet-sdk-notice.js';
import { interruptedText } from '../../dashboard/src/interrupted-text.js';
import type { SourceSummary } from '../../functions/api/contract.js';
import { uploadAsDashboard } from '../support/dashboard-upload.js';

let work: string;
let log: string;
let child: ChildProcess | undefined;
let server: RunningServer | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'relay-audit-serve-killed-'));
  log = join(work, 'MSGTRK2026112801-1.LOG');
  // Large enough to be analysed for half a second or more: the server is killed while it is.
  await generateTrackingLog(log, 1.5 * 1024 * 1024, 41);
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** `relay-audit serve` on `db` in its own process, and its address once it listens. */
async function serveProcess(db: string): Promise<{ process: ChildProcess; url: string }> {
  const env = { ...process.env };
  delete env[SDK_NODE_VERSION_NOTICE_SWITCH];
  const started = spawn(
    process.execPath,
    ['--import', 'tsx', 'bin/relay-audit.ts', 'serve', '--db', db, '--port', '0'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  started.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const url = await new Promise<string>((resolve, reject) => {
    started.stdout?.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const address = /relay-audit dashboard: (http:\S+)/.exec(stdout)?.[1];
      if (address !== undefined) resolve(address);
    });
    started.once('close', (code) => reject(new Error(`serve ended (${code}) before listening: ${stderr}`)));
  });
  return { process: started, url };
}

async function sources(url: string): Promise<SourceSummary[]> {
  const response = await fetch(`${url}api/sources?limit=500`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: SourceSummary[] }).items;
}

/** Asks `url` for an upload grant of `path` and posts the file with it (204: its analysis begins). */
async function upload(url: string, path: string): Promise<string> {
  const content = await readFile(path);
  const query = new URLSearchParams({ name: basename(path), size: String(content.length) });
  const granted = await fetch(`${url}api/uploads?${query}`, { method: 'POST' });
  expect(granted.status).toBe(201);
  const grant = (await granted.json()) as { url: string; fields: Record<string, string>; key: string };
  const form = new FormData();
  for (const [field, value] of Object.entries(grant.fields)) form.append(field, value);
  form.append('file', new Blob([content]), basename(path));
  expect((await fetch(new URL(grant.url, url), { method: 'POST', body: form })).status).toBe(204);
  return grant.key;
}

/** What the uploads' temporary directory holds. */
async function uploadsTemp(): Promise<string[]> {
  return (await readdir(uploadsTempDir()).catch(() => [])).sort();
}

describe('serve killed while it analyses an upload, then started again', () => {
  it('shows the upload interrupted with what to do locally, removes its temporary file, and takes it again', async () => {
    const db = join(work, 'db');
    const first = await serveProcess(db);
    child = first.process;
    const pid = first.process.pid ?? 0;
    const closed = new Promise<NodeJS.Signals | null>((resolve) =>
      first.process.once('close', (_code, signal) => resolve(signal)),
    );

    // Act: the upload is taken, and the server killed once its analysis has begun.
    const key = await upload(first.url, log);
    await expect
      .poll(async () => (await sources(first.url)).find((source) => source.file === key)?.status, {
        interval: 20,
        timeout: 20_000,
      })
      .toBe('processing');
    first.process.kill('SIGKILL');
    expect(await closed).toBe('SIGKILL');
    child = undefined;
    const left = (await uploadsTemp()).filter((name) => name.startsWith(`${UPLOAD_TEMP_PREFIX}${pid}-`));
    expect(left).toHaveLength(1);
    // Beside it: what no dead server left — a live process's upload, and things not named as uploads.
    const live = `${UPLOAD_TEMP_PREFIX}${process.ppid}-Abc123`;
    const others = [live, `${UPLOAD_TEMP_PREFIX}Xyz789`, 'notes.txt'].sort();
    await mkdir(join(uploadsTempDir(), live));
    await mkdir(join(uploadsTempDir(), `${UPLOAD_TEMP_PREFIX}Xyz789`));
    await writeFile(join(uploadsTempDir(), 'notes.txt'), 'kept');

    // Started again at once, well inside the killed run's lease: its process is gone, which the
    // server can tell of a run of its own host, so the record shows interrupted already.
    server = await startServer({ db, port: 0, logLevel: 'silent', dashboardDir: join(work, 'none') });

    expect(await uploadsTemp()).toEqual(others);
    const killed = (await sources(server.url)).find((source) => source.file === key);
    expect(killed).toMatchObject({ status: 'processing', interrupted: true });
    expect(killed?.lease?.owner).toMatch(/^cli:/);
    const shown = interruptedText(killed ?? { file: key });
    expect(shown).toContain('upload the file again');
    expect(shown).not.toContain('delivery');

    // The same file uploaded again, and analysed in full: the interrupted record is superseded.
    await uploadAsDashboard(server, log);
    const on = server;
    // Marked once the record says `done`, as the run ends.
    await expect
      .poll(async () => (await sources(on.url)).find((source) => source.file === key)?.supersededBy)
      .toBeDefined();
    const after = await sources(server.url);
    const again = after.find((source) => source.file !== key && source.status === 'done');
    expect(again?.file.endsWith(`/${basename(log)}`)).toBe(true);
    const superseded = after.find((source) => source.file === key);
    expect(superseded?.supersededBy).toBe(again?.id);
    expect(superseded?.interrupted).toBeUndefined();
    expect(after.filter((source) => source.status !== 'done' && source.supersededBy === undefined)).toEqual(
      [],
    );
    // Its own temporary file goes once its analysis is over; the others are kept.
    await expect.poll(() => uploadsTemp()).toEqual(others);
  });
});
