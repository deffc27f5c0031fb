/**
 * Mail logs whose lines are out of order — newest first, as a SIEM export (Splunk, Graylog, Kibana)
 * or `tac` lists them, or sorted by a time to the second — give each refusal the sender and
 * Message-ID of its message from the file's own lines, as the log in order does, and say so
 * (SENDER_READ_LATE) instead of claiming the from= line is missing (SENDER_NOT_SEEN). Found by a
 * hunt: Postfix's own bounce (`from=<>`) became foreign-sender-domain without sender, Exim's refusal
 * of billing@eu.fabrikam-group.com connector-mismatch. Fixtures:
 * test/fixtures/real-world/mail-logs-out-of-order/.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AnalysisInput, analyze } from '../../functions/core/analysis/analyze.js';
import { MtaLogReader } from '../../functions/core/analysis/formats/mta-log.js';
import type { TextSink } from '../../functions/core/analysis/formats/text-format.js';
import { TimestampParser } from '../../functions/core/analysis/input/timestamps.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { MemorySink } from '../support/memory-sink.js';
import { chunked } from '../support/streams.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'real-world', 'mail-logs-out-of-order');
const MX = 'contoso-com.mail.protection.outlook.com[52.101.1.1]';
const REFUSED =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';

/** `analyze` over in-memory files with --accepted-domains contoso.com --year 2026, and a window if given. */
async function analyse(files: { name: string; content: string }[], windowEvents?: number) {
  const inputs: AnalysisInput[] = files.map(({ name, content }) => {
    const bytes = Buffer.from(content, 'utf8');
    return { name, sourceId: name, size: bytes.length, open: () => chunked(bytes, 4096) };
  });
  const sink = new MemorySink();
  const now = new Date('2026-12-05T12:00:00Z');
  const result = await analyze(inputs, {
    domains: parseAcceptedDomains('contoso.com', 'accepted'),
    sink,
    now: () => now,
    year: 2026,
    windowEvents,
  });
  return { findings: [...sink.findings.values()], sources: result.sources };
}

/** What a finding says of its message: Message-ID, recipient, scenario, envelope sender, confidence. */
type Row = [string, string | undefined, string, string | undefined, string];

