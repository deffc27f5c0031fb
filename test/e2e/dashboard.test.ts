/**
 * The dashboard in real headless Chromium: the sample logs are analysed into a temporary store,
 * `relay-audit serve` (its `startServer`) serves that store and a fresh build of the dashboard,
 * and the tests use the page as an operator would — cards, filter, drill-down, CSV export,
 * keyboard, error and empty states — saving screenshots under test-results/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/cli.js';
import { type RunningServer, startServer } from '../../bin/commands/serve.js';
import type { Finding } from '../../functions/api/contract.js';
import { parseCsv } from '../support/api-client.js';
import { launchChromium } from '../support/browser.js';
import { CapturedOutput } from '../support/capture-output.js';
import {
  SAMPLE_FILE_COUNT,
  SAMPLE_FINDING_COUNT,
  SAMPLE_FINDINGS_BY_SCENARIO,
} from '../support/sample-expectations.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = join(ROOT, 'test-results');
/** A period that covers the sample logs (27 and 28 November 2026), whatever today is. */
const SAMPLE_PERIOD = '?from=2026-11-01&to=2026-11-30';
const EXPECTED_TOTALS = SAMPLE_FINDINGS_BY_SCENARIO;
const FORMULA_START = /^[=+\-@\t\r]/;
/** The page's scroll width and the elements (outside scrolling tables) that stick out of the window. */
const WIDEST = `(() => {
  const overflowing = [...document.querySelectorAll('body *')]
    .filter((el) => !el.closest('.table-scroll') && el.getBoundingClientRect().right > window.innerWidth + 1)
    .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : ''));
  return { width: document.documentElement.scrollWidth, overflowing };
})()`;

let work: string;
let browser: Browser | undefined;
let context: BrowserContext;
let server: RunningServer | undefined;
let emptyServer: RunningServer | undefined;
let partialServer: RunningServer | undefined;
let page: Page;
/** Console errors and uncaught exceptions of the main page (CSP violations show up here too). */
const pageProblems: string[] = [];

async function openDashboard(target: Page, base: string, query = SAMPLE_PERIOD): Promise<void> {
  await target.goto(`${base}${query}`);
  await target.locator('#findings-body tr[data-id], #onboarding:not([hidden])').first().waitFor();
}

function rowsOf(target: Page) {
  return target.locator('#findings-body tr[data-id]');
}

