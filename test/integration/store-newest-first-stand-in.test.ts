/**
 * A Postfix log read newest first (a SIEM export of the newest events, then of more; `tac mail.log`
 * excerpts), each copy analysed in a run of its own into one store: the short copy holds a refusal's
 * `to=` line but not the older `cleanup … message-id=` line, so it names the message by its queue id's
 * stand-in and knows no sender; the grown copy names its Message-ID. The store keeps the identified
 * finding only, as one run over the grown copy gives, in either order, counted once. Two messages a
 * copy read at one second with one text to one recipient (two queue ids) stay two, also when two
 * runs read them, one by its Message-ID and the other by its stand-in: the marker is keyed by the
 * queue id too (found by a hunt, when it was not: the fold deleted the other message's refusal).
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { type EmbeddedServer, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/findings-store.js';
import { rollupKey } from '../../functions/store/table-design.js';
import { analyzeNoStore } from '../support/analyze-no-store.js';
import { countsPerCell } from '../support/rollup-counts.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'growing-mail-logs');
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
  engine = await startEmbeddedStore({ inMemory: true, listen: true, tableName: 'newest-first-0' });
  client = new DynamoDBClient({
    endpoint: engine.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-newest-first-'));
});

afterAll(async () => {
  client?.destroy();
  await engine?.close();
  await rm(dir, { recursive: true, force: true });
});

async function freshStore(): Promise<FindingsStore> {
  tables += 1;
  const store = new FindingsStore({ client, tableName: `newest-first-${tables}` });
  await store.ensureTable();
  return store;
}

/** The findings of one `analyze --no-store` run over `copy` copied to `mail.log` (one name for every copy). */
async function analysed(copy: string): Promise<Finding[]> {
  const file = join(dir, 'mail.log');
  await copyFile(copy, file);
  const run = await analyzeNoStore(file, ...OPTIONS);
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
      const shortFindings = await analysed(short);
      const whole = await analysed(grown);
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
    const shortFindings = await analysed(short);
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
    const cron = await analysed(join(FIXTURES, 'postfix-two-alerts-cron-copy.log'));
    const siem = await analysed(join(FIXTURES, 'postfix-two-alerts-siem-newest-5.log'));
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
