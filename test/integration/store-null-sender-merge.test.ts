/**
 * Two overlapping trace detail exports of an NDR, each analysed in a run of its own into one store:
 * the later export begins after the NDR's `Receive` row (which names the null envelope sender) and
 * reads the NDR by its header sender. The store keeps the NDR with its null sender and no sender
 * domain, as one run over both exports gives it, in either order, and counts it under `<>`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { analyzeNoStore } from '../support/analyze-no-store.js';
import { cli } from '../support/capture-output.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'overlapping-detail-ndr');
const LONGER = join(FIXTURES, 'detail-2200-2305.csv');
const LATER = join(FIXTURES, 'detail-221503-2305.csv');
const NDR = 'NDR.4C1B@EX01.contoso.local';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-null-sender-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The NDR as one `analyze --no-store` run over `files` gives it. */
async function analysedNdr(...[file, ...more]: [string, ...string[]]): Promise<Finding | undefined> {
  const run = await analyzeNoStore(file, ...more, '--accepted-domains', 'contoso.com');
  expect(run.status).toBe(0);
  return run.findings.find((finding) => finding.messageId === NDR);
}

/** The stored NDR and the sender domains the day's counters count NDRs under. */
async function storeOf(db: string) {
  const handle = await startEmbeddedStore({ dir: db });
  try {
    const findings = (await handle.store.queryFindings({ limit: 100 })).items;
    const rows = await handle.store.queryRollups({ from: '2026-11-28', to: '2026-11-28' });
    return {
      ndr: findings.find((finding) => finding.messageId === NDR),
      counted: rows
        .filter((row) => row.scenario === 'ndr')
        .map((row) => [row.senderDomain, row.count])
        .sort(),
    };
  } finally {
    await handle.close();
  }
}

describe('an NDR in two overlapping trace detail exports, analysed in separate runs', () => {
  it.each([
    ['the later export first', [LATER, LONGER]],
    ['the longer export first', [LONGER, LATER]],
  ])('keeps its null sender and no sender domain, counted under <>, %s', async (name, files) => {
    // Prepare
    const db = join(dir, name.replaceAll(' ', '-'));
    const whole = await analysedNdr(LONGER, LATER);
    const later = await analysedNdr(LATER);
    // Act
    for (const file of files) {
      const run = await cli('analyze', file, '--accepted-domains', 'contoso.com', '--db', db);
      expect(run.status, run.out.stderr).toBe(0);
    }
    const after = await storeOf(db);
    // Assess: the later export alone took the header sender's domain.
    expect(later?.senderDomain).toBe('contoso.com');
    expect(whole).toMatchObject({ scenario: 'ndr', returnPath: '' });
    expect(whole?.senderDomain).toBeUndefined();
    expect(after.ndr).toMatchObject({ scenario: 'ndr', returnPath: '', confidence: 'high' });
    expect(after.ndr?.senderDomain).toBeUndefined();
    expect(after.counted).toEqual([['<>', 1]]);
  });
});
