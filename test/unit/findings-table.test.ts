/**
 * `relay-audit findings --format table`: under the table, one block per distinct remediation (the
 * text is tailored to each server, domain, connector and certificate), each saying which rows it
 * covers; a server column to tell the rows apart; and at most a bounded number of blocks.
 */
import { describe, expect, it } from 'vitest';
import { renderTable } from '../../bin/commands/findings.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { type FindingOverrides, makeFinding } from '../support/make-finding.js';

/** A connector-mismatch finding of `server` for `domain`, with the advice tailored to both. */
function mismatch(server: string | undefined, domain: string, overrides: FindingOverrides = {}): Finding {
  return makeFinding({
    scenario: 'connector-mismatch',
    serverHostname: server,
    senderDomain: domain,
    returnPath: `finance@${domain}`,
    attr: undefined,
    remediation: {
      title: 'Make the inbound connector match the server again',
      explanation: `${server ?? 'Your on-premises server'} sent mail from ${domain} and was refused.`,
      steps: [`Compare the certificate ${server ?? 'the server'} presents with TlsSenderCertificateName.`],
      commands: [`Set-InboundConnector -Identity 'Inbound' -TlsSenderCertificateName *.${domain}`],
      links: [],
    },
    ...overrides,
  });
}

/** The printed blocks, each from its `▶` heading to the next. */
function blocks(text: string): string[] {
  return text.split('\n▶ ').slice(1);
}

