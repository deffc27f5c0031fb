/**
 * The ingest Lambda's end-of-upload correlation of a refusal whose sender addressed the outside
 * recipient itself (the cloud path of test/integration/sender-addressed-across-runs.test.ts), on
 * real local engines: s3rver stores the uploads and emits their S3 notifications, dynalite holds the
 * table, the handler is configured only through its environment and given each notification as SQS
 * delivers it. An application sends one Message-ID as one envelope per recipient: the first upload
 * holds the envelope naming only kate@tailspintoys.com; the second holds EX01's receipt for
 * kate@contoso.com and, later in the same log, Exchange Online's refusal of kate@tailspintoys.com.
 * The stack analyses one object per invocation, so the second upload is one tracking log holding both
 * rows in time order (the rollover `MSGTRK2026112800-1.LOG` and `-2.LOG` joined, as the README's
 * upload section advises), and its classifier reads forwarding from its own receipt. The earlier
 * upload's receipt says the sender addressed the refused recipient itself: the correlation takes it
 * back to what one `relay-audit analyze` over both files reads (foreign-sender-domain), in the
 * stored finding, the upload's source record and the rollups.
 * Logs: rows of the samples (sample-logs/MSGTRK2026112800-1.LOG and -2.LOG), the receipt copied as
 * the outside-only envelope, as sender-addressed-across-runs.test.ts builds them.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { cli } from '../support/capture-output.js';
import { envelopeRows, INTERNAL, REFUSED, writeLog } from '../support/envelope-per-recipient.js';
import {
  deliverInBatches,
  type IngestLambda,
  sourceIdOfNotification,
  uploadObject,
} from '../support/ingest-harness.js';
import {
  type LocalS3,
  localFunctionEnvironment,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';

const BUCKET = 'relay-audit-sender-addressed-bucket';
const TABLE = 'relay-audit-ingest-sender-addressed';
const DAY = '2026-11-28';
const ACCEPTED = 'contoso.com';

let s3: LocalS3;
let dynamo: EmbeddedServer;
let ingest: IngestLambda;
let dir: string;

beforeEach(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-ingest-sender-addressed-'));
  const environment = localFunctionEnvironment(
    { table: TABLE, bucket: BUCKET, s3, dynamo },
    { RETENTION_DAYS: '400', ACCEPTED_DOMAINS: ACCEPTED, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
  );
  // The SDK reads endpoints and credentials from process.env when it builds its clients.
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  const { createHandlerFromEnvironment } = await import('../../functions/ingest/handler.js');
  // A fresh container: its caches and clients point at this test's engines.
  ingest = createHandlerFromEnvironment(environment);
}, 60_000);

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all([s3?.close(), dynamo?.close()]);
  await rm(dir, { recursive: true, force: true });
});

interface Logs {
  /** EX02: the envelope for the outside recipient alone (RECEIVE for kate@tailspintoys.com). */
  outside: string;
  /** EX01: the internal envelope's receipt, then Exchange Online's refusal (5.7.64), in one log. */
  internalAndRefusal: string;
  /** A log of the same day without the message at all. */
  unrelated: string;
}

/** The logs, written under the test's folder (the bytes uploaded and analysed by the CLI alike). */
async function logs(): Promise<Logs> {
  const { header, receipt, outsideReceipt, refusal } = await envelopeRows();
  // The receipt (22:14:57) comes before the refusal (22:15:03): one server's log, in time order.
  expect(receipt < refusal).toBe(true);
  const write = (path: string, rows: string[]) => writeLog(dir, path, header, rows);
  return {
    outside: await write('EX02/MSGTRK2026112800-1.LOG', [outsideReceipt]),
    internalAndRefusal: await write('EX01/MSGTRK2026112800-1.LOG', [receipt, refusal]),
    unrelated: await write('EX02/MSGTRK2026112700-1.LOG', []),
  };
}

/** Uploads `path` under `incoming/<folder>/` and has the Lambda analyse it; returns its notification. */
async function upload(path: string): Promise<string> {
  const key = `incoming/${path.slice(dir.length + 1)}`;
  const notification = await uploadObject(s3, BUCKET, key, await readFile(path));
  expect(await deliverInBatches(ingest, [notification])).toEqual([]);
  return notification;
}

