/**
 * The dashboard in real headless Chromium on findings whose addresses hold characters a reader
 * cannot see (the SMTPUTF8 fixture): every such character is shown as the escape the CLI prints,
 * so `finance@contoso\u200b.com` cannot pass for `finance@contoso.com`, and a right-to-left override
 * in a sender cannot reverse the rest of the drill-down's heading (recipient, arrow, confidence).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../bin/commands/serve.js';
import { launchChromium } from '../support/browser.js';
import { cli } from '../support/capture-output.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOG = join(ROOT, 'test/fixtures/real-world/smtputf8-hidden-characters/mail.log');
/** Bidi controls, default-ignorable characters and lone surrogates: none may reach the page raw. */
const HIDDEN = /[\p{Cc}\p{Bidi_Control}\p{Default_Ignorable_Code_Point}\p{Cs}]/u;

let work: string;
let browser: Browser | undefined;
let server: RunningServer | undefined;
let page: Page;

/**
 * Where a part of an element's text is drawn, from the left (CSS px): found in the text in reading
 * order, then measured with a Range over the text nodes that hold it. Page code, as a string: the
 * tests compile without the DOM's types.
 */
const LEFT_OF = `(root, wanted) => {
  const nodes = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) nodes.push(walker.currentNode);
  const start = nodes.map((node) => node.data).join('').indexOf(wanted);
  if (start < 0) throw new Error('"' + wanted + '" is not in "' + root.textContent + '"');
  const range = document.createRange();
  let offset = 0;
  for (const node of nodes) {
    const end = offset + node.data.length;
    if (start >= offset && start < end) range.setStart(node, start - offset);
    if (start + wanted.length > offset && start + wanted.length <= end) range.setEnd(node, start + wanted.length - offset);
    offset = end;
  }
  return Math.min(...[...range.getClientRects()].map((rect) => rect.left));
}`;

/** Where `part` of the text of the element `selector` finds is drawn (see LEFT_OF). */
function leftOf(selector: string, part: string): Promise<number> {
  return page.evaluate(
    `(${LEFT_OF})(document.querySelector(${JSON.stringify(selector)}), ${JSON.stringify(part)})`,
  ) as Promise<number>;
}

/** The computed `unicode-bidi` of each `<bdi>` of the findings table (page code). */
const TABLE_UNICODE_BIDI =
  "[...document.querySelectorAll('#findings-body bdi')].map((value) => getComputedStyle(value).unicodeBidi)";

/** The dashboard on the fixture's period, its findings loaded. */
async function openDashboard(): Promise<void> {
  await page.goto(`${server?.url ?? ''}?from=2026-11-01&to=2026-11-30`);
  await page.locator('#findings-body tr[data-id]').first().waitFor();
}

/** The drill-down of the finding whose row holds `text`, from a fresh page. */
async function drillDown(text: string) {
  await openDashboard();
  await page.locator('#findings-body tr[data-id]', { hasText: text }).getByRole('button').click();
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor();
  return dialog;
}

beforeAll(async () => {
  browser = await launchChromium();
  work = await mkdtemp(join(tmpdir(), 'relay-audit-e2e-hidden-'));
  const dashboardDir = join(work, 'dashboard');
  await build({
    configFile: join(ROOT, 'dashboard/vite.config.ts'),
    build: { outDir: dashboardDir, emptyOutDir: true },
    logLevel: 'error',
  });
  const db = join(work, 'db');
  const analysed = await cli(
    'analyze',
    LOG,
    '--accepted-domains',
    'contoso.com',
    '--year',
    '2026',
    '--db',
    db,
  );
  expect(analysed.status, analysed.out.stderr).toBe(0);
  server = await startServer({ db, port: 0, dashboardDir, logLevel: 'silent' });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    reducedMotion: 'reduce',
  });
  page = await context.newPage();
  await openDashboard();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the dashboard on addresses with hidden characters', () => {
  it('shows each hidden character of the findings table as an escape, isolated from its neighbours', async () => {
    const rows = page.locator('#findings-body tr[data-id]');
    expect(await rows.count()).toBe(5);
    const text = (await page.locator('#findings-body').textContent()) ?? '';
    for (const shown of [
      'finance@contoso\\u200b.com',
      'ceo@adatum\\u061c.com',
      'bo\\u00adss\\u3164@fabrikam.com',
      'pay\\u{e0069}\\u{e0067}roll@adatum.com',
      'ap\\ufe0f@adatum.com',
      'pay\\u202emoc.evil@fabrikam.com',
      "\\u2066o'neil\\u2069$(whoami)",
    ])
      expect(text).toContain(shown);
    expect(text).not.toMatch(HIDDEN);
    const bidi = (await page.evaluate(TABLE_UNICODE_BIDI)) as string[];
    expect(bidi.length).toBeGreaterThanOrEqual(10);
    expect(new Set(bidi)).toEqual(new Set(['isolate']));
  });

  it('keeps the drill-down heading in order, and shows the escapes in it, the evidence and the facts', async () => {
    const dialog = await drillDown('ceo@adatum');
    const headingSelector = 'dialog[open] .dialog-header p.muted';
    const heading = page.locator(headingSelector);
    expect(await heading.textContent()).toMatch(
      /^.+ UTC · pay\\u202emoc\.evil@fabrikam\.com → ceo@adatum\\u061c\.com · confidence high$/,
    );
    // Drawn left to right as it reads: the override in the sender turns nothing after it around.
    const [sender, arrow, recipient, confidence] = await Promise.all(
      ['pay', '→', 'ceo@', 'confidence'].map((part) => leftOf(headingSelector, part)),
    );
    expect(sender).toBeLessThan(arrow ?? 0);
    expect(arrow).toBeLessThan(recipient ?? 0);
    expect(recipient).toBeLessThan(confidence ?? 0);
    expect(await dialog.locator('ul.evidence').textContent()).toContain(
      'envelope sender (P1) is pay\\u202emoc.evil@fabrikam.com',
    );
    expect(await dialog.locator('dl.facts').textContent()).toContain('ceo@adatum\\u061c.com');
    expect(await dialog.textContent()).not.toMatch(HIDDEN);
  });

  it('shows a zero-width space in a sender that looks accepted, where the advice says it is not', async () => {
    const dialog = await drillDown('finance@contoso');
    expect(await dialog.locator('ul.evidence').textContent()).toContain(
      'envelope sender (P1) is finance@contoso\\u200b.com',
    );
    expect(await dialog.textContent()).not.toMatch(HIDDEN);
  });
});
