/**
 * The read loop lets the event loop turn between batches, even when the text is already there: the
 * store's requests are posted, and its answers handled, once per turn (engine-thread-client.ts), so
 * a reader that never yielded would make reading and writing take turns instead of overlapping.
 */
import { describe, expect, it } from 'vitest';
import { pump, type TextConsumer } from '../../functions/core/analysis/input/batches.js';

/** Text chunks that are all ready at once: `next()` resolves without a turn of the event loop. */
async function* readyChunks(count: number, size: number): AsyncGenerator<string> {
  for (let i = 0; i < count; i++) yield 'x'.repeat(size);
}

describe('pump', () => {
  it('lets the event loop run between batches of text that was already read', async () => {
    // Prepare: a turn of the event loop asked for when the first batch is handed on.
    let turned = false;
    const turnedAtDelivery: boolean[] = [];
    const consumer: TextConsumer = {
      push: () => undefined,
      end: () => undefined,
      notes: () => undefined,
      holding: () => false,
      deliver: async () => {
        if (turnedAtDelivery.length === 0) setImmediate(() => (turned = true));
        turnedAtDelivery.push(turned);
      },
    };

    // Act: ten batches' worth of text.
    const listener = { format: () => undefined, batch: () => undefined };
    const outcome = await pump(readyChunks(10, 64 * 1024), listener, consumer);

    // Assess: the turn came right after the first batch, long before the end.
    expect(outcome).toBe('done');
    expect(turnedAtDelivery.length).toBeGreaterThan(5);
    expect(turnedAtDelivery[0]).toBe(false);
    expect(turnedAtDelivery[1]).toBe(true);
  });
});
