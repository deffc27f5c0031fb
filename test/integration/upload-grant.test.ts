/**
 * Dashboard uploads in the cloud: `POST /uploads` through the API's real request handler hands out
 * an S3 presigned POST whose signed policy names one key under incoming/dashboard/<user>/, a size
 * range and the user; the browser's form POST of it lands in the bucket (s3rver) and the real
 * ingest handler analyses it from the notification.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRequestHandler } from '../../functions/api/api.js';
import type { UploadGrant } from '../../functions/api/contract.js';
import { S3UploadSigner } from '../../functions/api/s3-upload-signer.js';
import { createHandlerFromEnvironment } from '../../functions/ingest/handler.js';
import { createLogger } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { deliverInBatches } from '../support/ingest-harness.js';
import {
  asS3WouldSend,
  type LocalS3,
  localFunctionEnvironment,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';

const ROOT = join(import.meta.dirname, '..', '..');
const LOG = join(ROOT, 'sample-logs', 'MSGTRK2026112800-1.LOG');
const POSTFIX_LOG = join(ROOT, 'sample-logs', 'postfix-mail.log');
const BUCKET = 'relay-audit-upload-grant';
const TABLE = 'relay-audit-upload-grant';
const USER = 'ops@contoso.com';

let s3: LocalS3;
let dynamo: EmbeddedServer;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([s3?.close(), dynamo?.close()]);
});

async function requestGrant(query: Record<string, string>, caller?: string) {
  const api = createRequestHandler({
    store: dynamo.store,
    uploads: new S3UploadSigner(s3.client, BUCKET),
    logger: createLogger('test', 'silent'),
  });
  return api({ method: 'POST', path: '/uploads', query, headers: {}, ...(caller ? { caller } : {}) });
}

describe('POST /uploads with S3 presigned POST', () => {
  let grant: UploadGrant;

  beforeAll(async () => {
    const size = (await readFile(LOG)).length;
    const response = await requestGrant({ name: 'MSGTRK2026112800-1.LOG', size: String(size) }, USER);
    expect(response.status, response.body).toBe(201);
    grant = JSON.parse(response.body) as UploadGrant;
  });

  it('signs a policy for one key under the user, a size range and the user in the metadata', () => {
    // Prepare
    const policy = JSON.parse(Buffer.from(grant.fields.Policy ?? '', 'base64').toString('utf8')) as {
      conditions: unknown[];
    };
    // Assess
    expect(grant.key).toMatch(
      /^incoming\/dashboard\/ops@contoso\.com\/\d{8}T\d{6}Z-[0-9a-f]{8}\/MSGTRK2026112800-1\.LOG$/,
    );
    expect(policy.conditions).toContainEqual({ key: grant.key });
    expect(policy.conditions).toContainEqual(['content-length-range', 1, grant.maxBytes]);
    expect(policy.conditions).toContainEqual(['eq', '$x-amz-meta-uploaded-by', USER]);
    expect(grant.fields['x-amz-meta-uploaded-by']).toBe(USER);
  });

  it('takes the form POST into the bucket, and ingest analyses it', async () => {
    // Prepare
    const form = new FormData();
    for (const [name, value] of Object.entries(grant.fields)) form.append(name, value);
    form.append('file', new Blob([await readFile(LOG)]), 'MSGTRK2026112800-1.LOG');
    // Act
    const posted = await fetch(grant.url, { method: 'POST', body: form });
    // The handler's clients read their endpoints from the process environment, as in Lambda.
    const env = localFunctionEnvironment({ table: TABLE, bucket: BUCKET, s3, dynamo });
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const ingest = createHandlerFromEnvironment(env);
    const notification = JSON.stringify(asS3WouldSend(s3.lastNotificationFor(grant.key)));
    const failed = await deliverInBatches(ingest, [notification]);
    // Assess
    expect(posted.status).toBeLessThan(300);
    expect(failed).toEqual([]);
    const sources = (await dynamo.store.listSources({ limit: 10 })).items;
    expect(sources.find((source) => source.file === grant.key)).toMatchObject({
      status: 'done',
      format: 'exchange-tracking-log',
    });
  });

  it('keeps a Unicode file name in the key the policy signs, and the bucket takes it', async () => {
    // Prepare: the name decomposed, as macOS gives it.
    const content = await readFile(LOG);
    const response = await requestGrant(
      { name: 'ünïcödé 日本 ✉.LOG'.normalize('NFD'), size: String(content.length) },
      USER,
    );
    const unicode = JSON.parse(response.body) as UploadGrant;
    const form = new FormData();
    for (const [name, value] of Object.entries(unicode.fields)) form.append(name, value);
    form.append('file', new Blob([content]), 'ünïcödé 日本 ✉.LOG');
    const env = localFunctionEnvironment({ table: TABLE, bucket: BUCKET, s3, dynamo });
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    // Act
    const posted = await fetch(unicode.url, { method: 'POST', body: form });
    const notification = JSON.stringify(asS3WouldSend(s3.lastNotificationFor(unicode.key)));
    const failed = await deliverInBatches(createHandlerFromEnvironment(env), [notification]);
    // Assess: the key as S3 notifies it (percent-encoded UTF-8) is read back as the same key.
    expect(unicode.key.split('/').pop()).toBe('ünïcödé_日本_.LOG');
    expect(posted.status).toBeLessThan(300);
    expect(failed).toEqual([]);
    const sources = (await dynamo.store.listSources({ limit: 10 })).items;
    expect(sources.find((source) => source.file === unicode.key)).toMatchObject({ status: 'done' });
  });

  it('lets the form carry the file modification time, which dates syslog lines without a year', async () => {
    // Prepare: a Postfix log last written on 1 December 2024, sent as the dashboard sends it.
    const content = await readFile(POSTFIX_LOG);
    const response = await requestGrant({ name: 'mail.log', size: String(content.length) }, USER);
    const dated = JSON.parse(response.body) as UploadGrant;
    const policy = JSON.parse(Buffer.from(dated.fields.Policy ?? '', 'base64').toString('utf8')) as {
      conditions: unknown[];
    };
    const form = new FormData();
    for (const [name, value] of Object.entries(dated.fields)) form.append(name, value);
    form.append('x-amz-meta-file-modified', '2024-12-01T08:00:00.000Z');
    form.append('file', new Blob([content]), 'mail.log');
    const env = localFunctionEnvironment({ table: TABLE, bucket: BUCKET, s3, dynamo });
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    // Act
    const posted = await fetch(dated.url, { method: 'POST', body: form });
    const notification = JSON.stringify(asS3WouldSend(s3.lastNotificationFor(dated.key)));
    const failed = await deliverInBatches(createHandlerFromEnvironment(env), [notification]);
    // Assess: S3 takes no form field its policy does not name; ingest reads the year from it.
    expect(policy.conditions).toContainEqual(['starts-with', '$x-amz-meta-file-modified', '']);
    expect(posted.status).toBeLessThan(300);
    expect(failed).toEqual([]);
    const record = (await dynamo.store.listSources({ limit: 10 })).items.find(
      (source) => source.file === dated.key,
    );
    expect(record?.notes?.find((note) => note.code === 'SYSLOG_YEAR')?.message).toContain('read in 2024');
  });

  it('refuses an empty file and one larger than uploads may be', async () => {
    // Act
    const empty = await requestGrant({ name: 'x.log', size: '0' }, USER);
    const huge = await requestGrant({ name: 'x.log', size: String(2 * 1024 ** 3) }, USER);
    // Assess
    expect(empty.status).toBe(400);
    expect(huge.status).toBe(413);
  });
});
