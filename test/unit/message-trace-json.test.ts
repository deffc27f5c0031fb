/**
 * Message trace as JSON, read end to end: Graph pages, PowerShell ConvertTo-Json (one object or an
 * array, Windows PowerShell 5.1 dates), Reporting Web Service JSON and NDJSON; every record a row,
 * a bad one skipped with its line and why.
 */
import { describe, expect, it } from 'vitest';
import { JsonRecordScanner } from '../../functions/core/analysis/formats/json-records.js';
import { analyzeFiles } from '../support/analyze-text.js';
import { utf16 } from '../support/streams.js';

const TRACE_ID = '4f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f';
const REFUSAL =
  'Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=};{IP=};{LRT=}]. OutboundProxyTargetIP: 203.0.113.10.';

function graphTrace(id: string, messageId: string, sender: string, recipient: string, status: string) {
  return {
    id,
    messageId,
    receivedDateTime: '2026-11-28T22:15:03Z',
    senderAddress: sender,
    recipientAddress: recipient,
    subject: 'Order confirmation',
    size: 20480,
    status,
    fromIP: '203.0.113.25',
    toIP: null,
  };
}

const tracePage = (records: object[], next: boolean) =>
  JSON.stringify(
    {
      '@odata.context': 'https://graph.microsoft.com/beta/$metadata#admin/exchange/tracing/messageTraces',
      value: records,
      ...(next
        ? {
            '@odata.nextLink':
              'https://graph.microsoft.com/beta/admin/exchange/tracing/messageTraces?$skiptoken=X1',
          }
        : {}),
    },
    null,
    2,
  );

const detailPage = (recipient: string) =>
  JSON.stringify({
    '@odata.context': `https://graph.microsoft.com/beta/$metadata#admin/exchange/tracing/messageTraces('${TRACE_ID}')/getDetailsByRecipient(recipientAddress='${recipient}')`,
    value: [
      {
        id: 'a1',
        messageId: '<M1@app01.contoso.com>',
        dateTime: '2026-11-28T22:15:04Z',
        event: 'receive',
        action: '',
        description: 'Message received by: AM0PR01MB1234.eurprd01.prod.exchangelabs.com',
        data: '',
      },
      {
        id: 'a2',
        messageId: '<M1@app01.contoso.com>',
        dateTime: '2026-11-28T22:15:05Z',
        event: 'fail',
        action: '',
        description: REFUSAL,
        data: '<root/>',
      },
    ],
  });

