/**
 * Mail logs of relays that are not Exchange (Postfix, sendmail, Exim, IIS SMTP), read end to end:
 * the shapes real files take, every line accounted for, and the scenarios of the same rules.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MtaLogReader } from '../../functions/core/analysis/formats/mta-log.js';
import type { TextSink } from '../../functions/core/analysis/formats/text-format.js';
import { TimestampParser } from '../../functions/core/analysis/input/timestamps.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';
import { analyzeFiles } from '../support/analyze-text.js';
import { utf16 } from '../support/streams.js';

const REFUSED =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const MISMATCH =
  '550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const MX = 'contoso-com.mail.protection.outlook.com[203.0.113.10]';

/** A Postfix message: cleanup, qmgr from=, one smtp to= line per recipient, removed. */
function postfixMessage(
  stamp: (second: number) => string,
  queueId: string,
  from: string,
  recipients: [to: string, status: string, answer: string][],
): string[] {
  const lines = [
    `${stamp(1)} relay1 postfix/cleanup[2201]: ${queueId}: message-id=<${queueId}@relay1.contoso.com>`,
    `${stamp(1)} relay1 postfix/qmgr[900]: ${queueId}: from=<${from}>, size=1834, nrcpt=${recipients.length} (queue active)`,
  ];
  for (const [to, status, answer] of recipients) {
    lines.push(
      `${stamp(2)} relay1 postfix/smtp[2202]: ${queueId}: to=<${to}>, relay=${MX}:25, delay=0.61, delays=0.1/0.01/0.3/0.2, ` +
        `dsn=${/\d\.\d+\.\d+/.exec(answer)?.[0] ?? '2.0.0'}, status=${status} (host ${MX} said: ${answer} (in reply to RCPT TO command))`,
    );
  }
  lines.push(`${stamp(3)} relay1 postfix/qmgr[900]: ${queueId}: removed`);
  return lines;
}

const syslog = (second: number) => `Nov 28 22:15:0${second}`;

