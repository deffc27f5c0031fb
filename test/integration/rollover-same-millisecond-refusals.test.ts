/**
 * sample-logs/SEND20261128-1.LOG rolled over inside a pipelined transaction: session
 * 08DF006B9F7584FE sends MAIL FROM and two RCPT TO (treasury@ and controller@woodgrovebank.com),
 * and Exchange Online answers both RCPT TO with the same `451 4.4.62 … ATTR35` in one millisecond.
 * Cut between those RCPT TO rows and their answers, the later log holds two refusals that name no
 * recipient, of no known message, with the same time and text; read before the earlier log, the
 * second was taken for a repeat of the first and lost (one recipient's finding gone, no note, exit
 * 0). The test/fixtures/real-world/smtp-transactions/ logs that rollover-transactions.test.ts cuts
 * after every row have no two refusals of one session in one millisecond with one text, so they
 * could not show it.
 *
 * The log is cut after every row (two logs, both orders) and, in three, at every pair of rows inside
 * that session's transaction and a sample of the others (all six orders): each run gives the whole
 * log's findings — ids, messages, recipients, senders, scenarios — and its notes.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';
import { ACCEPTED, SAMPLE, SESSION, said, sampleSendLog } from '../support/sample-send-log.js';

async function analyse(files: readonly TextFile[], accepted: string) {
  const { findings, sources } = await analyzeFiles(files, { accepted });
  return {
    said: said(findings),
    notes: sources.flatMap((source) => source.notes ?? []).map((note) => note.code),
  };
}

/** The log cut after each of its `rows`-th rows (ascending), each log with the header lines again. */
function cut(head: readonly string[], body: readonly string[], rows: readonly number[]): TextFile[] {
  return [0, ...rows].map((from, at) => ({
    name: `SEND20261128-${at + 1}.LOG`,
    content: `${[...head, ...body.slice(from, rows[at] ?? body.length)].join('\r\n')}\r\n`,
  }));
}

/** The rows of the session's refused transaction: from its MAIL FROM to its last answer before RSET. */
function transaction(body: readonly string[]): { from: number; to: number } {
  const of = (text: RegExp) => body.findIndex((row) => row.includes(`,${SESSION},`) && text.test(row));
  const from = of(/,>,MAIL FROM:/);
  const to = of(/,>,RSET,/);
  return { from, to };
}

describe('a send protocol log rolled over between two RCPT TO and their two 451 of one millisecond', () => {
  it('gives both recipients the whole log refuses, cut after any row, either log read first', async () => {
    const accepted = await readFile(ACCEPTED, 'utf8');
    const { head, body } = await sampleSendLog();
    const whole = await analyse([{ name: SAMPLE, content: await readFile(SAMPLE) }], accepted);
    const refused = whole.said.filter((line) => line.includes('| wrong-region |'));
    expect(refused.map((line) => line.split(' | ')[2])).toEqual([
      'controller@woodgrovebank.com',
      'treasury@woodgrovebank.com',
    ]);
    const { from, to } = transaction(body);
    // The two 451 are consecutive rows right before RSET, after the RCPT TO rows (pipelined).
    expect(body[to - 1]).toMatch(/,<,451 4\.4\.62 /);
    expect(body[to - 2]).toMatch(/,<,451 4\.4\.62 /);
    expect(to - from).toBeGreaterThan(4);
    for (let at = 1; at < body.length; at++) {
      const [first, next] = cut(head, body, [at]) as [TextFile, TextFile];
      for (const files of [
        [first, next],
        [next, first],
      ]) {
        const inside = at > from && at < to ? ' (inside the transaction)' : '';
        const label = `cut after ${at} rows${inside}, ${files[0]?.name} read first`;
        expect(await analyse(files, accepted), label).toEqual(whole);
      }
    }
  });

  it('gives the whole log’s findings cut in three, each log of the transaction’s rows read in any order', async () => {
    const accepted = await readFile(ACCEPTED, 'utf8');
    const { head, body } = await sampleSendLog();
    const whole = await analyse([{ name: SAMPLE, content: await readFile(SAMPLE) }], accepted);
    const { from, to } = transaction(body);
    const ORDERS = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ] as const;
    let tried = 0;
    for (let first = 1; first < body.length - 1; first++) {
      for (let second = first + 1; second < body.length; second++) {
        // Every pair inside the transaction (a middle log of one 451, say); one pair in 97 elsewhere.
        const inside = first >= from && second <= to;
        if (!inside && (first * 7 + second) % 97 !== 0) continue;
        const logs = cut(head, body, [first, second]);
        for (const order of ORDERS) {
          const files = order.map((at) => logs[at] as TextFile);
          const label = `cut after ${first} and ${second} rows, read ${files.map((f) => f.name).join(', ')}`;
          expect(await analyse(files, accepted), label).toEqual(whole);
          tried++;
        }
      }
    }
    expect(tried).toBeGreaterThan(500);
  });

  it('keeps both refusals, without a recipient, when the run lacks the log with their RCPT TO rows', async () => {
    const accepted = await readFile(ACCEPTED, 'utf8');
    const { head, body } = await sampleSendLog();
    const { to } = transaction(body);
    // The later log begins with the two 451: the RCPT TO rows and MAIL FROM's 250 are in the earlier.
    const [, later] = cut(head, body, [to - 2]) as [TextFile, TextFile];
    const alone = await analyse([later], accepted);
    const unnamed = alone.said.filter((line) => line.includes('| wrong-region |'));
    expect(unnamed).toHaveLength(2);
    for (const line of unnamed) expect(line.split(' | ')[2]).toBe('');
    expect(alone.notes).toContain('SESSIONS_JOINED_LATE');
  });
});