describe('Microsoft Graph message trace pages', () => {
  it('correlates a getDetailsByRecipient page with the trace page that names the sender', async () => {
    const trace = tracePage(
      [
        graphTrace(
          TRACE_ID,
          '<M1@app01.contoso.com>',
          'alerts@app.fabrikam.com',
          'vendor@adatum.com',
          'failed',
        ),
        graphTrace(
          '5f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f',
          '<M2@contoso.com>',
          'kate@contoso.com',
          'lee@contoso.com',
          'delivered',
        ),
      ],
      true,
    );
    const { findings, sources } = await analyzeFiles([
      { name: 'traces-page1.json', content: trace },
      { name: 'details-vendor.json', content: detailPage('vendor@adatum.com') },
    ]);
    expect(sources.map((s) => [s.format, s.status, s.rowsRead, s.rowsAnalysed, s.rowsSkipped])).toEqual([
      ['message-trace-json', 'done', 2, 2, 0],
      ['message-trace-json', 'done', 2, 2, 0],
    ]);
    expect(findings.map((f) => [f.source.file, f.source.line, f.recipient, f.sender, f.scenario])).toEqual([
      ['details-vendor.json', 1, 'vendor@adatum.com', 'alerts@app.fabrikam.com', 'foreign-sender-domain'],
    ]);
    expect(findings[0]?.attr).toBe('ATTR36');
  });

  it('never gives a detail known only by its Message-ID the recipient of one of several trace records', async () => {
    const trace = tracePage(
      [
        graphTrace(
          TRACE_ID,
          '<G1@app01.contoso.com>',
          'alerts@monitoring.contoso.com',
          'oncall@adatum.com',
          'failed',
        ),
        graphTrace(
          '5f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f',
          '<G1@app01.contoso.com>',
          'alerts@monitoring.contoso.com',
          'ops@litware.com',
          'failed',
        ),
      ],
      false,
    );
    // `$response.value` of one getDetailsByRecipient call saved as it is: no page, so no recipient.
    const details = JSON.stringify([
      {
        id: 'd0',
        messageId: '<G1@app01.contoso.com>',
        dateTime: '2026-11-28T22:15:05Z',
        event: 'fail',
        description: REFUSAL,
      },
    ]);
    const { findings } = await analyzeFiles([
      { name: 'traces.json', content: trace },
      { name: 'details.json', content: details },
    ]);
    // The sender both trace records share, and no recipient: which one's refusal it is, the file does not say.
    expect(findings.map((f) => [f.recipient, f.sender])).toEqual([['', 'alerts@monitoring.contoso.com']]);
  });

  it('keeps two recipients’ details apart when their pages name no recipient, and reads a page twice as once', async () => {
    const trace = tracePage(
      [
        graphTrace(
          TRACE_ID,
          '<G2@app01.contoso.com>',
          'alerts@monitoring.contoso.com',
          'oncall@adatum.com',
          'failed',
        ),
        graphTrace(
          '5f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f',
          '<G2@app01.contoso.com>',
          'alerts@monitoring.contoso.com',
          'ops@litware.com',
          'failed',
        ),
      ],
      false,
    );
    // Each recipient's getDetailsByRecipient page as Graph answers a function call: a collection
    // whose context names neither the trace nor the recipient, only the detail's own id differs.
    const detailsOf = (id: string) =>
      JSON.stringify({
        '@odata.context':
          'https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph.exchangeMessageTraceDetail)',
        value: [
          {
            id,
            messageId: '<G2@app01.contoso.com>',
            dateTime: '2026-11-28T22:15:05Z',
            event: 'fail',
            action: '',
            description: REFUSAL,
            data: '',
          },
        ],
      });
    const { findings, result } = await analyzeFiles([
      { name: 'traces.json', content: trace },
      { name: 'details-oncall.json', content: detailsOf('e0000001-0000-0000-0000-000000000002') },
      { name: 'details-ops.json', content: detailsOf('e0000002-0000-0000-0000-000000000002') },
      { name: 'details-ops-again.json', content: detailsOf('e0000002-0000-0000-0000-000000000002') },
    ]);
    expect(findings.map((f) => [f.source.file, f.recipient, f.sender])).toEqual([
      ['details-oncall.json', '', 'alerts@monitoring.contoso.com'],
      ['details-ops.json', '', 'alerts@monitoring.contoso.com'],
    ]);
    expect(new Set(findings.map((f) => f.id)).size).toBe(2);
    expect([result.rejections, result.duplicates]).toEqual([3, 1]);
  });

  it('reads several pages saved into one file, each record on its own line number', async () => {
    const page1 = tracePage(
      [
        graphTrace(
          '11111111-0b9a-4c8d-9e7f-6a5b4c3d2e1f',
          '<P1@x>',
          'a@contoso.com',
          'b@adatum.com',
          'failed',
        ),
      ],
      true,
    );
    const page2 = tracePage(
      [
        graphTrace(
          '22222222-0b9a-4c8d-9e7f-6a5b4c3d2e1f',
          '<P2@x>',
          'c@contoso.com',
          'd@adatum.com',
          'delivered',
        ),
      ],
      false,
    );
    const { sources, result } = await analyzeFiles([
      { name: 'all-pages.json', content: `${page1}\n${page2}\n` },
    ]);
    expect(sources[0]).toMatchObject({ status: 'done', rowsRead: 2, rowsAnalysed: 2, events: 2 });
    expect(result.events).toBe(2);
  });
});

