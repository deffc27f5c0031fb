/**
 * Ctrl+C while `analyze` reads the first file of a folder: every file of the run is accounted for.
 * The file being read is reported INTERRUPTED; the files after it, never read, are listed as not
 * analysed ("the run was stopped before it was read") in the text report and in `--json`'s
 * `notAnalysed`, the exit status is 130, and the advice is to run the same command again — which
 * then completes the store as one whole run would. The command runs as a user runs it (its own
 * process) and gets a real SIGINT mid-run, as in analyze-interrupt.test.ts.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTrackingLog } from '../../bench/generate-tracking-log.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { cli } from '../support/capture-output.js';
import { interruptedRun } from '../support/interrupted-run.js';
import { countsPerCell, findingsOf, storedCounters } from '../support/rollup-counts.js';

/** Small logs with relay refusals, read after the large one (names in natural order). */
const SMALL_LOGS = ['MSGTRK2026112800-1.LOG', 'MSGTRK2026112800-2.LOG', 'postfix-mail.log'];
const STOPPED_BEFORE = 'the run was stopped before it was read';

let dir: string;
let folder: string;
/** The command's options after the folder: the same for every run, so "the same command again" is. */
const options = ['--accepted-domains', 'contoso.com', '--year', '2026'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-interrupted-folder-'));
  folder = join(dir, 'logs');
  await mkdir(folder);
  // Large enough to be still in reading when the signal comes; first in the folder's order.
  const large = join(folder, 'MSGTRK2026112700-1.LOG');
  await generateTrackingLog(large, 12 * 1024 * 1024, 11);
  // The generator's notes on the log are no input: only the logs are in the folder.
  await rm(`${large}.meta.json`, { force: true });
  for (const name of SMALL_LOGS) await copyFile(join('sample-logs', name), join(folder, name));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `analyze <folder>` into `db` and sends it SIGINT mid-way through the large file. */
function interruptedFolderRun(db: string, ...extra: string[]) {
  return interruptedRun(db, ['analyze', folder, '--db', db, ...options, ...extra]);
}

describe('Ctrl+C during analyze of a folder', () => {
  it('--json lists the files not reached as not analysed, with why', async () => {
    const run = await interruptedFolderRun(join(dir, 'db-json'), '--json');

    expect(run.status).toBe(130);
    const summary = JSON.parse(run.stdout) as {
      sources: SourceRecord[];
      notAnalysed: { file: string; reason: string; mayHoldRefusals?: true }[];
    };
    // The file being read when the signal came...
    expect(summary.sources.map((source) => [basename(source.file), source.errorCode])).toEqual([
      ['MSGTRK2026112700-1.LOG', 'INTERRUPTED'],
    ]);
    // ...and every file after it, in order: none of the run's inputs goes unmentioned.
    expect(
      summary.notAnalysed.map(({ file, reason, mayHoldRefusals }) => [
        basename(file),
        reason,
        mayHoldRefusals,
      ]),
    ).toEqual(SMALL_LOGS.map((name) => [name, STOPPED_BEFORE, true]));
  });

  it('the report lists and counts them and says to run the same command again, which completes the store', async () => {
    // Prepare: what one whole run finds, and which of it only the small files hold.
    const whole = await cli('analyze', folder, '--no-store', ...options);
    const expected = [...findingsOf(whole.out.stdout).values()];
    const inSmallLogs = expected.filter((finding) => SMALL_LOGS.includes(basename(finding.source.file)));
    expect(inSmallLogs.length).toBeGreaterThan(0);
    const db = join(dir, 'db-text');

    // Act: interrupt a run, then run the same command again.
    const interrupted = await interruptedFolderRun(db);
    const stored = findingsOf((await cli('findings', '--db', db, '--format', 'ndjson')).out.stdout);
    const again = await cli('analyze', folder, '--db', db, ...options);
    const after = findingsOf((await cli('findings', '--db', db, '--format', 'ndjson')).out.stdout);

    // Assess: the report names all four files, the three never read among them...
    expect(interrupted.status).toBe(130);
    const report = interrupted.stdout;
    expect(report).toMatch(
      /^relay-audit: 4 files \(1 could not be analysed, 3 not read: the run was stopped\),/,
    );
    expect(report).toMatch(/MSGTRK2026112700-1\.LOG — not analysed: INTERRUPTED\n/);
    for (const name of SMALL_LOGS) expect(report).toContain(`${name} — not analysed: ${STOPPED_BEFORE}\n`);
    // ...which were indeed not read: nothing of theirs is stored.
    for (const finding of inSmallLogs) expect(stored.has(finding.id)).toBe(false);
    // The advice is the whole command again, not the one file read in part.
    expect(report).toContain(
      'The run was stopped before 4 files were read to the end (see above): run the same command again to analyse them',
    );
    expect(report).not.toContain('could not be analysed, as said above');
    // Following it leaves the findings and the counters of one whole run.
    expect(again.status).toBe(0);
    expect([...after.keys()].sort()).toEqual(expected.map((finding) => finding.id).sort());
    expect(await storedCounters(db, expected)).toEqual(countsPerCell(expected));
  });
});
