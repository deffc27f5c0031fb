/**
 * A row skipped because its file ends inside it says, in cutShort's words, to copy, export or
 * download the file again: the file's failure then ends in "Analyse the new copy." rather than
 * repeat that advice (READ_AGAIN), whichever reader skipped it and whether the row holds refusal
 * text (REFUSAL_NOT_READ) or may be a refusal no one can tell (FAILURE_NOT_READ), in a read that
 * goes on from an earlier invocation's record too.
 */
import { describe, expect, it } from 'vitest';
import {
  cutLastLine,
  cutShort,
  NEW_COPY,
  READ_AGAIN,
  READ_AS_WRITTEN,
  UnreadRefusals,
} from '../../functions/core/analysis/input/unread-refusals.js';

/** The message of the failure the rows give. */
function failure(unread: UnreadRefusals): string {
  try {
    unread.fail();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the file did not fail');
}

describe('the advice of a file whose unread row is cut short', () => {
  it.each([
    ['an export', cutShort('export')],
    ['a download', cutShort('download')],
    ['a log', cutLastLine('log', 'Exchange')],
  ])('is the new copy for %s, a refusal not read or a failure not told', (_, cut) => {
    const refusal = new UnreadRefusals('a.csv', READ_AGAIN);
    refusal.add(3, `the file ends inside this record; ${cut}`);
    expect(failure(refusal)).toMatch(new RegExp(` but not this line\\. ${NEW_COPY}$`));
    const untold = new UnreadRefusals('a.csv', READ_AGAIN);
    untold.addUntold(3, `its status "Failed"; ${cut}`);
    expect(failure(untold)).toMatch(new RegExp(` but not this line\\. ${NEW_COPY}$`));
    expect(failure(untold)).not.toContain(READ_AGAIN);
  });

  it('is the same in a read that goes on from an earlier record', () => {
    const unread = new UnreadRefusals('a.csv', READ_AGAIN, {
      skipped: [
        { line: 3, reason: 'FAILURE_NOT_READ', message: `its status "Failed"; ${cutShort('export')}` },
      ],
      skippedByReason: { FAILURE_NOT_READ: 1 },
    });
    expect(failure(unread).endsWith(NEW_COPY)).toBe(true);
  });

  it("keeps the file's advice for a row not cut short, and a row's own advice", () => {
    const whole = new UnreadRefusals('a.csv', READ_AGAIN);
    whole.addUntold(3, 'expected 13 fields, found 14; its status "Failed"');
    expect(failure(whole).endsWith(READ_AGAIN)).toBe(true);
    const own = new UnreadRefusals('a.csv', READ_AGAIN);
    own.add(3, `its FAIL status holds relay-refusal text; ${cutShort('export')}`, READ_AS_WRITTEN);
    expect(failure(own).endsWith(READ_AS_WRITTEN)).toBe(true);
  });

  it('says of a download that it stopped early, to download it again', () => {
    expect(cutShort('download')).toBe(
      'the file looks cut short (a download or export stopped early) — download or export it again',
    );
  });
});
