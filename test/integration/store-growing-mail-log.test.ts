/**
 * A mail log analysed again as it grows (an upload of the grown log under the same key, a cron copy,
 * `analyze --db` on the short copy then on the grown one): a copy taken between a tried server's
 * `host … said: 451 4.4.62` line and the `to=` line that names its recipient reads the refusal
 * without its recipient, the grown copy with it. The store folds the unnamed reading into the named
 * one, as one run over the grown copy gives, in any order of the copies, and counts it once.
 *
 * A log read newest first (a SIEM export of the newest events, then of more; `tac mail.log` excerpts)
 * gives the converse: the short copy holds a refusal's `to=` line but not the older `cleanup …
 * message-id=` line, so it names the message by its queue id's stand-in and knows no sender; the
 * grown copy names its Message-ID. The store keeps the identified finding only, counted once. Two
 * messages refused at one second with one text to one recipient (two queue ids) stay two, also when
 * two runs read them, one by its Message-ID and the other by its stand-in: the marker is keyed by the
 * queue id too (found by a hunt, when it was not: the fold deleted the other message's refusal).
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { type EmbeddedServer, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/findings-store.js';
import { rollupKey } from '../../functions/store/table-design.js';
import { analyzeNoStore } from '../support/analyze-no-store.js';
import { cli } from '../support/capture-output.js';
import { countsPerCell } from '../support/rollup-counts.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'growing-mail-logs');
const POSTFIX = ['postfix-mail.log.at-2225', 'postfix-mail.log.at-2231'].map((name) => join(FIXTURES, name));
const EXIM = ['exim-mainlog.at-2250', 'exim-mainlog.at-2255', 'exim-mainlog.at-2256'].map((name) =>
  join(FIXTURES, name),
);
const ONE_ALERT = ['postfix-newest-first.log.top-4', 'postfix-newest-first.log.top-16'].map((name) =>
  join(FIXTURES, name),
);
const TWO_ALERTS = [
  'postfix-two-alerts-newest-first.log.top-11',
  'postfix-two-alerts-newest-first.log.top-16',
].map((name) => join(FIXTURES, name));
const OPTIONS = ['--accepted-domains', 'contoso.com', '--year', '2026'];

let engine: EmbeddedServer;
let client: DynamoDBClient;
let dir: string;
let tables = 0;

beforeAll(async () => {
  engine = await startEmbeddedStore({ inMemory: true, listen: true, tableName: 'growing-0' });
  client = new DynamoDBClient({
    endpoint: engine.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-growing-'));
});

afterAll(async () => {
  client?.destroy();
  await engine?.close();
  await rm(dir, { recursive: true, force: true });
});

async function freshStore(): Promise<FindingsStore> {
  tables += 1;
  const store = new FindingsStore({ client, tableName: `growing-${tables}` });
  await store.ensureTable();
  return store;
}

/** Copies `copy` over `file` (one name for every copy, as `cp` leaves a growing log). */
async function copied(copy: string, file: string): Promise<string> {
  await copyFile(copy, file);
  return file;
}

/** The findings of one `analyze --no-store` run over `copy` copied to `name`, as the CLI writes them. */
async function analysed(copy: string, name: string): Promise<Finding[]> {
  const run = await analyzeNoStore(await copied(copy, join(dir, name)), ...OPTIONS);
  expect(run.status).toBe(0);
  return run.findings;
}

/** The stored findings' ids, the day's counters, and the counters the findings give. */
async function contents(store: FindingsStore) {
  const range = { from: '2026-11-28', to: '2026-11-28' };
  const findings = (await store.queryFindings({ since: range.from, until: '2026-11-29', limit: 100 })).items;
  const counters = new Map(
    (await store.queryRollups(range)).map((row) => {
      const key = rollupKey(row);
      return [`${key.pk} ${key.sk}`, row.count];
    }),
  );
  return { ids: findings.map((finding) => finding.id).sort(), counters, recounted: countsPerCell(findings) };
}

