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
 * Where a file was given, which decides what its reader can do with one that is refused: `local`, a
 * file on this machine, is decompressed or extracted where it is and analysed again; `upload`, an
 * object someone uploaded (the S3 key is no path they have), is unpacked on their own computer from
 * their copy, by its name, and what that gives is uploaded.
 */
export type InputOrigin = 'local' | 'upload';

/** What makes a packed file readable, in words for either origin (see {@link packedAdvice}). */
interface Remedy {
  /** `decompress it`, `extract the logs from it`. */
  action: string;
  /** The command that does it, given the file as a shell word. */
  command?: (file: string) => string;
  /** Another way, said after the action: `or save the sheet as CSV`. */
  or?: string;
  /** What the action gives, to analyse or to upload. */
  gives: string | Record<InputOrigin, string>;
}

/** What readable files are. Not said of a tar locally: the CLI reads a local tar member by member. */
const READS = 'relay-audit reads text files and gzip-compressed ones.';

/**
 * The advice for a refused `file` (its name as given: a path, or an S3 key), in the one wording
 * both origins share: locally the command names the file as given and what it gives is analysed;
 * for an upload the command runs on the user's computer on the file's name and what it gives is
 * uploaded.
 */
function packedAdvice(remedy: Remedy, file: string, origin: InputOrigin): string {
  const local = origin === 'local';
  const name = local ? file : (file.split('/').pop() ?? file);
  const command = remedy.command === undefined ? '' : ` (${remedy.command(shellWord(name))})`;
  const or = remedy.or === undefined ? '' : `, ${remedy.or},`;
  const gives = typeof remedy.gives === 'string' ? remedy.gives : remedy.gives[origin];
  return `${remedy.action}${local ? '' : ' on your computer'}${command}${or} and ${local ? 'analyse' : 'upload'} ${gives}`;
}

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

/** Data in a codec relay-audit does not read: decompressed by `command`, it gives one file. */
function decompressWith(command: string): Remedy {
  return { action: 'decompress it', command: (file) => `${command} ${file}`, gives: 'the file that gives' };
}

/** An archive relay-audit does not read: `command` extracts its logs. */
function extractWith(command: string): Remedy {
  return { action: 'extract the logs from it', command: (file) => `${command} ${file}`, gives: 'them' };
}

const ZIP: Remedy = { action: 'extract the logs from it', or: 'or save the sheet as CSV', gives: 'those' };

const TAR: Remedy = {
  action: 'extract it',
  command: (file) => `tar xf ${file}`,
  gives: { local: 'the folder that gives', upload: 'the files it holds' },
};

/** Signatures of what is refused (ZIP apart), with what it is and what makes it readable. */
const PACKED: readonly { test: (head: Uint8Array) => boolean; what: string; remedy: Remedy }[] = [
  {
    test: (head) => startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
    what: 'xz-compressed',
    remedy: decompressWith('xz -dk'),
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
    remedy: decompressWith('bzip2 -dk'),
  },
  {
    test: (head) => startsWith(head, [0x28, 0xb5, 0x2f, 0xfd]),
    what: 'zstd-compressed',
    remedy: decompressWith('zstd -d'),
  },
  {
    test: (head) => startsWith(head, [0x04, 0x22, 0x4d, 0x18]),
    what: 'lz4-compressed',
    remedy: decompressWith('lz4 -d'),
  },
  {
    test: (head) => startsWith(head, [0x1f, 0x9d]),
    what: 'compressed with compress (.Z)',
    remedy: decompressWith('gzip -dk'),
  },
  {
    test: (head) => startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]),
    what: 'a 7-Zip archive',
    remedy: extractWith('7z x'),
  },
  {
    test: (head) => startsWith(head, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]),
    what: 'a RAR archive',
    remedy: extractWith('unrar x'),
  },
];

/** True for the errors zlib raises on damaged or cut-short data (`Z_DATA_ERROR`, `Z_BUF_ERROR`, …). */
function isZlibError(error: unknown): error is Error & { code: string } {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * `source` with gzip decompressed; anything else that is not refused passes through untouched.
 * An archive or data in another codec fails with a {@link PackedInputError} saying what to do
 * (for the file's `origin`);
 * damaged gzip data with a {@link DecodeError} naming the file; errors of `source` itself (a broken
 * read) pass through as they are.
 */
export async function* decompressed(
  source: AsyncIterable<Uint8Array>,
  file: string,
  origin: InputOrigin = 'local',
): AsyncGenerator<Uint8Array> {
  const plain = gunzipped(source, file, origin)[Symbol.asyncIterator]();
  try {
    const { head } = await readHead(plain, TAR_BLOCK);
    if (isTarHeader(head)) {
      const advice = packedAdvice(TAR, file, origin);
      throw new PackedInputError(
        file,
        'a tar archive',
        origin === 'local' ? `${advice}.` : `${advice}. ${READS}`,
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
  origin: InputOrigin = 'local',
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
      `${packedAdvice(ZIP, file, origin)}. ${READS}`,
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
      throw new PackedInputError(file, packed.what, `${packedAdvice(packed.remedy, file, origin)}. ${READS}`);
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
          (origin === 'local'
            ? 'Copy or download the file again.'
            : 'Copy or download the file again, and upload that copy.'),
        { cause: error, location: { file } },
      );
    }
  } finally {
    await closeEarly(iterator); // the reader may stop early; a no-op once the source has ended
  }
}
