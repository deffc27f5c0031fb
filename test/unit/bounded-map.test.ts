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

  it('keeps its order array near its size when callers delete as fast as they add (a mail log queue)', () => {
    const map = new BoundedMap<string, number>(100_000);
    const orderLength = () => (map as unknown as { order: unknown[] }).order.length;
    let longest = 0;
    for (let i = 0; i < 200_000; i++) {
      map.set(`q${i}`, i);
      if (i >= 10) map.delete(`q${i - 10}`); // ten messages in the queue at a time
      longest = Math.max(longest, orderLength());
    }
    expect(map.size).toBe(10);
    // Without the rebuild the array holds every key ever added (200,000) and each of their strings.
    expect(longest).toBeLessThan(5_000);
  });

  it('keeps insertion order through rebuilds, a key set again after a delete taking its new place', () => {
    const map = new BoundedMap<number, string>(20_000);
    for (let i = 0; i < 10_000; i++) map.set(i, 'first');
    map.delete(5);
    map.set(5, 'again'); // now the newest
    for (let i = 100; i < 9_000; i++) map.delete(i); // enough deletes to rebuild the order
    // 1,099 live keys are older than 5: one key past the limit each, they are the ones evicted.
    for (let i = 10_000; i < 29_999; i++) map.set(i, 'later');
    expect(map.size).toBe(20_000);
    expect(map.has(0)).toBe(false);
    expect(map.has(9_999)).toBe(false);
    expect(map.get(5)).toBe('again');
    expect([...map.keys()].slice(0, 2)).toEqual([5, 10_000]);
  });

  it('tells of each entry it forgets for the limit, not of those the caller deletes', () => {
    const forgotten: [string, number][] = [];
    const map = new BoundedMap<string, number>(2, (key, value) => forgotten.push([key, value]));
    map.set('a', 1);
    map.set('b', 2);
    map.delete('a');
    map.set('c', 3); // room left by the delete: nothing forgotten
    map.set('d', 4); // b is the oldest now
    expect(forgotten).toEqual([['b', 2]]);
    expect([...map.keys()]).toEqual(['c', 'd']);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => new BoundedMap(0)).toThrow(RangeError);
  });
});