describe('Postfix mail.log', () => {
  const log = [
    'Nov 28 22:14:59 relay1 systemd[1]: Starting Daily apt download activities...',
    'Nov 28 22:15:00 relay1 postfix/smtpd[2200]: connect from app01.contoso.com[192.0.2.40]',
    'Nov 28 22:15:00 relay1 postfix/smtpd[2200]: 4F1A2B3C4D: client=app01.contoso.com[192.0.2.40]',
    ...postfixMessage(syslog, '4F1A2B3C4D', 'alerts@app.fabrikam.com', [
      ['vendor@adatum.com', 'bounced', REFUSED],
    ]),
    'Nov 28 22:15:04 relay1 CRON[2300]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)',
    // The bounce Postfix generated for it, relayed to the tenant and refused too: null sender.
    'Nov 28 22:15:04 relay1 postfix/bounce[2203]: 4F1A2B3C4D: sender non-delivery notification: 5A6B7C8D9E',
    ...postfixMessage(syslog, '5A6B7C8D9E', '', [['alerts@app.fabrikam.com', 'bounced', REFUSED]]),
    // An accepted sender refused anyway: no connector matched the relay.
    ...postfixMessage(syslog, '6B7C8D9E0F', 'printer@contoso.com', [
      ['ap@litware.com', 'bounced', MISMATCH],
      ['ar@litware.com', 'bounced', MISMATCH],
      ['buyer@contoso.com', 'sent', '250 2.6.0 <6B7C8D9E0F@relay1.contoso.com> Queued mail for delivery'],
    ]),
    'Nov 28 22:15:05 relay1 dovecot: imap-login: Login: user=<kate>, method=PLAIN',
  ].join('\n');

  it('classifies by the from= of the queue id: foreign sender, NDR, connector mismatch', async () => {
    const { findings } = await analyzeFiles([
      { name: 'mail.log', content: log, modified: new Date('2026-11-29T06:25:00Z') },
    ]);
    expect(findings.map((f) => [f.source.line, f.recipient, f.scenario, f.returnPath])).toEqual([
      [6, 'vendor@adatum.com', 'foreign-sender-domain', 'alerts@app.fabrikam.com'],
      [12, 'alerts@app.fabrikam.com', 'ndr', ''],
      [16, 'ap@litware.com', 'connector-mismatch', 'printer@contoso.com'],
      [17, 'ar@litware.com', 'connector-mismatch', 'printer@contoso.com'],
    ]);
    const first = findings[0];
    expect(first?.messageId).toBe('4F1A2B3C4D@relay1.contoso.com');
    expect(first?.timestamp).toBe('2026-11-28T22:15:02.000Z');
    expect(first?.serverHostname).toBe('relay1');
    expect(first?.source.format).toBe('postfix-log');
    expect(first?.attr).toBe('ATTR36');
  });

  it('tells a Postfix relay how to present a certificate when the connector does not match', async () => {
    const { findings } = await analyzeFiles([{ name: 'mail.log', content: log }]);
    const mismatch = findings.find((f) => f.scenario === 'connector-mismatch');
    const text = JSON.stringify(mismatch?.remediation);
    expect(mismatch?.remediation.title).toMatch(/relay1 \(Postfix\) by its IP address or certificate/);
    expect(text).toMatch(/smtp_tls_cert_file/);
    expect(text).toMatch(/smtp_tls_key_file/);
    expect(text).toMatch(/CN or a SAN is a name in an accepted domain/);
    expect(text).toMatch(/SenderIPAddresses/);
    expect(text).not.toMatch(/Set-SendConnector|Hybrid Configuration Wizard/);
    // The Exchange advice stays for Exchange: the same finding from a tracking log is not changed.
    const foreign = findings.find((f) => f.scenario === 'foreign-sender-domain');
    expect(foreign?.remediation.title).not.toMatch(/Postfix/);
  });

  it('counts lines of other programs without listing them, and says which year the dates were read in', async () => {
    const { sources } = await analyzeFiles([
      // A log ends with a line end: one without would be a copy cut short (LAST_LINE_CUT).
      { name: 'mail.log', content: `${log}\n`, modified: new Date('2026-11-29T06:25:00Z') },
    ]);
    const source = sources[0];
    expect(source?.status).toBe('done');
    expect(source?.format).toBe('postfix-log');
    expect(source?.rowsRead).toBe(log.split('\n').length);
    expect(source?.rowsRead).toBe((source?.rowsAnalysed ?? 0) + (source?.rowsSkipped ?? 0));
    expect(source?.skippedByReason).toEqual({ OTHER_PROGRAM: 3 });
    expect(source?.skipped).toEqual([]);
    expect(source?.notes).toEqual([
      expect.objectContaining({
        code: 'SYSLOG_YEAR',
        message: expect.stringMatching(/read in 2026, the year the file was last modified \(2026-11-29\)/),
      }),
    ]);
  });

  it('reads dates after the modification time in the year before (a log begun last December)', async () => {
    const text = postfixMessage((s) => `Dec 31 23:59:5${s}`, 'AB12CD34EF', 'alerts@app.fabrikam.com', [
      ['vendor@adatum.com', 'bounced', REFUSED],
    ]).join('\n');
    const { findings, sources } = await analyzeFiles([
      { name: 'mail.log.1', content: text, modified: new Date('2027-01-01T00:10:00Z') },
    ]);
    expect(findings[0]?.timestamp).toBe('2026-12-31T23:59:52.000Z');
    expect(sources[0]?.notes?.[0]?.message).toMatch(/4 after that day were read in 2026/);
  });

  it('takes the year from --year, going on into the next year after December', async () => {
    const text = [
      ...postfixMessage((s) => `Dec 31 23:59:5${s}`, 'AB12CD34EF', 'a@app.fabrikam.com', [
        ['x@adatum.com', 'bounced', REFUSED],
      ]),
      ...postfixMessage((s) => `Jan  1 00:00:0${s}`, 'BC23DE45F0', 'b@app.fabrikam.com', [
        ['y@adatum.com', 'bounced', REFUSED],
      ]),
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'maillog', content: text }], { year: 2025 });
    expect(findings.map((f) => f.timestamp)).toEqual([
      '2025-12-31T23:59:52.000Z',
      '2026-01-01T00:00:02.000Z',
    ]);
    expect(sources[0]?.notes?.[0]?.message).toMatch(
      /read in 2025 as --year says \(dates after a December go on/,
    );
  });

  it('uses the current year when neither --year nor the modification time is known, and says so', async () => {
    const text = postfixMessage(syslog, 'AB12CD34EF', 'a@app.fabrikam.com', [
      ['x@adatum.com', 'bounced', REFUSED],
    ]);
    const { sources } = await analyzeFiles([{ name: 'maillog', content: text.join('\n') }]);
    expect(sources[0]?.notes?.[0]?.message).toMatch(
      /modification time is not known: read in the current year \(2026\).*--year/,
    );
  });

  it('reads rsyslog high-precision and journalctl short-iso timestamps with their zone, and skips journal markers', async () => {
    const iso = (second: number) => `2026-11-28T23:15:0${second}.123456+01:00`;
    const journal = (second: number) => `2026-11-28T23:16:0${second}+0100`;
    const text = [
      '-- Logs begin at Fri 2026-11-27 08:00:01 CET, end at Sat 2026-11-28 23:20:00 CET. --',
      ...postfixMessage(iso, 'AB12CD34EF', 'a@app.fabrikam.com', [['x@adatum.com', 'bounced', REFUSED]]),
      '-- Boot 6f0e7c1b2a3d4e5f8a9b0c1d2e3f4a5b --',
      ...postfixMessage(journal, 'BC23DE45F0', 'b@app.fabrikam.com', [['y@adatum.com', 'bounced', REFUSED]]),
    ].join('\r\n');
    const { findings, sources } = await analyzeFiles([{ name: 'journal.txt', content: `${text}\r\n` }]);
    expect(findings.map((f) => [f.recipient, f.timestamp])).toEqual([
      ['x@adatum.com', '2026-11-28T22:15:02.123Z'],
      ['y@adatum.com', '2026-11-28T22:16:02.000Z'],
    ]);
    expect(sources[0]?.skippedByReason).toEqual({ NOT_A_LOG_LINE: 2 });
    expect(sources[0]?.notes ?? []).toEqual([]); // ISO dates need no year
  });

  it('counts a message deferred then bounced with the same code once', async () => {
    const text = [
      `${syslog(1)} relay1 postfix/cleanup[1]: 7C8D9E0F1A: message-id=<m1@app01.contoso.com>`,
      `${syslog(1)} relay1 postfix/qmgr[9]: 7C8D9E0F1A: from=<a@app.fabrikam.com>, size=1, nrcpt=1 (queue active)`,
      `${syslog(2)} relay1 postfix/smtp[2]: 7C8D9E0F1A: to=<x@adatum.com>, relay=${MX}:25, delay=1, dsn=4.7.64, status=deferred (host ${MX} said: 450 4.7.64 TenantAttribution; Relay Access Denied ATTR36 (in reply to RCPT TO command))`,
      `${syslog(3)} relay1 postfix/smtp[2]: 7C8D9E0F1A: to=<x@adatum.com>, relay=${MX}:25, delay=1, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`,
      `${syslog(4)} relay1 postfix/smtp[2]: 7C8D9E0F1A: to=<x@adatum.com>, relay=${MX}:25, delay=1, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`,
    ].join('\n');
    const { findings, result } = await analyzeFiles([{ name: 'mail.log', content: text }]);
    expect(findings.map((f) => [f.source.line, f.code])).toEqual([[4, '5.7.64']]);
    expect(result.duplicates).toBe(1);
  });

  it('reads a UTF-16LE file with a BOM (copied from a Windows share)', async () => {
    const text = postfixMessage(syslog, 'AB12CD34EF', 'a@app.fabrikam.com', [
      ['x@adatum.com', 'bounced', REFUSED],
    ]);
    const { findings } = await analyzeFiles([
      { name: 'mail.log', content: utf16(`${text.join('\r\n')}\r\n`, 'le', true) },
    ]);
    expect(findings.map((f) => f.recipient)).toEqual(['x@adatum.com']);
  });

  it('lists a line that is not a syslog line, and fails a syslog file with no mail lines', async () => {
    const text = [
      ...postfixMessage(syslog, 'AB12CD34EF', 'a@app.fabrikam.com', [['x@adatum.com', 'bounced', REFUSED]]),
      'this line was pasted in by hand',
    ].join('\n');
    const { sources } = await analyzeFiles([{ name: 'mail.log', content: text }]);
    expect(sources[0]?.skipped).toEqual([expect.objectContaining({ line: 5, reason: 'BAD_LINE' })]);

    const others = [
      'Nov 28 22:15:00 relay1 postfix/master[1]: daemon started -- version 3.7.11',
      ...Array.from(
        { length: 5 },
        (_, i) => `Nov 28 22:15:0${i} relay1 sshd[77]: Accepted publickey for admin`,
      ),
    ];
    const failed = await analyzeFiles([{ name: 'syslog', content: others.slice(1).join('\n') }]);
    // Five sshd lines alone are no mail log: not recognised at all.
    expect(failed.sources[0]?.status).toBe('failed');
    const onlyOthers = await analyzeFiles([
      { name: 'syslog', content: `${others[0]}\n${others.slice(1).join('\n')}` },
    ]);
    expect(onlyOthers.sources[0]?.status).toBe('done'); // the daemon start line was read
    expect(onlyOthers.sources[0]?.skippedByReason).toEqual({ OTHER_PROGRAM: 5 });
  });
});

