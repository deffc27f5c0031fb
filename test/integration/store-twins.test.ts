/**
 * One refusal read by two runs as two findings: a message trace detail exported without
 * RecipientAddress gives it no recipient (a stand-in id), a run that also reads the trace page names
 * the recipient. The store folds the unnamed finding into the named one as one run over both files
 * does — in both orders, also when two writers write them at the same moment — and counts it once;
 * when the runs name two recipients, or hold two unnamed refusals (also when a run named one of them
 * by the trace page), it keeps them all (no guess).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { type EmbeddedServer, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/findings-store.js';
import { rollupCellOf } from '../../functions/store/rollups.js';
import { findingId, rollupKey } from '../../functions/store/table-design.js';
import { cli } from '../support/capture-output.js';
import { makeFinding } from '../support/make-finding.js';

let engine: EmbeddedServer;
let client: DynamoDBClient;
/** The name of every command `client` sent (an SDK middleware: what DynamoDB would bill). */
const calls: string[] = [];
let tables = 0;

beforeAll(async () => {
  engine = await startEmbeddedStore({ inMemory: true, listen: true, tableName: 'store-twins-0' });
  client = new DynamoDBClient({
    endpoint: engine.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'count-calls' },
  );
});

afterAll(async () => {
  client?.destroy();
  await engine?.close();
});

async function freshStore(): Promise<FindingsStore> {
  tables += 1;
  const store = new FindingsStore({ client, tableName: `store-twins-${tables}` });
  await store.ensureTable();
  return store;
}

const CODE = '5.7.64';
const AT = '2026-11-28T22:15:03.000Z';

/**
 * A detail's reading of a refusal at `at`: no recipient, its id made from a stand-in (time and text).
 */
function unnamed(messageId: string, at = AT): Finding {
  return makeFinding({
    id: findingId(messageId, `fail:${at}#0a1b2c3d4e5f`, CODE),
    messageId,
    recipient: '',
    recipientDomain: undefined,
    scenario: 'foreign-sender-domain',
    senderDomain: 'fabrikam.com',
    returnPath: 'reports@fabrikam.com',
    sender: undefined,
    timestamp: at,
    serverHostname: undefined,
    evidence: [
      { kind: 'recipient-unknown', detail: 'the refusal names no recipient' },
      { kind: 'not-accepted', detail: 'fabrikam.com is not an accepted domain' },
    ],
    source: { file: 'detail.csv', line: 3, format: 'message-trace-detail', sourceId: 'detail-alone' },
  });
}

/**
 * The refusal at `at` read with the trace page, which names its recipient (the classifier gave the
 * detail's reading the one failed recipient of the page).
 */
function named(messageId: string, recipient = 'buyer@litware.com', at = AT): Finding {
  return makeFinding({
    messageId,
    recipient,
    scenario: 'foreign-sender-domain',
    senderDomain: 'fabrikam.com',
    returnPath: 'reports@fabrikam.com',
    sender: 'reports@fabrikam.com',
    timestamp: at,
    serverHostname: undefined,
    evidence: [{ kind: 'not-accepted', detail: 'fabrikam.com is not an accepted domain' }],
    source: { file: 'detail.csv', line: 3, format: 'message-trace-detail', sourceId: 'detail-and-trace' },
  });
}

/**
 * What the store holds: its findings' ids and recipients, and its rollup counters (zeros left out)
 * against them.
 */
async function contents(store: FindingsStore) {
  const findings = (await store.queryFindings({ since: '2026-11-28', until: '2026-11-29', limit: 100 }))
    .items;
  const rows = await store.queryRollupCounters({ from: '2026-11-28', to: '2026-11-28' });
  const counters = Object.fromEntries(
    rows.filter((row) => row.count !== 0).map((row) => [rollupKey(row).sk, row.count]),
  );
  // What the nightly repair recomputes from the findings.
  const recounted: Record<string, number> = {};
  for (const finding of findings) {
    const key = rollupKey(rollupCellOf(finding)).sk;
    recounted[key] = (recounted[key] ?? 0) + 1;
  }
  return {
    ids: findings.map((finding) => finding.id).sort(),
    recipients: findings.map((finding) => finding.recipient).sort(),
    counters,
    recounted,
  };
}

/** One `analyze` run over `files` into the embedded store in `db`, as the CLI is used. */
async function analyzeInto(db: string, ...files: string[]): Promise<void> {
  const run = await cli('analyze', ...files, '--accepted-domains', 'contoso.com', '--db', db);
  expect(run.status, run.out.stderr).toBe(0);
}

