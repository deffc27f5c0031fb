/**
 * An Exchange send protocol log pairs each answer with the commands before it in its session, so its
 * rows must be in the order Exchange wrote them. A copy whose rows were put newest first below its
 * `#` lines (a sort on date-time, descending, that keeps the header on top) would take its sessions
 * apart: a refusal would lose its sender and recipients, two would merge, and a null-sender bounce
 * would be taken for a foreign sender. Such a file is refused, naming it, the line where a session's
 * sequence-number goes back, and what to do. Rows still in each session's order are read as written:
 * sorted back as the refusal advises, grouped by session, sorted oldest first as whole lines, or a log
 * rotated in two given in either order.
 * Fixtures: test/fixtures/real-world/protocol-log-order/ (README.md).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles } from '../support/analyze-text.js';
import { cells, dateTime, protocolLogOf, sequenceOf, sessionOf } from '../support/sample-send-log.js';

const DIR = 'test/fixtures/real-world/protocol-log-order';
/** The interleaved sessions of EX01's log, as written and newest first. */
const SAMPLE = 'sample-logs/SEND20261128-1.LOG';
const SAMPLE_NEWEST_FIRST = `${DIR}/SEND20261128-1-newest-first.LOG`;
/** One session refused after DATA, as written and newest first. */
const SESSION = 'test/fixtures/real-world/smtp-transactions/SEND20261128-refused-after-data.LOG';
const SESSION_NEWEST_FIRST = `${DIR}/SEND20261128-refused-after-data-newest-first.LOG`;

/** What a finding says: scenario, sender, recipient, message. */
const said = (findings: readonly Finding[]) =>
  findings
    .map((f) => [f.scenario, f.returnPath ?? '', f.recipient, f.messageId].join(' '))
    .sort((a, b) => a.localeCompare(b));

/** Analyses the files given as header and rows; the sample's own accepted domains for the sample. */
async function analyse(files: readonly { name: string; header: string[]; rows: string[] }[]) {
  const accepted = await readFile('sample-logs/config/accepted-domains.csv', 'utf8');
  return analyzeFiles(
    files.map(({ name, header, rows }) => ({
      name,
      content: `\uFEFF${[...header, ...rows].join('\r\n')}\r\n`,
    })),
    { accepted },
  );
}

/** What the log as Exchange wrote it gives. */
async function written(name: string) {
  const { findings, sources } = await analyse([{ name, ...(await protocolLogOf(name)) }]);
  expect(sources.map((source) => source.status)).toEqual(['done']);
  return said(findings);
}

