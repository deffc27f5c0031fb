/**
 * A run into the store stopped by Ctrl+C part-way through a mail log read newest first (a `tac` or
 * Splunk export) stores the refusals it still holds, keyed as it could then (by queue id: the
 * Message-ID line comes later in such a file). Analysing the file again reads it whole and keys the
 * same refusals by Message-ID: the store must end with the findings and counters of one whole run,
 * not both sets. Real embedded engine, the runs as `analyze` makes them (analyzeIntoStore), the
 * file read in small pieces so that the stop falls inside it.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { analyzeIntoStore } from '../../bin/support/store-run.js';
import { analyze } from '../../functions/core/analysis/analyze.js';
import type { AnalysisInput } from '../../functions/core/analysis/input/parse-input.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { InferredDomains } from '../../functions/core/organisation/accepted-domains.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { rollupKey } from '../../functions/store/table-design.js';
import { startLocalDynamo } from '../support/local-engines.js';
import { MemorySink } from '../support/memory-sink.js';
import { countsPerCell } from '../support/rollup-counts.js';

const REAL_WORLD = join(import.meta.dirname, '..', 'fixtures', 'real-world');
/** Bytes per piece read: a few lines, so that the stop falls inside the file. */
const PIECE_BYTES = 256;

let dynamo: EmbeddedServer;

beforeEach(async () => {
  dynamo = await startLocalDynamo('relay-audit-stopped-run');
}, 60_000);
afterEach(async () => {
  await dynamo?.close();
});

async function* inPieces(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const piece of body)
    for (let at = 0; at < piece.length; at += PIECE_BYTES) yield piece.subarray(at, at + PIECE_BYTES);
}

async function inputsOf(path: string): Promise<AnalysisInput[]> {
  return (await localInputs([path])).map((input) => ({ ...input, open: () => inPieces(input.open()) }));
}

async function storedIds(): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await dynamo.store.queryFindings({ limit: 500, cursor });
    ids.push(...page.items.map((finding) => finding.id));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return ids.sort();
}

describe('a mail log analysed again after a run into the store was stopped in it', () => {
  // With the pieces read before the stop: where the stopped run still held refusals by queue id.
  it.each([
    ['mail-logs-out-of-order/postfix-newest-first.log', 5],
    ['mail-logs-out-of-order/postfix-reused-queue-id-newest-first.log', 6],
    ['mta-log-repeats/postfix-next-server-newest-first.log', 6],
  ])('%s ends with the findings and counters of one whole run', async (file, stopAfter) => {
    // Prepare: what one whole run finds.
    const path = join(REAL_WORLD, file);
    const sink = new MemorySink();
    const whole = await analyze(await inputsOf(path), { domains: new InferredDomains(), sink });
    const expected: Finding[] = [...sink.findings.values()];
    const expectedIds = expected.map((finding) => finding.id).sort();

    // Act: a run stopped after a few pieces (as Ctrl+C stops it), then the file analysed again.
    let asked = 0;
    const stopped = await analyzeIntoStore(dynamo, await inputsOf(path), {
      domains: new InferredDomains(),
      interrupted: () => ++asked > stopAfter,
    });
    const afterStop = await storedIds();
    const again = await analyzeIntoStore(dynamo, await inputsOf(path), { domains: new InferredDomains() });

    // Assess: the stopped run stored refusals keyed otherwise...
    expect(stopped.result.sources[0]?.status).toBe('failed');
    expect(afterStop.some((id) => !expectedIds.includes(id))).toBe(true);
    // ...and the second run leaves the store as one whole run: findings, record, counters.
    expect(again.result.sources[0]?.status).toBe('done');
    expect(await storedIds()).toEqual(expectedIds);
    const record = await dynamo.store.getSource(again.result.sources[0]?.id ?? '');
    expect(record?.findingsByScenario).toEqual(whole.sources[0]?.findingsByScenario);
    const days = expected.map((finding) => finding.timestamp.slice(0, 10)).sort();
    const range = { from: days[0] ?? '', to: days.at(-1) ?? '' };
    const counters = new Map(
      (await dynamo.store.queryRollups(range)).map((row) => {
        const key = rollupKey(row);
        return [`${key.pk} ${key.sk}`, row.count];
      }),
    );
    expect(counters).toEqual(countsPerCell(expected));
    expect((await dynamo.store.queryRollupCounters(range)).filter((row) => row.count < 0)).toEqual([]);
  });
});
