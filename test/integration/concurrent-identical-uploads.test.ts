/**
 * One file dropped twice on `relay-audit serve`'s dashboard at the same moment (`mail.log` and
 * `mail (1).log`, the same bytes): each upload is analysed into the store by its own run, side by
 * side (bin/support/local-uploads.ts: one `analyzeIntoStore` per upload, each its own source id, as
 * ingest runs one Lambda per object). Both find the same refusals, stored once under the upload that
 * wrote them last. Each upload's record must still count what its file says, as one run of it into
 * the same store would, the store what one run over every file says, and nothing twice.
 *
 * The runs are interleaved here as the race falls out, without timing luck: the first run's end-of-run
 * correlation waits until the second has written its findings (the store then lists them under the
 * second upload), and the second's until the first is over. Real embedded engine (dynalite).
 *
 * - A receipt in an earlier upload proves one of the file's refusals forwarding: both records say so.
 * - An earlier upload's receipt naming the refused recipient undoes a forwarding: both records say so.
 * - The file's own receipts, read too late for its classifier (a file sorted newest first, more than
 *   `--window` events between the refusal and the rows that show its message arriving; the window is
 *   small here in place of a busy day's 20 000 events), are the copy's receipts too: they are the
 *   same rows, no evidence the file alone lacked, and both records read what the file alone reads.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { analyzeIntoStore } from '../../bin/support/store-run.js';
import { type AnalysisResult, type AnalyzeOptions, analyze } from '../../functions/core/analysis/analyze.js';
import type { AnalysisInput } from '../../functions/core/analysis/input/parse-input.js';
import type { Finding, ScenarioId } from '../../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import type { EmbeddedServer, StoreHandle } from '../../functions/store/embedded-engine.js';
import { sourceId } from '../../functions/store/table-design.js';
import { envelopeRows, writeLog } from '../support/envelope-per-recipient.js';
import { startLocalDynamo } from '../support/local-engines.js';

const SAMPLES = resolve(import.meta.dirname, '..', '..', 'sample-logs');
/** The samples' forwarded message: kate@contoso.com's mailbox redirects it to kate@tailspintoys.com. */
const FORWARDED = 'CAJx7rT2mQ9kFz1v0b8YwP3n@mail.fabrikam.com';
/** A group's export sorted newest first (its README): the message expanded to partner@tailspintoys.com. */
const NEWEST_FIRST = resolve(
  import.meta.dirname,
  '..',
  'fixtures',
  'real-world',
  'tracking-export-order',
  'group-excel-newest-first.csv',
);
const GROUP_MESSAGE = 'CAJx7GrpB1@mail.fabrikam.com';
const DAY = '2026-11-28';
const domains = parseAcceptedDomains('contoso.com', 'test');

let dynamo: EmbeddedServer;
let dir: string;

