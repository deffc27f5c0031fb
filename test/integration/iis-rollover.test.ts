/**
 * An IIS SMTP service log that rolled over in the middle of sessions: IIS starts the next ex*.log at
 * the hour, day or size set in the SMTP virtual server's logging properties, and a session open then
 * goes on in it, its first rows there answers and commands without the greeting. Analysed together,
 * in either order, the logs give the findings the whole log gives; the later log alone keeps every
 * refusal, each recipient its own finding, and says what it lacks. A session is joined to the one of
 * its relay and remote handed on last before it, through every log in which it went on, not over a
 * missing log; a message begun after the rollover is its own. The send protocol log's hand-over (the same
 * mechanism) names the message's one recipient when the message's answer is in the next log.
 * Fixtures: test/fixtures/real-world/iis-rollover/ (its README); the size-based shapes are built here.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/iis-rollover';

/** What a finding says, in an order that does not depend on the order of the files. */
const said = (findings: readonly Finding[]) =>
  findings
    .map((f) => [f.scenario, f.returnPath, f.recipient, f.confidence, f.messageId, f.id].join(' | '))
    .sort();

const analyse = async (files: readonly TextFile[]) => {
  const { findings, sources } = await analyzeFiles(files, { accepted: 'contoso.com' });
  return { findings, sources, notes: sources.map((source) => (source.notes ?? []).map((note) => note.code)) };
};

const fixture = async (name: string): Promise<TextFile> => ({
  name: `SMTPSVC1/${name}`,
  content: await readFile(`${DIR}/${name}`, 'utf8'),
});

describe('an hourly IIS SMTP log that rolled over inside three sessions', () => {
  it('gives, both logs analysed in either order, the findings and ids of the whole log, with no note', async () => {
    const [first, second] = [await fixture('ex26112822.log'), await fixture('ex26112823.log')];
    // What IIS would have written without the rollover: the rows of the next hour after the first's.
    const rows = String(second.content)
      .split('\r\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    const whole = await analyse([
      { name: 'SMTPSVC1/ex261128.log', content: `${first.content}${rows.join('\r\n')}\r\n` },
    ]);
    expect(whole.findings.map((f) => [f.recipient, f.returnPath])).toEqual([
      ['noc@adatum.com', 'alerts@fabrikam.com'],
      ['ap@litware.com', 'scans@contoso.com'],
      ['ar@litware.com', 'scans@contoso.com'],
      ['orders@fourthcoffee.com', 'scans@contoso.com'],
      ['vendor@adatum.com', 'app@fabrikam.com'],
    ]);
    for (const files of [
      [first, second],
      [second, first],
    ]) {
      const split = await analyse(files);
      expect(said(split.findings)).toEqual(said(whole.findings));
      expect(split.notes).toEqual([[], []]);
    }
  });

  it('keeps, the later log alone, every refusal and each recipient apart, and says the start is missing', async () => {
    const { findings, sources } = await analyse([await fixture('ex26112823.log')]);
    expect(findings.map((f) => [f.source.line, f.recipient, f.returnPath])).toEqual([
      [7, '', undefined], // B: answers a RCPT TO of the earlier log
      [19, 'ap@litware.com', undefined], // A: after the message, both its recipients accepted here
      [19, 'ar@litware.com', undefined],
      [22, '', undefined], // C: answers the DATA of the earlier log
      [32, 'vendor@adatum.com', 'app@fabrikam.com'], // a session begun in this log
    ]);
    expect(new Set(findings.map((f) => f.id)).size).toBe(5);
    expect(sources[0]?.notes).toEqual([
      expect.objectContaining({
        code: 'SESSIONS_JOINED_LATE',
        message: expect.stringMatching(/^4 refusals /),
      }),
    ]);
  });

  it('does not join a session a log handed on a day before (the log between is missing)', async () => {
    const first = await fixture('ex26112822.log');
    const second = await fixture('ex26112823.log');
    const dayLater = {
      name: 'SMTPSVC1/ex26112923.log',
      content: String(second.content).replaceAll('2026-11-28', '2026-11-29'),
    };
    const { findings, notes } = await analyse([first, dayLater]);
    expect(findings.map((f) => [f.recipient, f.returnPath])).toEqual([
      ['', undefined],
      ['ap@litware.com', undefined],
      ['ar@litware.com', undefined],
      ['', undefined],
      ['vendor@adatum.com', 'app@fabrikam.com'],
    ]);
    expect(notes).toEqual([[], ['SESSIONS_JOINED_LATE']]);
  });
});

/** A W3C log of RELAY02 with the rows given (`#Date:` from the first), as IIS starts each file. */
function iisLog(name: string, rows: readonly string[]): TextFile {
  const header = [
    '#Software: Microsoft Internet Information Services 6.0',
    '#Version: 1.0',
    `#Date: ${rows[0]?.split(' ').slice(0, 2).join(' ')}`,
    '#Fields: date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status sc-win32-status sc-bytes cs-bytes time-taken cs-version cs-host cs(User-Agent) cs(Cookie) cs(Referer)',
  ];
  return { name: `SMTPSVC1/${name}`, content: `${[...header, ...rows].join('\r\n')}\r\n` };
}

