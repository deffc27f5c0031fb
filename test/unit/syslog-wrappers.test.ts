/**
 * The wrappers around syslog lines, line by line (formats/syslog.ts): what each gives as date, host,
 * program and text, and what is no line of theirs. The files as a whole: test/integration/mail-log-wrappers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { SyslogDates } from '../../functions/core/analysis/formats/syslog.js';
import { analyzeFiles } from '../support/analyze-text.js';

const TEXT = '3F7A21C0B4: to=<noc@adatum.com>, status=bounced';

function parse(line: string) {
  return new SyslogDates({ now: new Date('2026-12-05T00:00:00Z') }).parse(line);
}

function line(timestamp: string, host: string, program: string, message = TEXT) {
  return { timestamp, host, program, message };
}

/** A line whose time was written with a zone: minutes east of UTC, as the line wrote it. */
function zoned(zone: number, timestamp: string, host: string, program: string) {
  return { ...line(timestamp, host, program), zone };
}

describe('RFC 5424', () => {
  it('takes the time, host and APP-NAME, and the message after the structured data', () => {
    expect(parse(`<22>1 2026-11-28T22:10:02.861532+01:00 relay02 postfix 24117 - -  ${TEXT}`)).toEqual(
      zoned(60, '2026-11-28T21:10:02.861Z', 'relay02', 'postfix'),
    );
    // Elements whose values hold an escaped quote and bracket; a BOM before the message.
    expect(
      parse(
        `<22>1 2026-11-28T21:10:02Z relay03 postfix/smtp 4711 ID47 [a@1 x="q\\"]"][b@1 y="\\\\"] \uFEFF${TEXT}`,
      ),
    ).toEqual(zoned(0, '2026-11-28T21:10:02.000Z', 'relay03', 'postfix/smtp'));
    // Without its <PRI>, as a file template may write it; no APP-NAME: the tag leads the message.
    expect(parse(`1 2026-11-28T21:10:02Z relay03 - - - - postfix/smtp[4711]: ${TEXT}`)).toEqual(
      zoned(0, '2026-11-28T21:10:02.000Z', 'relay03', 'postfix/smtp'),
    );
  });

  it('is a line without a date when its TIMESTAMP is "-", and no line at all with broken structured data', () => {
    expect(parse(`<22>1 - relay02 postfix 24117 - - ${TEXT}`)).toBe('bad-date');
    expect(parse(`<22>1 2026-11-28T21:10:02Z relay02 postfix 24117 - [meta x="1" ${TEXT}`)).toBeUndefined();
    expect(parse(`<22>1 2026-11-28T21:10:02Z relay02 postfix 24117 - meta ${TEXT}`)).toBeUndefined();
  });
});

describe('a facility and severity beside the host, and Solaris message ids', () => {
  it.each([
    ['after the host', `Nov 28 22:10:02 relay01 mail.info postfix/smtp[24117]: ${TEXT}`],
    ["rsyslog's %pri-text%", `Nov 28 22:10:02 relay01 mail.info<22> postfix/smtp[24117]: ${TEXT}`],
    [
      'before the host (FreeBSD syslogd -v -v)',
      `Nov 28 22:10:02 <mail.info> relay01 postfix/smtp[24117]: ${TEXT}`,
    ],
    ['by number (FreeBSD syslogd -v)', `Nov 28 22:10:02 <2.6> relay01 postfix/smtp[24117]: ${TEXT}`],
    [
      'Solaris [ID n facility.severity]',
      `Nov 28 22:10:02 relay01 postfix/smtp[24117]: [ID 801593 mail.info] ${TEXT}`,
    ],
  ])('%s', (_, text) => {
    expect(parse(text)).toEqual(line('2026-11-28T22:10:02.000Z', 'relay01', 'postfix/smtp'));
  });

  it('takes no other word for a facility', () => {
    expect(parse(`Nov 28 22:10:02 relay01 mail.chatty postfix/smtp[24117]: ${TEXT}`)).toBeUndefined();
  });
});