describe('a send protocol log put newest first below its # lines', () => {
  it('refuses the interleaved sessions of a log, naming it, the line where a session goes back and what to do', async () => {
    // As written: five refusals, among them a null-sender bounce (ndr) and two wrong-region ones.
    const original = await written(SAMPLE);
    expect(original).toHaveLength(5);
    expect(original.filter((finding) => finding.startsWith('ndr  '))).toHaveLength(1);

    const { findings, sources } = await analyzeFiles(
      [{ name: SAMPLE_NEWEST_FIRST, content: await readFile(SAMPLE_NEWEST_FIRST) }],
      { accepted: await readFile('sample-logs/config/accepted-domains.csv', 'utf8') },
    );
    // No finding at all: never a bounce taken for a foreign sender, nor two refusals merged into one.
    expect(findings).toEqual([]);
    expect(sources.map((source) => [source.status, source.errorCode])).toEqual([
      ['failed', 'UNKNOWN_FORMAT'],
    ]);
    const message = sources[0]?.errorMessage ?? '';
    expect(message).toContain(
      `${SAMPLE_NEWEST_FIRST}: looks like an Exchange send protocol log put newest first`,
    );
    // Line 6 is the newest row, the last session's disconnect (its row 27); line 7 its row 26.
    expect(message).toContain(
      'its sessions go back at line 7 (row 26 of session 08DF0074E51B0A27 follows its row 27, on line 6)',
    );
    expect(message).toMatch(/went back \d+ times for 0 forward/);
    expect(message).toContain('Analyse the SEND*.LOG files as Exchange wrote them');
    expect(message).toContain(
      "sort this copy's rows oldest first on date-time, then sequence-number (as a number), keeping its # lines first",
    );
  });

  it('refuses one session whose rows of one millisecond kept their order, with no finding', async () => {
    expect(await written(SESSION)).toEqual([
      'foreign-sender-domain app@fabrikam.com vendor@adatum.com MF3@EX01.contoso.local',
    ]);
    const { findings, sources } = await analyzeFiles([
      { name: SESSION_NEWEST_FIRST, content: await readFile(SESSION_NEWEST_FIRST) },
    ]);
    expect(findings).toEqual([]);
    expect([sources[0]?.status, sources[0]?.errorCode]).toEqual(['failed', 'UNKNOWN_FORMAT']);
    expect(sources[0]?.errorMessage).toContain(
      'its sessions go back at line 7 (row 17 of session 08DF3C2B1A09F8F3 follows its row 18, on line 6)',
    );
  });

  it.each([
    [SAMPLE_NEWEST_FIRST, SAMPLE],
    [SESSION_NEWEST_FIRST, SESSION],
  ])('reads %s sorted back as the refusal advises as the log as written', async (name, original) => {
    const { header, rows } = await protocolLogOf(name);
    // Oldest first on date-time, then sequence-number as a number (a stable sort keeps the newest-first
    // order of each millisecond's rows, which the sequence-number puts right).
    const back = [...rows].sort(
      (a, b) => dateTime(a).localeCompare(dateTime(b)) || sequenceOf(a) - sequenceOf(b),
    );
    const { findings, sources } = await analyse([{ name, header, rows: back }]);
    expect(sources.map((source) => source.status)).toEqual(['done']);
    expect(said(findings)).toEqual(await written(original));
  });

  it('refuses the tail of a session too short to tell as it is read, at the end of the file', async () => {
    // A rotated SEND…-2.LOG that holds only the end of a session begun in -1 (the 550 after DATA,
    // QUIT, 221), put newest first: two steps back, decided once the file has ended.
    const { header, rows } = await protocolLogOf(SESSION);
    const tail = rows.filter((row) => sequenceOf(row) >= 15 && sequenceOf(row) <= 17).reverse();
    expect(tail.map((row) => cells(row)[6])).toEqual(['<', '>', '<']);
    const { findings, sources } = await analyse([{ name: 'SEND2026112810-2.LOG', header, rows: tail }]);
    // Never the 550 read as an answer to nothing, a finding without sender or recipient.
    expect(findings).toEqual([]);
    expect([sources[0]?.status, sources[0]?.errorCode]).toEqual(['failed', 'UNKNOWN_FORMAT']);
    expect(sources[0]?.errorMessage).toContain(
      'its sessions go back at line 7 (row 16 of session 08DF3C2B1A09F8F3 follows its row 17, on line 6)',
    );
    expect(sources[0]?.errorMessage).toContain('went back 2 times for 0 forward');
  });
});

describe("a send protocol log whose rows are still in each session's order", () => {
  it('reads rows grouped by session (sorted on session-id, then sequence-number) as the log as written', async () => {
    // Time goes back at each session's first row: that says nothing of a session's own order.
    const { header, rows } = await protocolLogOf(SAMPLE);
    const grouped = [...rows].sort(
      (a, b) => sessionOf(a).localeCompare(sessionOf(b)) || sequenceOf(a) - sequenceOf(b),
    );
    expect(grouped).not.toEqual(rows);
    const { findings, sources } = await analyse([{ name: 'SEND20261128-1.LOG', header, rows: grouped }]);
    expect(sources.map((source) => source.status)).toEqual(['done']);
    expect(said(findings)).toEqual(await written(SAMPLE));
  });

  it('reads rows sorted oldest first as whole lines (sort, # lines kept on top) as the log as written', async () => {
    const { header, rows } = await protocolLogOf(SAMPLE);
    const sorted = [...rows].sort();
    const { findings, sources } = await analyse([{ name: 'SEND20261128-1.LOG', header, rows: sorted }]);
    expect(sources.map((source) => source.status)).toEqual(['done']);
    expect(said(findings)).toEqual(await written(SAMPLE));
  });

  it.each([
    ['-1 then -2', false],
    ['-2 then -1', true],
  ])('reads the log rotated in two mid-session, given %s, as the log as written', async (_, swapped) => {
    // Exchange starts SEND…-2.LOG with its own # lines when -1 is full; the sessions open go on there,
    // their sequence-numbers with them.
    const { header, rows } = await protocolLogOf(SAMPLE);
    const cut = Math.floor(rows.length / 2);
    const parts = [
      { name: 'SEND20261128-1.LOG', header, rows: rows.slice(0, cut) },
      { name: 'SEND20261128-2.LOG', header, rows: rows.slice(cut) },
    ];
    expect(sequenceOf(rows[cut] ?? '')).toBeGreaterThan(0);
    const { findings, sources } = await analyse(swapped ? [...parts].reverse() : parts);
    expect(sources.map((source) => source.status)).toEqual(['done', 'done']);
    expect(said(findings)).toEqual(await written(SAMPLE));
  });
});

