/**
 * One oversized field from a log never fails a write: a finding with a 600 KB subject and a
 * 3,000-character domain (past DynamoDB's 400 KB item and 2 KB partition-key limits) is stored cut,
 * with a marker, beside the ordinary findings of its batch — and so is a source record with long
 * skipped-row messages.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { MAX_NAME_CHARS, MAX_TEXT_CHARS } from '../../functions/store/item-bounds.js';
import { cli } from '../support/capture-output.js';
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

describe('a log with one oversized subject', () => {
  it('is analysed into the store with the other files of the run, the same findings as the plain files', async () => {
    // Prepare: a refusal of a sample log whose subject is 600 KB (a status is cut by the parser; a
    // subject reaches the store whole).
    const dir = await mkdtemp(join(tmpdir(), 'relay-audit-bounds-'));
    try {
      const sample = await readFile('sample-logs/MSGTRK2026112800-1.LOG', 'utf8');
      const huge = sample.replace(
        '"Remittance advice 2026-11, batch 7"',
        `"Remittance advice ${'Z'.repeat(600_000)}"`,
      );
      expect(huge.length).toBeGreaterThan(sample.length + 500_000);
      const file = join(dir, 'MSGTRK-huge.LOG');
      await writeFile(file, huge);
      const domains = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];

      // Act
      const run = await cli(
        'analyze',
        file,
        'sample-logs/MSGTRK2026112800-2.LOG',
        ...domains,
        '--db',
        join(dir, 'db'),
        '--json',
      );
      const plain = await cli(
        'analyze',
        'sample-logs/MSGTRK2026112800-1.LOG',
        'sample-logs/MSGTRK2026112800-2.LOG',
        ...domains,
        '--no-store',
        '--json',
      );

      // Assess: the same findings as the unmodified files give, every file done.
      expect(run.status).toBe(0);
      const summary = JSON.parse(run.out.stdout);
      expect(summary.sources.map((source: { status: string }) => source.status)).toEqual(['done', 'done']);
      expect(summary.findingsByScenario).toEqual(JSON.parse(plain.out.stderr).findingsByScenario);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
