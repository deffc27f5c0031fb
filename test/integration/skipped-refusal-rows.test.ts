/**
 * A row of a tracking log, an export, a JSON trace or an IIS SMTP log that cannot be read (a cut
 * line, a cell too many, a date not read, a stray quote, a line too long) but holds relay-refusal
 * text is skipped as REFUSAL_NOT_READ, and its file fails with that code once read, its other
 * refusals reported: never "no relay refusals". Rows without refusal text are skipped as before.
 * Fixtures: test/fixtures/real-world/skipped-refusal-rows/README.md.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTrackingLog } from '../../bench/generate-tracking-log.js';
import { analyze, type FindingSink } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { analyzeInInvocations } from '../support/invocations.js';
import { chunked } from '../support/streams.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/real-world/skipped-refusal-rows');
const REFUSAL =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';

class Sink implements FindingSink {
  public readonly findings: Finding[] = [];
  public async putFindings(findings: Finding[]): Promise<void> {
    this.findings.push(...findings);
  }
  public async putSource(): Promise<void> {}
}

async function analyse(name: string, content: Buffer | string, chunk?: number) {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const sink = new Sink();
  const result = await analyze([{ name, sourceId: name, open: () => chunked(bytes, chunk ?? 64 * 1024) }], {
    domains: parseAcceptedDomains('contoso.com', 'test'),
    sink,
  });
  const source = result.sources[0] as SourceRecord;
  expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
  return { source, findings: sink.findings };
}

const fixture = (file: string) => analyse(file, readFileSync(join(FIXTURES, file)));

const PREAMBLE =
  '#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n#Log-Type: Message Tracking Log\r\n' +
  '#Fields: date-time,client-ip,server-hostname,source,event-id,message-id,recipient-address,recipient-status,sender-address,return-path,directionality\r\n';
const row = (minute: number, event: string, status: string, quote = '') =>
  `2026-11-28T22:${String(minute).padStart(2, '0')}:03.104Z,10.0.1.11,contoso-com.mail.protection.outlook.com,SMTP,${event},` +
  `<m${minute}@EX01.contoso.local>,${quote}r${minute}@proseware.com,${status},news@contoso.com,bounce@fabrikam.com,Originating\r\n`;

describe('a tracking log or export row skipped although it holds a relay refusal', () => {
  it('fails the file for the last line of a log copied while Exchange wrote it, saying so', async () => {
    const { source } = await fixture('MSGTRK-cut-last-line.LOG');
    expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(source.skipped).toEqual([expect.objectContaining({ line: 9, reason: 'REFUSAL_NOT_READ' })]);
    expect(source.skipped[0]?.message).toMatch(
      /^expected 30 fields, found 15, yet it holds relay-refusal text \(5\.7\.64\); it is the last line and has no line end: the log looks copied while Exchange was writing it — copy it again once the log has rolled over/,
    );
    expect(source.errorMessage).toMatch(/: line 9 could not be read — expected 30 fields, found 15/);
  });

  it('notes a cut last line without refusal text as copied while written, and reads the file', async () => {
    const text = `${PREAMBLE}${row(1, 'SEND', '250 2.1.5 Recipient OK')}2026-11-28T22:02:03.104Z,10.0.1.11,contoso`;
    const { source } = await analyse('MSGTRK2026112822-1.LOG', text);
    expect(source).toMatchObject({ status: 'done', rowsRead: 2, rowsSkipped: 1 });
    expect(source.skipped[0]).toMatchObject({ line: 6, reason: 'COLUMN_COUNT' });
    expect(source.skipped[0]?.message).toMatch(
      /^expected 11 fields, found 3; it is the last line and has no line end/,
    );
  });

  it('fails an export whose refusal row has a cell too many; its other refusals are still reported', async () => {
    const { source } = await fixture('export-refusal-row-extra-column.csv');
    expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(source.skipped[0]).toMatchObject({ line: 3, reason: 'REFUSAL_NOT_READ' });
    expect(source.skipped[0]?.message).toBe(
      'expected 11 fields, found 12, yet it holds relay-refusal text (5.7.64)',
    );

    const text = `${PREAMBLE}${row(1, 'FAIL', REFUSAL)}${row(2, 'FAIL', `${REFUSAL},extra`)}`;
    const both = await analyse('MSGTRK2026112822-1.LOG', text);
    expect(both.source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ', rejections: 1 });
    expect(both.findings.map((finding) => finding.recipient)).toEqual(['r1@proseware.com']);
  });

  it('fails for a stray quote and for a line too long to keep, a refusal anywhere in them', async () => {
    const quoted = await analyse(
      'MSGTRK2026112822-1.LOG',
      `${PREAMBLE}${row(1, 'FAIL', REFUSAL, '"')}${row(2, 'SEND', '250 OK')}`,
    );
    expect(quoted.source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(quoted.source.skipped[0]?.message).toMatch(
      /^line 5 opens a quoted field .*, yet it holds relay-refusal text \(5\.7\.64\)$/,
    );

    // Past 1 MB, read in chunks of 1000 characters: the code is cut in two by a chunk's end.
    const long = row(1, 'FAIL', `${'x'.repeat(1_100_000)}${REFUSAL}`);
    const cut = 1000 - ((PREAMBLE.length + long.indexOf('5.7.64') + 3) % 1000);
    const padded = row(1, 'FAIL', `${'x'.repeat(1_100_000 + cut)}${REFUSAL}`);
    const overlong = await analyse(
      'MSGTRK2026112822-1.LOG',
      `${PREAMBLE}${padded}${row(2, 'SEND', '250 OK')}`,
      1000,
    );
    expect(overlong.source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(overlong.source.skipped[0]?.message).toMatch(
      /^line 5 is \d+ characters long.*, yet it holds relay-refusal text \(5\.7\.64\)$/,
    );

    const plain = await analyse(
      'MSGTRK2026112822-1.LOG',
      `${PREAMBLE}${row(1, 'FAIL', `${'x'.repeat(1_100_000 + cut)}550 5.7.640`)}${row(2, 'SEND', '250 OK')}`,
      1000,
    );
    expect(plain.source).toMatchObject({ status: 'done' });
    expect(plain.source.skipped[0]).toMatchObject({ reason: 'RECORD_TOO_LARGE' });
  });

  it('keeps a row without refusal text a plain skip: the file is read', async () => {
    const text = `${PREAMBLE}${row(1, 'FAIL', REFUSAL)}${row(2, 'SEND', '250 2.1.5 OK,one more')}`;
    const { source, findings } = await analyse('MSGTRK2026112822-1.LOG', text);
    expect(source).toMatchObject({ status: 'done', rowsSkipped: 1 });
    expect(source.skipped[0]).toMatchObject({
      line: 6,
      reason: 'COLUMN_COUNT',
      message: 'expected 11 fields, found 12',
    });
    expect(findings).toHaveLength(1);
  });

  it('fails a JSON trace detail record whose date cannot be read', async () => {
    const detail = (date: string, event: string, text: string) =>
      JSON.stringify({
        MessageId: '<x1@contoso.com>',
        MessageTraceId: '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
        Date: date,
        Event: event,
        Detail: text,
        Data: null,
        RecipientAddress: 'a@litware.com',
        SenderAddress: 'x@fabrikam.com',
      });
    const json = `[\n  ${detail('2026-11-28T22:15:02Z', 'Receive', 'Message received by: AM0PR01MB1234')},\n  ${detail(
      'Saturday, November 28, 2026 10:15:03 PM',
      'Fail',
      `Reason: [{LED=${REFUSAL}};{MSG=};{FQDN=};{IP=};{LRT=}]`,
    )}\n]\n`;
    const { source } = await analyse('trace-details.json', json);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(source.skipped[0]).toMatchObject({ line: 3, reason: 'REFUSAL_NOT_READ' });
    expect(source.skipped[0]?.message).toBe(
      '"Saturday, November 28, 2026 10:15:03 PM" is not a date and time, yet it holds relay-refusal text (5.7.64)',
    );
  });

  it('fails an IIS SMTP log line of another field count that holds a refusal', async () => {
    const log =
      '#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-11-28 22:15:00\r\n' +
      '#Fields: date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status sc-win32-status sc-bytes cs-bytes time-taken cs-version cs-host cs(User-Agent) cs(Cookie) cs(Referer)\r\n' +
      '2026-11-28 22:15:03 52.101.1.1 OutboundConnectionResponse SMTPSVC1 RELAY01 10.0.1.20 0 - - 550+5.7.64+TenantAttribution;+Relay+Access+Denied+ATTR36 0 0 104 0 0 SMTP - - - - - -\r\n';
    const { source } = await analyse('ex261128.log', log);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(source.skipped[0]?.message).toBe(
      'expected 21 fields, found 23, yet it holds relay-refusal text (5.7.64)',
    );
  });
});

describe('NUL bytes in a tracking log (a power loss)', () => {
  it('removes a run before a line and reads the refusal after it, with a note', async () => {
    const { source, findings } = await fixture('MSGTRK-nul-line-start.LOG');
    expect(source).toMatchObject({ status: 'done', rowsRead: 4, rowsAnalysed: 4, rowsSkipped: 0 });
    expect(findings).toHaveLength(1);
    expect(source.notes).toContainEqual({
      code: 'NUL_BYTES_REMOVED',
      message:
        '512 NUL bytes were removed (1 line began with a run of them), as a log holds where writes were lost when ' +
        'its host crashed or lost power: the text after them was read.',
    });
  });

  it('fails the line a run glued to a cut line, not saying "no relay refusals"', async () => {
    const { source } = await fixture('MSGTRK-nul-before-refusal.LOG');
    expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(source.skipped[0]).toMatchObject({ line: 8, reason: 'REFUSAL_NOT_READ' });
    expect(source.notes?.map((note) => note.code)).toContain('NUL_BYTES_REMOVED');
  });

  it('removes runs a chunk boundary cuts, counting each once', async () => {
    const text = `${PREAMBLE}${row(1, 'SEND', '250 OK')}${'\0'.repeat(3000)}${row(2, 'FAIL', REFUSAL)}`;
    const { source, findings } = await analyse('MSGTRK2026112822-1.LOG', text, 1000);
    expect(source).toMatchObject({ status: 'done', rowsSkipped: 0 });
    expect(findings).toHaveLength(1);
    expect(source.notes?.find((note) => note.code === 'NUL_BYTES_REMOVED')?.message).toMatch(
      /^3,000 NUL bytes were removed \(1 line began with a run of them\)/,
    );
  });
});

describe('skip messages', () => {
  it('show control characters of a cell escaped, so the report stays text', async () => {
    const text = `${PREAMBLE}${row(1, 'FAIL', REFUSAL)}\u0001\u0001\u0001\u0001\u001b[2J${row(2, 'SEND', '250 OK').slice(24)}`;
    const { source } = await analyse('MSGTRK2026112822-1.LOG', text);
    expect(source.skipped[0]).toMatchObject({ reason: 'BAD_TIMESTAMP' });
    expect(source.skipped[0]?.message).toBe('"[4 × \\x01]\\x1b[2J" is not a date and time');
  });
});

describe('a file read in several invocations (ingest continuations)', () => {
  it('fails at the end for a skipped refusal row an earlier invocation read', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'skipped-refusal-')), 'MSGTRK.LOG');
    await generateTrackingLog(path, 4_000_000, 11);
    const generated = readFileSync(path, 'latin1');
    // A refusal row with a cell too many, right after the header: the first invocation skips it.
    const fieldsEnd = generated.indexOf('\n', generated.indexOf('#Fields:')) + 1;
    const fields = generated
      .slice(generated.indexOf('#Fields:') + 9, fieldsEnd)
      .trim()
      .split(',');
    const cells = fields.map((name) =>
      name === 'date-time' ? '2026-11-28T00:00:00.000Z' : name === 'recipient-status' ? REFUSAL : 'x',
    );
    const file = Buffer.from(
      `${generated.slice(0, fieldsEnd)}${cells.join(',')},extra\r\n${generated.slice(fieldsEnd)}`,
      'latin1',
    );

    const sink = new Sink();
    const { record, invocations } = await analyzeInInvocations(file, {
      domains: parseAcceptedDomains('contoso.com', 'test'),
      sink,
      windowEvents: 50,
      maxTrackedMessages: 30,
      batches: 300,
      sliced: true,
      onStopped: (_stopped, count) => expect(count).toBeLessThan(100),
    });
    expect(invocations).toBeGreaterThan(2);
    expect(record).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(record.errorMessage).toMatch(
      /line 6 could not be read — expected \d+ fields, found \d+, yet it holds relay-refusal text/,
    );
    expect(sink.findings.length).toBeGreaterThan(0);
  });
});