/**
 * A copy of a log still being written (the active hour's SEND…LOG), or cut anywhere, put newest first:
 * every cut must be told as the whole log is. Rows of one millisecond that a sort on date-time may
 * put in any order (and SessionRowOrder puts back before answers are paired) are no sign either way,
 * so the order is judged on the rows as the file has them, not as they are read.
 */
describe('every prefix of a send protocol log, put newest first', () => {
  const LOGS = [
    SAMPLE,
    SESSION,
    'test/fixtures/real-world/smtp-transactions/SEND20261128-refused-at-mail-from.LOG',
    'test/fixtures/real-world/smtp-transactions/SEND20261128-several-transactions.LOG',
  ];

  /** Ways a copy is put newest first below its # lines. */
  const NEWEST_FIRST: readonly [string, (rows: readonly string[]) => string[]][] = [
    // Log Parser's ORDER BY [date-time] DESC, Windows PowerShell 5.1's Sort-Object -Descending: each
    // millisecond's rows come out the other way round too.
    ['reversed', (rows) => [...rows].reverse()],
    // Excel's Sort Newest to Oldest, PowerShell 7's Sort-Object -Descending -Stable: each millisecond's
    // rows keep their order.
    ['stable', (rows) => [...rows].sort((a, b) => dateTime(b).localeCompare(dateTime(a)))],
  ];

  /** Whether a session has rows of two date-times: only then can rows put newest first be told. */
  const told = (rows: readonly string[]) => {
    const times = new Map<string, string>();
    return rows.some((row) => {
      const before = times.get(sessionOf(row));
      times.set(sessionOf(row), dateTime(row));
      return before !== undefined && before !== dateTime(row);
    });
  };

  it.each(LOGS)('is refused as the whole log is, or read as written, for every cut of %s', async (name) => {
    const { header, rows } = await protocolLogOf(name);
    const accepted = await readFile('sample-logs/config/accepted-domains.csv', 'utf8');
    const run = (prefix: readonly string[]) =>
      analyzeFiles([{ name, content: `\uFEFF${[...header, ...prefix].join('\r\n')}\r\n` }], {
        accepted,
        chunk: 65_536,
      });
    const wrong: string[] = [];
    for (let n = 1; n <= rows.length; n++) {
      const prefix = rows.slice(0, n);
      const asWritten = await run(prefix);
      if (asWritten.sources[0]?.status !== 'done')
        wrong.push(`${n} as written: ${asWritten.sources[0]?.status}`);
      for (const [how, put] of NEWEST_FIRST) {
        const newest = await run(put(prefix));
        const source = newest.sources[0];
        if (told(prefix)) {
          const refused =
            source?.status === 'failed' &&
            source.errorCode === 'UNKNOWN_FORMAT' &&
            (source.errorMessage ?? '').includes(
              `${name}: looks like an Exchange send protocol log put newest first`,
            ) &&
            newest.findings.length === 0;
          if (!refused) wrong.push(`${n} ${how}: ${source?.status}, ${said(newest.findings).join('; ')}`);
        } else if (
          // Each session's rows in one millisecond: put back in order, they are the log as written.
          source?.status !== 'done' ||
          said(newest.findings).join('\n') !== said(asWritten.findings).join('\n')
        )
          wrong.push(`${n} ${how}, each session in one millisecond: not read as written`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
