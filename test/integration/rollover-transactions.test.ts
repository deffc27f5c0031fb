/**
 * A refusal of a whole SMTP transaction (of MAIL FROM, or after the message) whose session rolled
 * over to the next log: Exchange starts SEND…-2.LOG when SEND…-1.LOG reaches ProtocolLogMaxFileSize,
 * IIS the next ex*.log at its schedule, each with its own header, whatever the sessions under way.
 * Fixtures of test/fixtures/real-world/smtp-transactions/ are cut between a transaction's commands and
 * their answers, as the server would have, and the two logs analysed in both orders must give the
 * findings, ids included, the whole log gives, with no note: every recipient a refused MAIL FROM or
 * message refuses, not one finding without a recipient. The pairs of
 * test/fixtures/real-world/smtp-transactions/rolled-over/ are such cuts kept as files, also read twice.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/smtp-transactions';

/** What a finding says, in an order that does not depend on the order of the files. */
const said = (findings: readonly Finding[]) =>
  findings.map((f) => [f.id, f.messageId, f.recipient, f.returnPath, f.scenario, f.code].join(' | ')).sort();

async function analyse(files: readonly TextFile[]) {
  const { findings, sources } = await analyzeFiles(files, { accepted: 'contoso.com' });
  return { said: said(findings), notes: sources.flatMap((source) => source.notes ?? []).map((n) => n.code) };
}

/** The log cut after its `rows`-th row: the next log begins with the header lines again. */
function cut(
  name: string,
  text: string,
  rows: number,
  header: (line: string) => boolean,
): [TextFile, TextFile] {
  const lines = text.split('\r\n');
  const head = lines.filter(header);
  const body = lines.filter((line) => !header(line) && line !== '');
  const [stem, ext] = name.split('.') as [string, string];
  return [
    { name: `${stem}-1.${ext}`, content: `${[...head, ...body.slice(0, rows)].join('\r\n')}\r\n` },
    { name: `${stem}-2.${ext}`, content: `${[...head, ...body.slice(rows)].join('\r\n')}\r\n` },
  ];
}

const exchangeHeader = (line: string) => line.replace(/^\uFEFF/, '').startsWith('#');
// IIS writes #Software, #Version, #Date and #Fields at the start of each log.
const iisHeader = (line: string) => line.startsWith('#');

describe('a refusal of a whole transaction in the log after its commands (both orders)', () => {
  // [fixture, rows in the first log, what the second log begins with]
  const cuts: [string, number, string][] = [
    ['SEND20261128-several-transactions.LOG', 10, "the answers to MF4's MAIL FROM, 2 RCPT TO and BDAT LAST"],
    [
      'SEND20261128-several-transactions.LOG',
      11,
      "MF4's RCPT TO answers and the 451 after BDAT (MAIL FROM answered)",
    ],
    [
      'SEND20261128-several-transactions.LOG',
      13,
      'the 451 after BDAT, both recipients accepted in the first log',
    ],
    ['ex261128.log', 8, 'the 550 to MAIL FROM, then the two 503'],
    ['ex261128.log', 22, 'the 354 and the 550 after DATA, both recipients accepted in the first log'],
    ['ex261128.log', 23, 'the 550 after DATA'],
    ['ex261128.log', 31, "the 550 with MAIL FROM's answer not written, then the 250 to the second RCPT TO"],
  ];
  for (const [name, rows, second] of cuts) {
    it(`${name} cut after ${rows} rows (the next log begins with ${second})`, async () => {
      const text = await readFile(`${DIR}/${name}`, 'utf8');
      const header = name.startsWith('SEND') ? exchangeHeader : iisHeader;
      const whole = await analyse([{ name, content: text }]);
      const [first, next] = cut(name, text, rows, header);
      expect(await analyse([first, next])).toEqual(whole);
      expect(await analyse([next, first])).toEqual(whole);
    });
  }
});

describe('the send protocol logs cut inside a refused transaction', () => {
  const pair = async (folder: string): Promise<[TextFile, TextFile]> => {
    const read = async (name: string) => ({
      name: `${folder}/${name}`,
      content: await readFile(`${DIR}/rolled-over/${folder}/${name}`),
    });
    return [await read('SEND2026112810-1.LOG'), await read('SEND2026112810-2.LOG')];
  };
  const whole = async (name: string) =>
    (await analyse([{ name, content: await readFile(`${DIR}/${name}`) }])).said;

  it('names both RCPT TOs of a MAIL FROM refused in the next log, with the ids of the whole log', async () => {
    const [first, second] = await pair('at-mail-from');
    const expected = await whole('SEND20261128-refused-at-mail-from.LOG');
    expect(expected.filter((line) => line.includes('MF1@'))).toHaveLength(2);
    for (const files of [
      [first, second],
      [second, first],
    ]) {
      expect(await analyse(files)).toEqual({ said: expected, notes: [] });
    }
  });

  it('names the recipient accepted in the next log before the message was refused, not the one refused there', async () => {
    const [first, second] = await pair('after-data');
    const expected = await whole('SEND20261128-refused-after-data.LOG');
    expect(expected).toHaveLength(1);
    expect(expected[0]).toContain('vendor@adatum.com');
    for (const files of [
      [first, second],
      [second, first],
    ]) {
      expect(await analyse(files)).toEqual({ said: expected, notes: [] });
    }
  });

  it('counts a refusal read twice (the later log copied) once, and once with the whole log', async () => {
    const [first, second] = await pair('at-mail-from');
    const copy = { ...second, name: 'copy/SEND2026112810-2.LOG' };
    const expected = await whole('SEND20261128-refused-at-mail-from.LOG');
    for (const files of [
      [first, second, copy],
      [copy, second, first],
      [
        second,
        {
          name: 'SEND20261128-refused-at-mail-from.LOG',
          content: await readFile(`${DIR}/SEND20261128-refused-at-mail-from.LOG`),
        },
        first,
      ],
    ]) {
      expect((await analyse(files)).said).toEqual(expected);
    }
  });
});
