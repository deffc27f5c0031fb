/**
 * Tracking exports whose Recipients and RecipientStatus were joined with different separators
 * (`-join ';'` recipients and a `[string]` cast of the statuses, `-join ', '` and `-join ';'`, …), and
 * a tracking log with a DSN-style status per recipient: each recipient gets its own status's finding,
 * and a recipient whose status is no refusal gets none (never another recipient's refusal).
 * Fixtures: test/fixtures/real-world/mixed-list-separators/README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/mixed-list-separators';

async function readings(file: string) {
  const { findings, sources } = await analyzeFiles([{ name: file, content: readFileSync(join(DIR, file)) }]);
  expect(sources[0]).toMatchObject({ status: 'done', rowsSkipped: 0, skipped: [] });
  return findings.map((f) => [f.source.line, f.recipient, f.scenario, f.code, f.attr]);
}

describe('recipients and statuses joined with different separators', () => {
  it.each([
    ['mix-r-semi-s-space.csv', 3, 'ATTR36'],
    ['mix-r-semi-s-commaspace.csv', 3, undefined],
    ['mix-r-semi-s-pipe.csv', 3, undefined],
    ['mix-r-semi-s-crlf.csv', 3, undefined],
    ['mix-r-commaspace-s-semi.csv', 3, undefined],
    ['mix-r-space-s-semi.csv', 3, undefined],
    ['mix-r-crlf-s-semi.csv', 5, undefined],
  ])('%s: ap@ and AR@ refused (5.7.64), old.account@ (5.1.10) no finding', async (file, line, attr) => {
    const found = await readings(file);
    expect(found).toEqual([
      [line, 'ap@litware.com', 'connector-mismatch', '5.7.64', attr],
      [line, 'ar@litware.com', 'connector-mismatch', '5.7.64', attr],
    ]);
    expect(found.some(([, recipient]) => recipient === 'old.account@contoso.com')).toBe(false);
  });

  it("a [string] cast of two statuses: each recipient's own refusal, neither given the other's", async () => {
    expect(await readings('mix2-r-semi-s-space.csv')).toEqual([
      [3, 'ap@litware.com', 'connector-mismatch', '5.7.64', 'ATTR36'],
      [3, 'treasury@woodgrovebank.com', 'wrong-region', '4.4.62', 'ATTR35'],
    ]);
  });
});

describe('a DSN-style status per recipient in a tracking log', () => {
  it("each 'Diagnostic-Code:' begins a recipient's status: the 5.1.10 recipients get no 5.7.64", async () => {
    expect(await readings('MSGTRK2026112811-2.LOG')).toEqual([
      [6, 'e2@adatum.com', 'foreign-sender-domain', '5.7.64', undefined],
      [7, 'kate@tailspintoys.com', 'foreign-sender-domain', '5.7.64', undefined],
      [7, 'lee@tailspintoys.com', 'foreign-sender-domain', '5.7.64', undefined],
    ]);
  });
});
