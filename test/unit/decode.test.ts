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

  it('reads a line that is not UTF-8 as Latin-1, and tells its line with the error a strict reader gives', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\nc,d\ne,'), Buffer.from([0xe9]), Buffer.from(',f\n')]);
    for (const size of [1, 4, 4096]) {
      const decoded = await decodeBytes(chunked(bytes, size), 'trace.csv');
      expect(await collectText(decoded.chunks), `chunk size ${size}`).toBe('a,b\nc,d\ne,é,f\n');
      const error = decoded.notUtf8?.error;
      expect(decoded.notUtf8).toMatchObject({ lines: 1, firstLine: 3 });
      expect(error).toBeInstanceOf(DecodeError);
      expect(error?.code).toBe('BAD_ENCODING');
      expect(error?.message).toMatch(/trace\.csv is not valid UTF-8/);
      expect(error?.location?.line).toBe(3);
    }
  });

  it('reads the valid UTF-8 lines around one that is not as UTF-8, counting each line that is not', async () => {
    // A syslog file: one program's Latin-1 line between UTF-8 lines, wherever chunks cut them.
    const bytes = Buffer.concat([
      Buffer.from('Grüße 1\n'),
      Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65, 0x0a]), // "Grüße" in Latin-1
      Buffer.from('€ 3\nplain 4\n'),
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), // "café" in Latin-1
      Buffer.from('😀 6\n'),
    ]);
    for (const size of [1, 2, 3, 5, 7, 4096]) {
      const decoded = await decodeBytes(chunked(bytes, size), 'syslog');
      expect(await collectText(decoded.chunks), `chunk size ${size}`).toBe(
        'Grüße 1\nGrüße\n€ 3\nplain 4\ncafé\n😀 6\n',
      );
      expect(decoded.notUtf8, `chunk size ${size}`).toMatchObject({ lines: 2, firstLine: 2 });
    }
  });

  it('tells nothing of a text that is all UTF-8', async () => {
    const decoded = await decodeBytes(chunked(Buffer.from(TEXT, 'utf8'), 3), 'x.csv');
    await collectText(decoded.chunks);
    expect(decoded.notUtf8).toBeUndefined();
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

  it('tells a character cut short before an ASCII line, with its line, at any chunk size', async () => {
    // 0xC3 starts a two-byte character; a newline cannot continue it.
    const bytes = Buffer.concat([
      Buffer.from('a,b\nÜ,ok\nc,'),
      Buffer.from([0xc3]),
      Buffer.from('\nplain,ascii\n'),
    ]);
    for (const size of [1, 2, 3, 7, 13, 4096]) {
      const decoded = await decodeBytes(chunked(bytes, size), 'cut.csv');
      expect(await collectText(decoded.chunks), `chunk size ${size}`).toBe('a,b\nÜ,ok\nc,Ã\nplain,ascii\n');
      expect(decoded.notUtf8?.error.location?.line, `chunk size ${size}`).toBe(3);
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

  it('still tells a bad sequence just before the end', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\nc,d'), Buffer.from([0xe2, 0x28, 0x41])]);
    const decoded = await decodeBytes(chunked(bytes, 3), 'end.csv');
    expect(await collectText(decoded.chunks)).toBe('a,b\nc,dâ(A');
    expect(decoded.notUtf8?.error.location?.line).toBe(2);
  });

  it('does not mistake a UTF-8 file with a few NUL bytes for UTF-16', () => {
    const bytes = Buffer.from('a,b\u0000,c\nd,e,f\n'.repeat(10), 'utf8');
    expect(sniffEncoding(bytes).encoding).toBe('utf-8');
  });

  it('refuses UTF-32 (Export-Csv -Encoding UTF32) by name instead of reading it as UTF-16', async () => {
    const le = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0, 0]),
      Buffer.from('a\0\0\0,\0\0\0b\0\0\0', 'latin1'),
    ]);
    const be = Buffer.from([0, 0, 0xfe, 0xff, 0, 0, 0, 0x61]);
    for (const bytes of [le, be]) {
      const error = await decodeBytes(chunked(bytes, 2), 'trace.csv').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).message).toMatch(/^trace\.csv is UTF-32 .*Re-export the file as UTF-8/);
    }
  });

  it('decodes an empty input to nothing', async () => {
    const decoded = await decodeBytes(chunked(new Uint8Array(0), 1), 'empty.csv');
    expect(await collectText(decoded.chunks)).toBe('');
  });
});
