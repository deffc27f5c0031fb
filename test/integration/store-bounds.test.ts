/**
 * One oversized field from a log never fails a write: a finding with a 600 KB subject and a
 * 3,000-character domain (past DynamoDB's 400 KB item and 2 KB partition-key limits) is stored cut,
 * with a marker, beside the ordinary findings of its batch — and so is a source record with long
 * skipped-row messages.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalysisInput, analyze } from '../../functions/core/analysis/analyze.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { wellFormed } from '../../functions/core/text/well-formed.js';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/findings-store.js';
import { MAX_NAME_CHARS, MAX_SKIPPED_BYTES, MAX_TEXT_CHARS } from '../../functions/store/item-bounds.js';
import { cli } from '../support/capture-output.js';
import { makeFinding, makeSource } from '../support/make-finding.js';

let engine: EmbeddedStore;

beforeAll(async () => {
  engine = await startEmbeddedStore({ inMemory: true, tableName: 'store-bounds' });
});
afterAll(async () => {
  await engine.close();
});

/** A source record of 100 rows, all skipped with `message` (and `column`). */
function sourceOfSkips(id: string, message: string, column?: string) {
  return makeSource({
    id,
    rowsRead: 100,
    rowsSkipped: 100,
    rowsAnalysed: 0,
    skipped: Array.from({ length: 100 }, (_, i) => ({
      line: i + 2,
      reason: 'BAD_TIMESTAMP',
      message,
      ...(column === undefined ? {} : { column }),
    })),
  });
}

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

  it('cuts a subject and an address between characters, never inside a surrogate pair (an emoji)', async () => {
    const finding = makeFinding({
      subject: `${'S'.repeat(MAX_TEXT_CHARS - 1)}\u{1F600} sale`,
      recipient: `${'r'.repeat(MAX_NAME_CHARS - 1)}\u{1F600}@fabrikam.com`,
    });
    await engine.store.putFindings([finding]);
    const stored = await engine.store.getFinding(finding.id);
    for (const text of [stored?.subject, stored?.recipient]) {
      expect(text).toMatch(/… \[cut: /);
      expect(text).toBeDefined();
      expect(wellFormed(text ?? '')).toBe(text); // no lone surrogate: JSON and UTF-8 readers take it
    }
    expect(stored?.subject?.startsWith(`${'S'.repeat(MAX_TEXT_CHARS - 1)}…`)).toBe(true);
  });

  it('stores a source record whose skipped rows quote long cells', async () => {
    const source = sourceOfSkips('long-skips', `unparseable date ${'9'.repeat(20_000)}`);
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

describe('the skipped rows of a source record', () => {
  it('are listed up to a size in bytes, the rest counted: a hundred long rows in a three-byte script are stored', async () => {
    // 100 messages cut to 1,024 characters of 3 UTF-8 bytes each, and 320-character columns: 400 KB listed.
    const source = sourceOfSkips('wide-skips', `unparseable date ${'日'.repeat(2_000)}`, '列'.repeat(400));
    await engine.store.putSource(source);
    const stored = await engine.store.getSource('wide-skips');
    const listed = stored?.skipped.length ?? 0;
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThan(100);
    expect(stored?.skippedTruncated).toBe(100 - listed);
    expect(Buffer.byteLength(JSON.stringify(stored?.skipped))).toBeLessThanOrEqual(MAX_SKIPPED_BYTES + 4_096);
  });
});

describe('a finding the store refuses', () => {
  it('is a skipped row of its file, with why; the run goes on and the other findings are stored', async () => {
    // Prepare: the store refuses any write of the finding of line 25 of a sample log as DynamoDB refuses
    // an item past 400 KB (a ValidationException); a good file follows it.
    const refusing = Object.create(engine.client) as DynamoDBClient;
    const send = engine.client.send.bind(engine.client) as (command: unknown) => Promise<unknown>;
    refusing.send = ((command: { input?: unknown }) => {
      if (JSON.stringify(command.input ?? {}).includes('7A287300880B5C534FC4108D1864D4FB')) {
        const error = new Error('Item size has exceeded the maximum allowed size');
        error.name = 'ValidationException';
        return Promise.reject(error);
      }
      return send(command);
    }) as DynamoDBClient['send'];
    const store = new FindingsStore({ client: refusing, tableName: engine.tableName });
    const sample = (name: string): AnalysisInput => ({
      name,
      sourceId: `refused-${name}`,
      open: async function* () {
        yield await readFile(`sample-logs/${name}`);
      },
    });
    const domains = parseAcceptedDomains('contoso.com,corp.contoso.com', 'test');

    // Act
    const result = await analyze([sample('MSGTRK2026112800-1.LOG'), sample('MSGTRK2026112800-2.LOG')], {
      domains,
      sink: store,
    });

    // Assess
    const [first, second] = result.sources;
    expect(first).toMatchObject({ status: 'done', rowsRead: 30, rowsAnalysed: 29, rowsSkipped: 1 });
    expect(first?.skipped).toEqual([
      {
        line: 25,
        reason: 'FINDING_NOT_STORED',
        message: expect.stringMatching(/^the store refused the finding for .*: .*Item size has exceeded/),
      },
    ]);
    expect(second?.status).toBe('done');
    const stored = await engine.store.getSource('refused-MSGTRK2026112800-1.LOG');
    expect(stored?.skippedByReason).toEqual({ FINDING_NOT_STORED: 1 });
    const findings = await engine.store.queryFindings({ sourceId: 'refused-MSGTRK2026112800-1.LOG' });
    expect(findings.items.map((finding) => finding.source.line).sort()).toEqual([18, 23, 31]);
    expect(first?.findingsByScenario).toEqual({
      'connector-mismatch': 1,
      'foreign-sender-domain': 1,
      'wrong-region': 1,
    });
  });
});
