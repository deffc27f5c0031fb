/**
 * What a file's cut last line is told by (unread-refusals.ts): the one wording of every reader, a
 * relay-attribution code cut short where the text ends, and the advice of a failure it causes.
 */
import { describe, expect, it } from 'vitest';
import {
  cutCodeIn,
  cutLastLine,
  READ_AGAIN,
  UnreadRefusals,
} from '../../functions/core/analysis/input/unread-refusals.js';
import { RelayAuditError } from '../../functions/core/kernel/errors.js';

describe('cutLastLine', () => {
  it('says a log looks copied while written (naming its writer, if one), and an export cut short', () => {
    expect(cutLastLine('log')).toBe(
      'it is the last line and has no line end: the log looks copied while it was being written — copy it ' +
        'again once the log has rolled over (a new file begun)',
    );
    expect(cutLastLine('log', 'Exchange')).toBe(
      'it is the last line and has no line end: the log looks copied while Exchange was writing it — copy it ' +
        'again once the log has rolled over (a new file begun)',
    );
    expect(cutLastLine('export')).toBe(
      'it is the last line and has no line end: the file looks cut short, copied while it was being written — ' +
        'copy or export it again',
    );
  });
});

describe('cutCodeIn', () => {
  it('finds a relay-attribution code cut short where the text ends', () => {
    expect(cutCodeIn('… RCPT TO:<a@b.com>: 550 5.7.6')).toBe('5.7.6…, cut short: 5.7.64?');
    expect(cutCodeIn('… dsn=5.7.')).toBe('5.7.…, cut short: 5.7.64?');
    expect(cutCodeIn('… said: 451 4.4 ')).toBe('4.4…, cut short: 4.4.62?');
  });

  it('leaves a whole code, another code, a longer dotted number and a bare class alone', () => {
    for (const text of [
      '550 5.7.64',
      '451 4.4.62',
      '550 5.7.1',
      '[10.5.7.6',
      '15.7.6',
      '550 5.',
      'said: 550',
    ]) {
      expect(cutCodeIn(text), text).toBeUndefined();
    }
  });
});

describe('UnreadRefusals advice of its first row', () => {
  const message = (unread: UnreadRefusals): string => {
    try {
      unread.fail();
    } catch (error) {
      if (error instanceof RelayAuditError) return error.message;
      throw error;
    }
    throw new Error('did not fail');
  };

  it("ends with the first row's own advice, else the file's", () => {
    const cut = new UnreadRefusals('mail.log', READ_AGAIN);
    cut.add(7, 'cut', 'Analyse the new copy.');
    expect(message(cut)).toMatch(/ — cut\. .* Analyse the new copy\.$/);

    const earlier = new UnreadRefusals('mail.log', READ_AGAIN);
    earlier.add(3, 'not read');
    earlier.add(7, 'cut', 'Analyse the new copy.');
    expect(message(earlier).endsWith(READ_AGAIN)).toBe(true);
  });
});
