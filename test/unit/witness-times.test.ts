/**
 * One refusal seen by two witnesses with different clocks (test/fixtures/real-world/witness-times):
 * one run over both files, in either order, and two runs whose findings the store merges keep the
 * same time: the one read with a time zone, else the earlier. Found by a hunt: one run took the first
 * file's time, and a relay's syslog time without a zone was not marked as assumed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Finding, TIME_ZONE_ASSUMED_EVIDENCE } from '../../functions/core/analysis/model/findings.js';
import { mergeFindings } from '../../functions/store/finding-merge.js';
import { analyzeFiles } from '../support/analyze-text.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'witness-times');

async function run(folder: string, names: readonly string[]): Promise<Finding[]> {
  const files = await Promise.all(
    names.map(async (name) => ({ name, content: await readFile(join(FIXTURES, folder, name)) })),
  );
  const { findings, sources } = await analyzeFiles(files, { year: 2026 });
  for (const source of sources) expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
  return findings;
}

/** The one finding of `recipient`. */
function of(findings: readonly Finding[], recipient: string): Finding {
  const found = findings.filter((finding) => finding.recipient === recipient);
  expect(found).toHaveLength(1);
  return found[0] as Finding;
}

const assumed = (finding: Finding) =>
  finding.evidence.some((item) => item.kind === TIME_ZONE_ASSUMED_EVIDENCE.kind);

describe.each([
  ['relay-local-time', ['mail.log', 'graph-detail-noc.json'], 'noc@adatum.com', '2026-11-28T22:10:02.977Z'],
  ['exim-local-time', ['mainlog', 'detail.csv'], 'supplier@litware.com', '2026-11-28T22:30:13.100Z'],
  [
    'export-local-time',
    ['MSGTRK2026112901-1.LOG', 'EX01-tracking-export.csv'],
    'supplier@litware.com',
    '2026-11-29T01:10:45.301Z',
  ],
  [
    'midnight',
    ['MSGTRK2026112900-1.LOG', 'trace-detail.csv'],
    'supplier@litware.com',
    '2026-11-28T23:59:59.901Z',
  ],
])('%s', (folder, names, recipient, time) => {
  it('one run keeps the time read with a zone, else the earlier, whichever file it reads first', async () => {
    for (const order of [names, [...names].reverse()]) {
      const finding = of(await run(folder, order), recipient);
      expect({ order, time: finding.timestamp }).toEqual({ order, time });
      expect(assumed(finding)).toBe(false);
    }
  });

  it('two runs merged in the store keep the time one run keeps, in either order', async () => {
    const [first, second] = await Promise.all(
      names.map(async (name) => of(await run(folder, [name]), recipient)),
    );
    for (const [stored, incoming] of [
      [first, second],
      [second, first],
    ] as [Finding, Finding][]) {
      expect(mergeFindings(stored, incoming).timestamp).toBe(time);
    }
  });
});

describe('a relay log dated without a zone', () => {
  it('marks its findings: their times were taken as UTC', async () => {
    const finding = of(await run('relay-local-time', ['mail.log']), 'noc@adatum.com');
    expect(finding.timestamp).toBe('2026-11-28T17:10:03.000Z');
    expect(assumed(finding)).toBe(true);
  });
});
