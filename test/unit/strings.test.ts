import { describe, expect, it } from 'vitest';
import { detach, StringPool } from '../../functions/core/kernel/strings.js';

describe('detach', () => {
  it('returns an equal string, short or long', () => {
    const text = 'x'.repeat(50);
    expect(detach(text.slice(5, 40))).toBe(text.slice(5, 40));
    expect(detach('ab')).toBe('ab');
    expect(detach('')).toBe('');
  });
});

describe('StringPool', () => {
  it('interns equal values, and keeps working after it starts over at its limit', () => {
    const pool = new StringPool(2);
    const values = ['EX01.contoso.com', 'EX02.contoso.com', 'EX03.contoso.com', 'EX01.contoso.com'];
    expect(values.map((value) => pool.intern(`${value} `.slice(0, -1)))).toEqual(values);
  });

  it('copies a record: repeating fields interned, others detached, dropped fields cleared', () => {
    // Prepare
    const pool = new StringPool();
    const record = { host: 'EX01.contoso.com', id: 'abc@contoso.com', status: '550 5.7.64 …', line: 7 };

    // Act
    const kept = pool.keep(record, new Set(['host']), new Set(['status']));

    // Assess
    expect(kept).toEqual({ host: 'EX01.contoso.com', id: 'abc@contoso.com', status: undefined, line: 7 });
    expect(kept).not.toBe(record);
    expect(record.status).toBe('550 5.7.64 …');
  });
});