describe('syslog lines without a host', () => {
  it('takes the word after the date for the tag when it is one, as templates without the host write it', () => {
    expect(parse(`Nov 28 22:10:02 postfix/smtp[24117]: ${TEXT}`)).toEqual(
      line('2026-11-28T22:10:02.000Z', '', 'postfix/smtp'),
    );
    expect(parse(`2026-11-28T22:10:02+01:00 postfix/smtp: ${TEXT}`)).toEqual(
      zoned(60, '2026-11-28T21:10:02.000Z', '', 'postfix/smtp'),
    );
  });

  it('takes no queue id for a program: a text without its tag is no syslog line', () => {
    expect(parse(`Nov 28 22:10:02 ${TEXT}`)).toBeUndefined();
    expect(parse(`2026-11-28T21:15:33Z stdout F ${TEXT}`)).toBeUndefined();
    // RFC 5424 without APP-NAME, as a template that writes `-` for it: the program is not known.
    expect(parse(`<22>1 2026-11-28T21:10:02Z relay02 - - - - ${TEXT}`)).toEqual(
      zoned(0, '2026-11-28T21:10:02.000Z', 'relay02', ''),
    );
  });
});

describe('journalctl -o json', () => {
  const record = (fields: Record<string, unknown>) =>
    JSON.stringify({
      __REALTIME_TIMESTAMP: '1795900202862000',
      _HOSTNAME: 'relay01',
      MESSAGE: TEXT,
      ...fields,
    });

  it('dates a record by the time its program gave, else when the journal received it', () => {
    expect(
      parse(record({ SYSLOG_IDENTIFIER: 'postfix/smtp', _SOURCE_REALTIME_TIMESTAMP: '1795900202861532' })),
    ).toEqual(line('2026-11-28T21:10:02.861Z', 'relay01', 'postfix/smtp'));
    // -o json-seq: a record separator before each record; no identifier: the process name.
    expect(parse(`\u001e${record({ _COMM: 'smtp' })}`)).toEqual(
      line('2026-11-28T21:10:02.862Z', 'relay01', 'smtp'),
    );
  });

  it('decodes a MESSAGE journalctl wrote as bytes', () => {
    const bytes = [...Buffer.from('warning: <m'), 0xc3, 0xbc, ...Buffer.from('ller@contoso.com>')];
    expect(parse(record({ SYSLOG_IDENTIFIER: 'postfix/smtpd', MESSAGE: bytes }))).toMatchObject({
      message: 'warning: <müller@contoso.com>',
    });
  });

  it('is no line without its MESSAGE or time, and one without a date when the time is no number', () => {
    expect(parse(JSON.stringify({ MESSAGE: TEXT, SYSLOG_IDENTIFIER: 'postfix/smtp' }))).toBeUndefined();
    expect(parse(record({ MESSAGE: { text: TEXT } }))).toBeUndefined();
    expect(parse(record({ __REALTIME_TIMESTAMP: 'soon' }))).toBe('bad-date');
    expect(parse('{"MESSAGE": "cut')).toBeUndefined();
  });
});

describe('container runtimes', () => {
  const syslogLine = `Nov 28 21:15:32 mail postfix/smtp[312]: ${TEXT}`;

  it("dates Docker's json-file and the CRI log by the runtime's time, not the line's own date", () => {
    const docker = JSON.stringify({
      log: `${syslogLine}\n`,
      stream: 'stdout',
      time: '2026-11-28T21:15:32.118220041Z',
    });
    expect(parse(docker)).toEqual(zoned(0, '2026-11-28T21:15:32.118Z', 'mail', 'postfix/smtp'));
    expect(parse(`2026-11-28T22:15:32.118220041+01:00 stderr F ${syslogLine}`)).toEqual(
      zoned(60, '2026-11-28T21:15:32.118Z', 'mail', 'postfix/smtp'),
    );
    // A line the runtime split (P) is read as its parts.
    expect(parse(`2026-11-28T21:15:32.118Z stdout P ${syslogLine}`)).toMatchObject({
      program: 'postfix/smtp',
    });
  });

  it('reads a tag and text after a time and a severity, or neither, with no host', () => {
    const boky = `2026-11-28T21:15:32.118000+00:00 INFO    postfix/smtp[312]: ${TEXT}`;
    expect(parse(boky)).toEqual(zoned(0, '2026-11-28T21:15:32.118Z', '', 'postfix/smtp'));
    expect(parse(`2026-11-28T21:15:33Z stdout F ${boky}`)).toEqual(
      zoned(0, '2026-11-28T21:15:33.000Z', '', 'postfix/smtp'),
    );
    expect(parse(`2026-11-28T21:15:33Z postfix/smtp[312]: ${TEXT}`)).toEqual(
      zoned(0, '2026-11-28T21:15:33.000Z', '', 'postfix/smtp'),
    );
  });

  it('is a line without a date when the runtime time is none, and no line when nothing inside is one', () => {
    expect(parse(JSON.stringify({ log: `${syslogLine}\n`, stream: 'stdout', time: 'yesterday' }))).toBe(
      'bad-date',
    );
    expect(parse(`2026-02-30T21:15:32Z stdout F ${syslogLine}`)).toBe('bad-date');
    expect(parse('2026-11-28T21:15:32Z stdout F Starting Postfix')).toBeUndefined();
    expect(
      parse(JSON.stringify({ log: 'Starting Postfix\n', stream: 'stdout', time: '2026-11-28T21:15:32Z' })),
    ).toBeUndefined();
  });
});

