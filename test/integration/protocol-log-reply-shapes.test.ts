/**
 * A send protocol log's answer rows in the shapes they reach relay-audit in besides Exchange's own:
 * a multi-line reply written one line per row (`550-5.7.64 … ATTR36`, then `550 5.7.64 [host]`), and
 * a reply whose reply code is followed by another space than ASCII's (`550\u00a05.7.64`, from a copy
 * through a web page, Word or Excel). Each gives the findings of the log as Exchange writes it — the
 * same recipients, codes, ATTR, scenarios and confidence — and a multi-line `250` written so still
 * pairs as the acceptance it is. Fixtures: test/fixtures/real-world/protocol-log-reply-shapes/ (README.md).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SmtpSessions } from '../../functions/core/analysis/formats/smtp-sessions.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/protocol-log-reply-shapes';
const ONE_ROW = `${DIR}/SEND20261128-one-row.LOG`;
const LINE_PER_ROW = `${DIR}/SEND20261128-line-per-row.LOG`;
const NBSP = `${DIR}/SEND20261128-nbsp.LOG`;

/** What a finding says of its refusal, in the order of the log. */
const said = (findings: readonly Finding[]) =>
  findings.map((f) => ({
    recipient: f.recipient,
    code: f.code,
    smtpCode: f.smtpCode,
    attr: f.attr,
    scenario: f.scenario,
    confidence: f.confidence,
    evidence: f.evidence.map((e) => e.kind),
    rejectionText: f.rejectionText,
    returnPath: f.returnPath,
    messageId: f.messageId,
  }));

async function findingsOf(name: string, content: string) {
  const { findings, sources } = await analyzeFiles([{ name, content }], { accepted: 'contoso.com' });
  return { findings: said(findings), statuses: sources.map((source) => source.status) };
}

const text = (path: string) => readFile(path, 'utf8');

/** The log with the space after the reply code of every answer row (`<`) made `space`. */
const spaced = (log: string, space: string) =>
  log.replace(/(,<,"?[2-5]\d\d) /g, (_all, head: string) => `${head}${space}`);

/** The spaces other than ASCII's that a copy may put after a reply code. */
const SPACES: readonly [string, string][] = [
  ['a no-break space (U+00A0)', '\u00a0'],
  ...Array.from({ length: 11 }, (_, i): [string, string] => {
    const code = 0x2000 + i;
    return [`the space U+${code.toString(16).toUpperCase()}`, String.fromCharCode(code)];
  }),
  ['a narrow no-break space (U+202F)', '\u202f'],
  ['an ideographic space (U+3000)', '\u3000'],
  ['a tab', '\t'],
];

describe('send protocol log answer rows in other shapes', () => {
  it('reads the log as Exchange writes it: 5 findings, none for the recipient refused with 5.1.10', async () => {
    const { findings, statuses } = await findingsOf('SEND20261128-one-row.LOG', await text(ONE_ROW));
    expect(statuses).toEqual(['done']);
    expect(findings.map((f) => [f.recipient, f.attr, f.scenario, f.confidence])).toEqual([
      ['supplier@litware.com', 'ATTR36', 'connector-mismatch', 'medium'],
      ['noc@adatum.com', 'ATTR36', 'foreign-sender-domain', 'high'],
      ['treasury@woodgrovebank.com', 'ATTR35', 'wrong-region', 'high'],
      ['vendor@adatum.com', 'ATTR36', 'foreign-sender-domain', 'high'],
      ['ap@litware.com', 'ATTR36', 'foreign-sender-domain', 'high'],
    ]);
  });

  it('joins a multi-line reply written one line per row: the ATTR of its first line is kept', async () => {
    const whole = await findingsOf('SEND20261128-one-row.LOG', await text(ONE_ROW));
    const split = await findingsOf('SEND20261128-line-per-row.LOG', await text(LINE_PER_ROW));
    expect(split).toEqual(whole);
    const first = split.findings[0];
    expect(first?.attr).toBe('ATTR36');
    expect(first?.evidence).toContain('attr36-conflict');
    expect(first?.rejectionText).toBe(
      '550-5.7.64 TenantAttribution; Relay Access Denied ATTR36 550 5.7.64 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
    );
  });

  it('pairs a multi-line 250 written one line per row as one acceptance', async () => {
    const { findings } = await findingsOf('SEND20261128-line-per-row.LOG', await text(LINE_PER_ROW));
    // Refused after DATA: the recipients accepted at RCPT TO, vendor@ by the 250 on two rows; never
    // former.buyer@, refused with 550 5.1.10 on two rows.
    expect(findings.filter((f) => f.messageId.startsWith('RS4')).map((f) => f.recipient)).toEqual([
      'vendor@adatum.com',
      'ap@litware.com',
    ]);
  });

  it('reads an answer whose reply code is followed by a no-break space as the answer it is', async () => {
    const whole = await findingsOf('SEND20261128-one-row.LOG', await text(ONE_ROW));
    const nbsp = await findingsOf('SEND20261128-nbsp.LOG', await text(NBSP));
    expect(nbsp).toEqual(whole);
    expect(nbsp.findings[1]?.rejectionText).toBe(
      '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
    );
  });

  it.each(SPACES)(
    'reads the reply code followed by %s, a reply on one row or on several',
    async (_name, space) => {
      const whole = await findingsOf('SEND20261128-one-row.LOG', await text(ONE_ROW));
      expect(await findingsOf('one-row.LOG', spaced(await text(ONE_ROW), space))).toEqual(whole);
      expect(await findingsOf('line-per-row.LOG', spaced(await text(LINE_PER_ROW), space))).toEqual(whole);
    },
  );

  it('keeps a bounded part of a reply whose lines never end, and always its last line', () => {
    const sessions = new SmtpSessions();
    const row = (line: number, event: string, data: string) => ({
      sessionId: 'S',
      event,
      data,
      context: '',
      line,
    });
    sessions.read(row(1, '+', ''));
    sessions.read(row(2, '<', '220 host ready'));
    sessions.read(row(3, '>', 'RCPT TO:<a@litware.com>'));
    sessions.read(row(4, '<', '550-5.7.64 TenantAttribution; Relay Access Denied ATTR36'));
    for (let line = 5; line < 10_005; line++) sessions.read(row(line, '<', `550-5.7.64 ${'x'.repeat(100)}`));
    const outcome = sessions.read(row(10_005, '<', '550 5.7.64 [host]'));
    expect(outcome.kind).toBe('answer');
    const reply = outcome.kind === 'answer' ? outcome.answer.reply : '';
    expect(reply.startsWith('550-5.7.64 TenantAttribution; Relay Access Denied ATTR36 550-5.7.64 x')).toBe(
      true,
    );
    expect(reply.endsWith(' 550 5.7.64 [host]')).toBe(true);
    expect(reply.length).toBeLessThan(4096 + 20);
    expect(outcome.kind === 'answer' ? outcome.answer.recipient : undefined).toBe('a@litware.com');
  });
});
