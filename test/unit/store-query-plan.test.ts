import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../functions/core/kernel/errors.js';
import { decodeCursor, encodeCursor } from '../../functions/store/cursor.js';
import { buildQueryExpressions } from '../../functions/store/expressions.js';
import { parseFindingsQuery, planFindingsQuery } from '../../functions/store/query-plan.js';
import { SHARDS } from '../../functions/store/table-design.js';

describe('planFindingsQuery', () => {
  it('merges every shard of the five scenario partitions when no filter selects an index (never a Scan)', () => {
    // Act
    const plan = planFindingsQuery(parseFindingsQuery({}));

    // Assess
    const scenarios = ['ndr', 'forwarding', 'foreign-sender-domain', 'connector-mismatch', 'wrong-region'];
    expect(plan.partitions.map((p) => p.partitionKey)).toEqual(
      scenarios.flatMap((scenario) =>
        Array.from({ length: SHARDS.scenario }, (_, n) => `SCENARIO#${scenario}#${n}`),
      ),
    );
    expect(plan.partitions.every((p) => p.indexName === 'gsi1')).toBe(true);
    expect(plan.filters).toEqual([]);
  });

  it('uses the most selective index (all its shards) and filters on the rest; a source reads its list', () => {
    // Act
    const senderAndScenario = planFindingsQuery(
      parseFindingsQuery({ scenario: 'ndr', senderDomain: 'Contoso.com' }),
    );
    const all = planFindingsQuery(
      parseFindingsQuery({
        scenario: 'ndr',
        senderDomain: 'contoso.com',
        recipientDomain: 'x.example',
        sourceId: 's1',
      }),
    );

    // Assess
    const ndr = [{ attribute: 'gsi1pk', prefix: 'SCENARIO#ndr#' }];
    expect(senderAndScenario.partitions).toEqual(
      Array.from({ length: SHARDS.senderDomain }, (_, n) => ({
        indexName: 'gsi2',
        partitionKey: `SENDER#contoso.com#${n}`,
        filters: [ndr],
      })),
    );
    expect(all.partitions).toEqual([]);
    expect(all.sourceId).toBe('s1');
    expect(all.filters.map((filter) => filter.map((condition) => condition.attribute))).toEqual([
      ['gsi3pk'],
      ['gsi2pk', 'sd'],
      ['gsi1pk'],
    ]);
  });

  it('reads a sender domain from its index and from the scenarios left out of it, filtered on `sd`', () => {
    // Act
    const sender = planFindingsQuery(parseFindingsQuery({ senderDomain: 'Contoso.com' }));
    const senderAndMismatch = planFindingsQuery(
      parseFindingsQuery({ senderDomain: 'contoso.com', scenario: 'connector-mismatch' }),
    );

    // Assess
    const bySd = [[{ attribute: 'sd', equals: 'contoso.com' }]];
    const shards = (prefix: string) => Array.from({ length: SHARDS.scenario }, (_, n) => `${prefix}#${n}`);
    expect(sender.partitions.map((p) => [p.indexName, p.partitionKey, p.filters])).toEqual([
      ...Array.from({ length: SHARDS.senderDomain }, (_, n) => ['gsi2', `SENDER#contoso.com#${n}`, []]),
      ...shards('SCENARIO#connector-mismatch').map((key) => ['gsi1', key, bySd]),
      ...shards('SCENARIO#wrong-region').map((key) => ['gsi1', key, bySd]),
    ]);
    expect(senderAndMismatch.partitions.map((p) => [p.partitionKey, p.filters])).toEqual(
      shards('SCENARIO#connector-mismatch').map((key) => [key, bySd]),
    );
  });

  it('reads a bare day as the whole day and rejects an inverted range', () => {
    // Act
    const plan = planFindingsQuery(parseFindingsQuery({ since: '2026-11-01', until: '2026-11-30' }));

    // Assess
    expect(plan.lower).toBe('2026-11-01T00:00:00.000Z');
    expect(plan.upper).toBe('2026-11-30T23:59:59.999Z#\uffff');
    expect(() => planFindingsQuery(parseFindingsQuery({ since: '2026-12-01', until: '2026-11-30' }))).toThrow(
      ArgumentError,
    );
  });

  it('rejects invalid options with ArgumentError naming the field', () => {
    expect(() => parseFindingsQuery({ since: 'yesterday' })).toThrow(
      'invalid since: "yesterday" is neither a day such as 2026-11-20 nor an ISO 8601 time such as 2026-11-20T08:00:00Z',
    );
    expect(() => parseFindingsQuery({ until: '2026-02-30' })).toThrow(
      /^invalid until: "2026-02-30" is neither/,
    );
    expect(() => parseFindingsQuery({ limit: 0 })).toThrow(ArgumentError);
    expect(() => parseFindingsQuery({ scenario: 'nope' as 'ndr' })).toThrow(/scenario/);
  });

  it('gives different queries different fingerprints', () => {
    const a = planFindingsQuery(parseFindingsQuery({ scenario: 'ndr' }));
    const b = planFindingsQuery(parseFindingsQuery({ scenario: 'ndr', since: '2026-11-01' }));
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });
});