describe('queue-id correlation is bounded', () => {
  function run(maxQueued: number, text: string) {
    const events: TraceEvent[] = [];
    const sink: TextSink = {
      row() {},
      count() {},
      skip() {},
      event: (event) => void events.push(event),
    };
    const reader = new MtaLogReader(
      {
        file: 'mail.log',
        timestamps: new TimestampParser(),
        now: new Date('2026-12-01T00:00:00Z'),
        isRelevant: () => true,
      },
      maxQueued,
    );
    reader.push(text, sink);
    reader.end(sink);
    return { events, notes: reader.notes() };
  }

  const queued = (id: string, from: string) =>
    `${syslog(1)} relay1 postfix/qmgr[9]: ${id}: from=<${from}>, size=1, nrcpt=1 (queue active)`;
  const refused = (id: string, to: string) =>
    `${syslog(2)} relay1 postfix/smtp[2]: ${id}: to=<${to}>, relay=${MX}:25, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED})`;

  it('forgets the longest-queued ids past the cap, reports it, and still reports their refusals', () => {
    const text = [
      queued('AAAAA11111', 'a@contoso.com'),
      queued('BBBBB22222', 'b@contoso.com'),
      queued('CCCCC33333', 'c@contoso.com'),
      refused('AAAAA11111', 'x@adatum.com'),
      refused('CCCCC33333', 'y@adatum.com'),
    ].join('\n');
    const { events, notes } = run(2, text);
    expect(events.map((e) => [e.eventId, e.recipient, e.returnPath])).toEqual([
      ['FAIL', 'x@adatum.com', undefined],
      ['FAIL', 'y@adatum.com', 'c@contoso.com'],
      // Still queued at the end of the file (no delivery read): handed on for the next file of the run.
      ['QUEUED', undefined, 'b@contoso.com'],
    ]);
    // SENDER_NOT_SEEN is the run's to say: another file of it may have the from= line.
    expect(notes.map((n) => n.code)).toEqual(['SYSLOG_YEAR', 'QUEUE_IDS_FORGOTTEN']);
    expect(notes[1]?.message).toMatch(/more than 2 messages .* senders of 1 queue ids were forgotten/);
  });

  it('frees a queue id when Postfix removes it, so a long log stays within the cap', () => {
    const lines: string[] = [];
    for (let i = 0; i < 50; i++) {
      const id = `Q${String(i).padStart(9, '0')}`;
      lines.push(
        queued(id, 'a@contoso.com'),
        refused(id, `r${i}@adatum.com`),
        `${syslog(3)} relay1 postfix/qmgr[9]: ${id}: removed`,
      );
    }
    const { events, notes } = run(2, lines.join('\n'));
    expect(events).toHaveLength(50);
    expect(events.every((e) => e.returnPath === 'a@contoso.com')).toBe(true);
    expect(notes.map((n) => n.code)).toEqual(['SYSLOG_YEAR']);
  });
});

describe('sendmail', () => {
  it('reads stat= and dsn= of a delivery to several recipients, and a deferral with its text', async () => {
    const text = [
      'Nov 28 22:15:01 mailgw sm-mta[3100]: 2ASMF1xw003100: from=<scanner@alerts.contoso.com>, size=20480, class=0, nrcpts=2, msgid=<202611282215.2ASMF1xw003100@mailgw.contoso.com>, proto=ESMTP, daemon=MTA, relay=scan-fl2.contoso.com [192.0.2.60]',
      'Nov 28 22:15:02 mailgw sm-mta[3101]: 2ASMF1xw003100: to=<orders@adatum.com>,<sales@adatum.com>, delay=00:00:01, xdelay=00:00:01, mailer=relay, pri=140480, relay=contoso-com.mail.protection.outlook.com. [203.0.113.10], dsn=5.7.64, stat=Service unavailable',
      'Nov 28 22:15:02 mailgw sm-mta[3101]: 2ASMF1xw003100: 2ASMF2xw003101: DSN: Service unavailable',
      'Nov 28 22:15:03 mailgw sm-mta[3102]: 2ASMF3xw003102: from=<it@contoso.com>, size=900, class=0, nrcpts=1, msgid=<x1@mailgw.contoso.com>, proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]',
      'Nov 28 22:15:04 mailgw sm-mta[3103]: 2ASMF3xw003102: to=<audit@woodgrovebank.com>, delay=00:00:01, xdelay=00:00:01, mailer=relay, pri=30900, relay=contoso-com.mail.protection.outlook.com. [203.0.113.10], dsn=4.4.62, stat=Deferred: 451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. For more information please go to https://go.microsoft.com/fwlink/?linkid=865268',
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'maillog', content: text }]);
    expect(sources[0]?.format).toBe('sendmail-log');
    expect(findings.map((f) => [f.source.line, f.recipient, f.scenario, f.code])).toEqual([
      [2, 'orders@adatum.com', 'foreign-sender-domain', '5.7.64'],
      [2, 'sales@adatum.com', 'foreign-sender-domain', '5.7.64'],
      [5, 'audit@woodgrovebank.com', 'wrong-region', '4.4.62'],
    ]);
    expect(findings[0]?.messageId).toBe('202611282215.2ASMF1xw003100@mailgw.contoso.com');
    expect(findings[2]?.attr).toBe('ATTR35');
  });
});

describe('Exim main.log', () => {
  it('reads ** and == lines with the sender of <=, bounces with a null sender', async () => {
    const text = [
      '2026-11-28 22:15:01 1vAbCd-000123-AB <= alerts@app.fabrikam.com H=(app01) [192.0.2.40] P=esmtp S=1834 id=20261128.1@app01.contoso.com',
      '2026-11-28 22:15:02 1vAbCd-000123-AB ** vendor@adatum.com R=smarthost T=remote_smtp_smarthost H=contoso-com.mail.protection.outlook.com [203.0.113.10] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes: SMTP error from remote mail server after RCPT TO:<vendor@adatum.com>: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [DB5PEPF00000001.eurprd01.prod.exchangelabs.com]',
      '2026-11-28 22:15:02 1vAbCe-000124-CD <= <> R=1vAbCd-000123-AB U=Debian-exim P=local S=2910',
      '2026-11-28 22:15:02 1vAbCd-000123-AB Completed',
      '2026-11-28 22:15:03 1vAbCe-000124-CD ** alerts@app.fabrikam.com R=smarthost T=remote_smtp_smarthost H=contoso-com.mail.protection.outlook.com [203.0.113.10]: SMTP error from remote mail server after RCPT TO:<alerts@app.fabrikam.com>: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36',
      '2026-11-28 22:15:04.231 +0100 1vAbCf-00000000125-ABCD <= monitor@contoso.com H=(nagios) [192.0.2.41] P=esmtp S=700 id=n1@nagios.contoso.com',
      '2026-11-28 22:15:05.100 +0100 1vAbCf-00000000125-ABCD == ops@litware.com R=smarthost T=remote_smtp_smarthost defer (-44) H=contoso-com.mail.protection.outlook.com [203.0.113.10]: SMTP error from remote mail server after RCPT TO:<ops@litware.com>: 451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35',
      '2026-11-28 22:15:06 Start queue run: pid=4242',
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'mainlog', content: `${text}\n` }]);
    expect(sources[0]?.format).toBe('exim-log');
    expect(findings.map((f) => [f.source.line, f.recipient, f.scenario, f.timestamp])).toEqual([
      [2, 'vendor@adatum.com', 'foreign-sender-domain', '2026-11-28T22:15:02.000Z'],
      [5, 'alerts@app.fabrikam.com', 'ndr', '2026-11-28T22:15:03.000Z'],
      [7, 'ops@litware.com', 'wrong-region', '2026-11-28T21:15:05.100Z'],
    ]);
    expect(findings[0]?.messageId).toBe('20261128.1@app01.contoso.com');
    expect(sources[0]?.rowsRead).toBe(8);
    expect(sources[0]?.rowsAnalysed).toBe(8);
    expect(sources[0]?.notes?.map((n) => n.code)).toEqual(['LOCAL_TIME_ASSUMED']);
  });
});

