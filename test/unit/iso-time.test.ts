/**
 * The one parser of every time flag (`check --at`, `findings --since/--until`, `reanalyze
 * --from/--to`): the ISO 8601 forms people type, a time without a zone read as UTC, and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { TIME_EXAMPLES_HELP } from '../../bin/commands/definitions.js';
import { ISO_TIME_FORMS, parseIsoTime } from '../../functions/core/kernel/iso-time.js';

describe('parseIsoTime', () => {
  it('reads a date as its whole UTC day', () => {
    expect(parseIsoTime('2026-11-28')).toEqual({
      iso: '2026-11-28',
      start: Date.parse('2026-11-28T00:00:00.000Z'),
      end: Date.parse('2026-11-28T23:59:59.999Z'),
    });
  });

  it.each([
    ['2026-11-28T22:00Z', '2026-11-28T22:00:00.000Z'],
    ['2026-11-28T22:00', '2026-11-28T22:00:00.000Z'],
    ['2026-11-28T22:00:00', '2026-11-28T22:00:00.000Z'],
    ['2026-11-28T22:00:30Z', '2026-11-28T22:00:30.000Z'],
    ['2026-11-28T22:00:30.25Z', '2026-11-28T22:00:30.250Z'],
    ['2026-11-28t22:00z', '2026-11-28T22:00:00.000Z'],
    // As the findings table prints its UTC times.
    ['2026-11-28 22:00:00', '2026-11-28T22:00:00.000Z'],
    ['2026-11-28T23:00+01:00', '2026-11-28T22:00:00.000Z'],
    ['2026-11-28T23:00:00+0100', '2026-11-28T22:00:00.000Z'],
    ['2026-11-28T17:30-04:30', '2026-11-28T22:00:00.000Z'],
    ['2026-11-29T00:00+02', '2026-11-28T22:00:00.000Z'],
    [' 2026-11-28T22:00Z ', '2026-11-28T22:00:00.000Z'],
  ])('reads %j as the instant %s (no zone: UTC)', (text, iso) => {
    const time = parseIsoTime(text);
    expect(time).toEqual({ iso, start: Date.parse(iso), end: Date.parse(iso) });
  });

  it.each([
    'yesterday',
    '',
    '28.11.2026',
    '11/28/2026',
    '2026-11-28T22',
    '2026-11-28T22:00:00ZZ',
    '2026-02-30',
    '2026-13-01',
    '2026-11-28T24:00',
    '2026-11-28T22:60',
    '2026-11-28T22:00:61',
    '2026-11-28T22:00+25:00',
    '20261128',
    '1764367200000',
  ])('refuses %j', (text) => {
    expect(parseIsoTime(text)).toBeUndefined();
  });

  it('reads every example the help and the error message give', () => {
    const examples = [...`${ISO_TIME_FORMS} ${TIME_EXAMPLES_HELP}`.matchAll(/\d{4}-\d{2}-\d{2}[^\s,;)]*/g)];
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const [example] of examples) expect(parseIsoTime(example), example).toBeDefined();
  });
});
