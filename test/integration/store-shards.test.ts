/**
 * Sharded partitions and upload lists against a real engine (dynalite in this process): a query
 * merges every shard of its partition into one newest-first order, and its cursor pages through
 * them losing and repeating nothing, also when a page ends inside a run of findings of the same
 * millisecond spread over several shards. An upload's findings come from its own list, checked
 * against each finding (one taken over by a later upload is that upload's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Finding, SCENARIO_IDS } from '../../functions/core/analysis/model/findings.js';
import { bindTable } from '../../functions/store/bound-table.js';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { type FindingsQueryOptions, FindingsStore } from '../../functions/store/index.js';
import { listedFindingIdPages } from '../../functions/store/source-listing.js';
import { SHARDS, shardOf } from '../../functions/store/table-design.js';
import { makeFinding, makeSource } from '../support/make-finding.js';

let engine: EmbeddedStore;
let tables = 0;

beforeAll(async () => {
  engine = await startEmbeddedStore({ inMemory: true });
});

afterAll(async () => {
  await engine?.close();
});

async function freshStore(): Promise<FindingsStore> {
  tables += 1;
  const store = new FindingsStore({ client: engine.client, tableName: `shards-${tables}` });
  await store.ensureTable();
  return store;
}

async function readAll(store: FindingsStore, options: FindingsQueryOptions): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.queryFindings({ ...options, cursor });
    ids.push(...page.items.map((finding) => finding.id));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return ids;
}

function newestFirst(findings: readonly Finding[]): string[] {
  return [...findings]
    .sort((a, b) =>
      a.timestamp === b.timestamp ? b.id.localeCompare(a.id) : b.timestamp.localeCompare(a.timestamp),
    )
    .map((finding) => finding.id);
}

describe('sharded partitions', () => {
  let store: FindingsStore;
  let findings: Finding[];

  beforeAll(async () => {
    store = await freshStore();
    // 300 findings in 30 distinct milliseconds (ten share each), over every scenario and shard.
    findings = Array.from({ length: 300 }, (_, i) =>
      makeFinding({
        scenario: SCENARIO_IDS[i % 3 === 0 ? 1 : i % SCENARIO_IDS.length],
        senderDomain: i % 4 === 0 ? 'northwind.example' : 'contoso.com',
        recipient: `user${i}@${i % 3 === 1 ? 'fabrikam.example' : 'tailspin.example'}`,
        timestamp: new Date(Date.parse('2026-11-28T08:00:00.000Z') + Math.floor(i / 10) * 1000).toISOString(),
        source: { sourceId: i % 2 === 0 ? 'upload-even' : 'upload-odd' },
      }),
    );
    await store.putFindings(findings);
  });

  it('spreads the test data over every shard of the busiest scenario', () => {
    const forwarding = findings.filter((f) => f.scenario === 'forwarding');
    expect(new Set(forwarding.map((f) => shardOf(f.id, SHARDS.scenario))).size).toBe(SHARDS.scenario);
  });

  it.each([11, 50, 1000])(
    'pages through all shards of all scenarios, %i at a time, in order',
    async (limit) => {
      expect(await readAll(store, { limit })).toEqual(newestFirst(findings));
    },
  );

  it.each([
    ['a scenario', { scenario: 'forwarding' }, (f: Finding) => f.scenario === 'forwarding'],
    ['a sender domain', { senderDomain: 'Contoso.com' }, (f: Finding) => f.senderDomain === 'contoso.com'],
    [
      'a sender domain and a scenario in a time range',
      {
        senderDomain: 'contoso.com',
        scenario: 'ndr',
        since: '2026-11-28T08:00:05Z',
        until: '2026-11-28T08:00:20Z',
      },
      (f: Finding) =>
        f.senderDomain === 'contoso.com' &&
        f.scenario === 'ndr' &&
        f.timestamp >= '2026-11-28T08:00:05.000Z' &&
        f.timestamp <= '2026-11-28T08:00:20.000Z',
    ],
    [
      'a sender domain and a scenario left out of its index',
      { senderDomain: 'northwind.example', scenario: 'connector-mismatch' },
      (f: Finding) => f.senderDomain === 'northwind.example' && f.scenario === 'connector-mismatch',
    ],
    [
      'a recipient domain and a sender domain',
      { recipientDomain: 'fabrikam.example', senderDomain: 'contoso.com' },
      (f: Finding) => f.recipientDomain === 'fabrikam.example' && f.senderDomain === 'contoso.com',
    ],
    [
      'an upload and a sender domain',
      { sourceId: 'upload-even', senderDomain: 'contoso.com' },
      (f: Finding) => f.source.sourceId === 'upload-even' && f.senderDomain === 'contoso.com',
    ],
    [
      'an upload and a scenario',
      { sourceId: 'upload-odd', scenario: 'forwarding' },
      (f: Finding) => f.source.sourceId === 'upload-odd' && f.scenario === 'forwarding',
    ],
    [
      'an upload in a time range',
      { sourceId: 'upload-even', until: '2026-11-28T08:00:12Z' },
      (f: Finding) => f.source.sourceId === 'upload-even' && f.timestamp <= '2026-11-28T08:00:12.000Z',
    ],
  ] as const)('pages through %s, 7 at a time, in order', async (_label, options, matches) => {
    // Act
    const ids = await readAll(store, { ...options, limit: 7 });

    // Assess
    const expected = newestFirst(findings.filter(matches));
    expect(expected.length).toBeGreaterThan(7);
    expect(ids).toEqual(expected);
  });

  it('counts each scenario over all its shards, overall and per upload', async () => {
    // Act
    const overall = await store.countFindingsByScenario();
    const odd = await store.countFindingsByScenario({ sourceId: 'upload-odd' });

    // Assess
    for (const scenario of SCENARIO_IDS) {
      expect(overall[scenario]).toBe(findings.filter((f) => f.scenario === scenario).length);
      expect(odd[scenario]).toBe(
        findings.filter((f) => f.scenario === scenario && f.source.sourceId === 'upload-odd').length,
      );
    }
  });
});

describe('upload lists', () => {
  it('give a finding taken over by a later upload to that upload only', async () => {
    // Prepare
    const store = await freshStore();
    const first = Array.from({ length: 30 }, (_, i) =>
      makeFinding({
        timestamp: new Date(Date.parse('2026-11-28T09:00:00.000Z') + i * 1000).toISOString(),
        source: { sourceId: 'upload-a' },
      }),
    );
    await store.putFindings(first);
    const takenOver = first.slice(0, 5).map((f) => ({ ...f, source: { ...f.source, sourceId: 'upload-b' } }));

    // Act
    await store.putFindings(takenOver);
    const a = await readAll(store, { sourceId: 'upload-a', limit: 4 });
    const b = await readAll(store, { sourceId: 'upload-b', limit: 4 });
    const countsA = await store.countFindingsByScenario({ sourceId: 'upload-a' });
    const listedA: string[] = [];
    for await (const page of listedFindingIdPages(
      bindTable({ client: engine.client, tableName: store.tableName }),
      'upload-a',
    ))
      listedA.push(...page);

    // Assess
    expect(a).toEqual(newestFirst(first.slice(5)));
    expect(b).toEqual(newestFirst(takenOver));
    expect(countsA.forwarding).toBe(25);
    // The list itself still names them (unchecked): its readers check each finding's upload.
    expect(listedA.sort()).toEqual(first.map((f) => f.id).sort());
  });

  it('are written once however often the same batch is written', async () => {
    // Prepare
    const store = await freshStore();
    const batch = Array.from({ length: 45 }, () => makeFinding({ source: { sourceId: 'upload-c' } }));

    // Act
    await store.putFindings(batch);
    await store.putFindings(batch);

    // Assess
    expect(await readAll(store, { sourceId: 'upload-c', limit: 10 })).toEqual(newestFirst(batch));
  });
});

describe('the sources listing', () => {
  it('merges its shards newest first and pages through them with a cursor', async () => {
    // Prepare: 13 uploads, some started in the same millisecond
    const store = await freshStore();
    const sources = Array.from({ length: 13 }, (_, i) =>
      makeSource({
        id: `upload-${String(i).padStart(2, '0')}`,
        startedAt: new Date(Date.parse('2026-11-28T10:00:00.000Z') + Math.floor(i / 3) * 1000).toISOString(),
      }),
    );
    for (const source of sources) await store.putSource(source);

    // Act
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listSources({ limit: 5, cursor });
      ids.push(...page.items.map((source) => source.id));
      cursor = page.cursor;
    } while (cursor !== undefined);

    // Assess
    const expected = [...sources]
      .sort((x, y) =>
        x.startedAt === y.startedAt ? y.id.localeCompare(x.id) : y.startedAt.localeCompare(x.startedAt),
      )
      .map((source) => source.id);
    expect(ids).toEqual(expected);
    expect(new Set(sources.map((source) => shardOf(source.id, SHARDS.sources))).size).toBe(SHARDS.sources);
  });
});
