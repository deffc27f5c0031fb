import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemBytes } from '../../functions/store/item-bounds.js';
import {
  contextId,
  createTableInput,
  dayStateKey,
  findingId,
  findingKey,
  findingKeyAttributes,
  findingSortKey,
  inboundKey,
  inboundPartition,
  keyTimestamp,
  ORGANISATION_CONFIG_KEY,
  parseSourceFindingsEntry,
  primaryKeyOf,
  READINESS_KEY,
  remediationId,
  remediationKey,
  rollupKey,
  rollupKeyAttributes,
  rollupMonths,
  rollupRangeBounds,
  SHARDS,
  SOURCES_PARTITION,
  scenarioPartition,
  senderDomainPartition,
  shardedValue,
  shardKey,
  shardKeys,
  shardOf,
  sourceFindingsItems,
  sourceId,
  sourceKey,
  sourceKeyAttributes,
  stripStoreAttributes,
  TABLE_DEFINITION,
  timeRangeBounds,
} from '../../functions/store/table-design.js';
import { makeFinding } from '../support/make-finding.js';

describe('findingId', () => {
  it('is stable: same message, recipient and code give the same 32-hex id', () => {
    // Prepare
    const args = ['<abc@contoso.com>', 'bob@fabrikam.example', '5.7.64'] as const;

    // Act
    const first = findingId(...args);
    const second = findingId(...args);

    // Assess
    expect(first).toBe(second);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
  });

  it('never changes between versions: ids already stored must still match', () => {
    // The first 32 hex digits of SHA-256("abc@contoso.com\0bob@fabrikam.example\05.7.64").
    expect(findingId('abc@contoso.com', 'bob@fabrikam.example', '5.7.64')).toBe(
      '05fa893db4b6a7feebbb68697c73ecd7',
    );
  });

  it('ignores the case and surrounding spaces of the recipient, and spaces around the message id', () => {
    // Prepare / Act
    const canonical = findingId('abc@contoso.com', 'bob@fabrikam.example', '5.7.64');
    const variant = findingId('  abc@contoso.com ', ' Bob@Fabrikam.EXAMPLE', '5.7.64');

    // Assess
    expect(variant).toBe(canonical);
  });

  it('keeps message ids case-sensitive (RFC 5322 ids are)', () => {
    expect(findingId('ABC@contoso.com', 'bob@x.example', '5.7.64')).not.toBe(
      findingId('abc@contoso.com', 'bob@x.example', '5.7.64'),
    );
  });

  it('differs for a different code, recipient or message', () => {
    // Prepare
    const base = findingId('abc@contoso.com', 'bob@fabrikam.example', '5.7.64');

    // Act
    const others = [
      findingId('abc@contoso.com', 'bob@fabrikam.example', '5.7.1'),
      findingId('abc@contoso.com', 'carol@fabrikam.example', '5.7.64'),
      findingId('abd@contoso.com', 'bob@fabrikam.example', '5.7.64'),
    ];

    // Assess
    for (const other of others) expect(other).not.toBe(base);
  });

  it('cannot be forged by moving text across the separator', () => {
    expect(findingId('a', 'bc', 'd')).not.toBe(findingId('ab', 'c', 'd'));
  });
});

describe('content and inbound keys', () => {
  it('never change between versions: items already stored must still be found', () => {
    // The first 32 hex digits of SHA-256 of "<kind>\0<JSON>" and of the Message-ID (UTF-8).
    expect(contextId({ server: 'EX01' })).toBe('296e0ada2632ebca72f6d1af3e35deed');
    expect(remediationId({ title: 'Add the domain' })).toBe('668371d3c728c9eeaccc339a721c4ea2');
    expect(inboundPartition('<Grüße.1@contoso.com>')).toBe('INBOUND#bf454d9c0361bff5debf5d864306c611');
  });
});

