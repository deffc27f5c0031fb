/**
 * `relay-audit upload` against a simulated deployed stack: a local CloudFormation endpoint gives
 * the stack's outputs, s3rver is the bucket, dynalite the table, and every notification s3rver
 * emits is delivered to the real ingest handler, as the stack's queue would.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, copyFile, cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runUpload } from '../../bin/commands/upload.js';
import { snapshotFile, uploadKey, WRITING_QUIET_MS } from '../../bin/support/upload-file.js';
import { analyze } from '../../functions/core/analysis/analyze.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
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
  return (await dynamo.store.listSources({ limit: 1000 })).items;
}

/** The finished source record of the upload of a local file (by its key), the latest if several. */
async function recordOf(path: string, compressed = false): Promise<SourceRecord | undefined> {
  const key = uploadKey(path, { compressed });
  return (await storedSources())
    .filter((source) => source.file === key && source.status !== 'processing')
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .at(-1);
}

/** The stored findings of the uploads of local files, by their keys. */
async function findingsOf(paths: readonly string[]) {
  const keys = new Set(paths.map((path) => uploadKey(path, { compressed: false })));
  const ids = new Set((await storedSources()).filter((s) => keys.has(s.file)).map((s) => s.id));
  return (await dynamo.store.queryFindings({ limit: 1000 })).items.filter((f) => ids.has(f.source.sourceId));
}

/** Sets a file's modification time `ms` ago: a file no longer being written. */
async function modifiedAgo(path: string, ms: number): Promise<void> {
  const time = new Date(Date.now() - ms);
  await utimes(path, time, time);
}

/** The sample trace detail's header and first two rows (its refusal the second), CRLF, no final line break. */
async function traceDetailWithoutFinalLineBreak(): Promise<string> {
  const rows = (await readFile(join(SAMPLE_LOGS, 'message-trace-detail.csv'), 'utf8')).split(/\r?\n/);
  return rows.slice(0, 3).join('\r\n');
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
    // Each finding once: the same refusal in both tracking logs (a message that spans the roll-over)
    // is one stored finding, not one per file (their records' counts summed said 15).
    const stored = await findingsOf(files.map((file) => join(folder(), file)));
    expect(stored.length).toBeGreaterThan(0);
    expect(out.stdout).toContain(`→ ${stored.length} findings`);
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

describe('relay-audit upload: what is sent of a file', () => {
  it('sends a finished export whole: its last row without a line break is analysed', async () => {
    // Prepare: a trace detail whose refusal is its last row, with no line break after it, written
    // a minute ago (an export downloaded earlier).
    const path = join(work, 'finished', 'trace-detail.csv');
    await mkdir(join(work, 'finished'));
    await writeFile(path, await traceDetailWithoutFinalLineBreak());
    await modifiedAgo(path, 60_000);
    // Act
    const { status, out } = await upload(path);
    // Assess: both rows read, the refusal found (cut after its last line break: 1 row, no refusal).
    expect(status, out.stderr).toBe(0);
    expect(await recordOf(path)).toMatchObject({
      status: 'done',
      rowsRead: 2,
      findingsByScenario: { 'foreign-sender-domain': 1 },
    });
    expect(gunzipSync(await objectBytes(uploadKey(path, { compressed: false })))).toEqual(
      await readFile(path),
    );
    expect(out.stdout).not.toContain('No relay refusals');
  }, 60_000);

  it('holds back the last line of a file still being written, says so, and sends it once the file is quiet', async () => {
    // Prepare: the same export, written just now.
    const path = join(work, 'being-written', 'trace-detail.csv');
    await mkdir(join(work, 'being-written'));
    await writeFile(path, await traceDetailWithoutFinalLineBreak());
    const first = await upload(path);
    const firstRecord = await recordOf(path);
    // Act: the file has not changed for longer than a writer takes to end a line.
    await modifiedAgo(path, WRITING_QUIET_MS + 5_000);
    const second = await upload(path);
    // Assess
    expect(first.status, first.out.stderr).toBe(0);
    expect(first.out.stderr).toMatch(
      /trace-detail\.csv: its last line \(\d+ bytes\) has no line break .* not sent/,
    );
    expect(firstRecord?.rowsRead).toBe(1);
    expect(second.status, second.out.stderr).toBe(0);
    expect(second.out.stderr).toContain('grew since its last upload');
    expect(await recordOf(path)).toMatchObject({
      rowsRead: 2,
      findingsByScenario: { 'foreign-sender-domain': 1 },
    });
  }, 60_000);

  it('cuts a UTF-16 file being written at its last line break, never inside a character', async () => {
    // Prepare: the trace detail as Windows PowerShell 5.1 writes it (UTF-16 with a BOM, CRLF), its
    // last row still without its line break, and that row names anna上@…: 上 is 0A 4E in UTF-16LE,
    // 4E 0A in UTF-16BE, a 0x0A byte that is no line break.
    const rows = (await readFile(join(SAMPLE_LOGS, 'message-trace-detail.csv'), 'utf8'))
      .trimEnd()
      .split(/\r?\n/);
    const complete = `${rows.slice(0, -1).join('\r\n')}\r\n`;
    const text = `${complete}${rows.at(-1)?.replace('anna@', 'anna上@')}`;
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const utf16be = Buffer.from(utf16le.subarray(2)).swap16();
    const dir = join(work, 'utf16-being-written');
    await mkdir(dir);
    await writeFile(join(dir, 'detail-le.csv'), utf16le);
    await writeFile(join(dir, 'detail-be.csv'), Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be]));
    // Act
    const le = await snapshotFile(join(dir, 'detail-le.csv'));
    const be = await snapshotFile(join(dir, 'detail-be.csv'));
    const { status, out } = await upload(join(dir, 'detail-le.csv'));
    // Assess: up to the CRLF of the last complete row, in whole code units.
    const completeBytes = 2 + Buffer.byteLength(complete, 'utf16le');
    expect(le.length).toBe(completeBytes);
    expect(be.length).toBe(completeBytes);
    expect(status, out.stderr).toBe(0);
    expect(await recordOf(join(dir, 'detail-le.csv'))).toMatchObject({
      status: 'done',
      rowsRead: rows.length - 2,
      rowsSkipped: 0,
    });
  }, 60_000);
});

