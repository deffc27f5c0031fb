/**
 * Opening an uploaded object as a byte stream for `analyze()`. The response body is handed over
 * as it arrives — never buffered — so an object of any size is analysed in constant memory.
 */
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { FILE_MODIFIED_METADATA, fileModifiedOf } from '../core/kernel/file-modified.js';
import { StaleObjectError } from './errors.js';
import type { S3ObjectRef } from './s3-event.js';

/** An open object: its bytes, size, and a way to release the connection if not read to the end. */
export interface OpenObject {
  body: AsyncIterable<Uint8Array>;
  size?: number;
  /**
   * When the file was last modified, as its upload says ({@link FILE_MODIFIED_METADATA}): the year
   * of syslog dates that have none (Postfix, sendmail). Absent when the upload named none.
   */
  modified?: Date;
  /**
   * When the object was uploaded (S3 `LastModified`): the year of those dates only when the file's
   * own time is not known, and read as the upload's time, not the file's (see `AnalysisInput`).
   */
  uploaded?: Date;
  /** Releases the HTTP connection (needed when analysis stops before the end of the body). */
  close(): void;
  /** True when the body is the head and the bytes from a resume point on (see {@link openObjectFrom}). */
  sliced?: boolean;
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
export async function openObject(
  s3: S3Client,
  ref: S3ObjectRef,
  options: { signal?: AbortSignal; range?: string } = {},
): Promise<OpenObject> {
  const { signal, range } = options;
  const versioned = ref.versionId !== undefined && ref.versionId !== 'null';
  let response: GetObjectCommandOutput;
  try {
    response = await s3.send(
      new GetObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        ...(versioned ? { VersionId: ref.versionId } : {}),
        ...(!versioned && ref.eTag !== undefined ? { IfMatch: `"${ref.eTag.replace(/"/g, '')}"` } : {}),
        ...(range === undefined ? {} : { Range: range }),
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
  const size = range === undefined ? (response.ContentLength ?? ref.size) : ref.size;
  // Two times, kept apart: `aws s3 cp` sends no file-modified, and its upload's time is not the file's.
  const modified = fileModifiedOf(response.Metadata?.[FILE_MODIFIED_METADATA]);
  const uploaded = response.LastModified;
  return {
    body,
    ...(size === undefined ? {} : { size }),
    ...(modified === undefined ? {} : { modified }),
    ...(uploaded === undefined ? {} : { uploaded }),
    close: () => body.destroy?.(),
  };
}

/**
 * Opens a plain object where a resumed read goes on: its first `headBytes` bytes (the header, so
 * the format is detected again), then the bytes from `fromByte` to the end — two ranged GETs, so
 * what was analysed before is neither downloaded nor paid for again.
 */
export async function openObjectFrom(
  s3: S3Client,
  ref: S3ObjectRef,
  from: { headBytes: number; fromByte: number },
): Promise<OpenObject> {
  const head =
    from.headBytes > 0 ? await openObject(s3, ref, { range: `bytes=0-${from.headBytes - 1}` }) : undefined;
  // A resume point at the very end (the stop came after the last line) has nothing left to range over.
  const atEnd = ref.size !== undefined && from.fromByte >= ref.size;
  const rest = atEnd
    ? undefined
    : await openObject(s3, ref, { range: `bytes=${from.fromByte}-` }).catch((error: unknown) => {
        head?.close();
        throw error;
      });
  const body = (async function* (): AsyncGenerator<Uint8Array> {
    if (head !== undefined) yield* head.body;
    if (rest !== undefined) yield* rest.body;
  })();
  const opened = rest ?? head;
  return {
    body,
    sliced: true,
    ...(ref.size === undefined ? {} : { size: ref.size }),
    ...(opened?.modified === undefined ? {} : { modified: opened.modified }),
    ...(opened?.uploaded === undefined ? {} : { uploaded: opened.uploaded }),
    close: () => {
      head?.close();
      rest?.close();
    },
  };
}

/**
 * The ingest function's way to open an announced object with `s3`: from the start, or with `from`
 * where a resumed read goes on (`openObjectFrom`).
 */
export function objectOpener(
  s3: S3Client,
): (ref: S3ObjectRef, from?: { headBytes: number; fromByte: number }) => Promise<OpenObject> {
  return (ref, from) => (from === undefined ? openObject(s3, ref) : openObjectFrom(s3, ref, from));
}
