/**
 * An IIS SMTP service log without the `date` field (the service's default W3C field set is
 * `time c-ip cs-method cs-uri-stem sc-status`; admins add the others) is dated by its `#Date:`
 * directives: each row takes the latest directive's day, and the next day once its time goes back
 * (the log ran past midnight). Without a `#Date:` line before its first row it cannot be dated and is
 * refused. Built from sample-logs/iis-smtp-ex261128.log (CRLF; the rows added here end in LF), with
 * the date column removed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type FindingSink } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE = readFileSync(join(ROOT, 'sample-logs', 'iis-smtp-ex261128.log'), 'utf8');
const FIELDS = SAMPLE.split('\n').find((line) => line.startsWith('#Fields:')) as string;

/** A row of the sample's field set, outbound to `remote`. */
const row = (when: string, remote: string, kind: 'Command' | 'Response', method: string, query: string) =>
  `${when} ${remote} OutboundConnection${kind} SMTPSVC1 RELAY02 - 25 ${method} - ${query} 0 0 20 0 16 SMTP - - - -`;
const REFUSED =
  '550+5.7.64+TenantAttribution;+Relay+Access+Denied+[AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';

/**
 * The sample, then a session that runs past midnight (with one row written a second out of order
 * before it), then the service restarted two days later: a new `#Date:` and `#Fields:`.
 */
const DATED = [
  SAMPLE.trimEnd(),
  row(
    '2026-11-28 23:59:58',
    '52.101.2.2',
    'Response',
    '-',
    '220+AM0PR01MB1234+Microsoft+ESMTP+MAIL+Service+ready',
  ),
  row('2026-11-28 23:59:57', '52.101.2.2', 'Command', 'EHLO', 'relay02.contoso.local'),
  row('2026-11-28 23:59:59', '52.101.2.2', 'Command', 'MAIL', 'FROM:<printer@contoso.com>'),
  row('2026-11-29 00:00:01', '52.101.2.2', 'Response', '-', '250+2.1.0+Sender+OK'),
  row('2026-11-29 00:00:01', '52.101.2.2', 'Command', 'RCPT', 'TO:<ap@fabrikam.com>'),
  row('2026-11-29 00:00:02', '52.101.2.2', 'Response', '-', REFUSED),
  row('2026-11-29 00:00:02', '52.101.2.2', 'Command', 'QUIT', '-'),
  '#Software: Microsoft Internet Information Services 6.0',
  '#Version: 1.0',
  '#Date: 2026-11-30 08:00:00',
  FIELDS,
  row(
    '2026-11-30 08:10:00',
    '52.101.1.1',
    'Response',
    '-',
    '220+AM0PR01MB1234+Microsoft+ESMTP+MAIL+Service+ready',
  ),
  row('2026-11-30 08:10:00', '52.101.1.1', 'Command', 'EHLO', 'relay02.contoso.local'),
  row('2026-11-30 08:10:00', '52.101.1.1', 'Command', 'MAIL', 'FROM:<scans@contoso.com>'),
  row('2026-11-30 08:10:01', '52.101.1.1', 'Response', '-', '250+2.1.0+Sender+OK'),
  row('2026-11-30 08:10:01', '52.101.1.1', 'Command', 'RCPT', 'TO:<billing@fourthcoffee.com>'),
  row('2026-11-30 08:10:02', '52.101.1.1', 'Response', '-', REFUSED),
  row('2026-11-30 08:10:02', '52.101.1.1', 'Command', 'QUIT', '-'),
  '',
].join('\n');

/** The log as the SMTP service writes it without the Date field: the first column and field gone. */
function withoutDate(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith('#Fields:')) return line.replace(/^#Fields: date /, '#Fields: ');
      if (line.startsWith('#') || line === '') return line;
      return line.replace(/^\S+ /, '');
    })
    .join('\n');
}
const UNDATED = withoutDate(DATED);

class Sink implements FindingSink {
  public readonly findings: Finding[] = [];
  public async putFindings(findings: Finding[]): Promise<void> {
    this.findings.push(...findings);
  }
  public async putSource(): Promise<void> {}
}

/** Analyses `text` under one name, so that findings of two texts can be compared whole. */
async function analyse(text: string) {
  const sink = new Sink();
  const name = 'ex261128.log';
  const result = await analyze(
    [
      {
        name,
        sourceId: name,
        open: async function* () {
          yield Buffer.from(text);
        },
      },
    ],
    {
      domains: parseAcceptedDomains('contoso.com', 'test'),
      sink,
      now: () => new Date('2026-12-01T00:00:00Z'),
    },
  );
  return { source: result.sources[0] as SourceRecord, findings: sink.findings };
}

describe('IIS SMTP log without a date field', () => {
  it('the fixture has no date column and every row keeps its other fields', () => {
    expect(UNDATED).toContain('#Fields: time c-ip cs-username ');
    expect(UNDATED).not.toMatch(/^\d{4}-\d{2}-\d{2} /m);
    expect(UNDATED.split('\n')).toHaveLength(DATED.split('\n').length);
  });

  it('gives the findings the log with the date column gives, timestamps included', async () => {
    const dated = await analyse(DATED);
    const undated = await analyse(UNDATED);
    expect(dated.source.status).toBe('done');
    expect(undated.source.status).toBe(dated.source.status);
    expect(undated.source.rowsAnalysed).toBe(dated.source.rowsAnalysed);
    expect(undated.source.rowsSkipped).toBe(0);
    // The sample's two refusals, the one past midnight and the one after the restart.
    expect(dated.findings).toHaveLength(4);
    expect(undated.findings).toEqual(dated.findings);
  });

  it('dates a row past midnight on the next day, and rows after a new #Date: on its day', async () => {
    const { findings } = await analyse(UNDATED);
    const of = (recipient: string) => findings.find((finding) => finding.recipient === recipient);
    expect(of('orders@fourthcoffee.com')?.timestamp).toBe('2026-11-28T22:20:03.000Z');
    expect(of('ap@fabrikam.com')?.timestamp).toBe('2026-11-29T00:00:02.000Z');
    // The session began before midnight (its first row), a row written a second out of order within it.
    expect(of('ap@fabrikam.com')?.messageId).toBe('iis:RELAY02:52.101.2.2@2026-11-28T23:59:58.000Z#1');
    expect(of('billing@fourthcoffee.com')?.timestamp).toBe('2026-11-30T08:10:02.000Z');
  });

  it('refuses a log without a date field and without a #Date: line, saying what is missing', async () => {
    const { source, findings } = await analyse(UNDATED.replace(/^#Date:[^\n]*\n/gm, ''));
    expect(findings).toEqual([]);
    expect(source.status).toBe('failed');
    expect(source.errorCode).toBe('UNKNOWN_FORMAT');
    expect(source.errorMessage).toContain(
      'has no date field and no #Date: line comes before its first row (line 4)',
    );
    expect(source.errorMessage).toContain('#Fields: line (line 3)');
  });

  it('still reads a log with the date field and no #Date: line', async () => {
    const { source, findings } = await analyse(DATED.replace(/^#Date:[^\n]*\n/gm, ''));
    expect(source.status).toBe('done');
    expect(findings).toHaveLength(4);
  });
});