describe('relay-audit upload: object keys', () => {
  it('gives each local file its own key: the same folder and file name of two servers, Unicode names', async () => {
    // Prepare: the MessageTracking folders of two servers copied side by side, same file names,
    // different logs; and two exports whose names differ only in letters that are not ASCII.
    const ex01 = join(work, 'keys', 'EX01', 'MessageTracking', 'MSGTRK2026112800-1.LOG');
    const ex02 = join(work, 'keys', 'EX02', 'MessageTracking', 'MSGTRK2026112800-1.LOG');
    await mkdir(join(work, 'keys', 'EX01', 'MessageTracking'), { recursive: true });
    await mkdir(join(work, 'keys', 'EX02', 'MessageTracking'), { recursive: true });
    await copyFile(join(SAMPLE_LOGS, 'MSGTRK2026112800-1.LOG'), ex01);
    await copyFile(join(SAMPLE_LOGS, 'MSGTRK2026112800-2.LOG'), ex02);
    const exports = join(work, 'keys', 'exports');
    await mkdir(exports);
    const detail = await readFile(join(SAMPLE_LOGS, 'message-trace-detail.csv'));
    await writeFile(join(exports, '日志.csv'), detail);
    await writeFile(join(exports, '記録.csv'), detail);
    const paths = [ex01, ex02, join(exports, '日志.csv'), join(exports, '記録.csv')];
    // Act
    const first = await upload(join(work, 'keys'));
    const again = await upload(join(work, 'keys'));
    // Assess: four keys, the names kept; each file analysed as itself; a second run sends nothing.
    const keys = paths.map((path) => uploadKey(path, { compressed: false }));
    expect(new Set(keys).size).toBe(4);
    expect(keys[0]).toMatch(/\/MessageTracking\/[0-9a-f]{12}\/MSGTRK2026112800-1\.LOG\.gz$/);
    expect(keys[2]).toMatch(/\/exports\/[0-9a-f]{12}\/日志\.csv\.gz$/);
    expect(keys[3]).toMatch(/\/exports\/[0-9a-f]{12}\/記録\.csv\.gz$/);
    expect(first.status, first.out.stderr).toBe(0);
    for (const path of paths) {
      expect(await recordOf(path), path).toMatchObject({
        status: 'done',
        rowsRead: (await reference(path)).rowsRead,
      });
    }
    expect(again.status, again.out.stderr).toBe(0);
    expect(again.out.stderr).toContain('4 files unchanged');
  }, 60_000);
});