/**
 * The stored findings (recipient, evidence kinds), the day's counters and the uploads' counts, read
 * through one opening of the store (each opening, as each `relay-audit findings`, costs most of a
 * second; the findings command's own output is tested in cli.test.ts).
 */
async function storeOf(db: string) {
  const handle = await startEmbeddedStore({ dir: db });
  try {
    const stored: Finding[] = [];
    let cursor: string | undefined;
    do {
      const page = await handle.store.queryFindings({ limit: 500, cursor });
      stored.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    const findings = stored.map((finding) => ({
      recipient: finding.recipient,
      kinds: finding.evidence.map((item) => item.kind),
    }));
    const rows = await handle.store.queryRollups({ from: '2026-11-28', to: '2026-11-28' });
    const sources = (await handle.store.listSources()).items;
    return {
      findings,
      counted: rows.reduce((sum, row) => sum + row.count, 0),
      uploads: sources.map((source) => [
        basename(source.file),
        source.findingsByScenario['foreign-sender-domain'] ?? 0,
      ]),
    };
  } finally {
    await handle.close();
  }
}

describe('a refusal read without its recipient in one run and with it in another', () => {
  it('is one finding, the named one, counted once, when the detail alone came first; re-runs change nothing', async () => {
    // Prepare
    const store = await freshStore();
    const detail = unnamed('<a@app01.contoso.com>');
    const withTrace = named('<a@app01.contoso.com>');
    await store.putFindings([detail]);
    // Act
    await store.putFindings([withTrace]);
    const after = await contents(store);
    await store.putFindings([detail]);
    await store.putFindings([withTrace]);
    const again = await contents(store);
    // Assess
    expect(after.ids).toEqual([withTrace.id]);
    expect(Object.values(after.counters)).toEqual([1]);
    expect(after.counters).toEqual(after.recounted);
    expect(again).toEqual(after);
    expect((await store.getFinding(withTrace.id))?.recipient).toBe('buyer@litware.com');
  });

  it('is one finding, counted once, when the named one came first and the detail alone after, run after run', async () => {
    // Prepare
    const store = await freshStore();
    const detail = unnamed('<b@app01.contoso.com>');
    const withTrace = named('<b@app01.contoso.com>');
    await store.putFindings([withTrace]);
    // Act: the detail alone, as a nightly job over a folder of detail exports would, twice; the
    // second time with its counters held for the run, as the CLI writes.
    await store.putFindings([detail]);
    const after = await contents(store);
    const left: string[] = [];
    await store.putFindings([detail], {
      deferCounters: true,
      leavingDays: async (days) => void left.push(...days),
    });
    await store.flushRollups();
    const again = await contents(store);
    // Assess
    expect(after.ids).toEqual([withTrace.id]);
    expect(Object.values(after.counters)).toEqual([1]);
    expect(after.counters).toEqual(after.recounted);
    expect(again).toEqual(after);
    // A run killed before its counters are applied has the day recounted.
    expect(left).toEqual(['2026-11-28']);
  });

  it('is one finding when two writers write the two readings at the same moment', async () => {
    // Prepare: two stores (two ingest invocations), ten messages, each read both ways at once.
    const store = await freshStore();
    const other = new FindingsStore({ client, tableName: store.tableName });
    const messages = Array.from({ length: 10 }, (_, i) => `<race-${i}@app01.contoso.com>`);
    // Act
    await Promise.all(
      messages.flatMap((id, i) =>
        i % 2 === 0
          ? [store.putFindings([unnamed(id)]), other.putFindings([named(id)])]
          : [other.putFindings([named(id)]), store.putFindings([unnamed(id)])],
      ),
    );
    const after = await contents(store);
    // Assess
    expect(after.ids).toEqual(messages.map((id) => named(id).id).sort());
    expect(Object.values(after.counters)).toEqual([10]);
    expect(after.counters).toEqual(after.recounted);
  });

  it('keeps every finding when the runs already name two recipients or hold two unnamed refusals, as one run does', async () => {
    // Prepare
    const store = await freshStore();
    const twoNamed = [
      named('<c@app01.contoso.com>', 'buyer@litware.com'),
      named('<c@app01.contoso.com>', 'ap@litware.com'),
      unnamed('<c@app01.contoso.com>'),
    ];
    const twoUnnamed = [
      unnamed('<d@app01.contoso.com>'),
      unnamed('<d@app01.contoso.com>', '2026-11-28T22:15:04.000Z'),
      named('<d@app01.contoso.com>'),
    ];
    // The contrast: one named recipient and one unnamed refusal of another message fold.
    const onePair = [unnamed('<e@app01.contoso.com>'), named('<e@app01.contoso.com>')];
    const all = [...twoNamed, ...twoUnnamed, ...onePair];
    // Act: each in a run of its own, then all again.
    for (const finding of all) await store.putFindings([finding]);
    const after = await contents(store);
    for (const finding of all) await store.putFindings([finding]);
    // Assess
    expect(after.ids).toEqual([...twoNamed, ...twoUnnamed, onePair[1]].map((finding) => finding?.id).sort());
    expect(Object.values(after.counters)).toEqual([7]);
    expect(after.counters).toEqual(after.recounted);
    expect(await contents(store)).toEqual(after);
  });

  it('keeps both when the named finding and the unnamed one are readings of other times: two refusals, in either order', async () => {
    // Prepare: the named finding is a detail read at 22:15:03 with the trace page that named its
    // recipient; the unnamed one another recipient's detail, refused a second later, read alone.
    const store = await freshStore();
    const namedFirst = [
      named('<g@app01.contoso.com>'),
      unnamed('<g@app01.contoso.com>', '2026-11-28T22:15:04.000Z'),
    ];
    const unnamedFirst = [
      unnamed('<h@app01.contoso.com>', '2026-11-28T22:15:04.000Z'),
      named('<h@app01.contoso.com>'),
    ];
    // Act: each in a run of its own, then all again.
    for (const finding of [...namedFirst, ...unnamedFirst]) await store.putFindings([finding]);
    const after = await contents(store);
    for (const finding of [...namedFirst, ...unnamedFirst]) await store.putFindings([finding]);
    // Assess
    expect(after.ids).toEqual([...namedFirst, ...unnamedFirst].map((finding) => finding.id).sort());
    expect(Object.values(after.counters)).toEqual([4]);
    expect(after.counters).toEqual(after.recounted);
    expect(await contents(store)).toEqual(after);
  });

  it('writes a marker for each message trace finding, one update each, and none for a tracking log’s', async () => {
    // Prepare: ten refusals read from a trace detail with its trace, ten from a tracking log, each
    // set of one rollup cell.
    const store = await freshStore();
    const traced = Array.from({ length: 10 }, (_, i) => named(`<f-${i}@app01.contoso.com>`));
    const tracked = Array.from({ length: 10 }, () => makeFinding({ timestamp: AT }));
    const updatesOf = async (findings: Finding[]) => {
      calls.length = 0;
      await store.putFindings(findings);
      return calls.filter((name) => name === 'UpdateItemCommand').length;
    };
    // Act
    const tracedUpdates = await updatesOf(traced);
    const trackedUpdates = await updatesOf(tracked);
    // Assess: one marker update per trace finding, and the one counter update of each set.
    expect(tracedUpdates).toBe(11);
    expect(trackedUpdates).toBe(1);
    expect(calls.filter((name) => name === 'GetItemCommand' || name === 'DeleteItemCommand')).toEqual([]);
  });
});

describe('analyze: a V1 trace detail alone, and with its trace page, in separate runs', () => {
  const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'trace-detail-languages');
  const DETAIL = join(FIXTURES, 'detail-de-DE-one-recipient.csv');
  const TRACE = join(FIXTURES, 'trace-de-DE-one-recipient.csv');
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-audit-twins-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['the detail alone first', [[DETAIL], [DETAIL, TRACE]]],
    ['the detail with its trace first', [[DETAIL, TRACE], [DETAIL]]],
  ])(
    'keeps one finding naming the recipient, counted once, %s; re-running either run changes nothing',
    async (name, runs) => {
      // Prepare
      const db = join(dir, name.replaceAll(' ', '-'));
      // Act
      for (const files of runs) await analyzeInto(db, ...files);
      const after = await storeOf(db);
      for (const files of runs) await analyzeInto(db, ...files);
      const again = await storeOf(db);
      // Assess
      expect(after.findings).toEqual([
        { recipient: 'buyer@litware.com', kinds: expect.not.arrayContaining(['recipient-unknown']) },
      ]);
      expect(after.counted).toBe(1);
      // The detail's record still counts the refusal it held; the trace page held none.
      expect(after.uploads.sort()).toEqual([
        ['detail-de-DE-one-recipient.csv', 1],
        ['trace-de-DE-one-recipient.csv', 0],
      ]);
      expect(again.findings).toEqual(after.findings);
      expect(again.counted).toBe(1);
    },
  );
});

