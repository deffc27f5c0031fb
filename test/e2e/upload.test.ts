/**
 * Uploading from the dashboard in real headless Chromium against `relay-audit serve`: a file chosen
 * with the picker and one dropped on the Sources page go through the API's upload grant, with the
 * file's modification time, show their progress, then their analysis: done, with the findings the
 * file gives and what its record says besides (a message trace's failures without a reason); and
 * each of many files dropped at once is followed to its own record.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../bin/commands/serve.js';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { launchChromium } from '../support/browser.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRACKING_LOG = join(ROOT, 'sample-logs', 'MSGTRK2026112800-1.LOG');
const TRACE = join(ROOT, 'sample-logs', 'message-trace.csv');

let work: string;
let dashboardDir: string;
let browser: Browser | undefined;
let server: RunningServer | undefined;
let page: Page;
const pageProblems: string[] = [];
/** The upload forms the page posted (to the local server's `/uploads/<token>`), as text. */
const uploadForms: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  work = await mkdtemp(join(tmpdir(), 'relay-audit-e2e-upload-'));
  dashboardDir = join(work, 'dashboard');
  await build({
    configFile: join(ROOT, 'dashboard/vite.config.ts'),
    build: { outDir: dashboardDir, emptyOutDir: true },
    logLevel: 'error',
  });
  server = await startServer({ db: join(work, 'db'), port: 0, dashboardDir, logLevel: 'silent' });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error') pageProblems.push(message.text());
  });
  page.on('pageerror', (error) => pageProblems.push(error.message));
  // Routed, not just watched: Chromium hands a request's form to Playwright only when it is intercepted.
  await page.route('**/uploads/*', async (route) => {
    const request = route.request();
    if (request.method() === 'POST') uploadForms.push(request.postDataBuffer()?.toString('utf8') ?? '');
    await route.continue();
  });
  await page.goto(server.url);
  await page.locator('#upload-zone').waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The upload row of `name` once it has finished (done, done with something to check, or failed). */
async function finishedRow(name: string): Promise<string> {
  return finishedRowOf(page, name);
}

async function finishedRowOf(on: Page, name: string): Promise<string> {
  const status = on.locator(`li[data-upload="${name}"] .status`);
  await expect
    .poll(() => status.getAttribute('class'), { timeout: 30_000 })
    .toMatch(/status-(done|attention|failed)/);
  return (await status.textContent()) ?? '';
}

/** The form field `name` of the upload form whose file is `fileName`, and whether it came before the file. */
function formField(fileName: string, name: string): { value: string | undefined; beforeFile: boolean } {
  const form = uploadForms.find((body) => body.includes(`filename="${fileName}"`)) ?? '';
  const field = form.indexOf(`name="${name}"\r\n\r\n`);
  const file = form.indexOf('name="file"');
  const value = field < 0 ? undefined : form.slice(field).split('\r\n')[2];
  return { value, beforeFile: field >= 0 && field < file };
}