/** The stored findings for the refused recipient (one, whatever its scenario). */
async function refused(): Promise<Finding> {
  const page = await dynamo.store.queryFindings({ since: DAY, until: DAY, limit: 100 });
  const found = page.items.filter((finding) => finding.recipient === REFUSED);
  expect(found).toHaveLength(1);
  return found[0] as Finding;
}

/** The upload's source record. */
async function recordOf(notification: string) {
  return dynamo.store.getSource(sourceIdOfNotification(BUCKET, notification));
}

async function rollups() {
  const items = await dynamo.store.queryRollups({ from: DAY, to: DAY });
  return items.map(({ scenario, count }) => ({ scenario, count }));
}

/** The refusal's finding as one `relay-audit analyze --no-store` over `paths` prints it. */
async function oneRun(paths: string[]): Promise<Finding> {
  const { status, out } = await cli('analyze', ...paths, '--accepted-domains', ACCEPTED, '--no-store');
  expect(status).toBe(0);
  const found = out.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Finding)
    .filter((finding) => finding.recipient === REFUSED);
  expect(found).toHaveLength(1);
  return found[0] as Finding;
}

describe('ingest of a refusal read as forwarding, whose outside envelope an earlier upload held', () => {
  it('is stored and counted foreign-sender-domain, as one run over both files reads it', async () => {
    const { outside, internalAndRefusal } = await logs();
    const expected = await oneRun([outside, internalAndRefusal]);
    expect(expected.scenario).toBe('foreign-sender-domain');
    // Alone, the second upload's classifier reads forwarding from its own receipt.
    expect((await oneRun([internalAndRefusal])).scenario).toBe('forwarding');

    const first = await upload(outside);
    expect(await recordOf(first)).toMatchObject({ status: 'done', findingsByScenario: {} });
    const second = await upload(internalAndRefusal);

    const stored = await refused();
    expect(stored).toMatchObject({
      scenario: expected.scenario,
      confidence: expected.confidence,
      remediation: expected.remediation,
      evidence: expected.evidence,
    });
    expect(stored.forwardedFrom).toBeUndefined();
    expect(stored.source.sourceId).toBe(sourceIdOfNotification(BUCKET, second));
    expect(await recordOf(second)).toMatchObject({
      status: 'done',
      findingsByScenario: { 'foreign-sender-domain': 1 },
    });
    expect((await recordOf(second))?.findingsByScenario.forwarding ?? 0).toBe(0);
    expect(await rollups()).toEqual([{ scenario: 'foreign-sender-domain', count: 1 }]);

    // SQS delivers at least once: the same notification again moves no count twice.
    expect(await deliverInBatches(ingest, [second])).toEqual([]);
    expect((await refused()).scenario).toBe('foreign-sender-domain');
    expect((await recordOf(second))?.findingsByScenario).toEqual({ 'foreign-sender-domain': 1 });
    expect(await rollups()).toEqual([{ scenario: 'foreign-sender-domain', count: 1 }]);
  }, 60_000);

  it('stays forwarding when there was no first upload (control)', async () => {
    const { internalAndRefusal } = await logs();
    const second = await upload(internalAndRefusal);
    expect(await refused()).toMatchObject({
      scenario: 'forwarding',
      forwardedFrom: { kind: 'received-for', address: INTERNAL },
    });
    expect((await recordOf(second))?.findingsByScenario).toEqual({ forwarding: 1 });
    expect(await rollups()).toEqual([{ scenario: 'forwarding', count: 1 }]);
  }, 60_000);

  it('stays forwarding when the first upload held nothing of the message (control)', async () => {
    const { unrelated, internalAndRefusal } = await logs();
    await upload(unrelated);
    const second = await upload(internalAndRefusal);
    expect(await refused()).toMatchObject({
      scenario: 'forwarding',
      forwardedFrom: { kind: 'received-for', address: INTERNAL },
    });
    expect((await recordOf(second))?.findingsByScenario).toEqual({ forwarding: 1 });
    expect(await rollups()).toEqual([{ scenario: 'forwarding', count: 1 }]);
  }, 60_000);
});
