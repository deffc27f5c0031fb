/**
 * A send protocol log and a message tracking log joined into one file (`cat SEND….LOG MSGTRK….LOG >
 * all.log`, `type *.LOG > all.log` in a folder holding both): relay-audit reads each kind as a file of
 * its own, so the joined part's rows are not read. The failure names what that part is and says to
 * split the file where it begins, or to analyse the original logs (together in one run), which reads
 * every refusal. Built from sample-logs/ (described in its README.md), joined as `cat` joins them.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';

const SEND = 'sample-logs/SEND20261128-1.LOG';
const TRACKING = 'sample-logs/MSGTRK2026112800-1.LOG';
const ADVICE_END =
  'and analyse both parts, or analyse the original logs as separate files (they may be given together in one run).';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-joined-kinds-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The files joined byte for byte into `all.LOG`, as `cat` and `type` do. */
async function joined(...files: string[]): Promise<string> {
  const file = join(dir, 'all.LOG');
  await writeFile(file, Buffer.concat(await Promise.all(files.map((each) => readFile(each)))));
  return file;
}

async function analyseNoStore(...files: string[]): Promise<{ status: number; report: string }> {
  const { status, out } = await cli('analyze', ...files, '--no-store');
  return { status, report: out.stderr };
}

describe('a send protocol log and a tracking log joined into one file', () => {
  it('names the tracking log joined after the send log, and says to split the file where it begins', async () => {
    const { status, report } = await analyseNoStore(await joined(SEND, TRACKING));
    expect(status).toBe(1);
    expect(report).toContain('not analysed: REFUSAL_NOT_READ');
    expect(report).toContain(
      'after the #Fields: line on line 107, of an Exchange message tracking log joined to the Exchange SMTP ' +
        'send protocol log before it, rows are not read',
    );
    expect(report).toContain(
      'relay-audit reads each kind of log as a file of its own: split the file before line 103, where the ' +
        `Exchange message tracking log begins, ${ADVICE_END}`,
    );
    expect(report).not.toContain("which is not a message tracking log's");
    expect(report).not.toContain('Copy or export the file again');
  });

  it('names the send log joined after the tracking log', async () => {
    const { status, report } = await analyseNoStore(await joined(TRACKING, SEND));
    expect(status).toBe(1);
    expect(report).toContain(
      'after the #Fields: line on line 40, of an Exchange SMTP send protocol log joined to the Exchange ' +
        'message tracking log before it, rows are not read',
    );
    expect(report).toContain(
      `split the file before line 36, where the Exchange SMTP send protocol log begins, ${ADVICE_END}`,
    );
    expect(report).not.toContain('Copy or export the file again');
  });

  it('reads every refusal of the original logs given together, as the advice says', async () => {
    const { status, report } = await analyseNoStore(SEND, TRACKING);
    expect(status).toBe(0);
    expect(report).not.toContain('REFUSAL_NOT_READ');
  });
});
