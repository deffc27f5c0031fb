/**
 * An upload the cloud cannot read (xz, bzip2, a tar archive) is refused for good, and its source
 * record says what to do. The uploader has no file at the S3 key and cannot analyse anything
 * themselves: the advice is to unpack their own copy, named by its name, on their computer, and
 * upload what that gives. The handler runs on the local engines (s3rver, dynalite); the files are
 * real rotations of a Postfix log (test/fixtures/real-world/packed-mail-logs).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../functions/core/kernel/errors.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { createIngestHandler, type IngestHandler } from '../../functions/ingest/ingest.js';
import { objectOpener } from '../../functions/ingest/object-reader.js';
import { createLogger, levelFromEnv } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { lambdaContext, sourceIdOfNotification, uploadObject } from '../support/ingest-harness.js';
import { type LocalS3, sqsEvent, startLocalDynamo, startLocalS3 } from '../support/local-engines.js';

const PACKED = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'packed-mail-logs');
const BUCKET = 'relay-audit-packed-bucket';
const READS = 'relay-audit reads text files and gzip-compressed ones.';

let s3: LocalS3;
let dynamo: EmbeddedServer;
let handler: IngestHandler;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo('relay-audit-packed-test')]);
  handler = createIngestHandler({
    store: dynamo.store,
    openObject: objectOpener(s3.client),
    resolveDomains: async () => ({ oracle: parseAcceptedDomains('contoso.com', 'test'), origin: 'test' }),
    logger: createLogger('test', levelFromEnv({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' })),
  });
}, 60_000);
afterAll(async () => {
  await Promise.all([s3?.close(), dynamo?.close()]);
});

describe('an upload packed in a form the cloud does not read', () => {
  it.each([
    [
      'mail.log.2.xz',
      'xz-compressed',
      'decompress it on your computer (xz -dk mail.log.2.xz) and upload the file that gives',
    ],
    [
      'mail.log.3.bz2',
      'bzip2-compressed',
      'decompress it on your computer (bzip2 -dk mail.log.3.bz2) and upload the file that gives',
    ],
    [
      'maillogs.tar.gz',
      'a tar archive',
      'extract it on your computer (tar xf maillogs.tar.gz) and upload the files it holds',
    ],
  ])(
    '%s: failed for good, the record saying to unpack it locally and upload the result',
    async (file, what, todo) => {
      // Prepare: under a folder, as uploads are (the key is no path on the uploader's computer).
      const key = `incoming/relay01 var-log/${file}`;
      const notification = await uploadObject(s3, BUCKET, key, await readFile(join(PACKED, file)));
      // Act
      const response = await handler(sqsEvent([notification]), lambdaContext());
      // Assess: not retried, and the advice names the file, not the key, and says to upload.
      expect(response.batchItemFailures).toEqual([]);
      const record = await dynamo.store.getSource(sourceIdOfNotification(BUCKET, notification));
      expect(record).toMatchObject({ status: 'failed', errorCode: ErrorCode.BadEncoding });
      expect(record?.errorMessage).toBe(`${key} is ${what}, not a text file: ${todo}. ${READS}`);
      expect(record?.errorMessage).not.toMatch(/analyse|incoming\/relay01 var-log\/\S+\)/);
    },
  );
});
