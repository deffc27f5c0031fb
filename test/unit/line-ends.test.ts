/**
 * CR-only line ends (Excel for Mac "CSV (Macintosh)", classic Mac tools) are told from a text's head
 * and handed on as LF; LF and CRLF texts, stray CRs and all, pass through as they are.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ParsedBatch, parseInput } from '../../functions/core/analysis/input/parse-input.js';
import { DecodeError } from '../../functions/core/kernel/errors.js';
import { readCertificates } from '../../functions/core/organisation/certificates.js';
import { buildOrganisationConfig } from '../../functions/core/organisation/configuration.js';
import { CsvRecordSplitter } from '../../functions/core/text/csv-records.js';
import { decodeBytes } from '../../functions/core/text/decode.js';
import { CrToLf, LINE_ENDS_HEAD_CHARS, lineEndsOf } from '../../functions/core/text/line-ends.js';
import { DomainSource } from '../../functions/ingest/domain-source.js';
import { chunked, collectText, utf16 } from '../support/streams.js';

const LINES = ['#Fields: date-time,event-id', '2026-11-28T22:15:03.000Z,FAIL', 'Ümlaut « test » 😀', 'last'];

describe('lineEndsOf', () => {
  it.each([
    ['LF', 'a,b\nc,d\n', true, 'lf'],
    ['CRLF', 'a,b\r\nc,d\r\n', true, 'lf'],
    ['CR alone', 'a,b\rc,d\re,f\r', true, 'cr'],
    ['CR alone, one line', 'a,b\r', true, 'cr'],
    ['no line end at all', 'a,b', true, 'lf'],
    ['LF with a stray CR in its first line', 'a,b\rx\nc,d\ne,f\n', true, 'lf'],
    ['CRLF with a stray CR in a later line', 'a,b\r\nc\rd\r\ne,f\r\n', true, 'lf'],
    ['CR with LFs inside its fields, fewer than its CRs', 'a,b\r"c\nd",e\rf,g\rh,i\r', true, 'cr'],
  ] as const)('tells %s', (_name, text, complete, ends) => {
    expect(lineEndsOf(text, complete)).toBe(ends);
  });

  it('waits while the head cannot tell: no line end yet, a CR last, a CR-first head too short to count', () => {
    expect(lineEndsOf('a,b', false)).toBeUndefined();
    expect(lineEndsOf('a,b\r', false)).toBeUndefined();
    expect(lineEndsOf('a,b\rc', false)).toBeUndefined();
    // A first line longer than the head is read as it is.
    expect(lineEndsOf('x'.repeat(LINE_ENDS_HEAD_CHARS), false)).toBe('lf');
  });
});

describe('CrToLf', () => {
  it('makes a CR an LF and keeps a CRLF one line end, cut by chunks or not', () => {
    const toLf = new CrToLf();
    expect(['a\r', '\nb\r', 'c\r', '', '\r', '\n'].map((chunk) => toLf.convert(chunk)).join('')).toBe(
      'a\nb\nc\n\n',
    );
  });
});

describe('decodeBytes with CR-only line ends', () => {
  const crText = `${LINES.join('\r')}\r`;
  const lfText = `${LINES.join('\n')}\n`;
  it.each([
    ['UTF-8', Buffer.from(crText, 'utf8')],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(crText, 'utf8')])],
    ['UTF-16LE with BOM', utf16(crText, 'le', true)],
    ['UTF-16LE without BOM', utf16(crText, 'le', false)],
    ['UTF-16BE with BOM', utf16(crText, 'be', true)],
  ] as const)('hands %s on with LF line ends, whatever the chunk size', async (_name, bytes) => {
    for (const size of [1, 2, 3, 7, 4096]) {
      const decoded = await decodeBytes(chunked(bytes, size), 'mac.csv');
      expect(await collectText(decoded.chunks)).toBe(lfText);
      expect(decoded.lineEnds).toBe('cr');
    }
  });

  it('passes LF and CRLF text through exactly, stray CRs inside lines included', async () => {
    const text = 'a,b\r\nc\rd,e\r\n"f\rg",h\r\n\r\ni,j\rk\n';
    for (const size of [1, 3, 4096]) {
      const decoded = await decodeBytes(chunked(Buffer.from(text, 'utf8'), size), 'stray.csv');
      expect(await collectText(decoded.chunks)).toBe(text);
      expect(decoded.lineEnds).toBe('lf');
    }
  });

  it('keeps a CRLF one line end in a CR-only text, wherever the chunks cut it', async () => {
    const text = `a\rb\r\nc\r${'d\r'.repeat(10)}`;
    for (const size of [1, 2, 3, 4, 4096]) {
      const decoded = await decodeBytes(chunked(Buffer.from(text, 'utf8'), size), 'mixed.csv');
      expect(await collectText(decoded.chunks)).toBe(text.replace(/\r\n?/g, '\n'));
    }
  });

  it('tells CR-only from a head longer than one chunk, and reads on past it', async () => {
    const rows = Array.from({ length: 20_000 }, (_, index) => `row ${index},value ${index}`);
    const bytes = Buffer.from(`${rows.join('\r')}\r`, 'utf8');
    const decoded = await decodeBytes(chunked(bytes, 1000), 'long.csv');
    expect(await collectText(decoded.chunks)).toBe(`${rows.join('\n')}\n`);
  });

  it('numbers the line of an invalid byte in a CR-only text by its CRs', async () => {
    const head = Array.from({ length: 30 }, (_, index) => `row ${index}`).join('\r');
    const bytes = Buffer.concat([Buffer.from(`${head}\re,`), Buffer.from([0xe9]), Buffer.from(',f\r')]);
    for (const size of [4, 4096]) {
      const decoded = await decodeBytes(chunked(bytes, size), 'mac.csv');
      await collectText(decoded.chunks);
      expect(decoded.notUtf8?.error).toBeInstanceOf(DecodeError);
      expect(decoded.notUtf8?.error.location?.line).toBe(31);
    }
  });
});

describe('decodeBytes and a stray CR before a bad byte', () => {
  it('still numbers the line by LF in an LF file', async () => {
    const bytes = Buffer.concat([Buffer.from('a\rb\nc\nd,'), Buffer.from([0xe9]), Buffer.from('\n')]);
    const decoded = await decodeBytes(chunked(bytes, 4096), 'stray.csv');
    await collectText(decoded.chunks);
    expect(decoded.notUtf8?.error.location?.line).toBe(3);
  });
});

describe('CsvRecordSplitter and a stray CR', () => {
  it('keeps a CR inside a line of a CRLF or LF file in its field, as before', () => {
    for (const end of ['\r\n', '\n']) {
      const records: string[][] = [];
      const splitter = new CsvRecordSplitter(
        { delimiter: ',' },
        { onRecord: (fields) => records.push(fields), onMalformed: () => {} },
      );
      splitter.push(`a,b\rc${end}d,e${end}`);
      splitter.end();
      expect(records).toEqual([
        ['a', 'b\rc'],
        ['d', 'e'],
      ]);
    }
  });
});

/** A Get-MessageTrackingLog export, Excel for Mac style: CR line ends, an LF inside a quoted subject. */
const EXPORT = [
  '"Timestamp","ClientHostname","ServerHostname","Source","EventId","MessageId","Recipients","RecipientStatus","Sender","ReturnPath","MessageSubject","Directionality"',
  ...['a', 'b', 'c'].map(
    (name, index) =>
      `"2026-11-28T10:0${index}:00.000Z","EX01","EX01","SMTP","FAIL","<M${index}@EX01>","${name}@litware.com",` +
      `"550 5.7.64 TenantAttribution; Relay Access Denied","scanner@contoso.com","scanner@contoso.com",` +
      `"Scan ${index}\nsecond line","Originating"`,
  ),
].join('\r');

