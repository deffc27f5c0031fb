/**
 * Delivery lines of sendmail and Exim in the shapes their logging options write
 * (test/fixtures/real-world/mta-logs/README.md): sendmail's recipient list logged in parts
 * (`to=… [more]`), Exim's parents with `log_selector = +all_parents`, and Exim's `F=`/`P=` with
 * `+sender_on_delivery` / `+return_path_on_delivery`.
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
