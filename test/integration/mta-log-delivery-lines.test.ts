/**
 * Delivery lines of sendmail and Exim in the shapes their logging options write
 * (test/fixtures/real-world/mta-logs/README.md): sendmail's recipient list logged in parts
 * (`to=… [more]`) and with a quoted local part holding a comma, Exim's parents with
 * `log_selector = +all_parents`, and Exim's `F=`/`P=` with `+sender_on_delivery` /
 * `+return_path_on_delivery`. Also the refusals Postfix and Exim log on a line of their own when
 * they go on to the next server, and lines of a queued message read as none of these.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../support/analyze-text.js';

const FIXTURES = 'test/fixtures/real-world/mta-logs';

async function analyseFixture(name: string) {
  const content = await readFile(`${FIXTURES}/${name}`, 'utf8');
  return analyzeFiles([{ name, content }]);
}

/** `<prefix>00@domain` … `<prefix>NN@domain`, `from` to `to` included. */
function numbered(prefix: string, domain: string, from: number, to: number): string[] {
  return Array.from(
    { length: to - from + 1 },
    (_, i) => `${prefix}${String(from + i).padStart(2, '0')}@${domain}`,
  );
}

function evidenceOf(finding: { evidence: { detail: string }[] } | undefined): string[] {
  return finding?.evidence.map((item) => item.detail) ?? [];
}

describe('sendmail: a recipient list logged in parts (to=… [more])', () => {
  it('gives each part its own recipients, without a recipient "[more]", each refused once', async () => {
    const { findings, sources } = await analyseFixture('sendmail-to-more.maillog');
    expect(findings.filter((f) => f.recipient?.includes('more'))).toEqual([]);
    const byLine = new Map<number, string[]>();
    for (const finding of findings) {
      byLine.set(finding.source.line, [...(byLine.get(finding.source.line) ?? []), finding.recipient ?? '']);
    }
    expect(Object.fromEntries(byLine)).toEqual({
      2: numbered('buyer', 'wingtiptoys.com', 0, 29),
      3: numbered('buyer', 'wingtiptoys.com', 30, 39),
      6: numbered('treasury.desk', 'woodgrovebank.com', 0, 18),
      7: numbered('treasury.desk', 'woodgrovebank.com', 19, 37),
      8: numbered('treasury.desk', 'woodgrovebank.com', 38, 56),
      9: numbered('treasury.desk', 'woodgrovebank.com', 57, 59),
    });
    // Each part is read with its own tail: the refusal of the newsletter, the deferral of the report.
    const scenarios = new Map(findings.map((f) => [f.recipient, [f.scenario, f.code, f.returnPath]]));
    expect(scenarios.get('buyer00@wingtiptoys.com')).toEqual([
      'foreign-sender-domain',
      '5.7.64',
      'newsletter@fabrikam.com',
    ]);
    expect(scenarios.get('buyer39@wingtiptoys.com')).toEqual([
      'foreign-sender-domain',
      '5.7.64',
      'newsletter@fabrikam.com',
    ]);
    expect(scenarios.get('treasury.desk37@woodgrovebank.com')).toEqual([
      'wrong-region',
      '4.4.62',
      'reports@contoso.com',
    ]);
    expect(scenarios.get('treasury.desk59@woodgrovebank.com')).toEqual([
      'wrong-region',
      '4.4.62',
      'reports@contoso.com',
    ]);
    expect(findings).toHaveLength(100);
    expect(sources[0]).toMatchObject({
      format: 'sendmail-log',
      rowsRead: 9,
      rowsAnalysed: 9,
      rowsSkipped: 0,
    });
  });
});

describe('Exim log_selector = +all_parents: final (parents) <top>', () => {
  it('reads the top address and the parents between as redirects: forwarding', async () => {
    const { findings } = await analyseFixture('exim-all_parents.mainlog');
    expect(findings.map((f) => [f.source.line, f.recipient, f.scenario, f.confidence])).toEqual([
      [3, 'kate@tailspintoys.com', 'forwarding', 'high'],
      [7, 'ravi@adatum.com', 'forwarding', 'high'],
      [10, 'kate@tailspintoys.com', 'forwarding', 'high'],
      [13, 'buyer@wingtiptoys.com', 'foreign-sender-domain', 'high'],
    ]);
    expect(evidenceOf(findings[0])).toEqual(
      expect.arrayContaining([
        'REDIRECT on line 3: sales@contoso.com was redirected to kate.smith@contoso.com',
        'REDIRECT on line 3: kate.smith@contoso.com was redirected to kate@tailspintoys.com',
      ]),
    );
    expect(evidenceOf(findings[1])).toEqual(
      expect.arrayContaining([
        'REDIRECT on line 7: all-staff@contoso.com was redirected to buyers@contoso.com',
        'REDIRECT on line 7: buyers@contoso.com was redirected to ravi.k@contoso.com',
        'REDIRECT on line 7: ravi.k@contoso.com was redirected to ravi@adatum.com',
      ]),
    );
  });
});