async function parse(bytes: Uint8Array, chunk = 61) {
  const batches: ParsedBatch[] = [];
  let resumable = false;
  await parseInput(
    { name: 'mac.csv', sourceId: 'mac.csv', open: () => chunked(bytes, chunk) },
    { inferring: false },
    {
      format() {},
      batch: (batch) => void batches.push(batch),
      resumable: () => {
        resumable = true;
      },
    },
  );
  return {
    rowsRead: batches.reduce((total, batch) => total + batch.rowsRead, 0),
    skips: batches.flatMap((batch) => batch.skips),
    refused: batches.flatMap((batch) =>
      batch.events
        .filter((_, index) => batch.rejections[index])
        .map((event) => [event.line, event.recipient]),
    ),
    subjects: batches.flatMap((batch) => batch.events.map((event) => event.subject)),
    resumable,
  };
}

describe('parseInput on CR-only files', () => {
  it('reads the rows of a CR-only export (was: EMPTY_INPUT, "a header but no rows")', async () => {
    const parsed = await parse(Buffer.from(`${EXPORT}\r`, 'utf8'));
    expect(parsed.skips).toEqual([]);
    expect(parsed.rowsRead).toBe(3);
    expect(parsed.refused).toEqual([
      [2, 'a@litware.com'],
      [4, 'b@litware.com'],
      [6, 'c@litware.com'],
    ]);
    expect(parsed.subjects).toEqual(['Scan 0\nsecond line', 'Scan 1\nsecond line', 'Scan 2\nsecond line']);
    // Resume points count LF bytes: none is taken in a CR-only file; its CRLF copy has them.
    expect(parsed.resumable).toBe(false);
    expect((await parse(Buffer.from(`${EXPORT.replace(/\r/g, '\r\n')}\r\n`, 'utf8'))).resumable).toBe(true);
  });

  it('reads a CR-only raw tracking log and Postfix log like their LF copies', async () => {
    for (const name of ['MSGTRK2026112800-2.LOG', 'postfix-mail.log']) {
      const original = readFileSync(`sample-logs/${name}`);
      const cr = Buffer.from(original.toString('latin1').replace(/\r?\n/g, '\r'), 'latin1');
      const [fromCr, fromOriginal] = [await parse(cr, 97), await parse(original, 97)];
      expect(fromCr.refused.length).toBeGreaterThan(0);
      expect({ ...fromCr, resumable: false }).toEqual({ ...fromOriginal, resumable: false });
    }
  });
});

