/**
 * A Postfix relay's traditional mail.log (its wall clock, no zone: read as UTC, time-zone-assumed) and
 * a `journalctl -o short-iso` export of the same lines (`+01:00`), no `message-id=` line in either:
 * each message is named by its queue id's stand-in (queuedMessageIdentity), whose hour is the relay's
 * wall clock as both files write it. One refusal read in both files counts once, in one run and in two
 * runs into one store, with the journal's time. Found by a hunt: the stand-in named the hour in UTC,
 * `…@2026-11-28T21` from the journal and `…T22` from mail.log, and every refusal counted twice.
 * Fixtures: test/fixtures/real-world/zoned-and-unzoned-mail-logs/.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { cli } from '../support/capture-output.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'zoned-and-unzoned-mail-logs');
const ROTATED = join(FIXTURES, 'mail.log.1');
const MAIL_LOG = join(FIXTURES, 'mail.log');
const JOURNAL = join(FIXTURES, 'postfix-journal.log');
const OPTIONS = ['--accepted-domains', 'contoso.com', '--year', '2026'];

/** The five refusals: each named as mail.log names it, at the time the journal gives (UTC). */
const EXPECTED = [
  ['postfix:relay01:3F7A21C0B4@2026-11-28T22', 'noc@adatum.com', '2026-11-28T21:10:03.000Z'],
  ['postfix:relay01:4B81D2E0C5@2026-11-28T22', 'alerts@monitoring.contoso.com', '2026-11-28T21:10:04.000Z'],
  ['postfix:relay01:5C92E3F1D6@2026-11-28T22', 'ap@litware.com', '2026-11-28T21:14:13.000Z'],
  ['postfix:relay01:5C92E3F1D6@2026-11-28T22', 'ar@litware.com', '2026-11-28T21:14:13.000Z'],
  ['postfix:relay01:7EB4051F38@2026-11-28T22', 'auditor@woodgrovebank.com', '2026-11-28T21:16:41.000Z'],
];

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-zoned-unzoned-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The findings of one `analyze --no-store` run over `files`. */
async function analysed(...files: string[]): Promise<Finding[]> {
  const { status, out } = await cli('analyze', ...files, ...OPTIONS, '--no-store', '--json');
  expect(status, out.stderr).toBe(0);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Finding);
}

/** What the test compares of findings: message, recipient, time, and whether the time was assumed UTC. */
function rows(findings: readonly Pick<Finding, 'messageId' | 'recipient' | 'timestamp' | 'evidence'>[]) {
  return findings
    .map((f) => [f.messageId, f.recipient.toLowerCase(), new Date(f.timestamp).toISOString(), zoneAssumed(f)])
    .sort((a, b) => String(a.slice(0, 2)).localeCompare(String(b.slice(0, 2))));
}

function zoneAssumed(finding: Pick<Finding, 'evidence'>): boolean {
  return finding.evidence.some((item) => item.kind === 'time-zone-assumed');
}

const EXPECTED_ROWS = EXPECTED.map((row) => [...row, false]);

/** `postfix-journal.log` with the offset written `+0100`, as some journalctl versions print it. */
async function journalWithoutColon(): Promise<string> {
  const file = join(dir, 'postfix-journal-0100.log');
  await writeFile(file, (await readFile(JOURNAL, 'utf8')).replaceAll('+01:00 ', '+0100 '));
  return file;
}

/**
 * `file` as rsyslog's `RSYSLOG_FileFormat` (RFC 3339, microseconds, the host's offset) writes it:
 * `Nov 28 22:10:03` becomes `2026-11-28T22:10:03.000000+01:00`.
 */
async function rfc3339(file: string, name: string): Promise<string> {
  const text = (await readFile(file, 'utf8')).replace(
    /^Nov (\d\d) (\d\d:\d\d:\d\d)/gm,
    (_line, day: string, time: string) => `2026-11-${day}T${time}.000000+01:00`,
  );
  await mkdir(join(dir, 'rfc3339'), { recursive: true });
  const copy = join(dir, 'rfc3339', name);
  await writeFile(copy, text);
  return copy;
}

describe('a traditional mail log and a journal export of the same relay, in one run', () => {
  it('names each message as mail.log alone does, by the hour of the relay’s wall clock', async () => {
    const alone = await analysed(ROTATED, MAIL_LOG);
    expect(rows(alone)).toEqual(
      EXPECTED.map(([messageId, recipient, timestamp]) => [
        messageId,
        recipient,
        new Date(Date.parse(timestamp as string) + 3_600_000).toISOString(),
        true,
      ]),
    );
    expect(rows(await analysed(JOURNAL))).toEqual(EXPECTED_ROWS);
  });

  it.each([
    ['mail.log first', '+01:00'],
    ['the journal first', '+01:00'],
    ['mail.log first', '+0100'],
    ['the journal first', '+0100'],
  ])('counts each refusal once, with the journal’s time (%s, %s)', async (order, offset) => {
    const journal = offset === '+01:00' ? JOURNAL : await journalWithoutColon();
    const files = order === 'mail.log first' ? [ROTATED, MAIL_LOG, journal] : [journal, ROTATED, MAIL_LOG];
    expect(rows(await analysed(...files))).toEqual(EXPECTED_ROWS);
  });

  it('gives a refusal in a zoned rotated log the sender of its message in the file before', async () => {
    // rsyslog's RFC 3339 dates: the stand-in's hour is the wall clock (22), an hour after UTC's;
    // the from= line of mail.log.1 (21:10:02Z) is still of the refused message, not an older one.
    const findings = await analysed(
      await rfc3339(ROTATED, 'mail.log.1'),
      await rfc3339(MAIL_LOG, 'mail.log'),
    );
    expect(rows(findings)).toEqual(EXPECTED_ROWS);
    const noc = findings.find((finding) => finding.recipient === 'noc@adatum.com');
    expect([noc?.returnPath, noc?.scenario]).toEqual([
      'alerts@monitoring.contoso.com',
      'foreign-sender-domain',
    ]);
  });
});

describe('a traditional mail log and a journal export of the same relay, in two runs into one store', () => {
  /** The stored findings, and what the counters of 28 November count. */
  async function storeOf(db: string) {
    const handle = await startEmbeddedStore({ dir: db });
    try {
      const findings = (await handle.store.queryFindings({ limit: 100 })).items;
      const counters = await handle.store.queryRollups({ from: '2026-11-28', to: '2026-11-28' });
      return { rows: rows(findings), counted: counters.reduce((sum, row) => sum + row.count, 0) };
    } finally {
      await handle.close();
    }
  }

  it.each([
    ['mail.log first', [[ROTATED, MAIL_LOG], [JOURNAL]]],
    ['the journal first', [[JOURNAL], [ROTATED, MAIL_LOG]]],
  ])('stores five findings, counted once each, with the journal’s time (%s)', async (_order, runs) => {
    const db = join(dir, 'db');
    for (const files of runs) {
      const { status, out } = await cli('analyze', ...files, ...OPTIONS, '--db', db);
      expect(status, out.stderr).toBe(0);
    }
    expect(await storeOf(db)).toEqual({ rows: EXPECTED_ROWS, counted: 5 });
  });
});
