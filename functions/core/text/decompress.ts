/**
 * Compressed inputs, recognised by their first bytes rather than by their names (S3 keys and
 * renamed files lie). A gzip file — `MSGTRK2026112700-1.LOG.gz`, `trace.csv.gz`, the way logs are
 * usually shipped — is decompressed as it streams, so the rest of the flow sees plain bytes. A ZIP
 * archive (or an Excel workbook, which is one) holds several files and cannot be read as one text:
 * it is refused with what to do instead of being reported as text in a wrong encoding.
 */
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DecodeError } from '../kernel/errors.js';
import { closeEarly, readHead } from './byte-source.js';

/** Bytes needed to recognise a signature. */
const SIGNATURE_BYTES = 4;
/** Size of the decompressed pieces: about the size of a file read, so later stages see few large chunks. */
const GUNZIP_CHUNK_BYTES = 256 * 1024;

function startsWith(head: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((byte, index) => head[index] === byte);
}

/** True for the errors zlib raises on damaged or cut-short data (`Z_DATA_ERROR`, `Z_BUF_ERROR`, …). */
function isZlibError(error: unknown): error is Error & { code: string } {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * `source` with gzip decompressed; anything else that is not a ZIP archive passes through untouched.
 * Damaged gzip data fails with a {@link DecodeError} naming the file; errors of `source` itself
 * (a broken read) pass through as they are.
 */
export async function* decompressed(
  source: AsyncIterable<Uint8Array>,
  file: string,
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const { head: first } = await readHead(iterator, SIGNATURE_BYTES);
  const all = async function* (): AsyncGenerator<Uint8Array> {
    if (first.length > 0) yield first;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  };

  if (startsWith(first, [0x50, 0x4b, 0x03, 0x04])) {
    await closeEarly(iterator);
    throw new DecodeError(
      `${file} is a ZIP archive (or an Excel workbook), not a text file: extract the logs from it, or ` +
        'save the sheet as CSV, and analyse those. relay-audit reads text files and gzip-compressed ones.',
      { location: { file } },
    );
  }
  try {
    if (!startsWith(first, [0x1f, 0x8b])) {
      yield* all();
      return;
    }
    // pipeline() destroys the gunzip stream with the source's error too, so iterating it sees both.
    const gunzip = pipeline(Readable.from(all()), createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }), () => {});
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (error) {
      if (!isZlibError(error)) throw error;
      throw new DecodeError(
        `${file} is gzip-compressed, but its compressed data is damaged or cut short (${error.message}). ` +
          'Copy or download the file again.',
        { cause: error, location: { file } },
      );
    }
  } finally {
    await closeEarly(iterator); // the reader may stop early; a no-op once the source has ended
  }
}