describe('relay-audit findings --format table', () => {
  it('prints each distinct remediation once, in the order of its first row, with the rows it covers', () => {
    const findings = [
      mismatch('EX01.contoso.local', 'contoso.com'),
      mismatch('EX2010.contoso.local', 'corp.contoso.com'),
      mismatch('EX01.contoso.local', 'contoso.com'),
      mismatch('EX01.contoso.local', 'contoso.com'),
      mismatch('EX2010.contoso.local', 'corp.contoso.com'),
    ];
    const text = renderTable(findings, { db: '/tmp/db' });
    const printed = blocks(text);
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(
      /^connector-mismatch: Make the inbound connector match the server again\n {2}Rows 1, 3, 4 \(EX01\.contoso\.local; sender domain contoso\.com\):\n {2}EX01\.contoso\.local sent mail from contoso\.com/,
    );
    expect(printed[0]).toContain('-TlsSenderCertificateName *.contoso.com');
    expect(printed[1]).toMatch(
      /^connector-mismatch: [^\n]*\n {2}Rows 2, 5 \(EX2010\.contoso\.local; sender domain corp\.contoso\.com\):\n {2}EX2010\.contoso\.local sent mail from corp\.contoso\.com/,
    );
    expect(printed[1]).toContain('-TlsSenderCertificateName *.corp.contoso.com');
    expect(text).toMatch(/\n5 findings\.\n$/);
  });

  it('numbers the rows and names the server of each, or the relay whose log it is', () => {
    const exim = mismatch(undefined, 'contoso.com', {
      source: { format: 'exim-log', file: 'mainlog' },
    });
    const cloud = mismatch(undefined, 'fabrikam.com', { source: { format: 'message-trace-json' } });
    const text = renderTable([mismatch('EX2010.contoso.local', 'corp.contoso.com'), exim, cloud], {});
    const [header, , first, second, third] = text.split('\n');
    expect(header).toMatch(/^# +time \(UTC\) +scenario +server +sender \(P1\) +recipient +code +conf\.$/);
    expect(first).toMatch(
      /^1 +2026-11-28 22:15:03 +connector-mismatch +EX2010\.contoso\.local +finance@corp\.contoso\.com /,
    );
    expect(second).toMatch(/^2 +\S+ \S+ +connector-mismatch +Exim relay +finance@contoso\.com /);
    // Exchange Online's own exports name no on-premises server: the cell stays empty.
    expect(third).toMatch(/^3 +\S+ \S+ +connector-mismatch {2,}finance@fabrikam\.com /);
    const printed = blocks(text);
    expect(printed.map((block) => block.split('\n')[1])).toEqual([
      '  Row 1 (EX2010.contoso.local; sender domain corp.contoso.com):',
      '  Row 2 (Exim relay; sender domain contoso.com):',
      '  Row 3 (sender domain fabrikam.com):',
    ]);
    expect(printed[1]).toMatch(/^connector-mismatch \(Exim log\): /);
  });

  it('says "All N rows" for the common case of one remediation, and names the null sender', () => {
    const ndr = (recipient: string) =>
      makeFinding({
        scenario: 'ndr',
        recipient,
        returnPath: '',
        senderDomain: undefined,
        serverHostname: 'EX01.contoso.local',
      });
    const printed = blocks(
      renderTable([ndr('a@litware.com'), ndr('b@litware.com'), ndr('c@litware.com')], {}),
    );
    expect(printed).toHaveLength(1);
    expect(printed[0]?.split('\n')[1]).toBe('  All 3 rows (EX01.contoso.local; null sender <>):');
  });

  it('lists the forwarding origins under the block of the rows they come from', () => {
    const forwarded = (server: string, address: string) =>
      makeFinding({
        serverHostname: server,
        forwardedFrom: { kind: 'redirect', address },
        remediation: {
          title: 'Forward outside mail from Exchange Online',
          explanation: `A redirect on ${server} re-sent a message outside your organisation.`,
          steps: [`Stop redirecting on ${server}.`],
          commands: [],
          links: [],
        },
      });
    const printed = blocks(
      renderTable(
        [
          forwarded('EX01.contoso.local', 'kate@contoso.com'),
          forwarded('EX02.contoso.local', 'ben@contoso.com'),
        ],
        {},
      ),
    );
    expect(printed).toHaveLength(2);
    expect(printed[0]).toContain('kate@contoso.com');
    expect(printed[0]).not.toContain('ben@contoso.com');
    expect(printed[1]).toContain('ben@contoso.com');
    expect(printed[1]).not.toContain('kate@contoso.com');
  });

  it('prints at most 10 blocks and counts the rest, with their rows and how to see them', () => {
    const servers = Array.from({ length: 13 }, (_, i) => `EX${String(i + 1).padStart(2, '0')}.contoso.local`);
    // Each server twice, so the blocks' rows interleave: EX01 rows 1 and 14, EX13 rows 13 and 26.
    const findings = [...servers, ...servers].map((server) => mismatch(server, 'contoso.com'));
    const text = renderTable(findings, {});
    const printed = blocks(text);
    expect(printed).toHaveLength(10);
    expect(printed.map((block) => block.split('\n')[1])).toEqual(
      servers
        .slice(0, 10)
        .map((server, i) => `  Rows ${i + 1}, ${i + 14} (${server}; sender domain contoso.com):`),
    );
    expect(text).toContain(
      "\n3 more distinct remediations (rows 11–13, 24–26): use --format json to see each finding's, or narrow the table with --scenario or --sender-domain.\n",
    );
    expect(text).not.toContain('EX11.contoso.local sent mail');
    expect(text).toMatch(/\n26 findings\.\n$/);
  });

  it('names a few servers and sender domains of a block and counts the rest', () => {
    // One remediation whatever the server and domain: the advice of findings stored without names.
    const same = makeFinding().remediation;
    const findings = ['a', 'b', 'c', 'd', 'e'].map((name) =>
      makeFinding({
        serverHostname: `${name}.contoso.local`,
        senderDomain: `${name}.example`,
        remediation: same,
      }),
    );
    const [first] = blocks(renderTable(findings, {}));
    expect(first?.split('\n')[1]).toBe(
      '  All 5 rows (a.contoso.local, b.contoso.local, c.contoso.local and 2 more; sender domains a.example, b.example, c.example and 2 more):',
    );
  });

  it('keeps a long list of rows to a line', () => {
    // Every other row is EX01's: 30 runs of one row each.
    const findings = Array.from({ length: 60 }, (_, i) =>
      i % 2 === 0
        ? mismatch('EX01.contoso.local', 'contoso.com')
        : mismatch('EX02.contoso.local', 'contoso.com'),
    );
    const [first] = blocks(renderTable(findings, {}));
    expect(first?.split('\n')[1]).toBe(
      '  Rows 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23 and 18 more (EX01.contoso.local; sender domain contoso.com):',
    );
  });

  it('shows the envelope sender (P1) only, marking a header sender shown in its place', () => {
    const findings = [
      mismatch('EX01.contoso.local', 'contoso.com', {
        returnPath: 'finance@contoso.com',
        sender: 'ceo@contoso.com',
      }),
      mismatch('EX01.contoso.local', 'contoso.com', {
        returnPath: undefined,
        sender: 'postmaster@contoso.com',
      }),
      mismatch('EX01.contoso.local', 'contoso.com', { returnPath: '', sender: 'postmaster@contoso.com' }),
    ];
    const text = renderTable(findings, {});
    const [, , first, second, third] = text.split('\n');
    expect(first).toContain(' finance@contoso.com ');
    expect(first).not.toContain('ceo@contoso.com');
    expect(second).toContain(' (P2) postmaster@contoso.com ');
    expect(third).toMatch(/ <> /);
    expect(text).toContain("(P2): the input does not give that message's envelope sender (P1)");
    expect(renderTable([findings[0] as Finding], {})).not.toContain('(P2)');
  });

  it('ends a cell cut at 40 characters with …', () => {
    const long = 'accounts.payable.notifications@emea.litware.example';
    const [, , row] = renderTable(
      [mismatch('EX01.contoso.local', 'contoso.com', { returnPath: long })],
      {},
    ).split('\n');
    expect(row).toContain(` ${long.slice(0, 39)}… `);
    expect(row).not.toContain(long.slice(0, 40));
  });
});
