/**
 * Refusal text in a file found in a folder that relay-audit does not read: wherever it is in the
 * file (past the first 64 KB of a UTF-16 Format-List capture, across a read's boundary) and whatever
 * the file's kind (`ConvertTo-Html`, `Export-Clixml`, a mail log in a form not read), the run fails
 * (exit 1) rather than saying "no relay refusals", with advice that fits what wrote the file. Notes
 * and scripts, which name the codes they explain or search for, stay harmless.
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLocalInputs } from '../../bin/support/inputs.js';
import { cli } from '../support/capture-output.js';
import { dirPerTest } from '../support/dir-per-test.js';
import { utf16 } from '../support/streams.js';

const FIXTURES = 'test/fixtures/real-world/unread-with-refusals';
const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];
const REFUSAL =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';

const dir = dirPerTest('relay-audit-refusal-text-');

/** A clean Postfix log: the run has an analysed file that holds no refusal. */
const MAIL_LOG = [
  'Nov 28 22:10:01 relay01 postfix/qmgr[1187]: 3F7A21C0B4: from=<alerts@contoso.com>, size=2841, nrcpt=1 (queue active)',
  'Nov 28 22:10:02 relay01 postfix/smtp[24117]: 3F7A21C0B4: to=<noc@adatum.com>, relay=contoso-com.mail.protection.outlook.com[52.101.1.1]:25, delay=0.74, delays=0.05/0.01/0.31/0.37, dsn=2.6.0, status=sent (250 2.6.0 Queued mail for delivery)',
  'Nov 28 22:10:03 relay01 postfix/qmgr[1187]: 3F7A21C0B4: removed',
  '',
].join('\n');

/** One event of `Get-MessageTrackingLog | Format-List` as Windows PowerShell prints it. */
function formatListEvent(index: number, eventId: string, status: string): string {
  const id = String(index).padStart(6, '0');
  return [
    '',
    `RunspaceId              : 9c1f4e2a-7b3d-4f8e-a5c6-2d1b0e${id}`,
    `Timestamp               : 11/28/2026 ${8 + (Math.floor(index / 60) % 12)}:${String(index % 60).padStart(2, '0')}:03 PM`,
    'ClientIp                : 10.0.1.11',
    'ClientHostname          : EX01.contoso.local',
    'ServerIp                : 52.101.1.1',
    'ServerHostname          : contoso-com.mail.protection.outlook.com',
    `SourceContext           : 08DF006B9F${id};250-DSN;`,
    'ConnectorId             : EX01\\Outbound to Office 365',
    'Source                  : SMTP',
    `EventId                 : ${eventId}`,
    `InternalMessageId       : 24466${id}`,
    `MessageId               : <m${id}@EX01.contoso.local>`,
    `NetworkMessageId        : 2aef3b94-9b61-5b98-a886-7b2610${id}`,
    `Recipients              : {user${index}@litware.com}`,
    `RecipientStatus         : {${status}}`,
    'TotalBytes              : 27719',
    'RecipientCount          : 1',
    'RelatedRecipientAddress :',
    'Reference               :',
    `MessageSubject          : Invoice ${id}`,
    'Sender                  : app@fabrikam.com',
    'ReturnPath              : app@fabrikam.com',
    'Directionality          : Originating',
    '',
  ].join('\r\n');
}

