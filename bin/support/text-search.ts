/**
 * Reads a file passed over (decompressed, decoded leniently) through a search that takes its text
 * chunk by chunk, until the search finds what it looks for: the shared loop of the checks that decide
 * whether a file not analysed may hold refusals (its refusal text, its report table).
 */
import { closeEarly } from '../../functions/core/text/byte-source.js';
import { decodeLeniently } from '../../functions/core/text/decode.js';
import { decompressed } from '../../functions/core/text/decompress.js';

/** A search over text given chunk by chunk: a result once found, then the end's last word. */
export interface TextSearch<T> {
  push(text: string): T | undefined;
  end(): T | undefined;
}

/**
 * What `search` finds in the text of `name`, reading at most about `maxChars` characters (then the
 * search's `end` decides); `undefined` when it finds nothing or the file cannot be read.
 */
export async function searchText<T>(
  name: string,
  open: () => AsyncIterable<Uint8Array>,
  search: TextSearch<T>,
  maxChars = Number.POSITIVE_INFINITY,
): Promise<T | undefined> {
  const bytes = decompressed(open(), name)[Symbol.asyncIterator]();
  let read = 0;
  try {
    for await (const text of decodeLeniently(bytes)) {
      const found = search.push(text);
      if (found !== undefined) return found;
      read += text.length;
      if (read >= maxChars) break;
    }
    return search.end();
  } catch {
    return undefined; // unreadable: nothing known of it beyond the reason already given
  } finally {
    await closeEarly(bytes);
  }
}
