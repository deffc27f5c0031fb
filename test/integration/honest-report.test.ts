/**
 * The analyze report says only what it knows: a file that gave nothing usable is a failed file
 * (exit 1), a file whose refusals were all counted from an earlier file says so, and the notes and
 * scripts kept beside the logs are listed as not analysed without failing the run.
 * Fixtures: test/fixtures/real-world/ (described in its README.md).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { analyze } from '../../functions/core/analysis/analyze.js';
import { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { cli } from '../support/capture-output.js';
import { MemorySink } from '../support/memory-sink.js';

const REAL = 'test/fixtures/real-world';
const STRING_ARRAYS = `${REAL}/string-array-export.csv`;
const OVERLAP = `${REAL}/overlapping-exports`;
const FOLDER = `${REAL}/folder-with-notes`;
const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];

/** `analyze … --no-store`: the findings go to stdout, the report (or `--json` summary) to stderr. */
async function analyseNoStore(...args: string[]): Promise<{ status: number; report: string }> {
  const { status, out } = await cli('analyze', ...args, ...DOMAINS, '--no-store');
  return { status, report: out.stderr };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-honest-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a file that gives nothing usable', () => {
  it('fails with NO_USABLE_ROWS and the reason when every row is skipped (System.String[] cells)', async () => {
    const { status, report } = await analyseNoStore(STRING_ARRAYS);
    expect(status).toBe(1);
    expect(report).toContain(`✗ ${STRING_ARRAYS} — not analysed: NO_USABLE_ROWS`);
    expect(report).toContain('all 6 of its rows had to be skipped, so it says nothing about relay refusals');
    // The FAIL rows' skips say their status was lost, and name the status column to re-export.
    expect(report).toMatch(
      /SYSTEM_STRING_ARRAY: 4 rows, e\.g\. line 2 \(Recipients\): .*@\{n='Recipients';e=\{\$_\.Recipients -join ';'\}\}/,
    );
    expect(report).toContain(
      'STATUS_NOT_EXPORTED: 2 rows, e.g. line 5 (RecipientStatus): the status of this FAIL row was not exported ' +
        '(the cell holds the literal "System.String[]": the list was not joined), so whether it is a relay refusal ' +
        "cannot be told; re-export with @{n='RecipientStatus';e={$_.RecipientStatus -join ';'}}",
    );
    expect(report).toContain('1 file (1 could not be analysed)');
    expect(report).toContain('Nothing was analysed');
    expect(report).not.toMatch(/no relay refusals|nothing to fix/i);
  });

  it('stores the failure in the source record, with every skipped row still counted', async () => {
    const sink = new MemorySink();
    const domains = parseAcceptedDomains('contoso.com', 'test');
    const { sources } = await analyze(await localInputs([STRING_ARRAYS]), { domains, sink });
    expect(sources[0]).toMatchObject({
      status: 'failed',
      errorCode: 'NO_USABLE_ROWS',
      format: 'tracking-log-export',
      rowsRead: 6,
      rowsAnalysed: 0,
      rowsSkipped: 6,
    });
    // The two FAIL rows (5, 7) may have been refusals; the RECEIVE and SEND rows only lost lists.
    expect(sources[0]?.skippedByReason).toEqual({ SYSTEM_STRING_ARRAY: 4, STATUS_NOT_EXPORTED: 2 });
    expect(sources[0]?.skipped.map((row) => [row.line, row.reason, row.column])).toEqual([
      [2, 'SYSTEM_STRING_ARRAY', 'Recipients'],
      [3, 'SYSTEM_STRING_ARRAY', 'Recipients'],
      [4, 'SYSTEM_STRING_ARRAY', 'Recipients'],
      [5, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
      [6, 'SYSTEM_STRING_ARRAY', 'Recipients'],
      [7, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
    ]);
    expect(SourceRecord.safeParse([...sink.sources.values()][0]).success).toBe(true);
  });

  it('fails a header without rows with EMPTY_INPUT, saying so', async () => {
    const { status, report } = await analyseNoStore('test/fixtures/bad/header-only.csv');
    expect(status).toBe(1);
    expect(report).toContain('✗ test/fixtures/bad/header-only.csv — not analysed: EMPTY_INPUT');
    expect(report).toContain(
      'has a header (message-trace) but no rows after it: there is nothing to analyse',
    );
    expect(report).not.toMatch(/no relay refusals|nothing to fix/i);
  });

  it('says "no relay refusals" only of the rows that were analysed', async () => {
    const { status, report } = await analyseNoStore(STRING_ARRAYS, 'sample-logs/message-trace.csv');
    expect(status).toBe(1);
    // Its 3 Failed messages give no reason: they may be refusals, so no "no relay refusals" of it.
    expect(report).toMatch(
      /✓ sample-logs\/message-trace\.csv — message trace: 16 rows, .*; no relay refusal proven; 3 failed messages give no reason\n/,
    );
    expect(report).toContain(
      'No relay refusal (5.7.64 TenantAttribution / 4.4.62 ATTR35) was proven in the 16 rows analysed from 1 file: ' +
        '3 failed messages give no reason, so they may be refusals (see the next step);\n' +
        '1 file could not be analysed, so nothing is known of it.',
    );
    expect(report).toContain(
      'Next step: export again, fix or replace what could not be analysed, as said above',
    );
    expect(report).not.toContain('nothing to fix');
  });

  it('says of a file read in part what was not read, not that nothing is known of it', async () => {
    // Its FAIL row, cut short on the last line, is REFUSAL_NOT_READ; its other 3 rows were analysed.
    const cut = `${REAL}/skipped-refusal-rows/MSGTRK-cut-last-line.LOG`;
    const alone = await analyseNoStore(cut);
    expect(alone.status).toBe(1);
    expect(alone.report).toContain(
      'No relay refusals (5.7.64 TenantAttribution / 4.4.62 ATTR35) were found in the 3 rows analysed from 1 file;\n' +
        '1 file was read only in part (3 rows analysed; the lines named above were not read).\n',
    );
    expect(alone.report).not.toContain('nothing is known of');
    // With a file of which no row was read: each said of as it is.
    const both = await analyseNoStore(cut, STRING_ARRAYS);
    expect(both.status).toBe(1);
    expect(both.report).toContain(
      'were found in the 3 rows analysed from 1 file;\n' +
        '1 file was read only in part (3 rows analysed; the lines named above were not read);\n' +
        '1 file could not be analysed, so nothing is known of it.\n',
    );
  });
});

describe('a message trace whose Failed rows no file explains', () => {
  const TRACE =
    '"Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size","MessageId","MessageTraceId"\r\n' +
    '"2026-11-28T22:15:02.9910000Z","noreply@fabrikam.com","maria@wingtiptoys.com","x","Failed","","203.0.113.25","100","<D1@EX01.contoso.local>","6f12"\r\n' +
    '"2026-11-28T22:16:02.9910000Z","kate@contoso.com","lee@contoso.com","y","Delivered","","203.0.113.25","100","<D2@EX01.contoso.local>","6f13"\r\n';
  const DETAIL =
    '"Date","MessageId","MessageTraceId","Event","Action","Detail","Data"\r\n' +
    '"2026-11-28T22:15:03Z","<D1@EX01.contoso.local>","6f12","Fail","","Reason: [{LED=550 5.1.10 RESOLVER.ADR.RecipientNotFound}]",""\r\n';

  it('is no all-clear: it says the failures may be refusals and how to export their reasons', async () => {
    await writeFile(join(dir, 'trace.csv'), TRACE);
    const { status, report } = await analyseNoStore(join(dir, 'trace.csv'));
    expect(status).toBe(0);
    expect(report).not.toContain('nothing to fix');
    expect(report).toContain(
      'Next step: 1 message failed in the message trace, which does not say why: it may be a relay refusal.',
    );
    expect(report).toContain('Get-MessageTraceDetailV2 | Export-Csv');
    const summary = await analyseNoStore(join(dir, 'trace.csv'), '--json');
    expect((JSON.parse(summary.report) as { sources: SourceRecord[] }).sources[0]).toMatchObject({
      unexplainedFailures: 1,
    });
  });

  it('counts the failures of a historical search summary the same way (it has no error text either)', async () => {
    const { status, report } = await analyseNoStore('sample-logs/historical-search-summary.csv');
    expect(status).toBe(0);
    expect(report).not.toContain('nothing to fix');
    expect(report).toContain(
      'Next step: 4 messages failed in the historical search summary, which does not say why',
    );
    expect(report).toContain('Start-HistoricalSearch -ReportType MessageTraceDetail');
  });

  it('says nothing more once a detail export of the run gives the reason', async () => {
    await writeFile(join(dir, 'trace.csv'), TRACE);
    await writeFile(join(dir, 'trace-detail.csv'), DETAIL);
    const { status, report } = await analyseNoStore(join(dir, 'trace.csv'), join(dir, 'trace-detail.csv'));
    expect(status).toBe(0);
    expect(report).toContain('Next step: nothing to fix in these files.');
    expect(report).not.toMatch(/failed in the [^,:]*(?:, which does not say why| without a reason)/);
  });

  /** The `unexplainedFailures` of each file the `--json` summary lists, by file name. */
  async function unexplainedOf(...files: string[]): Promise<Record<string, number>> {
    const { report } = await analyseNoStore(...files, '--json');
    const { sources } = JSON.parse(report) as { sources: SourceRecord[] };
    return Object.fromEntries(
      sources.flatMap((source) =>
        source.unexplainedFailures === undefined ? [] : [[basename(source.file), source.unexplainedFailures]],
      ),
    );
  }

  // hunt6 defect 2: one message to lee@contoso.com (Delivered) and vendor@adatum.com (Failed).
  const HEAD =
    '"Organization","MessageId","Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size","MessageTraceId","StartDate","EndDate"\n';
  const traceRow = (messageId: string, recipient: string, status: string, traceId: string) =>
    `"contoso.onmicrosoft.com","${messageId}","2026-11-28T22:15:02.9910000Z","finance@contoso.com","${recipient}","Payment run","${status}","","203.0.113.25","377016","${traceId}","2026-11-27T00:00:00.0000000Z","2026-11-29T00:00:00.0000000Z"\n`;
  const TWO_RECIPIENTS =
    HEAD +
    traceRow(
      '<M8@app01.contoso.local>',
      'lee@contoso.com',
      'Delivered',
      '6f12b2d7-d3af-50a6-b7a9-2182002541ab',
    ) +
    traceRow(
      '<M8@app01.contoso.local>',
      'vendor@adatum.com',
      'Failed',
      '6f12b2d7-d3af-50a6-b7a9-2182002541ab',
    );
  const detailRow = (event: string, date: string, text: string) =>
    `"contoso.onmicrosoft.com","<M8@app01.contoso.local>","6f12b2d7-d3af-50a6-b7a9-2182002541ab","lee@contoso.com","finance@contoso.com","${date}","${event}","","${text}",""\n`;
  const LEE_ONLY =
    '"Organization","MessageId","MessageTraceId","RecipientAddress","SenderAddress","Date","Event","Action","Detail","Data"\n' +
    detailRow(
      'Receive',
      '2026-11-28T22:15:03.0000000Z',
      'Message received by: AM0PR01MB1234.eurprd01.prod.exchangelabs.com using TLS1.2 with AES256',
    ) +
    detailRow('Deliver', '2026-11-28T22:15:04.0000000Z', 'The message was successfully delivered.');

  it("is no all-clear when the detail export of the run is another recipient's (receipt and delivery)", async () => {
    await writeFile(join(dir, 'trace.csv'), TWO_RECIPIENTS);
    await writeFile(join(dir, 'detail-lee-only.csv'), LEE_ONLY);
    const files = [join(dir, 'trace.csv'), join(dir, 'detail-lee-only.csv')];
    const { status, report } = await analyseNoStore(...files);
    expect(status).toBe(0);
    expect(report).not.toContain('nothing to fix');
    expect(report).toContain('Next step: 1 message failed in the message trace, which does not say why');
    expect(await unexplainedOf(...files)).toEqual({ 'trace.csv': 1 });
    expect(await unexplainedOf(...[...files].reverse())).toEqual({ 'trace.csv': 1 });
  });

  it('counts a Failed row without a Message-ID (it cannot be joined to a reason)', async () => {
    const rows =
      HEAD +
      traceRow('', 'vendor@adatum.com', 'Failed', '7a12b2d7-d3af-50a6-b7a9-2182002541ab') +
      traceRow('<ok1@x>', 'vendor@adatum.com', 'Delivered', '8a12b2d7-d3af-50a6-b7a9-2182002541ab');
    await writeFile(join(dir, 'trace-failed-without-messageid.csv'), rows);
    const { report } = await analyseNoStore(join(dir, 'trace-failed-without-messageid.csv'));
    expect(report).not.toContain('nothing to fix');
    expect(await unexplainedOf(join(dir, 'trace-failed-without-messageid.csv'))).toEqual({
      'trace-failed-without-messageid.csv': 1,
    });
  });

  // hunt7 defect 5: a PowerShell 5.1 Get-MessageTraceV2 result (one object) whose refusal a log gives.
  const ONE_FAILED = JSON.stringify(
    {
      Organization: 'contoso.onmicrosoft.com',
      MessageId: '<28B71A112A349B5EB8F9C29C92482EBE@EX01.contoso.local>',
      Received: '/Date(1795857045301)/',
      SenderAddress: 'Finance@Contoso.COM',
      RecipientAddress: 'supplier@litware.com',
      Subject: 'Remittance advice 2026-11, batch 7',
      Status: 'Failed',
      ToIP: null,
      FromIP: '203.0.113.25',
      Size: 22904,
      MessageTraceId: '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b',
      StartDate: '/Date(1795824000000)/',
      EndDate: '/Date(1795910400000)/',
      Index: 0,
    },
    null,
    4,
  ).replaceAll('/', '\\/');
  const TRACKING_FAIL =
    '#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n#Log-Type: Message Tracking Log\r\n#Date: 2026-11-28T00:00:02.117Z\r\n' +
    '#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version\r\n' +
    '2026-11-28T09:10:45.301Z,10.0.1.11,EX01.contoso.local,52.101.1.1,contoso-com.mail.protection.outlook.com,08DF006B9F7584FC;2026-11-28T09:10:45.301Z;0,EX01\\Outbound to Office 365,SMTP,FAIL,22157924881,<28B71A112A349B5EB8F9C29C92482EBE@EX01.contoso.local>,c32baaca-b014-5e34-911c-494735f21b11,supplier@litware.com,550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com],22904,1,,,"Remittance advice 2026-11, batch 7",Finance@Contoso.COM,Finance@Contoso.COM,,Originating,,,10.0.1.11,S:DeliveryPriority=Normal;S:AccountForest=contoso.local,Email,d4de0664-a60b-52ee-94e5-23ace86fb66b,15.02.1544.004\r\n';
  const send = (sequence: number, event: string, data: string, context = '') =>
    `2026-11-28T09:10:45.${String(300 + sequence).padStart(3, '0')}Z,Outbound to Office 365,08DF006B9F7584FC,${sequence},10.0.1.11:52134,52.101.1.1:25,${event},${data},${context}\r\n`;
  const SEND_FAIL =
    '#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n#Log-type: SMTP Send Protocol Log\r\n#Date: 2026-11-28T00:00:01.223Z\r\n' +
    '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n' +
    send(0, '*', '', 'attempting to connect') +
    send(1, '+', '') +
    send(2, '<', '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready') +
    send(3, '>', 'EHLO mail.contoso.com') +
    send(
      4,
      '<',
      '250  AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [203.0.113.25] SIZE 157286400 PIPELINING',
    ) +
    send(
      5,
      '*',
      '08DF006B9F7584FC;2026-11-28T09:10:45.301Z;0',
      'sending message with RecordId 22157924881 and InternetMessageId <28B71A112A349B5EB8F9C29C92482EBE@EX01.contoso.local>',
    ) +
    send(6, '>', 'MAIL FROM:<Finance@Contoso.COM> SIZE=22904') +
    send(7, '>', 'RCPT TO:<supplier@litware.com>') +
    send(8, '<', '250 2.1.0 Sender OK') +
    send(
      9,
      '<',
      '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
    ) +
    send(10, '>', 'QUIT') +
    send(11, '<', '221 2.0.0 Service closing transmission channel') +
    send(12, '-', '', 'Local');

  it.each([
    ['tracking log', 'MSGTRK2026112809-1.LOG', TRACKING_FAIL],
    ['send protocol log', 'SEND20261128-1.LOG', SEND_FAIL],
  ])('takes the refusal a %s of the run gives as the reason, in either order', async (_kind, name, log) => {
    await writeFile(join(dir, 'trace-one-failed.json'), ONE_FAILED);
    await writeFile(join(dir, name), log);
    expect(await unexplainedOf(join(dir, 'trace-one-failed.json'))).toEqual({ 'trace-one-failed.json': 1 });
    for (const files of [
      [join(dir, 'trace-one-failed.json'), join(dir, name)],
      [join(dir, name), join(dir, 'trace-one-failed.json')],
    ]) {
      const { status, report } = await analyseNoStore(...files);
      expect(status).toBe(0);
      expect(report).toContain('relay refusal → 1 finding');
      expect(report).not.toMatch(/failed in the [^,:]*(?:, which does not say why| without a reason)/);
      expect(await unexplainedOf(...files)).toEqual({});
    }
  });
  it("takes a tracking log's failure that is no relay refusal (5.1.1) as the reason, in either order", async () => {
    await writeFile(join(dir, 'trace-one-failed.json'), ONE_FAILED);
    const notRelay = TRACKING_FAIL.replace(
      '550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
      '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found',
    );
    expect(notRelay).not.toBe(TRACKING_FAIL);
    await writeFile(join(dir, 'MSGTRK2026112809-1.LOG'), notRelay);
    for (const files of [
      [join(dir, 'trace-one-failed.json'), join(dir, 'MSGTRK2026112809-1.LOG')],
      [join(dir, 'MSGTRK2026112809-1.LOG'), join(dir, 'trace-one-failed.json')],
    ]) {
      const { status, report } = await analyseNoStore(...files);
      expect(status).toBe(0);
      expect(report).not.toMatch(/failed in the [^,:]*(?:, which does not say why| without a reason)/);
      expect(await unexplainedOf(...files)).toEqual({});
    }
  });
});

describe('overlapping exports', () => {
  it('says a file whose refusals were all counted from an earlier file, instead of "no relay refusals"', async () => {
    const { status, report } = await analyseNoStore(OVERLAP);
    expect(status).toBe(0);
    expect(report).toContain(
      `✓ ${OVERLAP}/tracking-1100-1400.csv — Get-MessageTrackingLog export: 8 rows, 8 analysed, 0 skipped; ` +
        `2 relay refusals, all already counted from ${OVERLAP}/tracking-0800-1200.csv`,
    );
    expect(report).toMatch(/tracking-0800-1200\.csv — .*; findings: foreign-sender-domain 3\n/);
    expect(report).not.toContain('no relay refusals');
  });

  it('records how many refusals repeated which earlier file, in the source record and the --json summary', async () => {
    const { status, report } = await analyseNoStore(OVERLAP, '--json');
    expect(status).toBe(0);
    const [first, second] = (JSON.parse(report) as { sources: SourceRecord[] }).sources;
    expect(first).toMatchObject({
      rejections: 3,
      duplicateRefusals: 0,
      findingsByScenario: { 'foreign-sender-domain': 3 },
    });
    expect(first?.duplicateOf).toBeUndefined();
    expect(second).toMatchObject({
      rejections: 2,
      duplicateRefusals: 2,
      duplicateOf: [`${OVERLAP}/tracking-0800-1200.csv`],
      findingsByScenario: {},
    });
  });

  it('counts a repeat of an earlier file, not a repeat within the file, and says so beside the findings', async () => {
    // The samples: -2.LOG line 29 repeats the refusal of -1.LOG line 31 (the wrong-region DEFER);
    // tracking-export-en-US.csv repeats its own line 11 on line 24.
    const domains = parseAcceptedDomains('contoso.com,corp.contoso.com,fabrikam-group.com', 'test');
    const { sources } = await analyze(await localInputs(['sample-logs']), {
      domains,
      sink: new MemorySink(),
    });
    const byName = new Map(sources.map((source) => [source.file, source]));
    expect(byName.get('sample-logs/MSGTRK2026112800-2.LOG')).toMatchObject({
      duplicateRefusals: 1,
      duplicateOf: ['sample-logs/MSGTRK2026112800-1.LOG'],
    });
    expect(byName.get('sample-logs/tracking-export-en-US.csv')).toMatchObject({ duplicateRefusals: 0 });
    expect(byName.get('sample-logs/tracking-export-en-US.csv')?.duplicateOf).toBeUndefined();

    const { report } = await analyseNoStore(
      'sample-logs/MSGTRK2026112800-1.LOG',
      'sample-logs/MSGTRK2026112800-2.LOG',
    );
    expect(report).toMatch(
      /MSGTRK2026112800-2\.LOG — .*; findings: .*; 1 more refusal already counted from sample-logs\/MSGTRK2026112800-1\.LOG\n/,
    );
  });
});

describe('a folder as users keep it', () => {
  it('lists notes, scripts and XML as not analysed, with why, and analyses the logs and exports', async () => {
    const { status, report } = await analyseNoStore(FOLDER);
    expect(status).toBe(0);
    expect(report).toMatch(/^relay-audit: 2 files, 6 rows/);
    expect(report).toContain(`✓ ${FOLDER}/tracking-export.csv — Get-MessageTrackingLog export`);
    // An export saved as .txt is recognised by its header.
    expect(report).toContain(`✓ ${FOLDER}/trace-saved-as.txt — Get-MessageTrackingLog export`);
    expect(report).toContain(
      [
        'Other files, not analysed',
        `  – ${FOLDER}/export.xml — not a log or export: .xml`,
        `  – ${FOLDER}/notes.md — not a log or export: .md`,
        `  – ${FOLDER}/README.txt — not a log or export: .txt, and no header relay-audit knows`,
        `  – ${FOLDER}/run.ps1 — not a log or export: .ps1`,
        `  – ${FOLDER}/summary.html — not a log or export: .html`,
      ].join('\n'),
    );
    expect(report).not.toContain('✗');
  });

  it('lists them in the --json summary too', async () => {
    const { report } = await analyseNoStore(FOLDER, '--json');
    const summary = JSON.parse(report) as { sources: SourceRecord[]; notAnalysed: { file: string }[] };
    expect(summary.sources.map((source) => source.status)).toEqual(['done', 'done']);
    expect(summary.notAnalysed.map((entry) => entry.file)).toEqual(
      ['export.xml', 'notes.md', 'README.txt', 'run.ps1', 'summary.html'].map((name) => `${FOLDER}/${name}`),
    );
  });

  it('still fails the run for a file in the folder that looks like an input and fails', async () => {
    const folder = join(dir, 'logs');
    await mkdir(folder);
    for (const name of ['tracking-export.csv', 'notes.md', 'run.ps1'])
      await copyFile(join(FOLDER, name), join(folder, name));
    await copyFile('test/fixtures/bad/unknown-format.csv', join(folder, 'mailboxes.csv'));
    await copyFile(STRING_ARRAYS, join(folder, 'export-without-join.csv'));
    const { status, out } = await cli('analyze', folder, ...DOMAINS, '--no-store');
    expect(status).toBe(1);
    expect(out.stderr).toMatch(/✗ .*mailboxes\.csv — not analysed: UNKNOWN_FORMAT/);
    expect(out.stderr).toMatch(/✗ .*export-without-join\.csv — not analysed: NO_USABLE_ROWS/);
    expect(out.stderr).toMatch(/– .*notes\.md — not a log or export: \.md/);
  });

  it('analyses a file named on the command line whatever its name, and fails it when it is not an input', async () => {
    const { status, report } = await analyseNoStore(`${FOLDER}/notes.md`);
    expect(status).toBe(1);
    expect(report).toContain(`✗ ${FOLDER}/notes.md — not analysed: UNKNOWN_FORMAT`);
  });

  it('is a usage error when a folder holds no log or export, naming what it found', async () => {
    const folder = join(dir, 'notes-only');
    await mkdir(folder);
    await writeFile(join(folder, 'notes.md'), '# nothing here yet\n');
    const { status, out } = await cli('analyze', folder, ...DOMAINS, '--no-store');
    expect(status).toBe(2);
    expect(out.stderr).toContain('no logs or exports found in');
    expect(out.stderr).toMatch(/notes\.md — not a log or export: \.md/);
  });
});

describe('a file that ends in a row cut short', () => {
  /** The first `lines` lines of a sample log whose refusals come later, then `cutAt` characters of the next. */
  async function cutCopy(name: string, lines: number, cutAt: number): Promise<string> {
    const { readFile } = await import('node:fs/promises');
    const text = (await readFile('sample-logs/MSGTRK2026112800-1.LOG', 'latin1')).split('\n');
    const cut = join(dir, name);
    await writeFile(
      cut,
      `${text.slice(0, lines).join('\n')}\n${(text[lines] ?? '').slice(0, cutAt)}`,
      'latin1',
    );
    return cut;
  }

  it('gives no plain all-clear: the row cut short may have been a refusal, so it says to copy the file again', async () => {
    // Cut inside the row's first fields: what it held is unknown, no refusal text or code in it.
    const cut = await cutCopy('MSGTRK2026112800-9.LOG', 12, 40);
    const { status, report } = await analyseNoStore(cut);
    expect(status).toBe(0);
    expect(report).toContain('No relay refusals');
    expect(report).not.toContain('nothing to fix in these files');
    expect(report).toContain(
      'Next step: nothing to fix in what was read, but 1 file ends in a row cut short (see above), which may have been a refusal:\n' +
        '  copy it again (a log once it has rolled over) and analyse the copy to be sure.',
    );
  });

  it('says it below the findings too, and a whole file keeps the plain all-clear', async () => {
    const cut = await cutCopy('MSGTRK2026112800-9.LOG', 12, 40);
    const withFindings = await analyseNoStore(cut, 'sample-logs/MSGTRK2013-EX2013.LOG');
    expect(withFindings.report).toContain(
      '  1 file ends in a row cut short (see above): copy it again (a log once it has rolled over) and analyse the copy to read that row too.',
    );
    const whole = await cutCopy('MSGTRK2026112800-8.LOG', 12, 0);
    const { report } = await analyseNoStore(whole);
    expect(report).toContain('Next step: nothing to fix in these files.');
    expect(report).not.toContain('cut short');
  });
});
