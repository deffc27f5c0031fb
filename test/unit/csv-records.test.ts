import { describe, expect, it } from 'vitest';
import { CsvRecordSplitter, type Delimiter, splitRecord } from '../../functions/core/text/csv-records.js';

interface Collected {
  records: { fields: string[]; line: number }[];
  malformed: { line: number; reason: string }[];
}

function split(
  text: string,
  delimiter: Delimiter = ',',
  chunkSize = text.length || 1,
  maxRecordChars?: number,
): Collected {
  const out: Collected = { records: [], malformed: [] };
  const splitter = new CsvRecordSplitter(
    { delimiter, ...(maxRecordChars ? { maxRecordChars } : {}) },
    {
      onRecord: (fields, line) => out.records.push({ fields, line }),
      onMalformed: (line, reason) => out.malformed.push({ line, reason }),
    },
  );
  for (let i = 0; i < text.length; i += chunkSize) splitter.push(text.slice(i, i + chunkSize));
  splitter.end();
  return out;
}

describe('splitRecord', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['a,,c,', ['a', '', 'c', '']],
    ['"a,1","b ""q""",c', ['a,1', 'b "q"', 'c']],
    ['"",x', ['', 'x']],
    ['abc"def,g', ['abc"def', 'g']],
    ['"quoted"tail,x', ['quotedtail', 'x']],
    ['"a","b",', ['a', 'b', '']],
  ])('splits %s', (record, expected) => {
    expect(splitRecord(record, ',')).toEqual(expected);
  });

  it('says a record continues when it ends inside quotes', () => {
    expect(splitRecord('a,"open', ',')).toBeUndefined();
  });

  it('uses the given delimiter', () => {
    expect(splitRecord('"a;b";c', ';')).toEqual(['a;b', 'c']);
    expect(splitRecord('a\tb', '\t')).toEqual(['a', 'b']);
  });
});

/** A character-by-character reading of the same relaxed rules, to check splitRecord against. */
function referenceSplit(record: string, delimiter: Delimiter): string[] | undefined {
  const fields: string[] = [];
  let index = 0;
  for (;;) {
    let value = '';
    if (record[index] === '"') {
      index++;
      for (;;) {
        if (index >= record.length) return undefined;
        if (record[index] === '"') {
          if (record[index + 1] === '"') {
            value += '"';
            index += 2;
            continue;
          }
          index++;
          break;
        }
        value += record[index++];
      }
    }
    while (index < record.length && record[index] !== delimiter) value += record[index++];
    fields.push(value);
    if (index >= record.length) return fields;
    index++;
  }
}

describe('splitRecord against a character-by-character reference', () => {
  it.each([',', ';', '\t'] as Delimiter[])(
    'agrees on 20,000 random records with delimiter %j',
    (delimiter) => {
      // Deterministic pseudo-random records over an alphabet rich in quotes and delimiters.
      const alphabet = ['a', 'b', 'é', ' ', '"', '"', ',', ';', '\t', '\n'];
      let seed = 42;
      const random = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      for (let case_ = 0; case_ < 20_000; case_++) {
        let record = '';
        const length = random(24);
        for (let i = 0; i < length; i++) record += alphabet[random(alphabet.length)];
        expect(splitRecord(record, delimiter), JSON.stringify(record)).toEqual(
          referenceSplit(record, delimiter),
        );
      }
    },
  );
});

describe('CsvRecordSplitter', () => {
  const text = 'a,b\r\n"multi\r\nline",x\r\n#comment\r\n\r\nc,"d ""e"""\r\n';

  it('reads records with CRLF, quoted newlines, comments and blank lines, with physical line numbers', () => {
    const result = split(text);
    expect(result.records).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['multi\nline', 'x'], line: 2 },
      { fields: ['c', 'd "e"'], line: 6 },
    ]);
    expect(result.malformed).toEqual([]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const whole = split(text);
    for (let size = 1; size <= text.length; size++) expect(split(text, ',', size)).toEqual(whole);
  });

  it('reads a last line without a newline', () => {
    expect(split('a,b\nc,d').records.map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('reports a file truncated inside a quoted field, keeping the rows before it', () => {
    const result = split('a,b\nc,"unterminated\nmore');
    expect(result.records.map((r) => r.fields)).toEqual([['a', 'b']]);
    expect(result.malformed).toEqual([{ line: 2, reason: 'TRUNCATED_RECORD' }]);
  });

  it('drops a BOM at a line start (files joined with type or cat) and hands # lines to onComment', () => {
    const joined =
      'a,b\r\n\uFEFF#Software: Microsoft Exchange Server\r\n#Fields: x,y,z\r\n1,2,3\r\n\uFEFF\r\n\uFEFF\uFEFFc,"d\uFEFF"\r\n';
    for (const size of [1, 5, joined.length]) {
      const out: { records: [string[], number][]; comments: [string, number][] } = {
        records: [],
        comments: [],
      };
      const splitter = new CsvRecordSplitter(
        { delimiter: ',' },
        {
          onRecord: (fields, line) => out.records.push([fields, line]),
          onMalformed: () => {},
          onComment: (text, line) => out.comments.push([text, line]),
        },
      );
      for (let i = 0; i < joined.length; i += size) splitter.push(joined.slice(i, i + size));
      splitter.end();
      expect(out.records).toEqual([
        [['a', 'b'], 1],
        [['1', '2', '3'], 4],
        [['c', 'd\uFEFF'], 6],
      ]);
      expect(out.comments).toEqual([
        ['#Software: Microsoft Exchange Server', 2],
        ['#Fields: x,y,z', 3],
      ]);
    }
  });

  it('bounds a runaway quoted field and goes on', () => {
    const result = split(`a,"${'x'.repeat(50)}\n${'y'.repeat(50)}\n`, ',', 7, 64);
    expect(result.malformed[0]).toEqual({ line: 1, reason: 'RECORD_TOO_LARGE' });
  });
});