beforeEach(async () => {
  dynamo = await startLocalDynamo('relay-audit-identical-uploads');
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-identical-uploads-'));
}, 60_000);
afterEach(async () => {
  await dynamo?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A dashboard upload of `path`, as local-uploads.ts hands it to the analysis. */
function upload(path: string, key: string): AnalysisInput {
  return {
    name: key,
    sourceId: sourceId(`local-upload://${key}`),
    origin: 'upload',
    modified: new Date('2026-11-29T08:00:00Z'),
    open: () => createReadStream(path),
  };
}

/** `handle` whose store calls `atCorrelation` when the run's end-of-run correlation begins. */
function gated(handle: StoreHandle, atCorrelation: () => Promise<void>): StoreHandle {
  const store = new Proxy(handle.store, {
    get(target, property) {
      // The correlation's first call (storeHasOtherUploads): the run has written all it found.
      if (property === 'listSources')
        return async (options: Parameters<typeof target.listSources>[0]) => {
          await atCorrelation();
          return target.listSources(options);
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...handle, store };
}

/**
 * Two uploads of one file analysed side by side: the second run starts once the first has written
 * its findings, so it writes each of them last; the first correlates once the second has written
 * its findings, and the second once the first is over.
 */
async function sideBySide(
  path: string,
  options: Omit<AnalyzeOptions, 'sink'>,
): Promise<[AnalysisInput, AnalysisInput]> {
  const first = upload(path, 'incoming/dashboard/local/20261129T080000Z-0a1b2c3d/mail.log');
  const second = upload(path, 'incoming/dashboard/local/20261129T080000Z-4e5f6a7b/mail_1_.log');
  let secondWritten: () => void = () => undefined;
  const secondAtCorrelation = new Promise<void>((done) => {
    secondWritten = done;
  });
  let secondRun: Promise<unknown> = Promise.resolve();
  const firstRun = analyzeIntoStore(
    gated(dynamo, async () => {
      secondRun = analyzeIntoStore(
        gated(dynamo, async () => {
          secondWritten();
          await firstRun;
        }),
        [second],
        options,
      );
      await secondAtCorrelation;
    }),
    [first],
    options,
  );
  await firstRun;
  await secondRun;
  return [first, second];
}

/** What the files say analysed in one run without a store (`analyze <files> --no-store`). */
async function alone(
  paths: string[],
  options: Omit<AnalyzeOptions, 'sink'>,
): Promise<AnalysisResult & { found: Finding[] }> {
  const found: Finding[] = [];
  const result = await analyze(await localInputs(paths), {
    ...options,
    sink: { putFindings: async (findings) => found.push(...findings), putSource: async () => undefined },
  });
  return { ...result, found };
}

/** The scenario of the refusal of `messageId` (the samples' forwarded message), among `findings`. */
function readingOf(findings: readonly Finding[], messageId = FORWARDED): string | undefined {
  return findings.find((finding) => finding.messageId.includes(messageId))?.scenario;
}

/** Counts without the scenarios at zero, as a record keeps them. */
function counted(counts: Partial<Record<ScenarioId, number>>): Partial<Record<ScenarioId, number>> {
  return Object.fromEntries(Object.entries(counts).filter(([, count]) => (count ?? 0) > 0));
}

async function recordCounts(input: AnalysisInput) {
  return counted((await dynamo.store.getSource(input.sourceId))?.findingsByScenario ?? {});
}

/** The store's findings by scenario, and the dashboard summary's counters of the day. */
async function storeCounts() {
  const rollups: Partial<Record<ScenarioId, number>> = {};
  for (const row of await dynamo.store.queryRollups({ from: DAY, to: DAY }))
    rollups[row.scenario] = (rollups[row.scenario] ?? 0) + row.count;
  return { findings: counted(await dynamo.store.countFindingsByScenario()), rollups: counted(rollups) };
}

describe('one file uploaded twice at the same moment', () => {
  /**
   * An earlier upload of `earlier`, then two of `path` side by side: each record counts what one run
   * over both files counts on the file's record (the file read first: a refusal the earlier file
   * repeats is the file's), and the store and its counters what that run finds.
   */
  async function afterAnEarlierUpload(earlier: string, path: string) {
    await analyzeIntoStore(dynamo, [upload(earlier, 'incoming/dashboard/local/20261129T070000Z/ex.log')], {
      domains,
    });
    const copies = await sideBySide(path, { domains });
    const together = await alone([path, earlier], { domains });
    const expected = counted(together.sources[0]?.findingsByScenario ?? {});
    for (const copy of copies) expect(await recordCounts(copy)).toEqual(expected);
    const everything = counted(together.findingsByScenario);
    expect(await storeCounts()).toEqual({ findings: everything, rollups: everything });
    return together;
  }

  it('counts a refusal an earlier upload’s receipt proves forwarding as forwarding on both records', async () => {
    const together = await afterAnEarlierUpload(
      join(SAMPLES, 'MSGTRK2026112800-1.LOG'),
      join(SAMPLES, 'MSGTRK2026112800-2.LOG'),
    );
    expect(readingOf(together.found)).toBe('forwarding');
    const forwarded = await dynamo.store.queryFindings({ scenario: 'forwarding', limit: 10 });
    expect(forwarded.items.map((finding) => finding.messageId)).toEqual([FORWARDED]);
  });

  it('takes a forwarding an earlier upload’s receipt undoes back on both records', async () => {
    // The file: the receipt for kate@contoso.com and the refusal of kate@tailspintoys.com; the
    // earlier upload: the sender's own envelope for kate@tailspintoys.com (it addressed her itself).
    const { header, receipt, outsideReceipt, refusal } = await envelopeRows();
    const outside = await writeLog(dir, 'EX02/MSGTRK2026112800-1.LOG', header, [outsideReceipt]);
    const path = await writeLog(dir, 'EX01/MSGTRK2026112800-2.LOG', header, [receipt, refusal]);
    expect(readingOf((await alone([path], { domains })).found)).toBe('forwarding');

    const together = await afterAnEarlierUpload(outside, path);

    expect(readingOf(together.found)).toBe('foreign-sender-domain');
  });

  it('reads its own late receipts in the copy as the file alone does: no other evidence', async () => {
    // Sorted newest first (Excel), the refusal of partner@tailspintoys.com comes before the rows
    // that show the message arriving for the group sales@contoso.com; with the window made small in
    // place of the other messages' rows a busy day's export holds between them, they come too late.
    const options = { domains, windowEvents: 2 };
    const file = await alone([NEWEST_FIRST], options);
    // Without the expansion rows, the receipt of the copy EX02 got from EX01 for partner@ after the
    // message arrived from outside for sales@ still says it was not the sender's own address.
    expect(readingOf(file.found, GROUP_MESSAGE)).toBe('forwarding');

    const copies = await sideBySide(NEWEST_FIRST, options);

    const expected = counted(file.sources[0]?.findingsByScenario ?? {});
    for (const copy of copies) expect(await recordCounts(copy)).toEqual(expected);
    const totals = counted(file.findingsByScenario);
    expect(await storeCounts()).toEqual({ findings: totals, rollups: totals });
    const stored = await dynamo.store.queryFindings({ scenario: 'forwarding', limit: 100 });
    expect(readingOf(stored.items, GROUP_MESSAGE)).toBe('forwarding');
  });
});
