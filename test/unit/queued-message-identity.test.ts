/**
 * How an MTA's queued message is named across the files of a run: by the Message-ID any file names
 * (a rotation may leave it in mail.log.1 and the sender in mail.log), with the evidence its own file
 * gave under its stand-in; and by a stand-in that only Postfix's reused short queue ids date.
 */
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../support/analyze-text.js';

const MX = 'contoso-com.mail.protection.outlook.com[52.101.1.1]';
const REFUSED =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';

/** A message relayed on by an alias (`orig_to=`): refused, it is forwarding. */
const forwarded = [
  'Nov 28 22:41:02 relay1 postfix/cleanup[2201]: 5C1D2E3F40: message-id=<CAJx@mail.fabrikam.com>',
  'Nov 28 22:41:02 relay1 postfix/qmgr[900]: 5C1D2E3F40: from=<john@fabrikam.com>, size=8830, nrcpt=1 (queue active)',
  `Nov 28 22:41:03 relay1 postfix/smtp[2202]: 5C1D2E3F40: to=<kate@tailspintoys.com>, orig_to=<kate@contoso.com>, relay=${MX}:25, delay=0.61, delays=0.1/0.01/0.3/0.2, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`,
  'Nov 28 22:41:03 relay1 postfix/qmgr[900]: 5C1D2E3F40: removed',
];

describe('a message whose Message-ID is in the file before the one with its refusal', () => {
  for (const cut of [1, 2]) {
    for (const order of ['mail.log.1 first', 'mail.log first']) {
      it(`keeps the redirect of its own file: forwarding (cut after line ${cut}, ${order})`, async () => {
        const files = [
          { name: 'mail.log.1', content: `${forwarded.slice(0, cut).join('\n')}\n` },
          { name: 'mail.log', content: `${forwarded.slice(cut).join('\n')}\n` },
        ];
        const { findings } = await analyzeFiles(order === 'mail.log first' ? files.reverse() : files, {
          year: 2026,
        });
        expect(findings.map((f) => [f.messageId, f.scenario, f.returnPath])).toEqual([
          ['CAJx@mail.fabrikam.com', 'forwarding', 'john@fabrikam.com'],
        ]);
      });
    }
  }
});

describe('the stand-in of a message whose log names no Message-ID', () => {
  const messageIds = async (text: string) =>
    (await analyzeFiles([{ name: 'mail.log', content: text }], { year: 2026 })).findings.map(
      (f) => f.messageId,
    );
  const refusal = (time: string, queueId: string, delay: string) =>
    `Nov 28 ${time} relay1 postfix/smtp[2202]: ${queueId}: to=<noc@adatum.com>, relay=${MX}:25, delay=${delay}, delays=0.1/0.01/0.3/0.2, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`;

  it('dates a short Postfix queue id by the hour its message arrived: its line less delay=', async () => {
    // Refused at 23:00:01 after 2.4 s in the queue: it arrived in the hour before.
    expect(await messageIds(refusal('23:00:01', '3F7A21C0B4', '2.4'))).toEqual([
      'postfix:relay1:3F7A21C0B4@2026-11-28T22',
    ]);
  });

  it('names a long Postfix queue id (enable_long_queue_ids) alone: it is unique', async () => {
    expect(await messageIds(refusal('23:00:01', '4dK9Yw1sXbz6Rkr', '2.4'))).toEqual([
      'postfix:relay1:4dK9Yw1sXbz6Rkr',
    ]);
  });

  it('names a sendmail queue id alone: it is unique', async () => {
    const text = [
      'Nov 28 22:22:03 mailgw sm-mta[3121]: 2ASMMfxw003121: from=<>, size=7010, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=localhost',
      'Nov 28 22:22:04 mailgw sm-mta[3122]: 2ASMMfxw003121: to=<noreply@fabrikam.com>, delay=00:00:01, xdelay=00:00:01, mailer=relay, pri=37010, relay=contoso-com.mail.protection.outlook.com. [52.101.1.1], dsn=5.7.64, stat=Service unavailable',
    ].join('\n');
    expect(await messageIds(text)).toEqual(['sendmail:mailgw:2ASMMfxw003121']);
  });
});
