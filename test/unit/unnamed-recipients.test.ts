/**
 * Refusals that name no recipient (a Graph getDetailsByRecipient page as Graph answers it, a trace
 * detail exported without RecipientAddress): folded into THE refusal of the message the run names,
 * never merged with another recipient's, whichever file comes first.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { UnnamedRecipients } from '../../functions/core/analysis/classifier/unnamed-recipients.js';
import { type EmittedFinding, StreamingClassifier } from '../../functions/core/analysis/classifier.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';
import { event, fail, NO_ATTR, origin } from '../support/events.js';

const MESSAGE = '<28B71A112A349B5EB8F9C29C92482EBE@EX01.contoso.local>';
const LED =
  'Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=};{IP=};{LRT=}]. OutboundProxyTargetIP: 52.101.1.1.';

const TRACKING_LOG = [
  '#Software: Microsoft Exchange Server',
  '#Version: 15.02.1544.004',
  '#Log-Type: Message Tracking Log',
  '#Date: 2026-11-28T00:00:02.117Z',
  '#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version',
  `2026-11-28T09:10:45.301Z,10.0.1.11,EX01.contoso.local,52.101.1.1,contoso-com.mail.protection.outlook.com,08DF006B9F7584FC;2026-11-28T09:10:45.301Z;0,EX01\\Outbound to Office 365,SMTP,FAIL,22157924881,${MESSAGE},c32baaca-b014-5e34-911c-494735f21b11,supplier@litware.com,550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com],22904,1,,,"Remittance advice 2026-11, batch 7",Finance@Contoso.COM,Finance@Contoso.COM,,Originating,,,10.0.1.11,S:DeliveryPriority=Normal,Email,d4de0664-a60b-52ee-94e5-23ace86fb66b,15.02.1544.004`,
  '',
].join('\r\n');

/** A getDetailsByRecipient page as Graph answers it: its context names neither trace nor recipient. */
function graphDetails(...records: { id: string; at: string }[]): string {
  return JSON.stringify({
    '@odata.context':
      'https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph.exchangeMessageTraceDetail)',
    value: records.map(({ id, at }) => ({
      id,
      messageId: MESSAGE,
      dateTime: at,
      event: 'fail',
      action: '',
      description: LED,
      data: '',
    })),
  });
}

const GRAPH_PAGE = graphDetails({
  id: 'd0000001-0000-0000-0000-000000000012',
  at: '2026-11-28T09:10:45.877Z',
});
const SEND_LOG = readFileSync(new URL('../../sample-logs/SEND20261128-1.LOG', import.meta.url), 'utf8');

/** `Get-MessageTraceDetail | Select-Object MessageId,MessageTraceId,Date,Event,Action,Detail,Data | Export-Csv`. */
const DETAIL_WITHOUT_RECIPIENT = [
  '"MessageId","MessageTraceId","Date","Event","Action","Detail","Data"',
  ...['2026-11-28T22:15:03.4120000Z', '2026-11-28T22:15:03.5120000Z'].flatMap((at) => [
    `"<M7@app01.contoso.local>","6f12b2d7-d3af-50a6-b7a9-2182002541ab","${at}","Receive","","Message received by: AM0PR01MB1234.eurprd01.prod.exchangelabs.com",""`,
    `"<M7@app01.contoso.local>","6f12b2d7-d3af-50a6-b7a9-2182002541ab","${at}","Fail","","${LED}",""`,
  ]),
  '',
].join('\r\n');

/** `Get-MessageTrace | Export-Csv`: one trace id for the message, a row per recipient. */
function traceCsv(...rows: [recipient: string, status: string][]): string {
  return [
    '"Organization","MessageId","Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size","MessageTraceId"',
    ...rows.map(
      ([recipient, status]) =>
        `"contoso.onmicrosoft.com","<M7@app01.contoso.local>","2026-11-28T22:15:02.9910000Z","finance@contoso.com","${recipient}","Payment run","${status}","","203.0.113.25","377016","6f12b2d7-d3af-50a6-b7a9-2182002541ab"`,
    ),
    '',
  ].join('\r\n');
}