describe('configuration files in UTF-16 (Windows PowerShell 5.1 `>` and Out-File)', () => {
  const pem = readFileSync('sample-logs/config/mail.contoso.com.pem', 'latin1');

  it('reads a certificate written as UTF-16LE or UTF-16BE like its ASCII copy', () => {
    const subject = readCertificates(Buffer.from(pem, 'latin1'), 'mail.pem')[0]?.subject;
    for (const bytes of [utf16(pem, 'le', true), utf16(pem, 'le', false), utf16(pem, 'be', true)]) {
      expect(readCertificates(bytes, 'mail.pem').map((certificate) => certificate.subject)).toEqual([
        subject,
      ]);
    }
  });

  it('counts the private key of a UTF-16 certificate file, and stores only the certificate', () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    }) as string;
    const config = buildOrganisationConfig({
      origin: 'test',
      loadedAt: new Date('2026-12-01T00:00:00Z'),
      files: [
        { name: 'mail.pem', bytes: Buffer.from(utf16(`${pem}${key}`, 'le', true)), kind: 'certificate' },
      ],
    });
    expect(config.files[0]?.problem).toBeUndefined();
    expect(config.files[0]?.privateKeysRemoved).toBe(1);
  });

  it("reads the bucket's config/accepted-domains.csv written as UTF-16LE", async () => {
    const bytes = utf16('contoso.com\r\nfabrikam.com\r\n', 'le', true);
    const s3 = {
      send: async () => ({ ContentLength: bytes.length, Body: { transformToByteArray: async () => bytes } }),
    };
    const source = new DomainSource({ s3: s3 as never, bucket: 'bucket' });
    expect((await source.resolve()).oracle.domains()).toEqual(['contoso.com', 'fabrikam.com']);
  });
});
