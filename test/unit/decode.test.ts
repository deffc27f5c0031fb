import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../functions/core/kernel/errors.js';
import { decodeBytes, sniffEncoding } from '../../functions/core/text/decode.js';
import { chunked, collectText, utf16 } from '../support/streams.js';

const TEXT = '#Fields: date-time,event-id\r\n2026-11-28T22:15:03.000Z,FAIL\r\nÜmlaut « test »\r\n';

describe('decodeBytes', () => {
  it.each([
    ['UTF-8 without BOM', Buffer.from(TEXT, 'utf8'), 'utf-8', false],
    [
      'UTF-8 with BOM',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT, 'utf8')]),
      'utf-8',
      true,
    ],
    ['UTF-16LE with BOM', utf16(TEXT, 'le', true), 'utf-16le', true],
    ['UTF-16LE without BOM', utf16(TEXT, 'le', false), 'utf-16le', false],
    ['UTF-16BE with BOM', utf16(TEXT, 'be', true), 'utf-16be', true],
    ['UTF-16BE without BOM', utf16(TEXT, 'be', false), 'utf-16be', false],
  ] as const)('decodes %s, whatever the chunk size', async (_name, bytes, encoding, bom) => {
    for (const size of [1, 3, 7, 4096]) {
      // Act
      const decoded = await decodeBytes(chunked(bytes, size), 'x.csv');
      // Assess
      expect(decoded.encoding).toBe(encoding);
      expect(decoded.bom).toBe(bom);
      expect(await collectText(decoded.chunks)).toBe(TEXT);
    }
  });

  it('reports invalid UTF-8 with the file and the line instead of inventing characters', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\nc,d\ne,'), Buffer.from([0xe9]), Buffer.from(',f\n')]);
    const decoded = await decodeBytes(chunked(bytes, 4), 'trace.csv');
    const error = await collectText(decoded.chunks).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe('BAD_ENCODING');
    expect((error as DecodeError).message).toMatch(/trace\.csv is not valid UTF-8/);
    expect((error as DecodeError).location?.line).toBe(3);
  });

  it('decodes mixed ASCII and non-ASCII lines exactly, wherever the chunks cut characters', async () => {
    // ASCII runs take a Latin-1 fast path and the rest the strict decoder: the seams must not show.
    const lines = [
      'plain,ascii,row',
      'Überweisung « test » 2026',
      'another,plain,row',
      'euro € and emoji 😀',
      'tail,ascii',
      '😀',
      'ünïcödé at the end é',
    ];
    const text = `${lines.join('\r\n')}\n${lines.join('\n')}`;
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 5, 9, 64, 4096]) {
      const decoded = await decodeBytes(chunked(bytes, size), 'mixed.csv');
      expect(await collectText(decoded.chunks)).toBe(text);
    }
  });

  it('reports a character cut short before an ASCII line, with its line, at any chunk size', async () => {
    // 0xC3 starts a two-byte character; a newline cannot continue it.
    const bytes = Buffer.concat([
      Buffer.from('a,b\nÜ,ok\nc,'),
      Buffer.from([0xc3]),
      Buffer.from('\nplain,ascii\n'),
    ]);
    for (const size of [1, 2, 3, 7, 13, 4096]) {
      const decoded = await decodeBytes(chunked(bytes, size), 'cut.csv');
      const error = await collectText(decoded.chunks).catch((caught: unknown) => caught);
      expect(error, `chunk size ${size}`).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).location?.line, `chunk size ${size}`).toBe(3);
    }
  });

  it('reads a file cut inside its last character as cut before it, in UTF-8 and UTF-16 alike', async () => {
    // A cut file (an interrupted copy) is not a wrong encoding: the rows before the cut are read.
    const text = 'a,b\nc,d€';
    const cut = [
      Buffer.from(text, 'utf8').subarray(0, -1),
      Buffer.from(utf16(text, 'le', true)).subarray(0, -1),
      Buffer.from(utf16(text, 'be', false)).subarray(0, -1),
      Buffer.from(utf16('a,b\nc,d😀', 'le', true)).subarray(0, -2),
    ];
    for (const bytes of cut) {
      for (const size of [1, 3, bytes.length]) {
        const decoded = await decodeBytes(chunked(bytes, size), 'end.csv');
        expect(await collectText(decoded.chunks)).toBe('a,b\nc,d');
      }
    }
  });

  it('still fails a bad sequence just before the end', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\nc,d'), Buffer.from([0xe2, 0x28, 0x41])]);
    const decoded = await decodeBytes(chunked(bytes, 3), 'end.csv');
    const error = await collectText(decoded.chunks).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).location?.line).toBe(2);
  });

  it('does not mistake a UTF-8 file with a few NUL bytes for UTF-16', () => {
    const bytes = Buffer.from('a,b\u0000,c\nd,e,f\n'.repeat(10), 'utf8');
    expect(sniffEncoding(bytes).encoding).toBe('utf-8');
  });

  it('decodes an empty input to nothing', async () => {
    const decoded = await decodeBytes(chunked(new Uint8Array(0), 1), 'empty.csv');
    expect(await collectText(decoded.chunks)).toBe('');
  });
});
