/**
 * A Postfix mail.log and its rotated mail.log.1, analysed through the CLI into one store — together
 * in either order, or in separate runs — give each refusal one finding: under its Message-ID when a
 * file of the run names it, else under a stand-in that does not depend on where the rotation cut the
 * message's lines (docs/domain.md "Messages without a Message-ID"). Found by a hunt: a log rotated
 * between its `cleanup … message-id=` and `qmgr … from=` lines, and a log analysed alone before its
 * predecessor, stored the same refusal twice. Fixtures: test/fixtures/real-world/postfix-rotation/.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'postfix-rotation');
/** The log the first two pairs were cut from, whole (as a central syslog server keeps it). */
const UNROTATED = join(import.meta.dirname, '..', '..', 'sample-logs', 'postfix-mail.log');
const OPTIONS = ['--accepted-domains', 'contoso.com', '--year', '2026'];

interface StoredFinding {
  messageId: string;
  recipient: string;
  scenario: string;
  returnPath?: string;
}

let dir: string;
let db: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-postfix-rotation-'));
  db = join(dir, 'db');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fixture = (pair: string, name: string) => join(FIXTURES, pair, name);

async function analyzeInto(...files: string[]): Promise<void> {
  const { status, out } = await cli('analyze', ...files, ...OPTIONS, '--db', db);
  expect(status, out.stderr).toBe(0);
}

async function stored(): Promise<StoredFinding[]> {
  const { out } = await cli('findings', '--db', db, '--format', 'ndjson', '--limit', '1000');
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StoredFinding);
}

/** The stored findings of one recipient: message, scenario and sender. */
async function findingsOf(recipient: string): Promise<[string, string, string | undefined][]> {
  return (await stored())
    .filter((finding) => finding.recipient === recipient)
    .map((finding) => [finding.messageId, finding.scenario, finding.returnPath]);
}

const NOC_MESSAGE_ID = '20261128221002.3F7A21C0B4@app01.contoso.local';

describe('Postfix log rotated between the message-id= and from= lines of a message', () => {
  const previous = fixture('cut-after-message-id', 'mail.log.1');
  const next = fixture('cut-after-message-id', 'mail.log');

  for (const [order, files] of [
    ['mail.log.1 first', [previous, next]],
    ['mail.log first', [next, previous]],
  ] as const) {
    it(`names the refusal by the Message-ID of the other file (${order}), as the unrotated log does`, async () => {
      await analyzeInto(...files);
      const pair = await stored();
      await analyzeInto(UNROTATED);

      expect(pair).toHaveLength(5);
      expect(await stored()).toHaveLength(5);
      expect(await findingsOf('noc@adatum.com')).toEqual([
        [NOC_MESSAGE_ID, 'foreign-sender-domain', 'alerts@monitoring.contoso.com'],
      ]);
    });
  }
});

describe('Postfix log without message-id= lines, mail.log analysed before its mail.log.1', () => {
  const previous = fixture('no-message-id', 'mail.log.1');
  const next = fixture('no-message-id', 'mail.log');
  const standIn = 'postfix:relay01:3F7A21C0B4@2026-11-28T22';

  it('stores one finding per refusal: the stand-in does not depend on where the log was cut', async () => {
    await analyzeInto(next);
    const alone = await findingsOf('noc@adatum.com');
    await analyzeInto(previous, next);

    expect(await stored()).toHaveLength(5);
    expect(await findingsOf('noc@adatum.com')).toEqual([
      [standIn, 'foreign-sender-domain', 'alerts@monitoring.contoso.com'],
    ]);
    // Alone, mail.log lacks the from= line: the same stand-in, the sender still unknown.
    expect(alone).toEqual([[standIn, 'foreign-sender-domain', undefined]]);
  });

  it('gives the same findings in one run, in either order', async () => {
    await analyzeInto(next, previous);
    const reversed = await stored();
    await analyzeInto(previous, next);

    expect(await stored()).toEqual(reversed);
    expect(reversed).toHaveLength(5);
    expect(await findingsOf('noc@adatum.com')).toEqual([
      [standIn, 'foreign-sender-domain', 'alerts@monitoring.contoso.com'],
    ]);
  });
});

describe('Postfix deferral retried over the night the log rotated', () => {
  const previous = fixture('deferred-over-night', 'mail.log.1');
  const next = fixture('deferred-over-night', 'mail.log');
  const expected = [
    ['postfix:relay01:A1C3E5F709@2026-11-28T23', 'wrong-region', 'invoices@fabrikam-group.com'],
  ];

  it('is one finding when each file is analysed in its own run, in either order', async () => {
    await analyzeInto(previous);
    await analyzeInto(next);
    expect(await findingsOf('ap@woodgrovebank.com')).toEqual(expected);

    await rm(db, { recursive: true, force: true });
    await analyzeInto(next);
    await analyzeInto(previous);
    expect(await findingsOf('ap@woodgrovebank.com')).toEqual(expected);
  });

  it('is one finding when both files are analysed in one run', async () => {
    await analyzeInto(next, previous);
    expect(await findingsOf('ap@woodgrovebank.com')).toEqual(expected);
  });
});
