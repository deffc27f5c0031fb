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
 * And in three, a session outliving two rollovers: the last log's answers go to what the first left
 * unanswered only after the middle log's have, whatever the order the logs are read in. Two servers'
 * logs whose session ids are the same keep their sessions apart (two-servers/).
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
  return {
    said: said(findings),
    notes: sources.flatMap((source) => source.notes ?? []).map((n) => n.code),
    /** The messages of the files the run refused. */
    refused: sources.flatMap((source) => (source.status === 'failed' ? [source.errorMessage ?? ''] : [])),
  };
}
type Analysed = Awaited<ReturnType<typeof analyse>>;

/** The header lines and the rows of a log. */
function rowsOf(text: string, header: (line: string) => boolean): { head: string[]; body: string[] } {
  const lines = text.split('\r\n');
  return { head: lines.filter(header), body: lines.filter((line) => !header(line) && line !== '') };
}

/** The log cut after each of its `rows`-th rows (ascending): each next log begins with the header lines again. */
function cut(
  name: string,
  text: string,
  rows: readonly number[],
  header: (line: string) => boolean,
): TextFile[] {
  const { head, body } = rowsOf(text, header);
  const [stem, ext] = name.split('.') as [string, string];
  return [0, ...rows].map((from, at) => ({
    name: `${stem}-${at + 1}.${ext}`,
    content: `${[...head, ...body.slice(from, rows[at] ?? body.length)].join('\r\n')}\r\n`,
  }));
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
      const [first, next] = cut(name, text, [rows], header) as [TextFile, TextFile];
      expect(await analyse([first, next])).toEqual(whole);
      expect(await analyse([next, first])).toEqual(whole);
    });
  }
});

type Kind = 'continued' | 'undecided';

/**
 * Cuts whose findings are not the whole log's, and why; every other cut gives the whole log's
 * findings, ids and notes. No cut, known or not, names a recipient the whole log does not refuse.
 */
