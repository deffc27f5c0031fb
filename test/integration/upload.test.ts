/**
 * `relay-audit upload` against a simulated deployed stack: a local CloudFormation endpoint gives
 * the stack's outputs, s3rver is the bucket, dynalite the table, and every notification s3rver
 * emits is delivered to the real ingest handler, as the stack's queue would.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runUpload } from '../../bin/commands/upload.js';
import { snapshotFile, uploadKey } from '../../bin/support/upload-file.js';
import { analyze } from '../../functions/core/analysis/analyze.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import type { IngestHandler } from '../../functions/ingest/ingest.js';
import { STACK_OUTPUT } from '../../functions/runtime/stack-outputs.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { CapturedOutput, cli } from '../support/capture-output.js';
import { deliverInBatches } from '../support/ingest-harness.js';
import { type LocalCloudFormation, startLocalCloudFormation } from '../support/local-cloudformation.js';
import {
  asS3WouldSend,
  LOCAL_REGION,
  type LocalS3,
  S3RVER_CREDENTIALS,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SAMPLE_LOGS = join(ROOT, 'sample-logs');
const ACCEPTED_DOMAINS = join(SAMPLE_LOGS, 'config', 'accepted-domains.csv');
const BUCKET = 'relayaudit-storagebucket-test';
const TABLE = 'RelayAudit-Findings-test';
const STACK = 'RelayAudit';
/** S3's smallest multipart part. */
const MIN_PART = 5 * 1024 * 1024;

let s3: LocalS3;
let dynamo: EmbeddedServer;
let cloudFormation: LocalCloudFormation;
let handler: IngestHandler;
let work: string;
let relay: NodeJS.Timeout;
let delivered = 0;

/** The stack's queue: every notification s3rver emitted, delivered to ingest once. */
function relayNotifications(): void {
  let busy = false;
  relay = setInterval(() => {
    if (busy || delivered >= s3.notifications.length) return;
    busy = true;
    const fresh = s3.notifications.slice(delivered);
    delivered += fresh.length;
    void deliverInBatches(
      handler,
      fresh.map((notification) => JSON.stringify(asS3WouldSend(notification))),
    ).finally(() => {
      busy = false;
    });
  }, 50);
}

async function upload(...argv: string[]): Promise<{ status: number; out: CapturedOutput }> {
  const out = new CapturedOutput();
  const status = await runUpload([...argv, '--stack', STACK], out, { pollMs: 50 });
  return { status, out };
}

async function objectMetadata(key: string): Promise<Record<string, string> | undefined> {
  try {
    return (await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).Metadata ?? {};
  } catch {
    return undefined;
  }
}

async function objectBytes(key: string): Promise<Buffer> {
  const response = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await (response.Body?.transformToByteArray() ?? new Uint8Array()));
}

/** What analysing the file directly gives (no S3, no store). */
async function reference(path: string): Promise<SourceRecord> {
  const domains = parseAcceptedDomains(await readFile(ACCEPTED_DOMAINS, 'utf8'), 'accepted-domains.csv');
  const result = await analyze([{ name: path, sourceId: 'reference', open: () => createReadStream(path) }], {
    domains,
    sink: { putFindings: async () => undefined, putSource: async () => undefined },
  });
  const record = result.sources[0];
  if (!record) throw new Error('no reference record');
  return record;
}

async function storedSources(): Promise<SourceRecord[]> {
  return (await dynamo.store.listSources({ limit: 100 })).items;
}

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  cloudFormation = await startLocalCloudFormation({
    [STACK]: {
      [STACK_OUTPUT.bucket]: BUCKET,
      [STACK_OUTPUT.table]: TABLE,
      [STACK_OUTPUT.apiUrl]: 'https://api.example.test/',
      [STACK_OUTPUT.region]: LOCAL_REGION,
    },
  });
  // The CLI's clients and the ingest handler's find the local engines as they would find AWS.
  const env: Record<string, string> = {
    TABLE_NAME: TABLE,
    BUCKET_NAME: BUCKET,
    RETENTION_DAYS: '400',
    ACCEPTED_DOMAINS: '',
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.endpoint,
    // s3rver predates flexible checksums.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    S3_FORCE_PATH_STYLE: 'true',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const { createHandlerFromEnvironment } = await import('../../functions/ingest/handler.js');
  handler = createHandlerFromEnvironment(process.env);
  await s3.client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'config/accepted-domains.csv',
      Body: await readFile(ACCEPTED_DOMAINS),
    }),
  );
  work = await mkdtemp(join(tmpdir(), 'relay-audit-upload-'));
  relayNotifications();
}, 60_000);

