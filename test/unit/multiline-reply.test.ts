/**
 * Multi-line SMTP replies: every line but the last writes its code with a dash (`550-5.7.64 …`), and
 * the ATTR may be on any line. Postfix joins the lines with a space, Exim writes the break as `\n`.
 * The ATTR and reason text of such a reply are read over all its lines, never from a wrapper before it.
 * The logs are test/fixtures/real-world/multiline-replies/ (see its README.md).
 */
import { describe, expect, it } from 'vitest';
import { parseRejection, relayRejectionIn } from '../../functions/core/analysis/evidence/rejections.js';
import { cli } from '../support/capture-output.js';

const HOST = 'AM0PR01MB1234.eurprd01.prod.exchangelabs.com';
const POSTFIX_SAID = 'host contoso-com.mail.protection.outlook.com[52.101.1.1] said:';
/** ATTR36 on the first line, the front end on the last, as Postfix logs the reply. */
const JOINED = `550-5.7.64 TenantAttribution; Relay Access Denied ATTR36 550 5.7.64 [${HOST}]`;
/** The same reply as Exim logs it. */
const ESCAPED = `550-5.7.64 TenantAttribution; Relay Access Denied ATTR36\\n550 5.7.64 [${HOST}]`;

describe('parseRejection of a multi-line reply', () => {
  it.each([
    ['Postfix: lines joined with a space', JOINED],
    ['Exim: the break written as \\n', ESCAPED],
    [
      'three lines, the reason running over two',
      `550-5.7.64 TenantAttribution; Relay Access Denied ATTR36 550-5.7.64 The sender domain is not accepted 550 5.7.64 [${HOST}]`,
    ],
  ])('takes the ATTR of an earlier line (%s)', (_name, reply) => {
    expect(parseRejection(reply)).toEqual({
      smtpCode: '550',
      enhancedCode: '5.7.64',
      attr: 'ATTR36',
      remoteHost: HOST,
      text: reply,
    });
  });

  it('reads the reply after Postfix\'s "host … said:" as its one-line form is read', () => {
    const status = `${POSTFIX_SAID} ${JOINED} (in reply to RCPT TO command)`;
    const oneLine = `${POSTFIX_SAID} 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [${HOST}] (in reply to RCPT TO command)`;
    const { text, ...multi } = relayRejectionIn(status) ?? { text: '' };
    const { text: _oneLineText, ...single } = relayRejectionIn(oneLine) ?? { text: '' };
    expect(multi).toEqual(single);
    expect(multi).toMatchObject({ attr: 'ATTR36', remoteHost: HOST });
    expect(text).toBe(status);
  });

  it('takes ATTR35 of a multi-line 4.4.62', () => {
    const reply = `451-4.4.62 Mail sent to the wrong Office 365 region. ATTR35. For more information please go to 451 4.4.62 https://go.microsoft.com/fwlink/?linkid=865268 [${HOST}]`;
    expect(relayRejectionIn(reply)).toMatchObject({
      smtpCode: '451',
      enhancedCode: '4.4.62',
      attr: 'ATTR35',
    });
  });

  it.each([
    [
      'a quoted answer of a 4.4.0 wrapper',
      (reply: string) =>
        `451 4.4.0 Primary target IP address responded with: "${reply}" Attempted failover to alternate host`,
    ],
    [
      'the {LED=…} of a queue error',
      (reply: string) => `550 4.4.7 QUEUE.Expired; message expired [{LED=${reply}};{MSG=};{IP=52.101.1.1}]`,
    ],
  ])('reads a multi-line reply wrapped in %s from its first line to the wrapper’s end', (_name, wrap) => {
    const status = wrap(JOINED);
    expect(parseRejection(status)).toEqual({
      smtpCode: '550',
      enhancedCode: '5.7.64',
      attr: 'ATTR36',
      remoteHost: HOST,
      ...(status.includes('{IP=') ? { remoteAddress: '52.101.1.1' } : {}),
      text: JOINED,
    });
  });

  it.each([
    [
      'a wrapper of another code before the reply',
      `451 4.4.0 ATTR35 Primary target IP address responded with: "550-5.7.64 TenantAttribution; Relay Access Denied 550 5.7.64 [${HOST}]"`,
      '550-5.7.64 TenantAttribution; Relay Access Denied 550 5.7.64',
    ],
    [
      'a dashed line of another code',
      `451-4.4.0 ATTR35 retrying 550 5.7.64 TenantAttribution; Relay Access Denied [${HOST}]`,
      '550 5.7.64 TenantAttribution',
    ],
    [
      'a finished reply of the same code (written with a space)',
      `550 5.7.64 Relay Access Denied ATTR36 after 550 5.7.64 TenantAttribution; Relay Access Denied [${HOST}]`,
      '550 5.7.64 TenantAttribution',
    ],
    [
      'a dashed line outside the quote that opens the reply',
      `550-5.7.64 ATTR36 responded with: "550 5.7.64 TenantAttribution; Relay Access Denied [${HOST}]"`,
      '550 5.7.64 TenantAttribution',
    ],
  ])('takes no ATTR from text that is not a line of the reply: %s', (_name, status, start) => {
    const rejection = relayRejectionIn(status);
    expect(rejection).toMatchObject({ enhancedCode: '5.7.64', remoteHost: HOST });
    expect(rejection?.attr).toBeUndefined();
    expect(rejection?.text.startsWith(start)).toBe(true);
  });
});

