import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseFlags, wholeNumberFlag } from '../../bin/support/flags.js';
import { ArgumentError } from '../../functions/core/kernel/errors.js';

describe('wholeNumberFlag', () => {
  const Flags = z.object({
    limit: wholeNumberFlag(1).optional(),
    port: wholeNumberFlag(0, 65535).default(8787),
  });

  it('reads digits into a number, and leaves an absent flag to its default', () => {
    expect(parseFlags(Flags, { limit: '25', port: '0' })).toEqual({ limit: 25, port: 0 });
    expect(parseFlags(Flags, { limit: ' 7 ', port: '65535' })).toEqual({ limit: 7, port: 65535 });
    expect(parseFlags(Flags, {})).toEqual({ port: 8787 });
  });

  it.each([
    ['limit', '0', '--limit: expected a whole number of at least 1, got "0"'],
    ['limit', '2.5', '--limit: expected a whole number of at least 1, got "2.5"'],
    ['limit', '1e3', '--limit: expected a whole number of at least 1, got "1e3"'],
    ['limit', '', '--limit: expected a whole number of at least 1, got ""'],
    ['limit', '-3', '--limit: expected a whole number of at least 1, got "-3"'],
    ['port', '0x50', '--port: expected a whole number from 0 to 65535, got "0x50"'],
    ['port', '70000', '--port: expected a whole number from 0 to 65535, got "70000"'],
  ])('refuses --%s %j, naming the flag, the range and the text', (flag, text, message) => {
    const parse = () => parseFlags(Flags, { [flag]: text });
    expect(parse).toThrow(ArgumentError);
    expect(parse).toThrow(message);
  });
});