function rowsOf(findings: Finding[]): Row[] {
  return findings
    .map((f): Row => [f.messageId, f.recipient, f.scenario, f.returnPath, f.confidence])
    .sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`));
}

function noteCodes(source: SourceRecord | undefined): string[] {
  return (source?.notes ?? []).map((note) => note.code);
}

function noteOf(source: SourceRecord | undefined, code: string): string {
  return source?.notes?.find((note) => note.code === code)?.message ?? '';
}

async function fileRun(path: string) {
  const content = await readFile(path, 'utf8');
  const { findings, sources } = await analyse([{ name: path.split('/').pop() as string, content }]);
  return { rows: rowsOf(findings), source: sources[0] };
}

describe('a mail log out of order gives the findings of the log in order', () => {
  const cases = [
    ['postfix-sorted.log', 'sample-logs/postfix-mail.log', false],
    ['postfix-newest-first.log', 'sample-logs/postfix-mail.log', true],
    ['exim-newest-first.mainlog', 'sample-logs/exim-mainlog.log', true],
    ['sendmail-newest-first.maillog', 'test/fixtures/real-world/sendmail-dsn/maillog', true],
  ] as const;

  for (const [name, inOrder, reversed] of cases) {
    it(`${name}: each refusal has its sender and Message-ID, and no false SENDER_NOT_SEEN`, async () => {
      const control = await fileRun(join(ROOT, inOrder));
      const { rows, source } = await fileRun(join(FIXTURES, name));

      expect(rows).toEqual(control.rows);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((row) => row[3] === undefined)).toEqual([]);
      expect(noteCodes(source)).not.toContain('SENDER_NOT_SEEN');
      // Listed newest first, every sender comes after its deliveries: the file says so.
      expect(noteCodes(source).includes('SENDER_READ_LATE')).toBe(reversed);
    });
  }

  it("keeps Postfix's own bounce an ndr (from=<>), not foreign-sender-domain without sender", async () => {
    for (const name of ['postfix-sorted.log', 'postfix-newest-first.log']) {
      const { rows } = await fileRun(join(FIXTURES, name));
      expect(rows.filter((row) => row[1] === 'alerts@monitoring.contoso.com')).toEqual([
        ['20261128221003.4B81D2E0C5@relay01.contoso.com', 'alerts@monitoring.contoso.com', 'ndr', '', 'high'],
      ]);
    }
  });

  it('keeps the sender of an Exim refusal and the null sender of its bounce, listed newest first', async () => {
    const { rows } = await fileRun(join(FIXTURES, 'exim-newest-first.mainlog'));
    expect(
      rows.filter((row) => row[1] === 'supplier@litware.com' || row[1] === 'news@proseware.com'),
    ).toEqual([
      [
        'erp01.20261128223012.991@eu.fabrikam-group.com',
        'supplier@litware.com',
        'foreign-sender-domain',
        'billing@eu.fabrikam-group.com',
        'high',
      ],
      ['exim:1vF3kr-000Hn4-3T', 'news@proseware.com', 'ndr', '', 'high'],
    ]);
  });
});

describe('a short Postfix queue id reused, listed newest first', () => {
  it('gives each message its own sender, not the one read before it under the same queue id', async () => {
    const path = join(FIXTURES, 'postfix-reused-queue-id-newest-first.log');
    const { rows, source } = await fileRun(path);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    const inOrder = await analyse([{ name: 'in-order.log', content: `${lines.reverse().join('\n')}\n` }]);

    expect(rows).toEqual([
      [
        'alert.20261128234021.77@mon01.fabrikam.com',
        'noc@adatum.com',
        'foreign-sender-domain',
        'alerts@fabrikam.com',
        'high',
      ],
      [
        'PRN-FL3.20261128211407.0017@contoso.com',
        'ap@litware.com',
        'connector-mismatch',
        'scans@contoso.com',
        'medium',
      ],
    ]);
    expect(rows).toEqual(rowsOf(inOrder.findings));
    expect(noteCodes(source)).not.toContain('SENDER_NOT_SEEN');
  });
});

describe('a rotated log and its predecessor, each listed newest first', () => {
  const pair = join(ROOT, 'test', 'fixtures', 'real-world', 'postfix-rotation', 'cut-after-message-id');
  const newestFirst = (text: string) => `${text.trimEnd().split('\n').reverse().join('\n')}\n`;

  for (const order of ['mail.log.1 first', 'mail.log first']) {
    it(`gives the findings of the pair in order (${order}): the sender of one file, the Message-ID of the other`, async () => {
      const previous = await readFile(join(pair, 'mail.log.1'), 'utf8');
      const next = await readFile(join(pair, 'mail.log'), 'utf8');
      const inOrder = await analyse([
        { name: 'mail.log.1', content: previous },
        { name: 'mail.log', content: next },
      ]);
      const files = [
        { name: 'mail.log.1', content: newestFirst(previous) },
        { name: 'mail.log', content: newestFirst(next) },
      ];
      const reversed = await analyse(order === 'mail.log first' ? files.reverse() : files);

      expect(rowsOf(reversed.findings)).toEqual(rowsOf(inOrder.findings));
      // The refusal in mail.log, its from= line below it there, its message-id= line in mail.log.1.
      expect(rowsOf(reversed.findings).filter((row) => row[1] === 'noc@adatum.com')).toEqual([
        [
          '20261128221002.3F7A21C0B4@app01.contoso.local',
          'noc@adatum.com',
          'foreign-sender-domain',
          'alerts@monitoring.contoso.com',
          'high',
        ],
      ]);
      expect(reversed.sources.flatMap((source) => noteCodes(source))).not.toContain('SENDER_NOT_SEEN');
    });
  }
});

describe('the lines of one second in any order', () => {
  const message = [
    'Nov 28 22:10:02 relay01 postfix/cleanup[24111]: 3F7A21C0B4: message-id=<mon01.771@mon01.fabrikam.com>',
    'Nov 28 22:10:02 relay01 postfix/qmgr[1187]: 3F7A21C0B4: from=<alerts@fabrikam.com>, size=2841, nrcpt=1 (queue active)',
    `Nov 28 22:10:02 relay01 postfix/smtp[24117]: 3F7A21C0B4: to=<noc@adatum.com>, relay=${MX}:25, delay=0.4, delays=0.05/0.01/0.2/0.1, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`,
    'Nov 28 22:10:02 relay01 postfix/qmgr[1187]: 3F7A21C0B4: removed',
  ];

  function* orders(items: readonly string[]): Generator<string[]> {
    if (items.length <= 1) {
      yield [...items];
      return;
    }
    for (let i = 0; i < items.length; i++) {
      const rest = [...items.slice(0, i), ...items.slice(i + 1)];
      for (const order of orders(rest)) yield [items[i] as string, ...order];
    }
  }

  it('give the refusal its sender and Message-ID in each of the 24 orders', async () => {
    const results: string[] = [];
    for (const order of orders(message)) {
      const { findings, sources } = await analyse([{ name: 'mail.log', content: `${order.join('\n')}\n` }]);
      const seen = rowsOf(findings).map((row) => `${row[0]} ${row[2]} ${row[3]}`);
      results.push(
        `${seen.join(', ')}${noteCodes(sources[0]).includes('SENDER_NOT_SEEN') ? ' SENDER_NOT_SEEN' : ''}`,
      );
    }
    expect(results).toHaveLength(24);
    expect(new Set(results)).toEqual(
      new Set(['mon01.771@mon01.fabrikam.com foreign-sender-domain alerts@fabrikam.com']),
    );
  });
});

describe('a Message-ID read between deliveries of its message, its sender after them', () => {
  it('gives the sender to the delivery named by the Message-ID as to the one named by the stand-in', async () => {
    // A bounce (5.1.10, handed on under the stand-in), message-id=, the refusal (under the Message-ID), from=.
    const text = [
      `Nov 28 22:10:03 relay01 postfix/smtp[24117]: 3F7A21C0B4: to=<nobody@adatum.com>, relay=${MX}:25, delay=0.6, delays=0.1/0/0.2/0.3, dsn=5.1.10, status=bounced (host ${MX} said: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@adatum.com not found by SMTP address lookup (in reply to RCPT TO command))`,
      'Nov 28 22:10:02 relay01 postfix/cleanup[24111]: 3F7A21C0B4: message-id=<mon01.771@mon01.fabrikam.com>',
      `Nov 28 22:10:03 relay01 postfix/smtp[24117]: 3F7A21C0B4: to=<noc@adatum.com>, relay=${MX}:25, delay=0.7, delays=0.1/0/0.3/0.3, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`,
      'Nov 28 22:10:02 relay01 postfix/qmgr[1187]: 3F7A21C0B4: from=<alerts@fabrikam.com>, size=2841, nrcpt=2 (queue active)',
      'Nov 28 22:10:03 relay01 postfix/qmgr[1187]: 3F7A21C0B4: removed',
    ].join('\n');
    const { findings, sources } = await analyse([{ name: 'mail.log', content: `${text}\n` }]);

    expect(rowsOf(findings)).toEqual([
      [
        'mon01.771@mon01.fabrikam.com',
        'noc@adatum.com',
        'foreign-sender-domain',
        'alerts@fabrikam.com',
        'high',
      ],
    ]);
    expect(noteCodes(sources[0])).not.toContain('SENDER_NOT_SEEN');
  });
});

describe('how far a sender may come after its refusal', () => {
  /**
   * A busy Postfix relay: `count` messages, one arriving a second, each refused two seconds later
   * (while the next two arrive), logged in order.
   */
  function busyLog(count: number): string {
    const at = (second: number) =>
      `Nov 28 22:${String(10 + Math.floor(second / 60)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')} relay01`;
    const lines: [number, string][] = [];
    for (let i = 0; i < count; i++) {
      const id = `4${String(i).padStart(9, '0')}`;
      const sender = `app${i % 7}@${i % 2 ? 'contoso.com' : 'fabrikam.com'}`;
      lines.push(
        [i, `${at(i)} postfix/cleanup[100]: ${id}: message-id=<m${i}@app01.contoso.local>`],
        [i, `${at(i)} postfix/qmgr[9]: ${id}: from=<${sender}>, size=900, nrcpt=1 (queue active)`],
        [
          i + 2,
          `${at(i + 2)} postfix/smtp[200]: ${id}: to=<r${i}@adatum.com>, relay=${MX}:25, delay=2.1, delays=0.1/0/1/1, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`,
        ],
        [i + 2, `${at(i + 2)} postfix/qmgr[9]: ${id}: removed`],
      );
    }
    lines.sort((a, b) => a[0] - b[0]); // stable: the lines of a second as logged
    return `${lines.map(([, line]) => line).join('\n')}\n`;
  }

  it('a log reversed as a whole: as far as the events logged while its message was queued, not the file', async () => {
    const text = busyLog(300);
    const reversed = `${text.trimEnd().split('\n').reverse().join('\n')}\n`;
    // A window of 8 events, and 300 refusals: the file is far longer than the window.
    const inOrder = await analyse([{ name: 'mail.log', content: text }], 8);
    const newestFirst = await analyse([{ name: 'mail.log', content: reversed }], 8);

    expect(rowsOf(newestFirst.findings)).toEqual(rowsOf(inOrder.findings));
    expect(newestFirst.findings).toHaveLength(300);
    expect(newestFirst.findings.filter((f) => f.returnPath === undefined)).toHaveLength(0);
    expect(noteCodes(newestFirst.sources[0])).not.toContain('SENDER_NOT_SEEN');
    const late = noteOf(newestFirst.sources[0], 'SENDER_READ_LATE');
    expect(late).toMatch(/^300 messages have delivery lines before their from= line: /);
    // Each sender came as many events after its refusal as were logged while its message was queued.
    const farthest = Number(/read at most (\d+) events? after them/.exec(late)?.[1]);
    expect(farthest).toBeGreaterThan(0);
    expect(farthest).toBeLessThanOrEqual(8);
  });

  it('a log newest first by the second, the lines of a second in file order: the same', async () => {
    const text = busyLog(300);
    // Sorted on a whole-second time, descending, as a SIEM lists it: each second's lines as logged.
    const seconds = new Map<string, string[]>();
    for (const line of text.trimEnd().split('\n')) {
      const second = line.slice(0, 15);
      seconds.set(second, [...(seconds.get(second) ?? []), line]);
    }
    const bySecond = `${[...seconds.values()].reverse().flat().join('\n')}\n`;
    const inOrder = await analyse([{ name: 'mail.log', content: text }], 8);
    const newestFirst = await analyse([{ name: 'mail.log', content: bySecond }], 8);

    expect(rowsOf(newestFirst.findings)).toEqual(rowsOf(inOrder.findings));
    expect(newestFirst.findings.filter((f) => f.returnPath === undefined)).toHaveLength(0);
    expect(noteCodes(newestFirst.sources[0])).not.toContain('SENDER_NOT_SEEN');
  });

  /**
   * Exim logs a message's sender once, when it arrives (`<=`): BI01's report deferred `451 4.4.62` at
   * 08:00 and again at 09:00, while 40 other messages were refused. Newest first, its `<=` line is
   * below all of them.
   */
  function longDeferral(): string {
    const report = '1vA000-000001-AA';
    const deferral = (time: string) =>
      `2026-11-28 ${time} ${report} == treasury@woodgrovebank.com R=smarthost T=remote_smtp_smarthost defer (-44) H=contoso-com.mail.protection.outlook.com [52.101.1.1]: SMTP error from remote mail server after RCPT TO:<treasury@woodgrovebank.com>: 451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]`;
    const lines = [
      `2026-11-28 08:00:00 ${report} <= reports@contoso.com H=(bi01) [10.0.2.48] P=esmtp S=20480 id=bi01.5521@contoso.com`,
      deferral('08:00:01'),
    ];
    for (let i = 0; i < 40; i++) {
      const id = `1vA${String(i + 100).padStart(3, '0')}-000002-BB`;
      const at = `2026-11-28 08:${String(10 + i).padStart(2, '0')}`;
      lines.push(
        `${at}:00 ${id} <= news@fabrikam.com H=(mkt01) [10.0.2.45] P=esmtp S=8830 id=news.${i}@fabrikam.com`,
        `${at}:01 ${id} ** buyer${i}@wingtiptoys.com R=smarthost T=remote_smtp_smarthost H=contoso-com.mail.protection.outlook.com [52.101.1.1]: SMTP error from remote mail server after RCPT TO:<buyer${i}@wingtiptoys.com>: ${REFUSED}`,
        `${at}:01 ${id} Completed`,
      );
    }
    lines.push(deferral('09:00:01'));
    return `${lines.reverse().join('\n')}\n`;
  }

  it('reaches its refusal when the window holds it, and the note says how far it came', async () => {
    const text = longDeferral();
    const probe = await analyse([{ name: 'mainlog', content: text }]);
    const late = noteOf(probe.sources[0], 'SENDER_READ_LATE');
    const farthest = Number(/read at most (\d+) events? after them/.exec(late)?.[1]);
    // 40 refusals and 40 senders read after them lie between the report's deferral and its <= line.
    expect(farthest).toBeGreaterThan(80);

    const senderOf = async (windowEvents: number) => {
      const { findings } = await analyse([{ name: 'mainlog', content: text }], windowEvents);
      return findings.find((f) => f.recipient === 'treasury@woodgrovebank.com')?.returnPath;
    };
    expect(await senderOf(farthest)).toBe('reports@contoso.com');
    // One event less and the refusal has left the window when its sender is read.
    expect(await senderOf(farthest - 1)).toBeUndefined();
  });
});