describe('Get-MessageTraceDetail | ConvertTo-Json', () => {
  // Windows PowerShell 5.1: dates as \/Date(ms)\/, or wrapped with DisplayHint when they carry notes.
  const record = {
    PSComputerName: 'outlook.office365.com',
    Organization: 'contoso.onmicrosoft.com',
    MessageId: '<M9@app01.contoso.com>',
    MessageTraceId: TRACE_ID,
    Date: {
      value: '/Date(1795904105000)/',
      DisplayHint: 2,
      DateTime: 'Saturday, November 28, 2026 10:15:05 PM',
    },
    Event: 'Fail',
    Action: null,
    Detail: REFUSAL,
    Data: '<root><MEP Name="ReturnPath" String="scanner@alerts.contoso.com" /></root>',
    RecipientAddress: 'orders@adatum.com',
    SenderAddress: 'scanner@alerts.contoso.com',
  };

  it('reads a single object (one result) and an array alike', async () => {
    const single = JSON.stringify({ ...record, MessageId: '<M8@app01.contoso.com>' }, null, 4)
      .replaceAll('/Date', '\\/Date')
      .replaceAll(')/"', ')\\/"');
    const array = JSON.stringify(
      [record, { ...record, Date: '/Date(1795904106000)/', RecipientAddress: 'sales@adatum.com' }],
      null,
      4,
    );
    const { findings } = await analyzeFiles([
      { name: 'detail-one.json', content: single },
      { name: 'detail-many.json', content: array },
    ]);
    expect(findings.map((f) => [f.source.file, f.source.line, f.recipient, f.timestamp, f.scenario])).toEqual(
      [
        ['detail-many.json', 2, 'orders@adatum.com', '2026-11-28T22:15:05.000Z', 'foreign-sender-domain'],
        ['detail-many.json', 19, 'sales@adatum.com', '2026-11-28T22:15:06.000Z', 'foreign-sender-domain'],
        ['detail-one.json', 1, 'orders@adatum.com', '2026-11-28T22:15:05.000Z', 'foreign-sender-domain'],
      ],
    );
  });

  it('reads UTF-8 with a BOM and UTF-16LE as PowerShell writes them', async () => {
    const text = JSON.stringify([record], null, 4);
    const { findings } = await analyzeFiles([
      { name: 'bom.json', content: `\uFEFF${text}` },
      { name: 'utf16.json', content: utf16(text.replace('<M9@', '<M7@'), 'le', true) },
    ]);
    expect(findings.map((f) => [f.source.file, f.recipient])).toEqual([
      ['bom.json', 'orders@adatum.com'],
      ['utf16.json', 'orders@adatum.com'],
    ]);
  });
});