describe("Exim's refusal text", () => {
  it("is Exim's sentence quoting the reply, as Postfix's status is, not the line's fields before it", async () => {
    const H = 'H=contoso-com.mail.protection.outlook.com [203.0.113.10]';
    const fields = `R=smarthost T=remote_smtp_smarthost ${H} X=TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256 CV=yes`;
    const WRONG_REGION = '451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35';
    const text = [
      '2026-11-28 22:15:01 1vAbCd-000123-AB <= alerts@app.fabrikam.com H=(app01) [192.0.2.40] P=esmtp S=1834 id=m1@app01',
      `2026-11-28 22:15:02 1vAbCd-000123-AB ** a@adatum.com ${fields}: SMTP error from remote mail server after RCPT TO:<a@adatum.com>: ${REFUSED}`,
      `2026-11-28 22:15:02 1vAbCd-000123-AB ** b@adatum.com ${fields}: SMTP error from remote mail server after pipelined RCPT TO:<b@adatum.com>: ${REFUSED}`,
      `2026-11-28 22:15:03 1vAbCd-000123-AB == c@litware.com R=smarthost T=remote_smtp_smarthost defer (-44) ${H}: SMTP error from remote mail server after RCPT TO:<c@litware.com>: ${WRONG_REGION}`,
      // Before Exim 4.87 the host stood in the sentence, and no H= before it.
      `2026-11-28 22:15:04 1vAbCd-000123-AB == d@litware.com R=smarthost T=remote_smtp_smarthost defer (-44): SMTP error from remote mail server after RCPT TO:<d@litware.com>: host contoso-com.mail.protection.outlook.com [203.0.113.10]: ${WRONG_REGION}`,
      '2026-11-28 22:15:04 1vAbCd-000123-AB Completed',
      '2026-11-28 22:16:01 1vAbCe-000124-CD <= reports@contoso.com H=(bi01) [192.0.2.48] P=esmtp S=9000 id=m2@bi01',
      // A host tried before the last, refusing the data: the line names the host, not the recipient.
      `2026-11-28 22:16:02 1vAbCe-000124-CD ${H}: SMTP error from remote mail server after end of data: ${WRONG_REGION}`,
      '2026-11-28 22:16:03 1vAbCe-000124-CD == e@woodgrovebank.com R=smarthost T=remote_smtp_smarthost defer (110): Connection timed out H=contoso-com.mail.protection.outlook.com [203.0.113.11]',
      '2026-11-28 22:16:03 1vAbCe-000124-CD Completed',
    ].join('\n');
    const { findings } = await analyzeFiles([{ name: 'mainlog', content: `${text}\n` }]);
    expect(findings.map((f) => [f.source.line, f.recipient, f.rejectionText])).toEqual([
      [2, 'a@adatum.com', `SMTP error from remote mail server after RCPT TO:<a@adatum.com>: ${REFUSED}`],
      [
        3,
        'b@adatum.com',
        `SMTP error from remote mail server after pipelined RCPT TO:<b@adatum.com>: ${REFUSED}`,
      ],
      [
        4,
        'c@litware.com',
        `SMTP error from remote mail server after RCPT TO:<c@litware.com>: ${WRONG_REGION}`,
      ],
      [
        5,
        'd@litware.com',
        `SMTP error from remote mail server after RCPT TO:<d@litware.com>: host contoso-com.mail.protection.outlook.com [203.0.113.10]: ${WRONG_REGION}`,
      ],
      [8, 'e@woodgrovebank.com', `SMTP error from remote mail server after end of data: ${WRONG_REGION}`],
    ]);
    expect(findings[0]?.remoteHost).toBe('AM0PR01MB1234.eurprd01.prod.exchangelabs.com');
  });
});

describe('rotated logs: the sender in the previous file, the refusal in the next', () => {
  const postfix = {
    previous:
      'Nov 28 23:59:58 relay01 postfix/qmgr[1187]: 4B81D2E0C5: from=<>, size=4932, nrcpt=1 (queue active)\n',
    next: 'Nov 29 00:00:01 relay01 postfix/smtp[24117]: 4B81D2E0C5: to=<alerts@fabrikam.com>, relay=contoso-com.mail.protection.outlook.com[52.101.1.1]:25, delay=3, delays=0.05/0.01/0.31/0.37, dsn=5.7.64, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.1.1] said: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com] (in reply to RCPT TO command))\n',
  };
  const sendmail = {
    previous:
      'Nov 28 23:59:59 mailgw sm-mta[3121]: 2ASMMfxw003121: from=<>, size=7010, class=0, nrcpts=1, msgid=<202611282222.2ASMMfxw003121@mailgw.contoso.com>, proto=ESMTP, daemon=MTA, relay=localhost\n',
    next: 'Nov 29 00:00:41 mailgw sm-mta[3121]: 2ASMMfxw003121: to=<noreply@fabrikam.com>, delay=00:00:00, xdelay=00:00:00, mailer=relay, pri=37010, relay=contoso-com.mail.protection.outlook.com. [52.101.1.1], dsn=5.7.64, stat=Service unavailable\n',
  };
  const exim = {
    previous: '2026-11-28 23:59:59 1vF3kr-000Hn4-3T <= <> R=1vF3kq-000Hn1-2S U=Debian-exim P=local S=9000\n',
    next: '2026-11-29 00:00:04 1vF3kr-000Hn4-3T ** news@proseware.com R=smarthost T=remote_smtp_smarthost H=contoso-com.mail.protection.outlook.com [52.101.1.1]: SMTP error from remote mail server after RCPT TO:<news@proseware.com>: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]\n',
  };
  const cases = [
    ['Postfix', 'mail.log', postfix],
    ['sendmail', 'maillog', sendmail],
    ['Exim', 'mainlog', exim],
  ] as const;

  for (const [mta, name, log] of cases) {
    for (const order of ['previous first', 'next first'] as const) {
      it(`${mta}: the null sender of ${name}.1 makes the refusal in ${name} an NDR (${order})`, async () => {
        const files = [
          { name: `${name}.1`, content: log.previous },
          { name, content: log.next },
        ];
        const { findings, sources } = await analyzeFiles(
          order === 'previous first' ? files : files.reverse(),
          {
            year: 2026,
          },
        );
        expect(findings.map((f) => [f.source.file, f.scenario, f.returnPath])).toEqual([[name, 'ndr', '']]);
        expect(findings[0]?.evidence[0]?.detail).toMatch(/^envelope sender \(P1\) is <>/);
        // The same message in both orders: the same finding.
        const forward = await analyzeFiles(
          [
            { name: `${name}.1`, content: log.previous },
            { name, content: log.next },
          ],
          {
            year: 2026,
          },
        );
        expect(findings[0]?.id).toBe(forward.findings[0]?.id);
        // The sender was found in the other file: no file of the run says it was not seen.
        expect(sources.flatMap((s) => s.notes ?? []).map((n) => n.code)).not.toContain('SENDER_NOT_SEEN');
      });
    }

    it(`${mta}: ${name} alone, its sender in no file of the run, says so (SENDER_NOT_SEEN)`, async () => {
      const { findings, sources } = await analyzeFiles([{ name, content: log.next }], { year: 2026 });
      // Still reported, classified without its envelope sender.
      expect(findings.map((f) => [f.source.file, f.returnPath])).toEqual([[name, undefined]]);
      expect(sources[0]?.notes?.find((n) => n.code === 'SENDER_NOT_SEEN')?.message).toMatch(
        /^1 refused recipient has no from= line for its queue id in this file or any other file of this run/,
      );
    });
  }

  it('counts only the refusals whose sender no file of the run has', async () => {
    // Two messages refused after the rotation: the from= line of one is in mail.log.1, of the other nowhere.
    const orphan = postfix.next.replaceAll('4B81D2E0C5', '5C92E3F1D6').replace('00:00:01', '00:00:02');
    for (const files of [
      [
        { name: 'mail.log.1', content: postfix.previous },
        { name: 'mail.log', content: postfix.next + orphan },
      ],
      [
        { name: 'mail.log', content: postfix.next + orphan },
        { name: 'mail.log.1', content: postfix.previous },
      ],
    ]) {
      const { findings, sources } = await analyzeFiles(files, { year: 2026 });
      expect(findings.map((f) => [f.scenario, f.returnPath])).toEqual([
        ['ndr', ''],
        ['foreign-sender-domain', undefined],
      ]);
      const notes = sources.map((s) => [
        s.file,
        s.notes?.filter((n) => n.code === 'SENDER_NOT_SEEN').length ?? 0,
      ]);
      expect(notes).toEqual(
        expect.arrayContaining([
          ['mail.log', 1],
          ['mail.log.1', 0],
        ]),
      );
      expect(sources.find((s) => s.file === 'mail.log')?.notes?.at(-1)?.message).toMatch(
        /^1 refused recipient has/,
      );
    }
  });

  it('sendmail: the Message-ID of the from= line in the previous file names the finding', async () => {
    const { findings } = await analyzeFiles(
      [
        { name: 'maillog', content: sendmail.next },
        { name: 'maillog.1', content: sendmail.previous },
      ],
      { year: 2026 },
    );
    expect(findings[0]?.messageId).toBe('202611282222.2ASMMfxw003121@mailgw.contoso.com');
  });

  it('reads the previous file gzip-compressed (mail.log.2.gz)', async () => {
    const { findings } = await analyzeFiles(
      [
        { name: 'mail.log', content: postfix.next },
        { name: 'mail.log.2.gz', content: new Uint8Array(gzipSync(postfix.previous)) },
      ],
      { year: 2026 },
    );
    expect(findings.map((f) => f.scenario)).toEqual(['ndr']);
  });

  it('keeps queue ids per host: the same queue id on another relay is another message', async () => {
    const other = postfix.previous.replace('relay01', 'relay02');
    const { findings } = await analyzeFiles(
      [
        { name: 'mail.log.1', content: other },
        { name: 'mail.log', content: postfix.next },
      ],
      { year: 2026 },
    );
    expect(findings.map((f) => [f.scenario, f.returnPath])).toEqual([['foreign-sender-domain', undefined]]);
  });

  it('does not hand on a message whose deliveries all ended in the previous file', async () => {
    const previous =
      postfix.previous +
      'Nov 28 23:59:59 relay01 postfix/smtp[24117]: 4B81D2E0C5: to=<alerts@fabrikam.com>, relay=contoso-com.mail.protection.outlook.com[52.101.1.1]:25, delay=1, dsn=2.0.0, status=sent (250 2.6.0 Queued mail for delivery)\n';
    const { result } = await analyzeFiles([{ name: 'mail.log.1', content: previous }], { year: 2026 });
    expect(result.events).toBe(0);
  });
});

