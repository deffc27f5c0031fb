/**
 * Opening an uploaded object as a byte stream for `analyze()`. The response body is handed over
 * as it arrives — never buffered — so an object of any size is analysed in constant memory.
 */
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { StaleObjectError } from './errors.js';
import type { S3ObjectRef } from './s3-event.js';

/** An open object: its bytes, size, and a way to release the connection if not read to the end. */
export interface OpenObject {
  body: AsyncIterable<Uint8Array>;
  size?: number;
  /** When the object was uploaded: the year of syslog dates that have none (Postfix, sendmail). */
  modified?: Date;
  /** Releases the HTTP connection (needed when analysis stops before the end of the body). */
  close(): void;
}

interface DestroyableBody extends AsyncIterable<Uint8Array> {
  destroy?: () => void;
}

function isAsyncIterable(value: unknown): value is DestroyableBody {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/**
 * GETs exactly the upload the notification announced: by version id in a versioned bucket, else
 * guarded by `If-Match: <eTag>`. A deleted or replaced object throws {@link StaleObjectError};
 * any other error (throttling, network, permissions) is thrown as the SDK raised it, to be retried.
 */
export async function openObject(s3: S3Client, ref: S3ObjectRef, signal?: AbortSignal): Promise<OpenObject> {
  const versioned = ref.versionId !== undefined && ref.versionId !== 'null';
  let response: GetObjectCommandOutput;
  try {
    response = await s3.send(
      new GetObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        ...(versioned ? { VersionId: ref.versionId } : {}),
        ...(!versioned && ref.eTag !== undefined ? { IfMatch: `"${ref.eTag.replace(/"/g, '')}"` } : {}),
      }),
      signal === undefined ? undefined : { abortSignal: signal },
    );
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'NoSuchKey' || name === 'NoSuchVersion' || statusOf(error) === 404) {
      throw new StaleObjectError(`s3://${ref.bucket}/${ref.key} no longer exists`, 'deleted', {
        cause: error,
      });
    }
    if (name === 'PreconditionFailed' || statusOf(error) === 412) {
      throw new StaleObjectError(
        `s3://${ref.bucket}/${ref.key} was replaced after the notification (eTag ${ref.eTag ?? '?'})`,
        'replaced',
        { cause: error },
      );
    }
    throw error;
  }
  const body = response.Body;
  if (!isAsyncIterable(body)) {
    throw new TypeError(`GetObject s3://${ref.bucket}/${ref.key} returned no readable body`);
  }
  const size = response.ContentLength ?? ref.size;
  return {
    body,
    ...(size === undefined ? {} : { size }),
    ...(response.LastModified === undefined ? {} : { modified: response.LastModified }),
    close: () => body.destroy?.(),
  };
}