describe('years and the notes', () => {
  it('assumes no year for a line its wrapper dated', async () => {
    const docker = (second: number, text: string) =>
      JSON.stringify({
        log: `Nov 28 21:15:3${second} mail ${text}\n`,
        stream: 'stdout',
        time: `2025-11-28T21:15:3${second}Z`,
      });
    const text = [
      docker(1, 'postfix/qmgr[95]: 1A2B3C4D5E: from=<a@app.fabrikam.com>, size=1, nrcpt=1 (queue active)'),
      docker(
        2,
        `postfix/smtp[312]: 1A2B3C4D5E: to=<x@adatum.com>, relay=mx[1.2.3.4]:25, dsn=5.7.64, status=bounced (host mx said: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 (in reply to RCPT TO command))`,
      ),
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'postfix-json.log', content: `${text}\n` }]);
    // 2025, as Docker wrote, though the file's year would be 2026 (analyzeFiles' now).
    expect(findings.map((f) => f.timestamp)).toEqual(['2025-11-28T21:15:32.000Z']);
    expect(sources[0]?.notes ?? []).toEqual([]);
  });
});

describe('a line that names no program', () => {
  it('fails its file when it holds a refusal, instead of counting it with other programs', async () => {
    const refused =
      '3F7A21C0B4: to=<noc@adatum.com>, relay=mx[1.2.3.4]:25, dsn=5.7.64, status=bounced (host mx said: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 (in reply to RCPT TO command))';
    const text = [
      `<22>1 2026-11-28T21:10:01Z relay02 postfix/qmgr 1187 - - 3F7A21C0B4: from=<a@app.fabrikam.com>, size=1, nrcpt=1 (queue active)`,
      '<30>1 2026-11-28T21:10:01Z relay02 - - - - Started Daily apt download activities.',
      `<22>1 2026-11-28T21:10:02Z relay02 - - - - ${refused}`,
    ].join('\n');
    const { sources } = await analyzeFiles([{ name: 'central.log', content: `${text}\n` }]);
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(sources[0]?.skippedByReason).toEqual({ OTHER_PROGRAM: 1, REFUSAL_NOT_READ: 1 });
    expect(sources[0]?.skipped[0]?.message).toMatch(
      /^names no program: .*, yet it holds relay-refusal text \(5\.7\.64\)$/,
    );
  });
});

