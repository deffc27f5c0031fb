/** Remediation texts are stored once and joined back on read (real embedded engine). */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/index.js';
import { remediationId } from '../../functions/store/table-design.js';
import { makeFindingsSeries } from '../support/make-finding.js';

describe('remediations by reference', () => {
  let engine: EmbeddedStore;
  beforeAll(async () => {
    engine = await startEmbeddedStore({ inMemory: true, tableName: 'remediation-refs' });
  });
  afterAll(async () => {
    await engine.close();
  });

  it('stores a shared remediation once and returns it whole with every finding, from any store instance', async () => {
    // Prepare: 60 findings sharing one remediation text
    const findings = makeFindingsSeries(60, '2026-11-28T00:00:00.000Z');
    const shared = findings[0]?.remediation;
    if (!shared) throw new Error('no findings');
    const same = findings.map((finding) => ({ ...finding, remediation: shared }));

    // Act
    await engine.store.putFindings(same);
    const fresh = new FindingsStore({ client: engine.client, tableName: engine.tableName });
    const page = await fresh.queryFindings({ limit: 60 });
    const one = await fresh.getFinding(same[7]?.id ?? '');

    // Assess
    expect(page.items).toHaveLength(60);
    for (const finding of page.items) expect(finding.remediation).toEqual(shared);
    expect(one?.remediation).toEqual(shared);
    const stored = await engine.client.send(
      new QueryCommand({
        TableName: engine.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': {
            S: `REMEDIATION#${remediationId(shared)}`,
          },
        },
      }),
    );
    expect(stored.Count).toBe(1);
  });
});