describe('relay-audit upload: the report', () => {
  it('counts a finding once when two uploads hold it (a log and its copy), and names the null sender <>', async () => {
    // Prepare: a tracking log and the "- Copy" Explorer makes of it.
    const dir = join(work, 'copies', 'MessageTracking');
    await mkdir(dir, { recursive: true });
    await copyFile(join(SAMPLE_LOGS, 'MSGTRK2026112800-2.LOG'), join(dir, 'MSGTRK2026112800-2.LOG'));
    await copyFile(join(SAMPLE_LOGS, 'MSGTRK2026112800-2.LOG'), join(dir, 'MSGTRK2026112800-2 - Copy.LOG'));
    // Act
    const { status, out } = await upload(dir);
    // Assess: as many findings as the log holds, not twice as many (one of them an earlier test's
    // upload of the same log holds: the store keeps it under that upload).
    const alone = await reference(join(dir, 'MSGTRK2026112800-2.LOG'));
    const findings = Object.values(alone.findingsByScenario).reduce((sum, count) => sum + count, 0);
    expect(status, out.stderr).toBe(0);
    expect(findings).toBeGreaterThan(0);
    expect(out.stdout).toContain(`${2 * alone.rejections} relay refusals → ${findings} findings (`);
    const stored = await findingsOf([
      join(dir, 'MSGTRK2026112800-2.LOG'),
      join(dir, 'MSGTRK2026112800-2 - Copy.LOG'),
    ]);
    const ndr = stored.filter((finding) => finding.returnPath === '').length;
    expect(ndr).toBeGreaterThan(0);
    expect(out.stdout).toMatch(new RegExp(`^ +${ndr}  <> +ndr ${ndr}$`, 'm'));
    expect(out.stdout).not.toContain('unknown sender');
  }, 60_000);

  it('lists a file that may hold refusals and was not sent, as analyze does: no all-clear', async () => {
    // Prepare: a log without refusals, and `Get-MessageTrackingLog | fl > fails.txt` beside it.
    const dir = join(work, 'format-list');
    await mkdir(dir);
    const log = (await readFile(join(SAMPLE_LOGS, 'MSGTRK2026112800-1.LOG'), 'utf8')).split('\n');
    await writeFile(join(dir, 'MSGTRK2026120100-1.LOG'), `${log.slice(0, 12).join('\n')}\n`);
    await writeFile(
      join(dir, 'fails.txt'),
      '\r\n\r\nEventId          : FAIL\r\nRecipientStatus  : {550 5.7.64 TenantAttribution; Relay Access Denied ATTR36}\r\n\r\n',
    );
    // Act
    const { status, out } = await upload(dir);
    // Assess
    expect(status, out.stderr).toBe(1);
    expect(out.stdout).toContain('1 file that may hold refusals not read');
    expect(out.stdout).toMatch(/Files not read that may hold relay refusals\n {2}✗ .*fails\.txt — /);
    expect(out.stdout).not.toContain('nothing to fix');
    expect(out.stdout).not.toMatch(/^No relay refusals .* were found\.$/m);
  }, 60_000);

  it('says files were analysed one by one when a file needs another (a protocol log rolled over mid-session)', async () => {
    // Prepare: the two files of one send protocol log, rolled over between MAIL FROM and its answer.
    const dir = join(work, 'rolled-over');
    await cp(join(ROOT, 'test/fixtures/real-world/smtp-transactions/rolled-over/at-mail-from'), dir, {
      recursive: true,
    });
    const alone = join(work, 'alone');
    await mkdir(alone);
    await cp(join(SAMPLE_LOGS, 'MSGTRK2013-EX2013.LOG'), join(alone, 'MSGTRK2026120200-1.LOG'));
    // Act
    const rolled = await upload(dir);
    const single = await upload(alone);
    // Assess: the stack's per-file reading is named, with what to do; a file read whole has no such line.
    expect(rolled.out.stdout).toContain('SESSIONS_JOINED_LATE');
    expect(rolled.out.stdout).toMatch(/Each uploaded file was analysed on its own\./);
    expect(rolled.out.stdout).toContain('relay-audit analyze <files>');
    expect(single.status, single.out.stderr).toBe(0);
    expect(single.out.stdout).not.toContain('analysed on its own');
  }, 60_000);

  it('refuses a folder with no log or export in it, as analyze does: never "unchanged since its last upload"', async () => {
    // Prepare: certificate files and notes only, never uploaded.
    const dir = join(work, 'no-logs');
    await mkdir(dir);
    await writeFile(join(dir, 'relay.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    await writeFile(join(dir, 'README.md'), '# notes\n');
    const before = s3.notifications.length;
    // Act
    const attempt = upload(dir);
    // Assess: a usage error naming what was found, and nothing sent.
    await expect(attempt).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
      message: expect.stringMatching(
        /^no logs or exports found in .*no-logs; not uploaded:\n {2}.*README\.md — /,
      ),
    });
    expect(s3.notifications.length).toBe(before);
  }, 60_000);

  it('--watch tells, once, of a file that may hold refusals found after the first round, and exits 1', async () => {
    // Prepare
    const dir = join(work, 'watched-unread');
    await mkdir(dir);
    await copyFile(join(SAMPLE_LOGS, 'message-trace-detail.csv'), join(dir, 'detail.csv'));
    const controller = new AbortController();
    const out = new CapturedOutput();
    const watching = runUpload([dir, '--stack', STACK, '--watch', '--interval', '1'], out, {
      signal: controller.signal,
      pollMs: 50,
    });
    await vi.waitFor(() => expect(out.stderr).toContain('Watching'), { timeout: 20_000 });
    // Act: a ZIP of logs lands in the folder while it is watched; three more rounds go by.
    await writeFile(join(dir, 'more-logs.zip'), Buffer.from('PK\u0003\u0004 not really a zip', 'latin1'));
    await vi.waitFor(() => expect(out.stderr).toContain('more-logs.zip'), { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    controller.abort();
    // Assess
    expect(await watching).toBe(1);
    expect(
      out.stderr.match(/✗ 1 file that may hold relay refusals not uploaded \(.*more-logs\.zip\)/g),
    ).toHaveLength(1);
  }, 60_000);
});

describe('relay-audit upload: the file modification time', () => {
  it('dates the syslog lines of a log last written last year in that year', async () => {
    // Prepare: a Postfix log (dates without a year) last written on 30 November 2025.
    const path = join(work, 'relay01', 'mail.log');
    await mkdir(join(work, 'relay01'));
    await copyFile(join(SAMPLE_LOGS, 'postfix-mail.log'), path);
    const modified = new Date('2025-11-30T12:00:00Z');
    await utimes(path, modified, modified);
    // Act
    const { status, out } = await upload(path);
    // Assess
    expect(status, out.stderr).toBe(0);
    expect((await objectMetadata(uploadKey(path, { compressed: false })))?.['file-modified']).toBe(
      modified.toISOString(),
    );
    const findings = await findingsOf([path]);
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) expect(finding.timestamp).toMatch(/^2025-11-28T/);
  }, 60_000);

  it('ingest takes the file-modified metadata when it is an ISO time, else the upload time', async () => {
    // Prepare: the same log put twice as another client would, once with a valid time, once without.
    const body = await promisify(gzip)(await readFile(join(SAMPLE_LOGS, 'postfix-mail.log')));
    const put = (key: string, metadata: Record<string, string>) =>
      s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, Metadata: metadata }));
    // Act
    await put('incoming/other/dated/mail.log.gz', { 'file-modified': '2024-12-01T08:00:00Z' });
    await put('incoming/other/undated/mail.log.gz', { 'file-modified': 'last Tuesday' });
    // Assess
    const note = async (key: string) => {
      await vi.waitFor(
        async () =>
          expect((await storedSources()).find((source) => source.file === key)?.status).toBe('done'),
        { timeout: 20_000 },
      );
      const record = (await storedSources()).find((source) => source.file === key);
      return record?.notes?.find((item) => item.code === 'SYSLOG_YEAR')?.message ?? '';
    };
    expect(await note('incoming/other/dated/mail.log.gz')).toContain('read in 2024');
    expect(await note('incoming/other/undated/mail.log.gz')).toContain(
      `read in ${new Date().getUTCFullYear()}`,
    );
  }, 60_000);
});

