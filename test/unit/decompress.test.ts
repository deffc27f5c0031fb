import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../functions/core/kernel/errors.js';
import { decompressed } from '../../functions/core/text/decompress.js';
import { chunked, utf16 } from '../support/streams.js';

const TEXT =
  '#Software: Microsoft Exchange Server\r\n#Fields: date-time,event-id\r\n2026-11-28T22:15:03.000Z,FAIL\r\n';

async function collectBytes(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

/** A source that records whether it was closed (its `finally` ran) and how far it was read. */
function trackedSource(
  bytes: Uint8Array,
  size: number,
): { source: AsyncIterable<Uint8Array>; state: { closed: boolean; served: number } } {
  const state = { closed: false, served: 0 };
  async function* source(): AsyncGenerator<Uint8Array> {
    try {
      for (let offset = 0; offset < bytes.length; offset += size) {
        state.served++;
        yield bytes.subarray(offset, offset + size);
      }
    } finally {
      state.closed = true;
    }
  }
  return { source: source(), state };
}

describe('decompressed', () => {
  it.each([
    ['plain UTF-8', Buffer.from(TEXT)],
    ['UTF-16LE without BOM', utf16(TEXT, 'le', false)],
    ['one byte', Buffer.from('x')],
    ['nothing', Buffer.alloc(0)],
  ])('passes %s through byte for byte, whatever the chunk size', async (_name, bytes) => {
    for (const size of [1, 3, 4096]) {
      expect(await collectBytes(decompressed(chunked(bytes, size), 'x.LOG'))).toEqual(Buffer.from(bytes));
    }
  });

  it('decompresses gzip, recognised by its bytes, whatever the chunk size', async () => {
    for (const original of [Buffer.from(TEXT), Buffer.from(TEXT.repeat(2000))]) {
      const packed = gzipSync(original);
      for (const size of original.length > 1000 ? [1024, packed.length] : [1, 2, 5]) {
        const text = (await collectBytes(decompressed(chunked(packed, size), 'MSGTRK.LOG.gz'))).toString();
        expect(text).toBe(original.toString()); // as strings: a deep equal of 200 KB Buffers takes a second
      }
    }
  });

  it('decompresses every member of a concatenated gzip file (cat a.gz b.gz)', async () => {
    const packed = Buffer.concat([gzipSync('first,1\n'), gzipSync('second,2\n')]);
    const text = (await collectBytes(decompressed(chunked(packed, 7), 'both.gz'))).toString();
    expect(text).toBe('first,1\nsecond,2\n');
  });

  it('reports damaged or cut-short gzip data as BAD_ENCODING, naming the file', async () => {
    const packed = gzipSync(Buffer.from(TEXT.repeat(200)));
    for (const bytes of [
      packed.subarray(0, packed.length - 20),
      Buffer.concat([packed.subarray(0, 12), Buffer.alloc(40, 0xff)]),
    ]) {
      const error = await collectBytes(decompressed(chunked(bytes, 64), 'cut.LOG.gz')).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).code).toBe('BAD_ENCODING');
      expect((error as DecodeError).message).toMatch(
        /^cut\.LOG\.gz is gzip-compressed, but its compressed data is damaged or cut short/,
      );
      expect((error as DecodeError).location?.file).toBe('cut.LOG.gz');
      expect((error as DecodeError).cause).toBeInstanceOf(Error);
    }
  });

  it('refuses a ZIP archive with what to do, and closes it', async () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100)]);
    const { source, state } = trackedSource(zip, 2);
    const error = await collectBytes(decompressed(source, 'logs.zip')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).message).toMatch(
      /^logs\.zip is a ZIP archive \(or an Excel workbook\), not a text file: extract/,
    );
    expect(state.closed).toBe(true);
    expect(state.served).toBe(2);
  });

  it('keeps its own error when closing the source fails too', async () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(10)]);
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: zip }),
        return: async () => {
          throw new Error('close failed');
        },
      }),
    };
    await expect(collectBytes(decompressed(source, 'logs.zip'))).rejects.toBeInstanceOf(DecodeError);
  });

  it('passes an error of the source itself through unchanged', async () => {
    const broken = new Error('socket hang up');
    async function* source(): AsyncGenerator<Uint8Array> {
      yield gzipSync(TEXT).subarray(0, 10);
      throw broken;
    }
    await expect(collectBytes(decompressed(source(), 'x.gz'))).rejects.toBe(broken);
  });

  // Random bytes do not compress, so the gzip file is as long as the text and is read in many chunks.
  const noise = Buffer.from(randomBytes(512 * 1024).toString('base64'));
  it.each([
    ['plain', noise],
    ['gzip', gzipSync(noise)],
  ])('closes a %s source when the reader stops early', async (_name, bytes) => {
    const size = 16 * 1024;
    const { source, state } = trackedSource(bytes, size);
    const iterator = decompressed(source, 'x.LOG')[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await iterator.return(undefined);
    expect(state.closed).toBe(true);
    expect(state.served).toBeLessThan(Math.ceil(bytes.length / size) / 2);
  });
});
