/**
 * Tar archives (POSIX ustar, GNU and pax), read as they stream: `tar czf maillogs.tar.gz
 * /var/log/mail.log*` is how a relay's logs are often handed over. Read as one text, the 512-byte
 * headers glue each member's first line to binary (its refusal lost), so an archive is recognised
 * by its header (`ustar` at byte 257, a valid checksum) and read member by member instead.
 *
 * Only what logs need is read: regular files, with GNU long names (`L`) and the `path` and `size`
 * of pax headers (`x`); directories and links are passed over (a hard link's data is its target's,
 * read as that member), and anything else (a sparse or multi-volume member) is named so the caller
 * can say it was not read. Nothing is buffered beyond one header.
 */
import { DecodeError } from '../kernel/errors.js';
import { closeEarly } from './byte-source.js';

/** Tar's unit: headers and data padding are 512 bytes. */
export const TAR_BLOCK = 512;

const MAGIC_OFFSET = 257;
const CHECKSUM_OFFSET = 148;

/** True when `block` is a tar header: `ustar` at byte 257 (POSIX and GNU) and a checksum that adds up. */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < TAR_BLOCK) return false;
  const magic = Buffer.from(block.buffer, block.byteOffset + MAGIC_OFFSET, 5).toString('latin1');
  if (magic !== 'ustar') return false;
  const stored = readNumber(block, CHECKSUM_OFFSET, 8);
  if (stored === undefined) return false;
  // The sum of the header's bytes with the checksum field as spaces; old tars summed signed bytes.
  let unsigned = 0;
  let signed = 0;
  for (let index = 0; index < TAR_BLOCK; index++) {
    const byte = index >= CHECKSUM_OFFSET && index < CHECKSUM_OFFSET + 8 ? 0x20 : (block[index] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** A number field: octal text (NUL- or space-ended), or GNU base-256 when its first bit is set. */
function readNumber(block: Uint8Array, offset: number, length: number): number | undefined {
  const first = block[offset] ?? 0;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let index = 1; index < length; index++) value = value * 256 + (block[offset + index] ?? 0);
    return value;
  }
  const text = Buffer.from(block.buffer, block.byteOffset + offset, length)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (text === '') return 0;
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : undefined;
}

/** A text field up to its first NUL. */
function readText(block: Uint8Array, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return Buffer.from(field.subarray(0, end < 0 ? length : end)).toString('utf8');
}

/** A regular file in the archive. */
export interface TarMember {
  /** Its path in the archive (`var/log/mail.log`). */
  name: string;
  size: number;
  modified: Date | undefined;
  /** Where its data starts in the (uncompressed) archive. */
  offset: number;
}

export type TarEntry =
  /** A regular file; `body()` streams its data (what is not read of it is skipped). */
  | { kind: 'file'; member: TarMember; body: () => AsyncGenerator<Uint8Array> }
  /** A member of another type that may hold data (GNU sparse `S`, multi-volume `M`, …): not read. */
  | { kind: 'unsupported'; name: string; type: string };

/** Entry types passed over: hard and symbolic links, devices, directories, FIFOs, a volume label. */
const PASSED_OVER = new Set(['1', '2', '3', '4', '5', '6', 'V', 'D', 'g', 'K']);
/** Types whose data is a file's: regular (also old tars' NUL) and contiguous. */
const REGULAR = new Set(['0', '\0', '7']);
/** Hard and symbolic links: no data of their own. */
const LINKS = new Set(['1', '2']);

/** The bytes of an async source, read by count. */
class ByteReader {
  private pending: Uint8Array = new Uint8Array(0);
  /** Bytes consumed so far. */
  public position = 0;

  public constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** Makes bytes pending; false at the end of the source. */
  private async fill(): Promise<boolean> {
    while (this.pending.length === 0) {
      const next = await this.source.next();
      if (next.done) return false;
      this.pending = next.value;
    }
    return true;
  }

  /** The next `count` bytes (a header: small), or fewer at the end of the source. */
  public async read(count: number): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < count && (await this.fill())) {
      const take = Math.min(count - got, this.pending.length);
      parts.push(this.pending.subarray(0, take));
      this.pending = this.pending.subarray(take);
      got += take;
    }
    this.position += got;
    return Buffer.concat(parts);
  }

  /** The next bytes, at most `max`, as they come; undefined at the end of the source. */
  public async some(max: number): Promise<Uint8Array | undefined> {
    if (!(await this.fill())) return undefined;
    const take = Math.min(max, this.pending.length);
    const chunk = this.pending.subarray(0, take);
    this.pending = this.pending.subarray(take);
    this.position += take;
    return chunk;
  }

  /** Skips `count` bytes; false when the source ends first. */
  public async skip(count: number): Promise<boolean> {
    let left = count;
    while (left > 0) {
      const chunk = await this.some(left);
      if (chunk === undefined) return false;
      left -= chunk.length;
    }
    return true;
  }
}