describe('refusal text in a file passed over in a folder', () => {
  it('is found past the first 64 KB of a Format-List capture (UTF-16LE): the run fails', async () => {
    // `Get-MessageTrackingLog -Server EX01 | fl > tracking-fl.txt`: 150 sent messages, then the refusal.
    const events = Array.from({ length: 150 }, (_, i) =>
      formatListEvent(i, 'SEND', '250 2.1.5 Recipient OK'),
    );
    const head = `\r\n${events.join('\r\n')}\r\n`;
    const capture = `${head}${formatListEvent(150, 'FAIL', REFUSAL)}\r\n\r\n`;
    const line = head.split('\n').length + 15; // RecipientStatus: the 16th line of the event
    const bytes = utf16(capture, 'le', true);
    expect(Buffer.from(bytes).indexOf(utf16('5.7.64', 'le', false))).toBeGreaterThan(64 * 1024); // past the old sniff
    const folder = join(dir(), 'EX01');
    await mkdir(folder);
    await writeFile(join(folder, 'mail.log'), MAIL_LOG);
    await writeFile(join(folder, 'tracking-fl.txt'), bytes);

    const { status, out } = await cli('analyze', folder, ...DOMAINS, '--no-store', '--year', '2026');

    expect(status).toBe(1);
    expect(out.stderr).not.toContain('nothing to fix');
    expect(out.stderr).toMatch(
      new RegExp(
        `✗ .*EX01/tracking-fl\\.txt — not a log or export: \\.txt, and no header relay-audit knows, yet it holds ` +
          `relay-refusal text \\(5\\.7\\.64 on line ${line}\\): export the rows as CSV \\(Export-Csv, see "Exports that work"`,
      ),
    );
  });

  it('is found in HTML and XML reports and in mail logs of forms not read, each with advice that fits', async () => {
    const folder = await handedOverFolder();

    const { status, out } = await cli('analyze', folder, ...DOMAINS, '--no-store', '--year', '2026');
    const report = out.stderr;
    const shown = folder; // as the report names files (a path given absolute, outside the working directory)

    expect(status).toBe(1);
    expect(report).not.toContain('nothing to fix');
    expect(report).toMatch(/^relay-audit: 1 file, 5 rows, .*; 5 files that may hold refusals not read\n/);
    const markup =
      'export the rows with Export-Csv rather than ConvertTo-Html or Export-Clixml (see "Exports that work" in the README) and analyse that';
    const json =
      'export the rows with Export-Csv rather than ConvertTo-Json (see "Exports that work" in the README) and analyse that, or name the file to see why it is not read';
    const mailLog = (what: string) =>
      `it looks like a ${what} in a form relay-audit does not read: analyse the log as the server writes it ` +
      '(/var/log/mail.log, maillog) or as journalctl -o short-iso prints it, or name the file to see why it is not read';
    expect(report).toContain(
      [
        'Files not read that may hold relay refusals',
        `  ✗ ${shown}/fails-clixml.xml — not a log or export: .xml, yet it holds relay-refusal text (5.7.64 on line 28): ${markup}`,
        `  ✗ ${shown}/graylog-search.json — not a log or export: .json that is no message trace, yet it holds relay-refusal text (5.7.64 on line 28): ${mailLog("mail server's log")}`,
        `  ✗ ${shown}/splunk-export.xml — not a log or export: .xml, yet it holds relay-refusal text (5.7.64 on line 23): ${mailLog('Postfix log')}`,
        `  ✗ ${shown}/tracking-events.json — not a log or export: .json that is no message trace, yet it holds relay-refusal text (5.7.64 on line 28): ${json}`,
        `  ✗ ${shown}/tracking-report.html — not a log or export: .html, yet it holds relay-refusal text (5.7.64 on line 10): ${markup}`,
      ].join('\n'),
    );
    // Notes name the codes they discuss: listed, harmless (as sample-logs/README.md).
    expect(report).toContain(
      [
        'Other files, not analysed',
        `  – ${shown}/notes.md — not a log or export: .md`,
        `  – ${shown}/README.md — not a log or export: .md`,
      ].join('\n'),
    );
  });
});

/**
 * `Get-MessageTrackingLog … | Select-Object … | ConvertTo-Html > tracking-report.html` (PowerShell 7:
 * UTF-8, CRLF), the refusal on line 10. Built here: Biome lints the repository's HTML.
 */
const CONVERT_TO_HTML = [
  '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"  "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">',
  '<html xmlns="http://www.w3.org/1999/xhtml">',
  '<head>',
  '<title>HTML TABLE</title>',
  '</head><body>',
  '<table>',
  '<colgroup><col/><col/><col/><col/><col/><col/></colgroup>',
  '<tr><th>Timestamp</th><th>EventId</th><th>Source</th><th>Sender</th><th>Recipients</th><th>RecipientStatus</th></tr>',
  '<tr><td>11/28/2026 10:14:58 PM</td><td>SEND</td><td>SMTP</td><td>lee@contoso.com</td><td>anna@northwindtraders.com</td><td>250 2.1.5 Recipient OK</td></tr>',
  `<tr><td>11/28/2026 10:15:03 PM</td><td>FAIL</td><td>SMTP</td><td>app@fabrikam.com</td><td>buyer@litware.com</td><td>${REFUSAL}</td></tr>`,
  '</table>',
  '</body></html>',
  '',
].join('\r\n');

