/**
 * String helpers for long-lived state.
 *
 * V8 represents `slice`/`split` results as views into the string they came from, so a Message-ID
 * kept in a correlation index would keep its whole 1 MB text chunk alive. Strings that outlive
 * their chunk are copied first; this is what keeps the classifier's memory flat.
 */

/** A copy of `value` that does not share storage with the string it was cut from. */
export function detach(value: string): string {
  // Concatenation + slice forces V8 to flatten into a new sequential string.
  return ` ${value}`.slice(1);
}

/** A shallow copy of `record` whose string properties are {@link detach}ed. */
export function detachStrings<T extends object>(record: T): T {
  const copy = { ...record };
  for (const key of Object.keys(copy) as (keyof T)[]) {
    const value = copy[key];
    if (typeof value === 'string') copy[key] = detach(value) as T[keyof T];
  }
  return copy;
}