describe("Get-MessageTrace | ConvertTo-Json with each trace's details in it", () => {
  /** A trace record as `Select-Object *, @{n='Details'; e={ Get-MessageTraceDetail … }}` makes it. */
  const trace = (details: unknown) => ({
    Received: '2026-11-28T22:45:01Z',
    SenderAddress: 'noreply@fabrikam.com',
    RecipientAddress: 'maria@wingtiptoys.com',
    Subject: 'x',
    Status: 'Failed',
    MessageId: '<FSD11@EX01.contoso.local>',
    MessageTraceId: TRACE_ID,
    Details: details,
  });

  it('reads the details of a trace as its detail records, whether objects or the text past -Depth', async () => {
    const { findings, sources } = await analyzeFiles([
      // -Depth 3 or more: the details as objects.
      {
        name: 'deep.json',
        content: JSON.stringify(
          [trace([{ Date: '2026-11-28T22:45:02Z', Event: 'Fail', Action: '', Detail: REFUSAL, Data: '' }])],
          null,
          4,
        ),
      },
      // The default -Depth 2: PowerShell writes each detail object as its @{…} text.
      {
        name: 'depth2.json',
        content: JSON.stringify(
          [
            {
              ...trace([
                '@{Date=11/28/2026 10:45:01 PM; Event=Receive; Action=; Detail=Message received by: AM0PR01MB1234; Data=}',
                `@{Date=11/28/2026 10:45:02 PM; Event=Fail; Action=; Detail=${REFUSAL}; Data=}`,
              ]),
              MessageId: '<FSD12@EX01.contoso.local>',
            },
          ],
          null,
          4,
        ),
      },
    ]);
    expect(sources.map((s) => [s.file, s.status, s.rowsRead, s.rowsAnalysed, s.rowsSkipped])).toEqual([
      ['deep.json', 'done', 1, 1, 0],
      ['depth2.json', 'done', 1, 1, 0],
    ]);
    expect(
      findings.map((f) => [f.source.file, f.messageId, f.recipient, f.sender, f.scenario, f.attr]),
    ).toEqual([
      [
        'deep.json',
        'FSD11@EX01.contoso.local',
        'maria@wingtiptoys.com',
        'noreply@fabrikam.com',
        'foreign-sender-domain',
        'ATTR36',
      ],
      [
        'depth2.json',
        'FSD12@EX01.contoso.local',
        'maria@wingtiptoys.com',
        'noreply@fabrikam.com',
        'foreign-sender-domain',
        'ATTR36',
      ],
    ]);
  });

  it('reads the @{…} text of a remote session, whose PSComputerName, RunspaceId… come first', async () => {
    // Exchange Online PowerShell in Windows PowerShell 5.1, as sample-logs/trace-details-convertto-json.json.
    const session =
      'PSComputerName=outlook.office365.com; RunspaceId=5e0c1f4b-8d2a-4c3e-b6f7-1a2b3c4d5e6f; PSShowComputerName=False; Organization=contoso.onmicrosoft.com';
    const { findings, sources } = await analyzeFiles([
      {
        name: 'remote-depth2.json',
        content: JSON.stringify(
          [
            {
              PSComputerName: 'outlook.office365.com',
              RunspaceId: '5e0c1f4b-8d2a-4c3e-b6f7-1a2b3c4d5e6f',
              PSShowComputerName: false,
              ...trace([
                `@{${session}; MessageId=<FSD13@EX01.contoso.local>; MessageTraceId=${TRACE_ID}; Date=11/28/2026 10:45:01 PM; Event=Receive; Action=; Detail=Message received by: AM0PR01MB1234; Data=<root></root>}`,
                `@{${session}; MessageId=<FSD13@EX01.contoso.local>; MessageTraceId=${TRACE_ID}; Date=11/28/2026 10:45:02 PM; Event=Fail; Action=; Detail=${REFUSAL}; Data=<root></root>; RecipientAddress=maria@wingtiptoys.com; SenderAddress=noreply@fabrikam.com}`,
              ]),
              MessageId: '<FSD13@EX01.contoso.local>',
            },
          ],
          null,
          4,
        ),
      },
    ]);
    expect(sources.map((s) => [s.file, s.status, s.rowsRead, s.rowsAnalysed, s.rowsSkipped])).toEqual([
      ['remote-depth2.json', 'done', 1, 1, 0],
    ]);
    expect(findings.map((f) => [f.messageId, f.recipient, f.sender, f.timestamp, f.attr])).toEqual([
      [
        'FSD13@EX01.contoso.local',
        'maria@wingtiptoys.com',
        'noreply@fabrikam.com',
        '2026-11-28T22:45:02.000Z',
        'ATTR36',
      ],
    ]);
  });
});

