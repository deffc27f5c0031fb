/**
 * The one rule for a file's last record, cut short where the file ends (unread-refusals.ts): refusal
 * text, or a relay-attribution code the cut left unreadable at its end, marks it — also for a record
 * too long to keep, searched in pieces — and the CSV splitter says which record the file ends in.
 */
import { describe, expect, it } from 'vitest';
import { cutRowMarkerIn, PieceSearch } from '../../functions/core/analysis/input/unread-refusals.js';
import { CsvRecordSplitter } from '../../functions/core/text/csv-records.js';

describe('cutRowMarkerIn', () => {
  it('finds refusal text, else a code cut short at the end', () => {
    expect(cutRowMarkerIn('550 5.7.64 TenantAttribution; Relay Access Denied [AM0')).toBe('5.7.64');
    expect(cutRowMarkerIn('… Relay Access Denied ATTR36 [AM0PR0')).toBe('ATTR36');
    expect(cutRowMarkerIn('…,supplier@litware.com,550 5.7.6')).toBe('5.7.6…, cut short: 5.7.64?');
    expect(cutRowMarkerIn('"Reason: [{LED=451 4.4.')).toBe('4.4.…, cut short: 4.4.62?');
  });

  it('leaves text without either alone: another code, a code not at the end, a bare class', () => {
    for (const text of ['550 5.1.1 User unknown', '550 5.7.6 later', 'LED=550 5.', 'LED=550 ']) {
      expect(cutRowMarkerIn(text), text).toBeUndefined();
    }
  });
});

describe('PieceSearch of a record the file ends inside', () => {
  it('counts a code cut at its end only when told the record is cut', () => {
    const pieces = ['x'.repeat(40), ',550 5.', '7.6'];
    const search = new PieceSearch();
    for (const piece of pieces) search.push(piece);
    expect(search.end(true)).toBe('5.7.6…, cut short: 5.7.64?');
    for (const piece of pieces) search.push(piece);
    expect(search.end()).toBeUndefined();
    for (const piece of ['y'.repeat(40), ' 550 5.7.64 Tenant', 'Attribution ', 'and more 5.7.6'])
      search.push(piece);
    expect(search.end(true)).toBe('5.7.64');
  });
});

describe('CsvRecordSplitter.inCutEnd', () => {
  /** What the splitter reported of `text`, with whether it was in the record the file ends in. */
  function split(text: string): string[] {
    const seen: string[] = [];
    const splitter = new CsvRecordSplitter(
      { delimiter: ',' },
      {
        onRecord(fields, line) {
          seen.push(`${line} record ${fields.length}${splitter.inCutEnd ? ' cut' : ''}`);
        },
        onMalformed(line, reason) {
          seen.push(`${line} ${reason}${splitter.inCutEnd ? ' cut' : ''}`);
        },
      },
    );
    splitter.expectFields(3);
    splitter.push(text);
    splitter.end();
    return seen;
  }

  it('is true for the last line without a line end and for a quoted field the file ends inside', () => {
    expect(split('a,b,c\n1,2,3\n4,5')).toEqual(['1 record 3', '2 record 3', '3 record 2 cut']);
    expect(split('a,b,c\n1,2,3\n4,5,"550 5.7.6')).toEqual([
      '1 record 3',
      '2 record 3',
      '3 TRUNCATED_RECORD cut',
    ]);
    expect(split('a,b,c\n1,2,3\n4,5,6\n')).toEqual(['1 record 3', '2 record 3', '3 record 3']);
  });

  it('is true of the last of the lines read again after a stray quote, only', () => {
    // The file ends inside line 2's quoted field: lines 3 and 4 are read again as rows.
    expect(split('a,b,c\n1,"x,3\n4,5,6\n7,8')).toEqual([
      '1 record 3',
      '2 TRUNCATED_RECORD',
      '3 record 3',
      '4 record 2 cut',
    ]);
    // The cut last line closes line 2's quote at another width: the lines are read again, and the
    // last one opens a quoted field the file ends inside.
    expect(split('a,b,c\n1,"x,3\n4,5\n7,8,"550 5.7.6')).toEqual([
      '1 record 3',
      '2 UNTERMINATED_QUOTE',
      '3 record 2',
      '4 TRUNCATED_RECORD cut',
    ]);
  });
});
