import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from '../../functions/core/kernel/csv-output.js';
import {
  detach,
  detachPacked,
  quoteText,
  StringPool,
  terminalSafe,
} from '../../functions/core/kernel/strings.js';
import { splitRecord } from '../../functions/core/text/csv-records.js';

/** How V8 holds a string: its serialiser tags one-byte strings `"` and two-byte ones `c`. */
function bytesPerCharacter(value: string): 1 | 2 {
  const tag = serialize(value)[2];
  if (tag === 0x22) return 1;
  if (tag === 0x63) return 2;
  throw new Error(`unexpected serialiser tag ${tag}`);
}

describe('detach', () => {
  it('returns an equal string, short or long', () => {
    const text = 'x'.repeat(50);
    expect(detach(text.slice(5, 40))).toBe(text.slice(5, 40));
    expect(detach('ab')).toBe('ab');
    expect(detach('')).toBe('');
  });
});

describe('detachPacked', () => {
  it('copies Latin-1 text cut from a two-byte chunk at one byte a character', () => {
    const chunk = `Subject: Привет\n${'<abc@contoso.com> '.repeat(10)}`;
    const cut = chunk.slice(16, 60);
    expect(bytesPerCharacter(detach(cut))).toBe(2);
    expect(detachPacked(cut)).toBe(cut);
    expect(bytesPerCharacter(detachPacked(cut))).toBe(1);
  });

  it('copies text longer than one piece whole', () => {
    const long = `Привет ${'x'.repeat(20_000)}`.slice(7);
    expect(detachPacked(long)).toBe(long);
    expect(bytesPerCharacter(detachPacked(long))).toBe(1);
  });

  it('keeps text beyond Latin-1 as it is', () => {
    expect(detachPacked('Grüße, Привет')).toBe('Grüße, Привет');
    expect(detachPacked('')).toBe('');
  });
});

describe('StringPool', () => {
  it('interns equal values, and keeps working after it starts over at its limit', () => {
    const pool = new StringPool(2);
    const values = ['EX01.contoso.com', 'EX02.contoso.com', 'EX03.contoso.com', 'EX01.contoso.com'];
    expect(values.map((value) => pool.intern(`${value} `.slice(0, -1)))).toEqual(values);
  });

  it('copies a record: repeating fields interned, others detached, dropped fields cleared', () => {
    // Prepare
    const pool = new StringPool();
    const record = { host: 'EX01.contoso.com', id: 'abc@contoso.com', status: '550 5.7.64 …', line: 7 };

    // Act
    const kept = pool.keep(record, new Set(['host']), new Set(['status']));

    // Assess
    expect(kept).toEqual({ host: 'EX01.contoso.com', id: 'abc@contoso.com', status: undefined, line: 7 });
    expect(kept).not.toBe(record);
    expect(record.status).toBe('550 5.7.64 …');
  });
});

describe('quoteText', () => {
  it('shows control characters as escapes, a run of one as its count, and cuts long text', () => {
    expect(quoteText('plain text', 80)).toBe('plain text');
    expect(quoteText(`${'\u0000'.repeat(512)}Nov 28 22:10:03 relay01`, 80)).toBe(
      '[512 × \\0]Nov 28 22:10:03 relay01',
    );
    expect(quoteText('a\tb\u0001\u001b[0m\u007f\u0085', 80)).toBe('a\\tb\\x01\\x1b[0m\\x7f\\x85');
    expect(quoteText('x'.repeat(100), 80)).toBe(`${'x'.repeat(80)}…`);
  });
});