const known: Record<string, Record<number, { kind: Kind; why: string }>> = {
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

/**
 * A cut's findings are the whole log's, or differ only as the kinds of its cut points say (`known`);
 * none names a recipient the whole log does not refuse. `refusedLog`: a log of the cut may be refused
 * as sorted (an IIS log of a few rows of one second, none an answer followed by the relay's next
 * command, cannot show the order IIS wrote: iis-smtp-sorted.test.ts) — the run says so, and lacks
 * that log's refusals and what it said of the sessions going on in the next.
 */
function expectAsWhole(
  split: Analysed,
  whole: Analysed,
  kinds: ReadonlySet<Kind>,
  label: string,
  refusedLog = false,
) {
  const refused = new Set(refusedIn(whole.said));
  for (const named of refusedIn(split.said)) expect(refused, `${label}: ${named}`).toContain(named);
  if (split.refused.length > 0 && refusedLog) {
    for (const message of split.refused) expect(message, label).toMatch(/whose lines were sorted/);
    return;
  }
  if (kinds.size === 0 || JSON.stringify(split) === JSON.stringify(whole)) {
    expect(split, label).toEqual(whole);
    return;
  }
  expect(split.refused, label).toEqual([]);
  // A message begun in a later log is numbered apart there; everything else is the whole log's.
  const numberedApart = split.said.filter((line) => !whole.said.includes(line));
  for (const line of numberedApart) expect(line.split(' | ')[1], label).toMatch(/#continued-\d+$/);
  if (kinds.has('continued')) expect(numberedApart.length, label).toBeGreaterThan(0);
  else expect(numberedApart, label).toEqual([]);
  if (kinds.has('undecided')) {
    for (const line of withoutIds(split.said)) expect(withoutIds(whole.said), label).toContain(line);
    expect(split.notes, label).toContain('RECIPIENTS_NOT_PAIRED');
  } else {
    expect(withoutIds(split.said), label).toEqual(withoutIds(whole.said));
    expect(split.notes, label).toEqual(whole.notes);
  }
}

const headerOf = (name: string) => (name.startsWith('SEND') ? exchangeHeader : iisHeader);

describe('each log of test/fixtures/real-world/smtp-transactions/ cut after every row (both orders)', () => {
  for (const name of fixtures) {
    it(`${name}: every cut gives the whole log's findings, or says why not (${Object.keys(known[name] ?? {}).length} known)`, async () => {
      const text = await readFile(`${DIR}/${name}`, 'utf8');
      const header = headerOf(name);
      const whole = await analyse([{ name, content: text }]);
      const rows = rowsOf(text, header).body.length;
      expect(rows).toBeGreaterThan(15);
      for (let at = 1; at < rows; at++) {
        const [first, next] = cut(name, text, [at], header) as [TextFile, TextFile];
        for (const files of [
          [first, next],
          [next, first],
        ]) {
          const label = `${name} cut after ${at} rows, ${files[0]?.name} read first`;
          const kind = known[name]?.[at]?.kind;
          // A log of one IIS row (the last 221) may be refused as sorted.
          expectAsWhole(
            await analyse(files),
            whole,
            new Set(kind === undefined ? [] : [kind]),
            label,
            name.startsWith('ex'),
          );
        }
      }
    });
  }
});

describe('each log of test/fixtures/real-world/smtp-transactions/ cut in three (a session outliving two rollovers, all six orders)', () => {
  /** The six orders three logs can be read in. */
  const ORDERS = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ] as const;
  /**
   * Cuts always tried, by what the middle log holds of a session: `>` a command (`OutboundConnectionCommand`
   * in IIS), `<` an answer. The others are sampled: every pair of cuts at most 4 rows apart (the middle
   * log holds part of a transaction), and one pair in 3 of the rest (the test's time).
   */
  const middles: Record<string, Record<string, [number, number]>> = {
    'SEND20261128-refused-at-mail-from.LOG': {
      "commands only (MF1's MAIL FROM and both RCPT TO)": [10, 13],
      "answers only (the 550 to MF1's MAIL FROM, MF2's 250, the two 503)": [17, 21],
      "commands and answers (MF2's MAIL FROM and RCPT TO, the 550 to MF1's, MF2's 250)": [15, 19],
    },
    'SEND20261128-refused-after-data.LOG': {
      'commands only (MAIL FROM and both RCPT TO)': [6, 9],
      'answers only (MAIL FROM accepted, a recipient accepted, one refused)': [9, 12],
      'commands and answers (the second RCPT TO, the answers, DATA)': [8, 13],
    },
    'SEND20261128-several-transactions.LOG': {
      "commands only (MF4's MAIL FROM, both RCPT TO, BDAT)": [6, 10],
      'answers only (MAIL FROM, both RCPT TO accepted, the 451 after BDAT)': [10, 14],
      "commands and answers (MF6's MAIL FROM, RCPT TO, their answers but the last)": [22, 27],
    },
    'ex261128.log': {
      'commands only (the RCPT TO of noc@ and oncall@, whose answers end the session in the last log)': [
        29, 31,
      ],
      "answers only (ap@'s RCPT TO accepted)": [18, 19],
      "commands and answers (ap@'s answer, ar@'s RCPT TO and answer, DATA)": [18, 22],
    },
  };
  /** Whether a row is an answer (`<`), a command (`>`) or neither (` `). */
  const what = (row: string) =>
    /,<,|OutboundConnectionResponse/.test(row) ? '<' : /,>,|OutboundConnectionCommand/.test(row) ? '>' : ' ';

  for (const name of fixtures) {
    it(`${name}: every cut tried gives the whole log's findings, or says why not`, async () => {
      const text = await readFile(`${DIR}/${name}`, 'utf8');
      const header = headerOf(name);
      const whole = await analyse([{ name, content: text }]);
      const { body } = rowsOf(text, header);
      for (const [held, [from, to]] of Object.entries(middles[name] ?? {})) {
        const kinds = new Set(body.slice(from, to).map(what));
        expect(kinds, `${name} ${from}–${to}`).toEqual(
          new Set(
            held.startsWith('commands only') ? ['>'] : held.startsWith('answers only') ? ['<'] : ['<', '>'],
          ),
        );
      }
      const always = new Set(Object.values(middles[name] ?? {}).map(([from, to]) => `${from},${to}`));
      let tried = 0;
      let refusedLogs = 0;
      for (let first = 1; first < body.length - 1; first++) {
        for (let second = first + 1; second < body.length; second++) {
          if (!always.has(`${first},${second}`) && second - first > 4 && (first + second) % 3 !== 0) continue;
          const logs = cut(name, text, [first, second], header);
          const kinds = new Set(
            [known[name]?.[first]?.kind, known[name]?.[second]?.kind].filter((kind) => kind !== undefined),
          );
          for (const order of ORDERS) {
            const files = order.map((at) => logs[at] as TextFile);
            const label = `${name} cut after ${first} and ${second} rows, read ${files.map((file) => file.name).join(', ')}`;
            const split = await analyse(files);
            if (split.refused.length > 0) refusedLogs++;
            // A log of a few IIS rows may be refused as sorted; a send protocol log is never.
            expectAsWhole(split, whole, kinds, label, name.startsWith('ex'));
            tried++;
          }
        }
      }
      expect(tried).toBeGreaterThan(300);
      if (name.startsWith('SEND')) expect(refusedLogs).toBe(0);
    });
  }

  it('does not pair over a send protocol log missing between two (its rows numbered on): the refusals that need it are noted', async () => {
    const name = 'SEND20261128-several-transactions.LOG';
    const text = await readFile(`${DIR}/${name}`, 'utf8');
    const whole = await analyse([{ name, content: text }]);
    // The middle log holds MF4's answers, its 451 and MF5's message line; the last, MF5's MAIL FROM on.
    const [first, , last] = cut(name, text, [12, 18], exchangeHeader) as [TextFile, TextFile, TextFile];
    for (const files of [
      [first, last],
      [last, first],
    ]) {
      const split = await analyse(files);
      for (const named of refusedIn(split.said)) expect(refusedIn(whole.said)).toContain(named);
      // Not MF4's, whose answers were in the missing log: MF5's refusal, without its message, and MF6's own.
      expect(split.said.filter((line) => line.includes('MF4@'))).toEqual([]);
      expect(withoutIds(split.said)).toEqual([
        ' |  | foreign-sender-domain | 5.7.64',
        'noc@adatum.com | alerts@fabrikam.com | foreign-sender-domain | 5.7.64',
      ]);
      expect(split.notes).toEqual(['SESSIONS_JOINED_LATE']);
    }
  });
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
      expect(await analyse(files)).toEqual({ said: expected, notes: [], refused: [] });
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
      expect(await analyse(files)).toEqual({ said: expected, notes: [], refused: [] });
    }
  });

  it("joins a session to its own server's only, when another server's log holds the same session id", async () => {
    const [first, second] = await pair('after-data');
    // EX02's session of the same id, open when its log ends, handed on after EX01's and before the refusal.
    const other: TextFile = {
      name: 'two-servers/EX02-SEND2026112810-1.LOG',
      content: await readFile(`${DIR}/two-servers/EX02-SEND2026112810-1.LOG`),
    };
    const expected = await whole('SEND20261128-refused-after-data.LOG');
    for (const files of [
      [first, other, second],
      [other, first, second],
      [second, other, first],
      [first, second, other],
    ]) {
      expect(await analyse(files)).toEqual({ said: expected, notes: [], refused: [] });
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
