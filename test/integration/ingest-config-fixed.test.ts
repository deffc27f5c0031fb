/**
 * Uploads an invalid `config/accepted-domains.csv` stopped (failed, INVALID_CONFIG: see
 * ingest-invalid-accepted-domains.test.ts) are analysed once the file is replaced by one that reads,
 * without the admin starting a re-analysis: the configuration's notification announces them again on
 * the ingest queue (functions/ingest/stopped-uploads.ts). On real local engines (s3rver, dynalite);
 * the queue is the list the handler sends to, drained into the same handler as SQS would.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
import { DomainSource } from '../../functions/ingest/domain-source.js';
import { createIngestHandler } from '../../functions/ingest/ingest.js';
import { objectOpener } from '../../functions/ingest/object-reader.js';
import { createConfigurationUpdater } from '../../functions/ingest/organisation-config.js';
import { REANNOUNCED_EVENT } from '../../functions/ingest/stopped-uploads.js';
import { headObjectWith } from '../../functions/runtime/head-object.js';
import { createLogger } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { OrganisationConfigStore } from '../../functions/store/organisation-config.js';
import { directFindings, EXPORT_CSV, TABLE_OUTPUT } from '../support/accepted-domains-files.js';
import {
  type IngestLambda,
  lambdaContext,
  sourceIdOfNotification,
  uploadObject,
} from '../support/ingest-harness.js';
import { type LocalS3, sqsEvent, startLocalDynamo, startLocalS3 } from '../support/local-engines.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUCKET = 'relay-audit-config-fixed';
const TABLE = 'relay-audit-config-fixed';
const LOGS = ['MSGTRK2026112800-1.LOG', 'MSGTRK2026112800-2.LOG'].map((name) =>
  join(ROOT, 'sample-logs', name),
);

let s3: LocalS3;
let dynamo: EmbeddedServer;
let ingest: IngestLambda;
const queue: string[] = [];

async function deliver(body: string): Promise<number> {
  return (await ingest(sqsEvent([body]), lambdaContext())).batchItemFailures.length;
}

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  const domains = new DomainSource({ s3: s3.client, bucket: BUCKET });
  ingest = createIngestHandler({
    store: dynamo.store,
    openObject: objectOpener(s3.client),
    headObject: headObjectWith(s3.client),
    sendToQueue: async (body) => {
      queue.push(body);
    },
    resolveDomains: () => domains.resolve(),
    configuration: createConfigurationUpdater({
      s3: s3.client,
      bucket: BUCKET,
      repository: new OrganisationConfigStore({ client: dynamo.client, tableName: TABLE }),
    }),
    invalidateConfiguration: () => domains.invalidate(),
    logger: createLogger('test', 'silent'),
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([s3?.close(), dynamo?.close()]);
});

describe('config/accepted-domains.csv fixed after it stopped uploads', () => {
  const uploads: { key: string; id: string; notification: string; path: string }[] = [];

  it('stops each upload while the file is invalid, and announces none', async () => {
    // Prepare
    expect(
      await deliver(
        await uploadObject(s3, BUCKET, 'config/accepted-domains.csv', await readFile(TABLE_OUTPUT)),
      ),
    ).toBe(0);
    // Act
    for (const [index, path] of LOGS.entries()) {
      const key = `incoming/EX0${index + 1}/${path.split('/').at(-1)}`;
      const notification = await uploadObject(s3, BUCKET, key, await readFile(path));
      uploads.push({ key, id: sourceIdOfNotification(BUCKET, notification), notification, path });
      expect(await deliver(notification)).toBe(0);
    }
    // Another invalid file changes nothing.
    expect(
      await deliver(
        await uploadObject(s3, BUCKET, 'config/accepted-domains.csv', 'DomainName\r\n----------\r\n'),
      ),
    ).toBe(0);
    // Assess
    for (const { id } of uploads) {
      expect(await dynamo.store.getSource(id)).toMatchObject({
        status: 'failed',
        errorCode: ErrorCode.InvalidConfig,
      });
    }
    expect(queue).toEqual([]);
  });

  it('announces them again once the file reads, and each is analysed as a direct analysis is', async () => {
    // Act: the export the failure asked for, and its notification.
    expect(
      await deliver(
        await uploadObject(s3, BUCKET, 'config/accepted-domains.csv', await readFile(EXPORT_CSV)),
      ),
    ).toBe(0);
    // Assess: one announcement per stopped upload, marked, naming its current object.
    expect(queue).toHaveLength(uploads.length);
    const announced = queue.map(
      (body) => JSON.parse(body) as { Records: { eventName: string; s3: { object: { key: string } } }[] },
    );
    expect(announced.map((body) => body.Records[0]?.eventName)).toEqual(uploads.map(() => REANNOUNCED_EVENT));
    expect(announced.map((body) => decodeURIComponent(body.Records[0]?.s3.object.key ?? '')).sort()).toEqual(
      uploads.map((upload) => upload.key).sort(),
    );
    // As SQS delivers them: each is the same upload (same source id), analysed now.
    for (const body of queue.splice(0)) expect(await deliver(body)).toBe(0);
    const stored = (await dynamo.store.queryFindings({ limit: 1000 })).items;
    for (const { id, path } of uploads) {
      expect(await dynamo.store.getSource(id)).toMatchObject({ status: 'done' });
      const expected = await directFindings(path);
      expect(expected.length).toBeGreaterThan(0);
      const own = stored
        .filter((finding) => finding.source.sourceId === id)
        .map((f) => `${f.id} ${f.scenario}`);
      for (const finding of own) expect(expected).toContain(finding);
    }
  });

  it('analyses nothing twice: an announcement delivered again, or the original notification, finds the record', async () => {
    const before = await Promise.all(uploads.map(({ id }) => dynamo.store.getSource(id)));
    // A second notification of the configuration (the same bytes) announces nothing now.
    expect(
      await deliver(
        await uploadObject(s3, BUCKET, 'config/accepted-domains.csv', await readFile(EXPORT_CSV)),
      ),
    ).toBe(0);
    expect(queue).toEqual([]);
    for (const { notification } of uploads) expect(await deliver(notification)).toBe(0);
    expect(await Promise.all(uploads.map(({ id }) => dynamo.store.getSource(id)))).toEqual(before);
  });
});
