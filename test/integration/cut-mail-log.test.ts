/**
 * A mail log (or IIS SMTP log) copied while it was being written ends inside a line, without a line
 * end. The cut last line is said (`LAST_LINE_CUT`, or the skip of the line says it, as a tracking
 * log's does), a refusal read from it stands — a Postfix line cut inside its reason text is told by
 * its `dsn=` — and one that holds refusal text, or a relay-attribution code the cut left unreadable,
 * and gave no refusal fails the file (REFUSAL_NOT_READ): never "no relay refusals".
 * Shapes: test/fixtures/real-world/cut-mail-logs/README.md, and the sample logs cut at every character.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type FindingSink } from '../../functions/core/analysis/analyze.js';
import { refusalMarkerIn } from '../../functions/core/analysis/evidence/rejections.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';

const ROOT = join(import.meta.dirname, '../..');
const CUT_SAID = 'it is the last line and has no line end';

class Sink implements FindingSink {
  public readonly findings: Finding[] = [];
  public async putFindings(findings: Finding[]): Promise<void> {
    this.findings.push(...findings);
  }
  public async putSource(): Promise<void> {}
}

async function analyse(name: string, text: string) {
  const sink = new Sink();
  const result = await analyze(
    [
      {
        name,
        sourceId: name,
        open: async function* () {
          yield Buffer.from(text);
        },
      },
    ],
    { domains: parseAcceptedDomains('contoso.com', 'test'), sink },
  );
  const source = result.sources[0] as SourceRecord;
  expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
  return { source, findings: sink.findings };
}

const sample = (file: string): string => readFileSync(join(ROOT, 'sample-logs', file), 'utf8');

/** The sample log's lines before `line`, and that line: the file a copy cut inside it holds. */
function cutLine(file: string, line: number) {
  const lines = sample(file).split('\n');
  const before = `${lines.slice(0, line - 1).join('\n')}\n`;
  const text = (lines[line - 1] as string).replace(/\r$/, '');
  return {
    text,
    /** The file cut `n` characters into the line. */
    at: (n: number): string => before + text.slice(0, n),
    /** The file cut right after `what` (its first occurrence in the line). */
    after: (what: string): string => {
      const at = text.indexOf(what);
      if (at === -1) throw new Error(`"${what}" is not in line ${line} of ${file}`);
      return before + text.slice(0, at + what.length);
    },
  };
}

const POSTFIX_REFUSAL = cutLine('postfix-mail.log', 7);
const POSTFIX_DEFERRAL = cutLine('postfix-mail.log', 27);
const POSTFIX_SENT = cutLine('postfix-mail.log', 21);
const SENDMAIL_REFUSAL = cutLine('sendmail-maillog.log', 8);
const EXIM_REFUSAL = cutLine('exim-mainlog.log', 3);
const EXIM_DEFERRAL = cutLine('exim-mainlog.log', 15);
const IIS_REFUSAL = cutLine('iis-smtp-ex261128.log', 13);

const cutNote = (source: SourceRecord) => source.notes?.find((note) => note.code === 'LAST_LINE_CUT');

