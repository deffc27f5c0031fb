/**
 * A send connector with FrontendProxyEnabled sends through the outbound proxy front end: the Hub's
 * send protocol log shows its session to the front end (port 717, X-ANONYMOUSTLS with its own
 * internal certificate, XPROXYTO), and the front end opens its own session to Exchange Online. The
 * refusal is still the Hub's finding, but what Exchange Online saw is the certificate the front end
 * presented — named by the "Instructing the next hop" line when the connector names one — never the
 * Hub's internal certificate or TLS state. Fixtures: test/fixtures/real-world/front-end-proxy/.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/front-end-proxy';

async function analyseFixture(name: string) {
  return analyzeFiles([{ name, content: await readFile(`${DIR}/${name}`) }]);
}

const kinds = (finding: Finding) => finding.evidence.map((evidence) => evidence.kind);
const detail = (finding: Finding, kind: string) => finding.evidence.find((e) => e.kind === kind)?.detail;
/** Everything the finding says about the session and what to do. */
const prose = (finding: Finding) =>
  [
    ...finding.evidence.map((e) => e.detail),
    ...finding.remediation.steps,
    ...finding.remediation.commands,
  ].join('\n');

/** Kinds that judge the session's own TLS or certificate. */
const OWN_HOP_KINDS = [
  'no-tls',
  'certificate-no-accepted-domain',
  'certificate-expired',
  'session-start-missing',
];

describe('a Hub send protocol log of a session through the outbound proxy front end', () => {
  it('judges the certificate the front end was told to present, not the Hub’s own', async () => {
    const { findings } = await analyseFixture('SEND2026112807-1.LOG');
    expect(findings.map((f) => [f.scenario, f.recipient, f.messageId, f.code, f.source.line])).toEqual([
      ['ndr', 'buyer@northwindtraders.com', 'FE1@EX02.contoso.local', '5.7.64', 36],
    ]);
    const [finding] = findings as [Finding];
    expect(kinds(finding)).toEqual(
      expect.arrayContaining(['protocol-log', 'presented-certificate', 'certificate-accepted-domain']),
    );
    for (const kind of OWN_HOP_KINDS) expect(kinds(finding)).not.toContain(kind);
    expect(detail(finding, 'presented-certificate')).toBe(
      'the session went to the outbound proxy front end (a send connector with FrontendProxyEnabled), which ' +
        "presented CN=mail.contoso.com to Exchange Online on ex02.contoso.local's instruction " +
        `(the log's "Instructing the next hop" line); issued by CN=R11, O=Let's Encrypt, C=US`,
    );
    // The Hub's X-ANONYMOUSTLS certificate (self-signed CN=EX02) is the internal hop's.
    expect(prose(finding)).not.toMatch(/CN=EX02|self-signed|AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12/);
    expect(finding.remediation.steps.join('\n')).toContain(
      'The send protocol log shows ex02.contoso.local sent through the outbound proxy front end and told it to ' +
        'present CN=mail.contoso.com to Exchange Online (the certificate send connector ' +
        '"Outbound to Office 365 - 6e3b1c2d-4f5a-4b6c-8d7e-9f0a1b2c3d4e" names). ' +
        'Its name mail.contoso.com is in an accepted domain',
    );
    expect(prose(finding)).not.toContain('after STARTTLS');
  });

  it('makes no TLS or certificate judgement when the log names no certificate, and points at the front end’s log', async () => {
    const { findings } = await analyseFixture('SEND2026112808-1.LOG');
    expect(findings.map((f) => [f.scenario, f.recipient, f.messageId, f.returnPath, f.source.line])).toEqual([
      [
        'foreign-sender-domain',
        'noc@adatum.com',
        'FE2@EX02.contoso.local',
        'alerts@monitoring.contoso.com',
        35,
      ],
    ]);
    const [finding] = findings as [Finding];
    expect(kinds(finding)).toContain('certificate-not-logged');
    for (const kind of [...OWN_HOP_KINDS, 'presented-certificate', 'certificate-accepted-domain'])
      expect(kinds(finding)).not.toContain(kind);
    expect(detail(finding, 'certificate-not-logged')).toBe(
      'the session went to the outbound proxy front end (a send connector with FrontendProxyEnabled), which opened ' +
        'its own session to Exchange Online: how ex02.contoso.local reached the front end is not what Exchange Online ' +
        "saw, and this log does not name the certificate the front end presented; the front end's " +
        'FrontEnd\\ProtocolLog\\SmtpSend log shows that session',
    );
    // Advised as without a protocol log: nothing said of what was presented, or of TLS missing.
    expect(prose(finding)).not.toMatch(/CN=EX02|self-signed|without STARTTLS|The send protocol log shows/);
  });
});