describe('forwarding by the relay itself (alias or .forward)', () => {
  it("takes Exim's parent address of a redirected recipient as a redirect: forwarding", async () => {
    const text = [
      '2026-11-28 22:41:02 1vF3kq-000Hn1-2S <= john@fabrikam.com H=mail.fabrikam.com [198.51.100.20] P=esmtps S=8830 id=CAJx@mail.fabrikam.com',
      '2026-11-28 22:41:03 1vF3kq-000Hn1-2S ** kate@tailspintoys.com <kate@contoso.com> R=smarthost T=remote_smtp_smarthost H=contoso-com.mail.protection.outlook.com [52.101.1.1]: SMTP error from remote mail server after RCPT TO:<kate@tailspintoys.com>: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
      '2026-11-28 22:41:03 1vF3kq-000Hn1-2S Completed',
      // Without a parent the same refusal is the sender's domain, as before.
      '2026-11-28 22:42:02 1vF3kr-000Hn2-3T <= john@fabrikam.com H=mail.fabrikam.com [198.51.100.20] P=esmtps S=8830 id=CAJy@mail.fabrikam.com',
      '2026-11-28 22:42:03 1vF3kr-000Hn2-3T ** kate@tailspintoys.com R=smarthost T=remote_smtp_smarthost H=contoso-com.mail.protection.outlook.com [52.101.1.1]: SMTP error from remote mail server after RCPT TO:<kate@tailspintoys.com>: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36',
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'mainlog', content: text }]);
    expect(findings.map((f) => [f.source.line, f.recipient, f.scenario, f.confidence])).toEqual([
      [2, 'kate@tailspintoys.com', 'forwarding', 'high'],
      [5, 'kate@tailspintoys.com', 'foreign-sender-domain', 'high'],
    ]);
    expect(findings[0]?.evidence.map((e) => e.detail)).toContain(
      'REDIRECT on line 2: kate@contoso.com was redirected to kate@tailspintoys.com',
    );
    expect(sources[0]?.rowsRead).toBe(5);
    expect(sources[0]?.rowsAnalysed).toBe(5);
  });

  it('takes the top-level address of a chain of Exim parents (log_selector +all_parents)', async () => {
    const text = [
      '2026-11-28 22:41:02 1vF3kq-000Hn1-2S <= john@fabrikam.com H=mail.fabrikam.com [198.51.100.20] P=esmtps S=8830 id=CAJx@mail.fabrikam.com',
      '2026-11-28 22:41:03 1vF3kq-000Hn1-2S ** kate@tailspintoys.com (kate.home@contoso.com) <sales@contoso.com>: SMTP error from remote mail server after RCPT TO:<kate@tailspintoys.com>: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36',
    ].join('\n');
    const { findings } = await analyzeFiles([{ name: 'mainlog', content: text }]);
    expect(findings.map((f) => f.scenario)).toEqual(['forwarding']);
    // Exim writes the nearest parent in parentheses and the top address in angle brackets: each step is a redirect.
    expect(findings[0]?.evidence.map((e) => e.detail)).toEqual(
      expect.arrayContaining([
        'REDIRECT on line 2: sales@contoso.com was redirected to kate.home@contoso.com',
        'REDIRECT on line 2: kate.home@contoso.com was redirected to kate@tailspintoys.com',
      ]),
    );
  });

  it("takes Postfix's orig_to= of a delivery as a redirect: forwarding", async () => {
    const text = [
      'Nov 28 22:41:02 relay1 postfix/cleanup[2201]: 5C1D2E3F40: message-id=<CAJx@mail.fabrikam.com>',
      'Nov 28 22:41:02 relay1 postfix/qmgr[900]: 5C1D2E3F40: from=<john@fabrikam.com>, size=8830, nrcpt=1 (queue active)',
      `Nov 28 22:41:03 relay1 postfix/smtp[2202]: 5C1D2E3F40: to=<kate@tailspintoys.com>, orig_to=<kate@contoso.com>, relay=${MX}:25, delay=0.61, delays=0.1/0.01/0.3/0.2, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`,
      'Nov 28 22:41:03 relay1 postfix/qmgr[900]: 5C1D2E3F40: removed',
      // orig_to= of a local alias (unqualified) is no internal recipient: nothing to prove.
      'Nov 28 22:42:02 relay1 postfix/cleanup[2201]: 6D2E3F4051: message-id=<CAJy@mail.fabrikam.com>',
      'Nov 28 22:42:02 relay1 postfix/qmgr[900]: 6D2E3F4051: from=<john@fabrikam.com>, size=8830, nrcpt=1 (queue active)',
      `Nov 28 22:42:03 relay1 postfix/smtp[2202]: 6D2E3F4051: to=<kate@tailspintoys.com>, orig_to=<root>, relay=${MX}:25, delay=0.61, delays=0.1/0.01/0.3/0.2, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`,
    ].join('\n');
    const { findings } = await analyzeFiles([{ name: 'mail.log', content: text }], { year: 2026 });
    expect(findings.map((f) => [f.source.line, f.scenario, f.messageId])).toEqual([
      [3, 'forwarding', 'CAJx@mail.fabrikam.com'],
      [7, 'foreign-sender-domain', 'CAJy@mail.fabrikam.com'],
    ]);
  });
});

