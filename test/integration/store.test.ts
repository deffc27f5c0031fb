/**
 * The findings store against a real engine: dynalite started in this process (in memory, or in a
 * temp dir for persistence). Each test gets its own table so tests cannot see each other's data.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { ArgumentError, StoreError } from '../../functions/core/kernel/errors.js';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { type FindingsQueryOptions, FindingsStore } from '../../functions/store/index.js';
import { makeFinding, makeFindingsSeries, makeSource } from '../support/make-finding.js';

let engine: EmbeddedStore;
let tableCounter = 0;

beforeAll(async () => {
  engine = await startEmbeddedStore({ inMemory: true });
});

afterAll(async () => {
  await engine?.close();
});

/** A store on a brand-new table of the shared engine. */
async function freshStore(): Promise<FindingsStore> {
  tableCounter += 1;
  const store = new FindingsStore({ client: engine.client, tableName: `test-${tableCounter}` });
  await store.ensureTable();
  return store;
}

/** Follows cursors until the last page; returns every item and the page sizes. */
async function readAll(
  store: FindingsStore,
  options: FindingsQueryOptions,
): Promise<{ items: Finding[]; pages: number[] }> {
  const items: Finding[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.queryFindings({ ...options, cursor });
    items.push(...page.items);
    pages.push(page.items.length);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { items, pages };
}

function newestFirst(findings: readonly Finding[]): string[] {
  return [...findings]
    .sort((a, b) =>
      a.timestamp === b.timestamp ? b.id.localeCompare(a.id) : b.timestamp.localeCompare(a.timestamp),
    )
    .map((finding) => finding.id);
}

describe('FindingsStore on the embedded engine', () => {
  it('ensureTable is idempotent', async () => {
    // Prepare
    const store = await freshStore();

    // Act / Assess
    await expect(store.ensureTable()).resolves.toBeUndefined();
  });

  it('ensureTable refuses an existing table that lacks the indexes', async () => {
    // Prepare: a table with the right name but not our shape.
    await engine.client.send(
      new CreateTableCommand({
        TableName: 'foreign-table',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const store = new FindingsStore({ client: engine.client, tableName: 'foreign-table' });

    // Act / Assess
    await expect(store.ensureTable()).rejects.toThrow(/lacks index\(es\) gsi1, gsi2, gsi3/);
  });

  it('puts a finding and gets it back by id, unchanged and without store attributes', async () => {
    // Prepare
    const store = await freshStore();
    const finding = makeFinding({ returnPath: '', subject: 'Quarterly report', clientIp: '10.0.0.5' });

    // Act
    await store.putFindings([finding]);
    const read = await store.getFinding(finding.id);
    const missing = await store.getFinding('does-not-exist');

    // Assess
    expect(read).toEqual(finding);
    expect(read).not.toHaveProperty('pk');
    expect(read).not.toHaveProperty('expiresAt');
    expect(missing).toBeUndefined();
  });

  it('writing the same findings twice leaves the same count (idempotent)', async () => {
    // Prepare
    const store = await freshStore();
    const findings = makeFindingsSeries(12, '2026-11-28T08:00:00.000Z');

    // Act
    await store.putFindings(findings);
    await store.putFindings(findings);
    const counts = await store.countFindingsByScenario();
    const all = await readAll(store, {});

    // Assess
    expect(counts.forwarding).toBe(12);
    expect(all.items).toHaveLength(12);
  });

  it('de-duplicates overlapping batches, inside one batch of 25 and across batches (last wins)', async () => {
    // Prepare
    const store = await freshStore();
    const findings = makeFindingsSeries(30, '2026-11-28T08:00:00.000Z');
    const first = findings[0] as Finding;
    const renamed = { ...first, subject: 'second copy wins' };
    // 25 requests of which 2 repeat earlier ids: DynamoDB would reject this batch if sent as is.
    const batchA = [...findings.slice(0, 23), first, renamed];
    // Overlaps batch A on findings 20..22 (an overlapping export).
    const batchB = findings.slice(20, 30);

    // Act
    const writtenA = await store.putFindings(batchA);
    await store.putFindings(batchB);
    const all = await readAll(store, {});

    // Assess
    expect(writtenA.written).toBe(23);
    expect(all.items).toHaveLength(30);
    expect(new Set(all.items.map((f) => f.id)).size).toBe(30);
    expect((await store.getFinding(first.id))?.subject).toBe('second copy wins');
  });

  it('chunks more than 25 findings into several batch writes', async () => {
    // Prepare
    const store = await freshStore();
    const findings = makeFindingsSeries(137, '2026-11-01T00:00:00.000Z');

    // Act
    const result = await store.putFindings(findings);
    const counts = await store.countFindingsByScenario();

    // Assess
    expect(result.written).toBe(137);
    expect(counts.forwarding).toBe(137);
  });

  it('rejects a finding that fails the schema with ArgumentError, writing nothing', async () => {
    // Prepare
    const store = await freshStore();
    const bad = { ...makeFinding(), timestamp: 'not a time' };

    // Act / Assess
    await expect(store.putFindings([makeFinding(), bad])).rejects.toThrow(ArgumentError);
    await expect(store.putFindings([makeFinding(), bad])).rejects.toThrow(/findings\[1\]\.timestamp/);
    expect((await store.queryFindings()).items).toHaveLength(0);
  });

  describe('queries', () => {
    let store: FindingsStore;
    let findings: Finding[];

    beforeAll(async () => {
      store = await freshStore();
      // 60 findings one minute apart, spread over scenarios, sender/recipient domains and two sources.
      const scenarios = [
        'ndr',
        'forwarding',
        'foreign-sender-domain',
        'connector-mismatch',
        'wrong-region',
      ] as const;
      findings = Array.from({ length: 60 }, (_, i) =>
        makeFinding({
          scenario: scenarios[i % 5],
          senderDomain: i % 2 === 0 ? 'contoso.com' : 'Northwind.example',
          recipient: `user${i}@${i % 3 === 0 ? 'fabrikam.example' : 'tailspin.example'}`,
          recipientDomain: i % 3 === 0 ? 'fabrikam.example' : 'tailspin.example',
          timestamp: new Date(Date.parse('2026-11-28T00:00:00.000Z') + i * 60_000).toISOString(),
          source: { sourceId: i < 40 ? 'upload-a' : 'upload-b' },
        }),
      );
      // Two findings in the same millisecond: order must still be total (by id).
      findings.push(makeFinding({ scenario: 'ndr', timestamp: '2026-11-28T00:10:00.000Z' }));
      await store.putFindings(findings);
    });

    it('pattern 1: by scenario, newest first', async () => {
      // Act
      const page = await store.queryFindings({ scenario: 'ndr', limit: 100 });

      // Assess
      const expected = newestFirst(findings.filter((f) => f.scenario === 'ndr'));
      expect(page.items.map((f) => f.id)).toEqual(expected);
      expect(page.cursor).toBeUndefined();
    });

    it('pattern 1: by scenario in an inclusive time range', async () => {
      // Prepare
      const since = '2026-11-28T00:10:00.000Z';
      const until = '2026-11-28T00:30:00Z';

      // Act
      const page = await store.queryFindings({ scenario: 'ndr', since, until });

      // Assess
      const expected = newestFirst(
        findings.filter(
          (f) => f.scenario === 'ndr' && f.timestamp >= since && Date.parse(f.timestamp) <= Date.parse(until),
        ),
      );
      expect(page.items.map((f) => f.id)).toEqual(expected);
      expect(expected.length).toBeGreaterThan(2);
      expect(page.items.map((f) => f.timestamp)).toContain('2026-11-28T00:30:00.000Z');
    });

    it('pattern 1: pages through with a cursor, losing or repeating nothing', async () => {
      // Act
      const all = await readAll(store, { limit: 7 });

      // Assess
      expect(all.items.map((f) => f.id)).toEqual(newestFirst(findings));
      expect(all.pages).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 5]);
    });

    it('pattern 1: pages through one scenario with a time range', async () => {
      // Act
      const all = await readAll(store, { scenario: 'forwarding', since: '2026-11-28T00:05:00Z', limit: 3 });

      // Assess
      const expected = newestFirst(
        findings.filter((f) => f.scenario === 'forwarding' && f.timestamp >= '2026-11-28T00:05:00.000Z'),
      );
      expect(all.items.map((f) => f.id)).toEqual(expected);
      expect(all.pages.length).toBeGreaterThan(2);
    });

    it('pattern 2: by sender domain (case-insensitive) and by recipient domain', async () => {
      // Act
      const bySender = await readAll(store, { senderDomain: 'NORTHWIND.example', limit: 11 });
      const byRecipient = await readAll(store, {
        recipientDomain: 'fabrikam.example',
        until: '2026-11-28T00:30:00Z',
      });

      // Assess
      expect(bySender.items.map((f) => f.id)).toEqual(
        newestFirst(findings.filter((f) => f.senderDomain === 'Northwind.example')),
      );
      expect(byRecipient.items.map((f) => f.id)).toEqual(
        newestFirst(
          findings.filter(
            (f) => f.recipientDomain === 'fabrikam.example' && f.timestamp <= '2026-11-28T00:30:00.000Z',
          ),
        ),
      );
    });

    it('pattern 3: by source upload', async () => {
      // Act
      const all = await readAll(store, { sourceId: 'upload-b', limit: 6 });

      // Assess
      expect(all.items.map((f) => f.id)).toEqual(
        newestFirst(findings.filter((f) => f.source.sourceId === 'upload-b')),
      );
      expect(all.items).toHaveLength(20);
    });

    it('combines filters: index on the most selective one, filter on the others, across pages', async () => {
      // Act
      const all = await readAll(store, {
        scenario: 'wrong-region',
        senderDomain: 'contoso.com',
        recipientDomain: 'tailspin.example',
        limit: 2,
      });

      // Assess
      const expected = newestFirst(
        findings.filter(
          (f) =>
            f.scenario === 'wrong-region' &&
            f.senderDomain === 'contoso.com' &&
            f.recipientDomain === 'tailspin.example',
        ),
      );
      expect(expected.length).toBeGreaterThan(2);
      expect(all.items.map((f) => f.id)).toEqual(expected);
    });

    it('counts findings per scenario, overall, per source and in a time range', async () => {
      // Act
      const overall = await store.countFindingsByScenario();
      const uploadB = await store.countFindingsByScenario({ sourceId: 'upload-b' });
      const firstTen = await store.countFindingsByScenario({
        since: '2026-11-28T00:00:00Z',
        until: '2026-11-28T00:09:00Z',
      });

      // Assess
      expect(overall).toEqual({
        ndr: 13,
        forwarding: 12,
        'foreign-sender-domain': 12,
        'connector-mismatch': 12,
        'wrong-region': 12,
      });
      expect(Object.values(uploadB).reduce((a, b) => a + b, 0)).toBe(20);
      expect(uploadB.ndr).toBe(4);
      expect(firstTen).toEqual({
        ndr: 2,
        forwarding: 2,
        'foreign-sender-domain': 2,
        'connector-mismatch': 2,
        'wrong-region': 2,
      });
    });

    it('rejects a bad, tampered or foreign cursor with ArgumentError', async () => {
      // Prepare
      const first = await store.queryFindings({ scenario: 'ndr', limit: 2 });
      const cursor = first.cursor ?? '';
      const tampered = Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(cursor, 'base64url').toString()), p: [{ pk: 1 }] }),
      ).toString('base64url');

      // Act / Assess
      await expect(store.queryFindings({ scenario: 'ndr', cursor: 'garbage!' })).rejects.toThrow(
        ArgumentError,
      );
      await expect(store.queryFindings({ scenario: 'ndr', cursor: tampered })).rejects.toThrow(ArgumentError);
      await expect(store.queryFindings({ scenario: 'forwarding', cursor })).rejects.toThrow(ArgumentError);
      await expect(store.queryFindings({ scenario: 'ndr', cursor })).resolves.toHaveProperty('items');
    });

    it('reads a forged cursor whose position is a sort key as a position, and refuses any other; never a store failure', async () => {
      // Prepare: a real cursor whose position is rewritten, keeping the cursor's own shape valid.
      const first = await store.queryFindings({ scenario: 'ndr', limit: 2 });
      const payload = JSON.parse(Buffer.from(first.cursor ?? '', 'base64url').toString());
      const forge = (a: string) => Buffer.from(JSON.stringify({ ...payload, a })).toString('base64url');
      const all = await store.queryFindings({ scenario: 'ndr' });

      // Act
      const afterEverything = await store.queryFindings({
        scenario: 'ndr',
        cursor: forge('9999-12-31T23:59:59.999Z#f'),
      });
      const beforeEverything = await store.queryFindings({
        scenario: 'ndr',
        cursor: forge('0001-01-01T00:00:00.000Z#0'),
      });

      // Assess
      expect(afterEverything.items.map((f) => f.id)).toEqual(all.items.map((f) => f.id));
      expect(beforeEverything).toEqual({ items: [] });
      for (const position of ['', '0', '\uffff', 'garbage#f'])
        await expect(store.queryFindings({ scenario: 'ndr', cursor: forge(position) })).rejects.toThrow(
          ArgumentError,
        );
    });
  });

  it('pattern 6: source records put, replace, get and list newest first with a cursor', async () => {
    // Prepare
    const store = await freshStore();
    const sources = [
      makeSource({ id: 'a', startedAt: '2026-11-26T10:00:00.000Z' }),
      makeSource({ id: 'b', startedAt: '2026-11-28T10:00:00.000Z' }),
      makeSource({ id: 'c', startedAt: '2026-11-27T10:00:00.000Z', format: undefined, status: 'failed' }),
    ];

    // Act
    for (const source of sources) await store.putSource(source);
    const done = makeSource({ id: 'a', startedAt: '2026-11-26T10:00:00.000Z', status: 'done' });
    await store.putSource({ ...done, finishedAt: '2026-11-26T10:05:00.000Z' });
    const first = await store.listSources({ limit: 2 });
    const second = await store.listSources({ limit: 2, ...(first.cursor ? { cursor: first.cursor } : {}) });
    const got = await store.getSource('a');

    // Assess
    expect(first.items.map((s) => s.id)).toEqual(['b', 'c']);
    expect(second.items.map((s) => s.id)).toEqual(['a']);
    expect(second.cursor).toBeUndefined();
    expect(got).toEqual({ ...done, finishedAt: '2026-11-26T10:05:00.000Z' });
    expect(await store.getSource('zzz')).toBeUndefined();
    await expect(store.listSources({ cursor: 'nope' })).rejects.toThrow(ArgumentError);
  });

  it('pattern 5: rollups put and queried by date range across months', async () => {
    // Prepare
    const store = await freshStore();
    const rollups = [
      { date: '2026-10-30', scenario: 'ndr' as const, senderDomain: 'contoso.com', server: 'EX01', count: 4 },
      {
        date: '2026-10-31',
        scenario: 'forwarding' as const,
        senderDomain: 'contoso.com',
        server: 'EX02',
        count: 1,
      },
      {
        date: '2026-11-01',
        scenario: 'ndr' as const,
        senderDomain: 'northwind.example',
        server: 'EX01',
        count: 7,
      },
      { date: '2026-11-02', scenario: 'ndr' as const, senderDomain: 'contoso.com', server: 'EX01', count: 2 },
      { date: '2026-11-15', scenario: 'ndr' as const, senderDomain: 'contoso.com', server: 'EX01', count: 9 },
    ];

    // Act
    await store.putRollups(rollups);
    await store.putRollups([{ ...rollups[3], count: 3 } as (typeof rollups)[number]]); // the nightly job recomputes a day
    const range = await store.queryRollups({ from: '2026-10-31', to: '2026-11-02' });

    // Assess
    expect(range).toEqual([rollups[1], rollups[2], { ...rollups[3], count: 3 }]);
    await expect(store.queryRollups({ from: '2026-11-02', to: '2026-11-01' })).rejects.toThrow(ArgumentError);
    await expect(store.queryRollups({ from: '2026-11', to: '2026-11-01' })).rejects.toThrow(ArgumentError);
  });

  it('translates engine errors into StoreError with the cause (table missing)', async () => {
    // Prepare
    const store = new FindingsStore({ client: engine.client, tableName: 'no-such-table' });

    // Act
    const error = await store.getFinding('x').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).cause).toBeInstanceOf(Error);
    expect((error as StoreError).message).toMatch(/no-such-table/);
  });
});

describe('embedded engine persistence', () => {
  it('keeps data in its directory across close and reopen', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'relay-audit-store-'));
    const finding = makeFinding();
    try {
      const first = await startEmbeddedStore({ dir });
      await first.store.putFindings([finding]);
      await first.store.putSource(makeSource());
      await first.close();

      // Act
      const second = await startEmbeddedStore({ dir });
      const read = await second.store.getFinding(finding.id);
      const sources = await second.store.listSources();
      await second.close();

      // Assess
      expect(read).toEqual(finding);
      expect(sources.items.map((s) => s.id)).toEqual(['src-1']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second engine on a directory in use, and frees it on close', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'relay-audit-store-'));
    try {
      const first = await startEmbeddedStore({ dir, tableName: 'custom-table' });

      // Act
      const second = startEmbeddedStore({ dir, tableName: 'custom-table' });

      // Assess
      await expect(second).rejects.toThrow(/in use by process/);
      await first.close();
      const third = await startEmbeddedStore({ dir, tableName: 'custom-table', listen: true });
      expect(third.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await third.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