interface Finding {
  source: { line: number };
  recipient: string;
  scenario: string;
  confidence: string;
  attr?: string;
  evidence: { kind: string }[];
}

/** `[line, recipient, scenario, confidence, attr, evidence kinds]` of each finding of one fixture. */
async function findingsOf(
  file: string,
): Promise<[number, string, string, string, string | undefined, string[]][]> {
  const { status, out } = await cli(
    'analyze',
    `test/fixtures/real-world/multiline-replies/${file}`,
    '--accepted-domains',
    'contoso.com',
    '--year',
    '2026',
    '--no-store',
    '--json',
  );
  expect(status).toBe(0);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Finding)
    .map((finding) => [
      finding.source.line,
      finding.recipient,
      finding.scenario,
      finding.confidence,
      finding.attr,
      finding.evidence.map((evidence) => evidence.kind),
    ]);
}

describe('mail logs with multi-line replies', () => {
  it('Postfix: the ATTR36 of an earlier line decides the scenario and its evidence', async () => {
    expect(await findingsOf('maillog')).toEqual([
      [
        3,
        'noc@adatum.com',
        'foreign-sender-domain',
        'high',
        'ATTR36',
        ['return-path', 'not-accepted', 'time-zone-assumed'],
      ],
      [
        7,
        'ap@litware.com',
        'connector-mismatch',
        'medium',
        'ATTR36',
        ['return-path', 'accepted-domain', 'attr36-conflict', 'time-zone-assumed'],
      ],
      [
        11,
        'ar@litware.com',
        'connector-mismatch',
        'high',
        undefined,
        ['return-path', 'accepted-domain', 'no-attr36', 'time-zone-assumed'],
      ],
      [
        13,
        'buyer@wingtiptoys.com',
        'foreign-sender-domain',
        'low',
        'ATTR36',
        ['no-sender', 'attr36', 'time-zone-assumed'],
      ],
      [
        17,
        'supplier@litware.com',
        'foreign-sender-domain',
        'high',
        'ATTR36',
        ['return-path', 'not-accepted', 'time-zone-assumed'],
      ],
    ]);
  });

  it('Exim: the ATTR36 before the escaped line break is read', async () => {
    expect(await findingsOf('mainlog')).toEqual([
      [
        2,
        'supplier@litware.com',
        'foreign-sender-domain',
        'high',
        'ATTR36',
        ['return-path', 'not-accepted', 'time-zone-assumed'],
      ],
      [
        5,
        'ap@litware.com',
        'connector-mismatch',
        'medium',
        'ATTR36',
        ['return-path', 'accepted-domain', 'attr36-conflict', 'time-zone-assumed'],
      ],
    ]);
  });
});
