/**
 * An IIS SMTP service log whose remote replies of several lines are written one line per row
 * (`550-5.7.64 … ATTR36`, then `550 5.7.64 [host]`): each reply is one answer, read at the row of its
 * last line with the text of all its lines, so a refusal is one finding that keeps its ATTR, and a
 * `250` written over two rows is one acceptance — the next answer still answers the next command.
 * Fixture: test/fixtures/real-world/iis-multiline-replies/ (its README says how rare the shape is).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeNoStore } from '../support/analyze-no-store.js';
import { analyzeFiles } from '../support/analyze-text.js';

const FILE = 'test/fixtures/real-world/iis-multiline-replies/ex261128.log';
const DOMAINS = ['--accepted-domains', 'contoso.com'];

/** What a test compares of a finding. */
const said = (f: Finding) => [
  f.source.line,
  f.recipient ?? '',
  f.messageId,
  f.attr ?? '',
  f.returnPath ?? '',
];

/** The fixture's lines (CRLF), without the empty string after the last line end. */
async function fixtureLines(): Promise<string[]> {
  return (await readFile(FILE, 'utf8')).split('\r\n').filter((line) => line !== '');
}

/** Analyses the lines as one log. */
async function analyseLines(lines: readonly string[]) {
  const { findings, sources } = await analyzeFiles([
    { name: 'ex261128.log', content: `${lines.join('\r\n')}\r\n` },
  ]);
  return { findings, source: sources[0] };
}

describe('an IIS SMTP log with a reply written one line per row', () => {
  it('gives one finding per refusal, with its ATTR36, and no unpaired one', async () => {
    const run = await analyzeNoStore(FILE, ...DOMAINS);
    expect(run.status).toBe(0);
    expect(run.source).toMatchObject({ status: 'done', rowsRead: 45, rowsAnalysed: 45, rowsSkipped: 0 });
    expect(run.source.notes ?? []).toEqual([]);
    expect(run.findings.map(said)).toEqual([
      [
        16,
        'orders@fourthcoffee.com',
        'iis:RELAY02:52.101.1.1@2026-11-28T22:20:02.000Z#1',
        'ATTR36',
        'scans@contoso.com',
      ],
      [
        31,
        'noc@adatum.com',
        'iis:RELAY02:52.101.1.1@2026-11-28T22:30:11.000Z#1',
        'ATTR36',
        'scans@contoso.com',
      ],
      [
        47,
        'vendor@adatum.com',
        'iis:RELAY02:52.101.1.1@2026-11-28T22:40:21.000Z#1',
        'ATTR36',
        'app@fabrikam.com',
      ],
      [
        47,
        'sales@adatum.com',
        'iis:RELAY02:52.101.1.1@2026-11-28T22:40:21.000Z#1',
        'ATTR36',
        'app@fabrikam.com',
      ],
    ]);
    const [first] = run.findings;
    expect(first).toMatchObject({
      scenario: 'connector-mismatch',
      rejectionText:
        '550-5.7.64 TenantAttribution; Relay Access Denied ATTR36 550 5.7.64 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
    });
    expect(first?.evidence.map((e) => e.kind)).toContain('attr36-conflict');
    expect(run.findings.map((f) => f.messageId).join()).not.toMatch(/unpaired/);
  });

  it('takes a 250 over two rows as one acceptance: the refusal after it is the next RCPT TO’s', async () => {
    const run = await analyzeNoStore(FILE, ...DOMAINS);
    // ap@litware.com's RCPT TO was accepted (lines 28–29); noc@adatum.com's refused (lines 30–31).
    expect(
      run.findings.filter((f) => f.timestamp.startsWith('2026-11-28T22:30')).map((f) => f.recipient),
    ).toEqual(['noc@adatum.com']);
    // After DATA the refusal is of both recipients accepted, the first accepted over two rows.
    expect(
      run.findings.filter((f) => f.timestamp.startsWith('2026-11-28T22:40')).map((f) => f.recipient),
    ).toEqual(['vendor@adatum.com', 'sales@adatum.com']);
  });

  it('reads the first lines of a reply whose last line is not written as the reply', async () => {
    const lines = await fixtureLines();
    // The log ends after the refusal's first line (line 15).
    const ended = await analyseLines(lines.slice(0, 15));
    expect(ended.findings.map((f) => [f.source.line, f.recipient, f.attr])).toEqual([
      [15, 'orders@fourthcoffee.com', 'ATTR36'],
    ]);
    // Its last line taken out: the next reply (the 221 after QUIT) is of another code.
    const cut = await analyseLines(lines.filter((_, at) => at + 1 !== 16));
    expect(
      cut.findings
        .filter((f) => f.timestamp.startsWith('2026-11-28T22:20'))
        .map((f) => [f.source.line, f.recipient]),
    ).toEqual([[15, 'orders@fourthcoffee.com']]);
  });
});
