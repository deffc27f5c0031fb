/**
 * Compressed inputs, recognised by their first bytes rather than by their names (S3 keys and
 * renamed files lie). A gzip file — `MSGTRK2026112700-1.LOG.gz`, `trace.csv.gz`, the way logs are
 * usually shipped — is decompressed as it streams, so the rest of the flow sees plain bytes. What
 * cannot be read as one text is refused with what to do, instead of being reported as text in a
 * wrong encoding or, worse, read as one: a ZIP archive (or an Excel workbook, which is one), 7-Zip
 * and RAR archives, data compressed with xz, bzip2, zstd, lz4 or compress (logrotate's
 * `compresscmd`), and a tar archive (`tar czf logs.tar.gz …`), whose headers would glue each
 * member's first line to binary and lose it. The CLI reads a local tar member by member instead
 * (see tar.ts); what reaches this module whole is refused.
 */
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DecodeError } from '../kernel/errors.js';
import { closeEarly, readHead } from './byte-source.js';
import { isTarHeader, TAR_BLOCK } from './tar.js';

/** Bytes needed to recognise a ZIP archive: read first, so a ZIP is refused after its first bytes. */
const ZIP_SIGNATURE_BYTES = 4;
/** Bytes needed to recognise any other signature (bzip2's block magic ends at byte 10). */
const SIGNATURE_BYTES = 10;
/** Size of the decompressed pieces: about the size of a file read, so later stages see few large chunks. */
const GUNZIP_CHUNK_BYTES = 256 * 1024;

/**
 * A file that is no text to read: an archive, or data compressed in a codec relay-audit does not
 * read. `reason` says what it is and what to do without the file's name (for a list of files).
 */
export class PackedInputError extends DecodeError {
  public readonly reason: string;

  public constructor(file: string, what: string, todo: string) {
    super(`${file} is ${what}, not a text file: ${todo}`, { location: { file } });
    this.reason = `${what}: ${todo}`;
  }
}

function startsWith(head: Uint8Array, signature: readonly number[], at = 0): boolean {
  return signature.every((byte, index) => head[at + index] === byte);
}

/** True when `head` (a file's first bytes) starts with gzip's signature. */
export function isGzipHead(head: Uint8Array): boolean {
  return startsWith(head, [0x1f, 0x8b]);
}

/** A file name as a shell word, for the commands suggested. */
function shellWord(file: string): string {
  return /^[\w./@:+-]+$/.test(file) ? file : `'${file.replaceAll("'", `'\\''`)}'`;
}

/** Signatures of what is refused (ZIP apart), with what it is and the command that makes it readable. */
const PACKED: readonly {
  test: (head: Uint8Array) => boolean;
  what: string;
  todo: (file: string) => string;
}[] = [
  {
    test: (head) => startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
    what: 'xz-compressed',
    todo: (file) => `decompress it (xz -dk ${file}) and analyse the file that gives`,
  },
  {
    // "BZh", the block size, then the first block's magic (π) or an empty stream's end (√π).
    test: (head) =>
      startsWith(head, [0x42, 0x5a, 0x68]) &&
      (head[3] ?? 0) >= 0x31 &&
      (head[3] ?? 0) <= 0x39 &&
      (startsWith(head, [0x31, 0x41, 0x59, 0x26, 0x53, 0x59], 4) ||
        startsWith(head, [0x17, 0x72, 0x45, 0x38, 0x50, 0x90], 4)),
    what: 'bzip2-compressed',
    todo: (file) => `decompress it (bzip2 -dk ${file}) and analyse the file that gives`,
  },
  {
    test: (head) => startsWith(head, [0x28, 0xb5, 0x2f, 0xfd]),
    what: 'zstd-compressed',
    todo: (file) => `decompress it (zstd -d ${file}) and analyse the file that gives`,
  },
  {
    test: (head) => startsWith(head, [0x04, 0x22, 0x4d, 0x18]),
    what: 'lz4-compressed',
    todo: (file) => `decompress it (lz4 -d ${file}) and analyse the file that gives`,
  },
  {
    test: (head) => startsWith(head, [0x1f, 0x9d]),
    what: 'compressed with compress (.Z)',
    todo: (file) => `decompress it (gzip -dk ${file}) and analyse the file that gives`,
  },
  {
    test: (head) => startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]),
    what: 'a 7-Zip archive',
    todo: (file) => `extract the logs from it (7z x ${file}) and analyse them`,
  },
  {
    test: (head) => startsWith(head, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]),
    what: 'a RAR archive',
    todo: (file) => `extract the logs from it (unrar x ${file}) and analyse them`,
  },
];

/** True for the errors zlib raises on damaged or cut-short data (`Z_DATA_ERROR`, `Z_BUF_ERROR`, …). */
function isZlibError(error: unknown): error is Error & { code: string } {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * `source` with gzip decompressed; anything else that is not refused passes through untouched.
 * An archive or data in another codec fails with a {@link PackedInputError} saying what to do;
 * damaged gzip data with a {@link DecodeError} naming the file; errors of `source` itself (a broken
 * read) pass through as they are.
 */
export async function* decompressed(
  source: AsyncIterable<Uint8Array>,
  file: string,
): AsyncGenerator<Uint8Array> {
  const plain = gunzipped(source, file)[Symbol.asyncIterator]();
  try {
    const { head } = await readHead(plain, TAR_BLOCK);
    if (isTarHeader(head)) {
      throw new PackedInputError(
        file,
        'a tar archive',
        `extract it (tar xf ${shellWord(file)}) and analyse the folder that gives.`,
      );
    }
    if (head.length > 0) yield head;
    for (;;) {
      const next = await plain.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await closeEarly(plain); // the reader may stop early; a no-op once the source has ended
  }
}

/**
 * {@link decompressed} without the tar check: the bytes of a tar archive, gunzipped when gzip, for
 * the reader of its members (tar.ts).
 */
export async function* gunzipped(
  source: AsyncIterable<Uint8Array>,
  file: string,
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const { head: start, done } = await readHead(iterator, ZIP_SIGNATURE_BYTES);
  const all = async function* (head: Uint8Array): AsyncGenerator<Uint8Array> {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  };

  if (startsWith(start, [0x50, 0x4b, 0x03, 0x04])) {
    await closeEarly(iterator);
    throw new PackedInputError(
      file,
      'a ZIP archive (or an Excel workbook)',
      'extract the logs from it, or save the sheet as CSV, and analyse those. ' +
        'relay-audit reads text files and gzip-compressed ones.',
    );
  }
  try {
    const more =
      done || start.length >= SIGNATURE_BYTES
        ? undefined
        : await readHead(iterator, SIGNATURE_BYTES - start.length);
    const first = more === undefined ? start : Buffer.concat([start, more.head]);
    const packed = PACKED.find((packing) => packing.test(first));
    if (packed !== undefined) {
      throw new PackedInputError(
        file,
        packed.what,
        `${packed.todo(shellWord(file))}. relay-audit reads text files and gzip-compressed ones.`,
      );
    }
    if (!isGzipHead(first)) {
      yield* all(first);
      return;
    }
    // pipeline() destroys the gunzip stream with the source's error too, so iterating it sees both.
    const gunzip = pipeline(
      Readable.from(all(first)),
      createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }),
      () => {},
    );
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