beforeAll(async () => {
  // Prepare: the browser first, so a missing one fails at once with how to install it.
  browser = await launchChromium();
  work = await mkdtemp(join(tmpdir(), 'relay-audit-e2e-'));
  await mkdir(RESULTS, { recursive: true });
  const dashboardDir = join(work, 'dashboard');
  await build({
    configFile: join(ROOT, 'dashboard/vite.config.ts'),
    build: { outDir: dashboardDir, emptyOutDir: true },
    logLevel: 'error',
  });
  const out = new CapturedOutput();
  const status = await main(
    [
      'analyze',
      join(ROOT, 'sample-logs'),
      '--accepted-domains',
      join(ROOT, 'sample-logs/config/accepted-domains.csv'),
      '--db',
      join(work, 'db'),
      // The Postfix sample's syslog dates have no year: keep them in the sample period whenever this runs.
      '--year',
      '2026',
    ],
    out,
  );
  expect(status, out.stderr).toBe(0);
  // The readiness of the sample configuration, stored where the dashboard reads it.
  const check = await main(
    [
      'check',
      '--accepted-domains',
      join(ROOT, 'sample-logs/config/accepted-domains.csv'),
      '--connectors',
      join(ROOT, 'sample-logs/config/inbound-connectors.json'),
      '--certificate',
      join(ROOT, 'sample-logs/config/mail.contoso.com.pem'),
      '--at',
      '2026-11-29T12:00:00Z',
      '--store',
      '--db',
      join(work, 'db'),
    ],
    new CapturedOutput(),
  );
  expect(check).toBe(1);
  // A store where only the accepted domains were checked: the rest is "not checked".
  const partial = await main(
    [
      'check',
      '--accepted-domains',
      join(ROOT, 'sample-logs/config/accepted-domains.csv'),
      '--at',
      '2026-11-29T12:00:00Z',
      '--store',
      '--db',
      join(work, 'partial-db'),
    ],
    new CapturedOutput(),
  );
  expect(partial).toBe(0);
  server = await startServer({ db: join(work, 'db'), port: 0, dashboardDir, logLevel: 'silent' });
  emptyServer = await startServer({ db: join(work, 'empty-db'), port: 0, dashboardDir, logLevel: 'silent' });
  partialServer = await startServer({
    db: join(work, 'partial-db'),
    port: 0,
    dashboardDir,
    logLevel: 'silent',
  });
  context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    reducedMotion: 'reduce',
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  page = await context.newPage();
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') pageProblems.push(message.text());
  });
  page.on('pageerror', (error) => pageProblems.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await emptyServer?.close();
  await partialServer?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the dashboard on the sample logs', () => {
  it('shows a card per scenario with its count and change, the daily chart and the worst scenario', async () => {
    await openDashboard(page, server?.url ?? '');
    const counts: Record<string, number> = {};
    for (const card of await page.locator('.cards .card').all()) {
      const scenario = (await card.getAttribute('data-scenario')) ?? '';
      counts[scenario] = Number(await card.locator('.count').textContent());
    }
    expect(counts).toEqual(EXPECTED_TOTALS);
    // The previous 30 days are empty, so every count is an increase.
    await expect
      .poll(() => page.locator('.card[data-scenario="ndr"] .change').textContent())
      .toContain('20 more');
    await expect.poll(() => page.locator('.headline').textContent()).toContain('NDRs and automatic replies');
    const chartLabel = await page.locator('.chart canvas').getAttribute('aria-label');
    expect(chartLabel).toContain(`${SAMPLE_FINDING_COUNT} in all`);
    expect(await page.locator('#tops').textContent()).toContain('ex01.contoso.local');
    expect(pageProblems).toEqual([]);
  });

  it('filters the findings by scenario through the API, and keeps the filter in the address', async () => {
    await page.selectOption('#scenario', 'forwarding');
    await expect.poll(() => rowsOf(page).count()).toBe(4);
    const scenarios = await rowsOf(page).evaluateAll((rows) =>
      rows.map((row) => row.getAttribute('data-scenario')),
    );
    expect(new Set(scenarios)).toEqual(new Set(['forwarding']));
    expect(await page.locator('#findings-status').textContent()).toContain('4 findings loaded');
    expect(new URL(page.url()).searchParams.get('scenario')).toBe('forwarding');
  });

  it('shows the null sender’s row of the top sender domains as the NDRs, never as a domain filter', async () => {
    const nullSender = page.locator('#tops button[aria-label="Show the NDR findings (null sender <>)"]');
    await expect.poll(() => nullSender.count()).toBe(1);
    await nullSender.click();
    await expect.poll(() => page.locator('#scenario').inputValue()).toBe('ndr');
    await expect.poll(() => rowsOf(page).count()).toBeGreaterThan(0);
    const scenarios = await rowsOf(page).evaluateAll((rows) =>
      rows.map((row) => row.getAttribute('data-scenario')),
    );
    expect(new Set(scenarios)).toEqual(new Set(['ndr']));
    // `<>` is no domain: it never reaches the API's sender-domain filter (a 400, shown as an error).
    expect(new URL(page.url()).searchParams.get('senderDomain')).toBeNull();
    expect(await page.locator('.error').count()).toBe(0);
    expect(pageProblems).toEqual([]);
    await page.selectOption('#scenario', 'forwarding');
    await expect.poll(() => rowsOf(page).count()).toBe(4);
  });

  it('exports the current filter as a spreadsheet-safe CSV', async () => {
    const href = new URL(
      (await page.locator('#export-csv').getAttribute('href')) ?? '',
      page.url(),
    ).toString();
    expect(new URL(href).pathname).toBe('/api/findings.csv');
    expect(new URL(href).searchParams.get('scenario')).toBe('forwarding');
    const response = await fetch(href);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const [header, ...rows] = parseCsv(await response.text());
    expect(header).toContain('scenario');
    expect(rows).toHaveLength(4);
    const scenarioColumn = header?.indexOf('scenario') ?? -1;
    expect(rows.map((row) => row[scenarioColumn])).toEqual([
      'forwarding',
      'forwarding',
      'forwarding',
      'forwarding',
    ]);
    for (const cell of rows.flat()) expect(cell).not.toMatch(FORMULA_START);
  });

  it('opens a drill-down with the evidence, the source line and the remediation with copy buttons', async () => {
    await rowsOf(page).first().getByRole('button').click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain('Evidence');
    expect(text).toContain('REDIRECT on line');
    expect(text).toMatch(/sample-logs\/[^:\s]+\.(LOG|csv):\d+/);
    expect(text).toContain('What to change');
    const commands = dialog.locator('.commands pre');
    expect(await commands.count()).toBeGreaterThan(0);
    const firstCommand = (await commands.first().textContent()) ?? '';
    expect(firstCommand).toMatch(/^(Get|Set|New)-\w+/);
    expect(await dialog.locator('ol.steps li').count()).toBeGreaterThan(1);
    expect(await dialog.locator('.links a[href^="https://"]').count()).toBeGreaterThan(0);
    await dialog.getByRole('button', { name: 'Copy command 1' }).click();
    await expect.poll(() => dialog.locator('.copy-status').first().textContent()).toBe('Copied.');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(firstCommand);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
  });

  it('works from the keyboard: Tab reaches a row, Enter opens the drill-down, Esc closes it', async () => {
    await page.locator('#sort-time').focus();
    await page.keyboard.press('Tab');
    const firstId = await rowsOf(page).first().getAttribute('data-id');
    const focusedRow = () => page.evaluate("document.activeElement?.closest('tr')?.getAttribute('data-id')");
    expect(await focusedRow()).toBe(firstId);
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor();
    expect(await page.evaluate("document.activeElement?.closest('dialog') !== null")).toBe(true);
    expect(new URL(page.url()).searchParams.get('finding')).toBe(firstId);
    await page.screenshot({ path: join(RESULTS, 'dashboard-drilldown-1280.png') });
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    expect(await focusedRow()).toBe(firstId);
  });

  it('searches the loaded rows as free text and sorts them by time', async () => {
    await page.fill('#q', 'adventure-works');
    await expect.poll(() => rowsOf(page).count()).toBe(1);
    expect(await page.locator('#findings-status').textContent()).toContain('loaded findings only');
    await page.fill('#q', '');
    await expect.poll(() => rowsOf(page).count()).toBe(4);
    const times = () =>
      page
        .locator('#findings-body time')
        .evaluateAll((els) => els.map((el) => el.getAttribute('datetime') ?? ''));
    const newestFirst = await times();
    expect(newestFirst).toEqual([...newestFirst].sort().reverse());
    await page.click('#sort-time');
    expect(await page.locator('#time-header').getAttribute('aria-sort')).toBe('ascending');
    expect(await times()).toEqual([...newestFirst].reverse());
  });

  it('pages through the API cursor with "Load more"', async () => {
    const paged = await context.newPage();
    // The sample has fewer findings than a page: split the API's answer into two pages with a cursor.
    await paged.route(
      (url) => url.pathname === '/api/findings',
      async (route) => {
        const url = new URL(route.request().url());
        const second = url.searchParams.get('cursor') === 'page-2';
        url.searchParams.delete('cursor');
        const response = await route.fetch({ url: url.toString() });
        const { items } = (await response.json()) as { items: unknown[] };
        await route.fulfill({
          response,
          json: second ? { items: items.slice(10) } : { items: items.slice(0, 10), cursor: 'page-2' },
        });
      },
    );
    await openDashboard(paged, server?.url ?? '');
    expect(await rowsOf(paged).count()).toBe(10);
    expect(await paged.locator('#findings-status').textContent()).toContain('more match');
    const more = paged.getByRole('button', { name: 'Load more findings' });
    await more.click();
    // The mocked second page is the rest of the API's first page: PAGE_SIZE (50) of the sample findings.
    await expect.poll(() => rowsOf(paged).count()).toBe(50);
    expect(await more.isVisible()).toBe(false);
    const focused = await paged.evaluate("document.activeElement?.closest('tr')?.getAttribute('data-id')");
    expect(focused).toBe(await rowsOf(paged).nth(10).getAttribute('data-id'));
    await paged.close();
  });

  it('opens a linked finding (?finding=<id>) on load', async () => {
    const id = (await rowsOf(page).first().getAttribute('data-id')) ?? '';
    const linked = await context.newPage();
    await linked.goto(`${server?.url ?? ''}${SAMPLE_PERIOD}&finding=${id}`);
    const dialog = linked.locator('dialog[open]');
    await dialog.waitFor();
    expect(await dialog.locator('.source-ref').textContent()).toMatch(/:\d+ \(/);
    await linked.close();
  });

  it('leads a forwarding drill-down with the mailbox its evidence shows forwarding, and its command', async () => {
    const response = await fetch(
      new URL(`/api/findings${SAMPLE_PERIOD}&scenario=forwarding&limit=500`, server?.url ?? ''),
    );
    const { items } = (await response.json()) as { items: Finding[] };
    const kate = items.find((finding) => finding.forwardedFrom?.address === 'kate@contoso.com');
    expect(kate?.forwardedFrom).toEqual({ kind: 'redirect', address: 'kate@contoso.com' });
    const linked = await context.newPage();
    await linked.goto(`${server?.url ?? ''}${SAMPLE_PERIOD}&finding=${kate?.id ?? ''}`);
    const dialog = linked.locator('dialog[open]');
    await dialog.waitFor();
    expect(await dialog.locator('ol.steps li').first().textContent()).toMatch(
      /^Start with kate@contoso\.com: its REDIRECT row shows /,
    );
    expect(await dialog.locator('.commands pre').first().textContent()).toBe(
      "Get-Mailbox -Identity 'kate@contoso.com' | Format-List Name,PrimarySmtpAddress,ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward",
    );
    // Then the organisation-wide search every forwarding finding shares.
    expect(await dialog.locator('ol.steps li').nth(1).textContent()).toMatch(/^Find what sends to /);
    await linked.close();
  });

  it("titles a relay finding's shell lines apart from its PowerShell, numbered on across both", async () => {
    // A Postfix NDR: Exchange Online PowerShell for the connector, then postconf on the relay.
    const response = await fetch(
      new URL(`/api/findings${SAMPLE_PERIOD}&scenario=ndr&limit=500`, server?.url ?? ''),
    );
    const { items } = (await response.json()) as { items: Finding[] };
    const postfix = items.find((finding) => finding.source.format === 'postfix-log');
    expect(postfix).toBeDefined();
    const linked = await context.newPage();
    await linked.goto(`${server?.url ?? ''}${SAMPLE_PERIOD}&finding=${postfix?.id ?? ''}`);
    const dialog = linked.locator('dialog[open]');
    await dialog.waitFor();
    const headings = await dialog.locator('.remediation h4').allTextContents();
    expect(headings).toEqual([
      'PowerShell (Exchange Online / Exchange Management Shell)',
      'Shell (on the relay)',
      'Documentation',
    ]);
    const shell = dialog.locator('ol.commands').nth(1);
    const powershellCount = await dialog.locator('ol.commands').first().locator('pre').count();
    expect(await shell.getAttribute('start')).toBe(String(powershellCount + 1));
    expect(await shell.locator('pre').first().textContent()).toMatch(/^postconf -e 'smtp_tls_cert_file = /);
    // Copy buttons count on across the sections: the shell line is command n+1 of the finding.
    expect(
      await shell.getByRole('button', { name: `Copy command ${powershellCount + 1}`, exact: true }).count(),
    ).toBe(1);
    await linked.close();
  });

  it('lists the analysed files with their counts and skipped rows with line and reason', async () => {
    const sources = page.locator('#sources-body tbody tr[data-source]');
    expect(await sources.count()).toBe(SAMPLE_FILE_COUNT);
    const enUs = sources.filter({ hasText: 'tracking-export-en-US.csv' });
    expect(await enUs.textContent()).toContain('Done');
    await enUs.getByRole('button', { name: /show why/ }).click();
    const skipped = page.locator('.skipped table');
    await skipped.waitFor();
    const text = (await skipped.textContent()) ?? '';
    expect(text).toContain('SYSTEM_STRING_ARRAY');
    expect(text).toContain('25');
    expect(text).toContain('26');
  });

  it('marks a file whose record says more than its counts, and lists what: failures without a reason, notes', async () => {
    /** The row of the sample file `name`, and the row of notes under it (absent when it has none). */
    const rowOf = (name: string) =>
      page.locator('#sources-body tbody tr[data-source]', {
        has: page.locator('th', { hasText: new RegExp(`/${name.replaceAll('.', '\\.')}$`) }),
      });
    const notesOf = async (name: string) =>
      page.locator(
        `#sources-body tr.notes[data-notes-of="${await rowOf(name).getAttribute('data-source')}"]`,
      );
    // The historical search summary names 2 failed messages that no sample file gives a reason for.
    expect(await rowOf('historical-search-summary.csv').locator('td').nth(1).textContent()).toBe(
      'Done⚠ 2 messages failed without a reason',
    );
    const failures = (await (await notesOf('historical-search-summary.csv')).textContent()) ?? '';
    expect(failures).toContain(
      '⚠ 2 messages failed in the historical search summary, which does not say why: they may be relay refusals.',
    );
    expect(failures).toContain('Get-MessageTraceDetailV2');
    // The Postfix log's dates have no year: the record says in which year they were read.
    expect(await rowOf('postfix-mail.log').locator('td').nth(1).textContent()).toBe(
      'Done1 note on how it was read',
    );
    expect(await (await notesOf('postfix-mail.log')).textContent()).toMatch(
      /^Note \(SYSLOG_YEAR\): .*syslog dates have no year/,
    );
    // A file read plainly has neither.
    expect(await rowOf('MSGTRK2026112800-1.LOG').locator('td').nth(1).textContent()).toBe('Done');
    expect(await (await notesOf('MSGTRK2026112800-1.LOG')).count()).toBe(0);
    // A refusal another file already counted is said, not dropped.
    expect(await rowOf('MSGTRK2026112800-2.LOG').locator('td').nth(5).textContent()).toMatch(
      /; 1 more refusal already counted from \S*MSGTRK2026112800-1\.LOG$/,
    );
    await page.locator('#sources').screenshot({ path: join(RESULTS, 'dashboard-sources-1280.png') });
  });

  it('shows the notes of a record as text, and its refusals without a finding of its own as such', async () => {
    const other = await context.newPage();
    try {
      // Records as the API could return them: text from a file is untrusted.
      await other.route('**/api/sources?**', async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { items: Record<string, unknown>[] };
        const [first, second, ...rest] = body.items;
        const unmatched = {
          ...first,
          findingsByScenario: {},
          rejections: 2,
          duplicateRefusals: 0,
          unexplainedFailures: 1,
          notes: [{ code: 'FIELD_SET_CHANGED', message: '<img src=x id=injected> a new #Fields: line' }],
        };
        const repeated = {
          ...second,
          findingsByScenario: {},
          rejections: 3,
          duplicateRefusals: 3,
          duplicateOf: ['incoming/trace-1.csv'],
        };
        await route.fulfill({ response, json: { ...body, items: [unmatched, repeated, ...rest] } });
      });
      await other.goto(`${server?.url ?? ''}${SAMPLE_PERIOD}`);
      const rows = other.locator('#sources-body tbody tr[data-source]');
      await rows.first().waitFor();
      const first = rows.first();
      expect(await first.locator('td').nth(5).textContent()).toBe(
        'none: 2 relay refusals, none matched a scenario',
      );
      expect(await first.locator('td').nth(1).textContent()).toContain('⚠ 1 message failed without a reason');
      const notes = other.locator('#sources-body tr.notes').first();
      expect(await notes.textContent()).toContain('it may be a relay refusal.');
      expect(await notes.textContent()).toContain(
        'Note (FIELD_SET_CHANGED): <img src=x id=injected> a new #Fields: line',
      );
      expect(await other.locator('#injected').count()).toBe(0);
      expect(await rows.nth(1).locator('td').nth(5).textContent()).toBe(
        'none: 3 relay refusals, all already counted from incoming/trace-1.csv',
      );
    } finally {
      await other.close();
    }
  });

  it('shows a file whose analysis was interrupted (processing, lease run out) as such, not as processing', async () => {
    const other = await context.newPage();
    try {
      // The API's answer for such a record (functions/api/routes/sources.ts marks it `interrupted`).
      await other.route('**/api/sources?**', async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { items: Record<string, unknown>[] };
        const [first, ...rest] = body.items;
        const interrupted = {
          ...first,
          status: 'processing',
          interrupted: true,
          lease: { owner: 'killed', expiresAt: '2026-11-28T10:00:00.000Z' },
        };
        await route.fulfill({ response, json: { ...body, items: [interrupted, ...rest] } });
      });
      await other.goto(`${server?.url ?? ''}${SAMPLE_PERIOD}`);
      const row = other.locator('#sources-body tbody tr[data-source]').first();
      await row.waitFor();
      expect(await row.textContent()).toContain('Interrupted');
      expect(await row.textContent()).not.toContain('Processing');
      expect(await row.textContent()).toContain('analyses it again');
    } finally {
      await other.close();
    }
  });

  it('shows the readiness results stored by relay-audit check --store, and how to check when there are none', async () => {
    const results = page.locator('#readiness .readiness-result');
    await results.first().waitFor();
    expect(
      await results.evaluateAll((items) =>
        items.map((item) => `${item.getAttribute('data-severity')} ${item.getAttribute('data-id')}`),
      ),
    ).toEqual([
      'error certificate-self-signed',
      'error connector-cert-name-not-accepted',
      'warning connector-cert-name-is-host',
      'warning connector-ip-only',
      'warning connector-tls-not-required',
      // The sample certificate is self-signed: no chain or CA to judge (not checked, not passed).
      'info certificate-chain-missing',
      'info certificate-not-public-ca',
    ]);
    expect(await page.locator('#readiness .readiness-counts').textContent()).toBe(
      '2 errors, 3 warnings, 2 not checked',
    );
    const ipOnly = page.locator('#readiness .readiness-result[data-id="connector-ip-only"]');
    expect(await ipOnly.locator('.result-objects').textContent()).toBe(
      'Involves: Relay from on-premises apps',
    );
    expect(await ipOnly.locator('ol.steps li').count()).toBeGreaterThan(0);
    const command = (await ipOnly.locator('.commands pre').first().textContent()) ?? '';
    expect(command).toMatch(/^(Get|Set|New)-InboundConnector /);
    await ipOnly.getByRole('button', { name: 'Copy command 1 of connector-ip-only' }).click();
    await expect.poll(() => ipOnly.locator('.copy-status').first().textContent()).toBe('Copied.');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(command);
    await page.locator('#readiness').screenshot({ path: join(RESULTS, 'dashboard-readiness-1280.png') });

    const empty = await context.newPage();
    await empty.goto(emptyServer?.url ?? '');
    const upload = empty.locator('#readiness .readiness-empty');
    await upload.waitFor();
    const text = (await upload.textContent()) ?? '';
    for (const expected of [
      'inbound-connectors.json',
      'Get-InboundConnector | ConvertTo-Json -Depth 5',
      'server.pem',
      'accepted-domains.csv',
      "the Sources page's upload takes logs and exports, not configuration",
    ]) {
      expect(text).toContain(expected);
    }
    // Served locally, configuration is checked into the served store; there is no bucket.
    expect(await upload.locator('.stop-server').textContent()).toMatch(/^Stop relay-audit serve first/);
    expect(await upload.locator('.command pre').last().textContent()).toBe(
      'relay-audit check --accepted-domains accepted-domains.csv --connectors inbound-connectors.json ' +
        `--certificate server.pem --store --db ${join(work, 'empty-db')}`,
    );
    expect(text).not.toMatch(/config\/|bucket/);
    await upload.screenshot({ path: join(RESULTS, 'dashboard-readiness-empty-1280.png') });
    await empty.close();
    expect(pageProblems).toEqual([]);
  });

  it('says how to check the files still missing: relay-audit check into the served store, not an upload', async () => {
    // Act
    const partial = await context.newPage();
    await partial.goto(partialServer?.url ?? '');
    const summary = partial.locator('#readiness .readiness-summary');
    await summary.waitFor();
    // Assess
    expect(await summary.locator('.readiness-counts').textContent()).toBe(
      '0 errors, 0 warnings, 14 not checked',
    );
    expect(await summary.locator('.readiness-verdict').textContent()).toBe(
      'No problems in what was checked; to check the rest, give the check the missing files too ' +
        "(the Sources page's upload takes logs and exports, not configuration).",
    );
    expect(await summary.locator('.stop-server').textContent()).toBe(
      'Stop relay-audit serve first (Ctrl+C: it holds the store), run this, then start it again and reload this page:',
    );
    expect(await summary.locator('.command pre').textContent()).toBe(
      'relay-audit check --accepted-domains accepted-domains.csv --connectors inbound-connectors.json ' +
        `--certificate server.pem --store --db ${join(work, 'partial-db')}`,
    );
    await summary.screenshot({ path: join(RESULTS, 'dashboard-readiness-partial-1280.png') });
    await partial.close();
  });

  it('is readable at 1280 px and at 420 px without horizontal page scrolling', async () => {
    await page.click('#clear-filters');
    await expect.poll(() => rowsOf(page).count()).toBe(50); // the first page of the sample findings
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(RESULTS, 'dashboard-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 420, height: 900 });
    await expect.poll(() => page.evaluate(WIDEST)).toEqual({ width: 420, overflowing: [] });
    await page.screenshot({ path: join(RESULTS, 'dashboard-420.png'), fullPage: true });
    await rowsOf(page).first().getByRole('button').click();
    await page.locator('dialog[open]').waitFor();
    await expect.poll(() => page.evaluate(WIDEST)).toEqual({ width: 420, overflowing: [] });
    await page.screenshot({ path: join(RESULTS, 'dashboard-drilldown-420.png') });
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(pageProblems).toEqual([]);
  });
});

