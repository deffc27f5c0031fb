import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tarListing } from '../../bin/support/tar-inputs.js';
import { DecodeError } from '../../functions/core/kernel/errors.js';
import { closeEarly } from '../../functions/core/text/byte-source.js';
import { decompressed, gunzipped, PackedInputError } from '../../functions/core/text/decompress.js';
import { isTarHeader, TAR_BLOCK, type TarEntry, tarEntries } from '../../functions/core/text/tar.js';
import { chunked } from '../support/streams.js';

/** One 512-byte header as tar writes it: `magic` "ustar\0" + "00" (POSIX) or "ustar  \0" (GNU). */
function header(
  name: string,
  size: number,
  type: string,
  options: { prefix?: string; gnu?: boolean; mtime?: number } = {},
): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  block.write(name, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write(`${(options.mtime ?? 1_795_900_000).toString(8).padStart(11, '0')}\0`, 136, 'latin1');
  block.write(type, 156, 'latin1');
  block.write(options.gnu ? 'ustar  \0' : 'ustar\u000000', 257, 'latin1');
  if (options.prefix) block.write(options.prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** Data padded to whole blocks. */
function data(bytes: Buffer | string): Buffer {
  const body = Buffer.from(bytes);
  return Buffer.concat([body, Buffer.alloc((TAR_BLOCK - (body.length % TAR_BLOCK)) % TAR_BLOCK)]);
}

/** A pax extended header's data: `"<length> <key>=<value>\n"`, the length counting itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = rest.length + 1;
  while (`${length}${rest}`.length !== length) length++;
  return `${length}${rest}`;
}

const FIRST = 'Nov 28 22:00:02 relay01 postfix/smtp[203]: 2B3C4D5E6F: to=<sales@litware.com>, dsn=5.7.64\n';
const SECOND = 'Nov 28 21:00:01 relay01 postfix/smtpd[100]: 1A2B3C4D5E: client=app01\n'.repeat(30);
const LONG_DIR = `var/log/${'archive/'.repeat(16)}`;

/** Every kind of entry the reader meets: directories, links, long names both ways, a prefix, a sparse file. */
function archive(): Buffer {
  const pax = paxRecord('path', `${LONG_DIR}pax-named.log`) + paxRecord('mtime', '1795900000.5');
  return Buffer.concat([
    header('var/', 0, '5'),
    header('var/log/', 0, '5'),
    header('var/log/mail.log', FIRST.length, '0'),
    data(FIRST),
    header('var/log/mail.log.link', 0, '2'),
    header('var/log/hard.log', 0, '1'),
    // GNU: the long name in an `L` entry before the header it names.
    header('././@LongLink', `${LONG_DIR}gnu-named.log`.length + 1, 'L', { gnu: true }),
    data(`${LONG_DIR}gnu-named.log\0`),
    header(`${LONG_DIR}gnu-named.log`.slice(0, 100), SECOND.length, '0', { gnu: true }),
    data(SECOND),
    header('PaxHeaders/pax-named.log', pax.length, 'x'),
    data(pax),
    header('pax-named.log', 3, '0'),
    data('pax'),
    // POSIX ustar: a path up to 255 bytes as prefix + name.
    header('prefixed.log', 4, '0', { prefix: LONG_DIR.slice(0, -1) }),
    data('four'),
    header('var/log/sparse.log', 0, 'S', { gnu: true }),
    header('var/log/empty.log', 0, '0'),
    Buffer.alloc(2 * TAR_BLOCK),
  ]);
}

async function entries(bytes: Buffer, size: number): Promise<{ entry: TarEntry; text?: string }[]> {
  const out: { entry: TarEntry; text?: string }[] = [];
  for await (const entry of tarEntries(chunked(bytes, size), 'logs.tar')) {
    if (entry.kind !== 'file') {
      out.push({ entry });
      continue;
    }
    const parts: Uint8Array[] = [];
    for await (const part of entry.body()) parts.push(part);
    out.push({ entry, text: Buffer.concat(parts).toString() });
  }
  return out;
}

describe('tarEntries', () => {
  it.each([1, 7, 512, 4096, 1 << 20])(
    'reads regular files with their names and data, passing over directories and links (chunks of %i)',
    async (size) => {
      const found = await entries(archive(), size);
      expect(
        found.map(({ entry, text }) =>
          entry.kind === 'file' ? [entry.member.name, entry.member.size, text] : [entry.name, entry.type],
        ),
      ).toEqual([
        ['var/log/mail.log', FIRST.length, FIRST],
        [`${LONG_DIR}gnu-named.log`, SECOND.length, SECOND],
        [`${LONG_DIR}pax-named.log`, 3, 'pax'],
        [`${LONG_DIR}prefixed.log`, 4, 'four'],
        ['var/log/sparse.log', 'S'],
        ['var/log/empty.log', 0, ''],
      ]);
      const first = found[0]?.entry;
      expect(first?.kind === 'file' && first.member.modified).toEqual(new Date(1_795_900_000_000));
      // The data's offset in the archive: after var/, var/log/ and its own header.
      expect(first?.kind === 'file' && first.member.offset).toBe(3 * TAR_BLOCK);
    },
  );

  it('skips the data of a file whose body is not read', async () => {
    const names: string[] = [];
    for await (const entry of tarEntries(chunked(archive(), 100), 'logs.tar'))
      if (entry.kind === 'file') names.push(entry.member.name);
    expect(names).toHaveLength(5);
  });

  it('fails naming the archive when it is cut short, in a header or in a member', async () => {
    const whole = archive();
    for (const cut of [3 * TAR_BLOCK + 20, 3 * TAR_BLOCK - 100]) {
      const error = await entries(whole.subarray(0, cut), 64).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).message).toMatch(/^logs\.tar is a tar archive cut short inside/);
    }
  });

  it('fails on a damaged header', async () => {
    const bytes = archive();
    bytes[3 * TAR_BLOCK + TAR_BLOCK + 5] = 0x41; // the byte after mail.log's data block: the next header
    const error = await entries(bytes, 512).catch((caught: unknown) => caught);
    expect((error as DecodeError).message).toMatch(/damaged header at byte 2048/);
  });

  it('closes its source when the reader stops early', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield* chunked(archive(), 512);
      } finally {
        closed = true;
      }
    }
    const iterator = tarEntries(source(), 'logs.tar')[Symbol.asyncIterator]();
    await iterator.next();
    await closeEarly(iterator);
    expect(closed).toBe(true);
  });
});