describe('analyze: one message’s Graph trace pages and two recipients’ details without their recipient, split into runs', () => {
  // Both recipients refused 5.7.64, 1.3 s apart (see the fixture's README).
  const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'graph-trace-split-runs');
  const FILES = ['trace-page1.json', 'trace-page2.json', 'detail-buyer.json', 'detail-ap.json'].map((name) =>
    join(FIXTURES, name),
  );
  const [PAGE1 = '', , BUYER = '', AP = ''] = FILES;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-audit-twins-split-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The findings of one `analyze --no-store` run over `files`, as it prints them. */
  async function analysed(files: readonly string[]): Promise<Finding[]> {
    const run = await cli('analyze', ...files, '--no-store', '--accepted-domains', 'contoso.com');
    expect(run.status, run.out.stderr).toBe(0);
    return run.out.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Finding);
  }

  /** Every way to split `files` into runs, each file in one run, the runs in every order. */
  function splits(files: readonly string[]): string[][][] {
    if (files.length === 0) return [[]];
    const result: string[][][] = [];
    // Each non-empty subset is the first run once, followed by every split of the rest.
    for (let mask = 1; mask < 1 << files.length; mask++) {
      const first = files.filter((_, i) => mask & (1 << i));
      const rest = files.filter((_, i) => !(mask & (1 << i)));
      for (const after of splits(rest)) result.push([first, ...after]);
    }
    return result;
  }

  it.each([
    ['the page with the first detail first', [[PAGE1, BUYER], [AP]]],
    ['the other detail first', [[AP], [PAGE1, BUYER]]],
  ])(
    'keeps both recipients’ refusals, counted twice, %s, as one run over the files does',
    async (name, runs) => {
      // Prepare
      const db = join(dir, name.replaceAll(' ', '-'));
      const whole = await analysed(FILES);
      // Act
      for (const files of runs) await analyzeInto(db, ...files);
      const after = await storeOf(db);
      // Assess: one run leaves both unnamed; the first run here named its detail by the page's one
      // failed recipient, and the second run's detail is the other recipient's refusal.
      expect(whole.map((finding) => finding.recipient)).toEqual(['', '']);
      expect(after.findings.map((finding) => finding.recipient).sort()).toEqual(['', 'buyer@litware.com']);
      expect(after.counted).toBe(2);
    },
  );

  it('still folds the same detail analysed again alone into the finding that named it', async () => {
    // Prepare
    const db = join(dir, 'same-detail-again');
    // Act
    await analyzeInto(db, PAGE1, BUYER);
    await analyzeInto(db, BUYER);
    const after = await storeOf(db);
    // Assess
    expect(after.findings.map((finding) => finding.recipient)).toEqual(['buyer@litware.com']);
    expect(after.counted).toBe(1);
  });

  it('loses no refusal for any split of the files into runs, in any order', async () => {
    // Prepare: each run's findings, as the CLI writes them into the store.
    const whole = await analysed(FILES);
    const findingsOf = new Map<string, Finding[]>();
    for (const split of splits(FILES)) {
      for (const run of split) {
        const key = run.join('\n');
        if (!findingsOf.has(key)) findingsOf.set(key, await analysed(run));
      }
    }
    const namedByWhole = whole.map((finding) => finding.recipient).filter(Boolean);
    // Act and assess, split by split.
    const all = splits(FILES);
    expect(all).toHaveLength(75);
    for (const split of all) {
      const store = await freshStore();
      const written: Finding[] = [];
      for (const run of split) {
        const findings = findingsOf.get(run.join('\n')) ?? [];
        written.push(...findings);
        await store.putFindings(findings);
      }
      const stored = await contents(store);
      const label = split.map((run) => run.map((file) => basename(file)).join('+')).join(' then ');
      // Each detail is in one run only, so no refusal is read twice: every finding written stays,
      // which is as many as one run over all the files, and every recipient it names.
      expect({ label, ids: stored.ids }).toEqual({
        label,
        ids: [...new Set(written.map((finding) => finding.id))].sort(),
      });
      expect(stored.ids.length, label).toBeGreaterThanOrEqual(whole.length);
      for (const recipient of namedByWhole) expect(stored.recipients, label).toContain(recipient);
      expect(stored.counters, label).toEqual(stored.recounted);
    }
  });
});
