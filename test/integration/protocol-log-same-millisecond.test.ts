/**
 * Exchange writes a session's pipelined commands, and the answers that come back together, in one
 * millisecond; their order is kept by the session's `sequence-number`. A copy sorted on `date-time`
 * alone (a SIEM's or Log Parser's ORDER BY, Windows PowerShell 5.1's unstable `Sort-Object`, a stable
 * sort of a copy put newest first) may put those rows in any order: read so, an answer would be paired
 * with another command, and a refusal given another recipient and sender, or none. Each session's
 * rows of one date-time are put back in the order of their numbers, so every such copy gives the
 * findings of the log as written; where the numbers cannot tell (no `sequence-number` column, a
 * number repeated), the rows are read as read and the file says so (`SESSION_ORDER_UNKNOWN`).
 * Fixtures: test/fixtures/real-world/protocol-log-same-millisecond/ (README.md).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles } from '../support/analyze-text.js';
import { cells, dateTime, protocolLogOf, sessionOf } from '../support/sample-send-log.js';

const DIR = 'test/fixtures/real-world/protocol-log-same-millisecond';
const SAMPLE = 'sample-logs/SEND20261128-1.LOG';
const SESSION = 'test/fixtures/real-world/smtp-transactions/SEND20261128-refused-after-data.LOG';
const SAMPLE_ACCEPTED = 'sample-logs/config/accepted-domains.csv';

/** What a finding says: recipient, scenario, sender, confidence. */
const said = (findings: readonly Finding[]) =>
  findings
    .map((f) => [f.recipient, f.scenario, f.returnPath ?? '', f.confidence].join(' '))
    .sort((a, b) => a.localeCompare(b));

interface LogFile {
  name: string;
  header: readonly string[];
  rows: readonly string[];
}

/** Analyses the files given as header and rows, as Exchange writes them (BOM, CRLF). */
async function analyse(files: readonly LogFile[], accepted: string) {
  const { findings, sources } = await analyzeFiles(
    files.map(({ name, header, rows }) => ({
      name,
      content: `\uFEFF${[...header, ...rows].join('\r\n')}\r\n`,
    })),
    { accepted },
  );
  return {
    findings: said(findings),
    statuses: sources.map((source) => source.status),
    notes: sources.flatMap((source) => source.notes ?? []),
  };
}

/** The rows put newest first, then sorted oldest first on date-time alone with a stable sort (Excel). */
const sortedOnDateTime = (rows: readonly string[]) =>
  [...rows].reverse().sort((a, b) => dateTime(a).localeCompare(dateTime(b)));

/** A small deterministic generator (mulberry32), so that a failing order can be found again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The rows with those that `chosen` picks shuffled among their own places within each date-time:
 * each row stays among the rows of its millisecond, as a sort on date-time alone leaves it.
 */
function shuffledWithinDateTime(
  rows: readonly string[],
  chosen: (row: string) => boolean,
  next: () => number,
): string[] {
  const places = new Map<string, number[]>();
  rows.forEach((row, index) => {
    if (!chosen(row)) return;
    const at = places.get(dateTime(row)) ?? [];
    at.push(index);
    places.set(dateTime(row), at);
  });
  const out = [...rows];
  for (const at of places.values()) {
    const moved = at.map((index) => rows[index] ?? '');
    for (let i = moved.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [moved[i], moved[j]] = [moved[j] ?? '', moved[i] ?? ''];
    }
    at.forEach((index, k) => {
      out[index] = moved[k] ?? '';
    });
  }
  return out;
}

const orderNotes = (notes: readonly { code: string; message: string }[]) =>
  notes.filter((note) => note.code === 'SESSION_ORDER_UNKNOWN');

