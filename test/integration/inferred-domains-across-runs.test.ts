/**
 * Without a list of accepted domains (a store's runs with inferred domains; every upload `serve`'s
 * dashboard takes), the inbound index must say of a message what one run over every file says, and
 * not what the upload's inference knew when the receipt was read:
 * - test/fixtures/real-world/anonymous-relay-rolled-over/ (its README): the application's receipts
 *   for ap@litware.com and ar@litware.com are what make inference take litware.com for the
 *   organisation's, so by the second one ar@litware.com read as internal; its refusal, in the other
 *   file, must stay `foreign-sender-domain` (the sender addressed it), in either order of the runs.
 * - the same log with its forward first and from a mailbox that only redirects (no DELIVER row, as
 *   with DeliverToMailboxAndForward $false): the receipt for kate@contoso.com is read before the
 *   inference knows contoso.com, and its refusal in the other file must still read `forwarding`.
 * Through the CLI's store (`relay-audit analyze --db`, one file a run) and the ingest Lambda on local
 * engines (one object an upload, no config/accepted-domains.csv, no ACCEPTED_DOMAINS).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { cli } from '../support/capture-output.js';
import { dirPerTest } from '../support/dir-per-test.js';
import { deliverInBatches, uploadObject } from '../support/ingest-harness.js';
import {
  type LocalS3,
  localFunctionEnvironment,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';

const FOLDER = 'test/fixtures/real-world/anonymous-relay-rolled-over';
const RECEIPTS = `${FOLDER}/MSGTRK2026112810-1.LOG`;
const REFUSALS = `${FOLDER}/MSGTRK2026112810-2.LOG`;
/** What the files show (the fixture's README): the application addressed both litware.com recipients. */
const EXPECTED = [
  ['ap@litware.com', 'foreign-sender-domain'],
  ['ar@litware.com', 'foreign-sender-domain'],
  ['kate@tailspintoys.com', 'forwarding'],
];
const ORDERS = [
  ['receipts first', [RECEIPTS, REFUSALS]],
  ['refusals first', [REFUSALS, RECEIPTS]],
] as const;
const dir = dirPerTest('relay-audit-inferred-across-');

/** [recipient, scenario] of findings, sorted by recipient. */
function scenariosOf(findings: readonly Pick<Finding, 'recipient' | 'scenario'>[]): string[][] {
  return findings
    .map((finding) => [finding.recipient, finding.scenario])
    .sort(([a = ''], [b = '']) => a.localeCompare(b));
}

/** The findings one `relay-audit analyze --no-store` over `paths` prints, with inferred domains. */
async function oneRun(paths: readonly string[]): Promise<string[][]> {
  const { status, out } = await cli('analyze', ...paths, '--no-store');
  expect(status, out.stderr).toBe(0);
  const lines = out.stdout.trim().split('\n').filter(Boolean);
  return scenariosOf(lines.map((line) => JSON.parse(line) as Finding));
}

/** Runs `paths` into a store, one CLI run each, with inferred domains; the stored findings. */
async function runsIntoStore(paths: readonly string[]): Promise<string[][]> {
  const db = join(dir(), 'db');
  for (const path of paths) {
    const { status, out } = await cli('analyze', path, '--db', db, '--json');
    expect(status, out.stderr).toBe(0);
  }
  const { out } = await cli('findings', '--db', db, '--format', 'ndjson');
  const lines = out.stdout.trim().split('\n').filter(Boolean);
  return scenariosOf(lines.map((line) => JSON.parse(line) as Finding));
}

/**
 * The fixture's logs with the forward first and without its DELIVER row: kate@contoso.com's mailbox
 * only redirects, and her receipt is the first of the upload (the organisation's domain not yet known).
 */
