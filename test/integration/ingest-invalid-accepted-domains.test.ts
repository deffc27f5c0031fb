/**
 * An invalid `config/accepted-domains.csv` in the bucket (`Get-AcceptedDomain > accepted-domains.csv`:
 * PowerShell's table, not CSV) on real local engines: an upload is not retried into the dead-letter
 * queue with no record, nor analysed with other domains; it gets a failed source record (code
 * INVALID_CONFIG, not retried) that names the file, says what is wrong and what to do, and the
 * dashboard's upload row shows it. Once the file is replaced, the re-analysis it points to gives
 * the findings a direct analysis with the organisation's domains gives. A config file S3 cannot
 * serve (unreachable) is still retried, with nothing recorded.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dashboardUploadKey } from '../../functions/api/upload-grant.js';
import { sourcesOfUpload } from '../../functions/api/upload-sources.js';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
import { DomainSource } from '../../functions/ingest/domain-source.js';
import { createIngestHandler, type IngestDependencies } from '../../functions/ingest/ingest.js';
import { openObject } from '../../functions/ingest/object-reader.js';
import type { ReanalysisHandler } from '../../functions/reanalyze/reanalyse.js';
import { createLogger } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { directFindings, EXPORT_CSV, TABLE_OUTPUT } from '../support/accepted-domains-files.js';
import {
  type IngestLambda,
  lambdaContext,
  sourceIdOfNotification,
  uploadObject,
} from '../support/ingest-harness.js';
import {
  LOCAL_REGION,
  type LocalS3,
  localFunctionEnvironment,
  S3RVER_CREDENTIALS,
  sqsEvent,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUCKET = 'relay-audit-bad-domains';
const TABLE = 'relay-audit-bad-domains';
const TRACKING_LOG = join(ROOT, 'sample-logs', 'MSGTRK2026112800-1.LOG');

let s3: LocalS3;
let dynamo: EmbeddedServer;
let ingest: IngestLambda;
let reanalyse: ReanalysisHandler;

async function deliver(notification: string): Promise<number> {
  return (await ingest(sqsEvent([notification]), lambdaContext())).batchItemFailures.length;
}

/** A loopback port nothing listens on (tcpmux, never served): the config GET is refused, as with S3 down. */
const UNREACHABLE = 'http://127.0.0.1:1';

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  const environment = localFunctionEnvironment(
    { table: TABLE, bucket: BUCKET, s3, dynamo },
    { ACCEPTED_DOMAINS: '', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
  );
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  // Both functions as the stack wires them from their environment.
  ingest = (await import('../../functions/ingest/handler.js')).createHandlerFromEnvironment(environment);
  reanalyse = (await import('../../functions/reanalyze/handler.js')).createHandlerFromEnvironment(
    environment,
  );
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([s3?.close(), dynamo?.close()]);
});

describe('an invalid config/accepted-domains.csv', () => {
  let key: string;
  let notification: string;
  let id: string;

  it('fails each upload with a record that says what is wrong and what to do, not retried', async () => {
    // Prepare: the table output where the export belongs; its own notification is a readiness error.
    const config = await uploadObject(
      s3,
      BUCKET,
      'config/accepted-domains.csv',
      await readFile(TABLE_OUTPUT),
    );
    expect(await deliver(config)).toBe(0);
    key = dashboardUploadKey({ fileName: 'MSGTRK2026112800-1.LOG', size: 1, caller: 'admin@contoso.com' });
    notification = await uploadObject(s3, BUCKET, key, await readFile(TRACKING_LOG));
    id = sourceIdOfNotification(BUCKET, notification);
    // Act
    const retried = await deliver(notification);
    // Assess: no batch item failure (it would end in the dead-letter queue), a failed record.
    expect(retried).toBe(0);
    const record = await dynamo.store.getSource(id);
    expect(record).toMatchObject({ status: 'failed', errorCode: ErrorCode.InvalidConfig, file: key });
    const message = record?.errorMessage ?? '';
    expect(message).toContain('config/accepted-domains.csv');
    expect(message).toContain('"DomainName" is not a domain name');
    expect(message).toContain('Get-AcceptedDomain | Export-Csv -NoTypeInformation accepted-domains.csv');
    expect(message).toContain(`aws s3 cp accepted-domains.csv s3://${BUCKET}/config/accepted-domains.csv`);
    expect(message).toContain(`npx relay-audit reanalyze --prefix '${key.slice('incoming/'.length)}'`);
    expect(message).not.toContain('s3://relay-audit-bad-domains/config/accepted-domains.csv: ');
    expect(await dynamo.store.queryFindings({ limit: 10 })).toMatchObject({ items: [] });
    // What the dashboard's upload row polls: the failure and its reason.
    expect(await sourcesOfUpload(dynamo.store, key, 5)).toEqual([
      expect.objectContaining({
        status: 'failed',
        errorCode: ErrorCode.InvalidConfig,
        errorMessage: message,
      }),
    ]);
  });

  it('is not analysed again by a redelivery of the same message', async () => {
    const before = await dynamo.store.getSource(id);
    expect(await deliver(notification)).toBe(0);
    expect(await dynamo.store.getSource(id)).toEqual(before);
  });

  it('is analysed by the re-analysis the message names once the file is replaced', async () => {
    // Prepare: the export the message asks for, and its notification.
    const config = await uploadObject(s3, BUCKET, 'config/accepted-domains.csv', await readFile(EXPORT_CSV));
    expect(await deliver(config)).toBe(0);
    // Act: the state machine's item for the key (`reanalyze --prefix` lists just that object).
    const result = await reanalyse({ bucket: BUCKET, key, from: null, to: null }, lambdaContext());
    // Assess
    expect(result).toMatchObject({ outcome: 'analysed', key, sourceId: id });
    const record = await dynamo.store.getSource(id);
    expect(record).toMatchObject({ status: 'done' });
    expect(record?.errorCode).toBeUndefined();
    expect(record?.errorMessage).toBeUndefined();
    const stored = (await dynamo.store.queryFindings({ limit: 1000 })).items;
    const expected = await directFindings(TRACKING_LOG);
    expect(expected.length).toBeGreaterThan(0);
    expect(stored.map((f) => `${f.id} ${f.scenario}`).sort()).toEqual(expected);
    for (const finding of stored) expect(finding.source.sourceId).toBe(id);
  });

  it('still retries an upload when the config file cannot be read (S3 unreachable), recording nothing', async () => {
    // Prepare: the config GET goes to an endpoint that refuses connections; the upload is readable.
    const unreachable = new S3Client({
      region: LOCAL_REGION,
      endpoint: UNREACHABLE,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      maxAttempts: 1,
    });
    const reachable = s3.client;
    const deps: IngestDependencies = {
      store: dynamo.store,
      openObject: (ref) => openObject(reachable, ref),
      resolveDomains: () => new DomainSource({ s3: unreachable, bucket: BUCKET }).resolve(),
      logger: createLogger('test', 'silent'),
    };
    const other = await uploadObject(s3, BUCKET, 'incoming/EX01/MSGTRK2026112800-1.LOG', '#Software: x\n');
    // Act
    const response = await createIngestHandler(deps)(sqsEvent([other]), lambdaContext());
    // Assess
    expect(response.batchItemFailures).toHaveLength(1);
    expect(await dynamo.store.getSource(sourceIdOfNotification(BUCKET, other))).toBeUndefined();
  });
});
