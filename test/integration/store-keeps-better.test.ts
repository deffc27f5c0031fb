/**
 * Re-processing leaves the store as one run over everything would, never worse: a later run that
 * read less of a refusal (the trace detail without the trace page, the tracking log without the send
 * protocol log) does not replace what an earlier run knew. Against the embedded engine, through the
 * CLI (the repros) and the store API (classifier versions, cost, concurrent writers); every rollup
 * counter is checked against the stored findings.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORRELATION_EVIDENCE_KIND } from '../../functions/core/analysis/evidence/correlation.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { type EmbeddedServer, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/findings-store.js';
import { rollupKey } from '../../functions/store/table-design.js';
import { cli } from '../support/capture-output.js';
import { makeFinding } from '../support/make-finding.js';
import { countsPerCell, findingsOf, storedCounters } from '../support/rollup-counts.js';

const SAMPLES = 'sample-logs';
const DOMAINS = ['--accepted-domains', join(SAMPLES, 'config', 'accepted-domains.csv')];
const TRACES = join(SAMPLES, 'graph-message-traces.json');
const DETAILS = join(SAMPLES, 'graph-trace-details.json');
const TRACKING_1 = join(SAMPLES, 'MSGTRK2026112800-1.LOG');
const TRACKING_2 = join(SAMPLES, 'MSGTRK2026112800-2.LOG');
const SEND_LOG = join(SAMPLES, 'SEND20261128-1.LOG');

/** A message trace detail export of one refusal of MSGTRK2026112800-2.LOG: no P1, no subject, no server. */
const DETAIL_CSV = [
  '"Organization","MessageId","MessageTraceId","RecipientAddress","SenderAddress","Date","Event","Action","Detail","Data"',
  '"contoso.onmicrosoft.com","<A94AFE9835E0BE7D064C04F17703BF18@EX01.contoso.local>","11111111-d3af-50a6-b7a9-2182002541ab","subscriber@proseware.com","newsletter@contoso.com","2026-11-28T23:20:45.2000000Z","Receive","","Message received by: AM0PR01MB1234.eurprd01.prod.exchangelabs.com using TLS1.2 with AES256",""',
  '"contoso.onmicrosoft.com","<A94AFE9835E0BE7D064C04F17703BF18@EX01.contoso.local>","11111111-d3af-50a6-b7a9-2182002541ab","subscriber@proseware.com","newsletter@contoso.com","2026-11-28T23:20:45.4330000Z","Fail","","Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=contoso-com.mail.protection.outlook.com};{IP=52.101.1.1}]. OutboundProxyTargetIP: 52.101.1.1.",""',
  '',
].join('\n');

let dir: string;
let detailCsv: string;
let stores = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-keeps-better-'));
  detailCsv = join(dir, 'trace-detail.csv');
  await writeFile(detailCsv, DETAIL_CSV);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A store directory of its own for each run sequence. */
function newDb(): string {
  stores += 1;
  return join(dir, `db-${stores}`);
}

/** Analyses each list of files as one run, one after the other, into `db`. */
async function runs(db: string, ...lists: (readonly string[])[]): Promise<void> {
  for (const files of lists) {
    const result = await cli('analyze', ...files, '--db', db, '--json');
    expect(result.status, result.out.stderr).toBe(0);
  }
}

async function storedFindings(db: string): Promise<Map<string, Finding>> {
  const listed = await cli('findings', '--db', db, '--format', 'ndjson');
  expect(listed.status).toBe(0);
  return findingsOf(listed.out.stdout);
}

/**
 * A finding as runs over different files can agree on it: without the file and line it was read
 * from, and without the `also-in` evidence only one run that read both files can give.
 */
function comparable(finding: Finding | undefined): unknown {
  if (finding === undefined) return undefined;
  const { source: _source, ...rest } = finding;
  return { ...rest, evidence: finding.evidence.filter((item) => item.kind !== 'also-in') };
}

/** What one run over a list of files leaves in a store of its own, by the list (`\n`-joined). */
const oneRunStores = new Map<
  string,
  Promise<{ findings: Map<string, Finding>; counters: Map<string, number> }>
>();

/**
 * The findings and counters one run over `all` leaves in a fresh store. Each test compares two
 * sequences against the same run, so the run is made once per list of files.
 */
function oneRunOver(all: readonly string[]) {
  const key = all.join('\n');
  let made = oneRunStores.get(key);
  if (made === undefined) {
    made = (async () => {
      const once = newDb();
      await runs(once, all);
      const findings = await storedFindings(once);
      return { findings, counters: await storedCounters(once, [...findings.values()]) };
    })();
    oneRunStores.set(key, made);
  }
  return made;
}

