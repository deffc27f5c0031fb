/**
 * A Map that forgets its oldest entries past `limit`: the bounded memory of the classifier's
 * correlation indexes and of the store's caches.
 *
 * Why insertion order is kept in an array rather than read from the Map: V8 leaves a hole in a
 * Map's table for each deleted entry until the table is rebuilt, and `keys().next()` walks over
 * every hole from the start, so evicting "the first key" grew with the number of evictions
 * (measured: 200,000 inserts into a 20,000-entry map took 1.7 s that way, 0.1 s this way).
 *
 * A key the caller deletes stays in that array until it is passed over, so a map whose callers
 * delete as fast as they add (a mail log's queue: each message is removed once delivered) would
 * never evict and its array would grow with every key ever added. The array is rebuilt from the
 * live keys once such stale entries outnumber them, which keeps it within about twice the map.
 */
/** Stale entries always tolerated before a rebuild, so that a small map does not rebuild on every delete. */
const STALE_SLACK = 4096;

export class BoundedMap<K, V> extends Map<K, V> {
  /** Keys in insertion order, consumed from `head`; may hold keys already deleted. */
  private order: K[] = [];
  private head = 0;
  /** Entries of `order` past `head` whose key was deleted by a caller (or set again since). */
  private stale = 0;

  /** @param onEvict told of each entry forgotten for the limit (not of those the caller deletes). */
  public constructor(
    private readonly limit: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    super();
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  public override set(key: K, value: V): this {
    if (!this.has(key)) {
      if (this.size >= this.limit) this.evictOldest();
      this.order.push(key);
    }
    return super.set(key, value);
  }

  public override delete(key: K): boolean {
    const deleted = super.delete(key);
    if (deleted && ++this.stale > Math.max(STALE_SLACK, this.size)) {
      this.rebuildOrder();
    }
    return deleted;
  }

  public override clear(): void {
    this.order = [];
    this.head = 0;
    this.stale = 0;
    super.clear();
  }

  private evictOldest(): void {
    const order = this.order;
    while (this.head < order.length) {
      const oldest = order[this.head] as K;
      order[this.head++] = undefined as K;
      const value = this.onEvict === undefined ? undefined : super.get(oldest);
      if (super.delete(oldest)) {
        this.onEvict?.(oldest, value as V);
        break;
      }
      this.stale--; // a key deleted by a caller since: passed over
    }
    // Drop the consumed front now and then, so the array stays about as small as the map.
    if (this.head > 4096 && this.head * 2 > order.length) {
      this.order = order.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * The live keys in insertion order, each once. A key deleted and set again is in the array twice;
   * its later place is its place in the Map, so the array is walked from its end.
   */
  private rebuildOrder(): void {
    const live: K[] = [];
    const seen = new Set<K>();
    for (let index = this.order.length - 1; index >= this.head; index--) {
      const key = this.order[index] as K;
      if (!seen.has(key) && this.has(key)) {
        seen.add(key);
        live.push(key);
      }
    }
    this.order = live.reverse();
    this.head = 0;
    this.stale = 0;
  }
}
