/**
 * The findings of one upload (`findingIdsOfSource`) and the removal, after a re-analysis, of those
 * another classifier version wrote (`removeOutdatedFindings`): on the embedded engine, with the
 * rollup counters they were counted in.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { type EmbeddedServer, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/findings-store.js';
import { makeFinding } from '../support/make-finding.js';

let engine: EmbeddedServer;
let client: DynamoDBClient;
let store: FindingsStore;

beforeAll(async () => {
  engine = await startEmbeddedStore({ inMemory: true, listen: true, tableName: 'outdated-findings' });
  client = new DynamoDBClient({
    endpoint: engine.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  store = new FindingsStore({ client, tableName: 'outdated-findings' });
  await store.ensureTable();
});

afterAll(async () => {
  client?.destroy();
  await engine?.close();
});

function finding(n: number, sourceId: string, classifierVersion: string | undefined): Finding {
  return makeFinding({
    messageId: `outdated-${n}@contoso.com`,
    recipient: `user${n}@fabrikam.example`,
    timestamp: `2026-11-2${n % 3}T10:00:00.000Z`,
    source: { sourceId },
    ...(classifierVersion === undefined ? {} : { classifierVersion }),
  });
}

async function ids(sourceId: string): Promise<string[]> {
  const found: string[] = [];
  for await (const page of store.findingIdsOfSource(sourceId)) found.push(...page);
  return found.sort();
}

async function counted(): Promise<number> {
  const rows = await store.queryRollups({ from: '2026-11-01', to: '2026-11-30' });
  return rows.reduce((sum, row) => sum + row.count, 0);
}

describe('the findings an older classifier wrote for an upload', () => {
  it('are enumerated per upload and removed once it was re-analysed, with their counts', async () => {
    // Prepare: upload A by an older version (one finding from before versions), upload B likewise.
    const older = [
      finding(1, 'A', 'v1'),
      finding(2, 'A', 'v1'),
      finding(3, 'A', undefined),
      finding(4, 'A', 'v1'),
    ];
    const other = finding(5, 'B', 'v1');
    await store.putFindings([...older, other]);
    expect(await ids('A')).toEqual(older.map((f) => f.id).sort());
    expect(await counted()).toBe(5);
    // The re-analysis of A at v2 finds 1 again (in another scenario) and 2 again; 3 and 4 no longer.
    const again = [{ ...finding(1, 'A', 'v2'), scenario: 'ndr' as const }, finding(2, 'A', 'v2')];
    await store.putFindings(again);
    // Act
    const { removed } = await store.removeOutdatedFindings('A', 'v2');
    // Assess
    expect(removed).toBe(2);
    expect(await ids('A')).toEqual(again.map((f) => f.id).sort());
    expect((await store.getFinding(again[0]?.id ?? ''))?.classifierVersion).toBe('v2');
    expect(await store.getFinding(older[3]?.id ?? '')).toBeUndefined();
    expect(await ids('B')).toEqual([other.id]);
    expect(await counted()).toBe(3);
    const rows = await store.queryRollups({ from: '2026-11-01', to: '2026-11-30' });
    expect(rows.filter((row) => row.scenario === 'ndr').reduce((sum, row) => sum + row.count, 0)).toBe(1);
    // A second removal finds nothing more.
    expect(await store.removeOutdatedFindings('A', 'v2')).toEqual({ removed: 0 });
  });
});
