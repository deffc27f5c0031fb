import { describe, expect, it } from 'vitest';
import { bounded, boundedId, MAX_ID_CHARS } from '../../functions/core/kernel/bounded-text.js';

describe('boundedId', () => {
  const long = (end: string) => `${'a'.repeat(17_000)}${end}@mail.fabrikam.com`;

  it('leaves real Message-IDs and addresses as they are', () => {
    for (const value of ['', 'M7@app01.contoso.local', 'kate@contoso.com', 'x'.repeat(MAX_ID_CHARS)])
      expect(boundedId(value)).toBe(value);
  });

  it('bounds a longer one to its start and a hash of the whole, the same every time', () => {
    const value = long('000001');
    const cut = boundedId(value);
    expect(cut.length).toBeLessThanOrEqual(MAX_ID_CHARS);
    expect(cut.startsWith('a'.repeat(900))).toBe(true);
    expect(cut).toMatch(/… \[cut: 17024 characters, sha256 [0-9a-f]{16}\]$/);
    expect(boundedId(`${value}`)).toBe(cut);
    // Bounded once is bounded: a value that passes twice is not cut again.
    expect(boundedId(cut)).toBe(cut);
    expect(boundedId('x'.repeat(MAX_ID_CHARS + 1)).length).toBeLessThanOrEqual(MAX_ID_CHARS);
  });

  it('keeps two long IDs that differ only past the cut apart', () => {
    expect(boundedId(long('000001'))).not.toBe(boundedId(long('000002')));
  });
});

describe('bounded', () => {
  it('cuts at `max` with its marker, never inside a surrogate pair', () => {
    expect(bounded('abc', 3)).toBe('abc');
    expect(bounded('abcd', 3)).toMatch(/^abc… \[cut: 4 characters, sha256 [0-9a-f]{16}\]$/);
    expect(bounded('ab😀', 3)).toMatch(/^ab… \[cut: 4 characters/);
  });
});
