/**
 * A mail log whose last line, a whole refusal of a server tried before the last (Postfix `host … said:
 * 451 4.4.62 …`, Exim `H=…: SMTP error from remote mail server after …`), has no line end: an excerpt
 * saved without a final newline, lines pasted from a terminal, ending where the log rotated during the
 * attempt. Such a refusal is not handed on at once: the run holds it for the next file's delivery
 * lines (RotatedAttempts), which name its recipients. Found by a hunt: the file failed with
 * REFUSAL_NOT_READ ("line 6 could not be read … not this line") while the report held that line's
 * finding. Read, the line is only noted (LAST_LINE_CUT); one cut inside its code still fails the file.
 * Shapes: test/fixtures/real-world/cut-mail-logs/README.md (the rotation-gap fixtures without their
 * last line end).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';

const GAP = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'mail-log-rotation-gap');
const CUT_SAID = 'it is the last line and has no line end';

/** The fixture's lines up to `lines` (all of them: undefined), without the last one's line end. */
async function unended(path: string, lines?: number): Promise<string> {
  const all = (await readFile(join(GAP, path), 'utf8')).split('\n');
  if (all.at(-1) === '') all.pop();
  return all.slice(0, lines).join('\n');
}

/** `analyze` with --accepted-domains contoso.com --year 2026, as the command line runs it. */
async function analyse(files: readonly TextFile[]) {
  const { findings, sources } = await analyzeFiles(files, { year: 2026 });
  const source = (name: string) => {
    const found = sources.find((record) => record.file === name);
    if (found === undefined) throw new Error(`no source ${name}`);
    expect(found.rowsRead).toBe(found.rowsAnalysed + found.rowsSkipped);
    return found;
  };
  return {
    findings: findings.map((f) => [f.source.file, f.source.line, f.recipient ?? '', f.code]),
    source,
  };
}

const cutNote = (notes: readonly { code: string; message: string }[] | undefined) =>
  notes?.find((note) => note.code === 'LAST_LINE_CUT')?.message;

describe('a mail log ending in a refusal of a server tried before the last, without a line end', () => {
  it('Postfix (postfix-same-day/mail.log.3): both refusals read, the last line noted, the file not failed', async () => {
    const { findings, source } = await analyse([
      { name: 'mail.log.3', content: await unended('postfix-same-day/mail.log.3') },
    ]);
    expect(source('mail.log.3')).toMatchObject({ status: 'done', rowsRead: 6, rowsSkipped: 0 });
    expect(source('mail.log.3').errorCode).toBeUndefined();
    expect(findings).toEqual([
      ['mail.log.3', 3, '', '4.4.62'],
      ['mail.log.3', 6, '', '4.4.62'],
    ]);
    expect(cutNote(source('mail.log.3').notes)).toBe(
      `line 6: ${CUT_SAID}: the log looks copied while it was being written — copy it again once the log ` +
        'has rolled over (a new file begun). What it holds up to the cut was read.',
    );
  });

  it('Postfix, with the next rotation in the run: the cut line still takes its recipient from it', async () => {
    const { findings, source } = await analyse([
      { name: 'mail.log.3', content: await unended('postfix-same-day/mail.log.3') },
      { name: 'mail.log.1', content: await readFile(join(GAP, 'postfix-same-day/mail.log.1'), 'utf8') },
    ]);
    expect(source('mail.log.3').status).toBe('done');
    expect(findings.filter(([file]) => file === 'mail.log.3')).toEqual([
      ['mail.log.3', 3, '', '4.4.62'],
      ['mail.log.3', 6, 'ops@woodgrovebank.com', '4.4.62'],
    ]);
    expect(cutNote(source('mail.log.3').notes)).toMatch(/^line 6: /);
  });

  it('Exim (the first two lines of exim-two-days/mainlog.3): the refusal after the final dot is read', async () => {
    const { findings, source } = await analyse([
      { name: 'mainlog', content: await unended('exim-two-days/mainlog.3', 2) },
    ]);
    expect(source('mainlog')).toMatchObject({ status: 'done', rowsRead: 2, rowsSkipped: 0 });
    expect(findings).toEqual([['mainlog', 2, '', '4.4.62']]);
    expect(cutNote(source('mainlog').notes)).toMatch(/^line 2: /);
  });

  it('a repeat of a refusal read earlier in the file (a block read twice), as the last line: read, not failed', async () => {
    const whole = await unended('postfix-same-day/mail.log.3');
    const last = whole.split('\n').at(-1) as string;
    const { findings, source } = await analyse([{ name: 'mail.log', content: `${whole}\n${last}` }]);
    expect(source('mail.log')).toMatchObject({ status: 'done', rowsRead: 7, rowsSkipped: 0 });
    expect(findings.map(([, line]) => line)).toEqual([3, 6]);
    expect(cutNote(source('mail.log').notes)).toMatch(/^line 7: /);
  });

  it('one cut inside its code gave no refusal: the file still fails (REFUSAL_NOT_READ)', async () => {
    const postfix = await unended('postfix-same-day/mail.log.3');
    const exim = await unended('exim-two-days/mainlog.3', 2);
    const cuts = [
      ['mail.log', postfix.slice(0, postfix.lastIndexOf('4.4.62') + 5), 6],
      ['mainlog', exim.slice(0, exim.lastIndexOf('4.4.62') + 5), 2],
    ] as const;
    for (const [name, content, line] of cuts) {
      const { findings, source } = await analyse([{ name, content }]);
      expect(source(name)).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
      expect(source(name).skipped.at(-1)).toMatchObject({ line, reason: 'REFUSAL_NOT_READ' });
      expect(source(name).skipped.at(-1)?.message).toContain(
        `yet it holds relay-refusal text (4.4.6…, cut short: 4.4.62?); ${CUT_SAID}`,
      );
      expect(findings.some(([, at]) => at === line)).toBe(false);
    }
  });
});
