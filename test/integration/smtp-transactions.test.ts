/**
 * A relay refusal that answers MAIL FROM or comes after the message (DATA, BDAT) refuses the
 * recipients of its transaction: every RCPT TO sent for that MAIL FROM, every recipient accepted
 * before the message. Read from Exchange send protocol logs and IIS SMTP logs, each such recipient is
 * its own finding, with the id the tracking log's FAIL row of that recipient gives (one finding
 * for both files, never a recipient-less third). Fixtures: test/fixtures/real-world/smtp-transactions/.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ProtocolLogRows } from '../../functions/core/analysis/formats/exchange-protocol-log.js';
import type { RowSink } from '../../functions/core/analysis/formats/index.js';
import { MailTransaction } from '../../functions/core/analysis/formats/smtp-sessions.js';
import { TimestampParser } from '../../functions/core/analysis/input/timestamps.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';
import { findingId } from '../../functions/core/analysis/model/finding-id.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { splitRecord } from '../../functions/core/text/csv-records.js';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/smtp-transactions';

async function fixture(name: string): Promise<TextFile> {
  return { name, content: await readFile(`${DIR}/${name}`) };
}

async function analyse(...names: string[]) {
  return analyzeFiles(await Promise.all(names.map(fixture)));
}

/** What tells findings apart, and whether the recipient is unknown. */
const summary = (f: Finding) => [
  f.messageId,
  f.recipient,
  f.code,
  f.source.line,
  f.evidence.some((e) => e.kind === 'recipient-unknown'),
];

