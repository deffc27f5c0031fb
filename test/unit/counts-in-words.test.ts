import { describe, expect, it } from 'vitest';
import { groupDigits, plural } from '../../functions/core/kernel/counts-in-words.js';

describe('groupDigits', () => {
  it('groups thousands with commas', () => {
    expect(groupDigits(0)).toBe('0');
    expect(groupDigits(999)).toBe('999');
    expect(groupDigits(1000)).toBe('1,000');
    expect(groupDigits(382523)).toBe('382,523');
    expect(groupDigits(1234567890)).toBe('1,234,567,890');
    expect(groupDigits(-45678)).toBe('-45,678');
  });

  it('agrees with toLocaleString("en") on integers', () => {
    for (const count of [1, 12, 123, 1234, 12345, 123456, 1234567, 98765432, 2 ** 40]) {
      expect(groupDigits(count)).toBe(count.toLocaleString('en'));
    }
  });
});

describe('plural', () => {
  it('uses the singular for exactly one, and groups digits', () => {
    expect(plural(1, 'row')).toBe('1 row');
    expect(plural(0, 'row')).toBe('0 rows');
    expect(plural(382523, 'row')).toBe('382,523 rows');
  });

  it('takes the plural form of words that do not just add an s', () => {
    expect(plural(1, 'delivery', 'deliveries')).toBe('1 delivery');
    expect(plural(62834, 'delivery', 'deliveries')).toBe('62,834 deliveries');
  });
});