describe('a send protocol log whose rows of one millisecond were put in another order', () => {
  it.each([
    ['SEND20261128-1-sorted-on-date-time.LOG', SAMPLE],
    ['SEND20261128-1-answers-swapped.LOG', SAMPLE],
    ['SEND20261128-refused-after-data-rcpt-swapped.LOG', SESSION],
  ])('%s gives exactly the findings of the log as written', async (name, original) => {
    const accepted = original === SAMPLE ? await readFile(SAMPLE_ACCEPTED, 'utf8') : 'contoso.com';
    const written = await analyse([{ name: original, ...(await protocolLogOf(original)) }], accepted);
    const copy = await analyse(
      [{ name: `${DIR}/${name}`, ...(await protocolLogOf(`${DIR}/${name}`)) }],
      accepted,
    );
    expect(copy.statuses).toEqual(['done']);
    expect(copy.findings).toEqual(written.findings);
    expect(orderNotes(copy.notes)).toEqual([]);
  });

  it('keeps the refusal of ap@litware.com, and lee@contoso.com (answered 250) out of the findings', async () => {
    const accepted = await readFile(SAMPLE_ACCEPTED, 'utf8');
    for (const name of ['SEND20261128-1-sorted-on-date-time.LOG', 'SEND20261128-1-answers-swapped.LOG']) {
      const { findings } = await analyse([{ name, ...(await protocolLogOf(`${DIR}/${name}`)) }], accepted);
      expect(findings).toContain('ap@litware.com foreign-sender-domain invoices@tailspin-billing.com high');
      expect(findings.filter((finding) => finding.startsWith('lee@contoso.com'))).toEqual([]);
      expect(findings).toContain('orders@northwindtraders.com ndr  high');
    }
  });

  it('gives the findings of the log as written for any order of each session’s rows of one millisecond', async () => {
    const accepted = await readFile(SAMPLE_ACCEPTED, 'utf8');
    const { header, rows } = await protocolLogOf(SAMPLE);
    const written = await analyse([{ name: SAMPLE, header, rows }], accepted);
    expect(written.findings).toHaveLength(5);
    const sessions = [...new Set(rows.map(sessionOf))];
    expect(sessions).toHaveLength(4);
    const next = random(20261128);
    // A bounded sample of orders per session (its largest millisecond, the certificate lines, has 720).
    for (const id of sessions) {
      for (let sample = 0; sample < 16; sample++) {
        const shuffled = shuffledWithinDateTime(rows, (row) => sessionOf(row) === id, next);
        const copy = await analyse([{ name: SAMPLE, header, rows: shuffled }], accepted);
        expect(copy.statuses).toEqual(['done']);
        expect(copy.findings, `session ${id}, order ${sample}`).toEqual(written.findings);
        expect(orderNotes(copy.notes)).toEqual([]);
      }
    }
    // The rows of several sessions of one millisecond shuffled together: sessions are read apart.
    for (let sample = 0; sample < 16; sample++) {
      const shuffled = shuffledWithinDateTime(rows, () => true, next);
      const copy = await analyse([{ name: SAMPLE, header, rows: shuffled }], accepted);
      expect(copy.findings, `all sessions, order ${sample}`).toEqual(written.findings);
    }
  });

  it.each([
    ['18', '-1 then -2', false],
    ['18', '-2 then -1', true],
    ['21', '-1 then -2', false],
    ['21', '-2 then -1', true],
  ])(
    'joins a session cut by the rollover before its row %s, each part sorted on date-time alone, given %s',
    async (row, _, swapped) => {
      const accepted = await readFile(SAMPLE_ACCEPTED, 'utf8');
      const { header, rows } = await protocolLogOf(SAMPLE);
      const written = await analyse([{ name: SAMPLE, header, rows }], accepted);
      // Exchange rotates at ProtocolLogMaxFileSize between any two rows, here inside a millisecond of
      // session 08DF0074E51B0A27: between its two RCPT TOs (row 18), or between their answers (row 21,
      // the 550 for ap@litware.com). The second part's rows of the session go on from that row.
      const cut = rows.findIndex((line) => sessionOf(line) === '08DF0074E51B0A27' && cells(line)[3] === row);
      expect(dateTime(rows[cut] ?? '')).toBe(dateTime(rows[cut - 1] ?? ''));
      const parts = [
        { name: 'SEND20261128-1.LOG', header, rows: sortedOnDateTime(rows.slice(0, cut)) },
        { name: 'SEND20261128-2.LOG', header, rows: sortedOnDateTime(rows.slice(cut)) },
      ];
      const copy = await analyse(swapped ? [...parts].reverse() : parts, accepted);
      expect(copy.statuses).toEqual(['done', 'done']);
      expect(copy.findings).toEqual(written.findings);
      expect(orderNotes(copy.notes)).toEqual([]);
    },
  );
});