describe('cursor codec', () => {
  it('round-trips a payload', () => {
    // Prepare
    const payload = { v: 2 as const, q: 'abc', a: '2026-11-28T10:00:00.000Z#f1' };

    // Act
    const decoded = decodeCursor(encodeCursor(payload), 'abc');

    // Assess
    expect(decoded).toEqual(payload);
  });

  it.each([
    ['garbage', '!!!not-base64!!!'],
    ['not JSON', Buffer.from('{oops').toString('base64url')],
    ['wrong shape', Buffer.from(JSON.stringify({ v: 2, q: 'abc', p: [] })).toString('base64url')],
    ['an earlier version', Buffer.from(JSON.stringify({ v: 1, q: 'abc', p: [null] })).toString('base64url')],
    ['empty position', Buffer.from(JSON.stringify({ v: 2, q: 'abc', a: '' })).toString('base64url')],
    ['another query', encodeCursor({ v: 2, q: 'other', a: '2026-11-28T10:00:00.000Z#f1' })],
    ['an edited position', encodeCursor({ v: 2, q: 'abc', a: 'garbage' })],
    ['a position of no time', encodeCursor({ v: 2, q: 'abc', a: '2026-11-28#f1' })],
    ['empty', ''],
  ])('rejects %s with ArgumentError', (_label, cursor) => {
    expect(() => decodeCursor(cursor, 'abc')).toThrow(ArgumentError);
  });
});

describe('buildQueryExpressions', () => {
  it('uses BETWEEN, >= or <= depending on the bounds given, and AND-ed partition filters', () => {
    // Act
    const both = buildQueryExpressions({
      partitionAttribute: 'gsi1pk',
      partitionKey: 'SCENARIO#ndr',
      sortAttribute: 'gsi1sk',
      lower: 'a',
      upper: 'b',
      filters: [
        [{ attribute: 'gsi2pk', prefix: 'SENDER#contoso.com#' }],
        [
          { attribute: 'gsi1pk', prefix: 'SCENARIO#ndr#' },
          { attribute: 'sd', equals: 'contoso.com' },
        ],
      ],
    });
    const lowerOnly = buildQueryExpressions({
      partitionAttribute: 'p',
      partitionKey: 'x',
      sortAttribute: 's',
      lower: 'a',
    });
    const none = buildQueryExpressions({ partitionAttribute: 'p', partitionKey: 'x', sortAttribute: 's' });

    // Assess
    expect(both.KeyConditionExpression).toBe('#pk = :pk AND #sk BETWEEN :lo AND :hi');
    expect(both.FilterExpression).toBe(
      'begins_with(#f0_0, :f0_0) AND (begins_with(#f1_0, :f1_0) OR #f1_1 = :f1_1)',
    );
    expect(both.ExpressionAttributeNames).toEqual({
      '#pk': 'gsi1pk',
      '#sk': 'gsi1sk',
      '#f0_0': 'gsi2pk',
      '#f1_0': 'gsi1pk',
      '#f1_1': 'sd',
    });
    expect(lowerOnly.KeyConditionExpression).toBe('#pk = :pk AND #sk >= :lo');
    expect(none.KeyConditionExpression).toBe('#pk = :pk');
    expect(none.ExpressionAttributeNames).toEqual({ '#pk': 'p' });
    expect(none.FilterExpression).toBeUndefined();
  });
});
