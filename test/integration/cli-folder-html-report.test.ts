/**
 * A `ConvertTo-Html` report of tracking or trace results found in a folder: Microsoft Learn's recipe
 * (`Get-MessageTrackingLog … | ConvertTo-Html > messages.html`) writes its lists as `System.String[]`,
 * so no refusal text is left to find, yet the table's header row is the cmdlet's property set and its
 * rows may be FAIL events. Such a report is listed as a file that may hold refusals, and the run fails
 * (exit 1) rather than saying "nothing to fix": also a selection without EventId, renamed columns
 * holding `System.String[]`, a table past an inlined logo; its message names the literal the lists
 * were written as (`System.Collections.ArrayList` from a remote session). An HTML page of another
 * table stays harmless, as do reports of other cmdlets sharing some of a trace's columns
 * (Get-MailDetail…Report, Get-HistoricalSearch, Get-Message) or listing recipients beside a sender
 * column (Get-OutboundConnector, Get-InboundConnector, Get-QuarantineMessage, Get-TransportRule).
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';
import { dirPerTest } from '../support/dir-per-test.js';
import { utf16 } from '../support/streams.js';

const FIXTURES = 'test/fixtures/real-world/convertto-html-reports';
/** Its subfolders of reports analysed one at a time, each beside its `mail.log`. */
const SELECTIONS = `${FIXTURES}/tracking-selections`;
const OTHER_REPORTS = `${FIXTURES}/other-reports`;
const SHAPES = 'test/fixtures/real-world/convertto-html-shapes';
const ARGS = ['--accepted-domains', 'contoso.com', '--no-store', '--year', '2026'];
/** What the report says to do with a report file (as for one holding refusal text). */
const ADVICE =
  'export the rows with Export-Csv rather than ConvertTo-Html or Export-Clixml (see "Exports that work" in the README) and analyse that';

const dir = dirPerTest('relay-audit-html-report-');

interface Summary {
  sources: { file: string; status: string }[];
  notAnalysed: { file: string; reason: string; mayHoldRefusals?: true }[];
}

/** The fixture folder copied (without its README and subfolders), with `extra` files (name → bytes) beside its own. */
async function folderWith(extra: Record<string, string | Uint8Array> = {}): Promise<string> {
  const folder = join(dir(), 'EX01-export');
  const skipped = new Set(['README.md', 'tracking-selections', 'other-reports']);
  await cp(FIXTURES, folder, { recursive: true, filter: (source) => !skipped.has(basename(source)) });
  for (const [name, bytes] of Object.entries(extra)) await writeFile(join(folder, name), bytes);
  return folder;
}