describe('Exchange send protocol log: a refusal of the whole transaction', () => {
  it('refuses every RCPT TO pipelined after a refused MAIL FROM, and only that session’s', async () => {
    const { findings } = await analyse('SEND20261128-refused-at-mail-from.LOG');
    expect(findings.map(summary)).toEqual([
      ['MF1@EX01.contoso.local', 'vendor@adatum.com', '5.7.64', 23, false],
      ['MF1@EX01.contoso.local', 'sales@adatum.com', '5.7.64', 23, false],
      // The interleaved session's refusal at its RCPT TO is its recipient's alone.
      ['MF2@EX01.contoso.local', 'ap@litware.com', '5.7.64', 27, false],
    ]);
    // The ids a tracking log's FAIL row of each recipient gives.
    expect(findings.map((f) => f.id)).toEqual([
      findingId('MF1@EX01.contoso.local', 'vendor@adatum.com', '5.7.64'),
      findingId('MF1@EX01.contoso.local', 'sales@adatum.com', '5.7.64'),
      findingId('MF2@EX01.contoso.local', 'ap@litware.com', '5.7.64'),
    ]);
    expect(findings.map((f) => f.scenario)).toEqual([
      'foreign-sender-domain',
      'foreign-sender-domain',
      'connector-mismatch',
    ]);
  });

  for (const order of ['tracking log first', 'protocol log first'] as const) {
    it(`is one finding per recipient with the tracking log of the message (${order})`, async () => {
      const files = ['MSGTRK2026112810-1.LOG', 'SEND20261128-refused-at-mail-from.LOG'];
      const { findings, result } = await analyse(
        ...(order === 'tracking log first' ? files : files.reverse()),
      );
      expect(findings.map((f) => [f.messageId, f.recipient]).sort()).toEqual([
        ['MF1@EX01.contoso.local', 'sales@adatum.com'],
        ['MF1@EX01.contoso.local', 'vendor@adatum.com'],
        ['MF2@EX01.contoso.local', 'ap@litware.com'],
      ]);
      expect(result.duplicates).toBe(2);
      for (const finding of findings) {
        expect(finding.evidence.map((e) => e.kind)).toContain('protocol-log');
        expect(finding.evidence.map((e) => e.kind)).not.toContain('recipient-unknown');
      }
    });
  }

  it('refuses after the message every recipient accepted at RCPT TO, not one refused there', async () => {
    const { findings } = await analyse('SEND20261128-refused-after-data.LOG');
    expect(findings.map(summary)).toEqual([
      ['MF3@EX01.contoso.local', 'vendor@adatum.com', '5.7.64', 21, false],
    ]);
  });

  it('keeps the transactions of one session apart (BDAT, RSET, MAIL FROM answered alone, RCPT TO)', async () => {
    const { findings } = await analyse('SEND20261128-several-transactions.LOG');
    expect(findings.map(summary)).toEqual([
      // Deferred after BDAT: both recipients accepted at RCPT TO.
      ['MF4@EX01.contoso.local', 'ar@litware.com', '4.4.62', 19, false],
      ['MF4@EX01.contoso.local', 'ap@litware.com', '4.4.62', 19, false],
      // MAIL FROM refused before any RCPT TO was sent: its recipients are not in the log.
      ['MF5@EX01.contoso.local', '', '5.7.64', 24, true],
      // Refused at its own RCPT TO: not the recipient accepted after it.
      ['MF6@EX01.contoso.local', 'noc@adatum.com', '5.7.64', 32, false],
    ]);
    expect(findings.map((f) => f.scenario)).toEqual([
      'wrong-region',
      'wrong-region',
      'foreign-sender-domain',
      'foreign-sender-domain',
    ]);
  });

  it('still counts a refusal for the recipients a session could not keep (its bound on commands)', () => {
    const FIELDS =
      'date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context';
    const rows = new ProtocolLogRows(
      FIELDS.split(','),
      { file: 'SEND.LOG', timestamps: new TimestampParser(), isRelevant: () => true },
      { sessions: 10, commands: 2 },
    );
    const events: TraceEvent[] = [];
    const skips: number[] = [];
    const sink: RowSink = { event: (event) => events.push(event), skip: (line) => skips.push(line) };
    const lines = [
      '+,',
      '<,220 ready',
      '>,MAIL FROM:<app@fabrikam.com>',
      '>,RCPT TO:<one@adatum.com>',
      '>,RCPT TO:<two@adatum.com>',
      '<,550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
      '<,503 5.5.2 Need mail command',
      '<,503 5.5.2 Need mail command',
    ];
    lines.forEach((text, at) => {
      const row = `2026-11-28T10:00:00.${100 + at}Z,Outbound to Office 365,08DF00000000000A,${at},10.0.1.11:5000,52.101.1.1:25,${text},`;
      rows.adapt(splitRecord(row, ',') ?? [], at + 1, sink);
    });
    expect(skips).toEqual([5]);
    // one@ by name; two@ (not kept) as a refusal without a recipient. The 503s follow.
    expect(events.map((event) => [event.recipient, event.recipientStatus?.slice(0, 3)])).toEqual([
      ['one@adatum.com', '550'],
      [undefined, '550'],
      ['one@adatum.com', '503'],
      [undefined, '503'],
    ]);
  });

  it('keeps at most its bound of recipients a transaction refuses, and says others were refused', () => {
    const transaction = new MailTransaction(2);
    for (const recipient of ['a@adatum.com', 'b@adatum.com', 'c@adatum.com']) transaction.send(recipient);
    transaction.accept('a@adatum.com');
    expect(transaction.refusedBy('MAIL')).toEqual(['a@adatum.com', 'b@adatum.com', undefined]);
    expect(transaction.refusedBy('BDAT')).toEqual(['a@adatum.com', undefined]);
    expect(transaction.refusedBy('RCPT')).toBeUndefined();
    expect(new MailTransaction(2).refusedBy('DATA')).toEqual([undefined]);
  });
});