describe('terminalSafe and quoteText: what a log value may not do on a terminal', () => {
  it('escapes escape sequences, bidi overrides and zero-width characters, and leaves other text', () => {
    expect(terminalSafe('ap\u001b[31mred@litware.com')).toBe('ap\\x1b[31mred@litware.com');
    expect(terminalSafe('pay\u202emoc.evil@fabrikam.com')).toBe('pay\\u202emoc.evil@fabrikam.com');
    expect(terminalSafe('bo\u200bss@litware.com \u2066x\u2069 \ufeff')).toBe(
      'bo\\u200bss@litware.com \\u2066x\\u2069 \\ufeff',
    );
    const plain = 'Grüße 😀 — straße, 中文, עברית';
    expect(terminalSafe(plain)).toBe(plain);
  });

  it('quotes a bidi override as an escape too', () => {
    expect(quoteText('stat\u202eus=bounced', 40)).toBe('stat\\u202eus=bounced');
  });

  it('escapes every bidi control and default-ignorable character, by code point', () => {
    // The Arabic letter mark (a strong right-to-left bidi control), the soft hyphen, the Hangul
    // filler, a variation selector, the combining grapheme joiner and a Mongolian vowel separator:
    // all drawn as nothing, so `ceo@adatum\u061c.com` reads as `ceo@adatum.com`.
    expect(terminalSafe('ceo@adatum\u061c.com')).toBe('ceo@adatum\\u061c.com');
    expect(terminalSafe('bo\u00adss\u3164@fabrikam.com')).toBe('bo\\u00adss\\u3164@fabrikam.com');
    expect(terminalSafe('a\ufe0fb\u034fc\u180ed\u115fe')).toBe('a\\ufe0fb\\u034fc\\u180ed\\u115fe');
    // Tag characters spell hidden ASCII beyond the BMP ("ASCII smuggling"): one escape each, whole.
    expect(terminalSafe('pay\u{e0069}\u{e0067}roll@fabrikam.com')).toBe(
      'pay\\u{e0069}\\u{e0067}roll@fabrikam.com',
    );
    expect(terminalSafe('\u{e0001}\u{e007f}')).toBe('\\u{e0001}\\u{e007f}');
    // A lone surrogate (half an emoji, from a cut) is shown, a whole emoji is left alone.
    expect(terminalSafe('Invoice \ud83d')).toBe('Invoice \\ud83d');
    expect(terminalSafe('\ude00 x 😀')).toBe('\\ude00 x 😀');
    // C1 controls keep their short escape; the line and paragraph separators stay escaped.
    expect(terminalSafe('\u0085\u009b2J\u2028\u2029')).toBe('\\x85\\x9b2J\\u2028\\u2029');
  });

  it('quotes them the same way, a run of one tag character counted, and never cuts a character in two', () => {
    expect(quoteText('pay\u061c-1.2.3@fabrikam.com', 80)).toBe('pay\\u061c-1.2.3@fabrikam.com');
    expect(quoteText('bo\u00adss\u3164', 80)).toBe('bo\\u00adss\\u3164');
    expect(quoteText(`x${'\u{e0041}'.repeat(6)}y`, 80)).toBe('x[6 × \\u{e0041}]y');
    expect(quoteText('😀😀😀', 3)).toBe('😀😀…');
    expect(quoteText('ab\ud83d', 80)).toBe('ab\\ud83d');
  });
});

describe('csvCell', () => {
  it('quotes a cell holding the ; list separator, and neutralises the formula a ; split would start', () => {
    expect(csvCell("Rechnung;=cmd|'/C calc'!A0;")).toBe("\"Rechnung;'=cmd|'/C calc'!A0;\"");
  });

  /**
   * How a spreadsheet splits a line on `separator`: a quote is honoured only at the start of a cell
   * (so a `,` file's quotes mean nothing in a `;` split), and a line end ends the row.
   */
  function spreadsheetCells(text: string, separator: string): string[] {
    const cells: string[] = [];
    for (const row of text.split(/\r\n|\r|\n/)) {
      let index = 0;
      while (index <= row.length) {
        if (row[index] === '"') {
          let cell = '';
          index++;
          for (; index < row.length; index++) {
            if (row[index] !== '"') cell += row[index];
            else if (row[index + 1] === '"') cell += row[index++];
            else break;
          }
          const end = row.indexOf(separator, index);
          cells.push(cell + row.slice(index + 1, end === -1 ? row.length : end));
          index = end === -1 ? row.length + 1 : end + 1;
        } else {
          const end = row.indexOf(separator, index);
          cells.push(row.slice(index, end === -1 ? row.length : end));
          index = end === -1 ? row.length + 1 : end + 1;
        }
      }
    }
    return cells;
  }
  const isFormula = (cell: string) => /^ *[=+\-@]/.test(cell);

  it.each([
    ["Unzustellbar: Rechnung;=cmd|' /C calc'!A0;"],
    ['Re: invoice, =HYPERLINK("http://evil.example","open")'],
    ['a;+1+2;@SUM(40+2); -2+3'],
    ['line1\n=cmd|calc!A0'],
    ['line1\r\n@SUM(1)'],
    ['tab\t=1+1'],
    ['"quoted";=1+1'],
  ])('no formula cell in a ",", ";" or tab split of the line, nor after a line end: %j', (value) => {
    const line = csvLine(['id', value, 'tail']);
    for (const separator of [',', ';', '\t']) {
      const formulas = spreadsheetCells(line, separator).filter(isFormula);
      expect(formulas, `split on ${JSON.stringify(separator)}`).toEqual([]);
    }
    // Read as RFC 4180, the row is whole and the cell's text still there, a ' before each formula start.
    const cells = splitRecord(line.slice(0, -2), ',');
    expect(cells).toHaveLength(3);
    expect(cells?.[1]?.replaceAll("'", '')).toBe(value.replaceAll("'", ''));
  });

  it('leaves a cell without a separator or line end alone', () => {
    expect(csvCell('alerts@contoso.com')).toBe('alerts@contoso.com');
    expect(csvCell('550 5.7.64 TenantAttribution; Relay Access Denied ATTR36')).toBe(
      '"550 5.7.64 TenantAttribution; Relay Access Denied ATTR36"',
    );
  });

  it('prefixes a formula start, NUL included', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('\u0000=1+1@fabrikam.com')).toBe("'\u0000=1+1@fabrikam.com");
    expect(csvCell('plain text')).toBe('plain text');
  });
});