describe('upload on the Sources page', () => {
  it('takes a file from the picker, shows its progress, then its analysis with findings', async () => {
    // Act
    await page.setInputFiles('#upload-input', TRACKING_LOG);
    // Assess
    const text = await finishedRow('MSGTRK2026112800-1.LOG');
    expect(text).toMatch(/^Done — \d+ rows, findings: .+/);
    expect(
      await page.locator('li[data-upload="MSGTRK2026112800-1.LOG"] progress').getAttribute('value'),
    ).toBe('1');
    // The Sources list shows it, under the key that records who uploaded (locally: no sign-in).
    const row = page.locator('#sources-body tr[data-source]', { hasText: 'MSGTRK2026112800-1.LOG' });
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.locator('th').textContent()).toMatch(
      /^incoming\/dashboard\/local\/\d{8}T\d{6}Z-[0-9a-f]{8}\/MSGTRK2026112800-1\.LOG$/,
    );
    expect(await row.locator('.status').textContent()).toBe('Done');
    // The file's modification time went with it, before the file, as S3 wants (syslog dates without a year).
    const modified = (await stat(TRACKING_LOG)).mtimeMs;
    expect(formField('MSGTRK2026112800-1.LOG', 'x-amz-meta-file-modified')).toEqual({
      value: new Date(Math.trunc(modified)).toISOString(),
      beforeFile: true,
    });
  });

  it('takes a dropped file the same way, and says when its trace names failures without a reason', async () => {
    // Prepare: the sample trace has 3 Failed messages and no error text (a trace never has it).
    const content = (await readFile(TRACE)).toString('base64');
    const lastModified = Date.parse('2026-11-29T06:15:00.000Z');
    // Act: drop it as a browser does (a DataTransfer holding the file).
    await page.evaluate(`(() => {
      const bytes = Uint8Array.from(atob(${JSON.stringify(content)}), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(
        new File([bytes], 'message-trace.csv', { type: 'text/csv', lastModified: ${lastModified} }),
      );
      const zone = document.querySelector('#upload-zone');
      for (const type of ['dragover', 'drop'])
        zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    })()`);
    // Assess: never a plain "findings: none", as the CLI says of the same file.
    const upload = page.locator('li[data-upload="message-trace.csv"]');
    const text = await finishedRow('message-trace.csv');
    expect(text).toMatch(/^Done — \d+ rows, findings: none; ⚠ 3 messages failed without a reason$/);
    expect(await upload.locator('.status').getAttribute('class')).toContain('status-attention');
    const notes = (await upload.locator('.source-notes').textContent()) ?? '';
    expect(notes).toContain(
      '3 messages failed in the message trace, which does not say why: they may be relay refusals.',
    );
    expect(notes).toContain('Get-MessageTraceDetailV2');
    expect(formField('message-trace.csv', 'x-amz-meta-file-modified')).toEqual({
      value: '2026-11-29T06:15:00.000Z',
      beforeFile: true,
    });
  });

  it('stored what it showed, and had no page errors', async () => {
    // Prepare: the server holds the store; read it once the page and the server are closed.
    const problems = [...pageProblems];
    await page.close();
    await server?.close();
    const handle = await startEmbeddedStore({ dir: join(work, 'db') });
    try {
      // Act
      const sources = (await handle.store.listSources({ limit: 10 })).items;
      // Assess
      expect(sources.map((source) => source.file.split('/').pop()).sort()).toEqual([
        'MSGTRK2026112800-1.LOG',
        'message-trace.csv',
      ]);
      expect(sources.every((source) => source.status === 'done' && source.rowsRead > 0)).toBe(true);
    } finally {
      await handle.close();
    }
    expect(problems).toEqual([]);
  });
});

describe('many files dropped at once', () => {
  /** More than the newest page of sources (50) the page once looked for an upload's record in. */
  const MORE = 55;
  let many: RunningServer | undefined;
  let manyPage: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    many = await startServer({ db: join(work, 'many-db'), port: 0, dashboardDir, logLevel: 'silent' });
    manyPage = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    manyPage.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    manyPage.on('pageerror', (error) => problems.push(error.message));
    await manyPage.goto(many.url);
    await manyPage.locator('#upload-zone').waitFor();
  }, 60_000);

  afterAll(async () => {
    await manyPage?.close();
    await many?.close();
  });

  /** The source records of the served store, as the API lists them (read from here, not the page). */
  async function records(): Promise<{ file: string; status: string }[]> {
    const response = await fetch(`${many?.url}api/sources?limit=500`);
    return ((await response.json()) as { items: { file: string; status: string }[] }).items;
  }

  it('shows each analysed, also one that more than a page of others were analysed after', async () => {
    // Prepare: the page's look-ups of the sources wait until every upload is analysed, so the
    // first upload's record is by then older than the newest page of sources.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await manyPage.route('**/api/sources?*', async (route) => {
      await held;
      await route.continue();
    });
    const log = await readFile(TRACKING_LOG);
    await manyPage.setInputFiles('#upload-input', { name: 'first.LOG', mimeType: 'text/plain', buffer: log });
    await expect
      .poll(async () => (await records()).some((record) => record.file.endsWith('/first.LOG')), {
        timeout: 30_000,
      })
      .toBe(true);
    await manyPage.setInputFiles(
      '#upload-input',
      Array.from({ length: MORE }, (_, i) => ({
        name: `more-${i + 1}.LOG`,
        mimeType: 'text/plain',
        buffer: log,
      })),
    );
    await expect
      .poll(async () => (await records()).filter((record) => record.status === 'done').length, {
        timeout: 120_000,
        interval: 1000,
      })
      .toBe(MORE + 1);
    // Act
    release();
    // Assess
    for (const name of ['first.LOG', 'more-1.LOG', `more-${MORE}.LOG`]) {
      expect(await finishedRowOf(manyPage, name)).toMatch(/^Done — \d+ rows, findings: .+/);
    }
    // The page settles its rows one look-up at a time once released: every one ends done.
    await expect
      .poll(() => manyPage.locator('li[data-upload] .status.status-done').count(), {
        message: 'every upload shown done',
        timeout: 30_000,
      })
      .toBe(MORE + 1);
    expect(problems).toEqual([]);
  }, 240_000);
});