describe('programs by their tag', () => {
  const refused = (tag: string) =>
    `Nov 28 21:10:02 relay02 ${tag}[312]: 3F7A21C0B4: to=<noc@adatum.com>, relay=mx[1.2.3.4]:25, dsn=5.7.64, status=bounced (host mx said: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 (in reply to RCPT TO command))`;

  it('reads Postfix under a syslog_name of its own (`mailout/smtp`)', async () => {
    const text = [
      'Nov 28 21:10:01 relay02 mailout/qmgr[95]: 3F7A21C0B4: from=<a@app.fabrikam.com>, size=1, nrcpt=1 (queue active)',
      refused('mailout/smtp'),
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'mail.log', content: text }]);
    expect(sources[0]).toMatchObject({ status: 'done', rowsAnalysed: 2 });
    expect(findings.map((f) => [f.scenario, f.returnPath, f.recipient])).toEqual([
      ['foreign-sender-domain', 'a@app.fabrikam.com', 'noc@adatum.com'],
    ]);
  });

  it('fails the file for a refusal in a line of a program it does not read, and counts the others', async () => {
    const text = [
      'Nov 28 21:10:01 relay02 postfix/qmgr[95]: 1A2B3C4D5E: from=<a@contoso.com>, size=1, nrcpt=1 (queue active)',
      'Nov 28 21:10:01 relay02 CRON[77]: (root) CMD (run-parts /etc/cron.hourly)',
      refused('mailrelay'),
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'mail.log', content: `${text}\n` }]);
    expect(findings).toEqual([]);
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(sources[0]?.skippedByReason).toEqual({ OTHER_PROGRAM: 1, REFUSAL_NOT_READ: 1 });
    expect(sources[0]?.skipped[0]).toMatchObject({ line: 3 });
    expect(sources[0]?.skipped[0]?.message).toMatch(
      /^is a line of "mailrelay", a program relay-audit does not read .*, yet it holds relay-refusal text \(5\.7\.64\)$/,
    );
  });

  it.each([
    // The second part of a line the relay split: its status code is on the part before.
    ['Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]', 'ATTR36'],
    // A relay of its own that writes the code at a sentence's end, with no reply around it.
    ['delivery to <noc@adatum.com> refused by Exchange Online: 5.7.64.', '5.7.64'],
  ])(
    'fails the file for refusal text with no status to parse in such a line: %s',
    async (message, marker) => {
      const text = [
        'Nov 28 21:10:01 relay02 postfix/qmgr[95]: 1A2B3C4D5E: from=<a@contoso.com>, size=1, nrcpt=1 (queue active)',
        `Nov 28 21:10:02 relay02 mailrelay[312]: ${message}`,
      ].join('\n');
      const { sources } = await analyzeFiles([{ name: 'mail.log', content: text }]);
      expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
      expect(sources[0]?.skipped[0]?.message).toContain(`, yet it holds relay-refusal text (${marker})`);
    },
  );
});

describe('journalctl output that cannot be read', () => {
  const refusal =
    '3F7A21C0B4: to=<noc@adatum.com>, relay=mx[1.2.3.4]:25, dsn=5.7.64, status=bounced (host mx said: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 (in reply to RCPT TO command))';

  it.each([
    [
      '-o json-pretty',
      `{\n\t"__REALTIME_TIMESTAMP" : "1795900202861000",\n\t"SYSLOG_IDENTIFIER" : "postfix/smtp",\n\t"MESSAGE" : ${JSON.stringify(refusal)}\n}\n`,
      /looks like journalctl -o json-pretty output/,
    ],
    [
      '-o verbose',
      `Sat 2026-11-28 22:10:02.861532 CET [s=6b3f;i=1a2b]\n    SYSLOG_IDENTIFIER=postfix/smtp\n    MESSAGE=${refusal}\n`,
      /looks like journalctl -o verbose or -o export output/,
    ],
    [
      '-o cat of Exim',
      '1vF3kq-000Hn1-2S <= news@proseware.com H=(mkt01) [10.0.2.45] P=esmtp S=88304\n1vF3kq-000Hn1-2S ** subscriber@wingtiptoys.com R=smarthost: 550 5.7.64 TenantAttribution\n1vF3kq-000Hn1-2S Completed\n',
      /looks like journalctl -o cat output: mail log lines without their date or host \("1vF3kq-000Hn1-2S <= /,
    ],
  ])('refuses %s, saying to export it with -o short-iso or -o json', async (_, content, what) => {
    const { sources } = await analyzeFiles([{ name: 'journal.txt', content }]);
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT', rowsRead: 0 });
    expect(sources[0]?.format).toBeUndefined();
    expect(sources[0]?.errorMessage).toMatch(what);
    expect(sources[0]?.errorMessage).toMatch(/journalctl -u postfix -o short-iso > mail\.log, or -o json/);
  });

  it('takes no text for journalctl -o cat output where such lines are few', async () => {
    const notes = ['Meeting notes', 'The relay said:', `${refusal}`, 'we will fix it', 'next week'].join(
      '\n',
    );
    const { sources } = await analyzeFiles([{ name: 'notes.txt', content: notes }]);
    expect(sources[0]?.errorMessage ?? '').not.toMatch(/journalctl -o cat/);
  });
});
