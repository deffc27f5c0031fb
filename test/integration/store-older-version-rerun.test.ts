/**
 * `analyze --db` on a file an older relay-audit already analysed into the same store: what the
 * current classifier no longer finds (an older reader gave a refusal to recipients the log shows
 * accepted) is removed with its counts, as the cloud's re-analysis removes it, instead of staying
 * beside the findings the run wrote. The older version's findings are made here as it wrote them:
 * the run's own record and findings, with an older version, and one more finding it gave.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASSIFIER_VERSION } from '../../functions/core/analysis/classifier-version.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { cli } from '../support/capture-output.js';
import { countsPerCell, storedCounters } from '../support/rollup-counts.js';

const FIXTURE = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'real-world',
  'smtp-transactions',
  'rolled-over-runs',
  'missing-middle-joined.LOG',
);
const OLDER = '2026.12.17';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-older-version-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The store's findings, and its one file's record. */
async function contents(db: string) {
  const handle = await startEmbeddedStore({ dir: db });
  try {
    const findings = (await handle.store.queryFindings({ limit: 100 })).items;
    const [source] = (await handle.store.listSources()).items;
    return { findings, source };
  } finally {
    await handle.close();
  }
}

/** Rewrites the store as the older version left it: its record and findings of that version, and `extra`. */
async function asOlderVersionLeftIt(db: string, extra: Finding): Promise<void> {
  const handle = await startEmbeddedStore({ dir: db });
  try {
    const findings = (await handle.store.queryFindings({ limit: 100 })).items;
    const [source] = (await handle.store.listSources()).items;
    if (source === undefined) throw new Error('no source record');
    await handle.store.putFindings(
      [...findings, extra].map((finding) => ({ ...finding, classifierVersion: OLDER })),
    );
    await handle.store.putSource({ ...source, classifierVersion: OLDER });
  } finally {
    await handle.close();
  }
}

describe('a file analysed again into a store an older version wrote', () => {
  it('removes what the current version no longer finds, with its count', async () => {
    // Prepare: the file in the store, then as the older version left it, one finding more.
    const file = join(dir, 'SEND20261128-joined.LOG');
    await copyFile(FIXTURE, file);
    const db = join(dir, 'db');
    const options = ['--db', db, '--accepted-domains', 'contoso.com'];
    expect((await cli('analyze', file, ...options)).status).toBe(0);
    const current = await contents(db);
    const [first] = current.findings;
    if (first === undefined) throw new Error('no finding');
    const extra = {
      ...first,
      id: `${first.id.slice(0, -1)}${first.id.endsWith('0') ? '1' : '0'}`,
      recipient: 'ok1@adatum.com',
    };
    await asOlderVersionLeftIt(db, extra);
    const older = await contents(db);
    expect(older.findings).toHaveLength(current.findings.length + 1);
    // Act
    const { status } = await cli('analyze', file, ...options);
    // Assess: the run's findings alone, at this version, counted once each.
    expect(status).toBe(0);
    const after = await contents(db);
    expect(after.findings.map((finding) => finding.id).sort()).toEqual(
      current.findings.map((finding) => finding.id).sort(),
    );
    expect(new Set(after.findings.map((finding) => finding.classifierVersion))).toEqual(
      new Set([CLASSIFIER_VERSION]),
    );
    expect(await storedCounters(db, after.findings)).toEqual(countsPerCell(after.findings));
    expect(after.source?.classifierVersion).toBe(CLASSIFIER_VERSION);
  });
});