describe('Reporting Web Service JSON and NDJSON', () => {
  it('reads d.results of the Reporting Web Service', async () => {
    const text = JSON.stringify({
      d: {
        results: [
          {
            __metadata: { type: 'TenantReporting.MessageTrace' },
            Organization: 'contoso.onmicrosoft.com',
            MessageId: '<R1@contoso.com>',
            Received: '/Date(1795904103000)/',
            SenderAddress: 'a@contoso.com',
            RecipientAddress: 'b@adatum.com',
            Subject: 's',
            Status: 'Failed',
            FromIP: '203.0.113.25',
            Size: 1000,
            MessageTraceId: TRACE_ID,
          },
        ],
      },
    });
    const { sources } = await analyzeFiles([{ name: 'rws.json', content: text }]);
    expect(sources[0]).toMatchObject({
      format: 'message-trace-json',
      status: 'done',
      rowsRead: 1,
      events: 1,
    });
  });

  it('skips a cut line, an invalid record and a record of another kind, each with its line and reason', async () => {
    const good = (recipient: string) =>
      JSON.stringify({
        Date: '2026-11-28T22:15:05Z',
        Event: 'Fail',
        Detail: REFUSAL,
        MessageId: `<${recipient}@app01.contoso.com>`,
        MessageTraceId: TRACE_ID,
        RecipientAddress: recipient,
        SenderAddress: 'scanner@alerts.contoso.com',
      });
    const text = [
      good('one@adatum.com'),
      '{"Date":"2026-11-28T22:15:06Z","Event":"Fail","Detail":"Reason: [{LED=550 5.7.64',
      good('two@adatum.com'),
      '{"Date":true,"Event":"Fail","Detail":"x"}',
      '{"host":{"name":"relay1"},"message":"hello"}',
      '{"Date":"yesterday","Event":"Fail","Detail":"x"}',
      good('three@adatum.com'),
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'shipped.ndjson', content: text }], {
      chunk: 13,
    });
    expect(findings.map((f) => [f.source.line, f.recipient])).toEqual([
      [1, 'one@adatum.com'],
      [3, 'two@adatum.com'],
      [7, 'three@adatum.com'],
    ]);
    const source = sources[0];
    expect(source?.rowsRead).toBe(7);
    expect(source?.rowsRead).toBe((source?.rowsAnalysed ?? 0) + (source?.rowsSkipped ?? 0));
    expect(source?.skipped.map((s) => [s.line, s.reason])).toEqual([
      // The cut line holds a refusal code (test/integration/json-skipped-refusals.test.ts).
      [2, 'REFUSAL_NOT_READ'],
      [4, 'INVALID_RECORD'],
      [5, 'NOT_A_TRACE_RECORD'],
      [6, 'BAD_TIMESTAMP'],
    ]);
  });

  it('reports a file cut inside its array as a truncated record, keeping the records before it', async () => {
    const text = JSON.stringify(
      [{ Received: '2026-11-28T22:15:03Z', Status: 'Failed', SenderAddress: 'a@contoso.com' }],
      null,
      2,
    );
    const cut = `${text.slice(0, -2)},\n  {\n    "Received": "2026-11-28T22:16:03Z",\n    "Stat`;
    const { sources } = await analyzeFiles([{ name: 'cut.json', content: cut }]);
    expect(sources[0]).toMatchObject({ status: 'done', rowsRead: 2, rowsAnalysed: 1, rowsSkipped: 1 });
    expect(sources[0]?.skipped).toEqual([expect.objectContaining({ line: 7, reason: 'TRUNCATED_RECORD' })]);
  });
});

describe('the JSON record scanner', () => {
  it('streams a large array a record at a time, whatever the chunk boundaries', () => {
    const records = Array.from({ length: 5000 }, (_, i) => ({
      Received: `2026-11-28T22:15:03Z`,
      Status: 'Delivered',
      Subject: `s "${i}" {[`,
    }));
    const text = JSON.stringify(records, null, 1);
    const seen: string[] = [];
    const scanner = new JsonRecordScanner({
      record: (record) => void seen.push(record),
      meta() {},
      bad: (line, reason) => {
        throw new Error(`${reason} at ${line}`);
      },
    });
    for (let at = 0; at < text.length; at += 4093) scanner.push(text.slice(at, at + 4093));
    scanner.end();
    expect(seen).toHaveLength(5000);
    expect(JSON.parse(seen[4999] ?? '')).toEqual(records[4999]);
  });

  it('skips a record over the size bound without keeping it', () => {
    const bad: string[] = [];
    const scanner = new JsonRecordScanner({
      record() {},
      meta() {},
      bad: (line, reason) => void bad.push(`${line}:${reason}`),
    });
    const huge = `[{"Received":"2026-11-28T22:15:03Z","Subject":"${'x'.repeat(1_200_000)}"},{"Received":"x"}]`;
    for (let at = 0; at < huge.length; at += 65536) scanner.push(huge.slice(at, at + 65536));
    scanner.end();
    expect(bad).toEqual(['1:RECORD_TOO_LARGE']);
  });
});