describe('sourceId', () => {
  it('is stable per identity and differs between identities', () => {
    expect(sourceId('s3://bucket/incoming/a.log#etag1')).toBe(sourceId('s3://bucket/incoming/a.log#etag1'));
    expect(sourceId('s3://bucket/incoming/a.log#etag1')).not.toBe(
      sourceId('s3://bucket/incoming/a.log#etag2'),
    );
    expect(sourceId('x')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('table definition', () => {
  it('defines pk/sk, three lean GSIs sharing one sort key, on-demand billing and the TTL attribute', () => {
    // Act
    const input = createTableInput('relay-audit');

    // Assess
    expect(input.TableName).toBe('relay-audit');
    expect(input.BillingMode).toBe('PAY_PER_REQUEST');
    expect(input.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(input.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['gsi1', 'gsi2', 'gsi3']);
    expect(input.GlobalSecondaryIndexes?.[1]?.KeySchema).toEqual([
      { AttributeName: 'gsi2pk', KeyType: 'HASH' },
      { AttributeName: 'gsisk', KeyType: 'RANGE' },
    ]);
    // No index copies whole items: each projects the keys plus what its queries filter on or read.
    expect(input.GlobalSecondaryIndexes?.map((index) => index.Projection)).toEqual([
      { ProjectionType: 'INCLUDE', NonKeyAttributes: ['messageId', 'src', 'sd'] },
      { ProjectionType: 'INCLUDE', NonKeyAttributes: ['gsi1pk'] },
      { ProjectionType: 'INCLUDE', NonKeyAttributes: ['gsi1pk', 'gsi2pk', 'sd'] },
    ]);
    const names = input.AttributeDefinitions?.map((attr) => attr.AttributeName) ?? [];
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(['pk', 'sk', 'gsi1pk', 'gsisk', 'gsi2pk', 'gsi3pk']);
    expect(TABLE_DEFINITION.timeToLiveAttribute).toBe('expiresAt');
  });
});

describe('key builders', () => {
  it('normalises timestamps in keys so string order is time order', () => {
    // '03Z' would sort after '03.500Z' as text although it is earlier; normalising fixes that.
    expect(keyTimestamp('2026-11-28T22:15:03Z')).toBe('2026-11-28T22:15:03.000Z');
    expect(keyTimestamp('2026-11-28T23:15:03+01:00')).toBe('2026-11-28T22:15:03.000Z');
    expect(
      findingSortKey('2026-11-28T22:15:03Z', 'f1') < findingSortKey('2026-11-28T22:15:03.500Z', 'f0'),
    ).toBe(true);
  });

  it('pattern 4: a finding by id', () => {
    expect(findingKey('abc')).toEqual({ pk: 'FINDING#abc', sk: 'FINDING' });
  });

  it('patterns 1-2: a finding is indexed by scenario, sender and recipient domain (lower-cased), each in its shard', () => {
    // Prepare
    const finding = makeFinding({
      id: 'f1',
      scenario: 'ndr',
      senderDomain: 'Contoso.COM',
      recipientDomain: 'Fabrikam.Example',
      timestamp: '2026-11-28T22:15:03Z',
      source: { sourceId: 'src1' },
    });

    // Act
    const attrs = findingKeyAttributes(finding, 1_800_000_000);

    // Assess
    const sortKey = '2026-11-28T22:15:03.000Z#f1';
    expect(attrs).toEqual({
      pk: { S: 'FINDING#f1' },
      sk: { S: 'FINDING' },
      gsi1pk: { S: `SCENARIO#ndr#${shardOf('f1', SHARDS.scenario)}` },
      gsi2pk: { S: `SENDER#contoso.com#${shardOf('f1', SHARDS.senderDomain)}` },
      gsi3pk: { S: 'RECIPIENT#fabrikam.example#0' },
      gsisk: { S: sortKey },
      src: { S: 'src1' },
      expiresAt: { N: '1800000000' },
    });
  });

  it('spreads findings evenly over the shards of a partition, and reads the value back from any shard', () => {
    // Act
    const counts = new Array<number>(SHARDS.scenario).fill(0);
    for (let i = 0; i < 8000; i += 1) {
      const id = createHash('sha256').update(String(i)).digest('hex').slice(0, 32);
      const shard = shardOf(id, SHARDS.scenario);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }

    // Assess: each shard within 10 % of an even share
    for (const count of counts) expect(Math.abs(count - 8000 / SHARDS.scenario)).toBeLessThan(100);
    expect(shardKeys(scenarioPartition('ndr'))).toHaveLength(SHARDS.scenario);
    expect(shardedValue(shardKey(senderDomainPartition('Contoso.com'), 'x'), 'SENDER#')).toBe('contoso.com');
    expect(shardedValue('SCENARIO#ndr', 'SCENARIO#')).toBeUndefined();
  });

  it('pattern 3: an upload lists its findings in its own item collection, 20 to an item, idempotently', () => {
    // Prepare
    const findings = Array.from({ length: 45 }, (_, i) => ({
      id: `f${String(i).padStart(2, '0')}`,
      timestamp: new Date(Date.UTC(2026, 10, 28, 10, 0, i)).toISOString(),
      sourceId: i < 41 ? 'up1' : 'up2',
      expiresAt: 1000 + i,
    }));

    // Act
    const items = sourceFindingsItems(findings);
    const again = sourceFindingsItems([...findings].reverse());

    // Assess
    expect(items.map((item) => [item.pk?.S, item.f?.SS?.length])).toEqual([
      ['SOURCE#up1', 20],
      ['SOURCE#up1', 20],
      ['SOURCE#up1', 1],
      ['SOURCE#up2', 4],
    ]);
    expect(new Set(again.map((item) => item.sk?.S))).toEqual(new Set(items.map((item) => item.sk?.S)));
    expect(items.every((item) => item.sk?.S?.startsWith('F#'))).toBe(true);
    expect(items[3]?.expiresAt).toEqual({ N: '1044' });
    const entry = items[0]?.f?.SS?.[0] ?? '';
    expect(parseSourceFindingsEntry(entry)).toEqual({
      id: 'f00',
      sortKey: findingSortKey('2026-11-28T10:00:00Z', 'f00'),
    });
    for (const item of items) expect(itemBytes(item)).toBeLessThanOrEqual(1024);
  });

  it('leaves connector-mismatch and wrong-region findings out of the sender index, their domain in `sd`', () => {
    // Act
    const attrs = findingKeyAttributes(
      makeFinding({ scenario: 'connector-mismatch', senderDomain: 'Contoso.COM' }),
      1,
    );

    // Assess
    expect(attrs).not.toHaveProperty('gsi2pk');
    expect(attrs.sd).toEqual({ S: 'contoso.com' });
    expect(attrs).toHaveProperty('gsi3pk');
  });

  it('leaves a finding out of the domain indexes when it has no domain (sparse index)', () => {
    // Prepare
    const finding = makeFinding({ senderDomain: undefined, recipientDomain: undefined });

    // Act
    const attrs = findingKeyAttributes(finding, 1);

    // Assess
    expect(attrs).not.toHaveProperty('gsi2pk');
    expect(attrs).not.toHaveProperty('gsi3pk');
    expect(attrs).toHaveProperty('gsi1pk');
  });

  it('pattern 6: sources by id and in one newest-first listing partition', () => {
    // Prepare
    const record = {
      id: 's1',
      file: 'a.log',
      status: 'done' as const,
      startedAt: '2026-11-28T10:00:00Z',
      bytes: 1,
      rowsRead: 1,
      rowsAnalysed: 1,
      rowsSkipped: 0,
      events: 1,
      rejections: 0,
      skipped: [],
      skippedTruncated: 0,
      skippedByReason: {},
      findingsByScenario: {},
    };

    // Act
    const attrs = sourceKeyAttributes(record, 5);

    // Assess
    expect(sourceKey('s1')).toEqual({ pk: 'SOURCE#s1', sk: 'SOURCE' });
    expect(attrs.gsi1pk).toEqual({ S: shardKey(SOURCES_PARTITION, 's1') });
    expect(attrs.gsisk).toEqual({ S: '2026-11-28T10:00:00.000Z#s1' });
    expect(attrs.entity).toEqual({ S: 'source' });
  });

  it('pattern 5: rollups are keyed by month partition and day-first sort key', () => {
    // Prepare
    const item = {
      date: '2026-11-28',
      scenario: 'ndr' as const,
      senderDomain: 'Contoso.com',
      server: 'EX01',
      count: 3,
    };

    // Act
    const key = rollupKey(item);
    const attrs = rollupKeyAttributes(item);

    // Assess
    expect(key).toEqual({ pk: 'ROLLUP#2026-11', sk: '2026-11-28#ndr#contoso.com#EX01' });
    expect(attrs).not.toHaveProperty('expiresAt');
    expect(rollupMonths('2026-11-15', '2027-02-01')).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    expect(rollupMonths('2026-11-15', '2026-11-20')).toEqual(['2026-11']);
    const bounds = rollupRangeBounds('2026-11-01', '2026-11-28');
    expect(bounds.lower <= key.sk && key.sk <= bounds.upper).toBe(true);
  });

  it('time-range bounds include both ends, down to every id at the `until` millisecond', () => {
    // Act
    const { lower, upper } = timeRangeBounds({
      since: '2026-11-01T00:00:00Z',
      until: '2026-11-28T22:15:03Z',
    });

    // Assess
    const atUntil = findingSortKey('2026-11-28T22:15:03Z', 'ffffffffffffffffffffffffffffffff');
    const atSince = findingSortKey('2026-11-01T00:00:00Z', '00000000000000000000000000000000');
    const after = findingSortKey('2026-11-28T22:15:03.001Z', '0');
    expect(lower !== undefined && lower <= atSince).toBe(true);
    expect(upper !== undefined && atUntil <= upper).toBe(true);
    expect(upper !== undefined && after > upper).toBe(true);
    expect(timeRangeBounds({})).toEqual({});
  });

  it('strips store attributes from an item', () => {
    // Prepare
    const finding = makeFinding({ id: 'f9' });
    const item: Record<string, AttributeValue> = { ...findingKeyAttributes(finding, 1), id: { S: 'f9' } };

    // Act
    const stripped = stripStoreAttributes(item);

    // Assess
    expect(stripped).toEqual({ id: { S: 'f9' } });
    expect(primaryKeyOf(item)).toBe('FINDING#f9\u0000FINDING');
    expect(scenarioPartition('wrong-region').prefix).toBe('SCENARIO#wrong-region');
  });
});

describe('item kinds in the one table', () => {
  it('gives every item kind its own partition-key prefix, so no two kinds can collide', () => {
    const partitionKeys = [
      findingKey('f').pk,
      sourceKey('s').pk,
      rollupKey({ date: '2026-11-28', scenario: 'ndr', senderDomain: 'contoso.com', server: 'EX01' }).pk,
      remediationKey('r').pk,
      inboundKey({
        messageId: '<m@x>',
        receivedAt: '2026-11-28T10:00:00.000Z',
        sourceId: 's',
        recipient: 'a@b',
      }).pk,
      dayStateKey('2026-11-28').pk,
      ORGANISATION_CONFIG_KEY.pk,
      READINESS_KEY.pk,
    ];
    const prefixes = partitionKeys.map((pk) => pk.split('#')[0]);
    expect(new Set(prefixes).size).toBe(partitionKeys.length);
  });
});
