/**
 * A file copied while the server writes it, or an export or download cut short, that ends inside a
 * relay-attribution code (`… 550 5.7.6`): every reader — tracking log, send protocol log, tracking
 * export, trace detail CSV, historical search report, Graph and ConvertTo-Json traces, NDJSON —
 * skips its cut last record as REFUSAL_NOT_READ and fails the file naming the line, never "no relay
 * refusals" (the mail-log reader's rule, test/integration/cut-mail-log.test.ts). A cut elsewhere is
 * read as before. Shapes: test/fixtures/real-world/cut-inside-code/README.md, and the sample files
 * cut after every prefix of their first refusal's code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeNoStore } from '../support/analyze-no-store.js';
import { analyzeFiles } from '../support/analyze-text.js';
import { cli } from '../support/capture-output.js';

const ROOT = join(import.meta.dirname, '../..');
const DIR = 'test/fixtures/real-world/cut-inside-code';
const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];

/** A file of sample-logs/ as text (the UTF-16 ones decoded), and how it is written back as bytes. */
interface Sample {
  file: string;
  utf16?: boolean;
  /** JSON: the reader names a cut record by the line of its `{`. */
  json?: boolean;
  /** Made from a sample rather than read from one. */
  text?: () => string;
}

const sampleText = (sample: Sample): string => {
  if (sample.text) return sample.text();
  const bytes = readFileSync(join(ROOT, 'sample-logs', sample.file));
  return sample.utf16 ? bytes.toString('utf16le') : bytes.toString('utf8');
};
const encode = (sample: Sample, text: string): Buffer => Buffer.from(text, sample.utf16 ? 'utf16le' : 'utf8');

/** `Get-MessageTraceDetailV2 | ConvertTo-Json -Compress` per record, as a log shipper writes NDJSON. */
function ndjsonOfTraceDetails(): string {
  const text = readFileSync(join(ROOT, 'sample-logs/trace-details-convertto-json.json'), 'utf8');
  const records = JSON.parse(text.replace(/^\uFEFF/, '')) as object[];
  return `${records.map((record) => JSON.stringify(record)).join('\n')}\n`;
}

const READERS: readonly Sample[] = [
  { file: 'MSGTRK2026112800-1.LOG' },
  { file: 'MSGTRK2013-EX2013.LOG' },
  { file: 'MSGTRK2010-EX2010.LOG' },
  { file: 'SEND20261128-1.LOG' },
  { file: 'tracking-export-en-US.csv' },
  { file: 'tracking-export-de-DE.csv' },
  { file: 'tracking-export-nl-NL.csv' },
  { file: 'message-trace-detail.csv' },
  { file: 'historical-search-extended.csv', utf16: true },
  { file: 'graph-trace-details.json', json: true },
  { file: 'trace-details-convertto-json.json', json: true },
  { file: 'trace-details.ndjson', json: true, text: ndjsonOfTraceDetails },
];

/** The relay-attribution codes, as codes (not inside a longer dotted number). */
const CODES = [/(?<![\d.])5\.7\.64(?!\d)/, /(?<![\d.])4\.4\.62(?!\d)/];

/** Each code's first place in the sample, from the text's start (cuts are made before it). */
function firstCodes(sample: Sample): { text: string; at: number; code: string }[] {
  const text = sampleText(sample);
  return CODES.flatMap((pattern) => {
    const found = pattern.exec(text);
    return found === null ? [] : [{ text, at: found.index, code: found[0] }];
  });
}

/** The sample cut `prefix` characters into the code at `at`, and the line the reader names. */
function cutAt(sample: Sample, place: { text: string; at: number; code: string }, prefix: number) {
  const cut = place.text.slice(0, place.at + prefix);
  const lines = cut.split('\n');
  // A JSON record is named by its `{` line: the last line before the cut that opens an object.
  const line = sample.json
    ? lines.findLastIndex((text) => text.trimStart().startsWith('{')) + 1
    : lines.length;
  return { cut, line, start: place.code.slice(0, prefix) };
}

async function analyse(sample: Sample, text: string) {
  const { sources } = await analyzeFiles([{ name: sample.file, content: encode(sample, text) }], {
    accepted: 'contoso.com',
  });
  const source = sources[0];
  if (source === undefined) throw new Error('no source');
  expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
  return source;
}

