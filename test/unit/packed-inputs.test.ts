import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../functions/core/kernel/errors.js';
import { decompressed, PackedInputError } from '../../functions/core/text/decompress.js';
import { chunked } from '../support/streams.js';

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

/** Compressed data as logrotate's `compresscmd` and archivers write it: its signature, then anything. */
const packed = (signature: number[]): Buffer =>
  Buffer.concat([Buffer.from(signature), Buffer.alloc(200, 0x41)]);

describe('decompressed and codecs relay-audit does not read', () => {
  it.each([
    [
      'mail.log.2.xz',
      [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
      'xz-compressed',
      'decompress it (xz -dk mail.log.2.xz)',
    ],
    [
      'mail.log.2.bz2',
      [0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59],
      'bzip2-compressed',
      'decompress it (bzip2 -dk mail.log.2.bz2)',
    ],
    ['mail.log.2.zst', [0x28, 0xb5, 0x2f, 0xfd], 'zstd-compressed', 'decompress it (zstd -d mail.log.2.zst)'],
    ['mail.log.2.lz4', [0x04, 0x22, 0x4d, 0x18], 'lz4-compressed', 'decompress it (lz4 -d mail.log.2.lz4)'],
    [
      'mail.log.2.Z',
      [0x1f, 0x9d, 0x90],
      'compressed with compress (.Z)',
      'decompress it (gzip -dk mail.log.2.Z)',
    ],
    [
      'logs.7z',
      [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c],
      'a 7-Zip archive',
      'extract the logs from it (7z x logs.7z)',
    ],
    [
      'my logs.rar',
      [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00],
      'a RAR archive',
      "extract the logs from it (unrar x 'my logs.rar')",
    ],
  ])(
    'refuses %s, recognised by its bytes, with the command that makes it readable',
    async (file, signature, what, todo) => {
      for (const size of [1, 3, 4096]) {
        const error = await collect(decompressed(chunked(packed(signature), size), file)).catch(
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(PackedInputError);
        expect(error).toBeInstanceOf(DecodeError);
        expect((error as PackedInputError).code).toBe('BAD_ENCODING');
        expect((error as PackedInputError).message).toBe(
          `${file} is ${what}, not a text file: ${todo} and analyse ${what.startsWith('a ') ? 'them' : 'the file that gives'}. ` +
            'relay-audit reads text files and gzip-compressed ones.',
        );
        expect((error as PackedInputError).reason).toMatch(
          new RegExp(`^${what.replace(/[().]/g, '\\$&')}: `),
        );
      }
    },
  );

  it('tells an uploader to unpack their own copy, by its name, and upload what that gives', async () => {
    // An upload's name is its S3 key: no path on the uploader's computer, and nothing they analyse.
    const key = 'incoming/EX01 logs/mail log.2.xz';
    const xz = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
    const refusal = (origin?: 'local' | 'upload') =>
      collect(decompressed(chunked(packed(xz), 7), key, origin)).catch((caught: unknown) => caught);
    expect(((await refusal('upload')) as PackedInputError).message).toBe(
      `${key} is xz-compressed, not a text file: decompress it on your computer (xz -dk 'mail log.2.xz') ` +
        'and upload the file that gives. relay-audit reads text files and gzip-compressed ones.',
    );
    // A local file keeps its local advice, by its path (the default).
    expect(((await refusal()) as PackedInputError).message).toBe(
      `${key} is xz-compressed, not a text file: decompress it (xz -dk '${key}') ` +
        'and analyse the file that gives. relay-audit reads text files and gzip-compressed ones.',
    );
    const cut = gzipSync(Buffer.from('a line\n'.repeat(100))).subarray(0, 30);
    const damaged = await collect(decompressed(chunked(cut, 7), key, 'upload')).catch(
      (caught: unknown) => caught,
    );
    expect((damaged as DecodeError).message).toMatch(
      /Copy or download the file again, and upload that copy\.$/,
    );
  });

  it.each([
    ['text that starts like a bzip2 header', 'BZh9 is not bzip2 without its block magic\n'],
    ['a line shorter than a signature', 'BZ'],
  ])('passes %s through', async (_name, text) => {
    expect((await collect(decompressed(chunked(Buffer.from(text), 2), 'x.log'))).toString()).toBe(text);
  });
});