describe('Exchange send protocol log: a refusal of MAIL FROM in the next file (rotation)', () => {
  const preamble = [
    '#Software: Microsoft Exchange Server',
    '#Version: 15.02.1544.004',
    '#Log-type: SMTP Send Protocol Log',
    '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context',
  ];
  const session = '08DF3C2B1A09F8F9';
  let sequence = 0;
  const row = (time: string, event: string, data = '', context = '') =>
    `2026-11-28T${time}Z,EX01\\Outbound to Office 365,${session},${sequence++},10.0.1.11:41879,52.101.1.1:25,${event},${data},${context}`;
  /** The session up to its pipelined RCPT TO rows, then the answers in the next file. */
  const start = (recipients: string[]) => [
    ...preamble,
    row('23:59:59.100', '+'),
    row(
      '23:59:59.120',
      '<',
      '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready',
    ),
    row('23:59:59.121', '>', 'EHLO mail.contoso.com'),
    row(
      '23:59:59.140',
      '<',
      '250-AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [203.0.113.25] 250 PIPELINING',
    ),
    row(
      '23:59:59.141',
      '*',
      '',
      'sending message with RecordId 25471690009 and InternetMessageId <MF9@EX01.contoso.local>',
    ),
    row('23:59:59.142', '>', 'MAIL FROM:<app@fabrikam.com> SIZE=4096'),
    ...recipients.map((recipient) => row('23:59:59.142', '>', `RCPT TO:<${recipient}>`)),
  ];
  const end = (recipients: string[]) => [
    ...preamble,
    row(
      '23:59:59.170',
      '<',
      '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
    ),
    ...recipients.map(() => row('23:59:59.171', '<', '503 5.5.2 Need mail command')),
    row('23:59:59.172', '>', 'QUIT'),
  ];
  const files = (recipients: string[]): [TextFile, TextFile] => [
    { name: 'SEND2026112823-1.LOG', content: start(recipients).join('\r\n') },
    { name: 'SEND2026112823-2.LOG', content: end(recipients).join('\r\n') },
  ];

  for (const order of ['in order', 'newest first'] as const) {
    it(`names the one recipient of the transaction (${order})`, async () => {
      const [first, second] = files(['vendor@adatum.com']);
      const { findings } = await analyzeFiles(order === 'in order' ? [first, second] : [second, first]);
      expect(findings.map((f) => [f.messageId, f.recipient, f.returnPath])).toEqual([
        ['MF9@EX01.contoso.local', 'vendor@adatum.com', 'app@fabrikam.com'],
      ]);
    });
  }

  for (const order of ['in order', 'newest first'] as const) {
    it(`names every RCPT TO of the transaction, with the ids of one file (${order})`, async () => {
      const [first, second] = files(['vendor@adatum.com', 'sales@adatum.com']);
      const { findings } = await analyzeFiles(order === 'in order' ? [first, second] : [second, first]);
      expect(findings.map(summary)).toEqual([
        ['MF9@EX01.contoso.local', 'vendor@adatum.com', '5.7.64', 5, false],
        ['MF9@EX01.contoso.local', 'sales@adatum.com', '5.7.64', 5, false],
      ]);
      expect(findings.map((f) => f.id)).toEqual([
        findingId('MF9@EX01.contoso.local', 'vendor@adatum.com', '5.7.64'),
        findingId('MF9@EX01.contoso.local', 'sales@adatum.com', '5.7.64'),
      ]);
    });
  }
});

describe('IIS SMTP log: a refusal of the whole transaction', () => {
  it('refuses every RCPT TO of a refused MAIL FROM and every recipient accepted before the message', async () => {
    const { findings, sources } = await analyse('ex261128.log');
    const session = (start: string) => `iis:RELAY02:52.101.1.1@2026-11-28T${start}.000Z#1`;
    expect(findings.map((f) => [f.messageId, f.recipient, f.returnPath, f.source.line])).toEqual([
      // MAIL FROM refused: the RCPT TOs after it were answered 503.
      [session('22:20:02'), 'vendor@adatum.com', 'app@fabrikam.com', 13],
      [session('22:20:02'), 'sales@adatum.com', 'app@fabrikam.com', 13],
      // Refused after DATA: both recipients had been accepted.
      [session('22:25:40'), 'ap@litware.com', 'scans@contoso.com', 28],
      [session('22:25:40'), 'ar@litware.com', 'scans@contoso.com', 28],
      // MAIL FROM's answer not written: the refusal is the first RCPT TO's, the next answer the second's.
      [session('22:31:10'), 'noc@adatum.com', 'alerts@fabrikam.com', 36],
    ]);
    expect(sources[0]?.notes ?? []).toEqual([]);
  });
});
