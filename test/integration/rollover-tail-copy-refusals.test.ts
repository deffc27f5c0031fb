/**
 * A log forwarder (Fluent Bit's `tail` input, NXLog's `im_file`) that begins following a send protocol
 * log while Exchange writes it starts at the row it found the file at: its copy is the log from that
 * row on, and an administrator may analyse it together with the log itself, or with another copy
 * begun at another row. sample-logs/SEND20261128-1.LOG has session 08DF006B9F7584FE send two RCPT TO
 * (treasury@ and controller@woodgrovebank.com), both answered `451 4.4.62 … ATTR35` in one
 * millisecond. A copy begun after those RCPT TO rows holds two refusals naming no recipient; keyed by
 * the number of the session's first row in the copy and the answer's place there, two copies begun at
 * different rows gave four (#9+1, #9+2 against #10+0, #10+1). Each answer's own `sequence-number`
 * (Exchange numbers every row of a session, on across a rollover) is the same in every copy: two
 * refusals, however many copies, and still two for the two answers of one millisecond.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';
import { ACCEPTED, SAMPLE, SESSION, said, sampleSendLog } from '../support/sample-send-log.js';

const wrongRegion = (lines: readonly string[]) => lines.filter((line) => line.includes('| wrong-region |'));
const recipientOf = (line: string) => line.split(' | ')[2];

async function analyse(files: readonly TextFile[]) {
  const { findings } = await analyzeFiles(files, { accepted: await readFile(ACCEPTED, 'utf8') });
  return said(findings);
}

/** The log's header lines and rows, and where the session's last RCPT TO and first 451 are. */
async function sample() {
  const { head, body } = await sampleSendLog();
  const ofSession = (row: string, text: RegExp) => row.includes(`,${SESSION},`) && text.test(row);
  const lastRcpt = body.findLastIndex((row) => ofSession(row, /,>,RCPT TO:/));
  const first451 = body.findIndex((row) => ofSession(row, /,<,451 4\.4\.62 /));
  return { head, body, lastRcpt, first451 };
}

/** The log's rows `from` to `to` (its end when left out), with its header lines, as a file. */
function rows(
  head: readonly string[],
  body: readonly string[],
  name: string,
  from: number,
  to?: number,
): TextFile {
  return { name, content: `${[...head, ...body.slice(from, to)].join('\r\n')}\r\n` };
}

describe('copies of a send protocol log begun at different rows of a session begun before them', () => {
  it('count the two unnamed refusals of one millisecond once each, either copy read first', async () => {
    const { head, body, lastRcpt, first451 } = await sample();
    // The hunt's pair: the log from the row after the RCPT TO rows, and a copy from the first 451.
    expect(first451 - lastRcpt).toBeGreaterThan(2);
    expect(body[first451 + 1]).toMatch(/,<,451 4\.4\.62 /);
    const log = rows(head, body, 'SEND20261128-2.LOG', lastRcpt + 1);
    const copy = rows(head, body, 'SEND20261128-2-tailcopy.LOG', first451);
    const alone = wrongRegion(await analyse([log]));
    expect(alone).toHaveLength(2);
    for (const line of alone) expect(recipientOf(line)).toBe('');
    // Each copy alone keys them alike: the same two findings.
    expect(wrongRegion(await analyse([copy]))).toEqual(alone);
    for (const files of [
      [log, copy],
      [copy, log],
    ]) {
      const label = `${files[0]?.name} read first`;
      expect(wrongRegion(await analyse(files)), label).toEqual(alone);
    }
  });

  it('count each refusal once with copies begun at every row between the RCPT TO rows and the 451s', async () => {
    const { head, body, lastRcpt, first451 } = await sample();
    const copies: TextFile[] = [];
    for (let from = lastRcpt + 1; from <= first451; from++)
      copies.push(rows(head, body, `SEND20261128-2-from${from}.LOG`, from));
    const alone = wrongRegion(await analyse([copies[0] as TextFile]));
    expect(alone).toHaveLength(2);
    expect(wrongRegion(await analyse(copies)), 'all copies, oldest start first').toEqual(alone);
    expect(wrongRegion(await analyse([...copies].reverse())), 'all copies, latest start first').toEqual(
      alone,
    );
    // Each pair of copies, both orders.
    for (const [a, first] of copies.entries()) {
      for (const second of copies.slice(a + 1)) {
        for (const files of [
          [first, second],
          [second, first],
        ]) {
          const label = files.map((file) => file.name).join(', ');
          expect(wrongRegion(await analyse(files)), label).toEqual(alone);
        }
      }
    }
  });

  it('with the log that has the RCPT TO rows, gives the whole log’s findings once each, in any order', async () => {
    const { head, body, lastRcpt, first451 } = await sample();
    const whole = await analyse([{ name: SAMPLE, content: await readFile(SAMPLE) }]);
    expect(wrongRegion(whole).map(recipientOf)).toEqual([
      'controller@woodgrovebank.com',
      'treasury@woodgrovebank.com',
    ]);
    // The copy's session begins at row #10: row #9 (MAIL FROM's 250) is only in the log, which does
    // not hand the session on (it ends there): the copy's answers are joined as the log reads them.
    const earlier = rows(head, body, 'SEND20261128-1.LOG', 0, lastRcpt + 1);
    const log = rows(head, body, 'SEND20261128-2.LOG', lastRcpt + 1);
    const copy = rows(head, body, 'SEND20261128-2-tailcopy.LOG', first451);
    const ORDERS = [
      [earlier, log, copy],
      [earlier, copy, log],
      [log, earlier, copy],
      [log, copy, earlier],
      [copy, earlier, log],
      [copy, log, earlier],
    ];
    for (const files of ORDERS) {
      const label = `read ${files.map((file) => file.name).join(', ')}`;
      expect(await analyse(files), label).toEqual(whole);
    }
    // And with a copy begun at every row from the one after the RCPT TO rows to the first 451.
    const copies: TextFile[] = [];
    for (let from = lastRcpt + 1; from <= first451; from++)
      copies.push(rows(head, body, `SEND20261128-2-from${from}.LOG`, from));
    expect(await analyse([earlier, ...copies]), 'the earlier log first').toEqual(whole);
    expect(await analyse([...copies].reverse().concat(earlier)), 'the earlier log last').toEqual(whole);
  });
});