/** The store after `sequence` holds the findings, and the counters, that one run over `all` gives. */
async function expectAsOneRun(sequence: readonly (readonly string[])[], all: readonly string[]) {
  const db = newDb();
  await runs(db, ...sequence);
  const actual = await storedFindings(db);
  const once = await oneRunOver(all);
  const expected = once.findings;
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [id, finding] of expected) expect(comparable(actual.get(id))).toEqual(comparable(finding));
  const findings = [...actual.values()];
  const counters = await storedCounters(db, findings);
  expect(counters).toEqual(countsPerCell(findings));
  expect(counters).toEqual(once.counters);
  return actual;
}

function byMessage(findings: Map<string, Finding>, prefix: string): Finding | undefined {
  return [...findings.values()].find((finding) => finding.messageId.startsWith(prefix));
}

describe('a later run never makes a stored finding worse', () => {
  it('keeps the sender a Graph trace page named when its details are analysed again alone', async () => {
    // Act: the trace page and its details, then the details again (and the other way round).
    const again = await expectAsOneRun([[TRACES, DETAILS], [DETAILS]], [TRACES, DETAILS]);
    const later = await expectAsOneRun([[DETAILS], [TRACES, DETAILS]], [TRACES, DETAILS]);

    // Assess
    for (const findings of [again, later]) {
      const finding = byMessage(findings, '20261128224501.A1@');
      expect(finding?.sender).toBe('alerts@monitoring.contoso.com');
      expect(finding?.senderDomain).toBe('monitoring.contoso.com');
      expect(finding?.evidence.map((item) => item.kind)).not.toContain('no-sender');
    }
  });

  it('keeps the tracking log reading of a refusal over a trace detail export of it, in either order', async () => {
    // Act
    const detailLater = await expectAsOneRun(
      [
        [TRACKING_2, ...DOMAINS],
        [detailCsv, ...DOMAINS],
      ],
      [TRACKING_2, detailCsv, ...DOMAINS],
    );
    const detailFirst = await expectAsOneRun(
      [
        [detailCsv, ...DOMAINS],
        [TRACKING_2, ...DOMAINS],
      ],
      [TRACKING_2, detailCsv, ...DOMAINS],
    );

    // Assess
    for (const findings of [detailLater, detailFirst]) {
      const finding = byMessage(findings, 'A94AFE98');
      expect(finding).toMatchObject({
        scenario: 'foreign-sender-domain',
        senderDomain: 'fabrikam.com',
        returnPath: 'bounce@fabrikam.com',
        confidence: 'high',
      });
    }
  });

  it('keeps the certificate a send protocol log showed when the tracking log is analysed again alone', async () => {
    // Act
    const trackingAgain = await expectAsOneRun(
      [
        [TRACKING_1, SEND_LOG, ...DOMAINS],
        [TRACKING_1, ...DOMAINS],
      ],
      [TRACKING_1, SEND_LOG, ...DOMAINS],
    );
    const sendLater = await expectAsOneRun(
      [
        [TRACKING_1, ...DOMAINS],
        [TRACKING_1, SEND_LOG, ...DOMAINS],
      ],
      [TRACKING_1, SEND_LOG, ...DOMAINS],
    );

    // Assess
    for (const findings of [trackingAgain, sendLater]) {
      const kinds = byMessage(findings, '28B71A11')?.evidence.map((item) => item.kind);
      expect(kinds).toEqual(expect.arrayContaining(['protocol-log', 'presented-certificate']));
    }
  });
});