describe('a mail log whose last line is cut short', () => {
  it('reads a Postfix refusal cut inside its reason text from dsn=, and notes the cut', async () => {
    const file = 'test/fixtures/real-world/cut-mail-logs/postfix-cut-in-reason.log';
    const { source, findings } = await analyse('mail.log', readFileSync(join(ROOT, file), 'utf8'));
    expect(source).toMatchObject({ status: 'done', rowsRead: 7, rowsAnalysed: 6, rejections: 1 });
    expect(findings).toEqual([
      expect.objectContaining({
        recipient: 'noc@adatum.com',
        code: '5.7.64',
        scenario: 'foreign-sender-domain',
        rejectionText: '5.7.64 host contoso-com.mail.',
      }),
    ]);
    expect(findings[0]?.source.line).toBe(7);
    expect(cutNote(source)?.message).toBe(
      `line 7: ${CUT_SAID}: the log looks copied while it was being written — copy it again once the log ` +
        'has rolled over (a new file begun). What it holds up to the cut was read.',
    );
  });

  it("reads it from dsn= when the cut is inside the server's code: 550 5.7.6, 451 4.4.6", async () => {
    const refused = await analyse('mail.log', POSTFIX_REFUSAL.after('said: 550 5.7.6'));
    expect(refused.findings.map((finding) => [finding.source.line, finding.code])).toEqual([[7, '5.7.64']]);
    expect(cutNote(refused.source)?.message).toMatch(/^line 7: /);

    const deferred = await analyse('mail.log', POSTFIX_DEFERRAL.after('said: 451 4.4.6'));
    expect(deferred.source.status).toBe('done');
    expect(deferred.findings.filter((finding) => finding.source.line === 27)).toEqual([
      expect.objectContaining({ recipient: 'auditor@woodgrovebank.com', code: '4.4.62' }),
    ]);
  });

  it('notes the cut of a line whose refusal was read whole', async () => {
    const { source, findings } = await analyse('mail.log', POSTFIX_REFUSAL.after('said: 550 5.7.64'));
    expect(findings.map((finding) => finding.code)).toEqual(['5.7.64']);
    expect(cutNote(source)?.message).toMatch(/^line 7: it is the last line and has no line end/);
  });

  it('fails the file for a Postfix line cut before its status, the skip saying the line is cut', async () => {
    const { source } = await analyse('mail.log', POSTFIX_REFUSAL.after('dsn=5.7.64, '));
    expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(source.skipped).toEqual([expect.objectContaining({ line: 7, reason: 'REFUSAL_NOT_READ' })]);
    expect(source.skipped[0]?.message).toMatch(
      /, yet it holds relay-refusal text \(5\.7\.64\); it is the last line and has no line end: the log looks copied while it was being written — copy it again once the log has rolled over/,
    );
    expect(source.errorMessage).toMatch(/: line 7 could not be read — .* Analyse the new copy\.$/);
    expect(cutNote(source)).toBeUndefined();
  });

  it('fails the file for a line cut inside a relay-attribution code nothing else names', async () => {
    const cuts = [
      [POSTFIX_REFUSAL.after('dsn=5.7.6'), 7, '5.7.6…, cut short: 5.7.64?'],
      [EXIM_REFUSAL.after(': 550 5.7.6'), 3, '5.7.6…, cut short: 5.7.64?'],
      [EXIM_REFUSAL.after(': 550 5.7'), 3, '5.7…, cut short: 5.7.64?'],
      [EXIM_DEFERRAL.after(': 451 4.4.'), 15, '4.4.…, cut short: 4.4.62?'],
    ] as const;
    for (const [text, line, marker] of cuts) {
      const { source, findings } = await analyse('mail.log', text);
      expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
      expect(source.skipped.at(-1)).toMatchObject({ line, reason: 'REFUSAL_NOT_READ' });
      expect(source.skipped.at(-1)?.message).toContain(
        `yet it holds relay-refusal text (${marker}); ${CUT_SAID}`,
      );
      // The cut line's failure, an event of no refusal, is handed on with it: nothing of it is found.
      expect(findings.some((finding) => finding.source.line === line)).toBe(false);
    }
    const exim = await analyse('mainlog', EXIM_REFUSAL.after(': 550 5.7.6'));
    expect(exim.source.skipped[0]?.message).toBe(
      `what was read of it gave no relay refusal, yet it holds relay-refusal text (5.7.6…, cut short: 5.7.64?); ${CUT_SAID}: ` +
        'the log looks copied while it was being written — copy it again once the log has rolled over (a new file begun)',
    );
  });

  it('treats sendmail and IIS SMTP lines alike', async () => {
    const stat = await analyse('maillog', SENDMAIL_REFUSAL.after('stat=Service unav'));
    expect(stat.source.status).toBe('done');
    expect(
      stat.findings.filter((finding) => finding.source.line === 8).map((finding) => finding.code),
    ).toEqual(['5.7.64']);
    expect(cutNote(stat.source)?.message).toMatch(/^line 8: it is the last line and has no line end/);

    const dsn = await analyse('maillog', SENDMAIL_REFUSAL.after('dsn=5.7.64,'));
    expect(dsn.source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(dsn.source.skipped.at(-1)?.message).toMatch(
      /yet it holds relay-refusal text \(5\.7\.64\); it is the last line and has no line end: the log looks copied while it was being written/,
    );

    const iis = await analyse('ex261128.log', IIS_REFUSAL.after('550+5.7.64+Tenant'));
    expect(iis.source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(iis.source.skipped.at(-1)?.message).toMatch(
      /yet it holds relay-refusal text \(5\.7\.64\); it is the last line and has no line end: the log looks copied while it was being written/,
    );
  });

  it('reads and notes a cut line without refusal text; a whole log, or a JSON trace without a line end, has no note', async () => {
    const sent = await analyse('mail.log', POSTFIX_SENT.after('status=sent (250 2.6.0 <PRN'));
    const ended = await analyse('mail.log', `${POSTFIX_SENT.at(POSTFIX_SENT.text.length)}\n`);
    // Read as the line would be whole: analysed, not skipped.
    expect(sent.source).toMatchObject({
      status: 'done',
      rowsRead: 21,
      rowsAnalysed: ended.source.rowsAnalysed,
      rejections: ended.source.rejections,
    });
    expect(sent.source.skipped.some((row) => row.line === 21)).toBe(false);
    expect(cutNote(sent.source)?.message).toMatch(/^line 21: it is the last line/);
    expect(cutNote(ended.source)).toBeUndefined();

    const whole = await analyse('mail.log', sample('postfix-mail.log'));
    expect(whole.source.status).toBe('done');
    expect(cutNote(whole.source)).toBeUndefined();

    // Another program's line, counted as such: its text is no delivery's, however it ends.
    const kernel = await analyse(
      'syslog',
      `${sample('postfix-mail.log')}Nov 28 22:40:01 relay01 kernel: [    5.7`,
    );
    expect(kernel.source).toMatchObject({
      status: 'done',
      rowsAnalysed: whole.source.rowsAnalysed,
      rowsSkipped: whole.source.rowsSkipped + 1,
    });
    expect(kernel.source.skipped).toEqual([]);
    expect(cutNote(kernel.source)?.message).toMatch(/^line 33: it is the last line/);

    const json = sample('graph-trace-details.json').trimEnd();
    const trace = await analyse('details.json', json);
    expect(trace.source.status).toBe('done');
    expect(cutNote(trace.source)).toBeUndefined();
    expect(trace.source.skipped).toEqual([]);
  });

  it('never says "no relay refusals" of a refusal line cut at any character, and always says it is cut', async () => {
    const lines = [
      [POSTFIX_REFUSAL, 7],
      [POSTFIX_DEFERRAL, 27],
      [SENDMAIL_REFUSAL, 8],
      [EXIM_REFUSAL, 3],
      [EXIM_DEFERRAL, 15],
      [IIS_REFUSAL, 13],
    ] as const;
    for (const [cut, line] of lines) {
      for (let n = 1; n <= cut.text.length; n++) {
        const { source, findings } = await analyse('cut.log', cut.at(n));
        const where = `line ${line} cut after ${JSON.stringify(cut.text.slice(Math.max(0, n - 24), n))}`;
        const skip = source.skipped.find((row) => row.line === line);
        const said =
          skip?.message.includes(CUT_SAID) ?? cutNote(source)?.message.startsWith(`line ${line}: `);
        expect(said, where).toBe(true);
        if (refusalMarkerIn(cut.text.slice(0, n)) === undefined) continue;
        const found = findings.some((finding) => finding.source.line === line);
        expect(found || source.errorCode === 'REFUSAL_NOT_READ', where).toBe(true);
      }
    }
  });
});
