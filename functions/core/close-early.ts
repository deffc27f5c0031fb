/**
 * Closing a byte or text source the reader stopped early (unknown format, bad bytes, a deadline):
 * `return()` is how an async iterator closes its file or S3 stream. A failure to close is ignored,
 * so it never hides the error that stopped the reading.
 */
export async function closeEarly(iterator: AsyncIterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // Nothing more to do with a source we are abandoning.
  }
}