const HEADER = [
  '#Software: Microsoft Exchange Server',
  '#Version: 15.02.1544.004',
  '#Log-type: SMTP Send Protocol Log',
  '#Date: 2026-11-28T06:00:00.000Z',
  '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context',
];

/** A Hub send log of one session to the front end; `rows` are `event,data,context` after the greeting and EHLO. */
function hubLog(rows: readonly string[]): string {
  const all = [
    '*,,attempting to connect',
    '+,,',
    '<,220 EX01.contoso.local Microsoft ESMTP MAIL Service ready,',
    '>,EHLO EX02.contoso.local,',
    '<,250  EX01.contoso.local Hello [10.0.1.12] SIZE 37748736 PIPELINING X-ANONYMOUSTLS XPROXYTO,',
    ...rows,
    '>,QUIT,',
    '<,221 2.0.0 Service closing transmission channel,',
  ];
  const lines = all.map(
    (row, index) =>
      `2026-11-28T06:00:00.${String(index).padStart(3, '0')}Z,Outbound to Office 365,08DF0E2A33330001,${index},` +
      `10.0.1.12:40001,10.0.1.11:717,${row}`,
  );
  return `${[...HEADER, ...lines].join('\r\n')}\r\n`;
}

const MESSAGE =
  '*,08DF0E2A33330001;2026-11-28T06:00:00.001Z;1,sending message with RecordId 1 and InternetMessageId <P2@EX02.contoso.local>';

describe('the signs of a session through the front end', () => {
  it('reads the front end’s "Proxy session setup failed on Frontend" answer as one, without XPROXYTO', async () => {
    const { findings } = await analyzeFiles([
      {
        name: 'SEND2026112806-1.LOG',
        content: hubLog([
          MESSAGE,
          '>,MAIL FROM:<alerts@monitoring.contoso.com>,',
          '>,RCPT TO:<noc@adatum.com>,',
          '<,250 2.1.0 Sender OK,',
          `<,"450 4.7.0 Proxy session setup failed on Frontend with '451 4.4.0 Primary target IP address responded with: ""550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]"" Attempted failover to alternate host, but that did not succeed. The last endpoint attempted was 52.101.1.1:25'",`,
        ]),
      },
    ]);
    expect(findings.map((f) => [f.scenario, f.recipient, f.messageId])).toEqual([
      ['foreign-sender-domain', 'noc@adatum.com', 'P2@EX02.contoso.local'],
    ]);
    const [finding] = findings as [Finding];
    expect(kinds(finding)).not.toContain('no-tls');
    expect(detail(finding, 'certificate-not-logged')).toContain('outbound proxy front end');
    expect(prose(finding)).not.toContain('without STARTTLS');
  });

  it.each([
    [
      'its TlsCertificateName without an issuer',
      '<S>CN=relay.contoso.com, O=Contoso Ltd, C=US',
      'CN=relay.contoso.com, O=Contoso Ltd, C=US',
    ],
    [
      'a distinguished name',
      'CN=relay.contoso.com, O=Contoso Ltd, C=US',
      'CN=relay.contoso.com, O=Contoso Ltd, C=US',
    ],
    ['an FQDN', 'relay.contoso.com', 'CN=relay.contoso.com'],
  ])('takes the certificate the "Instructing the next hop" line names as %s', async (_, named, subject) => {
    const { findings } = await analyzeFiles([
      {
        name: 'SEND2026112806-1.LOG',
        content: hubLog([
          '>,X-ANONYMOUSTLS,',
          '<,220 2.0.0 SMTP server ready,',
          '*,,Sending certificate',
          '*,CN=EX02,Certificate subject',
          '*,CN=EX02,Certificate issuer name',
          `*,,"Instructing the next hop (outbound proxy frontend) to present the following certificate during TLS: ${named}"`,
          '>,XPROXYTO DESTINATIONS=[52.101.1.1] LAST=True,',
          '<,250 XPROXYTOTARGETIPADDRESS 52.101.1.1 XPROXYTOTARGETHOSTNAME contoso-com.mail.protection.outlook.com,',
          MESSAGE,
          '>,MAIL FROM:<>,',
          '>,RCPT TO:<buyer@northwindtraders.com>,',
          '<,250 2.1.0 Sender OK,',
          '<,550 5.7.64 TenantAttribution; Relay Access Denied ATTR36,',
        ]),
      },
    ]);
    expect(findings.map((f) => [f.scenario, f.recipient])).toEqual([['ndr', 'buyer@northwindtraders.com']]);
    const [finding] = findings as [Finding];
    expect(detail(finding, 'presented-certificate')).toContain(
      `which presented ${subject} to Exchange Online on ex02.contoso.local's instruction`,
    );
    expect(detail(finding, 'certificate-accepted-domain')).toBe(
      'relay.contoso.com on the certificate is in an accepted domain',
    );
    expect(prose(finding)).not.toMatch(/CN=EX02|self-signed/);
  });
});