/** One event of `Get-MessageTrackingLog | ConvertTo-Json` as Windows PowerShell 5.1 indents it. */
function convertToJsonEvent(eventId: string, recipient: string, status: string, last: boolean): string[] {
  return [
    '    {',
    '        "Timestamp":  "\\/Date(1795907703402)\\/",',
    '        "ClientIp":  "10.0.1.11",',
    '        "ServerHostname":  "contoso-com.mail.protection.outlook.com",',
    '        "Source":  "SMTP",',
    `        "EventId":  "${eventId}",`,
    '        "MessageId":  "\\u003cAAA111@EX01.contoso.local\\u003e",',
    '        "Recipients":  [',
    `                           "${recipient}"`,
    '                       ],',
    '        "RecipientStatus":  [',
    `                                "${status}"`,
    '                            ],',
    '        "Sender":  "app@fabrikam.com"',
    last ? '    }' : '    },',
  ];
}

/**
 * `Get-MessageTrackingLog -MessageId … | ConvertTo-Json > tracking-events.json` in Windows PowerShell
 * 5.1 (UTF-16LE with BOM), the refusal on line 28. Built here: Biome would reformat the repository's JSON.
 */
const CONVERT_TO_JSON = [
  '[',
  ...convertToJsonEvent('RECEIVE', 'buyer@litware.com', 'To', false),
  ...convertToJsonEvent('FAIL', 'buyer@litware.com', REFUSAL, true),
  ']',
  '',
].join('\r\n');

/** The fixture folder as handed over, with the HTML report and the JSON built above beside its files. */
async function handedOverFolder(): Promise<string> {
  const folder = join(dir(), 'handed-over');
  await cp(FIXTURES, folder, { recursive: true });
  await writeFile(join(folder, 'tracking-report.html'), CONVERT_TO_HTML);
  await writeFile(join(folder, 'tracking-events.json'), utf16(CONVERT_TO_JSON, 'le', true));
  return folder;
}

/** Padding lines of a Format-List capture, then the refusal line with `5.7.64` at character `at`. */
function captureWithRefusalAt(at: number): { text: string; line: number } {
  const filler = 'Source                  : SMTP\r\n';
  const prefix = 'RecipientStatus         : {550 ';
  const before = at - prefix.length;
  const lines = Math.floor(before / filler.length);
  const text =
    filler.repeat(lines) +
    ' '.repeat(before - lines * filler.length) +
    prefix +
    REFUSAL.slice('550 '.length) +
    '}\r\nSender                  : app@fabrikam.com\r\n';
  return { text, line: lines + 1 };
}

/** The 64 KB reads of a file searched for refusal text end here. */
const READ_BOUNDARY = 64 * 1024;

