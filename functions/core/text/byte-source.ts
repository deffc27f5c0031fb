/**
 * Reading the start of a byte source and closing a source early: what decompression (the gzip and
 * ZIP signatures) and decoding (the BOM and UTF-16 sniff) both do before they stream the rest.
 */

/**
 * Reads chunks until at least `bytes` bytes (or the end) and returns them joined; `done` is true
 * when the source ended within them. The caller streams the rest from the same iterator.
 */
export async function readHead(
  iterator: AsyncIterator<Uint8Array>,
  bytes: number,
): Promise<{ head: Buffer; done: boolean }> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) return { head: Buffer.concat(chunks), done: true };
    chunks.push(next.value);
    length += next.value.length;
  }
  return { head: Buffer.concat(chunks), done: false };
}

/**
 * Closes a byte or text source the reader stopped early (unknown format, bad bytes, a deadline):
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