describe('messages whose log names no Message-ID are identified by the content, not the file name', () => {
  const iis =
    '#Software: Microsoft Internet Information Services 6.0\r\n#Version: 1.0\r\n#Date: 2026-11-28 22:00:00\r\n' +
    '#Fields: date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status sc-win32-status sc-bytes cs-bytes time-taken cs-version cs-host cs(User-Agent) cs(Cookie) cs(Referer)\r\n' +
    [
      '2026-11-28 22:20:02 52.101.1.1 OutboundConnectionResponse SMTPSVC1 RELAY02 - 25 - - 220+AM0PR01MB1234.eurprd01.prod.exchangelabs.com+Microsoft+ESMTP+MAIL+Service+ready 0 0 118 0 16 SMTP - - - -',
      '2026-11-28 22:20:02 52.101.1.1 OutboundConnectionCommand SMTPSVC1 RELAY02 - 25 MAIL - FROM:<scans@contoso.com>+SIZE=92160 0 0 35 0 16 SMTP - - - -',
      '2026-11-28 22:20:02 52.101.1.1 OutboundConnectionCommand SMTPSVC1 RELAY02 - 25 RCPT - TO:<orders@fourthcoffee.com> 0 0 28 0 16 SMTP - - - -',
      '2026-11-28 22:20:03 52.101.1.1 OutboundConnectionResponse SMTPSVC1 RELAY02 - 25 - - 550+5.7.64+TenantAttribution;+Relay+Access+Denied+[AM0PR01MB1234.eurprd01.prod.exchangelabs.com] 0 0 96 0 16 SMTP - - - -',
      // A second message in the same session, to the same recipient, in the same second: another message.
      '2026-11-28 22:20:03 52.101.1.1 OutboundConnectionCommand SMTPSVC1 RELAY02 - 25 MAIL - FROM:<scans@contoso.com>+SIZE=1024 0 0 35 0 16 SMTP - - - -',
      '2026-11-28 22:20:03 52.101.1.1 OutboundConnectionCommand SMTPSVC1 RELAY02 - 25 RCPT - TO:<orders@fourthcoffee.com> 0 0 28 0 16 SMTP - - - -',
      '2026-11-28 22:20:03 52.101.1.1 OutboundConnectionResponse SMTPSVC1 RELAY02 - 25 - - 550+5.7.64+TenantAttribution;+Relay+Access+Denied+[AM0PR01MB1234.eurprd01.prod.exchangelabs.com] 0 0 96 0 16 SMTP - - - -',
      '2026-11-28 22:20:03 52.101.1.1 OutboundConnectionCommand SMTPSVC1 RELAY02 - 25 QUIT - - 0 0 1 0 16 SMTP - - - -',
      '2026-11-28 22:20:03 52.101.1.1 OutboundConnectionResponse SMTPSVC1 RELAY02 - 25 - - 221+2.0.0+Service+closing+transmission+channel 0 0 40 0 16 SMTP - - - -',
      // The next session with the same remote: its own start.
      '2026-11-28 22:25:40 52.101.1.1 OutboundConnectionResponse SMTPSVC1 RELAY02 - 25 - - 220+AM0PR01MB1234.eurprd01.prod.exchangelabs.com+Microsoft+ESMTP+MAIL+Service+ready 0 0 83 0 16 SMTP - - - -',
      '2026-11-28 22:25:40 52.101.1.1 OutboundConnectionCommand SMTPSVC1 RELAY02 - 25 MAIL - FROM:<> 0 0 7 0 16 SMTP - - - -',
      '2026-11-28 22:25:41 52.101.1.1 OutboundConnectionCommand SMTPSVC1 RELAY02 - 25 RCPT - TO:<jobs@adventure-works.com> 0 0 29 0 16 SMTP - - - -',
      '2026-11-28 22:25:41 52.101.1.1 OutboundConnectionResponse SMTPSVC1 RELAY02 - 25 - - 550+5.7.64+TenantAttribution;+Relay+Access+Denied+ATTR36+[AM0PR01MB1234.eurprd01.prod.exchangelabs.com] 0 0 103 0 16 SMTP - - - -',
    ].join('\r\n') +
    '\r\n';
  const postfix = [
    `Nov 28 22:15:01 relay1 postfix/qmgr[900]: 3F7A21C0B4: from=<alerts@monitoring.contoso.com>, size=1834, nrcpt=1 (queue active)`,
    `Nov 28 22:15:02 relay1 postfix/smtp[2202]: 3F7A21C0B4: to=<noc@adatum.com>, relay=${MX}:25, delay=0.61, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`,
    'Nov 28 22:15:02 relay1 postfix/qmgr[900]: 3F7A21C0B4: removed',
    // The same queue id reused later for another message.
    `Nov 28 23:40:11 relay1 postfix/qmgr[900]: 3F7A21C0B4: from=<alerts@monitoring.contoso.com>, size=1834, nrcpt=1 (queue active)`,
    `Nov 28 23:40:12 relay1 postfix/smtp[2202]: 3F7A21C0B4: to=<noc@adatum.com>, relay=${MX}:25, delay=0.61, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`,
  ].join('\n');
  const exim = [
    '2026-11-28 22:41:02 1vF3kr-000Hn4-3T <= <> R=1vF3kq-000Hn1-2S U=Debian-exim P=local S=9000',
    '2026-11-28 22:41:03 1vF3kr-000Hn4-3T ** news@proseware.com R=smarthost T=remote_smtp_smarthost H=contoso-com.mail.protection.outlook.com [52.101.1.1]: SMTP error from remote mail server after RCPT TO:<news@proseware.com>: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36',
  ].join('\n');

  it.each([
    ['IIS SMTP', 'ex261128.log', iis, 3],
    ['Postfix without message-id= lines', 'mail.log', postfix, 2],
    ["Exim's bounce without id=", 'mainlog', exim, 1],
  ])(
    '%s: the same file under two names and paths gives the same finding ids',
    async (_, name, content, count) => {
      const first = await analyzeFiles([{ name: `C:\\Logs\\SMTPSVC1\\${name}`, content }], { year: 2026 });
      const again = await analyzeFiles([{ name: `copies/${name}.old`, content }], { year: 2026 });
      const ids = first.findings.map((f) => f.id);
      expect(ids).toHaveLength(count);
      expect(new Set(ids).size).toBe(count);
      expect(again.findings.map((f) => f.id)).toEqual(ids);
      expect(again.findings.map((f) => f.messageId)).toEqual(first.findings.map((f) => f.messageId));
      for (const finding of first.findings) expect(finding.messageId).not.toMatch(/SMTPSVC1|Logs|\.log/);
    },
  );

  it('names the stand-in after the relay and the session, or the queue id (a short Postfix one with its hour of arrival)', async () => {
    const ids = async (name: string, content: string) =>
      (await analyzeFiles([{ name, content }], { year: 2026 })).findings.map((f) => f.messageId);
    expect(await ids('ex261128.log', iis)).toEqual([
      'iis:RELAY02:52.101.1.1@2026-11-28T22:20:02.000Z#1',
      'iis:RELAY02:52.101.1.1@2026-11-28T22:20:02.000Z#2',
      'iis:RELAY02:52.101.1.1@2026-11-28T22:25:40.000Z#1',
    ]);
    expect(await ids('mail.log', postfix)).toEqual([
      'postfix:relay1:3F7A21C0B4@2026-11-28T22',
      'postfix:relay1:3F7A21C0B4@2026-11-28T23',
    ]);
    expect(await ids('mainlog', exim)).toEqual(['exim:1vF3kr-000Hn4-3T']);
  });
});