describe('a send protocol log whose rows of one millisecond cannot be put back in order', () => {
  it('reads a copy without the sequence-number column in the order of the file, and says so', async () => {
    const { header, rows } = await protocolLogOf(SESSION);
    // A SIEM export that left the column out: date-time, connector-id, session-id, then the rest.
    const drop = (line: string) => {
      const at = line.split(',', 4).join(',').length;
      return line.slice(0, line.lastIndexOf(',', at - 1)) + line.slice(at);
    };
    const withoutColumn = {
      name: 'SEND20261128-export.LOG',
      header: header.map((line) =>
        line.startsWith('#Fields:') ? line.replace(',sequence-number', '') : line,
      ),
      rows: rows.map(drop),
    };
    expect(withoutColumn.rows[0]).toBe(
      '2026-11-28T10:05:31.100Z,EX01\\Outbound to Office 365,08DF3C2B1A09F8F3,,,*,,attempting to connect',
    );
    const written = await analyse([{ name: SESSION, header, rows }], 'contoso.com');
    const copy = await analyse([withoutColumn], 'contoso.com');
    expect(copy.statuses).toEqual(['done']);
    expect(copy.findings).toEqual(written.findings);
    const [note, ...more] = orderNotes(copy.notes);
    expect(more).toEqual([]);
    // The RCPT TO rows of 10:05:31.162 share the MAIL FROM's millisecond (lines 12 to 14).
    expect(note?.message).toMatch(
      /^the log has no sequence-number column, and 2 rows of SMTP sessions share their date-time with another row of the session \(first: line 13\): they were read in the order of the file/,
    );
  });

  it('reads rows of a session that repeat a number at one millisecond in the order of the file, and says so', async () => {
    const { header, rows } = await protocolLogOf(SESSION);
    // Both RCPT TO rows numbered 7: which came first cannot be told.
    const repeated = rows.map((row) => row.replace(',08DF3C2B1A09F8F3,8,', ',08DF3C2B1A09F8F3,7,'));
    expect(repeated).not.toEqual(rows);
    const written = await analyse([{ name: SESSION, header, rows }], 'contoso.com');
    const copy = await analyse(
      [{ name: 'SEND20261128-repeated.LOG', header, rows: repeated }],
      'contoso.com',
    );
    expect(copy.findings).toEqual(written.findings);
    const [note] = orderNotes(copy.notes);
    expect(note?.message).toMatch(
      /^1 row of SMTP sessions could not be put in sequence-number order \(first: line 14, row 7 of session 08DF3C2B1A09F8F3 comes after its row 7, at the same date-time\)/,
    );
  });

  it('notes nothing for the logs as written, nor for rows filtered out of a session', async () => {
    const accepted = await readFile(SAMPLE_ACCEPTED, 'utf8');
    const { header, rows } = await protocolLogOf(SAMPLE);
    expect(orderNotes((await analyse([{ name: SAMPLE, header, rows }], accepted)).notes)).toEqual([]);
    // A log shipper that dropped the informational `*` rows: the numbers skip, the order is known.
    const filtered = rows.filter((row) => cells(row)[6] !== '*');
    const copy = await analyse([{ name: SAMPLE, header, rows: sortedOnDateTime(filtered) }], accepted);
    expect(copy.statuses).toEqual(['done']);
    expect(orderNotes(copy.notes)).toEqual([]);
    expect(copy.findings).toEqual(
      (await analyse([{ name: SAMPLE, header, rows: filtered }], accepted)).findings,
    );
  });
});