describe('a file cut short inside a relay-attribution code', () => {
  it.each(READERS)('fails $file cut after each prefix of a code, naming the line', async (sample) => {
    const places = firstCodes(sample);
    expect(places.length, sample.file).toBeGreaterThan(0);
    for (const place of places) {
      // `5.7`, `5.7.`, `5.7.6` (and `4.4`, `4.4.`, `4.4.6`).
      for (const prefix of [3, 4, 5]) {
        const { cut, line, start } = cutAt(sample, place, prefix);
        const source = await analyse(sample, cut);
        const where = `${sample.file} cut after ${start} (line ${line})`;
        expect(source, where).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
        const skip = source.skipped.find((row) => row.reason === 'REFUSAL_NOT_READ');
        expect(skip?.line, where).toBe(line);
        expect(skip?.message, where).toContain(
          `yet it holds relay-refusal text (${start}…, cut short: ${place.code}?)`,
        );
        expect(source.errorMessage, where).toContain(`: line ${line} could not be read — `);
      }
    }
  });

  it.each(READERS)(
    'reads $file cut elsewhere as before: before a code, after its class alone',
    async (sample) => {
      for (const place of firstCodes(sample)) {
        // Before the code, and after its class alone (`5.`: too common a text's end to tell).
        for (const prefix of [0, 2]) {
          const { cut, start } = cutAt(sample, place, prefix);
          const source = await analyse(sample, cut);
          const where = `${sample.file} cut after ${JSON.stringify(cut.slice(-12))} (${start})`;
          expect(source.errorCode, where).not.toBe('REFUSAL_NOT_READ');
          expect(
            source.skipped.some((row) => row.reason === 'REFUSAL_NOT_READ'),
            where,
          ).toBe(false);
        }
      }
    },
  );

  it('searches a short row the file does not end in for refusal text only, not for a cut code', async () => {
    const sample = READERS[0] as Sample;
    const [place] = firstCodes(sample);
    if (place === undefined) throw new Error('no code');
    const { cut, line } = cutAt(sample, place, 5);
    // The same cut row, then a whole row: the short row is no cut, only a row of too few fields.
    const next = place.text.split('\n')[line] ?? '';
    const source = await analyse(sample, `${cut}\r\n${next}\n`);
    expect(source.status).toBe('done');
    const skip = source.skipped.find((row) => row.line === line);
    expect(skip).toMatchObject({ reason: 'COLUMN_COUNT' });
    expect(skip?.message).not.toMatch(/last line/);
  });
});

describe('the cut-inside-code fixtures through the command line', () => {
  it.each([
    ['MSGTRK2026112800-1-copied-while-written.LOG', 18, 'the log looks copied while Exchange was writing it'],
    [
      'MSGTRK2026112800-1-copied-while-written.LOG.gz',
      18,
      'the log looks copied while Exchange was writing it',
    ],
    ['SEND20261128-1-copied-while-written.LOG', 38, 'the log looks copied while Exchange was writing it'],
    ['message-trace-detail-download-cut.csv', 3, 'the file looks cut short'],
    ['graph-trace-details-download-cut.json', 13, 'the file ends inside this record'],
  ])('%s: exit 1, REFUSAL_NOT_READ on line %i, saying it is cut short', async (file, line, said) => {
    const run = await analyzeNoStore(`${DIR}/${file}`, ...DOMAINS);
    expect(run.status).toBe(1);
    expect(run.source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(run.source.skipped.filter((row) => row.reason === 'REFUSAL_NOT_READ')).toEqual([
      expect.objectContaining({ line }),
    ]);
    expect(run.source.errorMessage).toContain(`: line ${line} could not be read — `);
    expect(run.source.errorMessage).toContain(said);
    expect(run.source.errorMessage).toMatch(/cut short: (5\.7\.64|4\.4\.62)\?/);
    expect(run.source.errorMessage).toMatch(/ Analyse the new copy\.$/);

    const report = await cli('analyze', `${DIR}/${file}`, ...DOMAINS, '--no-store');
    expect(report.status).toBe(1);
    const printed = report.out.stdout + report.out.stderr;
    expect(printed).toContain('REFUSAL_NOT_READ');
    expect(printed).toContain('Next step: export again, fix or replace what could not be analysed');
    expect(printed).not.toMatch(/nothing to fix/i);
  });

  it('says of a trace detail export cut inside a quoted field to export it again', async () => {
    const run = await analyzeNoStore(`${DIR}/message-trace-detail-download-cut.csv`, ...DOMAINS);
    expect(run.source.skipped).toEqual([
      {
        line: 3,
        reason: 'REFUSAL_NOT_READ',
        message:
          'the file ends inside a quoted field that starts on line 3 (truncated file?), yet it holds ' +
          'relay-refusal text (5.7.6…, cut short: 5.7.64?); the file looks cut short, copied while it was ' +
          'being written — copy or export it again',
      },
    ]);
    expect(run.source.errorMessage).toMatch(/ Analyse the new copy\.$/);
  });

  it('says of a Graph download cut inside a record that it is cut short, to download it again', async () => {
    const run = await analyzeNoStore(`${DIR}/graph-trace-details-download-cut.json`, ...DOMAINS);
    expect(run.source.skipped).toEqual([
      {
        line: 13,
        reason: 'REFUSAL_NOT_READ',
        message:
          'the file ends inside this record, yet it holds relay-refusal text (5.7…, cut short: 5.7.64?); ' +
          'the file looks cut short (a download or export stopped early) — download or export it again',
      },
    ]);
    expect(run.source.errorMessage).toMatch(/ Analyse the new copy\.$/);
    // A tracking log's advice is not a download's.
    expect(run.source.errorMessage).not.toMatch(/rolled over|mend the row/);
  });
});