describe('Exim +sender_on_delivery / +return_path_on_delivery: F=<sender> P=<return path>', () => {
  it('takes the sender of a delivery line whose <= line is in an earlier file, P= before F=', async () => {
    const { findings, sources } = await analyseFixture('exim-sender_on_delivery.mainlog');
    expect(findings.map((f) => [f.source.line, f.recipient, f.returnPath, f.scenario])).toEqual([
      [2, 'supplier@litware.com', 'billing@fabrikam.com', 'foreign-sender-domain'],
      // The return path sent (a list's errors_to), not the sender the message arrived with.
      [4, 'member@wingtiptoys.com', 'list-bounces@lists.fabrikam.com', 'foreign-sender-domain'],
      [6, 'billing@eu.fabrikam-group.com', '', 'ndr'],
      [8, 'kate@tailspintoys.com', 'news@proseware.com', 'forwarding'],
      [10, 'orders@adventure-works.com', 'scans@fabrikam.com', 'foreign-sender-domain'],
      // Neither F= nor P=: no sender, as before.
      [12, 'ap@litware.com', undefined, 'connector-mismatch'],
    ]);
    const unseen = sources[0]?.notes?.filter((note) => note.code === 'SENDER_NOT_SEEN') ?? [];
    expect(unseen.map((note) => note.message)).toEqual([
      expect.stringMatching(/^1 refused recipient has no from= line/),
    ]);
  });

  it('notes no SENDER_NOT_SEEN when every refusal names its sender', async () => {
    const text = [
      '2026-11-29 00:00:01 Start queue run: pid=2001',
      '2026-11-29 00:00:02 1vF3aB-000Hk2-7Q ** supplier@litware.com F=<billing@fabrikam.com> R=smarthost T=remote_smtp_smarthost H=contoso-com.mail.protection.outlook.com [52.101.1.1]: SMTP error from remote mail server after RCPT TO:<supplier@litware.com>: 550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
      '2026-11-29 00:00:02 1vF3aB-000Hk2-7Q Completed',
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'mainlog', content: text }]);
    expect(findings.map((f) => [f.returnPath, f.scenario])).toEqual([
      ['billing@fabrikam.com', 'foreign-sender-domain'],
    ]);
    expect(sources[0]?.notes?.map((note) => note.code)).not.toContain('SENDER_NOT_SEEN');
  });
});

describe('sendmail: a quoted local part holding a comma', () => {
  it('splits the recipient list only at commas outside quotes and angle brackets', async () => {
    const { findings } = await analyseFixture('sendmail-quoted-comma.maillog');
    expect(findings.map((f) => [f.source.line, f.recipient, f.returnPath, f.code])).toEqual([
      [2, '"smith, john"@adventure-works.com', 'scanner@contoso.com', '5.7.64'],
      [2, 'orders@adventure-works.com', 'scanner@contoso.com', '5.7.64'],
    ]);
  });
});

describe('a refusal Postfix or Exim logs on its own line before it tries the next server', () => {
  it('Postfix: each is the refusal of the recipient of a one-recipient message, counted once with its delivery line', async () => {
    const { findings, sources } = await analyseFixture('postfix-next-server.log');
    expect(
      findings.map((f) => [f.source.line, f.recipient, f.returnPath, f.messageId, f.scenario, f.code]),
    ).toEqual([
      // Refused by two addresses of the MX host, the third timed out: the delivery line holds no refusal.
      [
        3,
        'auditor@woodgrovebank.com',
        'reports@contoso.com',
        'reports.20261128221640@contoso.com',
        'wrong-region',
        '4.4.62',
      ],
      // Sent through smtp_fallback_relay after the MX host refused it.
      [8, 'ap@litware.com', 'billing@contoso.com', 'invoice.7731@contoso.com', 'wrong-region', '4.4.62'],
      // Refused by the last address too: the line and the delivery line are one refusal.
      [13, 'ops@woodgrovebank.com', 'alerts@contoso.com', 'alert.5512@contoso.com', 'wrong-region', '4.4.62'],
      // Two recipients, and the line names neither: the refusal names no recipient.
      [17, '', 'scans@contoso.com', 'scan.9921@contoso.com', 'wrong-region', '4.4.62'],
    ]);
    expect(sources[0]).toMatchObject({
      format: 'postfix-log',
      rowsRead: 19,
      rowsAnalysed: 19,
      rowsSkipped: 0,
      rejections: 6,
    });
  });

  it('Exim: each is the refusal of the addresses whose delivery lines name that host', async () => {
    const { findings, sources } = await analyseFixture('exim-next-host.mainlog');
    expect(findings.map((f) => [f.source.line, f.recipient, f.returnPath, f.messageId, f.scenario])).toEqual([
      // After MAIL FROM, then the next address of the host timed out.
      [2, 'treasury@woodgrovebank.com', 'reports@contoso.com', 'bi01.5521@contoso.com', 'wrong-region'],
      // After the final dot: both addresses of the batch, delivered by the next address of the host.
      [5, 'orders@adventure-works.com', 'scans@contoso.com', 'scan.4410@contoso.com', 'wrong-region'],
      [5, 'returns@adventure-works.com', 'scans@contoso.com', 'scan.4410@contoso.com', 'wrong-region'],
      // Delivered through a fallback host of another name: the recipient cannot be told.
      [10, '', 'alerts@contoso.com', 'mon01.881@contoso.com', 'wrong-region'],
    ]);
    expect(sources[0]).toMatchObject({ format: 'exim-log', rowsAnalysed: 12, rowsSkipped: 0 });
  });

  it('takes, newest first, the recipient of the delivery lines that end its attempt, above it in the file', async () => {
    const content = await readFile(`${FIXTURES}/postfix-next-server.log`, 'utf8');
    const reversed = `${content.trimEnd().split('\n').reverse().join('\n')}\n`;
    const { findings } = await analyzeFiles([{ name: 'postfix-next-server.log', content: reversed }]);
    expect(findings.map((f) => [f.messageId, f.recipient]).sort()).toEqual([
      ['alert.5512@contoso.com', 'ops@woodgrovebank.com'],
      ['invoice.7731@contoso.com', 'ap@litware.com'],
      ['reports.20261128221640@contoso.com', 'auditor@woodgrovebank.com'],
      ['scan.9921@contoso.com', ''],
    ]);
  });
});