describe('a ConvertTo-Html report of tracking or trace results in a folder', () => {
  it('is listed as may hold refusals, told by its header row, and fails the run', async () => {
    const folder = await folderWith();
    const shown = folder; // given absolute, outside the working directory: shown so

    const { status, out } = await cli('analyze', folder, ...ARGS);

    expect(status).toBe(1);
    expect(out.stderr).not.toContain('nothing to fix');
    expect(out.stderr).toMatch(/^relay-audit: 1 file, 5 rows, .*; 3 files that may hold refusals not read\n/);
    const table = (what: string, lists = '') =>
      `not a log or export: .html, yet its table is a ${what} (told by its header row): its rows may hold ` +
      `relay refusals, which relay-audit does not read in a report${lists}: ${ADVICE}`;
    expect(out.stderr).toContain(
      [
        'Files not read that may hold relay refusals',
        `  ✗ ${shown}/messages.html — ${table('Get-MessageTrackingLog export', ', and its lists read System.String[], as written without -join')}`,
        `  ✗ ${shown}/trace-detail.html — ${table('message trace detail')}`,
        `  ✗ ${shown}/trace-v2.html — ${table('message trace')}`,
      ].join('\n'),
    );
    // A page of another table is no export: harmless, as before.
    expect(out.stderr).toContain(
      ['Other files, not analysed', `  – ${shown}/servers.html — not a log or export: .html`].join('\n'),
    );
  });

  it('is flagged in the --json summary, and a page of another table is not', async () => {
    const folder = await folderWith();
    const shown = folder; // given absolute, outside the working directory: shown so

    const { status, out } = await cli('analyze', folder, ...ARGS, '--json');
    const summary = JSON.parse(out.stderr) as Summary;

    expect(status).toBe(1);
    expect(summary.sources.map((source) => [source.file, source.status])).toEqual([
      [`${shown}/mail.log`, 'done'],
    ]);
    const flags = Object.fromEntries(
      summary.notAnalysed.map((entry) => [entry.file, entry.mayHoldRefusals ?? false]),
    );
    expect(flags).toEqual({
      [`${shown}/messages.html`]: true,
      [`${shown}/servers.html`]: false,
      [`${shown}/trace-detail.html`]: true,
      [`${shown}/trace-v2.html`]: true,
    });
  });

  it('is told after -PreContent text, in UTF-16 and with its lists joined', async () => {
    // `-PreContent` text above the table, and `Select-Object` columns joined with -join (PowerShell 7):
    // still the export's header row, no System.String[] cell, no refusal text in the first rows.
    const head = `<p>${'Weekly relay report. '.repeat(100)}</p>`;
    const joined = [
      '<html><body>',
      head,
      '<table>',
      '<tr><th>Timestamp</th><th>EventId</th><th>Source</th><th>MessageId</th><th>Sender</th><th>Recipients</th><th>RecipientStatus</th></tr>',
      '<tr><td>12/3/2026 9:15:02 AM</td><td>SEND</td><td>SMTP</td><td>&lt;a@contoso.com&gt;</td><td>anna@contoso.com</td><td>ops@fourthcoffee.com</td><td>250 2.1.5 Recipient OK</td></tr>',
      '</table></body></html>',
      '',
    ].join('\r\n');
    const folder = await folderWith({ 'joined.htm': utf16(joined, 'le', true) });
    const shown = folder; // given absolute, outside the working directory: shown so

    const { status, out } = await cli('analyze', folder, ...ARGS);

    expect(status).toBe(1);
    expect(out.stderr).toContain(
      `  ✗ ${shown}/joined.htm — not a log or export: .htm, yet its table is a Get-MessageTrackingLog export ` +
        `(told by its header row): its rows may hold relay refusals, which relay-audit does not read in a report: ${ADVICE}`,
    );
  });

  it('with refusal text in it says where, as before', async () => {
    // Joined lists keep the refusal text: the line is named, the table's header not needed.
    const html = [
      '<table>',
      '<tr><th>Timestamp</th><th>EventId</th><th>Source</th><th>MessageId</th><th>Sender</th><th>Recipients</th><th>RecipientStatus</th></tr>',
      '<tr><td>12/3/2026 9:15:02 AM</td><td>FAIL</td><td>SMTP</td><td>&lt;b@contoso.com&gt;</td><td>app@fabrikam.com</td><td>buyer@litware.com</td><td>550 5.7.64 TenantAttribution; Relay Access Denied ATTR36</td></tr>',
      '</table>',
      '',
    ].join('\n');
    const folder = await folderWith({ 'fails.html': html });
    const shown = folder; // given absolute, outside the working directory: shown so

    const { out } = await cli('analyze', folder, ...ARGS);

    expect(out.stderr).toContain(
      `  ✗ ${shown}/fails.html — not a log or export: .html, yet it holds relay-refusal text (5.7.64 on line 3): ${ADVICE}`,
    );
  });
});

/** `mail.log` and a report (its name and bytes), in a folder of their own. */
async function reportBesideLog(name: string, bytes: Uint8Array): Promise<string> {
  const folder = join(dir(), 'report');
  await cp(join(FIXTURES, 'mail.log'), join(folder, 'mail.log'));
  await writeFile(join(folder, name), bytes);
  return folder;
}

