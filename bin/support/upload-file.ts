/**
 * One local file sent to the bucket's `incoming/`: a snapshot of what to send (up to the last
 * complete line, so a tracking log Exchange is still appending to is sent in whole lines), a
 * content hash compared with the one stored on the object (an unchanged file is not sent again; a
 * grown one is), and a multipart upload (`@aws-sdk/lib-storage`) that gzips on the way.
 *
 * Nothing is analysed until S3 has the whole object: ingest is triggered by ObjectCreated, which a
 * multipart upload raises only on completion. An upload stopped by Ctrl-C is aborted (its parts
 * deleted), so there is no object, no notification, and no source record.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { HeadObjectCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { isGzipHead } from '../../functions/core/text/decompress.js';
import { BUCKET_PREFIX } from '../../functions/runtime/bucket-layout.js';

/** Object metadata (`x-amz-meta-*`) an upload carries. */
export const UPLOAD_METADATA = {
  /** SHA-256 of the bytes of the local file that were sent (before gzip). */
  hash: 'content-sha256',
  /** How many bytes of the local file were sent (a growing log is sent again once this grows). */
  bytes: 'source-bytes',
  /** `user@host` that uploaded. */
  uploadedBy: 'uploaded-by',
} as const;

/** Parts of 8 MiB (S3's minimum is 5 MiB), four in flight. */
const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

/** What will be sent of a local file. */
export interface FileSnapshot {
  path: string;
  /** Bytes of the file sent: all of it, or up to its last line break while it is being written. */
  length: number;
  sha256: string;
  /** Already gzip (sent as it is); else gzipped on the way. */
  compressed: boolean;
}

/**
 * Reads the file once: its hash over what will be sent. A text file is cut after its last line
 * break, so a line Exchange is in the middle of writing is sent with the next upload.
 */
export async function snapshotFile(path: string): Promise<FileSnapshot> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(2, size));
    await handle.read(head, 0, head.length, 0);
    const compressed = isGzipHead(head);
    const length = compressed ? size : await lengthToLastLineBreak(handle, size);
    const hash = createHash('sha256');
    if (length > 0) {
      await pipeline(createReadStream(path, { start: 0, end: length - 1, highWaterMark: 1 << 18 }), hash);
    }
    return { path, length, sha256: hash.digest('hex'), compressed };
  } finally {
    await handle.close();
  }
}

/** The length up to and including the last `\n` (UTF-16LE: its `\n\0`); the whole size if there is none. */
async function lengthToLastLineBreak(
  handle: Awaited<ReturnType<typeof open>>,
  size: number,
): Promise<number> {
  const block = Buffer.alloc(Math.min(size, 1 << 16));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - block.length);
    const { bytesRead } = await handle.read(block, 0, end - start, start);
    const at = block.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (at >= 0) {
      const after = start + at + 1;
      // In UTF-16LE a line break is 0A 00: keep its second byte with it.
      return after < size && block[at + 1] === 0x00 && (after - 1) % 2 === 0 ? after + 1 : after;
    }
    end = start;
  }
  return size;
}

/**
 * The object key of a local file: `incoming/cli/<host>/<folder>/<file>`, with `.gz` added when
 * gzipped on the way. Stable for the same file, so a second upload finds the first one's hash.
 */
export function uploadKey(path: string, snapshot: Pick<FileSnapshot, 'compressed'>): string {
  const absolute = resolve(path);
  const safe = (part: string) => part.replace(/[^\w.@+=-]+/g, '_') || '_';
  const folder = safe(basename(dirname(absolute)));
  const name = safe(basename(absolute)) + (snapshot.compressed ? '' : '.gz');
  return `${BUCKET_PREFIX.incoming}cli/${safe(hostname())}/${folder}/${name}`;
}

/** Whether to send: `new` (no object), `unchanged` (same hash), `grew`, or `changed` (any other content). */
export type SendDecision = 'new' | 'unchanged' | 'grew' | 'changed';

/** Compares the snapshot with the object's stored metadata. */
export async function decideSend(
  s3: S3Client,
  bucket: string,
  key: string,
  snapshot: FileSnapshot,
): Promise<SendDecision> {
  let metadata: Record<string, string>;
  try {
    metadata = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata ?? {};
  } catch (error) {
    if (error instanceof NotFound || (error as { name?: unknown }).name === 'NotFound') return 'new';
    throw error;
  }
  if (metadata[UPLOAD_METADATA.hash] === snapshot.sha256) return 'unchanged';
  const sent = Number(metadata[UPLOAD_METADATA.bytes]);
  return Number.isFinite(sent) && snapshot.length > sent ? 'grew' : 'changed';
}

/** What S3 answered for a completed upload: what identifies it to ingest. */
export interface SentObject {
  key: string;
  eTag?: string;
  versionId?: string;
}

export interface SendOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  snapshot: FileSnapshot;
  /** Aborts the upload: the multipart upload is aborted and no object is created. */
  signal?: AbortSignal;
  /** Bytes of the local file read and handed to the upload so far. */
  onProgress?: (sent: number) => void;
  /** Part size in bytes (tests use S3's minimum). */
  partSize?: number;
}

/** Streams the snapshot's bytes to `key` (gzipped when they are not already), with the hash in metadata. */
export async function sendFile(options: SendOptions): Promise<SentObject> {
  const { snapshot } = options;
  const read = createReadStream(snapshot.path, {
    start: 0,
    end: Math.max(0, snapshot.length - 1),
    highWaterMark: 1 << 18,
  });
  // Progress counts the local file's bytes: the size after gzip is not known until the end.
  let readSoFar = 0;
  const counted = read.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        readSoFar += chunk.length;
        options.onProgress?.(readSoFar);
        callback(null, chunk);
      },
    }),
  );
  const body = snapshot.compressed ? counted : counted.pipe(createGzip());
  // `pipe` does not pass errors on: a read error must fail the upload, not end the body early.
  read.on('error', (error) => body.destroy(error));
  const upload = new Upload({
    client: options.s3,
    queueSize: PARTS_IN_FLIGHT,
    partSize: options.partSize ?? PART_SIZE,
    leavePartsOnError: false,
    params: {
      Bucket: options.bucket,
      Key: options.key,
      Body: body,
      ContentType: 'application/octet-stream',
      Metadata: {
        [UPLOAD_METADATA.hash]: snapshot.sha256,
        [UPLOAD_METADATA.bytes]: String(snapshot.length),
        [UPLOAD_METADATA.uploadedBy]: uploader(),
      },
    },
  });
  upload.on('httpUploadProgress', (progress) => options.onProgress?.(progress.loaded ?? 0));
  const stop = () => void upload.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    if (options.signal?.aborted) await upload.abort();
    const result = await upload.done();
    return {
      key: options.key,
      ...(result.ETag === undefined ? {} : { eTag: result.ETag }),
      ...(result.VersionId === undefined ? {} : { versionId: result.VersionId }),
    };
  } finally {
    options.signal?.removeEventListener('abort', stop);
    body.destroy();
  }
}

function uploader(): string {
  const user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  return `${user}@${hostname()}`.replace(/[^\x20-\x7e]/g, '?');
}
