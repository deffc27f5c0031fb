import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../functions/core/kernel/bounded-map.js';

describe('BoundedMap', () => {
  it('forgets the oldest entries past its limit, in insertion order', () => {
    const map = new BoundedMap<string, number>(3);
    for (const [index, key] of ['a', 'b', 'c', 'd', 'e'].entries()) map.set(key, index);
    expect([...map.entries()]).toEqual([
      ['c', 2],
      ['d', 3],
      ['e', 4],
    ]);
  });

  it('updates an existing key in place without evicting anything', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('a', 10);
    expect([...map.entries()]).toEqual([
      ['a', 10],
      ['b', 2],
    ]);
  });

  it('skips keys the caller deleted when it evicts', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    map.delete('a');
    map.set('c', 3); // room left by the delete: nothing evicted
    map.set('d', 4); // evicts b, the oldest still present
    expect([...map.keys()]).toEqual(['c', 'd']);
  });

  it('stays at its limit over many evictions, and clear() starts over', () => {
    const map = new BoundedMap<number, number>(1000);
    for (let i = 0; i < 50_000; i++) map.set(i, i);
    expect(map.size).toBe(1000);
    expect(map.has(48_999)).toBe(false);
    expect(map.has(49_000)).toBe(true);
    map.clear();
    map.set(1, 1);
    expect([...map.keys()]).toEqual([1]);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => new BoundedMap(0)).toThrow(RangeError);
  });
});