describe('a log in order', () => {
  it('says nothing of lines out of order when Postfix logs from= again on a retry after the rotation', async () => {
    // The deferral's first from= line is in mail.log.1: the retry's, later, gives it.
    const deferred = (time: string, delay: string) =>
      `Nov 29 ${time} relay01 postfix/smtp[31374]: A1C3E5F709: to=<ap@woodgrovebank.com>, relay=${MX}:25, delay=${delay}, delays=26100/0.1/0.9/1, dsn=4.4.62, status=deferred (host ${MX} said: 451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. [AM0PR01MB1234.eurprd01.prod.exchangelabs.com] (in reply to RCPT TO command))`;
    const text = [
      deferred('07:05:15', '26102'),
      'Nov 29 08:11:54 relay01 postfix/qmgr[1187]: A1C3E5F709: from=<invoices@fabrikam-group.com>, size=48213, nrcpt=1 (queue active)',
      deferred('08:11:55', '30102'),
    ].join('\n');
    const { findings, sources } = await analyse([{ name: 'mail.log', content: `${text}\n` }]);

    expect(findings.map((f) => [f.recipient, f.scenario, f.returnPath])).toEqual([
      ['ap@woodgrovebank.com', 'wrong-region', 'invoices@fabrikam-group.com'],
    ]);
    expect(noteCodes(sources[0])).toEqual(['SYSLOG_YEAR']);
  });
});

