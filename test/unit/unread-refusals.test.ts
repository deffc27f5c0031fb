/**
 * The pieces every reader uses for rows skipped with relay-refusal text (unread-refusals.ts), and
 * the NUL bytes CSV-like files drop (nul-bytes.ts).
 */
import { describe, expect, it } from 'vitest';
import { NulBytes } from '../../functions/core/analysis/input/nul-bytes.js';
import {
  PieceSearch,
  READ_AGAIN,
  skipOf,
  UnreadRefusals,
} from '../../functions/core/analysis/input/unread-refusals.js';
import { RelayAuditError } from '../../functions/core/kernel/errors.js';

describe('skipOf', () => {
  it('makes a skip with refusal text REFUSAL_NOT_READ, keeping why the row was not read', () => {
    expect(skipOf('COLUMN_COUNT', 'expected 30 fields, found 15', '5.7.64')).toEqual({
      reason: 'REFUSAL_NOT_READ',
      message: 'expected 30 fields, found 15, yet it holds relay-refusal text (5.7.64)',
    });
    expect(skipOf('COLUMN_COUNT', 'expected 30 fields, found 15', undefined)).toEqual({
      reason: 'COLUMN_COUNT',
      message: 'expected 30 fields, found 15',
    });
  });
});

describe('UnreadRefusals', () => {
  const thrown = (unread: UnreadRefusals): RelayAuditError => {
    try {
      unread.fail();
    } catch (error) {
      if (error instanceof RelayAuditError) return error;
      throw error;
    }
    throw new Error('did not fail');
  };

  it('fails naming the first line, with the advice it was given', () => {
    const unread = new UnreadRefusals('MSGTRK.LOG', READ_AGAIN);
    unread.fail(); // nothing skipped: nothing to say
    unread.add(9, 'expected 30 fields, found 15, yet it holds relay-refusal text (5.7.64)');
    const error = thrown(unread);
    expect(error.code).toBe('REFUSAL_NOT_READ');
    expect(error.location).toEqual({ file: 'MSGTRK.LOG', line: 9 });
    expect(error.message).toBe(
      'MSGTRK.LOG: line 9 could not be read — expected 30 fields, found 15, yet it holds relay-refusal text (5.7.64). ' +
        `Its other lines were read and their refusals are reported, but not this line. ${READ_AGAIN}`,
    );
  });

  it('goes on from the rows an earlier invocation skipped', () => {
    const unread = new UnreadRefusals('MSGTRK.LOG', READ_AGAIN, {
      skipped: [
        { line: 7, reason: 'COLUMN_COUNT', message: 'expected 30 fields, found 2' },
        { line: 12, reason: 'REFUSAL_NOT_READ', message: 'first' },
      ],
      skippedByReason: { COLUMN_COUNT: 1, REFUSAL_NOT_READ: 2 },
    });
    unread.add(900, 'later');
    expect(thrown(unread).message).toMatch(
      /^MSGTRK\.LOG: 3 lines that hold relay-refusal text could not be read, e\.g\. line 12 — first\./,
    );
  });

  it('still fails when the earlier rows were counted but not listed (the list is capped)', () => {
    const unread = new UnreadRefusals('MSGTRK.LOG', READ_AGAIN, {
      skipped: [],
      skippedByReason: { REFUSAL_NOT_READ: 1 },
    });
    const error = thrown(unread);
    expect(error.message).toMatch(/^MSGTRK\.LOG: line \? could not be read\. /);
    expect(error.location).toEqual({ file: 'MSGTRK.LOG' });
  });
});

describe('PieceSearch', () => {
  const search = (...pieces: string[]): string | undefined => {
    const scan = new PieceSearch();
    for (const piece of pieces) scan.push(piece);
    return scan.end();
  };

  it('finds a marker cut between pieces, and judges one at a piece end with what follows', () => {
    expect(search('x'.repeat(100), '550 5.7', '.64 Tenant')).toBe('5.7.64');
    expect(search('x'.repeat(100), 'Tenant', 'Attribution')).toBe('TenantAttribution');
    expect(search('x'.repeat(100), '550 5.7.64', '0 other')).toBeUndefined();
    expect(search('x'.repeat(100), 'host 10.5.7', '.64 said')).toBeUndefined();
    expect(search('550 5.7.64')).toBe('5.7.64');
  });

  it('starts over for the next row', () => {
    const scan = new PieceSearch();
    scan.push('550 5.7.64 TenantAttribution'.padEnd(200, ' '));
    expect(scan.end()).toBe('5.7.64');
    scan.push('250 OK');
    expect(scan.end()).toBeUndefined();
  });
});

describe('NulBytes', () => {
  it('passes text without NULs through as it is', () => {
    const nuls = new NulBytes();
    const text = 'a,b\r\nc,d\r\n';
    expect(nuls.strip(text)).toBe(text);
    expect(nuls.note()).toBeUndefined();
  });

  it('removes runs before a line and inside one, a run cut by a chunk end counted once', () => {
    const nuls = new NulBytes();
    const out = [nuls.strip('a,b\r\n\0\0'), nuls.strip('\0\0c,d\r\ne,'), nuls.strip('\0\0\0f\r\n')].join('');
    expect(out).toBe('a,b\r\nc,d\r\ne,f\r\n');
    expect(nuls.note()).toEqual({
      code: 'NUL_BYTES_REMOVED',
      message:
        '7 NUL bytes were removed (1 line began with a run of them, 1 run stood inside a line), as a log holds ' +
        'where writes were lost when its host crashed or lost power: the text after them was read.',
    });
  });

  it('tells a run at the start of a chunk by the line end the last chunk ended with', () => {
    const nuls = new NulBytes();
    nuls.strip('a,b');
    nuls.strip('\0\0c\r\n');
    nuls.strip('\0d\r\n');
    expect(nuls.note()?.message).toMatch(
      /^3 NUL bytes were removed \(1 line began with a run of them, 1 run stood inside a line\)/,
    );
  });
});