describe('the dashboard when things are missing or failing', () => {
  it('shows an error with the API message and a Retry button when the API fails, and recovers', async () => {
    const failing = await context.newPage();
    await failing.route('**/api/summary**', (route) =>
      route.fulfill({
        status: 500,
        contentType: 'application/json; charset=utf-8',
        body: JSON.stringify({
          error: {
            code: 'INTERNAL_ERROR',
            message: 'internal error; the API logs have the details',
            requestId: 'r-1',
          },
        }),
      }),
    );
    await failing.goto(`${server?.url ?? ''}${SAMPLE_PERIOD}`);
    const alert = failing.locator('#overview-body [role="alert"]');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('Could not load the overview');
    expect(text).toContain('internal error; the API logs have the details');
    expect(text).toContain('HTTP 500');
    // The other sections do not depend on the summary.
    await expect.poll(() => rowsOf(failing).count()).toBe(50); // the first page of the sample findings
    await failing.screenshot({ path: join(RESULTS, 'dashboard-error-1280.png') });
    await failing.unroute('**/api/summary**');
    await alert.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => failing.locator('.cards .card').count()).toBe(5);
    await failing.close();
  });

  it('tells a new user what to upload or run when the store is empty', async () => {
    const empty = await context.newPage();
    await openDashboard(empty, emptyServer?.url ?? '', '');
    const onboarding = empty.locator('#onboarding');
    expect(await onboarding.isVisible()).toBe(true);
    const text = (await onboarding.textContent()) ?? '';
    expect(text).toContain('relay-audit analyze');
    expect(text).toContain('incoming/');
    expect(await empty.locator('#overview').isVisible()).toBe(false);
    await expect.poll(() => empty.locator('#sources-body').textContent()).toContain('No files analysed yet');
    await empty.screenshot({ path: join(RESULTS, 'dashboard-empty-1280.png'), fullPage: true });
    await empty.close();
  });
});
