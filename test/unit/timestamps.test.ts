import { describe, expect, it } from 'vitest';
import { TimestampParser } from '../../functions/core/timestamps.js';

describe('TimestampParser', () => {
  it.each([
    ['2026-11-28T22:15:03.123Z', '2026-11-28T22:15:03.123Z'],
    ['2026-11-28T22:15:03Z', '2026-11-28T22:15:03.000Z'],
    ['2026-11-28 22:15:03', '2026-11-28T22:15:03.000Z'],
    ['2026-11-28T23:15:03+01:00', '2026-11-28T22:15:03.000Z'],
    ['2026-11-28T22:15:03.1234567Z', '2026-11-28T22:15:03.123Z'],
    ['11/28/2026 10:15:03 PM', '2026-11-28T22:15:03.000Z'],
    ['11/28/2026 12:05:00 AM', '2026-11-28T00:05:00.000Z'],
    ['28-11-2026 22:15:03', '2026-11-28T22:15:03.000Z'],
    ['28.11.2026 22:15:03', '2026-11-28T22:15:03.000Z'],
    ['28/11/2026 22:15:03', '2026-11-28T22:15:03.000Z'],
  ])('normalises %s to UTC', (raw, expected) => {
    expect(new TimestampParser().parse(raw)).toBe(expected);
  });

  it.each(['not-a-date', '', '2026-13-01T00:00:00Z', '31.11.2026 10:00:00', '13/13/2026 10:00:00'])(
    'rejects %s',
    (raw) => {
      expect(new TimestampParser().parse(raw)).toBeUndefined();
    },
  );

  it('learns day-first order from an unambiguous value and keeps it for the file', () => {
    const parser = new TimestampParser();
    expect(parser.parse('05/11/2026 10:00:00 AM')).toBe('2026-05-11T10:00:00.000Z'); // AM/PM: month first by default
    expect(parser.parse('28/11/2026 10:00:00 AM')).toBe('2026-11-28T10:00:00.000Z'); // proves day-first
    expect(parser.learntOrder).toBe('day-first');
    expect(parser.parse('05/11/2026 10:00:00 AM')).toBe('2026-11-05T10:00:00.000Z');
  });
});
