/**
 * Raw Exchange logs holding only the `#Software` … `#Fields:` lines Exchange writes when it opens a
 * log file (a copied MessageTracking folder's MSGTRKMA/MSGTRKMS files). Beside files that gave rows,
 * such a log is read with no events and noted, and does not fail the run; when no file of the run
 * gave a row (named alone, a folder of them), it stays EMPTY_INPUT, exit 1, never "nothing to fix".
 * An export (CSV) with a header and no rows fails as before, wherever it is.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';
import { dirPerTest } from '../support/dir-per-test.js';

const FIXTURES = 'test/fixtures/real-world/empty-tracking-logs';
const EMPTY_LOGS = ['MSGTRKMA2026112800-1.LOG', 'MSGTRKMS2026112800-1.LOG', 'SEND20261128-2.LOG'];
/** A tracking log with events and relay refusals. */
const LOG_WITH_EVENTS = 'sample-logs/MSGTRK2026112800-1.LOG';
const ARGS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv', '--no-store'];
const EMPTY_LOG =
  'it holds only the #Software … #Fields: lines Exchange writes when it opens a log file, and no event: ' +
  'nothing was logged in it';

const dir = dirPerTest('relay-audit-empty-logs-');

interface Summary {
  sources: {
    file: string;
    status: string;
    errorCode?: string;
    errorMessage?: string;
    rowsRead: number;
    notes?: { code: string; message: string }[];
  }[];
}

/** A folder `MessageTracking` holding `files` (paths to copy), as shown in the report. */
async function folder(...files: string[]): Promise<{ path: string; shown: string }> {
  const path = join(dir(), 'MessageTracking');
  await mkdir(path);
  for (const file of files) await copyFile(file, join(path, file.split('/').pop() ?? file));
  // Given absolute, outside the working directory: shown so.
  return { path, shown: path };
}

const fixture = (name: string): string => `${FIXTURES}/${name}`;

describe('a raw Exchange log with only its header', () => {
  it('beside a log with events, in a folder: read with no events and noted, the run does not fail', async () => {
    const { path, shown } = await folder(LOG_WITH_EVENTS, ...EMPTY_LOGS.map(fixture));

    const { status, out } = await cli('analyze', path, ...ARGS);

    expect(status).toBe(0);
    expect(out.stderr).toMatch(/^relay-audit: 4 files, 30 rows, \d+ relay refusals → [1-9]\d* findings/);
    expect(out.stderr).not.toContain('EMPTY_INPUT');
    expect(out.stderr).not.toContain('could not be analysed');
    for (const [name, label] of [
      ['MSGTRKMA2026112800-1.LOG', 'tracking log'],
      ['MSGTRKMS2026112800-1.LOG', 'tracking log'],
      ['SEND20261128-2.LOG', 'send protocol log'],
    ]) {
      expect(out.stderr).toContain(
        `  ✓ ${shown}/${name} — ${label}: 0 rows, 0 analysed, 0 skipped; no relay refusals\n` +
          `      note (EMPTY_LOG): ${EMPTY_LOG}, so it holds no refusal\n`,
      );
    }
    // Every file is accounted for in the --json summary: done, with its note, and the same exit status.
    const json = await cli('analyze', path, ...ARGS, '--json');
    const summary = JSON.parse(json.out.stderr) as Summary;
    expect(json.status).toBe(0);
    expect(summary.sources).toHaveLength(4);
    for (const source of summary.sources.filter((each) => each.rowsRead === 0)) {
      expect(source).toMatchObject({ status: 'done', notes: [{ code: 'EMPTY_LOG' }] });
      expect(source.errorCode).toBeUndefined();
    }
    expect(summary.sources.filter((each) => each.rowsRead === 0)).toHaveLength(3);
  });

  it('named with a log with events (MSGTRK*.LOG as the shell expands it): read, the run does not fail', async () => {
    const { path } = await folder(LOG_WITH_EVENTS, fixture('MSGTRKMA2026112800-1.LOG'));

    const { status, out } = await cli(
      'analyze',
      join(path, 'MSGTRK2026112800-1.LOG'),
      join(path, 'MSGTRKMA2026112800-1.LOG'),
      ...ARGS,
    );

    expect(status).toBe(0);
    expect(out.stderr).toContain(`note (EMPTY_LOG): ${EMPTY_LOG}`);
  });

  it('named alone: EMPTY_INPUT in a log’s words, exit 1, no all-clear', async () => {
    const { path, shown } = await folder(fixture('MSGTRKMA2026112800-1.LOG'));

    const { status, out } = await cli('analyze', join(path, 'MSGTRKMA2026112800-1.LOG'), ...ARGS, '--json');
    const [source] = (JSON.parse(out.stderr) as Summary).sources;

    expect(status).toBe(1);
    expect(source).toMatchObject({
      status: 'failed',
      errorCode: 'EMPTY_INPUT',
      format: 'exchange-tracking-log',
    });
    expect(source?.errorMessage).toBe(
      `${shown}/MSGTRKMA2026112800-1.LOG: ${EMPTY_LOG}, and no file of the run gave a row to analyse, so ` +
        'nothing is known. Analyse the log files of the days in question, those with events in them.',
    );
  });

  it('a folder of nothing else: every one EMPTY_INPUT, exit 1, never "nothing to fix"', async () => {
    const { path } = await folder(...EMPTY_LOGS.map(fixture));

    const { status, out } = await cli('analyze', path, ...ARGS);

    expect(status).toBe(1);
    expect(out.stderr.match(/— not analysed: EMPTY_INPUT/g)).toHaveLength(3);
    expect(out.stderr).toContain('Nothing was analysed');
    expect(out.stderr).not.toContain('nothing to fix');
  });
});

describe('an export with a header and no rows', () => {
  it('beside a log with events and an empty log, in a folder: still EMPTY_INPUT, exit 1', async () => {
    // An export of a time range or filter without messages: the export, not the range, may be wrong.
    const { path, shown } = await folder(
      LOG_WITH_EVENTS,
      fixture('MSGTRKMA2026112800-1.LOG'),
      'test/fixtures/bad/header-only.csv',
    );

    const { status, out } = await cli('analyze', path, ...ARGS);

    expect(status).toBe(1);
    expect(out.stderr).toContain(`  ✗ ${shown}/header-only.csv — not analysed: EMPTY_INPUT\n`);
    expect(out.stderr).toContain('An export of a time range or filter without messages looks like this');
    expect(out.stderr).toContain(`  ✓ ${shown}/MSGTRKMA2026112800-1.LOG — tracking log: 0 rows`);
  });
});