describe('relay-audit upload: tar archives', () => {
  it('sends each member of a tar archive as its own object, analysed as that file', async () => {
    // Prepare: `tar czf logs.tar.gz message-trace-detail.csv postfix-mail.log` in a folder of its own.
    const dir = join(work, 'archives');
    await mkdir(dir);
    const members = ['message-trace-detail.csv', 'postfix-mail.log'];
    const archive = join(dir, 'logs.tar.gz');
    execFileSync('tar', ['czf', archive, '-C', SAMPLE_LOGS, ...members]);
    // Act
    const { status, out } = await upload(dir);
    // Assess: one object per member, each analysed as the file it is; the archive's name in the key.
    expect(status, out.stderr).toBe(0);
    for (const name of members) {
      const member = join(archive, name);
      const key = uploadKey(member, { compressed: false });
      expect(key).toMatch(new RegExp(`/logs\\.tar\\.gz/[0-9a-f]{12}/${name.replace('.', '\\.')}\\.gz$`));
      expect(gunzipSync(await objectBytes(key))).toEqual(await readFile(join(SAMPLE_LOGS, name)));
      expect(await recordOf(member)).toMatchObject({
        status: 'done',
        rowsRead: (await reference(join(SAMPLE_LOGS, name))).rowsRead,
      });
    }
    expect(out.stdout).toMatch(/^relay-audit: 2 files, /);
  }, 60_000);
});