/** Every order of `items`. */
function orders<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    orders([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('a mail log analysed again as it grows, each copy in a run of its own', () => {
  it.each([
    ['Postfix', POSTFIX, 'mail.log', ['', 'ap@litware.com', 'ops@woodgrovebank.com']],
    ['Exim', EXIM, 'mainlog', ['orders@adventure-works.com', 'treasury@woodgrovebank.com']],
  ])(
    'keeps what one run over the grown copy gives, counted once, in any order of the copies (%s)',
    async (_name, copies, name, recipients) => {
      // Prepare: each copy's findings, as the CLI (or an upload) writes them into the store.
      const findingsOf = new Map<string, Finding[]>();
      for (const copy of copies) findingsOf.set(copy, await analysed(copy, name));
      const whole = findingsOf.get(copies.at(-1) ?? '') ?? [];
      // The short copies read a refusal the grown one names without its recipient.
      const shortest = findingsOf.get(copies[0] ?? '') ?? [];
      expect(shortest.map((finding) => finding.recipient)).toContain('');
      expect(whole.map((finding) => finding.recipient).sort()).toEqual(recipients);
      for (const order of orders(copies)) {
        const store = await freshStore();
        const label = order.map((copy) => basename(copy)).join(' then ');
        // Act: each copy in its run, then all again (re-uploads, re-runs).
        for (const copy of order) await store.putFindings(findingsOf.get(copy) ?? []);
        const after = await contents(store);
        for (const copy of order) await store.putFindings(findingsOf.get(copy) ?? []);
        // Assess
        expect({ label, ids: after.ids }).toEqual({
          label,
          ids: whole.map((finding) => finding.id).sort(),
        });
        expect(
          [...after.counters.values()].reduce((sum, count) => sum + count, 0),
          label,
        ).toBe(whole.length);
        expect(after.counters, label).toEqual(after.recounted);
        expect(await contents(store), label).toEqual(after);
      }
    },
  );
});

describe('analyze --db on a copy of a Postfix log, then on the grown copy under the same name', () => {
  /** The stored findings' recipients, what the day's counters count, and each run's record. */
  async function storeOf(db: string) {
    const handle = await startEmbeddedStore({ dir: db });
    try {
      const findings = (await handle.store.queryFindings({ limit: 100 })).items;
      const rows = await handle.store.queryRollups({ from: '2026-11-28', to: '2026-11-28' });
      const sources = (await handle.store.listSources()).items;
      return {
        recipients: findings.map((finding) => finding.recipient).sort(),
        counted: rows.reduce((sum, row) => sum + row.count, 0),
        uploads: sources.map((source) => source.findingsByScenario['wrong-region'] ?? 0).sort(),
      };
    } finally {
      await handle.close();
    }
  }

  it('stores the three findings the grown copy gives, counted once each; each run’s record keeps its count', async () => {
    // Prepare
    const db = join(dir, 'cli-store');
    const file = join(dir, 'cli', 'mail.log');
    await mkdir(join(dir, 'cli'));
    // Act
    for (const copy of POSTFIX) {
      const run = await cli('analyze', await copied(copy, file), '--db', db, ...OPTIONS);
      expect(run.status, run.out.stderr).toBe(0);
    }
    const after = await storeOf(db);
    // Assess: 22:25:12's refusal once, named; the MAIL FROM refusal of 2C3D4E5F6A names no recipient
    // in either copy.
    expect(after.recipients).toEqual(['', 'ap@litware.com', 'ops@woodgrovebank.com']);
    expect(after.counted).toBe(3);
    expect(after.uploads).toEqual([2, 3]);
  });
});

const idsOf = (findings: readonly Finding[]) => findings.map((finding) => finding.id).sort();

describe('a Postfix log read newest first, a short and a grown copy each in a run of its own', () => {
  it.each([
    ['one alert', ONE_ALERT, 1],
    ['two alerts of one second', TWO_ALERTS, 1],
  ])(
    'keeps what one run over the grown copy gives, counted once, in either order (%s)',
    async (_name, copies, standIns) => {
      // Prepare
      const [short = '', grown = ''] = copies;
      const shortFindings = await analysed(short, 'mail.log');
      const whole = await analysed(grown, 'mail.log');
      // The short copy names a message by its stand-in, without sender; the grown copy by its Message-ID.
      expect(shortFindings.filter((finding) => finding.messageId.startsWith('postfix:'))).toHaveLength(
        standIns,
      );
      expect(whole.filter((finding) => finding.messageId.startsWith('postfix:'))).toEqual([]);
      for (const order of [
        [short, grown],
        [grown, short],
      ]) {
        const label = order.map((copy) => basename(copy)).join(' then ');
        const store = await freshStore();
        const findingsOf = (copy: string) => (copy === short ? shortFindings : whole);
        // Act: each copy in its run, then both again (re-runs, re-uploads).
        for (const copy of order) await store.putFindings(findingsOf(copy));
        const after = await contents(store);
        for (const copy of order) await store.putFindings(findingsOf(copy));
        // Assess
        expect({ label, ids: after.ids }).toEqual({ label, ids: idsOf(whole) });
        expect(
          [...after.counters.values()].reduce((sum, count) => sum + count, 0),
          label,
        ).toBe(whole.length);
        expect(after.counters, label).toEqual(after.recounted);
        expect(await contents(store), label).toEqual(after);
      }
    },
  );

  it('keeps both refusals of two queue ids a short copy read at one second, one of them by its stand-in', async () => {
    // Prepare: the short copy reads one alert with its Message-ID and the other by its stand-in.
    const [short = ''] = TWO_ALERTS;
    const shortFindings = await analysed(short, 'mail.log');
    expect(shortFindings.map((finding) => [finding.recipient, finding.timestamp])).toEqual([
      ['noc@adatum.com', '2026-11-28T23:40:22.000Z'],
      ['noc@adatum.com', '2026-11-28T23:40:22.000Z'],
    ]);
    const store = await freshStore();
    // Act
    await store.putFindings(shortFindings);
    await store.putFindings(shortFindings);
    // Assess: what one run over the short copy gives, nothing folded.
    const after = await contents(store);
    expect(after.ids).toEqual(idsOf(shortFindings));
    expect([...after.counters.values()].reduce((sum, count) => sum + count, 0)).toBe(2);
    expect(after.counters).toEqual(after.recounted);
  });

  it('keeps two messages of one second that two runs read, one by its Message-ID, one by its stand-in', async () => {
    // Prepare: a cron copy holds one alert whole; a SIEM export of the newest events the other's bounce,
    // at the same second, with the same text, to the same recipient, but under another queue id.
    const cron = await analysed(join(FIXTURES, 'postfix-two-alerts-cron-copy.log'), 'mail.log');
    const siem = await analysed(join(FIXTURES, 'postfix-two-alerts-siem-newest-5.log'), 'mail.log');
    expect(cron.map((finding) => [finding.queueId, finding.messageId.startsWith('postfix:')])).toEqual([
      ['5E7D93F1A2', false],
    ]);
    expect(siem.map((finding) => [finding.queueId, finding.messageId.startsWith('postfix:')])).toEqual([
      ['8C2F41A0B7', true],
    ]);
    expect([siem[0]?.timestamp, siem[0]?.rejectionText]).toEqual([
      cron[0]?.timestamp,
      cron[0]?.rejectionText,
    ]);
    for (const order of [
      [cron, siem],
      [siem, cron],
    ]) {
      const store = await freshStore();
      // Act
      for (const findings of order) await store.putFindings(findings);
      // Assess: both refusals, as one run over the whole log gives.
      const after = await contents(store);
      expect(after.ids).toEqual(idsOf([...cron, ...siem]));
      expect([...after.counters.values()].reduce((sum, count) => sum + count, 0)).toBe(2);
      expect(after.counters).toEqual(after.recounted);
    }
  });
});
