/**
 * Uploading from the dashboard in real headless Chromium against `relay-audit serve`: a file chosen
 * with the picker and one dropped on the Sources page go through the API's upload grant, show
 * their progress, then their analysis: done, with the findings the file gives.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
let browser: Browser | undefined;
let server: RunningServer | undefined;
let page: Page;
const pageProblems: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  work = await mkdtemp(join(tmpdir(), 'relay-audit-e2e-upload-'));
  const dashboardDir = join(work, 'dashboard');
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
  await page.goto(server.url);
  await page.locator('#upload-zone').waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The upload row of `name` once it has finished (done or failed). */
async function finishedRow(name: string): Promise<string> {
  const status = page.locator(`li[data-upload="${name}"] .status`);
  await expect.poll(() => status.getAttribute('class'), { timeout: 30_000 }).toMatch(/status-(done|failed)/);
  return (await status.textContent()) ?? '';
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
  });

  it('takes a dropped file the same way', async () => {
    // Prepare
    const content = (await readFile(TRACE)).toString('base64');
    // Act: drop it as a browser does (a DataTransfer holding the file).
    await page.evaluate(`(() => {
      const bytes = Uint8Array.from(atob(${JSON.stringify(content)}), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'message-trace.csv', { type: 'text/csv' }));
      const zone = document.querySelector('#upload-zone');
      for (const type of ['dragover', 'drop'])
        zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    })()`);
    // Assess
    expect(await finishedRow('message-trace.csv')).toMatch(/^Done — \d+ rows, /);
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