describe('a log read newest first holds no more messages than it waits for', () => {
  it('gives every refusal its sender past the queue cap, and forgets none', () => {
    const lines: string[] = [];
    for (let i = 0; i < 50; i++) {
      const id = `Q${String(i).padStart(9, '0')}`;
      const at = `Nov 28 22:${String(10 + i).padStart(2, '0')}`;
      lines.push(
        `${at}:01 relay1 postfix/qmgr[9]: ${id}: from=<app${i}@contoso.com>, size=1, nrcpt=1 (queue active)`,
        `${at}:02 relay1 postfix/smtp[2]: ${id}: to=<r${i}@adatum.com>, relay=${MX}:25, delay=1, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED})`,
        `${at}:02 relay1 postfix/qmgr[9]: ${id}: removed`,
      );
    }
    const events: TraceEvent[] = [];
    const sink: TextSink = { row() {}, count() {}, skip() {}, event: (event) => void events.push(event) };
    const context = {
      file: 'mail.log',
      timestamps: new TimestampParser(),
      now: new Date(),
      isRelevant: () => true,
    };
    // Room for 5 queued messages, 50 messages: read newest first, each is done once its sender is read.
    const reader = new MtaLogReader(context, 5);
    reader.push(lines.reverse().join('\n'), sink);
    reader.end(sink);

    const late = new Map(
      events.filter((e) => e.eventId === 'QUEUED_LATE').map((e) => [e.internalMessageId, e]),
    );
    const refusals = events.filter((e) => e.eventId === 'FAIL');
    expect(refusals).toHaveLength(50);
    expect(refusals.map((e) => late.get(e.messageId)?.returnPath)).toEqual(
      refusals.map((e) => e.recipient?.replace(/^r(\d+)@adatum\.com$/, 'app$1@contoso.com')),
    );
    expect(reader.notes().map((note) => note.code)).not.toContain('QUEUE_IDS_FORGOTTEN');
  });
});

