/**
 * The relay's own rejections of a client's MAIL FROM or RCPT TO that quote the Exchange Online
 * refusal its address verification got, in every shape Postfix and Exim log them
 * (test/fixtures/real-world/verify-rejections/README.md): noted VERIFY_REFUSALS, no finding, the
 * file read — while a delivery in a shape not read still fails its file (REFUSAL_NOT_READ).
 */
import { describe, expect, it } from 'vitest';
import { analyzeNoStore } from '../support/analyze-no-store.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/verify-rejections';

const REFUSED =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const MX = 'contoso-com.mail.protection.outlook.com[52.101.1.1]';
const REJECT =
  `reject: RCPT from app01.contoso.local[10.0.2.40]: 450 4.1.1 <noc@adatum.com>: Recipient address rejected: ` +
  `unverified address: host ${MX} said: ${REFUSED} (in reply to RCPT TO command); ` +
  'from=<alerts@monitoring.contoso.com> to=<noc@adatum.com> proto=ESMTP helo=<app01.contoso.local>';
const DELIVERY =
  `3F7A21C0B4: to=<noc@adatum.com>, relay=${MX}:25, delay=0.74, delays=0.05/0.01/0.31/0.37, dsn=5.7.64, ` +
  `status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`;

async function analyse(file: string) {
  return analyzeNoStore(`${DIR}/${file}`, '--accepted-domains', 'contoso.com', '--year', '2026');
}

describe("the relay's own rejections in the shapes Postfix and Exim log them", () => {
  it.each([
    ['postfix-warn-if-reject.log', /^Line 2 is this relay's own rejection /, [[7, 'noc@adatum.com']]],
    ['postfix-repeated.log', /^2 lines \(the first on line 2\) are this relay's own rejections /, []],
    ['postfix-sender-at-mail.log', /^Line 2 is this relay's own rejection /, []],
    ['postfix-queue-id.log', /^Line 3 is this relay's own rejection /, []],
    ['exim-sender-verify.log', /^Line 2 is this relay's own rejection /, []],
  ])('%s is read, its rejections noted, and does not fail', async (file, note, findings) => {
    const run = await analyse(file);
    expect(run.status).toBe(0);
    expect(run.source).toMatchObject({ status: 'done', rowsSkipped: 0 });
    expect(run.findings.map((finding) => [finding.source.line, finding.recipient])).toEqual(findings);
    const noted = run.source.notes?.find((candidate) => candidate.code === 'VERIFY_REFUSALS');
    expect(noted?.message).toMatch(note);
  });

  it('says a reject_warning only warned: its message was accepted, and its delivery is a finding', async () => {
    const run = await analyse('postfix-warn-if-reject.log');
    const noted = run.source.notes?.find((candidate) => candidate.code === 'VERIFY_REFUSALS');
    expect(noted?.message).toContain(
      "It is Postfix's reject_warning (warn_if_reject), which only warns: that mail was accepted",
    );
    expect(run.findings.map((finding) => finding.scenario)).toEqual(['foreign-sender-domain']);
  });

  it('counts the warnings among rejections, and says nothing of them when there are none', async () => {
    const text = [
      `Nov 28 22:40:08 relay01 postfix/smtpd[24510]: NOQUEUE: ${REJECT}`,
      `Nov 28 22:40:09 relay01 postfix/smtpd[24510]: NOQUEUE: ${REJECT.replace('reject:', 'reject_warning:')}`,
      `Nov 28 22:40:10 relay01 postfix/smtpd[24510]: 1D2E3F4A5B: ${REJECT}`,
    ].join('\n');
    const { sources } = await analyzeFiles([{ name: 'mail.log', content: `${text}\n` }], { year: 2026 });
    const noted = sources[0]?.notes?.find((candidate) => candidate.code === 'VERIFY_REFUSALS')?.message;
    expect(noted).toMatch(/^3 lines \(the first on line 1\) are this relay's own rejections /);
    expect(noted).toContain("1 of them is Postfix's reject_warning");
    const plain = await analyse('postfix-queue-id.log');
    const rejected = plain.source.notes?.find((candidate) => candidate.code === 'VERIFY_REFUSALS')?.message;
    expect(rejected).toMatch(/^Line 3 is this relay's own rejection /);
    expect(rejected).not.toContain('reject_warning (warn_if_reject)');
  });

  it('notes no rejection without relay-refusal text (a relay that refuses to relay, 554 5.7.1)', async () => {
    const text =
      'Nov 28 22:40:08 relay01 postfix/smtpd[24510]: 1D2E3F4A5B: reject: RCPT from unknown[198.51.100.7]: ' +
      '554 5.7.1 <x@fabrikam.com>: Relay access denied; from=<a@b.example> to=<x@fabrikam.com> proto=ESMTP helo=<b>\n';
    const { sources } = await analyzeFiles([{ name: 'mail.log', content: text }], { year: 2026 });
    expect(sources[0]).toMatchObject({ status: 'done', rowsSkipped: 0 });
    expect(sources[0]?.notes?.map((candidate) => candidate.code)).not.toContain('VERIFY_REFUSALS');
  });
});

describe('a refusal in a line that is no rejection of the relay still fails its file', () => {
  it.each([
    [
      'a delivery line inside rsyslog\'s "message repeated" wrapper',
      `message repeated 2 times: [ ${DELIVERY}]`,
    ],
    ['rejection text after a prefix the reader does not know', `[ID 123] NOQUEUE: ${REJECT}`],
  ])('%s', async (_what, message) => {
    const text = [
      'Nov 28 22:40:07 relay01 postfix/smtpd[24510]: connect from app01.contoso.local[10.0.2.40]',
      `Nov 28 22:40:08 relay01 postfix/smtp[24512]: ${message}`,
    ].join('\n');
    const { sources, findings } = await analyzeFiles([{ name: 'mail.log', content: `${text}\n` }], {
      year: 2026,
    });
    expect(findings).toEqual([]);
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(sources[0]?.skipped).toEqual([expect.objectContaining({ line: 2, reason: 'REFUSAL_NOT_READ' })]);
  });

  it("an amavis (!)FWD line quoting the tenant's 550 5.7.64", async () => {
    const text = [
      'Nov 28 22:40:08 relay01 postfix/smtpd[24510]: connect from app01.contoso.local[10.0.2.40]',
      'Nov 28 22:40:09 relay01 amavis[2211]: (02211-08) (!)FWD via SMTP: <alerts@monitoring.contoso.com> -> ' +
        `<noc@adatum.com>,BODY=7BIT ${REFUSED}, id=02211-08, from MTA([contoso-com.mail.protection.outlook.com]:25): ${REFUSED}`,
    ].join('\n');
    const { sources } = await analyzeFiles([{ name: 'mail.log', content: `${text}\n` }], { year: 2026 });
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(sources[0]?.skipped).toEqual([expect.objectContaining({ line: 2, reason: 'REFUSAL_NOT_READ' })]);
  });
});
