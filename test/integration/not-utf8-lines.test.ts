/**
 * Lines that are not UTF-8: a syslog file (which cannot be exported again) is read on, those lines as
 * Latin-1, and says so; an export (which can) fails naming the line, as before. UTF-16 with 8-bit text
 * appended is read up to it, and fails.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeNoStore, findingRow } from '../support/analyze-no-store.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/real-world/not-utf8-lines');
const SAMPLES = join(import.meta.dirname, '../../sample-logs');

describe('a syslog file with lines that are not UTF-8', () => {
  it("reads the Postfix refusal after another program's Latin-1 line and notes the lines", async () => {
    const run = await analyzeNoStore(
      join(FIXTURES, 'central-syslog.log'),
      '--accepted-domains',
      'contoso.com',
      '--year',
      '2026',
    );
    expect(run.status).toBe(0);
    expect(run.findings.map(findingRow)).toEqual([
      [6, 'noc@adatum.com', 'foreign-sender-domain', '2026-11-28T22:10:03.000Z'],
    ]);
    expect(run.source.status).toBe('done');
    const note = run.source.notes?.find((each) => each.code === 'NOT_UTF8_LINES');
    expect(note?.message).toMatch(
      /^2 lines \(the first is line 3\) are not valid UTF-8 and were read as Latin-1/,
    );
  });

  it('fails an export with such a line, naming it, as an export can be made again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'not-utf8-'));
    const file = join(dir, 'trace.csv');
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from(
          '"Received","SenderAddress","RecipientAddress","Subject","Status","MessageId"\r\n' +
            '"11/28/2026 10:15:03 PM","a@contoso.com","b@litware.com","ok","Delivered","<1@contoso.com>"\r\n' +
            '"11/28/2026 10:16:03 PM","a@contoso.com","b@litware.com","Gr',
        ),
        Buffer.from([0xfc, 0xdf]),
        Buffer.from('e","Failed","<2@contoso.com>"\r\n'),
      ]),
    );
    const run = await analyzeNoStore(file, '--accepted-domains', 'contoso.com');
    expect(run.status).toBe(1);
    expect(run.source).toMatchObject({ status: 'failed', errorCode: 'BAD_ENCODING' });
    expect(run.source.errorMessage).toMatch(
      /trace\.csv is not valid UTF-8 \(invalid byte sequence on line 3/,
    );
  });
});

describe('a UTF-16 export with 8-bit text appended (PowerShell > then Add-Content)', () => {
  it('reads the UTF-16 lines, and fails the file naming where the 8-bit text begins', async () => {
    const lines = (await readFile(join(SAMPLES, 'tracking-export-en-US.csv'), 'latin1')).split('\r\n');
    const dir = await mkdtemp(join(tmpdir(), 'utf16-appended-'));
    const file = join(dir, 'all.csv');
    const utf16 = Buffer.from(`\uFEFF${lines.slice(0, 10).join('\r\n')}\r\n`, 'utf16le');
    await writeFile(file, Buffer.concat([utf16, Buffer.from(lines.slice(10).join('\r\n'), 'latin1')]));
    const whole = await analyzeNoStore(
      join(SAMPLES, 'tracking-export-en-US.csv'),
      '--accepted-domains',
      'contoso.com',
    );

    const run = await analyzeNoStore(file, '--accepted-domains', 'contoso.com');

    expect(run.status).toBe(1);
    expect(run.source).toMatchObject({ status: 'failed', errorCode: 'BAD_ENCODING', rowsRead: 9 });
    expect(run.source.errorMessage).toMatch(
      /all\.csv is UTF-16 up to line 10, then 8-bit text .* appended to it/,
    );
    // The refusals of the UTF-16 part are those of the same lines read whole.
    const first = whole.findings.filter((finding) => finding.source.line <= 10).map(findingRow);
    expect(first.length).toBeGreaterThan(0);
    expect(run.findings.map(findingRow)).toEqual(first);
  });
});