describe('a line of a queued message read as none of its shapes', () => {
  const REFUSED =
    '451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. For more information please go to https://go.microsoft.com/fwlink/?linkid=865268 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';

  it.each([
    [
      'Postfix',
      [
        '2026-11-28T22:16:40.104377+00:00 relay01 postfix/qmgr[1187]: 7EB4051F38: from=<reports@contoso.com>, size=10240, nrcpt=1 (queue active)',
        `2026-11-28T22:16:41.338120+00:00 relay01 postfix/smtp[24312]: 7EB4051F38: conversation with contoso-com.mail.protection.outlook.com[52.101.1.1] ended: ${REFUSED}`,
      ],
    ],
    [
      'Exim before 4.87 (no H= before the host)',
      [
        '2026-11-28 22:50:31 1vF3uA-000Ho0-4U <= reports@contoso.com H=(bi01) [10.0.2.48] P=esmtp S=20480 id=bi01.5521@contoso.com',
        `2026-11-28 22:50:32 1vF3uA-000Ho0-4U SMTP error from remote mail server after MAIL FROM:<reports@contoso.com> SIZE=21504: host contoso-com.mail.protection.outlook.com [52.101.1.1]: ${REFUSED}`,
      ],
    ],
    [
      'sendmail',
      [
        '2026-11-28T23:22:40.318220+01:00 mailgw sm-mta[3120]: 5ASNMexw003120: from=<reports@contoso.com>, size=5120, class=0, nrcpts=1, msgid=<r.2@contoso.com>, proto=ESMTP, daemon=MTA, relay=bi01.contoso.local [10.0.2.48]',
        `2026-11-28T23:22:41.007560+01:00 mailgw sm-mta[3121]: 5ASNMexw003120: <treasury@woodgrovebank.com>... Deferred: ${REFUSED}`,
      ],
    ],
  ])('%s: one holding relay-refusal text fails its file, naming the line', async (_mta, lines) => {
    const { findings, sources } = await analyzeFiles([
      { name: 'mail.log', content: `${lines.join('\n')}\n` },
    ]);
    expect(findings).toEqual([]);
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(sources[0]?.skipped).toEqual([expect.objectContaining({ line: 2, reason: 'REFUSAL_NOT_READ' })]);
  });

  it("Postfix: a header_checks line quoting the message's own text is read as content, not a refusal", async () => {
    const text = [
      '2026-11-28T22:16:40.101822+00:00 relay01 postfix/cleanup[24311]: 7EB4051F38: message-id=<fwd.1@contoso.com>',
      `2026-11-28T22:16:40.101930+00:00 relay01 postfix/cleanup[24311]: 7EB4051F38: warning: header Subject: Fwd: ${REFUSED} from app01.contoso.local[10.0.2.40]; from=<it@contoso.com> to=<helpdesk@contoso.com> proto=ESMTP helo=<app01>`,
    ].join('\n');
    const { findings, sources } = await analyzeFiles([{ name: 'mail.log', content: `${text}\n` }]);
    expect(findings).toEqual([]);
    expect(sources[0]).toMatchObject({ rowsAnalysed: 2, rowsSkipped: 0 });
    expect(sources[0]?.status).not.toBe('failed');
  });
});