/** The run's findings in both file orders, which must agree (ids included). */
async function bothOrders(files: TextFile[]) {
  const forward = await analyzeFiles(files);
  const backward = await analyzeFiles([...files].reverse());
  const view = (run: typeof forward) =>
    run.findings
      .map((f) => ({
        id: f.id,
        recipient: f.recipient,
        timestamp: f.timestamp,
        source: `${f.source.file}:${f.source.line}`,
        evidence: f.evidence.map((e) => e.kind).sort(),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  expect(view(backward)).toEqual(view(forward));
  expect([backward.result.rejections, backward.result.duplicates]).toEqual([
    forward.result.rejections,
    forward.result.duplicates,
  ]);
  return forward;
}

describe('a refusal that names no recipient, with the one the run names', () => {
  it('folds a Graph detail into the tracking log’s refusal of the message, whichever file comes first', async () => {
    const { findings, result, sources } = await bothOrders([
      { name: 'MSGTRK2026112809-1.LOG', content: TRACKING_LOG },
      { name: 'graph-details-page.json', content: GRAPH_PAGE },
    ]);
    const alone = await analyzeFiles([{ name: 'MSGTRK2026112809-1.LOG', content: TRACKING_LOG }]);
    expect(findings.map((f) => [f.id, f.recipient, f.source.file, f.confidence])).toEqual([
      [alone.findings[0]?.id, 'supplier@litware.com', 'MSGTRK2026112809-1.LOG', 'high'],
    ]);
    expect(findings[0]?.evidence).toContainEqual({
      kind: 'also-in',
      detail: expect.stringContaining('graph-details-page.json line'),
    });
    expect([result.rejections, result.duplicates]).toEqual([2, 1]);
    expect(sources.find((s) => s.file === 'graph-details-page.json')?.duplicateRefusals).toBe(1);
  });

  it('folds it into the send protocol log’s refusal too', async () => {
    const { findings } = await bothOrders([
      { name: 'SEND20261128-1.LOG', content: SEND_LOG },
      { name: 'graph-details-page.json', content: GRAPH_PAGE },
    ]);
    expect(findings.filter((f) => f.messageId.includes('28B71A11')).map((f) => f.recipient)).toEqual([
      'supplier@litware.com',
    ]);
  });

  it('folds it into the recipient of the message’s one failed trace row, and so into that recipient’s refusal', async () => {
    const trace = traceCsv(['ap@litware.com', 'Failed'], ['lee@contoso.com', 'Delivered']);
    const detail = DETAIL_WITHOUT_RECIPIENT.split('\r\n').slice(0, 3).join('\r\n');
    const { findings } = await bothOrders([
      { name: 'trace.csv', content: trace },
      { name: 'detail.csv', content: detail },
    ]);
    expect(findings.map((f) => [f.recipient, f.sender])).toEqual([['ap@litware.com', 'finance@contoso.com']]);
    const tracking = TRACKING_LOG.replace(MESSAGE, '<M7@app01.contoso.local>').replace(
      'supplier@litware.com',
      'ap@litware.com',
    );
    const withLog = await bothOrders([
      { name: 'trace.csv', content: trace },
      { name: 'detail.csv', content: detail },
      { name: 'MSGTRK2026112822-1.LOG', content: tracking },
    ]);
    expect(withLog.findings.map((f) => [f.recipient, f.source.file])).toEqual([
      ['ap@litware.com', 'MSGTRK2026112822-1.LOG'],
    ]);
    expect(withLog.result.duplicates).toBe(1);
  });

  it('keeps a Graph detail apart when the run names several refused recipients of the message', async () => {
    const second = TRACKING_LOG.replace('supplier@litware.com,550', 'buyer@litware.com,550');
    const { findings } = await bothOrders([
      { name: 'MSGTRK2026112809-1.LOG', content: TRACKING_LOG },
      { name: 'MSGTRK2026112809-2.LOG', content: second },
      { name: 'graph-details-page.json', content: GRAPH_PAGE },
    ]);
    expect(findings.map((f) => f.recipient).sort()).toEqual([
      '',
      'buyer@litware.com',
      'supplier@litware.com',
    ]);
    expect(findings.find((f) => f.recipient === '')?.evidence).toContainEqual({
      kind: 'recipient-unknown',
      detail: expect.stringContaining('do not tell which of the message’s recipients'),
    });
  });

  it('keeps two details apart when the run names one recipient: which of them is theirs, nothing says', async () => {
    const page = graphDetails(
      { id: 'd0000001-0000-0000-0000-000000000012', at: '2026-11-28T09:10:45.877Z' },
      { id: 'd0000002-0000-0000-0000-000000000012', at: '2026-11-28T09:10:45.977Z' },
    );
    const { findings } = await bothOrders([
      { name: 'MSGTRK2026112809-1.LOG', content: TRACKING_LOG },
      { name: 'graph-details-page.json', content: page },
    ]);
    expect(findings.map((f) => f.recipient).sort()).toEqual(['', '', 'supplier@litware.com']);
  });
});

describe('a trace detail exported without RecipientAddress', () => {
  it('gives each recipient’s Fail row its own finding, the recipient unknown, when the trace fails several', async () => {
    const files = [
      { name: 'detail.csv', content: DETAIL_WITHOUT_RECIPIENT },
      { name: 'trace.csv', content: traceCsv(['ap@litware.com', 'Failed'], ['ar@litware.com', 'Failed']) },
    ];
    const { findings, result, sources } = await bothOrders(files);
    expect(findings.map((f) => [f.recipient, f.timestamp, f.source.line, f.sender])).toEqual([
      ['', '2026-11-28T22:15:03.412Z', 3, 'finance@contoso.com'],
      ['', '2026-11-28T22:15:03.512Z', 5, 'finance@contoso.com'],
    ]);
    for (const finding of findings)
      expect(finding.evidence).toContainEqual({
        kind: 'recipient-unknown',
        detail: expect.stringContaining('do not tell which of the message’s recipients'),
      });
    expect(new Set(findings.map((f) => f.id)).size).toBe(2);
    expect([result.rejections, result.duplicates]).toEqual([2, 0]);
    expect(sources.map((s) => s.duplicateRefusals ?? 0)).toEqual([0, 0]);
    // Stable: the same inputs give the same ids again.
    const again = await analyzeFiles(files);
    expect(again.findings.map((f) => f.id)).toEqual(findings.map((f) => f.id));
  });

  it('reads the same rows twice (an overlapping export) as the same refusals', async () => {
    const { findings, result } = await analyzeFiles([
      { name: 'detail.csv', content: DETAIL_WITHOUT_RECIPIENT },
      { name: 'detail-again.csv', content: DETAIL_WITHOUT_RECIPIENT },
      { name: 'trace.csv', content: traceCsv(['ap@litware.com', 'Failed'], ['ar@litware.com', 'Failed']) },
    ]);
    expect(findings.map((f) => f.source.file)).toEqual(['detail.csv', 'detail.csv']);
    expect([result.rejections, result.duplicates]).toEqual([4, 2]);
  });
});

describe('StreamingClassifier and unnamed recipients in its window', () => {
  const domains = parseAcceptedDomains('contoso.com', 'test');
  const graph = { file: 'details.json', format: 'message-trace-json' as const, sourceId: 'src-details.json' };
  const detail = () =>
    event({
      eventId: 'FAIL',
      messageId: 'm1',
      detailId: 'd1',
      recipientStatus: NO_ATTR,
      timestamp: '2026-11-28T10:00:01.000Z',
    });
  const named = () => fail('m1', 'supplier@litware.com', 'finance@contoso.com', NO_ATTR);
  const filler = () => event({ eventId: 'RECEIVE', messageId: 'other' });

  function run(rows: ['named' | 'detail' | 'filler', number][]): EmittedFinding[] {
    const classifier = new StreamingClassifier({ domains, windowEvents: 3 });
    for (const [kind, times] of rows)
      for (let i = 0; i < times; i++) {
        if (kind === 'named') classifier.push(named(), origin('MSGTRK.LOG'));
        else if (kind === 'detail') classifier.push(detail(), graph);
        else classifier.push(filler(), origin('MSGTRK.LOG'));
      }
    classifier.flush();
    return classifier.drain();
  }

  it('folds whichever leaves the window first, and the detail’s evidence joins the finding both ways', () => {
    for (const rows of [
      [
        ['named', 1],
        ['filler', 1],
        ['detail', 1],
        ['filler', 3],
      ],
      [
        ['detail', 1],
        ['filler', 1],
        ['named', 1],
        ['filler', 3],
      ],
    ] as ['named' | 'detail' | 'filler', number][][]) {
      const findings = run(rows);
      expect(findings.map((f) => [f.finding.recipient, f.origin.file])).toEqual([
        ['supplier@litware.com', 'MSGTRK.LOG'],
      ]);
      expect(findings[0]?.finding.evidence.map((e) => e.kind)).toContain('also-in');
    }
  });

  it('a window apart, folds in neither order', () => {
    const forward = run([
      ['named', 1],
      ['filler', 4],
      ['detail', 1],
    ]);
    const backward = run([
      ['detail', 1],
      ['filler', 4],
      ['named', 1],
    ]);
    expect(forward.map((f) => f.finding.recipient).sort()).toEqual(['', 'supplier@litware.com']);
    expect(backward.map((f) => f.finding.id).sort()).toEqual(forward.map((f) => f.finding.id).sort());
  });

  it('keeps many details of one message apart from its many named refusals, asking of each detail once', () => {
    // A message to 3,000 outside recipients, each refused, and a Graph page of as many details that
    // name none: no detail can be told to be a recipient's. Once two of them are known, the named
    // refusals leaving the window do not go over the details still waiting (that was quadratic).
    const recipients = 3_000;
    const resolve = vi.spyOn(UnnamedRecipients.prototype, 'resolve');
    try {
      const classifier = new StreamingClassifier({ domains });
      for (let i = 0; i < recipients; i++) {
        classifier.push(
          fail('m1', `r${i}@litware.com`, 'finance@contoso.com', NO_ATTR),
          origin('MSGTRK.LOG'),
        );
        const at = new Date(Date.parse('2026-11-28T10:00:01.000Z') + i).toISOString();
        classifier.push(
          event({
            eventId: 'FAIL',
            messageId: 'm1',
            detailId: `d${i}`,
            recipientStatus: NO_ATTR,
            timestamp: at,
          }),
          graph,
        );
      }
      classifier.flush();
      const findings = classifier.drain().map((f) => f.finding);
      const named = findings.filter((f) => f.recipient !== '');
      const unnamed = findings.filter((f) => f.recipient === '');
      expect(named.map((f) => f.recipient).sort()).toEqual(
        Array.from({ length: recipients }, (_, i) => `r${i}@litware.com`).sort(),
      );
      expect(unnamed).toHaveLength(recipients);
      for (const finding of unnamed)
        expect(finding.evidence.map((e) => e.kind)).toContain('recipient-unknown');
      expect(new Set(findings.map((f) => f.id)).size).toBe(2 * recipients);
      expect([classifier.stats.rejections, classifier.stats.duplicates]).toEqual([2 * recipients, 0]);
      // Once for each detail as it is released; none for the named refusals leaving before them.
      expect(resolve).toHaveBeenCalledTimes(recipients);
    } finally {
      resolve.mockRestore();
    }
  });
});
