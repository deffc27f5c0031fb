/**
 * An application relaying as a foreign domain through an anonymous relay connector stays
 * `foreign-sender-domain` when its receipt (naming the internal and the outside recipient) and the
 * refusal are in two files — analysed in one run, in two runs into one store in either order, and
 * after the nightly job: the inbound index keeps the outside recipients a receipt named, and every
 * correlation asks the classifier's rule. A real forward split the same way still becomes `forwarding`.
 * Fixtures: test/fixtures/real-world/anonymous-relay-rolled-over/ (described in its README.md).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';
import { dirPerTest } from '../support/dir-per-test.js';

const FOLDER = 'test/fixtures/real-world/anonymous-relay-rolled-over';
const RECEIPTS = `${FOLDER}/MSGTRK2026112810-1.LOG`;
const REFUSALS = `${FOLDER}/MSGTRK2026112810-2.LOG`;
const DOMAINS = ['--accepted-domains', 'contoso.com'];
/** What the files show: the application addressed both litware.com recipients; kate@ was forwarded. */
const EXPECTED = [
  ['ap@litware.com', 'foreign-sender-domain'],
  ['ar@litware.com', 'foreign-sender-domain'],
  ['kate@tailspintoys.com', 'forwarding'],
];
/** The Message-IDs of the fixture's three messages (a store may hold other uploads' findings). */
const OURS =
  /^<?(APP\.20261128\.\d+\.000[12]@app01\.contoso\.local|CAJx9pQ4vR2sT6uW8yZ0aB3c@mail\.fabrikam\.com)>?$/;
const dir = dirPerTest('relay-audit-relay-rolled-');

async function analyzeInto(db: string, path: string): Promise<{ thisRun: number; earlierRuns: number }> {
  const { status, out } = await cli('analyze', path, ...DOMAINS, '--db', db, '--json');
  expect(status, out.stderr).toBe(0);
  return JSON.parse(out.stdout).store.reclassifiedAsForwarding;
}

async function scenarios(db: string): Promise<string[][]> {
  const { out } = await cli('findings', '--db', db, '--format', 'ndjson');
  return out.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { messageId: string; recipient: string; scenario: string })
    .filter((finding) => OURS.test(finding.messageId))
    .map((finding) => [finding.recipient, finding.scenario])
    .sort(([a = ''], [b = '']) => a.localeCompare(b));
}

async function nightly(db: string): Promise<void> {
  const report = await cli('report', '--date', '2026-11-28', '--db', db, '--out', join(dir(), 'reports'));
  expect(report.status, report.out.stderr).toBe(0);
}

describe('an application relaying anonymously, its receipt and refusal in two files', () => {
  it('is foreign-sender-domain when both files are analysed in one run, and after the nightly job', async () => {
    const db = join(dir(), 'db');
    await analyzeInto(db, FOLDER);
    const afterRun = await scenarios(db);
    await nightly(db);
    expect(afterRun).toEqual(EXPECTED);
    expect(await scenarios(db)).toEqual(EXPECTED);
  });

  it('is foreign-sender-domain when one run reads both files into a store that holds other uploads', async () => {
    // Prepare: an earlier, unrelated upload, so that the run's end correlates with the store.
    const db = join(dir(), 'db');
    await analyzeInto(db, 'sample-logs/MSGTRK2026112800-2.LOG');
    // Act
    const reclassified = await analyzeInto(db, FOLDER);
    // Assess: the forward was forwarding already within the run; nothing is reclassified.
    expect(reclassified).toEqual({ thisRun: 0, earlierRuns: 0, complete: true });
    expect(await scenarios(db)).toEqual(EXPECTED);
  });

  it('is foreign-sender-domain when the receipt was analysed in an earlier run, and a forward is forwarding', async () => {
    const db = join(dir(), 'db');
    await analyzeInto(db, RECEIPTS);
    const second = await analyzeInto(db, REFUSALS);
    const afterRun = await scenarios(db);
    await nightly(db);
    // Only the forward's refusal is proven forwarding by the earlier receipt.
    expect(second).toMatchObject({ thisRun: 1, earlierRuns: 0 });
    expect(afterRun).toEqual(EXPECTED);
    expect(await scenarios(db)).toEqual(EXPECTED);
  });

  it('is foreign-sender-domain when the receipt comes in a later run, and a forward is forwarding', async () => {
    const db = join(dir(), 'db');
    await analyzeInto(db, REFUSALS);
    const alone = await scenarios(db);
    const second = await analyzeInto(db, RECEIPTS);
    const afterRun = await scenarios(db);
    await nightly(db);
    expect(alone.map(([, scenario]) => scenario)).toEqual([
      'foreign-sender-domain',
      'foreign-sender-domain',
      'foreign-sender-domain',
    ]);
    expect(second).toMatchObject({ thisRun: 0, earlierRuns: 1 });
    expect(afterRun).toEqual(EXPECTED);
    expect(await scenarios(db)).toEqual(EXPECTED);
  });
});