async function redirectFirst(): Promise<{ receipts: string; refusals: string }> {
  const folder = join(dir(), 'EX01');
  await mkdir(folder, { recursive: true });
  const lines = (await readFile(RECEIPTS, 'utf8')).split('\r\n');
  const header = lines.slice(0, 5);
  const [lee, leeDelivered, ar, financeDelivered, kate, kateRedirect] = lines.slice(5, 11) as string[];
  expect(kateRedirect).toContain(',REDIRECT,');
  const receipts = join(folder, 'MSGTRK2026112810-1.LOG');
  await writeFile(
    receipts,
    `${[...header, kate, kateRedirect, lee, leeDelivered, ar, financeDelivered].join('\r\n')}\r\n`,
  );
  const refusalLines = (await readFile(REFUSALS, 'utf8')).split('\r\n');
  const kateRefused = refusalLines.find((line) => line.includes(',kate@tailspintoys.com,')) as string;
  const refusals = join(folder, 'MSGTRK2026112810-2.LOG');
  await writeFile(refusals, `${[...refusalLines.slice(0, 5), kateRefused].join('\r\n')}\r\n`);
  return { receipts, refusals };
}

describe('runs into a store with inferred accepted domains (the CLI)', () => {
  it('reads the anonymous relay as one run over both files does', async () => {
    expect(await oneRun([FOLDER])).toEqual(EXPECTED);
  });

  it.each(ORDERS)('keeps ar@litware.com foreign-sender-domain, %s', async (_order, paths) => {
    expect(await runsIntoStore(paths)).toEqual(EXPECTED);
  });

  it('keeps it after the nightly job', async () => {
    await runsIntoStore([RECEIPTS, REFUSALS]);
    const db = join(dir(), 'db');
    const report = await cli('report', '--date', '2026-11-28', '--db', db, '--out', join(dir(), 'reports'));
    expect(report.status, report.out.stderr).toBe(0);
    const { out } = await cli('findings', '--db', db, '--format', 'ndjson');
    const lines = out.stdout.trim().split('\n').filter(Boolean);
    expect(scenariosOf(lines.map((line) => JSON.parse(line) as Finding))).toEqual(EXPECTED);
  });

  it.each([
    ['receipts first', false],
    ['refusals first', true],
  ])('reads forwarding from a receipt read before its domain was inferred, %s', async (_order, reversed) => {
    const { receipts, refusals } = await redirectFirst();
    const expected = [['kate@tailspintoys.com', 'forwarding']];
    expect(await oneRun([receipts, refusals])).toEqual(expected);
    expect(await runsIntoStore(reversed ? [refusals, receipts] : [receipts, refusals])).toEqual(expected);
  });
});

describe('uploads to the ingest Lambda without accepted domains', () => {
  const BUCKET = 'relay-audit-inferred-bucket';
  const TABLE = 'relay-audit-inferred-across';
  let s3: LocalS3 | undefined;
  let dynamo: EmbeddedServer | undefined;

  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.all([s3?.close(), dynamo?.close()]);
    s3 = undefined;
    dynamo = undefined;
  });

  it.each(ORDERS)(
    'keeps ar@litware.com foreign-sender-domain, %s',
    async (_order, paths) => {
      const [startedS3, startedDynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
      s3 = startedS3;
      dynamo = startedDynamo;
      const environment = localFunctionEnvironment(
        { table: TABLE, bucket: BUCKET, s3, dynamo },
        { RETENTION_DAYS: '400', ACCEPTED_DOMAINS: '', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
      );
      for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
      const { createHandlerFromEnvironment } = await import('../../functions/ingest/handler.js');
      const ingest = createHandlerFromEnvironment(environment);
      // One object an upload, one upload after the other (the order a user drops them in).
      for (const path of paths) {
        const notification = await uploadObject(
          s3,
          BUCKET,
          `incoming/EX01/${basename(path)}`,
          await readFile(path),
        );
        expect(await deliverInBatches(ingest, [notification])).toEqual([]);
      }
      const page = await dynamo.store.queryFindings({ since: '2026-11-28', until: '2026-11-28', limit: 100 });
      expect(scenariosOf(page.items)).toEqual(EXPECTED);
    },
    60_000,
  );
});
