/**
 * The note on a file whose findings relied on an inferred domain the run dropped later
 * (source-accounting.ts `noteDroppedDomains`): it names the domains and counts, and its advice is
 * never cut off by a note's length bound, however long the names.
 */
import { describe, expect, it } from 'vitest';
import { newSourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { noteDroppedDomains } from '../../functions/core/analysis/source-accounting.js';

function noteFor(dropped: { domain: string; findings: number }[]) {
  const record = newSourceRecord('s1', 'MSGTRK.LOG', new Date('2026-11-28T00:00:00Z'));
  noteDroppedDomains(record, dropped);
  return record.notes ?? [];
}

describe('the INFERRED_DOMAIN_DROPPED note', () => {
  it('is not written when no domain was dropped', () => {
    expect(noteFor([])).toEqual([]);
  });

  it('names one domain and its findings', () => {
    const [note] = noteFor([{ domain: 'litware.com', findings: 1 }]);
    expect(note?.code).toBe('INFERRED_DOMAIN_DROPPED');
    expect(note?.message).toMatch(/^1 finding was classified while litware\.com counted as your domain /);
    // The longest domain name there is still leaves the advice whole.
    const [longest] = noteFor([
      { domain: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`, findings: 3 },
    ]);
    expect(longest?.message.length).toBeLessThanOrEqual(500);
    expect(longest?.message.endsWith('and analyse again.')).toBe(true);
  });

  it('names two domains, counts the rest, and keeps its advice whole with the longest names', () => {
    // Names of 120 characters: one fits before the advice, two do not.
    const long = (label: string) => `${label.repeat(56)}.${'b'.repeat(59)}.com`;
    const [note] = noteFor([
      { domain: long('a'), findings: 12_345 },
      { domain: long('d'), findings: 2 },
      { domain: long('e'), findings: 1 },
    ]);
    expect(note?.message).toContain('(12,345 findings) and 2 more counted as your domains');
    expect(note?.message.length).toBeLessThanOrEqual(500);
    expect(note?.message.endsWith('and analyse again.')).toBe(true);
    // Short names all fit.
    const [short] = noteFor([
      { domain: 'litware.com', findings: 2 },
      { domain: 'fabrikam.com', findings: 1 },
    ]);
    expect(short?.message).toMatch(
      /^Findings were classified while litware\.com \(2 findings\), fabrikam\.com \(1 finding\) counted as your domains/,
    );
  });
});
