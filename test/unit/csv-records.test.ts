import { describe, expect, it } from 'vitest';
import {
  CsvRecordSplitter,
  type CsvSplitterOptions,
  type Delimiter,
  splitRecord,
} from '../../functions/core/text/csv-records.js';

interface Collected {
  records: { fields: string[]; line: number }[];
  malformed: { line: number; reason: string }[];
  /** `continuationCharsScanned` at the end. */
  scanned: number;
}

function split(
  text: string,
  delimiter: Delimiter = ',',
  chunkSize = text.length || 1,
  bounds: Omit<CsvSplitterOptions, 'delimiter'> = {},
  messages: string[] = [],
): Collected {
  const out: Collected = { records: [], malformed: [], scanned: 0 };
  const splitter = new CsvRecordSplitter(
    { delimiter, ...bounds },
    {
      onRecord: (fields, line) => out.records.push({ fields, line }),
      onMalformed: (line, reason, message) => {
        out.malformed.push({ line, reason });
        messages.push(message);
      },
    },
  );
  for (let i = 0; i < text.length; i += chunkSize) splitter.push(text.slice(i, i + chunkSize));
  splitter.end();
  out.scanned = splitter.continuationCharsScanned;
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
    const result = split('a,b\nc,"unterminated');
    expect(result.records.map((r) => r.fields)).toEqual([['a', 'b']]);
    expect(result.malformed).toEqual([{ line: 2, reason: 'TRUNCATED_RECORD' }]);
  });

  it('reads the lines after a quote still open at the end of the file as rows, not as part of the cut record', () => {
    const result = split('a,b\nc,"unterminated\nd,e\nf,g');
    expect(result.records).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['d', 'e'], line: 3 },
      { fields: ['f', 'g'], line: 4 },
    ]);
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

  it('bounds a runaway quoted field by its size and goes on', () => {
    const result = split(`a,"${'x'.repeat(50)}\n${'y'.repeat(70)}\nz,1\n`, ',', 7, { maxQuotedChars: 64 });
    expect(result.malformed).toEqual([{ line: 1, reason: 'UNTERMINATED_QUOTE' }]);
    expect(result.records).toEqual([
      { fields: ['y'.repeat(70)], line: 2 },
      { fields: ['z', '1'], line: 3 },
    ]);
  });

  /** A log with a stray quote on line 2 and `rows` valid rows after it. */
  const strayQuote = (rows: number): string =>
    [
      'date,sender,status',
      '2026-11-28,a@x.example,"550 5.7.64 never closed',
      ...Array.from({ length: rows }, (_, index) => `2026-11-28,s${index}@x.example,250 OK`),
    ].join('\r\n');

  it('declares a record broken at a stray quote after maxQuotedLines and reads the lines behind it as rows', () => {
    const messages: string[] = [];
    for (const chunk of [1, 13, 4096]) {
      const result = split(strayQuote(47), ',', chunk, { maxQuotedLines: 10 }, messages);
      // The 47 valid rows behind the quote are all read; only the line with the stray quote is lost.
      expect(result.records).toHaveLength(48);
      expect(result.records.at(-1)).toEqual({ fields: ['2026-11-28', 's46@x.example', '250 OK'], line: 49 });
      expect(result.malformed).toEqual([{ line: 2, reason: 'UNTERMINATED_QUOTE' }]);
    }
    expect(messages[0]).toMatch(
      /^line 2 opens a quoted field \(field 3\) that is still open at line 13 \(11 lines later; a stray quote\?\)/,
    );
  });

  it('does as much work after a stray quote as the lines are long (no re-scan of the growing record)', () => {
    // 1 MB behind the quote: the old splitter re-split the whole pending record on each new line
    // (about 176 s); the work is now at most maxQuotedLines + 1 scans of each line.
    const text = strayQuote(30_000);
    const result = split(text, ',', 65_536);
    expect(result.records).toHaveLength(30_001);
    expect(result.scanned).toBeLessThanOrEqual(2 * text.length);
  });

  it('reports a line longer than maxRecordChars once, with its real line and length, and reads on', () => {
    const long = 'x'.repeat(10_000);
    for (const chunk of [7, 100, 4096, 20_000]) {
      const messages: string[] = [];
      const result = split(`a,b\nc,d\n${long}\r\ne,f\n`, ',', chunk, { maxRecordChars: 1_000 }, messages);
      expect(result.malformed).toEqual([{ line: 3, reason: 'RECORD_TOO_LARGE' }]);
      expect(messages).toEqual([
        'line 3 is 10000 characters long, more than the 1000 a row may have; it is skipped',
      ]);
      expect(result.records.map((record) => record.line)).toEqual([1, 2, 4]);
    }
  });

  it('declares a record broken at a stray quote that a later quote closes with more fields than the header', () => {
    const text = 'a,b,c\n1,"stray,3\n4,5,6\n7,8,"x"\n9,10,11';
    const splitter = (expected: number | undefined): Collected => {
      const out: Collected = { records: [], malformed: [], scanned: 0 };
      const csv = new CsvRecordSplitter(
        { delimiter: ',' },
        {
          onRecord: (fields, line) => out.records.push({ fields, line }),
          onMalformed: (line, reason) => out.malformed.push({ line, reason }),
        },
      );
      csv.expectFields(expected);
      csv.push(text);
      csv.end();
      return out;
    };
    // Without a header count: RFC 4180 reading, lines 2-4 are one record (what the old splitter did).
    expect(splitter(undefined).records.map((record) => record.line)).toEqual([1, 2, 5]);
    const withHeader = splitter(3);
    expect(withHeader.records.map((record) => record.line)).toEqual([1, 3, 4, 5]);
    expect(withHeader.malformed).toEqual([{ line: 2, reason: 'UNTERMINATED_QUOTE' }]);
  });

  it('gives the same records for stray quotes whatever the chunk boundaries', () => {
    const text = 'a,"b\nc,d\n"e,f\ng"h,"i""\n\n#x\nj,k\n"l\nm\n';
    const whole = split(text, ',', text.length, { maxQuotedLines: 2 });
    for (let size = 1; size <= text.length; size++)
      expect(split(text, ',', size, { maxQuotedLines: 2 })).toEqual(whole);
  });
});