describe('isTarHeader', () => {
  it('knows a header by its magic and checksum, and text with "ustar" at byte 257 is none', () => {
    expect(isTarHeader(header('mail.log', 10, '0'))).toBe(true);
    expect(isTarHeader(header('mail.log', 10, '0', { gnu: true }))).toBe(true);
    const text = Buffer.from('x'.repeat(257) + 'ustar'.padEnd(255, 'y'));
    expect(isTarHeader(text)).toBe(false);
    expect(isTarHeader(header('mail.log', 10, '0').subarray(0, 300))).toBe(false);
  });
});

describe('decompressed and tar archives', () => {
  it.each([
    ['plain', archive()],
    ['gzip', gzipSync(archive())],
  ])('refuses a %s tar archive read whole, saying to extract it', async (_name, bytes) => {
    const error = await (async () => {
      for await (const _ of decompressed(chunked(bytes, 100), 'maillogs.tar.gz'));
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PackedInputError);
    expect((error as PackedInputError).code).toBe('BAD_ENCODING');
    expect((error as PackedInputError).message).toBe(
      'maillogs.tar.gz is a tar archive, not a text file: extract it (tar xf maillogs.tar.gz) and analyse the folder that gives.',
    );
  });

  it('gives the bytes of a gzip tar archive to its reader (gunzipped)', async () => {
    const names: string[] = [];
    for await (const entry of tarEntries(gunzipped(chunked(gzipSync(archive()), 50), 'x.tgz'), 'x.tgz'))
      if (entry.kind === 'file') names.push(entry.member.name);
    expect(names[0]).toBe('var/log/mail.log');
  });
});

describe('tarListing of a gzip tar', () => {
  /** The text of an opened member, or of its first `limit` bytes (closed early then). */
  async function read(
    open: () => AsyncIterable<Uint8Array>,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<string> {
    const parts: Uint8Array[] = [];
    let got = 0;
    const iterator = open()[Symbol.asyncIterator]();
    try {
      for (let next = await iterator.next(); !next.done && got < limit; next = await iterator.next()) {
        parts.push(next.value);
        got += next.value.length;
      }
    } finally {
      await closeEarly(iterator);
    }
    return Buffer.concat(parts).toString();
  }

  it('reads each member whole, in order, again, after a partial read and beside another', async () => {
    // Prepare: members big enough to come in several chunks.
    const texts = ['a', 'b', 'c'].map((letter) => `${letter.repeat(70)}\n`.repeat(20_000));
    const bytes = gzipSync(
      Buffer.concat([
        ...texts.flatMap((text, i) => [header(`var/log/mail.log.${i}`, text.length, '0'), data(text)]),
        Buffer.alloc(2 * TAR_BLOCK),
      ]),
    );
    const dir = await mkdtemp(join(tmpdir(), 'relay-audit-tar-'));
    const path = join(dir, 'logs.tar.gz');
    await writeFile(path, bytes);
    try {
      const listing = await tarListing(path, 'logs.tar.gz');
      const files = listing?.files ?? [];
      const [first, second, third] = files.map((file) => file.open);
      if (!first || !second || !third) throw new Error('three members expected');

      // Act / Assess: heads in order (as the listing looks), then whole in order (as the analysis reads).
      expect((await read(first, 1)).slice(0, 3)).toBe('aaa');
      expect((await read(second, 1)).slice(0, 3)).toBe('bbb');
      expect(await read(first)).toBe(texts[0]);
      expect(await read(third)).toBe(texts[2]);
      // Back to an earlier member, and two at once (the second gets a pass of its own).
      expect(await read(second)).toBe(texts[1]);
      const together = first()[Symbol.asyncIterator]();
      const head = await together.next();
      expect(await read(third)).toBe(texts[2]);
      const rest: Uint8Array[] = head.done ? [] : [head.value];
      for (let next = await together.next(); !next.done; next = await together.next()) rest.push(next.value);
      expect(Buffer.concat(rest).toString()).toBe(texts[0]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
