/**
 * Tracking rows to several recipients whose status holds a reply nested in another (Exchange's
 * `{LED=451 4.4.397 … -> 451 4.4.62 …}`, `Original error: 550 5.7.64 …`, `Diagnostic-Code: smtp;
 * 550 …`, a multi-line `550-5.7.64 … 550 5.7.64 …`), written once for the whole row or once per
 * recipient: every recipient gets its finding, with the reading the same status gives one recipient.
 * Fixtures: test/fixtures/real-world/nested-status-lists/README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/nested-status-lists';

type Reading = [
  line: number,
  recipient: string,
  scenario: string,
  code: string,
  attr: string | undefined,
  confidence: string,
];

async function readings(file: string): Promise<Reading[]> {
  const { findings, sources } = await analyzeFiles([{ name: file, content: readFileSync(join(DIR, file)) }]);
  expect(sources[0]).toMatchObject({ status: 'done', rowsSkipped: 0, skipped: [] });
  return findings.map((f) => [f.source.line, f.recipient, f.scenario, f.code, f.attr, f.confidence]);
}

/** What one recipient's copy of the same status reads as: the row's recipients must all read so. */
async function oneRecipientReading(file: string, line: number, recipients: string[]) {
  const text = readFileSync(join(DIR, file), 'utf8').split('\r\n');
  const row = text[line - 1] as string;
  const single = row.replace(recipients.join(';'), recipients[0] as string);
  expect(single).not.toBe(row);
  const { findings } = await analyzeFiles([
    { name: file, content: [...text.slice(0, 5), single].join('\r\n') },
  ]);
  return findings.map((f) => [f.scenario, f.code, f.attr, f.confidence, f.evidence.map((e) => e.kind)]);
}

describe('statuses that nest a reply, in rows to several recipients', () => {
  it('a tracking log: every recipient found, shared status or one each, and a real list still split', async () => {
    expect(await readings('MSGTRK2026112811-1.LOG')).toEqual([
      // One status for the row: a queue error around "-> 451 4.4.62" in {LED=…}.
      [6, 'noc@adatum.com', 'wrong-region', '4.4.62', 'ATTR35', 'high'],
      [6, 'ops@adatum.com', 'wrong-region', '4.4.62', 'ATTR35', 'high'],
      // One status for the row: "Original error: 550 5.7.64 …".
      [7, 'ap@litware.com', 'foreign-sender-domain', '5.7.64', 'ATTR36', 'high'],
      [7, 'ar@litware.com', 'foreign-sender-domain', '5.7.64', 'ATTR36', 'high'],
      // One status for the row: "Diagnostic-Code: smtp; 550 5.7.64 …".
      [8, 'kate@tailspintoys.com', 'foreign-sender-domain', '5.7.64', 'ATTR36', 'high'],
      [8, 'lee@tailspintoys.com', 'foreign-sender-domain', '5.7.64', 'ATTR36', 'high'],
      // One multi-line reply for the row: one reading for both, never a line each.
      [9, 'orders@adatum.com', 'connector-mismatch', '5.7.64', 'ATTR36', 'medium'],
      [9, 'sales@adatum.com', 'connector-mismatch', '5.7.64', 'ATTR36', 'medium'],
      // A multi-line reply per recipient, ';'-joined: two statuses, not four.
      [10, 'treasury@woodgrovebank.com', 'connector-mismatch', '5.7.64', 'ATTR36', 'medium'],
      [10, 'payments@woodgrovebank.com', 'connector-mismatch', '5.7.64', 'ATTR36', 'medium'],
      // A queue error around "->" per recipient.
      [11, 'hr@fourthcoffee.com', 'wrong-region', '4.4.62', 'ATTR35', 'high'],
      [11, 'it@fourthcoffee.com', 'wrong-region', '4.4.62', 'ATTR35', 'high'],
      // Three statuses, the first ending in "SMTP": still split at each ';', the middle one not a refusal.
      [12, 'bob@litware.com', 'foreign-sender-domain', '5.7.64', undefined, 'high'],
      [12, 'carol@litware.com', 'foreign-sender-domain', '5.7.64', undefined, 'high'],
    ]);
  });

  it.each([
    [6, ['noc@adatum.com', 'ops@adatum.com']],
    [7, ['ap@litware.com', 'ar@litware.com']],
    [8, ['kate@tailspintoys.com', 'lee@tailspintoys.com']],
    [9, ['orders@adatum.com', 'sales@adatum.com']],
  ])(
    'line %i: each recipient of a shared status reads as one recipient of it would',
    async (line, recipients) => {
      const file = 'MSGTRK2026112811-1.LOG';
      const { findings } = await analyzeFiles([{ name: file, content: readFileSync(join(DIR, file)) }]);
      const row = findings
        .filter((f) => f.source.line === line)
        .map((f) => [f.scenario, f.code, f.attr, f.confidence, f.evidence.map((e) => e.kind)]);
      const alone = await oneRecipientReading(file, line, recipients);
      expect(alone).toHaveLength(1);
      expect(row).toEqual([alone[0], alone[0]]);
    },
  );

  it("a '-join ;' export: statuses nested per recipient and shared ones, every recipient found", async () => {
    expect(await readings('tracking-export-joined.csv')).toEqual([
      [2, 'noc@adatum.com', 'wrong-region', '4.4.62', 'ATTR35', 'high'],
      [2, 'ops@adatum.com', 'wrong-region', '4.4.62', 'ATTR35', 'high'],
      [3, 'treasury@woodgrovebank.com', 'connector-mismatch', '5.7.64', 'ATTR36', 'medium'],
      [3, 'payments@woodgrovebank.com', 'connector-mismatch', '5.7.64', 'ATTR36', 'medium'],
      [4, 'ap@litware.com', 'foreign-sender-domain', '5.7.64', 'ATTR36', 'high'],
      [4, 'ar@litware.com', 'foreign-sender-domain', '5.7.64', 'ATTR36', 'high'],
    ]);
  });
});
