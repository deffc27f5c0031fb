import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseFlags, timeFlag, wholeNumberFlag } from '../../bin/support/flags.js';
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

describe('a flag with a fixed set of values', () => {
  const Flags = z.object({
    scenario: z.enum(['ndr', 'forwarding', 'wrong-region']).optional(),
    format: z.enum(['table', 'json', 'csv']).default('table'),
  });

  it.each([
    [
      { scenario: 'forwading' },
      '--scenario: expected one of ndr | forwarding | wrong-region, got "forwading"; did you mean forwarding?',
    ],
    [{ format: 'CSV' }, '--format: expected one of table | json | csv, got "CSV"; did you mean csv?'],
    [{ format: 'yaml' }, '--format: expected one of table | json | csv, got "yaml"'],
  ])('refuses %j showing the value, the choices and the one likely meant', (values, message) => {
    const parse = () => parseFlags(Flags, values);
    expect(parse).toThrow(ArgumentError);
    expect(parse).toThrow(message);
    expect(parse).not.toThrow(/Invalid option/);
  });
});

describe('timeFlag', () => {
  const Flags = z.object({ since: timeFlag().optional() });

  it('reads a date, or a time with or without seconds and zone (UTC)', () => {
    expect(parseFlags(Flags, { since: '2026-11-28' }).since?.iso).toBe('2026-11-28');
    expect(parseFlags(Flags, { since: '2026-11-28T22:00' }).since?.iso).toBe('2026-11-28T22:00:00.000Z');
    expect(parseFlags(Flags, { since: '2026-11-28T23:00+01:00' }).since?.iso).toBe(
      '2026-11-28T22:00:00.000Z',
    );
  });

  it('covers the whole of what a value names: a day, a minute, a second or a fraction of one', () => {
    const span = (text: string) => {
      const time = parseFlags(Flags, { since: text }).since;
      return [new Date(time?.start ?? 0).toISOString(), new Date(time?.end ?? 0).toISOString()];
    };
    expect(span('2026-11-28')).toEqual(['2026-11-28T00:00:00.000Z', '2026-11-28T23:59:59.999Z']);
    expect(span('2026-11-28T22:15')).toEqual(['2026-11-28T22:15:00.000Z', '2026-11-28T22:15:59.999Z']);
    expect(span('2026-11-28 23:15+01:00')).toEqual(['2026-11-28T22:15:00.000Z', '2026-11-28T22:15:59.999Z']);
    expect(span('2026-11-28T22:15:03Z')).toEqual(['2026-11-28T22:15:03.000Z', '2026-11-28T22:15:03.999Z']);
    expect(span('2026-11-28T22:15:03.4')).toEqual(['2026-11-28T22:15:03.400Z', '2026-11-28T22:15:03.499Z']);
    expect(span('2026-11-28T22:15:03,41')).toEqual(['2026-11-28T22:15:03.410Z', '2026-11-28T22:15:03.419Z']);
    expect(span('2026-11-28T22:15:03.412')).toEqual(['2026-11-28T22:15:03.412Z', '2026-11-28T22:15:03.412Z']);
    expect(span('2026-11-28T22:15:03.412345')).toEqual([
      '2026-11-28T22:15:03.412Z',
      '2026-11-28T22:15:03.412Z',
    ]);
  });

  it('refuses anything else naming the flag, the value and the forms', () => {
    const parse = () => parseFlags(Flags, { since: 'yesterday' });
    expect(parse).toThrow(ArgumentError);
    expect(parse).toThrow(
      '--since: expected a date such as 2026-11-28 or an ISO 8601 time such as 2026-11-28T22:00, ' +
        '2026-11-28T22:00:30Z or 2026-11-28T23:00+01:00 (a time without a zone is UTC), got "yesterday"',
    );
  });
});