describe('the search for refusal text', () => {
  it.each([
    ['UTF-8', (text: string) => Buffer.from(text), READ_BOUNDARY],
    // After the BOM, two bytes a character.
    ['UTF-16LE', (text: string) => utf16(text, 'le', true), (READ_BOUNDARY - 2) / 2],
  ])(
    'finds a marker a read boundary cuts in two, wherever it is cut (%s)',
    async (_encoding, encode, boundary) => {
      const folder = join(dir(), 'captures');
      await mkdir(folder);
      const lines = new Map<string, number>();
      for (let at = boundary - '5.7.64'.length - 1; at <= boundary + 1; at++) {
        const { text, line } = captureWithRefusalAt(at);
        await writeFile(join(folder, `fl-${at}.txt`), encode(text));
        lines.set(`captures/fl-${at}.txt`, line);
      }

      const found = await findLocalInputs([folder], dir());

      expect(found.mayHoldRefusals.sort()).toEqual([...lines.keys()].sort());
      // The first marker of the line, whole: not TenantAttribution after a 5.7.64 cut in two.
      for (const { file, reason } of found.notAnalysed)
        expect(reason, file).toContain(`(5.7.64 on line ${lines.get(file)})`);
    },
  );

  it('finds a marker in UTF-16 appended to an ASCII file (>> in Windows PowerShell 5.1)', async () => {
    // `… | fl | Out-File -Encoding ascii fails.txt` for EX01, then `… | fl >> fails.txt` for EX02.
    const ascii = [0, 1].map((i) => formatListEvent(i, 'SEND', '250 2.1.5 Recipient OK')).join('\r\n');
    const appended = formatListEvent(2, 'FAIL', REFUSAL);
    await writeFile(
      join(dir(), 'fails.txt'),
      Buffer.concat([Buffer.from(ascii), utf16(appended, 'le', false)]),
    );
    const line = ascii.split('\n').length + 15; // RecipientStatus: the 16th line of the event

    const found = await findLocalInputs([dir()], dir());

    expect(found.mayHoldRefusals).toEqual(['fails.txt']);
    expect(found.notAnalysed[0]?.reason).toContain(`(5.7.64 on line ${line}): export the rows as CSV`);
  });

  it('does not take a longer number that a read boundary cuts for a marker (10.5.7.641)', async () => {
    const filler = 'Source                  : SMTP\r\n';
    const version = 'ServerVersion           : 10.5.7.64';
    const lines = Math.floor((READ_BOUNDARY - version.length) / filler.length);
    const text = `${filler.repeat(lines)}${' '.repeat(READ_BOUNDARY - version.length - lines * filler.length)}${version}1\r\n`;
    expect(Buffer.from(text).subarray(0, READ_BOUNDARY).toString().endsWith('10.5.7.64')).toBe(true);
    await writeFile(join(dir(), 'servers.txt'), text);

    const found = await findLocalInputs([dir()], dir());

    expect(found.mayHoldRefusals).toEqual([]);
    expect(found.notAnalysed).toEqual([
      { file: 'servers.txt', reason: 'not a log or export: .txt, and no header relay-audit knows' },
    ]);
  });

  it('takes no address that holds a code for a marker (10.5.7.64, 5.7.64.1)', async () => {
    const text = ['ClientIp                : 10.5.7.64', 'ServerIp                : 5.7.64.1', ''].join(
      '\r\n',
    );
    await writeFile(join(dir(), 'servers.txt'), text);

    const found = await findLocalInputs([dir()], dir());

    expect(found.mayHoldRefusals).toEqual([]);
  });

  it('judges a code a read boundary follows with what comes after it (5.7.64. then 1)', async () => {
    const { text } = textWithLineEndingAt(READ_BOUNDARY, 'ServerIp                : 5.7.64.', '1\r\n');
    await writeFile(join(dir(), 'servers.txt'), text);

    const found = await findLocalInputs([dir()], dir());

    expect(found.mayHoldRefusals).toEqual([]);
  });

  it('keeps the whole line of a marker a read boundary follows: it tells what wrote it', async () => {
    // A sendmail line, cut before its stat=, pasted into notes: its line feed ends the first read.
    const { text, line } = textWithLineEndingAt(
      READ_BOUNDARY,
      'to=<buyer@litware.com>, mailer=esmtp, relay=contoso-com.mail.protection.outlook.com. [52.101.1.1], dsn=5.7.64\r\n',
      'Sender                  : app@fabrikam.com\r\n',
    );
    await writeFile(join(dir(), 'pasted.txt'), text);

    const found = await findLocalInputs([dir()], dir());

    expect(found.mayHoldRefusals).toEqual(['pasted.txt']);
    expect(found.notAnalysed[0]?.reason).toContain(
      `(5.7.64 on line ${line}): it looks like a mail server's log in a form relay-audit does not read`,
    );
  });
});

/** Padding lines, then `last` ending at character `end`, then `after`; `last`'s line number. */
function textWithLineEndingAt(end: number, last: string, after: string): { text: string; line: number } {
  const filler = 'Source                  : SMTP\r\n';
  const before = end - last.length;
  const lines = Math.floor(before / filler.length);
  const text = `${filler.repeat(lines)}${' '.repeat(before - lines * filler.length)}${last}${after}`;
  expect(text.slice(0, end).endsWith(last)).toBe(true);
  return { text, line: lines + 1 };
}
