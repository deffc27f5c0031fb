/**
 * A sender that addressed the outside recipient itself, in an envelope of its own, with the refusal
 * analysed in another run than the receipts: an application sends one Message-ID as one envelope per
 * recipient, through two relays; EX01 receives it for kate@contoso.com, EX02 for kate@tailspintoys.com
 * (that envelope names only the outside recipient), whom Exchange Online refuses. Nothing forwarded
 * it: one run over all the files reads it as `foreign-sender-domain`, and so must the end-of-run
 * correlation of runs into one store, in either order, and the nightly job. The inbound index keeps
 * the outside-only receipt as an entry without a recipient. When the outside envelope came in an
 * earlier run and the internal one with the refusal, the run's classifier reads forwarding from its
 * own receipt: the end-of-run correlation takes it back to the reading of one run over all the
 * files (scenario, confidence, advice, counts). Real embedded engine (dynalite).
 * Logs: rows of the samples (sample-logs/MSGTRK2026112800-1.LOG and -2.LOG), the receipt copied as
 * the outside-only envelope, as test/integration/forwarding-far-apart.test.ts builds them.
 */

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { analyzeIntoStore } from '../../bin/support/store-run.js';
import { analyze, withInboundRecorder } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { correlateDay } from '../../functions/nightly/day-passes.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { InboundIndex, recordInboundMessages } from '../../functions/store/inbound-index.js';
import { inboundPartition } from '../../functions/store/table-design.js';
import { cli } from '../support/capture-output.js';
import { envelopeRows, INTERNAL, MESSAGE, REFUSED, writeLog } from '../support/envelope-per-recipient.js';
import { startLocalDynamo } from '../support/local-engines.js';

const DAY = '2026-11-28';
const domains = parseAcceptedDomains('contoso.com', 'test');

let dynamo: EmbeddedServer;
let dir: string;