describe('IIS 6 SMTP service (Windows relay)', () => {
  const header =
    '#Software: Microsoft Internet Information Services 6.0\r\n#Version: 1.0\r\n#Date: 2026-11-28 22:00:00\r\n' +
    '#Fields: date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status sc-win32-status sc-bytes cs-bytes time-taken cs-version cs-host cs(User-Agent) cs(Cookie) cs(Referer)\r\n';
  const row = (time: string, kind: string, method: string, query: string) =>
    `2026-11-28 ${time} 203.0.113.10 ${kind} SMTPSVC1 RELAY02 192.0.2.50 0 ${method} - ${query} 0 0 40 0 16 SMTP - - - -`;

  it("takes the answer to RCPT TO in an outbound session, with the session's MAIL FROM", async () => {
    const text =
      header +
      [
        '2026-11-28 22:15:00 192.0.2.61 PRN-FL3 SMTPSVC1 RELAY02 192.0.2.50 25 MAIL - FROM:<scans@contoso.com> 250 0 40 35 0 SMTP - - - -',
        row(
          '22:15:01',
          'OutboundConnectionResponse',
          '-',
          '220+CY4PEPF0000A1B2.mail.protection.outlook.com+Microsoft+ESMTP+MAIL+Service+ready',
        ),
        row('22:15:01', 'OutboundConnectionCommand', 'EHLO', 'relay02.contoso.com'),
        row('22:15:01', 'OutboundConnectionCommand', 'MAIL', 'FROM:<scans@contoso.com>+SIZE=20480'),
        row('22:15:01', 'OutboundConnectionResponse', '-', '250+2.1.0+Sender+OK'),
        row('22:15:01', 'OutboundConnectionCommand', 'RCPT', 'TO:<ap@litware.com>'),
        row('22:15:02', 'OutboundConnectionResponse', '-', `${MISMATCH.replaceAll(' ', '+')}`),
        row('22:15:02', 'OutboundConnectionCommand', 'QUIT', '-'),
      ].join('\r\n') +
      '\r\n';
    const { findings, sources } = await analyzeFiles([{ name: 'SMTPSVC1/ex261128.log', content: text }]);
    expect(sources[0]?.format).toBe('iis-smtp-log');
    expect(sources[0]?.rowsRead).toBe(8);
    expect(sources[0]?.rowsAnalysed).toBe(8);
    expect(
      findings.map((f) => [f.source.line, f.recipient, f.scenario, f.returnPath, f.serverHostname]),
    ).toEqual([[11, 'ap@litware.com', 'connector-mismatch', 'scans@contoso.com', 'RELAY02']]);
    const remediation = JSON.stringify(findings[0]?.remediation);
    // By its IP address, or by the virtual server's certificate with its chain (KB 3212877).
    expect(remediation).toMatch(/SenderIPAddresses/);
    expect(remediation).toMatch(/Make the IIS SMTP service present the certificate when it relays/);
  });

  it('does not read an IIS web server log (u_ex*.log, same W3C field names) as an SMTP log', async () => {
    const web =
      '#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-11-28 00:00:00\r\n' +
      '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n' +
      '2026-11-28 00:00:01 10.0.0.1 GET /owa/ - 443 - 10.0.0.2 Mozilla/5.0 - 200 0 0 15\r\n' +
      '2026-11-28 00:00:02 10.0.0.1 POST /EWS/Exchange.asmx - 443 CONTOSO\\kate 10.0.0.3 Outlook - 200 0 0 31\r\n';
    // Without sc-substatus (a trimmed field set) the GET/POST rows alone tell it apart.
    const trimmed = web.replace(' sc-substatus', '').replace(/ 200 0 0 /g, ' 200 0 ');
    const { sources } = await analyzeFiles([
      { name: 'W3SVC1/u_ex261128.log', content: web },
      { name: 'W3SVC2/u_ex261128.log', content: trimmed },
      {
        name: 'SMTPSVC1/ex261128.log',
        content: header + row('22:15:01', 'OutboundConnectionCommand', 'EHLO', 'relay02'),
      },
    ]);
    expect(sources.map((source) => [source.format, source.status, source.errorCode])).toEqual([
      [undefined, 'failed', 'UNKNOWN_FORMAT'],
      [undefined, 'failed', 'UNKNOWN_FORMAT'],
      ['iis-smtp-log', 'done', undefined],
    ]);
    for (const source of sources.slice(0, 2))
      expect(source.errorMessage).toMatch(/looks like an IIS web server \(HTTP\) log .*not a mail log/);
  });

  /** An outbound row to Exchange Online (52.101.1.1), as the relay writes it. */
  const out = (time: string, kind: 'command' | 'answer', method: string, query: string) =>
    `2026-11-28 ${time} 52.101.1.1 ${kind === 'command' ? 'OutboundConnectionCommand' : 'OutboundConnectionResponse'} SMTPSVC1 RELAY02 - 25 ${method} - ${query} 0 0 4 0 16 SMTP - - - -`;
  const say = (time: string, method: string, query = '-') => out(time, 'command', method, query);
  const hear = (time: string, answer: string) => out(time, 'answer', '-', answer.replaceAll(' ', '+'));
  const GREETING = '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready';
  const analyse = async (rows: string[]) => {
    const { findings, sources } = await analyzeFiles(
      [{ name: 'SMTPSVC1/ex261128.log', content: `${header}${rows.join('\r\n')}\r\n` }],
      { accepted: 'contoso.com' },
    );
    return {
      findings: findings.map((f) => [f.source.line, f.recipient, f.returnPath, f.messageId]),
      notes: sources[0]?.notes ?? [],
      rows: [sources[0]?.rowsRead, sources[0]?.rowsAnalysed],
    };
  };

  it('pairs pipelined answers with their RCPT TO in order: every refused recipient is a finding', async () => {
    const { findings, notes } = await analyse([
      hear('22:30:00', GREETING),
      say('22:30:00', 'EHLO', 'relay02.contoso.local'),
      hear('22:30:00', '250-AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [203.0.113.30]'),
      say('22:30:01', 'MAIL', 'FROM:<billing@fabrikam.com>+SIZE=2000'),
      say('22:30:01', 'RCPT', 'TO:<a1@litware.com>'),
      say('22:30:01', 'RCPT', 'TO:<a2@litware.com>'),
      say('22:30:01', 'RCPT', 'TO:<ok@litware.com>'),
      hear('22:30:01', '250 2.1.0 Sender OK'),
      hear('22:30:01', REFUSED),
      hear('22:30:01', REFUSED),
      hear('22:30:01', '250 2.1.5 Recipient OK'),
      say('22:30:01', 'QUIT'),
      hear('22:30:01', '221 2.0.0 Service closing transmission channel'),
    ]);
    const id = 'iis:RELAY02:52.101.1.1@2026-11-28T22:30:00.000Z#1';
    expect(findings).toEqual([
      [13, 'a1@litware.com', 'billing@fabrikam.com', id],
      [14, 'a2@litware.com', 'billing@fabrikam.com', id],
    ]);
    expect(notes).toEqual([]);
  });

  /** Two sessions with the same remote at once, A (billing@fabrikam.com) and B (`senderB`), rows interleaved. */
  const interleaved = (senderB: string, answerB: string) => [
    hear('22:30:00', GREETING),
    hear('22:30:00', GREETING),
    say('22:30:00', 'EHLO', 'relay02.contoso.local'),
    say('22:30:00', 'EHLO', 'relay02.contoso.local'),
    hear('22:30:00', '250-AM0PR01MB1234 Hello'),
    hear('22:30:00', '250-AM0PR01MB1234 Hello'),
    say('22:30:01', 'MAIL', 'FROM:<billing@fabrikam.com>'),
    say('22:30:01', 'MAIL', `FROM:<${senderB}>`),
    hear('22:30:01', '250 2.1.0 Sender OK'),
    hear('22:30:01', '250 2.1.0 Sender OK'),
    say('22:30:01', 'RCPT', 'TO:<a1@litware.com>'),
    say('22:30:01', 'RCPT', 'TO:<b1@adatum.com>'),
    hear('22:30:01', REFUSED),
    hear('22:30:01', answerB),
    say('22:30:02', 'QUIT'),
    hear('22:30:02', '221 2.0.0 closing'),
    say('22:30:02', 'QUIT'),
    hear('22:30:02', '221 2.0.0 closing'),
  ];
  const stand = (n: number) => `iis:RELAY02:52.101.1.1@2026-11-28T22:30:00.000Z#interleaved-${n}`;

  it('keeps every refusal of interleaved sessions to one remote, without a sender it cannot tell', async () => {
    const { findings, notes, rows } = await analyse(interleaved('scans@contoso.com', REFUSED));
    // Both answers refuse: both recipients were refused, whichever answer was whose; the MAIL FROM
    // of either session could be either's.
    expect(findings).toEqual([
      [17, 'a1@litware.com', undefined, stand(1)],
      [18, 'b1@adatum.com', undefined, stand(2)],
    ]);
    expect(rows).toEqual([18, 18]);
    expect(notes).toEqual([
      {
        code: 'SESSIONS_INTERLEAVED',
        message:
          '2 refusals (lines 17–18) came while the relay had two or more sessions open with the same remote, ' +
          'which IIS logs without a session id: each is kept as its own finding; 2 without a sender (the MAIL FROM ' +
          'of any of those sessions could be theirs)',
      },
    ]);
  });

  it('names no recipient when interleaved answers differ, and the sender when every session had the same', async () => {
    const { findings, notes } = await analyse(interleaved('billing@fabrikam.com', '250 2.1.5 Recipient OK'));
    expect(findings).toEqual([[17, '', 'billing@fabrikam.com', stand(1)]]);
    expect(notes.map((note) => note.message)).toEqual([
      expect.stringMatching(
        /; 1 without a recipient \(the interleaved answers differed, so which RCPT TO each refused is not known\)$/,
      ),
    ]);
  });

  it('keeps the refusals whose command is before the log, each its own finding', async () => {
    const { findings, notes } = await analyse([hear('22:30:01', REFUSED), hear('22:30:01', REFUSED)]);
    expect(findings).toEqual([
      [5, '', undefined, 'iis:RELAY02:52.101.1.1@2026-11-28T22:30:01.000Z#unpaired-1'],
      [6, '', undefined, 'iis:RELAY02:52.101.1.1@2026-11-28T22:30:01.000Z#unpaired-2'],
    ]);
    // No file of the run has the session's start: the run says so, naming the IIS log to add.
    expect(notes.map((note) => note.code)).toEqual(['SESSIONS_JOINED_LATE']);
    expect(notes[0]?.message).toMatch(/Analyse the previous IIS SMTP log/);
  });

  it('takes a greeting after a lull as the only session: the one before ended without a QUIT', async () => {
    const { findings, notes } = await analyse([
      hear('22:30:00', GREETING),
      say('22:30:00', 'MAIL', 'FROM:<billing@fabrikam.com>'),
      hear('22:30:00', '421 4.3.2 Service not available'),
      hear('22:32:00', GREETING),
      say('22:32:00', 'MAIL', 'FROM:<billing@fabrikam.com>'),
      hear('22:32:00', '250 2.1.0 Sender OK'),
      say('22:32:00', 'RCPT', 'TO:<a1@litware.com>'),
      hear('22:32:01', REFUSED),
      // The remote closes the session (421): no QUIT, and the next greeting is the only session.
      hear('22:32:01', '421 4.4.2 Connection dropped'),
      hear('22:32:02', GREETING),
      say('22:32:02', 'MAIL', 'FROM:<scans@contoso.com>'),
      say('22:32:02', 'RCPT', 'TO:<b1@adatum.com>'),
      hear('22:32:02', '250 2.1.0 Sender OK'),
      hear('22:32:02', REFUSED),
    ]);
    expect(findings).toEqual([
      [12, 'a1@litware.com', 'billing@fabrikam.com', 'iis:RELAY02:52.101.1.1@2026-11-28T22:32:00.000Z#1'],
      [18, 'b1@adatum.com', 'scans@contoso.com', 'iis:RELAY02:52.101.1.1@2026-11-28T22:32:02.000Z#1'],
    ]);
    expect(notes).toEqual([]);
  });

  it('skips a row whose field count does not match #Fields:', async () => {
    const text = `${header}2026-11-28 22:15:01 203.0.113.10 OutboundConnectionCommand\r\n`;
    const { sources } = await analyzeFiles([{ name: 'ex261128.log', content: text }]);
    expect(sources[0]?.status).toBe('failed');
    expect(sources[0]?.skipped).toEqual([expect.objectContaining({ line: 5, reason: 'COLUMN_COUNT' })]);
  });
});
