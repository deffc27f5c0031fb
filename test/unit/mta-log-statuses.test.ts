/**
 * Every delivery status a mail log can write is read, or its line is skipped with why: a `to=` line
 * counted as analysed with nothing read would lose its refusal unsaid ("no relay refusals").
 */
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../support/analyze-text.js';

const MX = 'contoso-com.mail.protection.outlook.com[52.101.1.1]';
const REFUSAL =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';

/** A Postfix message from an unaccepted sender to one recipient, delivered with `status`. */
function postfix(queueId: string, second: number, status: string, dsn = '5.7.64'): string[] {
  const at = `Nov 28 22:15:${String(second).padStart(2, '0')}`;
  return [
    `${at} relay01 postfix/qmgr[1187]: ${queueId}: from=<alerts@app.fabrikam.com>, size=2841, nrcpt=1 (queue active)`,
    `${at} relay01 postfix/smtp[24117]: ${queueId}: to=<${queueId.toLowerCase()}@adatum.com>, relay=${MX}:25, delay=0.74, delays=0.05/0.01/0.31/0.37, dsn=${dsn}, status=${status}`,
  ];
}

const said = `(host ${MX} said: ${REFUSAL} (in reply to RCPT TO command))`;
/** A failure that is no relay refusal. */
const notFound = `(host ${MX} said: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup (in reply to RCPT TO command))`;

describe('Postfix delivery statuses', () => {
  it('reads each status Postfix writes, SOFTBOUNCE in its capitals too, and a reason cut short', async () => {
    const text = [
      ...postfix('A1B2C3D4E5', 1, `bounced ${said}`),
      // soft_bounce = yes: bounce.c logs SOFTBOUNCE and a DSN of class 4; the reply is the server's.
      ...postfix('B1B2C3D4E5', 2, `SOFTBOUNCE ${said}`, '4.7.64'),
      ...postfix('C1B2C3D4E5', 3, `deferred ${said}`),
      // An address verification probe refused the same way.
      ...postfix('D1B2C3D4E5', 4, `undeliverable ${said}`),
      // Cut by syslog's message size limit: the reason never closes.
      ...postfix('E1B2C3D4E5', 5, `bounced (host ${MX} said: ${REFUSAL.slice(0, 60)}`),
      ...postfix('F1B2C3D4E5', 6, 'sent (250 2.6.0 Queued mail for delivery)', '2.6.0'),
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'mail.log', content: text }]);
    expect(findings.map((f) => [f.source.line, f.recipient, f.code, f.scenario])).toEqual([
      [2, 'a1b2c3d4e5@adatum.com', '5.7.64', 'foreign-sender-domain'],
      [4, 'b1b2c3d4e5@adatum.com', '5.7.64', 'foreign-sender-domain'],
      [6, 'c1b2c3d4e5@adatum.com', '5.7.64', 'foreign-sender-domain'],
      [8, 'd1b2c3d4e5@adatum.com', '5.7.64', 'foreign-sender-domain'],
      [10, 'e1b2c3d4e5@adatum.com', '5.7.64', 'foreign-sender-domain'],
    ]);
    expect(sources[0]).toMatchObject({ rowsRead: 12, rowsAnalysed: 12, rowsSkipped: 0 });
  });

  it('skips a to= line whose status it cannot read, with its line and why, instead of counting it read', async () => {
    const text = [
      ...postfix('A1B2C3D4E5', 1, `WEIRD ${notFound}`, '5.1.10'),
      // A delivery line cut before its status.
      `Nov 28 22:15:02 relay01 postfix/smtp[24117]: A1B2C3D4E5: to=<b@adatum.com>, relay=${MX}:25, delay=0.74, dsn=5.1.10`,
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'mail.log', content: text }]);
    expect(findings).toEqual([]);
    expect(sources[0]).toMatchObject({ status: 'done', rowsRead: 3, rowsAnalysed: 1, rowsSkipped: 2 });
    expect(sources[0]?.skipped).toEqual([
      {
        line: 2,
        reason: 'UNKNOWN_STATUS',
        message:
          'status=WEIRD is not a delivery status Postfix writes (sent, deferred, bounced, SOFTBOUNCE, expired, ' +
          'deliverable, undeliverable): the line is not read',
      },
      {
        line: 3,
        reason: 'UNKNOWN_STATUS',
        message: expect.stringMatching(
          /^a to= line with no status= that relay-audit can read: "to=<b@adatum\.com>, /,
        ),
      },
    ]);
  });

  it('skips a sendmail to= line without its stat=, with its line and why', async () => {
    const text = sendmailCutBeforeStat('5.1.10');
    const { sources } = await analyzeFiles([{ name: 'maillog', content: text }]);
    expect(sources[0]?.skipped).toEqual([expect.objectContaining({ line: 2, reason: 'UNKNOWN_STATUS' })]);
  });

  it('fails the file when a to= line it cannot read holds relay-refusal text: never "no relay refusals"', async () => {
    const postfixText = [
      ...postfix('A1B2C3D4E5', 1, `bounced ${said}`),
      ...postfix('B1B2C3D4E5', 2, `WEIRD ${said}`),
    ].join('\n');
    const { findings, sources } = await analyzeFiles([
      { name: 'mail.log', content: `${postfixText}\n` },
      { name: 'maillog', content: sendmailCutBeforeStat('5.7.64') },
    ]);
    // The refusal of the line it read stands; the file is failed for the one it could not.
    expect(findings.map((f) => [f.source.file, f.source.line])).toEqual([['mail.log', 2]]);
    expect(sources.map((s) => [s.file, s.status, s.errorCode])).toEqual([
      ['mail.log', 'failed', 'REFUSAL_NOT_READ'],
      ['maillog', 'failed', 'REFUSAL_NOT_READ'],
    ]);
    expect(sources[0]?.skipped).toEqual([
      {
        line: 4,
        reason: 'REFUSAL_NOT_READ',
        message:
          'status=WEIRD is not a delivery status Postfix writes (sent, deferred, bounced, SOFTBOUNCE, expired, ' +
          'deliverable, undeliverable): the line is not read, yet it holds relay-refusal text (5.7.64)',
      },
    ]);
    expect(sources[0]?.errorMessage).toMatch(
      /^mail\.log: line 4 could not be read — status=WEIRD .*\(5\.7\.64\)\. Its other lines were read and their refusals are reported, but not this line\./,
    );
    expect(sources[1]?.skipped).toEqual([expect.objectContaining({ line: 2, reason: 'REFUSAL_NOT_READ' })]);
  });
});