describe('the removed messages kept for their later lines are bounded', () => {
  /** Two messages whose `removed` lines were sorted before their refusals (the same second). */
  const sorted = [
    'Nov 28 22:10:02 relay1 postfix/qmgr[9]: AAAAA11111: from=<a@contoso.com>, size=1, nrcpt=1 (queue active)',
    'Nov 28 22:10:02 relay1 postfix/qmgr[9]: BBBBB22222: from=<b@contoso.com>, size=1, nrcpt=1 (queue active)',
    'Nov 28 22:10:03 relay1 postfix/qmgr[9]: AAAAA11111: removed',
    'Nov 28 22:10:03 relay1 postfix/qmgr[9]: BBBBB22222: removed',
    `Nov 28 22:10:03 relay1 postfix/smtp[2]: AAAAA11111: to=<x@adatum.com>, relay=${MX}:25, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED})`,
    `Nov 28 22:10:03 relay1 postfix/smtp[2]: BBBBB22222: to=<y@adatum.com>, relay=${MX}:25, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED})`,
  ].join('\n');

  function senders(maxRemoved: number): (string | undefined)[] {
    const events: TraceEvent[] = [];
    const sink: TextSink = { row() {}, count() {}, skip() {}, event: (event) => void events.push(event) };
    const context = {
      file: 'mail.log',
      timestamps: new TimestampParser(),
      now: new Date(),
      isRelevant: () => true,
    };
    const reader = new MtaLogReader(context, 100, maxRemoved);
    reader.push(sorted, sink);
    reader.end(sink);
    return events.filter((e) => e.eventId === 'FAIL').map((e) => e.returnPath);
  }

  it('gives each refusal read after its removed line its sender, within the bound, and forgets the oldest past it', () => {
    expect(senders(2)).toEqual(['a@contoso.com', 'b@contoso.com']);
    expect(senders(1)).toEqual([undefined, 'b@contoso.com']);
  });

  it('keeps a message whose sender is still to come queued, not among them', () => {
    // Newest first by the second: each refusal and removal above the from= lines of all three.
    const refused = (second: string, id: string, to: string) => [
      `Nov 28 22:10:${second} relay1 postfix/smtp[2]: ${id}: to=<${to}>, relay=${MX}:25, delay=4, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED})`,
      `Nov 28 22:10:${second} relay1 postfix/qmgr[9]: ${id}: removed`,
    ];
    const queued = (second: string, id: string, from: string) =>
      `Nov 28 22:10:${second} relay1 postfix/qmgr[9]: ${id}: from=<${from}>, size=1, nrcpt=1 (queue active)`;
    const text = [
      ...refused('10', 'AAAAA11111', 'x@adatum.com'),
      ...refused('09', 'BBBBB22222', 'y@adatum.com'),
      ...refused('08', 'CCCCC33333', 'z@adatum.com'),
      queued('07', 'BBBBB22222', 'b@contoso.com'),
      queued('06', 'CCCCC33333', 'c@contoso.com'),
      queued('05', 'AAAAA11111', 'a@contoso.com'),
    ].join('\n');
    const events: TraceEvent[] = [];
    const sink: TextSink = { row() {}, count() {}, skip() {}, event: (event) => void events.push(event) };
    const context = {
      file: 'mail.log',
      timestamps: new TimestampParser(),
      now: new Date(),
      isRelevant: () => true,
    };
    const reader = new MtaLogReader(context, 100, 1);
    reader.push(text, sink);
    reader.end(sink);

    const late = events.filter((e) => e.eventId === 'QUEUED_LATE');
    expect(late.map((e) => [e.internalMessageId?.split('@')[0], e.returnPath])).toEqual([
      ['postfix:relay1:BBBBB22222', 'b@contoso.com'],
      ['postfix:relay1:CCCCC33333', 'c@contoso.com'],
      ['postfix:relay1:AAAAA11111', 'a@contoso.com'],
    ]);
  });
});