const padding = (size: number): number => (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;

/** The `path` and `size` of a pax extended header's records (`"30 path=var/log/mail.log\n"`). */
function paxRecords(data: Buffer): { path?: string; size?: number } {
  const found: { path?: string; size?: number } = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number.parseInt(data.subarray(at, space).toString('latin1'), 10);
    if (space < 0 || !Number.isSafeInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    const key = record.slice(0, equals);
    const value = record.slice(equals + 1);
    if (key === 'path') found.path = value;
    if (key === 'size' && /^\d+$/.test(value)) found.size = Number(value);
    at += length;
  }
  return found;
}

/**
 * The entries of the tar archive `source` (uncompressed bytes), in order. Each file's data must be
 * read through its `body()` before the next entry is asked for, or it is skipped. A damaged header
 * or an archive cut short fails with a {@link DecodeError} naming `archive`.
 */
export async function* tarEntries(
  source: AsyncIterable<Uint8Array>,
  archive: string,
): AsyncGenerator<TarEntry> {
  const iterator = source[Symbol.asyncIterator]();
  const reader = new ByteReader(iterator);
  const cutShort = (what: string): DecodeError =>
    new DecodeError(
      `${archive} is a tar archive cut short ${what} (at byte ${reader.position}): copy or download it again.`,
      { location: { file: archive } },
    );
  const damaged = (at: number): DecodeError =>
    new DecodeError(
      `${archive} is a tar archive with a damaged header at byte ${at}: copy or download it again, ` +
        'or extract what tar can (tar xf) and analyse that.',
      { location: { file: archive } },
    );
  /** What of the current file's data (and its padding) is still to be skipped. */
  let unread = 0;
  let longName: string | undefined;
  let pax: { path?: string; size?: number } = {};
  try {
    for (;;) {
      if (unread > 0 && !(await reader.skip(unread))) throw cutShort('inside a member');
      unread = 0;
      const header = await reader.read(TAR_BLOCK);
      // The end: a zero block (tar writes two), or the end of the bytes after a whole member.
      if (header.length === 0 || header.every((byte) => byte === 0)) return;
      if (header.length < TAR_BLOCK) throw cutShort('inside a header');
      if (!isTarHeader(header)) throw damaged(reader.position - TAR_BLOCK);
      const type = String.fromCharCode(header[156] ?? 0);
      const sizeField = readNumber(header, 124, 12);
      if (sizeField === undefined) throw damaged(reader.position - TAR_BLOCK);
      if (type === 'L' || type === 'x') {
        // The next header's long name (GNU) or its extended attributes (pax): small, read whole.
        const size = sizeField;
        const data = await reader.read(size);
        if (data.length < size || !(await reader.skip(padding(size)))) throw cutShort('inside a header');
        if (type === 'L') longName = readText(data, 0, data.length);
        else pax = paxRecords(data);
        continue;
      }
      const size = pax.size ?? sizeField;
      const posix = header[262] === 0; // "ustar\0": a POSIX header, whose prefix field continues the name
      const prefix = posix ? readText(header, 345, 155) : '';
      const name =
        pax.path ?? longName ?? (prefix ? `${prefix}/${readText(header, 0, 100)}` : readText(header, 0, 100));
      longName = undefined;
      pax = {};
      const regular = REGULAR.has(type) && !name.endsWith('/');
      // A link's size field says nothing of bytes in the archive; any other entry's data is skipped unless read.
      unread = LINKS.has(type) ? 0 : size + padding(size);
      if (!regular) {
        if (!PASSED_OVER.has(type)) yield { kind: 'unsupported', name, type };
        continue;
      }
      const mtime = readNumber(header, 136, 12);
      const member: TarMember = {
        name,
        size,
        modified: mtime === undefined || mtime === 0 ? undefined : new Date(mtime * 1000),
        offset: reader.position,
      };
      let left = size;
      const body = async function* (): AsyncGenerator<Uint8Array> {
        while (left > 0) {
          const chunk = await reader.some(left);
          if (chunk === undefined) throw cutShort(`inside ${name}`);
          left -= chunk.length;
          unread -= chunk.length;
          yield chunk;
        }
      };
      yield { kind: 'file', member, body };
    }
  } finally {
    await closeEarly(iterator); // the reader may stop early; a no-op once the source has ended
  }
}
