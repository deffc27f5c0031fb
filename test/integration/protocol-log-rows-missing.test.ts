/**
 * A send protocol log with rows missing inside a session while commands await their answers: the
 * logs left after circular logging deleted the one between, joined into one file (`type SEND*.LOG >
 * all.log`), or a log shipper's rule dropping every `250` answer. Exchange numbers each row of a
 * session, so the skip is seen: the answers after it are paired once the answers that follow tell
 * how (a 354 answers DATA, a 221 the QUIT), never by position as if nothing were missing, and a
 * refusal they do not tell is given without recipient, with a note naming the session and rows.
 * Fixtures: test/fixtures/real-world/smtp-transactions/rolled-over-runs/ (README.md).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/smtp-transactions/rolled-over-runs';

/** Each finding's message, recipient and sender, and its id (the same for the same refusal of the same session). */
const said = (findings: readonly Finding[]) =>
  findings.map((f) => [f.id, f.messageId, f.recipient, f.returnPath, f.scenario].join(' | ')).sort();

async function analyse(name: string, content?: string) {
  const { findings, sources } = await analyzeFiles(
    [{ name, content: content ?? (await readFile(`${DIR}/${name}`)) }],
    { accepted: 'contoso.com' },
  );
  return {
    said: said(findings),
    recipients: findings.map((f) => f.recipient || '(none)').sort(),
    notes: sources.flatMap((source) => source.notes ?? []),
  };
}

describe('a send protocol log with rows missing inside a session', () => {
  it('pairs the refusal after the missing answers with its own RCPT TO, not an accepted one: the joined logs give the whole log’s findings', async () => {
    const whole = await analyse('whole.LOG');
    const joined = await analyse('missing-middle-joined.LOG');
    expect(joined.recipients).toEqual(['bad@adatum.com', 'x1@adatum.com', 'x2@adatum.com']);
    expect(joined.said).toEqual(whole.said);
    expect(joined.notes.map((note) => note.code)).toEqual(['ANSWERS_UNPAIRED']);
    expect(joined.notes[0]?.message).toContain('session 08DF3C2B1A09F8F3: sequence-number 10–11');
    expect(whole.notes).toEqual([]);
  });

  it('gives no recipient the log does not show accepted when every 250 answer was dropped', async () => {
    const run = await analyse('no-250-answers.LOG');
    // bad@ is told by the 354 to DATA after it; the recipients M2's message refusal refuses were
    // accepted in rows not in the log: one finding without recipient, none for ok1@ or ok2@.
    expect(run.recipients).toEqual(['(none)', 'bad@adatum.com']);
    expect(run.said.some((line) => line.includes('M2@EX01.contoso.local'))).toBe(true);
    expect(run.notes.map((note) => note.code)).toEqual(['ANSWERS_UNPAIRED']);
    expect(run.notes[0]?.message).toContain('sequence-number 10–11, 13');
    expect(run.notes[0]?.message).toContain('sequence-number 22–24');
  });

  it('gives a refusal the rows after it cannot pair without recipient, naming its line, never dropping it', async () => {
    // whole.LOG to its row 12 (the 550 to bad@'s RCPT TO), rows 10–11 missing, then the connection ends.
    const lines = (await readFile(`${DIR}/whole.LOG`, 'utf8')).split('\r\n');
    const rows = lines.filter((line) => {
      const sequence = Number(line.split(',')[3]);
      return (
        line.startsWith('#') ||
        line.startsWith('\ufeff#') ||
        (sequence <= 12 && sequence !== 10 && sequence !== 11)
      );
    });
    rows.push(
      '2026-11-28T10:05:31.090Z,EX01\\Outbound to Office 365,08DF3C2B1A09F8F3,13,10.0.1.11:41873,52.101.1.1:25,-,,Remote',
    );
    const run = await analyse('SEND-cut.LOG', `${rows.join('\r\n')}\r\n`);
    expect(run.recipients).toEqual(['(none)']);
    expect(run.notes.map((note) => note.code)).toEqual(['ANSWERS_UNPAIRED']);
    expect(run.notes[0]?.message).toContain('1 refusal after them (line 16)');
  });
});
