/**
 * A refusal of a whole SMTP transaction (of MAIL FROM, or after the message) whose session rolled
 * over to the next log: Exchange starts SEND…-2.LOG when SEND…-1.LOG reaches ProtocolLogMaxFileSize,
 * IIS the next ex*.log at its schedule, each with its own header, whatever the sessions under way.
 * Fixtures of test/fixtures/real-world/smtp-transactions/ are cut between a transaction's commands and
 * their answers, as the server would have, and the two logs analysed in both orders must give the
 * findings, ids included, the whole log gives, with no note: every recipient a refused MAIL FROM or
 * message refuses, not one finding without a recipient. The pairs of
 * test/fixtures/real-world/smtp-transactions/rolled-over/ are such cuts kept as files, also read twice.
 * Each log is also cut after every row, commands split from each other as well as from their answers:
 * the next log's first answers are to the commands the earlier one left unanswered, then its own.
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

describe('each log of test/fixtures/real-world/smtp-transactions/ cut after every row (both orders)', () => {
  // Cuts whose findings are not the whole log's, and why; every other cut gives the whole log's
  // findings, ids and notes. No cut, known or not, names a recipient the whole log does not refuse.
  const known: Record<string, Record<number, { kind: 'continued' | 'undecided'; why: string }>> = {
    'ex261128.log': {
      5: {
        kind: 'continued',
        why: 'MAIL FROM is the first command of the next log: its message is numbered #continued-1 there, as designed (only the earlier log knows how many the session sent before)',
      },
      9: {
        kind: 'undecided',
        why: "the first log ends with the 550 that answers MAIL FROM or its first RCPT TO (MAIL FROM's answer unwritten); the 503 that tells which is in the next log: taken as the first RCPT TO's, and the first log's notes say the other recipients may have been refused",
      },
      15: { kind: 'continued', why: 'as at 5: the scans@ message begins in the next log' },
      28: { kind: 'continued', why: 'as at 5: the alerts@ message begins in the next log' },
      32: {
        kind: 'undecided',
        why: "as at 9, for the 550 with MAIL FROM's answer unwritten: the 250 that tells it is the first RCPT TO's is in the next log; the same findings, the first log's notes saying so",
      },
    },
  };
  const fixtures = [
    'SEND20261128-refused-at-mail-from.LOG',
    'SEND20261128-refused-after-data.LOG',
    'SEND20261128-several-transactions.LOG',
    'ex261128.log',
  ];
  /** `recipient code` of each finding that names a recipient. */
  const refusedIn = (lines: readonly string[]) =>
    lines
      .map((line) => line.split(' | '))
      .filter(([, , recipient]) => recipient !== '')
      .map(([, , recipient, , , code]) => `${recipient} ${code}`);
  /** What a finding says but for its id and Message-ID (a message numbered apart keeps the rest). */
  const withoutIds = (lines: readonly string[]) =>
    lines.map((line) => line.split(' | ').slice(2).join(' | ')).sort();

  for (const name of fixtures) {
    it(`${name}: every cut gives the whole log's findings, or says why not (${Object.keys(known[name] ?? {}).length} known)`, async () => {
      const text = await readFile(`${DIR}/${name}`, 'utf8');
      const header = name.startsWith('SEND') ? exchangeHeader : iisHeader;
      const whole = await analyse([{ name, content: text }]);
      const refused = new Set(refusedIn(whole.said));
      const rows = text.split('\r\n').filter((line) => !header(line) && line !== '').length;
      expect(rows).toBeGreaterThan(15);
      for (let at = 1; at < rows; at++) {
        const [first, next] = cut(name, text, at, header);
        for (const files of [
          [first, next],
          [next, first],
        ]) {
          const label = `${name} cut after ${at} rows, ${files[0]?.name} read first`;
          const split = await analyse(files);
          for (const named of refusedIn(split.said)) expect(refused, `${label}: ${named}`).toContain(named);
          const reason = known[name]?.[at];
          if (reason === undefined) expect(split, label).toEqual(whole);
          else if (reason.kind === 'continued') {
            expect(withoutIds(split.said), label).toEqual(withoutIds(whole.said));
            const numberedApart = split.said.filter((line) => !whole.said.includes(line));
            expect(numberedApart.length, label).toBeGreaterThan(0);
            for (const line of numberedApart) expect(line.split(' | ')[1], label).toMatch(/#continued-\d+$/);
            expect(split.notes, label).toEqual(whole.notes);
          } else {
            for (const line of split.said) expect(whole.said, label).toContain(line);
            expect(split.notes, label).toContain('RECIPIENTS_NOT_PAIRED');
          }
        }
      }
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
