/**
 * Exchange SMTP send protocol logs: session reassembly (interleaved sessions, pipelined MAIL/RCPT,
 * several recipients, deferrals, sessions without TLS), both certificate-line forms, the bounds on
 * open sessions and unanswered commands, and the accounting of every row.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { OPEN_SESSION_EVENT_ID } from '../../functions/core/analysis/evidence/open-session.js';
import { ProtocolLogRows } from '../../functions/core/analysis/formats/exchange-protocol-log.js';
import type { RowSink } from '../../functions/core/analysis/formats/index.js';
import { detectFormat } from '../../functions/core/analysis/input/detect.js';
import { type ParsedBatch, parseInput } from '../../functions/core/analysis/input/parse-input.js';
import { TimestampParser } from '../../functions/core/analysis/input/timestamps.js';
import { TraceEvent } from '../../functions/core/analysis/model/events.js';
import { splitRecord } from '../../functions/core/text/csv-records.js';
import { analyzeFiles } from '../support/analyze-text.js';
import { chunked } from '../support/streams.js';

const FIELDS =
  'date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context';
const HEADER = `#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n#Log-type: SMTP Send Protocol Log\r\n#Date: 2026-11-28T10:00:00.004Z\r\n#Fields: ${FIELDS}\r\n`;

/** One protocol-log row, quoted as Exchange quotes a cell with a comma or quote in it. */
function row(time: string, session: string, event: string, data = '', context = ''): string {
  const quote = (value: string) => (/[",]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  return `2026-11-28T${time}Z,Outbound to Office 365,${session},0,10.0.1.11:5${session.slice(-4)},52.101.1.1:25,${event},${quote(data)},${quote(context)}`;
}

async function parse(text: string) {
  const batches: ParsedBatch[] = [];
  let format = '';
  await parseInput(
    { name: 'SEND.LOG', sourceId: 'SEND.LOG', open: () => chunked(Buffer.from(`\uFEFF${text}`, 'utf8'), 97) },
    { inferring: false },
    {
      format: (id) => {
        format = id;
      },
      batch: (batch) => void batches.push(batch),
    },
  );
  const sum = (key: 'rowsRead' | 'rowsAnalysed') => batches.reduce((total, batch) => total + batch[key], 0);
  const events = batches.flatMap((batch) => batch.events);
  const handedOn = (event: TraceEvent) => event.eventId === OPEN_SESSION_EVENT_ID;
  return {
    format,
    rowsRead: sum('rowsRead'),
    rowsAnalysed: sum('rowsAnalysed'),
    skips: batches.flatMap((batch) => batch.skips),
    notes: batches.flatMap((batch) => batch.notes),
    /** The refusals. */
    events: events.filter((event) => !handedOn(event)),
    /** The sessions still open at the end, handed on to the next file of the run. */
    openSessions: events.filter(handedOn),
  };
}

/** A session from connect to the certificate, in the one-line-per-value form. */
function tlsOpening(session: string, time: string): string[] {
  return [
    row(time, session, '*', '', 'attempting to connect'),
    row(time, session, '+'),
    row(
      time,
      session,
      '<',
      '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready',
    ),
    row(time, session, '>', 'EHLO mail.contoso.com'),
    row(
      time,
      session,
      '<',
      '250  AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [203.0.113.25] SIZE PIPELINING STARTTLS',
    ),
    row(time, session, '>', 'STARTTLS'),
    row(time, session, '<', '220 2.0.0 SMTP server ready'),
    row(time, session, '*', '', 'Sending certificate'),
    row(time, session, '*', 'CN=mail.contoso.com, O=Contoso Ltd, C=US', 'Certificate subject'),
    row(
      time,
      session,
      '*',
      'CN=Fabrikam TLS RSA CA 2026, O=Fabrikam Trust Services, C=US',
      'Certificate issuer name',
    ),
    row(time, session, '*', '4F0A9C2E71B35D8826E0', 'Certificate serial number'),
    row(time, session, '*', '3C6E1F0B9A42D8E57C1B0F6A2D94E3B8C5A7F102', 'Certificate thumbprint'),
    row(time, session, '*', 'mail.contoso.com;autodiscover.contoso.com', 'Certificate alternate names'),
    row(time, session, '*', '', 'Received certificate'),
    row(
      time,
      session,
      '*',
      'CN=mail.protection.outlook.com, O=Microsoft Corporation, C=US',
      'Certificate subject',
    ),
    row(
      time,
      session,
      '*',
      'mail.protection.outlook.com;*.mail.protection.outlook.com',
      'Certificate alternate names',
    ),
    row(time, session, '>', 'EHLO mail.contoso.com'),
    row(
      time,
      session,
      '<',
      '250  AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [203.0.113.25] SIZE PIPELINING',
    ),
  ];
}

const REFUSED =
  '550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';

describe('send protocol log sessions', () => {
  it('pairs pipelined answers with their RCPT TO across interleaved sessions, and accounts for every row', async () => {
    const a = '08DF1C44A0B7E2D1';
    const b = '08DF1C44A0B7E2D2';
    const lines = [
      ...tlsOpening(a, '10:00:01.000'),
      row('10:00:01.100', b, '+'),
      row(
        '10:00:01.101',
        b,
        '<',
        '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready',
      ),
      row(
        '10:00:01.102',
        a,
        '*',
        '',
        'sending message with RecordId 1 and InternetMessageId <M1@EX01.contoso.local>',
      ),
      row('10:00:01.102', a, '>', 'MAIL FROM:<Payroll@Contoso.com> SIZE=100'),
      row('10:00:01.102', a, '>', 'RCPT TO:<ok@litware.com>'),
      row('10:00:01.102', a, '>', 'RCPT TO:<Refused1@Litware.com>'),
      row('10:00:01.102', b, '>', 'HELO relay.contoso.com'),
      row('10:00:01.102', a, '>', 'RCPT TO:<refused2@litware.com>'),
      row('10:00:01.103', b, '<', '250 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello'),
      row(
        '10:00:01.103',
        b,
        '*',
        '',
        'sending message with RecordId 2 and InternetMessageId <M2@EX01.contoso.local>',
      ),
      row('10:00:01.103', b, '>', 'MAIL FROM:<> SIZE=10'),
      row('10:00:01.103', b, '>', 'RCPT TO:<late@woodgrovebank.com>'),
      row('10:00:01.200', a, '<', '250 2.1.0 Sender OK'),
      row('10:00:01.201', a, '<', '250 2.1.5 Recipient OK'),
      row('10:00:01.202', b, '<', '250 2.1.0 Sender OK'),
      row('10:00:01.203', a, '<', REFUSED),
      row(
        '10:00:01.204',
        b,
        '<',
        '451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
      ),
      row('10:00:01.205', a, '<', REFUSED),
      row('10:00:01.206', a, '>', 'DATA'),
      row('10:00:01.207', a, '<', '354 Start mail input; end with <CRLF>.<CRLF>'),
      row('10:00:01.300', a, '<', '250 2.6.0 <M1@EX01.contoso.local> Queued mail for delivery'),
      row('10:00:01.301', a, '>', 'QUIT'),
      row('10:00:01.302', a, '<', '221 2.0.0 Service closing transmission channel'),
      row('10:00:01.303', a, '-', '', 'Local'),
    ];
    const result = await parse(`${HEADER}${lines.join('\r\n')}\r\n`);

    expect(result.format).toBe('exchange-protocol-log');
    expect(result.rowsRead).toBe(lines.length);
    expect(result.rowsRead).toBe(result.rowsAnalysed + result.skips.length);
    expect(result.skips).toEqual([]);
    expect(
      result.events.map((e) => [e.eventId, e.messageId, e.returnPath, e.recipient, e.session?.tls]),
    ).toEqual([
      ['FAIL', 'M1@EX01.contoso.local', 'payroll@contoso.com', 'refused1@litware.com', true],
      ['DEFER', 'M2@EX01.contoso.local', '', 'late@woodgrovebank.com', false],
      ['FAIL', 'M1@EX01.contoso.local', 'payroll@contoso.com', 'refused2@litware.com', true],
    ]);
    for (const event of result.events) expect(TraceEvent.safeParse(event).success).toBe(true);
    const [first] = result.events;
    expect(first).toMatchObject({
      timestamp: '2026-11-28T10:00:01.203Z',
      clientHostname: 'mail.contoso.com',
      serverHostname: 'am0pr01mb1234.eurprd01.prod.exchangelabs.com',
      clientIp: '10.0.1.11',
      serverIp: '52.101.1.1',
      connectorId: 'Outbound to Office 365',
      line: 39,
    });
    // The server's certificate, not the remote's that follows "Received certificate".
    expect(first?.session?.certificate).toEqual({
      subject: 'CN=mail.contoso.com, O=Contoso Ltd, C=US',
      issuer: 'CN=Fabrikam TLS RSA CA 2026, O=Fabrikam Trust Services, C=US',
      serialNumber: '4F0A9C2E71B35D8826E0',
      thumbprint: '3C6E1F0B9A42D8E57C1B0F6A2D94E3B8C5A7F102',
      names: ['mail.contoso.com', 'autodiscover.contoso.com'],
      alternateNames: ['mail.contoso.com', 'autodiscover.contoso.com'],
    });
  });

  it('reads the one-line certificate form, culture dates and all, and per-line continuation answers', async () => {
    const s = '08DF3C2B1A09F8E8';
    const lines = [
      row('10:02:12.431', s, '+'),
      row(
        '10:02:12.470',
        s,
        '<',
        '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready',
      ),
      row('10:02:12.471', s, '>', 'EHLO smtp.contoso.com'),
      row('10:02:12.502', s, '<', '250-AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [203.0.113.26]'),
      row('10:02:12.502', s, '<', '250-STARTTLS'),
      row('10:02:12.502', s, '<', '250 SMTPUTF8'),
      row('10:02:12.503', s, '>', 'STARTTLS'),
      row('10:02:12.531', s, '<', '220 2.0.0 SMTP server ready'),
      row(
        '10:02:12.540',
        s,
        '*',
        'CN=smtp.contoso.com, O=Contoso Ltd, C=US CN=Fabrikam TLS RSA CA 2026, O=Fabrikam Trust Services, C=US 61D0E3A95B7C24F8 5B8E2C0D71F94A36E8B0C5D2A7F1E4936C0B8D25 11/2/2026 12:00:00 AM 11/2/2027 11:59:59 PM smtp.contoso.com;mail.contoso.com',
        'Sending certificate Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names',
      ),
      row('10:02:12.641', s, '>', 'MAIL FROM:<scanner@contoso.com>'),
      row('10:02:12.642', s, '>', 'RCPT TO:<vendor@adatum.com>'),
      row('10:02:12.876', s, '<', '250 2.1.0 Sender OK'),
      row('10:02:12.877', s, '<', REFUSED),
    ];
    const result = await parse(`${HEADER}${lines.join('\r\n')}\r\n`);

    expect(result.events).toHaveLength(1);
    expect(result.events[0]?.recipient).toBe('vendor@adatum.com');
    expect(result.events[0]?.session?.certificate).toEqual({
      subject: 'CN=smtp.contoso.com, O=Contoso Ltd, C=US',
      issuer: 'CN=Fabrikam TLS RSA CA 2026, O=Fabrikam Trust Services, C=US',
      serialNumber: '61D0E3A95B7C24F8',
      thumbprint: '5B8E2C0D71F94A36E8B0C5D2A7F1E4936C0B8D25',
      notBefore: '11/2/2026 12:00:00 AM',
      notAfter: '11/2/2027 11:59:59 PM',
      names: ['smtp.contoso.com', 'mail.contoso.com'],
      alternateNames: ['smtp.contoso.com', 'mail.contoso.com'],
    });
  });

  it('reads the Exchange-shaped fixture of the real-world set (one-line form, self-signed, ISO dates)', async () => {
    const text = await readFile('test/fixtures/real-world/SEND20261128-1.LOG', 'utf8');
    const result = await parse(text.replace(/^\uFEFF/, ''));
    expect(result.rowsRead).toBe(19);
    expect(result.rowsAnalysed).toBe(19);
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({
      messageId: 'A1B2C3D4E5F60718293A4B5C6D7E8F90@EX01.contoso.local',
      returnPath: 'scanner@contoso.com',
      recipient: 'vendor@adatum.com',
      session: {
        id: '08DF3C2B1A09F8E8',
        tls: true,
        certificate: {
          subject: 'CN=mail.contoso.com',
          issuer: 'CN=mail.contoso.com',
          thumbprint: '0F1E2D3C4B5A69788796A5B4C3D2E1F0A9B8C7D6',
          notBefore: '2026-06-01T00:00:00.000Z',
          notAfter: '2027-06-01T00:00:00.000Z',
          names: ['mail.contoso.com', 'autodiscover.contoso.com'],
        },
      },
    });
  });

  it('never loses a refusal of a session whose start the log does not have', async () => {
    const s = '08DF3C2B1A09F8E9';
    const lines = [
      row('00:00:00.101', s, '>', 'RCPT TO:<x@litware.com>'),
      row('00:00:00.102', s, '<', REFUSED),
    ];
    const text = `${HEADER}${lines.join('\r\n')}\r\n`;
    const result = await parse(text);
    expect(result.events.map((e) => [e.recipient, e.session?.partial, e.session?.certificate])).toEqual([
      ['x@litware.com', true, undefined],
    ]);
    // Whether another file has the session's start is the run's to say, once it has read them all.
    expect(result.notes).toEqual([]);
    const { sources } = await analyzeFiles([{ name: 'SEND.LOG', content: text }]);
    expect(sources[0]?.notes?.map((note) => note.code)).toEqual(['SESSIONS_JOINED_LATE']);
    expect(sources[0]?.notes?.[0]?.message).toMatch(
      /^1 refusal is in an SMTP session that began before this log/,
    );
  });

  it('pairs the answers of a session joined late with the commands it has, not with a greeting', async () => {
    const s = '08DF3C2B1A09F8EB';
    const lines = [
      row(
        '00:00:00.100',
        s,
        '*',
        '',
        'sending message with RecordId 7 and InternetMessageId <J@EX01.contoso.local>',
      ),
      row('00:00:00.101', s, '>', 'MAIL FROM:<a@contoso.com>'),
      row('00:00:00.102', s, '>', 'RCPT TO:<first@litware.com>'),
      row('00:00:00.103', s, '<', '250 2.1.0 Sender OK'),
      row('00:00:00.104', s, '<', REFUSED),
    ];
    const result = await parse(`${HEADER}${lines.join('\r\n')}\r\n`);
    expect(result.events.map((e) => [e.messageId, e.recipient, e.session?.partial])).toEqual([
      ['J@EX01.contoso.local', 'first@litware.com', true],
    ]);
  });

  it('skips, with a reason, rows that name no session or no protocol event', async () => {
    const lines = [
      '2026-11-28T00:00:00.101Z,Outbound to Office 365,,0,,,*,,attempting to connect',
      row('00:00:00.102', '08DF3C2B1A09F8EA', '?', 'what'),
      '2026-11-28T00:00:00.103Z,Outbound to Office 365,08DF3C2B1A09F8EA,0',
      row('00:00:00.104', '08DF3C2B1A09F8EA', '+'),
    ];
    const result = await parse(`${HEADER}${lines.join('\r\n')}\r\n`);
    expect(result.skips.map((skip) => [skip.line, skip.reason, skip.column])).toEqual([
      [6, 'MISSING_FIELD', 'session-id'],
      [7, 'MISSING_FIELD', 'event'],
      [8, 'COLUMN_COUNT', undefined],
    ]);
    expect(result.rowsRead).toBe(result.rowsAnalysed + result.skips.length);
  });

  it('refuses a receive protocol log at detection: Exchange Online answers the sending side', async () => {
    async function* once() {
      yield `#Log-type: SMTP Receive Protocol Log\n#Fields: ${FIELDS}\n${row('00:00:00.100', '08DF', '+')}\n`;
    }
    await expect(detectFormat(once()[Symbol.asyncIterator](), 'RECV.LOG')).rejects.toThrow(
      /RECV\.LOG: looks like an Exchange SMTP receive protocol log .*analyse the send protocol log/,
    );
  });
});

describe('send protocol log bounds', () => {
  function adapter(limits: { sessions: number; commands: number }) {
    const rows = new ProtocolLogRows(
      FIELDS.split(','),
      { file: 'SEND.LOG', timestamps: new TimestampParser(), isRelevant: () => true },
      limits,
    );
    const events: TraceEvent[] = [];
    const skips: [number, string][] = [];
    const sink: RowSink = {
      event: (event) => events.push(event),
      skip: (line, reason) => skips.push([line, reason]),
    };
    let line = 0;
    const feed = (text: string) => rows.adapt(splitRecord(text, ',') ?? [], ++line, sink);
    return { rows, events, skips, feed };
  }

  it('keeps at most `commands` unanswered commands; the answers to the rest still count, without a recipient', () => {
    const { events, skips, feed } = adapter({ sessions: 10, commands: 2 });
    const s = '08DF00000000000A';
    feed(row('00:00:00.100', s, '+'));
    feed(row('00:00:00.101', s, '<', '220 ready'));
    feed(row('00:00:00.102', s, '>', 'MAIL FROM:<a@contoso.com>'));
    feed(row('00:00:00.103', s, '>', 'RCPT TO:<one@litware.com>'));
    feed(row('00:00:00.104', s, '>', 'RCPT TO:<two@litware.com>'));
    feed(row('00:00:00.105', s, '>', 'RCPT TO:<three@litware.com>'));
    for (const answer of ['250 2.1.0 Sender OK', REFUSED, REFUSED, REFUSED])
      feed(row('00:00:00.200', s, '<', answer));
    expect(skips).toEqual([
      [5, 'SESSION_LIMIT'],
      [6, 'SESSION_LIMIT'],
    ]);
    expect(events.map((event) => event.recipient)).toEqual(['one@litware.com', undefined, undefined]);
  });

  it('closes the oldest session when more than `sessions` are open, and says so', () => {
    const { rows, events, feed } = adapter({ sessions: 2, commands: 10 });
    for (const s of ['08DF00000000000B', '08DF00000000000C', '08DF00000000000D']) {
      feed(row('00:00:00.100', s, '+'));
      feed(row('00:00:00.101', s, '<', '220 ready'));
      feed(row('00:00:00.102', s, '>', 'RCPT TO:<r@litware.com>'));
    }
    // The first session was closed early: its answer is still read, as a session joined late.
    feed(row('00:00:00.300', '08DF00000000000B', '<', REFUSED));
    expect(events).toHaveLength(1);
    expect(events[0]?.recipient).toBeUndefined();
    expect(rows.notes().map((note) => note.code)).toEqual(['SESSIONS_CLOSED_EARLY']);
    expect(rows.notes()[0]?.message).toMatch(/^2 SMTP sessions were still open when more than 2 were/);
  });
});

describe('a refusal whose session began in an earlier file', () => {
  /** The end of a session whose MAIL FROM and Message-ID are in the log before this one (rotation). */
  const tail = [
    '#Software: Microsoft Exchange Server',
    '#Log-type: SMTP Send Protocol Log',
    '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context',
    '2026-11-28T09:10:44.022Z,Relay to Office 365,08DF00AA00000001,22,10.0.1.11:52134,52.101.1.1:25,<,250 2.1.0 Sender OK,',
    '2026-11-28T09:10:44.023Z,Relay to Office 365,08DF00AA00000001,23,10.0.1.11:52134,52.101.1.1:25,<,550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com],',
    '2026-11-28T09:10:44.024Z,Relay to Office 365,08DF00AA00000001,24,10.0.1.11:52134,52.101.1.1:25,>,QUIT,',
  ].join('\r\n');

  it('is the same finding whatever the file is called or where it lies, never one named after it', async () => {
    const first = await analyzeFiles([{ name: 'logs/SEND20261128-2.LOG', content: tail }]);
    const again = await analyzeFiles([{ name: 'copy of logs/renamed.LOG', content: tail }]);
    expect(first.findings).toHaveLength(1);
    expect(first.findings.map((finding) => finding.id)).toEqual(again.findings.map((finding) => finding.id));
    expect(first.findings[0]?.messageId).toMatch(
      /^unidentified:exchange-protocol-log@2026-11-28T09:10:44\.023Z#[0-9a-f]{12}$/,
    );
  });
});

describe('a certificate that had expired when the mail was refused', () => {
  /** A session whose server presented a certificate that expired on 2026-11-01, refused on 2026-11-28. */
  const session = (notAfter: string) =>
    [
      '#Software: Microsoft Exchange Server',
      '#Version: 15.02.1544.004',
      '#Log-type: SMTP Send Protocol Log',
      '#Date: 2026-11-28T09:00:00.012Z',
      '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context',
      '2026-11-28T09:10:44.000Z,Outbound to Office 365,D2,0,,52.101.1.1:25,*,,attempting to connect',
      '2026-11-28T09:10:44.001Z,Outbound to Office 365,D2,1,10.0.1.11:52134,52.101.1.1:25,+,,',
      '2026-11-28T09:10:44.002Z,Outbound to Office 365,D2,2,10.0.1.11:52134,52.101.1.1:25,<,220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready,',
      '2026-11-28T09:10:44.003Z,Outbound to Office 365,D2,3,10.0.1.11:52134,52.101.1.1:25,>,EHLO mail.contoso.com,',
      '2026-11-28T09:10:44.004Z,Outbound to Office 365,D2,4,10.0.1.11:52134,52.101.1.1:25,<,250  AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [203.0.113.25] SIZE 157286400 PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS 8BITMIME BINARYMIME CHUNKING SMTPUTF8,',
      '2026-11-28T09:10:44.005Z,Outbound to Office 365,D2,5,10.0.1.11:52134,52.101.1.1:25,>,STARTTLS,',
      '2026-11-28T09:10:44.006Z,Outbound to Office 365,D2,6,10.0.1.11:52134,52.101.1.1:25,<,220 2.0.0 SMTP server ready,',
      '2026-11-28T09:10:44.007Z,Outbound to Office 365,D2,7,10.0.1.11:52134,52.101.1.1:25,*,"CN=mail.contoso.com, O=Contoso Ltd, C=US CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US 0A1B2C3D 3C6E1F0B9A42D8E57C1B0F6A2D94E3B8C5A7F102 11/1/2025 12:00:00 AM 11/1/2026 11:59:59 PM mail.contoso.com",Sending certificate Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names',
      '2026-11-28T09:10:44.008Z,Outbound to Office 365,D2,8,10.0.1.11:52134,52.101.1.1:25,>,EHLO mail.contoso.com,',
      '2026-11-28T09:10:44.009Z,Outbound to Office 365,D2,9,10.0.1.11:52134,52.101.1.1:25,<,250 ok,',
      '2026-11-28T09:10:44.010Z,Outbound to Office 365,D2,10,10.0.1.11:52134,52.101.1.1:25,*,,sending message with RecordId 22157924881 and InternetMessageId <D2@EX01.contoso.local>',
      '2026-11-28T09:10:44.011Z,Outbound to Office 365,D2,11,10.0.1.11:52134,52.101.1.1:25,>,MAIL FROM:<u@contoso.com> SIZE=22904,',
      '2026-11-28T09:10:44.012Z,Outbound to Office 365,D2,12,10.0.1.11:52134,52.101.1.1:25,>,RCPT TO:<x@litware.com>,',
      '2026-11-28T09:10:44.013Z,Outbound to Office 365,D2,13,10.0.1.11:52134,52.101.1.1:25,<,250 2.1.0 Sender OK,',
      '2026-11-28T09:10:44.014Z,Outbound to Office 365,D2,14,10.0.1.11:52134,52.101.1.1:25,<,550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com],',
      '2026-11-28T09:10:44.015Z,Outbound to Office 365,D2,15,10.0.1.11:52134,52.101.1.1:25,>,QUIT,',
      '2026-11-28T09:10:44.016Z,Outbound to Office 365,D2,16,10.0.1.11:52134,52.101.1.1:25,<,221 2.0.0 Service closing transmission channel,',
      '2026-11-28T09:10:44.017Z,Outbound to Office 365,D2,17,10.0.1.11:52134,52.101.1.1:25,-,,Local',
    ]
      .join('\r\n')
      .replace('11/1/2026 11:59:59 PM', notAfter);

  it('says so in the evidence, and the remediation renews the certificate', async () => {
    const { findings } = await analyzeFiles(
      [{ name: 'SEND-expired.LOG', content: session('11/1/2026 11:59:59 PM') }],
      {
        accepted: 'contoso.com',
      },
    );
    const [finding] = findings;
    expect(finding?.scenario).toBe('connector-mismatch');
    expect(finding?.evidence.find((item) => item.kind === 'certificate-expired')?.detail).toMatch(
      /had expired \(on 2026-11-01\) before the refusal/,
    );
    expect(finding?.remediation.steps[0]).toMatch(
      /Change the certificate, not the connector: it had expired \(on 2026-11-01\)/,
    );
  });

  it('says it had expired, not that it names no accepted domain, in an NDR’s remediation', async () => {
    const ndr = session('11/1/2026 11:59:59 PM').replace('MAIL FROM:<u@contoso.com>', 'MAIL FROM:<>');
    const { findings } = await analyzeFiles([{ name: 'SEND-expired-ndr.LOG', content: ndr }], {
      accepted: 'contoso.com',
    });
    const [finding] = findings;
    expect(finding?.scenario).toBe('ndr');
    const text = [finding?.remediation.explanation, ...(finding?.remediation.steps ?? [])].join('\n');
    expect(text).toMatch(/It had expired \(on 2026-11-01\) before the refusal, .*renew it, or bind/);
    expect(text).not.toMatch(/None of its names is in an accepted domain/);
  });

  it('says nothing of expiry for a certificate still valid then', async () => {
    const { findings } = await analyzeFiles(
      [{ name: 'SEND-valid.LOG', content: session('11/1/2027 11:59:59 PM') }],
      {
        accepted: 'contoso.com',
      },
    );
    expect(findings[0]?.evidence.map((item) => item.kind)).not.toContain('certificate-expired');
  });

  /** The evidence kinds and remediation text of the session with validity `notBefore notAfter`. */
  const judged = async (name: string, notBefore: string, notAfter: string) => {
    const content = session(notAfter).replace('11/1/2025 12:00:00 AM', notBefore);
    const { findings } = await analyzeFiles([{ name, content }], { accepted: 'contoso.com' });
    const [finding] = findings;
    return {
      evidence: finding?.evidence ?? [],
      kinds: finding?.evidence.map((item) => item.kind) ?? [],
      remediation: [finding?.remediation.explanation, ...(finding?.remediation.steps ?? [])].join('\n'),
    };
  };

  it('reads the validity in the server culture: en-GB and de-DE dates, day first', async () => {
    // en-GB, 13 Nov 2025 (the day proves the order): expired before the refusal of 28 Nov 2026.
    const gb = await judged('SEND-en-GB.LOG', '13/11/2024 00:00:00', '13/11/2025 23:59:59');
    expect(gb.evidence.find((item) => item.kind === 'certificate-expired')?.detail).toMatch(
      /had expired \(on 2025-11-13\) before the refusal: Exchange Online matches no connector to an expired certificate$/,
    );
    expect(gb.remediation).toMatch(/it had expired \(on 2025-11-13\)/);
    // de-DE 1 Dec 2026: still valid on 28 Nov 2026; 1 Nov 2026: expired.
    const valid = await judged('SEND-de-DE-valid.LOG', '01.12.2025 00:00:00', '01.12.2026 23:59:59');
    expect(valid.kinds.filter((kind) => kind.startsWith('certificate-expir'))).toEqual([]);
    const expired = await judged('SEND-de-DE.LOG', '01.11.2025 00:00:00', '01.11.2026 23:59:59');
    expect(expired.evidence.find((item) => item.kind === 'certificate-expired')?.detail).toMatch(
      /had expired \(on 2026-11-01\)/,
    );
  });

  it('claims no expiry when day and month could be either way and only one reading is expired', async () => {
    // en-GB 1 Dec 2026 (valid on 28 Nov 2026), or 12 Jan 2026 if read month first: it cannot tell.
    const { kinds, evidence, remediation } = await judged(
      'SEND-ambiguous.LOG',
      '01/12/2025 00:00:00',
      '01/12/2026 23:59:59',
    );
    expect(kinds).not.toContain('certificate-expired');
    expect(evidence.find((item) => item.kind === 'certificate-expiry-unclear')?.detail).toBe(
      'whether the certificate had expired before the refusal cannot be told: its Not after "01/12/2026 23:59:59" ' +
        'is 2026-12-01 read day first (valid then) but 2026-01-12 read month first (expired), and nothing in the ' +
        'log settles the order; check it on the server: Get-ExchangeCertificate -Thumbprint ' +
        '3C6E1F0B9A42D8E57C1B0F6A2D94E3B8C5A7F102 | Format-List NotAfter',
    );
    expect(remediation).not.toMatch(/had expired|renew it/i);
  });

  it('lets the validity pair settle the order: a period cannot end before it starts', async () => {
    // 90 days from 3 Sep 2026 to 2 Dec 2026; read month first it would run from 9 Mar back to 12 Feb.
    const valid = await judged('SEND-pair.LOG', '03/09/2026 00:00:00', '02/12/2026 23:59:59');
    expect(valid.kinds.filter((kind) => kind.startsWith('certificate-expir'))).toEqual([]);
  });

  it('says expired when every reading is, with the likeliest day and the other reading', async () => {
    // en-US with AM/PM: 1 Nov 2026 (month first) or 11 Jan 2026 (day first): expired either way.
    const { evidence } = await judged('SEND-either.LOG', '11/1/2025 12:00:00 AM', '11/1/2026 11:59:59 PM');
    expect(evidence.find((item) => item.kind === 'certificate-expired')?.detail).toMatch(
      /had expired \(on 2026-11-01\) before the refusal: .* \(its Not after "11\/1\/2026 11:59:59 PM" reads 2026-01-11 with day and month the other way: expired either way\)$/,
    );
  });
});