beforeEach(async () => {
  dynamo = await startLocalDynamo('relay-audit-sender-addressed');
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-sender-addressed-'));
}, 60_000);
afterEach(async () => {
  await dynamo?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Logs {
  /** EX01: the envelope for the internal recipient (RECEIVE for kate@contoso.com). */
  internal: string;
  /** EX02: the envelope for the outside recipient alone (RECEIVE for kate@tailspintoys.com). */
  outside: string;
  /** EX02, a later log: Exchange Online's refusal of kate@tailspintoys.com (5.7.64). */
  refusal: string;
  /** EX02: the outside envelope's receipt and the refusal in one log. */
  outsideAndRefusal: string;
}

async function logs(): Promise<Logs> {
  const { header, receipt, outsideReceipt, refusal } = await envelopeRows();
  const write = (path: string, rows: string[]) => writeLog(dir, path, header, rows);
  return {
    internal: await write('EX01/MSGTRK2026112800-1.LOG', [receipt]),
    outside: await write('EX02/MSGTRK2026112800-1.LOG', [outsideReceipt]),
    refusal: await write('EX02/MSGTRK2026112800-2.LOG', [refusal]),
    outsideAndRefusal: await write('EX02/MSGTRK2026112800-3.LOG', [outsideReceipt, refusal]),
  };
}

/** One run of `paths` into the store, as `relay-audit analyze --db` runs it. */
async function run(paths: string[]) {
  return analyzeIntoStore(dynamo, await localInputs(paths), { domains });
}

/** The stored finding for the refused recipient. */
async function refused(): Promise<Finding | undefined> {
  const found: Finding[] = [];
  for (const scenario of ['forwarding', 'foreign-sender-domain'] as const) {
    const page = await dynamo.store.queryFindings({ scenario, since: DAY, until: DAY, limit: 100 });
    found.push(...page.items.filter((finding) => finding.recipient === REFUSED));
  }
  expect(found).toHaveLength(1);
  return found[0];
}

describe('a refusal the sender addressed in an envelope of its own, analysed in another run than the receipts', () => {
  it('is foreign-sender-domain in one run of all the files (the answer the runs must reach)', async () => {
    const { internal, outside, refusal } = await logs();
    const { correlation } = await run([internal, outside, refusal]);
    expect(correlation.ownReclassified).toEqual([]);
    expect((await refused())?.scenario).toBe('foreign-sender-domain');
  });

  it('stays foreign-sender-domain when the receipts were analysed in an earlier run', async () => {
    const { internal, outside, refusal } = await logs();
    await run([internal, outside]);
    const { result, correlation } = await run([refusal]);
    expect(correlation.ownReclassified).toEqual([]);
    expect(result.findingsByScenario).toMatchObject({ 'foreign-sender-domain': 1, forwarding: 0 });
    expect((await refused())?.scenario).toBe('foreign-sender-domain');
  });

  it('becomes forwarding when the earlier run had only the internal envelope (control)', async () => {
    const { internal, refusal } = await logs();
    await run([internal]);
    const { result, correlation } = await run([refusal]);
    expect(correlation.ownReclassified.map((finding) => finding.recipient)).toEqual([REFUSED]);
    expect(result.findingsByScenario).toMatchObject({ 'foreign-sender-domain': 0, forwarding: 1 });
    expect((await refused())?.forwardedFrom).toEqual({ kind: 'received-for', address: INTERNAL });
  });

  it('stays foreign-sender-domain when the receipts come in a later run', async () => {
    const { internal, outside, refusal } = await logs();
    await run([refusal]);
    const { correlation } = await run([internal, outside]);
    expect(correlation.earlierReclassified).toBe(0);
    expect((await refused())?.scenario).toBe('foreign-sender-domain');
    // The refusal's own record still counts it so.
    const sources = await dynamo.store.listSources({ limit: 10 });
    const record = sources.items.find((source) => source.file.endsWith('MSGTRK2026112800-2.LOG'));
    expect(record?.findingsByScenario).toMatchObject({ 'foreign-sender-domain': 1 });
    expect(record?.findingsByScenario.forwarding ?? 0).toBe(0);
  });

  it('becomes forwarding when the later run has only the internal envelope (control)', async () => {
    const { internal, refusal } = await logs();
    await run([refusal]);
    const { correlation } = await run([internal]);
    expect(correlation.earlierReclassified).toBe(1);
    expect((await refused())?.scenario).toBe('forwarding');
  });

  it('stays foreign-sender-domain when the outside envelope is in the refusal’s run, the internal one earlier', async () => {
    const { internal, outsideAndRefusal } = await logs();
    await run([internal]);
    const { correlation } = await run([outsideAndRefusal]);
    expect(correlation.ownReclassified).toEqual([]);
    expect((await refused())?.scenario).toBe('foreign-sender-domain');
  });
});

describe('a refusal its run read as forwarding, whose outside envelope an earlier run analysed', () => {
  /** The refusal's finding as one run over `paths` stores it, in a store of its own. */
  async function oneRun(paths: string[]): Promise<Finding> {
    const own = await startLocalDynamo('relay-audit-sender-addressed-one-run');
    try {
      await analyzeIntoStore(own, await localInputs(paths), { domains });
      const page = await own.store.queryFindings({ since: DAY, until: DAY, limit: 100 });
      const [finding] = page.items.filter((item) => item.recipient === REFUSED);
      expect(finding).toBeDefined();
      return finding as Finding;
    } finally {
      await own.close();
    }
  }

  /** The stored record of the run's file `name` (EX02/… or EX01/…). */
  async function recordOf(name: string) {
    const sources = await dynamo.store.listSources({ limit: 10 });
    const matching = sources.items.filter((source) => source.file.endsWith(name));
    return matching.at(-1);
  }

  it('is foreign-sender-domain, as one run of all the files reads it, counted so everywhere', async () => {
    const { internal, outside, refusal } = await logs();
    const expected = await oneRun([outside, internal, refusal]);
    expect(expected.scenario).toBe('foreign-sender-domain');

    await run([outside]);
    const { result, correlation } = await run([internal, refusal]);

    // The run's classifier read forwarding from the internal receipt; the earlier run's receipt
    // named the refused recipient itself: its sender addressed it.
    expect(correlation.ownUnforwarded.map(({ finding }) => finding.recipient)).toEqual([REFUSED]);
    expect(correlation.ownReclassified).toEqual([]);
    const stored = await refused();
    expect(stored).toMatchObject({
      scenario: expected.scenario,
      confidence: expected.confidence,
      remediation: expected.remediation,
      evidence: expected.evidence,
    });
    expect(stored?.forwardedFrom).toBeUndefined();
    // The run's counts, its refusal file's record and the rollups say so too.
    expect(result.findingsByScenario).toMatchObject({ 'foreign-sender-domain': 1, forwarding: 0 });
    expect(result.forwardedFrom).toEqual([]);
    expect(result.senderDomains).toEqual([
      expect.objectContaining({ domain: 'fabrikam.com', scenarios: { 'foreign-sender-domain': 1 } }),
    ]);
    const record = await recordOf('EX02/MSGTRK2026112800-2.LOG');
    expect(record?.findingsByScenario).toEqual({ 'foreign-sender-domain': 1 });
    const rollups = await dynamo.store.queryRollups({ from: DAY, to: DAY });
    expect(rollups.map(({ scenario, count }) => ({ scenario, count }))).toEqual([
      { scenario: 'foreign-sender-domain', count: 1 },
    ]);
  });

  it('stays forwarding when the earlier run held nothing about the refused recipient (control)', async () => {
    const { internal, refusal } = await logs();
    // An earlier run of a file without the message at all.
    const unrelated = join(dir, 'EX02', 'MSGTRK2026112700-1.LOG');
    const header = (await readFile(refusal, 'utf8')).split('\n').filter((line) => line.startsWith('#'));
    await writeFile(unrelated, `${header.join('\n')}\n`);
    await run([unrelated]);
    const { result, correlation } = await run([internal, refusal]);
    expect(correlation.ownUnforwarded).toEqual([]);
    expect(result.findingsByScenario).toMatchObject({ 'foreign-sender-domain': 0, forwarding: 1 });
    expect(await refused()).toMatchObject({
      scenario: 'forwarding',
      forwardedFrom: { kind: 'received-for', address: INTERNAL },
    });
    expect((await recordOf('EX02/MSGTRK2026112800-2.LOG'))?.findingsByScenario).toEqual({ forwarding: 1 });
    const rollups = await dynamo.store.queryRollups({ from: DAY, to: DAY });
    expect(rollups.map(({ scenario, count }) => ({ scenario, count }))).toEqual([
      { scenario: 'forwarding', count: 1 },
    ]);
  });

  it('is said so by `relay-audit analyze`, listed so by `findings`, and kept so by the nightly report', async () => {
    const { internal, outside, refusal } = await logs();
    const db = join(dir, 'db');
    expect((await cli('analyze', outside, '--db', db, '--accepted-domains', 'contoso.com')).status).toBe(0);
    const second = await cli('analyze', internal, refusal, '--db', db, '--accepted-domains', 'contoso.com');
    expect(second.status).toBe(0);
    expect(second.out.stdout).toContain(
      "1 of this run's refusals read as forwarding is foreign-sender-domain instead: a receipt in an earlier run shows the sender addressed the outside recipient itself.",
    );
    const listed = async () => {
      const { out } = await cli('findings', '--db', db, '--format', 'ndjson');
      return out.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Finding)
        .filter((finding) => finding.recipient === REFUSED)
        .map(({ scenario, confidence }) => ({ scenario, confidence }));
    };
    expect(await listed()).toEqual([{ scenario: 'foreign-sender-domain', confidence: 'high' }]);
    const report = await cli('report', '--date', DAY, '--db', db, '--out', join(dir, 'reports'), '--json');
    expect(report.status).toBe(0);
    expect(await listed()).toEqual([{ scenario: 'foreign-sender-domain', confidence: 'high' }]);
  });

  it('stays forwarding when the earlier run received the message for the internal recipient only (control)', async () => {
    const { internal, refusal } = await logs();
    await run([internal]);
    const { correlation } = await run([internal, refusal]);
    expect(correlation.ownUnforwarded).toEqual([]);
    expect((await refused())?.scenario).toBe('forwarding');
  });
});

describe('the nightly correlation of such a refusal', () => {
  /** Analyses without the end-of-run correlation (as ingest before the nightly job): findings stored, receipts indexed. */
  async function ingest(paths: string[]): Promise<void> {
    await analyze(await localInputs(paths), {
      domains,
      sink: withInboundRecorder(dynamo.store, (entries) => recordInboundMessages(dynamo, entries)),
    });
  }

  it('leaves it foreign-sender-domain when the outside envelope was indexed', async () => {
    const { internal, outside, refusal } = await logs();
    await ingest([internal]);
    await ingest([outside]);
    await ingest([refusal]);
    const entries = (await new InboundIndex(dynamo).lookup([MESSAGE])).get(MESSAGE) ?? [];
    expect(entries.map((entry) => [entry.recipient, entry.outside])).toEqual(
      expect.arrayContaining([
        [INTERNAL, undefined],
        [undefined, [REFUSED]],
      ]),
    );

    expect(await correlateDay(dynamo.store, new InboundIndex(dynamo), DAY)).toBe(0);
    expect((await refused())?.scenario).toBe('foreign-sender-domain');
  });

  it('turns it into forwarding when only the internal envelope was indexed (control)', async () => {
    const { internal, refusal } = await logs();
    await ingest([internal]);
    await ingest([refusal]);
    expect(await correlateDay(dynamo.store, new InboundIndex(dynamo), DAY)).toBe(1);
    expect((await refused())?.scenario).toBe('forwarding');
  });
});

describe('the inbound index with entries of both kinds', () => {
  it('reads an entry stored by an earlier version (recipient in the key) beside one without a recipient', async () => {
    const { outside } = await logs();
    // As earlier versions wrote it: the recipient only in the sort key, no `outside`.
    await dynamo.client.send(
      new PutItemCommand({
        TableName: dynamo.tableName,
        Item: {
          pk: { S: inboundPartition(MESSAGE) },
          sk: { S: `${DAY}#upload-old#${INTERNAL}` },
          messageId: { S: MESSAGE },
          receivedAt: { S: '2026-11-28T22:14:57.806Z' },
          sourceId: { S: 'upload-old' },
          file: { S: 'EX01/MSGTRK2026112800-1.LOG' },
          eventId: { S: 'RECEIVE' },
          expiresAt: { N: '1900000000' },
        },
      }),
    );
    await run([outside]);
    const entries = (await new InboundIndex(dynamo).lookup([`<${MESSAGE}>`])).get(MESSAGE) ?? [];
    expect(entries).toHaveLength(2);
    expect(entries.find((entry) => entry.sourceId === 'upload-old')).toEqual({
      messageId: MESSAGE,
      recipient: INTERNAL,
      receivedAt: '2026-11-28T22:14:57.806Z',
      sourceId: 'upload-old',
      file: 'EX01/MSGTRK2026112800-1.LOG',
      eventId: 'RECEIVE',
    });
    const addressed = entries.find((entry) => entry.sourceId !== 'upload-old');
    expect(addressed).toMatchObject({ messageId: MESSAGE, eventId: 'RECEIVE', outside: [REFUSED] });
    expect(addressed !== undefined && 'recipient' in addressed).toBe(false);
  });
});