/** An outbound row of the session with Exchange Online at 52.101.1.1. */
const out = (time: string, kind: 'Command' | 'Response', method: string, query: string) =>
  `2026-11-28 ${time} 52.101.1.1 OutboundConnection${kind} SMTPSVC1 RELAY02 - 25 ${method} - ${query.replaceAll(' ', '+')} 0 0 20 0 16 SMTP - - - -`;
const say = (time: string, verb: string, argument = '-') => out(time, 'Command', verb, argument);
const hear = (time: string, answer: string) => out(time, 'Response', '-', answer);
const GREETING = '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready';
const REFUSED =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const opened = (time: string, from: string) => [
  hear(time, GREETING),
  say(time, 'EHLO', 'relay02.contoso.local'),
  say(time, 'MAIL', `FROM:<${from}>`),
  hear(time, '250 2.1.0 Sender OK'),
];

describe('IIS SMTP logs rolled over by size (extendN.log)', () => {
  it('joins a refusal to the session of the remote handed on last before it', async () => {
    const logs = [
      // A 4 MB message under way when the file is full…
      iisLog('extend1.log', [
        ...opened('10:00:00', 'scans@contoso.com'),
        say('10:00:00', 'RCPT', 'TO:<x1@litware.com>'),
        hear('10:00:00', '250 2.1.5 Recipient OK'),
        say('10:00:00', 'DATA'),
        hear('10:00:00', '354 Start mail input; end with <CRLF>.<CRLF>'),
      ]),
      // …is queued in the next, and another session with the same remote begins before it is full.
      iisLog('extend2.log', [
        hear('10:00:05', '250 2.6.0 <4F1A@RELAY02.contoso.local> Queued mail for delivery'),
        say('10:00:05', 'QUIT'),
        hear('10:00:05', '221 2.0.0 Service closing transmission channel'),
        ...opened('10:04:00', 'billing@fabrikam.com'),
      ]),
      iisLog('extend3.log', [
        say('10:04:01', 'RCPT', 'TO:<y1@litware.com>'),
        hear('10:04:02', REFUSED),
        say('10:04:02', 'QUIT'),
        hear('10:04:02', '221 2.0.0 Service closing transmission channel'),
      ]),
    ];
    const [first, second, third] = logs as [TextFile, TextFile, TextFile];
    // In the order of their names (a folder), the reverse, the refusal's log first, and the two
    // earlier ones before it in either order (see OpenSessions.fill for the order it cannot tell).
    for (const files of [
      [first, second, third],
      [third, second, first],
      [third, first, second],
      [second, first, third],
    ]) {
      const { findings, notes } = await analyse(files);
      expect(findings.map((f) => [f.recipient, f.returnPath, f.messageId])).toEqual([
        ['y1@litware.com', 'billing@fabrikam.com', 'iis:RELAY02:52.101.1.1@2026-11-28T10:04:00.000Z#1'],
      ]);
      expect(notes).toEqual([[], [], []]);
    }
  });

  it('pairs through a log in which the session went on, as the three logs read as one', async () => {
    const rows = [
      [
        ...opened('10:00:00', 'scans@contoso.com'),
        say('10:00:00', 'RCPT', 'TO:<a1@litware.com>'),
        say('10:00:00', 'RCPT', 'TO:<b1@litware.com>'),
      ],
      // The file is full after the answer to the first RCPT TO; the session goes on in the next.
      [hear('10:00:01', '250 2.1.5 Recipient OK')],
      [
        hear('10:00:01', REFUSED),
        say('10:00:01', 'QUIT'),
        hear('10:00:01', '221 2.0.0 Service closing transmission channel'),
      ],
    ];
    const whole = await analyse([iisLog('extend.log', rows.flat())]);
    const said = whole.findings.map((f) => [f.recipient, f.returnPath, f.messageId]);
    // Not a1@, which the answer in extend2.log accepted: extend3.log's first answer is to b1@'s RCPT TO.
    expect(said).toEqual([
      ['b1@litware.com', 'scans@contoso.com', 'iis:RELAY02:52.101.1.1@2026-11-28T10:00:00.000Z#1'],
    ]);
    const logs = rows.map((part, at) => iisLog(`extend${at + 1}.log`, part));
    const [first, second, third] = logs as [TextFile, TextFile, TextFile];
    for (const files of [logs, [third, second, first], [first, third, second], [second, first, third]]) {
      const { findings, notes } = await analyse(files);
      expect(findings.map((f) => [f.recipient, f.returnPath, f.messageId])).toEqual(said);
      expect(notes).toEqual([[], [], []]);
    }
  });

  it('pairs the first answers in the next log with the commands the earlier one left unanswered', async () => {
    // RCPT TO pipelined across the rollover: the answers come in the order of the commands.
    const earlier = iisLog('extend1.log', [
      ...opened('10:00:00', 'alerts@fabrikam.com'),
      say('10:00:00', 'RCPT', 'TO:<noc@adatum.com>'),
    ]);
    const later = iisLog('extend2.log', [
      say('10:00:00', 'RCPT', 'TO:<oncall@adatum.com>'),
      hear('10:00:01', REFUSED),
      hear('10:00:01', '250 2.1.5 Recipient OK'),
      say('10:00:01', 'QUIT'),
      hear('10:00:01', '221 2.0.0 Service closing transmission channel'),
    ]);
    for (const files of [
      [earlier, later],
      [later, earlier],
    ]) {
      const { findings, notes } = await analyse(files);
      expect(findings.map((f) => [f.recipient, f.returnPath])).toEqual([
        ['noc@adatum.com', 'alerts@fabrikam.com'],
      ]);
      expect(notes).toEqual([[], []]);
    }
  });

  it('keeps apart a message begun after the rollover from the one under way, in the same second', async () => {
    const earlier = iisLog('extend1.log', opened('10:00:00', 'scans@contoso.com'));
    // The message under way is refused after its DATA; the relay sends the next one on the session.
    const later = iisLog('extend2.log', [
      say('10:00:00', 'RCPT', 'TO:<ap@litware.com>'),
      hear('10:00:00', '250 2.1.5 Recipient OK'),
      say('10:00:00', 'DATA'),
      hear('10:00:00', '354 Start mail input; end with <CRLF>.<CRLF>'),
      hear('10:00:00', REFUSED),
      say('10:00:00', 'MAIL', 'FROM:<scans@contoso.com>'),
      hear('10:00:00', '250 2.1.0 Sender OK'),
      say('10:00:00', 'RCPT', 'TO:<ap@litware.com>'),
      hear('10:00:00', '250 2.1.5 Recipient OK'),
      say('10:00:00', 'DATA'),
      hear('10:00:01', '354 Start mail input; end with <CRLF>.<CRLF>'),
      hear('10:00:01', REFUSED),
      say('10:00:01', 'QUIT'),
      hear('10:00:01', '221 2.0.0 Service closing transmission channel'),
    ]);
    for (const files of [
      [earlier, later],
      [later, earlier],
    ]) {
      const { findings, result } = await analyzeFiles(files, { accepted: 'contoso.com' });
      expect(findings.map((f) => [f.recipient, f.returnPath, f.messageId])).toEqual([
        ['ap@litware.com', 'scans@contoso.com', 'iis:RELAY02:52.101.1.1@2026-11-28T10:00:00.000Z#1'],
        [
          'ap@litware.com',
          'scans@contoso.com',
          'iis:RELAY02:52.101.1.1@2026-11-28T10:00:00.000Z#continued-1',
        ],
      ]);
      expect(result.sources.map((source) => source.notes ?? [])).toEqual([[], []]);
    }
  });
});

