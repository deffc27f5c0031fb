/**
 * The trace pull as its tests run it: the local Graph and identity platform (local-graph.ts), a
 * bucket on s3rver, runs at a chosen time with the settings of the deployed function, their
 * warnings and waits recorded, and the written windows analysed by the real analysis.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach } from 'vitest';
import { readSigningCertificate } from '../../functions/graph-pull/certificate.js';
import { CURSOR_KEY, CursorStore } from '../../functions/graph-pull/cursor-store.js';
import { type PullResult, type PullSettings, runPull } from '../../functions/graph-pull/run-pull.js';
import { TokenSource } from '../../functions/graph-pull/token-source.js';
import { createLogger } from '../../functions/runtime/logger.js';
import { analyzeFiles } from './analyze-text.js';
import { type LocalS3, startLocalS3 } from './local-engines.js';
import { createAppCertificate, type GraphDetail, type GraphTrace, LocalGraph } from './local-graph.js';

const BUCKET = 'relay-audit-graph-pull';
const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = '99999999-8888-7777-6666-555555555555';

export interface PullRun {
  now: Date;
  settings?: Partial<PullSettings>;
  remainingMs?: () => number;
}

export interface PullHarness {
  readonly graph: LocalGraph;
  readonly s3: LocalS3;
  /** `[message, fields]` of every warning the runs logged. */
  readonly warnings: [string, Record<string, unknown>][];
  /** `[message, fields]` of every info line the runs logged. */
  readonly infos: [string, Record<string, unknown>][];
  readonly tokens: TokenSource;
  /** Every wait the runs asked for (none is slept). */
  readonly waits: number[];
  pull(run: PullRun): Promise<PullResult>;
  setCursor(state: Record<string, unknown>): Promise<void>;
  cursor(): Promise<Record<string, unknown>>;
  text(key: string): Promise<string>;
  /** Uploads notified for `key` (each would start an ingest). */
  uploads(key: string): number;
  /** Findings of the windows written so far: `[recipient, sender, scenario, attr]`. */
  findings(): Promise<{ found: string[][]; unexplained: number }>;
  close(): Promise<void>;
}

let certificate: Promise<{ dir: string; certificatePem: string; secretPem: string }> | undefined;

async function appCertificate() {
  certificate ??= mkdtemp(join(tmpdir(), 'relay-audit-graph-')).then(async (dir) => ({
    dir,
    ...(await createAppCertificate(dir)),
  }));
  return certificate;
}

/** Starts a local Graph serving `traces` (the array is read live: tests change it between runs). */
export async function startPullHarness(
  traces: GraphTrace[],
  details: Record<string, GraphDetail[]>,
  pageSize = 1000,
): Promise<PullHarness> {
  const { certificatePem, secretPem } = await appCertificate();
  const graph = new LocalGraph({
    tenantId: TENANT,
    clientId: CLIENT,
    certificatePem,
    traces,
    details,
    pageSize,
  });
  await graph.start();
  const s3 = await startLocalS3([BUCKET]);
  const tokens = new TokenSource({
    authorityHost: graph.origin,
    tenantId: TENANT,
    clientId: CLIENT,
    certificate: readSigningCertificate(secretPem),
  });
  const warnings: [string, Record<string, unknown>][] = [];
  const infos: [string, Record<string, unknown>][] = [];
  const waits: number[] = [];
  const logger = createLogger('test', 'silent');
  const record =
    (into: [string, Record<string, unknown>][]) =>
    (message: unknown, ...fields: unknown[]) => {
      into.push([String(message), Object.assign({}, ...fields.filter((f) => typeof f === 'object'))]);
    };
  logger.warn = record(warnings);
  logger.info = record(infos);
  const text = async (key: string) => {
    const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return (await object.Body?.transformToString('utf-8')) ?? '';
  };
  const written = new Set<string>();
  return {
    graph,
    s3,
    warnings,
    infos,
    tokens,
    waits,
    async pull(run) {
      const result = await runPull({
        s3: s3.client,
        bucket: BUCKET,
        cursor: new CursorStore(s3.client, BUCKET),
        tokens,
        logger,
        settings: {
          graphBase: graph.graphBase,
          lagMs: 15 * 60_000,
          windowMs: 60 * 60_000,
          firstLookBackMs: 60 * 60_000,
          requestLimit: 80,
          maxDetailsPerWindow: 150,
          ...run.settings,
        },
        now: () => run.now,
        sleep: async (ms) => {
          waits.push(ms);
        },
        ...(run.remainingMs === undefined ? {} : { remainingMs: run.remainingMs }),
      });
      for (const window of result.windows) if (window.written) written.add(window.key);
      // A re-read for details writes a detail file next to the window's own (`file`).
      for (const window of result.rereads) if (window.written) written.add(window.file ?? window.key);
      return result;
    },
    async setCursor(state) {
      await s3.client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: CURSOR_KEY, Body: JSON.stringify(state) }),
      );
    },
    async cursor() {
      return JSON.parse(await text(CURSOR_KEY)) as Record<string, unknown>;
    },
    text,
    uploads: (key) =>
      s3.notifications.filter((n) => n.Records.some((record) => record.s3.object.key === key)).length,
    async findings() {
      const files = await Promise.all(
        [...written].sort().map(async (key) => ({ name: key, content: await text(key) })),
      );
      const { findings, result } = await analyzeFiles(files, { accepted: 'contoso.com' });
      return {
        found: findings.map((f) => [String(f.recipient), String(f.sender), f.scenario, String(f.attr)]),
        unexplained: result.unexplainedFailures,
      };
    },
    async close() {
      await graph.close();
      await s3.close();
    },
  };
}

/** Removes the certificate's directory (call once, after the file's last harness closed). */
export async function removeAppCertificate(): Promise<void> {
  if (certificate === undefined) return;
  await rm((await certificate).dir, { recursive: true, force: true });
  certificate = undefined;
}

/** The cursor the pull tests start from: the hour of their traces not pulled yet. */
export const START_CURSOR = '2026-12-05T10:00:00.000Z';

/**
 * A harness per test, closed after it, started at {@link START_CURSOR}; the certificate is removed
 * after the file's last test. Call once at the top of a test file.
 */
export function harnessPerTest(): (
  traces: GraphTrace[],
  details: Record<string, GraphDetail[]>,
  pageSize?: number,
) => Promise<PullHarness> {
  let harness: PullHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  afterAll(removeAppCertificate);
  return async (traces, details, pageSize) => {
    harness = await startPullHarness(traces, details, pageSize);
    await harness.setCursor({ cursor: START_CURSOR });
    return harness;
  };
}