describe('a ConvertTo-Html report of tracking rows in other shapes', () => {
  it.each([
    [SHAPES, 'daily-report.html', 'a summary table before the rows', 'its header row'],
    [SHAPES, 'as-list.html', '-As List, no header row', 'its property names'],
    [SHAPES, 'failed-messages.html', 'a selection of columns without MessageId', 'its header row'],
    [SELECTIONS, 'failed-yesterday.html', '-EventId FAIL, a selection without EventId', 'its header row'],
    [SELECTIONS, 'list.html', 'the same selection -As List', 'its property names'],
    [
      SELECTIONS,
      'fail-report.html',
      'renamed columns, To and Status holding System.String[]',
      'its header row',
    ],
  ])('%s/%s (%s) is listed as may hold refusals and fails the run', async (from, file, _shape, toldBy) => {
    const folder = await reportBesideLog(file, await readFile(join(from, file)));

    const { status, out } = await cli('analyze', folder, ...ARGS, '--json');

    expect(status).toBe(1);
    const summary = JSON.parse(out.stderr) as Summary;
    expect(summary.notAnalysed.map((entry) => [basename(entry.file), entry.mayHoldRefusals])).toEqual([
      [file, true],
    ]);
    expect(summary.notAnalysed[0]?.reason).toContain(
      `yet its table is a Get-MessageTrackingLog export (told by ${toldBy})`,
    );
    // Every one of these was written by Windows PowerShell 5.1 without -join.
    expect(summary.notAnalysed[0]?.reason).toContain('its lists read System.String[]');
  });

  it.each([
    ['failed-yesterday.html', 'the blog recipe selection'],
    ['fail-report.html', 'renamed columns'],
  ])('%s (%s) written in a remote session names its lists System.Collections.ArrayList', async (file) => {
    // The same rows from Exchange through remote PowerShell (`Import-PSSession`): its lists come back
    // deserialised, and ConvertTo-Html writes the ArrayList's type name.
    const page = new TextDecoder('utf-16le')
      .decode(await readFile(join(SELECTIONS, file)))
      .replaceAll('System.String[]', 'System.Collections.ArrayList');
    const folder = await reportBesideLog(file, utf16(page, 'le', true));

    const { status, out } = await cli('analyze', folder, ...ARGS, '--json');

    expect(status).toBe(1);
    const summary = JSON.parse(out.stderr) as Summary;
    expect(summary.notAnalysed[0]?.mayHoldRefusals).toBe(true);
    expect(summary.notAnalysed[0]?.reason).toContain(
      'its lists read System.Collections.ArrayList, as written without -join',
    );
    expect(summary.notAnalysed[0]?.reason).not.toContain('System.String[]');
  });

  it('is told with its table past a logo inlined in the page, its lists read System.String[]', async () => {
    // `ConvertTo-Html -Head $style -PreContent "<img src='data:image/png;base64,$logo'>"`: a mailed
    // report inlines its pictures, as linked ones are blocked. A 96 KB logo puts the header row
    // 128 K characters into the file.
    const page = new TextDecoder('utf-16le').decode(await readFile(join(FIXTURES, 'messages.html')));
    const logo = Buffer.from(
      Uint8Array.from({ length: 96 * 1024 }, (_, at) => (at * 131 + 7) % 256),
    ).toString('base64');
    const inlined = page
      .replace(
        '<title>HTML TABLE</title>',
        '<title>Daily relay report</title><style>table { border-collapse: collapse; }</style>',
      )
      .replace('<body>', `<body>\r\n<img alt="Contoso" src="data:image/png;base64,${logo}" />`);
    expect(inlined.indexOf('<th>')).toBeGreaterThan(128 * 1024);
    const folder = await reportBesideLog('daily.html', utf16(inlined, 'le', true));
    const shown = folder; // given absolute, outside the working directory: shown so

    const { status, out } = await cli('analyze', folder, ...ARGS);

    expect(status).toBe(1);
    expect(out.stderr).toContain(
      `  ✗ ${shown}/daily.html — not a log or export: .html, yet its table is a Get-MessageTrackingLog export ` +
        '(told by its header row): its rows may hold relay refusals, which relay-audit does not read in a report, ' +
        `and its lists read System.String[], as written without -join: ${ADVICE}`,
    );
  });
});

describe('a ConvertTo-Html report of rows no relay refused', () => {
  it.each([
    ['spam-detail.html', 'Get-MailDetailSpamReport: MessageTraceId, RecipientAddress, EventType'],
    ['atp-detail.html', 'Get-MailDetailATPReport: MessageTraceId, RecipientAddress, EventType'],
    ['historical-jobs.html', 'Get-HistoricalSearch: JobId, Status, RecipientAddress'],
    ['messages-in-queue.html', 'Get-Message: Recipients as System.String[] beside FromAddress'],
    [
      'outbound-connectors.html',
      'Get-OutboundConnector: RecipientDomains listed beside SenderRewritingEnabled',
    ],
    ['inbound-connectors.html', 'Get-InboundConnector: ScanAndDropRecipients listed beside SenderDomains'],
    [
      'quarantine.html',
      'Get-QuarantineMessage: RecipientAddress listed beside SenderAddress and ReceivedTime',
    ],
    ['transport-rules.html', 'Get-TransportRule: RecipientDomainIs listed beside From'],
  ])('%s (%s) is passed over as harmless: nothing to fix', async (file) => {
    const folder = await reportBesideLog(file, await readFile(join(OTHER_REPORTS, file)));
    const shown = folder; // given absolute, outside the working directory: shown so

    const { status, out } = await cli('analyze', folder, ...ARGS);

    expect(status).toBe(0);
    expect(out.stderr).toContain(
      ['Other files, not analysed', `  – ${shown}/${file} — not a log or export: .html`].join('\n'),
    );
    expect(out.stderr).not.toContain('may hold');
    expect(out.stderr).toContain('nothing to fix');
  });
});