describe('a send protocol log rolled over while the message was being sent', () => {
  const FIELDS =
    '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context';
  const preamble = [
    '#Software: Microsoft Exchange Server',
    '#Version: 15.02.1544.004',
    '#Log-type: SMTP Send Protocol Log',
  ];
  let sequence = 0;
  const row = (ms: number, event: string, data = '', context = '') =>
    `2026-11-28T10:05:${String(31 + Math.floor(ms / 1000)).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}Z,EX01\\Outbound to Office 365,08DF3C2B1A09F8F9,${sequence++},10.0.1.11:41879,52.101.1.1:25,${event},${data},${context}`;
  const start = [
    ...preamble,
    '#Date: 2026-11-28T10:00:00.118Z',
    FIELDS,
    row(120, '+'),
    row(141, '<', '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready'),
    row(142, '>', 'EHLO mail.contoso.com'),
    row(
      160,
      '<',
      '250  AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [203.0.113.25] SIZE 157286400 PIPELINING CHUNKING',
    ),
    row(
      161,
      '*',
      '',
      'sending message with RecordId 25471690009 and InternetMessageId <MF9@EX01.contoso.local>',
    ),
    row(162, '>', 'MAIL FROM:<app@fabrikam.com> SIZE=48112'),
    row(162, '>', 'RCPT TO:<vendor@adatum.com>'),
    row(190, '<', '250 2.1.0 Sender OK'),
    row(191, '<', '250 2.1.5 Recipient OK'),
    row(192, '>', 'BDAT 48112 LAST'),
  ];
  const end = [
    ...preamble,
    '#Date: 2026-11-28T10:05:32.000Z',
    FIELDS,
    row(1402, '<', REFUSED),
    row(1403, '>', 'QUIT'),
    row(1420, '<', '221 2.0.0 Service closing transmission channel'),
    row(1421, '-', '', 'Local'),
  ];
  const files = [
    { name: 'SEND2026112810-1.LOG', content: `${start.join('\r\n')}\r\n` },
    { name: 'SEND2026112810-2.LOG', content: `${end.join('\r\n')}\r\n` },
  ];

  it("names the message's one recipient when its answer is in the next log, in either order", async () => {
    for (const order of [files, [...files].reverse()]) {
      const { findings, notes } = await analyse(order);
      expect(findings.map((f) => [f.recipient, f.returnPath, f.messageId])).toEqual([
        ['vendor@adatum.com', 'app@fabrikam.com', 'MF9@EX01.contoso.local'],
      ]);
      expect(notes).toEqual([[], []]);
    }
  });
});