/** A sendmail delivery line cut before its `stat=`, with `dsn=` of `code`. */
function sendmailCutBeforeStat(code: string): string {
  return [
    'Nov 28 22:15:01 relay02 sm-mta[3101]: 5ASMF1a3003101: from=<alerts@app.fabrikam.com>, size=2841, class=0, nrcpts=1, msgid=<1@relay02>, proto=ESMTP, relay=app01 [10.0.2.40]',
    `Nov 28 22:15:02 relay02 sm-mta[3102]: 5ASMF1a3003101: to=<x@adatum.com>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=122841, relay=contoso-com.mail.protection.outlook.com. [52.101.1.1], dsn=${code}`,
  ].join('\n');
}

describe('a syslog file whose head has no mail line', () => {
  it('is refused once its lines stop being syslog lines before any mail line', async () => {
    const kernel = Array.from(
      { length: 200 },
      (_, i) =>
        `Nov 28 22:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} relay01 kernel: [ ${i}.5] usb 1-1: new high-speed USB device number ${i}`,
    );
    // More than a batch of text (64 K characters): refused as soon as it is plain, not at its end.
    const garbage = Array.from({ length: 4000 }, (_, i) => `core dump fragment ${i}`);
    const { sources } = await analyzeFiles(
      [{ name: 'syslog', content: [...kernel, ...garbage].join('\n') }],
      {
        chunk: 4096,
      },
    );
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(sources[0]?.errorMessage).toMatch(
      /^syslog: its first lines are syslog lines, but its first [\d,]+ lines have no Postfix, sendmail or Exim line and [\d,]+ of them are not syslog lines/,
    );
  });
});
