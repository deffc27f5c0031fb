/**
 * One oversized field from a log never fails a write: a finding with a 600 KB subject and a
 * 3,000-character domain (past DynamoDB's 400 KB item and 2 KB partition-key limits) is stored cut,
 * with a marker, beside the ordinary findings of its batch — and so is a source record with long
 * skipped-row messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { MAX_NAME_CHARS, MAX_TEXT_CHARS } from '../../functions/store/item-bounds.js';
import { makeFinding, makeSource } from '../support/make-finding.js';

let engine: EmbeddedStore;

beforeAll(async () => {
  engine = await startEmbeddedStore({ inMemory: true, tableName: 'store-bounds' });
});
afterAll(async () => {
  await engine.close();
});

describe('item bounds', () => {
  it('stores an oversized finding cut, with its batch, and keeps its id', async () => {
    // Prepare
    const huge = makeFinding({
      subject: 'S'.repeat(600_000),
      recipientDomain: `${'d'.repeat(3_000)}.example`,
      rejectionText: `550 5.7.64 TenantAttribution; Relay Access Denied ${'x'.repeat(200_000)}`,
    });
    const ordinary = makeFinding();

    // Act
    const result = await engine.store.putFindings([huge, ordinary]);
    const storedHuge = await engine.store.getFinding(huge.id);
    const storedOrdinary = await engine.store.getFinding(ordinary.id);

    // Assess
    expect(result.written).toBe(2);
    expect(storedOrdinary).toEqual(ordinary);
    expect(storedHuge?.id).toBe(huge.id);
    expect(storedHuge?.subject?.startsWith('S'.repeat(MAX_TEXT_CHARS))).toBe(true);
    expect(storedHuge?.subject).toMatch(/… \[cut: 600000 characters, sha256 [0-9a-f]{16}\]$/);
    expect(storedHuge?.recipientDomain?.length).toBeLessThan(MAX_NAME_CHARS + 80);
    expect(storedHuge?.rejectionText.length).toBeLessThan(MAX_TEXT_CHARS + 80);
  });

  it('stores a source record whose skipped rows quote long cells', async () => {
    const source = makeSource({
      id: 'long-skips',
      rowsRead: 100,
      rowsSkipped: 100,
      rowsAnalysed: 0,
      skipped: Array.from({ length: 100 }, (_, i) => ({
        line: i + 2,
        reason: 'BAD_TIMESTAMP',
        message: `unparseable date ${'9'.repeat(20_000)}`,
      })),
    });
    await engine.store.putSource(source);
    const stored = await engine.store.getSource('long-skips');
    expect(stored?.skipped).toHaveLength(100);
    expect(stored?.skipped[0]?.message).toMatch(/\[cut: 20017 characters/);
  });
});