describe('FindingsStore.putFindings over a stored finding', () => {
  let engine: EmbeddedServer;
  let client: DynamoDBClient;
  /** Every command `client` sent, with whether it carried a condition. */
  const calls: string[] = [];
  /** Runs once before the next conditional PutItem is sent (a writer slipping in between). */
  let beforeConditionalPut: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    engine = await startEmbeddedStore({ inMemory: true, listen: true, tableName: 'keeps-better-0' });
    client = new DynamoDBClient({
      endpoint: engine.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { ConditionExpression?: string };
        const conditional = input.ConditionExpression !== undefined;
        calls.push(`${String(context.commandName)}${conditional ? ' (conditional)' : ''}`);
        const slip = beforeConditionalPut;
        if (conditional && context.commandName === 'PutItemCommand' && slip !== undefined) {
          beforeConditionalPut = undefined;
          await slip();
        }
        return next(args);
      },
      { step: 'initialize', name: 'record-calls' },
    );
  });
  afterAll(async () => {
    client?.destroy();
    await engine?.close();
  });

  let tables = 0;
  async function freshStore(): Promise<FindingsStore> {
    tables += 1;
    const store = new FindingsStore({ client, tableName: `keeps-better-${tables}` });
    await store.ensureTable();
    return store;
  }

  /** A second writer on the same table, through a client of its own (not recorded). */
  function otherWriter(store: FindingsStore): { store: FindingsStore; close(): void } {
    const own = new DynamoDBClient({
      endpoint: engine.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    return {
      store: new FindingsStore({ client: own, tableName: store.tableName }),
      close: () => own.destroy(),
    };
  }

  /** The counters of the store's days are the counts its findings give, cell by cell. */
  async function expectCountersOf(store: FindingsStore, findings: readonly Finding[]): Promise<void> {
    const rows = await store.queryRollups({ from: '2026-11-01', to: '2026-11-30' });
    const counters = new Map(
      rows.map((row) => {
        const key = rollupKey(row);
        return [`${key.pk} ${key.sk}`, row.count];
      }),
    );
    expect(counters).toEqual(countsPerCell(findings));
  }

  const VERSION = '2026.12.4';

  /** `count` refusals as a tracking log reads them: P1, sender, subject, server; high. */
  function rich(count: number, prefix: string): Finding[] {
    return Array.from({ length: count }, (_, i) =>
      makeFinding({
        messageId: `${prefix}-${i}@EX01.contoso.local`,
        recipient: `user${i}@proseware.com`,
        scenario: 'foreign-sender-domain',
        sender: 'newsletter@contoso.com',
        returnPath: 'bounce@fabrikam.com',
        senderDomain: 'fabrikam.com',
        subject: `News ${i}`,
        evidence: [{ kind: 'return-path', detail: 'envelope sender (P1) is bounce@fabrikam.com' }],
        confidence: 'high',
        classifierVersion: VERSION,
        timestamp: new Date(Date.parse('2026-11-28T00:00:00.000Z') + i * 60_000).toISOString(),
        source: { sourceId: 'tracking' },
      }),
    );
  }

  /** The same refusals as a trace detail reads them: header sender only, another scenario; low. */
  function poor(findings: readonly Finding[], overrides: Partial<Finding> = {}): Finding[] {
    return findings.map((finding) => {
      const { returnPath: _p1, subject: _subject, serverHostname: _server, ...rest } = finding;
      return {
        ...rest,
        scenario: 'connector-mismatch',
        senderDomain: 'contoso.com',
        evidence: [{ kind: 'header-sender', detail: 'judged by the header sender newsletter@contoso.com' }],
        confidence: 'low',
        source: { ...finding.source, sourceId: 'detail', file: 'detail.csv' },
        ...overrides,
      };
    });
  }

  async function stored(store: FindingsStore, findings: readonly Finding[]): Promise<Finding[]> {
    return Promise.all(
      findings.map(async (finding) => {
        const read = await store.getFinding(finding.id);
        if (read === undefined) throw new Error(`finding ${finding.id} is not stored`);
        return read;
      }),
    );
  }

  it('costs one PutItem per finding, and no read, into a fresh store and for the same findings again', async () => {
    // Prepare
    const store = await freshStore();
    const findings = rich(40, 'cost');

    // Act
    calls.length = 0;
    await store.putFindings(findings);
    const first = calls.filter((name) => name.startsWith('PutItem') || name.startsWith('GetItem'));
    calls.length = 0;
    await store.putFindings(findings);
    const again = calls.filter((name) => name.startsWith('PutItem') || name.startsWith('GetItem'));

    // Assess
    expect(first).toEqual(Array(40).fill('PutItemCommand'));
    expect(again).toEqual(Array(40).fill('PutItemCommand'));
  });

  it('keeps the stronger readings of the same classifier version, and counts them once', async () => {
    // Prepare
    const store = await freshStore();
    const strong = rich(30, 'strong');
    await store.putFindings(strong);

    // Act: the weaker readings of the same refusals, written after them.
    calls.length = 0;
    await store.putFindings(poor(strong));
    const puts = calls.filter((name) => name.startsWith('PutItem') || name.startsWith('GetItem'));

    // Assess: each weaker put is followed by one conditional put of the stronger reading back.
    const after = await stored(store, strong);
    expect(after).toEqual(strong);
    expect(puts.filter((name) => name === 'PutItemCommand')).toHaveLength(30);
    expect(puts.filter((name) => name === 'PutItemCommand (conditional)')).toHaveLength(30);
    expect(puts.filter((name) => name.startsWith('GetItem'))).toHaveLength(0);
    await expectCountersOf(store, after);
    const rows = await store.queryRollups({ from: '2026-11-28', to: '2026-11-28' });
    expect(rows.map((row) => [row.scenario, row.senderDomain, row.count])).toEqual([
      ['foreign-sender-domain', 'fabrikam.com', 30],
    ]);
  });

  it('keeps a refusal on the day it was first seen when an overlapping export sees its retries the next day', async () => {
    // Prepare: deferrals first refused just before midnight, stored by the day-1 export's run.
    const store = await freshStore();
    const firstSeen = rich(10, 'deferral').map((finding, i) => ({
      ...finding,
      timestamp: new Date(Date.parse('2026-11-27T23:50:00.000Z') + i * 30_000).toISOString(),
    }));
    await store.putFindings(firstSeen);

    // Act: the day-2 export overlaps it and sees only their retries, after midnight.
    const retries = firstSeen.map((finding) => ({
      ...finding,
      timestamp: new Date(Date.parse(finding.timestamp) + 15 * 60_000).toISOString(),
      source: { ...finding.source, sourceId: 'day-2' },
    }));
    await store.putFindings(retries);

    // Assess: one run over both would count them on the 27th; so do the counters.
    const after = await stored(store, firstSeen);
    expect(after.map((finding) => finding.timestamp)).toEqual(firstSeen.map((finding) => finding.timestamp));
    await expectCountersOf(store, after);
    const days = await store.queryRollups({ from: '2026-11-27', to: '2026-11-28' });
    expect(days.map((row) => [row.date, row.count])).toEqual([['2026-11-27', 10]]);
  });

  it('merges two readings given in one call as it merges a stored one', async () => {
    // Prepare
    const store = await freshStore();
    const strong = rich(5, 'one-call');

    // Act
    await store.putFindings([...strong, ...poor(strong)]);

    // Assess
    expect(await stored(store, strong)).toEqual(strong);
    await expectCountersOf(store, strong);
  });

  it('lets a newer classifier version replace the stored finding, however much less it knows', async () => {
    // Prepare
    const store = await freshStore();
    const strong = rich(10, 'reanalysed');
    await store.putFindings(strong);
    const newer = poor(strong, { classifierVersion: '2027.1.1' });

    // Act
    await store.putFindings(newer);

    // Assess
    const after = await stored(store, strong);
    expect(after).toEqual(newer);
    await expectCountersOf(store, after);
    const rows = await store.queryRollups({ from: '2026-11-28', to: '2026-11-28' });
    expect(rows.map((row) => [row.scenario, row.senderDomain, row.count])).toEqual([
      ['connector-mismatch', 'contoso.com', 10],
    ]);
  });

  it('lets the cross-upload reclassification of a stored finding replace it at a lower confidence', async () => {
    // Prepare
    const store = await freshStore();
    const [finding] = rich(1, 'reclassified');
    if (finding === undefined) throw new Error('no finding');
    await store.putFindings([finding]);
    const reclassified: Finding = {
      ...finding,
      scenario: 'forwarding',
      confidence: 'medium',
      evidence: [...finding.evidence, { kind: CORRELATION_EVIDENCE_KIND, detail: 'reclassified' }],
    };

    // Act
    await store.putFindings([reclassified]);

    // Assess
    expect(await store.getFinding(finding.id)).toEqual(reclassified);
    await expectCountersOf(store, [reclassified]);
  });

  it('merges with what another writer put between its put and its re-put', async () => {
    // Prepare: the strong reading stored; another writer will put a third reading (one that names
    // the client address) just before this writer's conditional re-put.
    const store = await freshStore();
    const [strong] = rich(1, 'raced');
    if (strong === undefined) throw new Error('no finding');
    await store.putFindings([strong]);
    const [weak] = poor([strong]);
    const other = otherWriter(store);
    const third: Finding = {
      ...strong,
      clientIp: '10.0.1.11',
      source: { ...strong.source, sourceId: 'third' },
    };
    beforeConditionalPut = async () => {
      await other.store.putFindings([third]);
    };

    // Act
    try {
      if (weak === undefined) throw new Error('no finding');
      calls.length = 0;
      await store.putFindings([weak]);
    } finally {
      other.close();
    }

    // Assess: the condition failed once, the item was read again, and what both knew is kept.
    expect(calls.filter((name) => name.startsWith('GetItem'))).toHaveLength(1);
    const after = await store.getFinding(strong.id);
    expect(after).toEqual(third);
    await expectCountersOf(store, after === undefined ? [] : [after]);
  });

  it('keeps the counters exact when two writers put the two readings of the same refusals at once', async () => {
    // Prepare
    const store = await freshStore();
    const other = otherWriter(store);
    const strong = rich(60, 'concurrent');
    const weak = poor(strong);

    // Act: three rounds, the weak and strong readings written concurrently by the two writers.
    try {
      for (let round = 0; round < 3; round += 1) {
        await Promise.all([store.putFindings(weak), other.store.putFindings(strong)]);
        await Promise.all([store.putFindings(strong), other.store.putFindings(weak)]);
      }
    } finally {
      other.close();
    }

    // Assess
    const after = await stored(store, strong);
    expect(after).toEqual(strong);
    await expectCountersOf(store, after);
  });
});