afterAll(async () => {
  clearInterval(relay);
  vi.unstubAllEnvs();
  await Promise.all([s3?.close(), dynamo?.close(), cloudFormation?.close()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('relay-audit upload', () => {
  const folder = () => join(work, 'MessageTracking');
  const files = ['MSGTRK2026112800-1.LOG', 'MSGTRK2026112800-2.LOG', 'message-trace.csv'];

  beforeAll(async () => {
    await mkdir(folder());
    for (const file of files) await copyFile(join(SAMPLE_LOGS, file), join(folder(), file));
    await writeFile(join(folder(), 'notes.md'), '# not a log\n');
  });

  it('uploads a folder gzipped, with the hash, and prints the report of what the stack analysed', async () => {
    // Act
    const { status, out } = await upload(folder());
    // Assess
    expect(status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^relay-audit: 3 files, /);
    expect(out.stdout).toContain('Findings by scenario');
    expect(out.stdout).toContain(`relay-audit findings --stack ${STACK}`);
    expect(out.stderr).toContain('notes.md');
    const sources = await storedSources();
    for (const file of files) {
      const path = join(folder(), file);
      const snapshot = await snapshotFile(path);
      const key = uploadKey(path, snapshot);
      expect(key).toMatch(/^incoming\/cli\/.+\/MessageTracking\/.+\.gz$/);
      expect((await objectMetadata(key))?.['content-sha256']).toBe(snapshot.sha256);
      expect(gunzipSync(await objectBytes(key))).toEqual(await readFile(path));
      const expected = await reference(path);
      const record = sources.find((source) => source.file === key);
      expect(record, key).toMatchObject({
        status: 'done',
        format: expected.format,
        rowsRead: expected.rowsRead,
        rowsSkipped: expected.rowsSkipped,
      });
      // Findings may differ from a lone analysis: ingest correlates forwarding across the uploads.
      expect(out.stdout).toContain(`✓ ${key}`);
    }
    const findings = sources
      .flatMap((source) => Object.values(source.findingsByScenario))
      .reduce((sum, count) => sum + count, 0);
    expect(findings).toBeGreaterThan(0);
    expect(out.stdout).toContain(`→ ${findings} findings`);
  }, 60_000);

  it('fails, as analyze does, when a file that may hold refusals is not sent (an archive)', async () => {
    // Prepare: a log and a zip of logs (a ZIP is not read: it must be extracted first).
    const mixed = join(work, 'WithArchive');
    await mkdir(mixed);
    await copyFile(join(SAMPLE_LOGS, 'MSGTRK2026112800-1.LOG'), join(mixed, 'MSGTRK2026112800-1.LOG'));
    await writeFile(
      join(mixed, 'MessageTracking.zip'),
      Buffer.from('PK\u0003\u0004 not really a zip', 'latin1'),
    );

    // Act
    const { status, out } = await upload(mixed);

    // Assess: the log is sent and analysed; the archive is named, and the command fails.
    expect(status, out.stderr).toBe(1);
    expect(out.stderr).toMatch(
      /✗ 1 file that may hold relay refusals not uploaded \(.*MessageTracking\.zip\)/,
    );
    expect(out.stdout).toMatch(/^relay-audit: 1 file, /);
  }, 60_000);

  it('findings --stack reads the same table through the stack outputs', async () => {
    // Act
    const { status, out } = await cli('findings', '--stack', STACK, '--format', 'ndjson');
    // Assess
    expect(status, out.stderr).toBe(0);
    const stored = (await dynamo.store.queryFindings({ limit: 1000 })).items.map((finding) => finding.id);
    const listed = out.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: string }).id);
    expect(listed.sort()).toEqual(stored.sort());
    expect(listed.length).toBeGreaterThan(0);
  });

  it('does not send unchanged files again', async () => {
    // Prepare
    const before = s3.notifications.length;
    // Act
    const { status, out } = await upload(folder());
    // Assess
    expect(status).toBe(0);
    expect(out.stdout).toContain('Nothing to upload');
    expect(out.stderr).toContain('3 files unchanged');
    expect(s3.notifications.length).toBe(before);
  }, 60_000);

  it('sends a growing tracking log again when it grew, in whole lines', async () => {
    // Prepare: a log Exchange is still writing, its last line half written.
    const lines = (await readFile(join(SAMPLE_LOGS, 'MSGTRK2026112800-1.LOG'), 'utf8')).split('\n');
    const path = join(work, 'growing', 'MSGTRK2026120500-1.LOG');
    await mkdir(join(work, 'growing'));
    await writeFile(path, `${lines.slice(0, 12).join('\n')}\n${lines[12]?.slice(0, 30)}`);
    const first = await upload(path);
    const key = uploadKey(path, { compressed: false });
    const firstRecord = (await storedSources()).find(
      (source) => source.file === key && source.status === 'done',
    );
    // Act: the half line completed and more lines appended.
    await appendFile(path, `${lines[12]?.slice(30)}\n${lines.slice(13).join('\n')}`);
    const before = s3.notifications.length;
    const second = await upload(path);
    // Assess
    expect(first.status, first.out.stderr).toBe(0);
    expect(firstRecord?.rowsRead).toBe(12 - 5);
    expect(second.status, second.out.stderr).toBe(0);
    expect(second.out.stderr).toContain('grew since its last upload');
    expect(s3.notifications.length).toBe(before + 1);
    const text = await readFile(path, 'utf8');
    expect(gunzipSync(await objectBytes(key)).toString('utf8')).toBe(
      text.slice(0, text.lastIndexOf('\n') + 1),
    );
    const records = (await storedSources()).filter(
      (source) => source.file === key && source.status === 'done',
    );
    expect(Math.max(...records.map((record) => record.rowsRead))).toBe((await reference(path)).rowsRead);
  }, 60_000);

  it('--watch sends what grows until stopped', async () => {
    // Prepare
    const dir = join(work, 'watched');
    await mkdir(dir);
    const path = join(dir, 'MSGTRK2026120600-1.LOG');
    const lines = (await readFile(join(SAMPLE_LOGS, 'MSGTRK2026112800-1.LOG'), 'utf8')).split('\n');
    await writeFile(path, `${lines.slice(0, 10).join('\n')}\n`);
    const controller = new AbortController();
    const out = new CapturedOutput();
    const before = s3.notifications.length;
    // Act
    const watching = runUpload([dir, '--stack', STACK, '--watch', '--interval', '1'], out, {
      signal: controller.signal,
      pollMs: 50,
    });
    await vi.waitFor(() => expect(s3.notifications.length).toBe(before + 1), { timeout: 10_000 });
    await appendFile(path, `${lines.slice(10).join('\n')}`);
    await vi.waitFor(() => expect(s3.notifications.length).toBe(before + 2), { timeout: 10_000 });
    await vi.waitFor(() => expect(out.stdout.match(/^relay-audit: 1 file,/gm)).toHaveLength(2), {
      timeout: 10_000,
    });
    controller.abort();
    // Assess
    expect(await watching).toBe(0);
    expect(out.stderr).toContain('grew since its last upload');
  }, 60_000);

  it('leaves nothing to analyse when interrupted mid-upload: no object, no notification, no record', async () => {
    // Prepare: an export already compressed (sent as it is), three parts long.
    const path = join(work, 'big', 'export.csv.gz');
    await mkdir(join(work, 'big'));
    await writeFile(path, gzipSync(randomBytes(3 * MIN_PART), { level: 0 }));
    const key = uploadKey(path, { compressed: true });
    const notificationsBefore = s3.notifications.length;
    const sourcesBefore = (await storedSources()).length;
    const controller = new AbortController();
    const out = new CapturedOutput();
    let parts = 0;
    out.progress = () => ({
      update({ bytesRead }) {
        // Ctrl+C once the first part has been read and is on its way.
        if (bytesRead >= MIN_PART && parts++ === 0) controller.abort();
      },
      done() {},
    });
    // Act
    const status = await runUpload([path, '--stack', STACK], out, {
      signal: controller.signal,
      partSize: MIN_PART,
      pollMs: 50,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Assess
    expect(status).toBe(130);
    expect(out.stderr).toContain('upload interrupted');
    expect(await objectMetadata(key)).toBeUndefined();
    expect(s3.notifications.length).toBe(notificationsBefore);
    expect((await storedSources()).length).toBe(sourcesBefore);
  }, 60_000);
});
