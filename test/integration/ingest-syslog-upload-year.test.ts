/**
 * The year of syslog dates (Postfix `mail.log`, no year in its lines) of an object in the bucket, on
 * real local engines. Uploaded as the README's `aws s3 cp` recipe does (no `file-modified`
 * metadata), the only time known is the upload's (S3 LastModified): the record's note must say the
 * year came from the upload, not from the file, and tell how to give the file's time in the cloud
 * (`relay-audit upload`, or `aws s3 cp --metadata file-modified=…`) — never `--year`, which the
 * cloud has no way to take. Uploaded so, the dates are the CLI's. The CLI's own note is unchanged.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../functions/core/analysis/analyze.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { InferredDomains } from '../../functions/core/organisation/accepted-domains.js';
import { DomainSource } from '../../functions/ingest/domain-source.js';
import { createIngestHandler } from '../../functions/ingest/ingest.js';
import { objectOpener, openObjectFrom } from '../../functions/ingest/object-reader.js';
import { createLogger } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { lambdaContext, sourceIdOfNotification } from '../support/ingest-harness.js';
import {
  asS3WouldSend,
  type LocalS3,
  sqsEvent,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUCKET = 'relay-audit-syslog-year';
/** A Postfix mail.log of 28 November, last written the next morning (as the hunt's copy was touched). */
const MAIL_LOG = join(ROOT, 'sample-logs', 'postfix-mail.log');
const FILE_MODIFIED = '2025-11-29T06:25:00Z';

let s3: LocalS3;
let dynamo: EmbeddedServer;
let body: Buffer;

/** Puts the mail log as `aws s3 cp` does (with `--metadata` when given), delivers it, returns its record. */
async function upload(key: string, metadata?: Record<string, string>): Promise<SourceRecord> {
  await s3.client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ...(metadata === undefined ? {} : { Metadata: metadata }),
    }),
  );
  const notification = JSON.stringify(asS3WouldSend(s3.lastNotificationFor(key)));
  const handler = createIngestHandler({
    store: dynamo.store,
    openObject: objectOpener(s3.client),
    resolveDomains: () => new DomainSource({ s3: s3.client, bucket: BUCKET }).resolve(),
    logger: createLogger('test', 'silent'),
  });
  expect((await handler(sqsEvent([notification]), lambdaContext())).batchItemFailures).toEqual([]);
  const record = await dynamo.store.getSource(sourceIdOfNotification(BUCKET, notification));
  expect(record).toMatchObject({ status: 'done' });
  return record as SourceRecord;
}

function yearNote(record: SourceRecord | undefined): string {
  return record?.notes?.find((note) => note.code === 'SYSLOG_YEAR')?.message ?? '';
}

/** Finding timestamps of a source, sorted. */
async function storedTimes(sourceId: string): Promise<string[]> {
  const page = await dynamo.store.queryFindings({ sourceId, limit: 100 });
  return page.items.map((finding) => finding.timestamp).sort();
}

/** What `relay-audit analyze` gives the file last modified at `FILE_MODIFIED`: its record and times. */
async function cliRun(): Promise<{ record: SourceRecord | undefined; times: string[] }> {
  const times: string[] = [];
  const result = await analyze(
    [
      {
        name: 'mail.log.1',
        sourceId: 'cli',
        modified: new Date(FILE_MODIFIED),
        open: () => createReadStream(MAIL_LOG),
      },
    ],
    {
      domains: new InferredDomains(),
      sink: {
        putFindings: async (findings) => times.push(...findings.map((finding) => finding.timestamp)),
        putSource: async () => undefined,
      },
    },
  );
  return { record: result.sources[0], times: times.sort() };
}

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo('relay-audit-syslog-year')]);
  body = await readFile(MAIL_LOG);
}, 60_000);

afterAll(async () => {
  await Promise.all([s3?.close(), dynamo?.close()]);
});

describe('syslog dates of an upload without file-modified (aws s3 cp)', () => {
  it("names the upload's time as the year's origin and gives the cloud's remedy, not --year", async () => {
    // Act
    const key = 'incoming/EX01/mail.log.1';
    const record = await upload(key);
    // Assess
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const uploaded = head.LastModified?.toISOString().slice(0, 10);
    const note = yearNote(record);
    expect(note).toContain(
      `read in ${uploaded?.slice(0, 4)}, the year of the upload (${uploaded}: the object's LastModified, ` +
        'as the upload sent no file-modified time)',
    );
    expect(note).not.toContain('the year the file was last modified');
    expect(note).toContain('relay-audit upload <file>');
    expect(note).toContain('aws s3 cp <file> s3://<bucket>/incoming/<folder>/ --metadata file-modified=');
    expect(note).not.toContain('--year');
    const times = await storedTimes(record.id);
    expect(times.length).toBeGreaterThan(0);
    for (const time of times) expect(time.slice(0, 4)).toBe(uploaded?.slice(0, 4));
  });

  it("dates the findings as the CLI does once uploaded with the note's --metadata file-modified", async () => {
    // Act: the recipe the note gives, with the file's last write.
    const record = await upload('incoming/EX01/again/mail.log.1', { 'file-modified': FILE_MODIFIED });
    // Assess
    const cli = await cliRun();
    expect(await storedTimes(record.id)).toEqual(cli.times);
    expect(cli.times.every((time) => time.startsWith('2025-11-28'))).toBe(true);
    // The findings of the first upload (same refusals, same ids) now carry these dates too.
    const all = (await dynamo.store.queryFindings({ limit: 100 })).items;
    expect(all.map((finding) => finding.timestamp).sort()).toEqual(cli.times);
    const note = yearNote(record);
    expect(note).toContain('read in 2025, the year the file was last modified (2025-11-29)');
    expect(note).toContain('--metadata file-modified=');
    expect(note).not.toContain('--year');
  });

  it('keeps the CLI note as it was: the file time, and --year for a copied file', async () => {
    const { record } = await cliRun();
    expect(yearNote(record)).toMatch(
      /read in 2025, the year the file was last modified \(2025-11-29\), .* If the file was copied or touched since, give the year with --year\.$/,
    );
  });

  it('keeps both times apart on a resumed (ranged) read of the object', async () => {
    const key = 'incoming/EX01/mail.log.1';
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const opened = await openObjectFrom(
      s3.client,
      { bucket: BUCKET, key, eventName: 'ObjectCreated:Put', size: body.length },
      { headBytes: 0, fromByte: 100 },
    );
    opened.close();
    expect(opened.modified).toBeUndefined();
    expect(opened.uploaded?.toISOString()).toBe(head.LastModified?.toISOString());
  });
});
