/** History objects in the relay-audit bucket (see history.ts). */
import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ReportWriteError } from './errors.js';
import type { HistorySink } from './history.js';

/** S3's limit of keys per DeleteObjects call. */
const DELETE_BATCH = 1000;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export class S3HistorySink implements HistorySink {
  public constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  public async put(key: string, body: Uint8Array): Promise<void> {
    await this.attempt(`write s3://${this.bucket}/${key}`, () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/x-ndjson',
          ContentEncoding: 'gzip',
        }),
      ),
    );
  }

  public async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const response = await this.attempt(`list s3://${this.bucket}/${prefix}`, () =>
        this.s3.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        ),
      );
      for (const object of response.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      token = response.IsTruncated ? response.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys;
  }

  public async delete(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const response = await this.attempt(`delete ${batch.length} objects in s3://${this.bucket}`, () =>
        this.s3.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
      const failed = response.Errors ?? [];
      if (failed.length > 0) {
        throw new ReportWriteError(
          `cannot delete ${failed.length} history objects, e.g. ${failed[0]?.Key}: ${failed[0]?.Code}`,
          `s3://${this.bucket}/${failed[0]?.Key ?? ''}`,
        );
      }
    }
  }

  private async attempt<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new ReportWriteError(`cannot ${what}: ${describe(error)}`, `s3://${this.bucket}`, {
        cause: error,
      });
    }
  }
}
