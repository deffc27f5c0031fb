/**
 * One local file sent to the bucket's `incoming/`: a snapshot of what to send, a content hash
 * compared with the one stored on the object (an unchanged file is not sent again; a grown one is),
 * and a multipart upload (`@aws-sdk/lib-storage`) that gzips on the way.
 *
 * A file still being written (modified in the last {@link WRITING_QUIET_MS}) is sent up to its last
 * line break, so the line Exchange is in the middle of writing goes with a later upload; a file no
 * longer written is sent whole, its last line too when it has no line break (an export's last row).
 * A tar archive's members are snapshot and sent one by one, each as its own object.
 *
 * Nothing is analysed until S3 has the whole object: ingest is triggered by ObjectCreated, which a
 * multipart upload raises only on completion. An upload stopped by Ctrl-C is aborted (its parts
 * deleted), so there is no object, no notification, and no source record.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { HeadObjectCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { keyPart } from '../../functions/api/upload-grant.js';
import type { AnalysisInput } from '../../functions/core/analysis/analyze.js';
import { ArgumentError } from '../../functions/core/kernel/errors.js';
import { FILE_MODIFIED_METADATA } from '../../functions/core/kernel/file-modified.js';
import { ENCODING_SNIFF_BYTES, sniffEncoding, type TextEncoding } from '../../functions/core/text/decode.js';
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
  /** The local file's modification time, ISO 8601 UTC: the year of its syslog dates (ingest reads it). */
  modified: FILE_MODIFIED_METADATA,
} as const;

/**
 * A file modified this recently may still be written: its last line, without its line break, is
 * held back. Log writers append a line in one write or a few, so a line is half written only for a
 * moment: a file that has not changed for this long is complete as it is (an export's last row
 * often has no line break).
 */
export const WRITING_QUIET_MS = 10_000;

/** Parts of 8 MiB (S3's minimum is 5 MiB), four in flight. */
const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

/** Bytes read at a time. */
const READ_BYTES = 1 << 18;

/** Hex characters of the path hash in a key: enough that two files of one host never share a key. */
const KEY_HASH_CHARS = 12;

/** What will be sent of a local file, or of a member of a local tar archive. */
export interface FileSnapshot {
  /**
   * The file's absolute path; for a tar member `<archive>/<member>`, which is no path on disk.
   * Its key is made of it.
   */
  path: string;
  /** Bytes sent: all of the file, or up to its last line break while it is being written. */
  length: number;
  /** Bytes at the end that are not sent: a last line without its line break, still being written. */
  heldBack: number;
  sha256: string;
  /** Already gzip (sent as it is); else gzipped on the way. */
  compressed: boolean;
  /** The file's modification time (a member's own), when known. */
  modified?: Date;
  /** The `length` bytes to send. */
  read(): AsyncIterable<Uint8Array>;
}

/**
 * The snapshot of an input `findLocalInputs` found with `tarMembers`: a local file, or a member of
 * a tar archive (its path `<archive>/<member>` has a file where a folder would be).
 */
export async function snapshotInput(input: AnalysisInput, now = Date.now()): Promise<FileSnapshot> {
  const path = input.path ?? resolve(input.name);
  const info = await stat(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (info === undefined) return snapshotMember(path, input);
  // A pipe (`upload <(zcat …)`) cannot be read once for the hash and again to send it.
  if (!info.isFile())
    throw new ArgumentError(`${input.name}: not a regular file: save it to a file and upload that`);
  return snapshotFile(path, now);
}

/**
 * Reads the file once: its hash over what will be sent. A text file still being written is cut
 * after its last line break (in its encoding), so a line Exchange is in the middle of writing is
 * sent with the next upload; any other file is sent whole.
 */
export async function snapshotFile(path: string, now = Date.now()): Promise<FileSnapshot> {
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    const head = Buffer.alloc(Math.min(ENCODING_SNIFF_BYTES, info.size));
    await handle.read(head, 0, head.length, 0);
    const compressed = isGzipHead(head);
    // A time in the future (a share whose server's clock is ahead) says nothing of writing now.
    const writing = !compressed && Math.abs(now - info.mtimeMs) < WRITING_QUIET_MS;
    const length = writing
      ? await lengthToLastLineBreak(handle, info.size, sniffEncoding(head).encoding)
      : info.size;
    const read = () => fileRange(path, length);
    const hash = createHash('sha256');
    await pipeline(read(), hash);
    return {
      path,
      length,
      heldBack: info.size - length,
      sha256: hash.digest('hex'),
      compressed,
      modified: info.mtime,
      read,
    };
  } finally {
    await handle.close();
  }
}

/** The first `length` bytes of the file. */
async function* fileRange(path: string, length: number): AsyncGenerator<Uint8Array> {
  if (length > 0) yield* createReadStream(path, { start: 0, end: length - 1, highWaterMark: READ_BYTES });
}

/** A tar member, read once for its hash: it is complete, so it is sent whole. */
async function snapshotMember(path: string, input: AnalysisInput): Promise<FileSnapshot> {
  const hash = createHash('sha256');
  let length = 0;
  let head = Buffer.alloc(0);
  for await (const chunk of input.open()) {
    if (head.length < 2) head = Buffer.concat([head, chunk.subarray(0, 2 - head.length)]);
    hash.update(chunk);
    length += chunk.length;
  }
  return {
    path,
    length,
    heldBack: 0,
    sha256: hash.digest('hex'),
    compressed: isGzipHead(head),
    ...(input.modified === undefined ? {} : { modified: input.modified }),
    read: () => input.open(),
  };
}

/**
 * The length up to and including the last line break, the whole size if there is none. The line
 * break is looked for in the file's encoding: in UTF-16 a `\n` code unit at an even offset, never
 * a 0x0A byte inside another character (上 is `0A 4E` in UTF-16LE).
 */
async function lengthToLastLineBreak(
  handle: FileHandle,
  size: number,
  encoding: TextEncoding,
): Promise<number> {
  const unit = encoding === 'utf-8' ? 1 : 2;
  // Blocks start at even offsets in UTF-16: a trailing odd byte (half a code unit) holds no break.
  const block = Buffer.alloc(Math.min(size, 1 << 16));
  let end = size - (size % unit);
  while (end > 0) {
    const start = Math.max(0, end - block.length);
    const { bytesRead } = await handle.read(block, 0, end - start, start);
    const at = lastLineBreak(block.subarray(0, bytesRead), encoding);
    if (at >= 0) return start + at;
    end = start;
  }
  return size;
}

/** The offset just after the last line break of `bytes` (which start at a code unit), or -1. */
function lastLineBreak(bytes: Buffer, encoding: TextEncoding): number {
  for (let at = bytes.lastIndexOf(0x0a); at >= 0; at = at > 0 ? bytes.lastIndexOf(0x0a, at - 1) : -1) {
    if (encoding === 'utf-8') return at + 1;
    // UTF-16LE `0A 00` starts at an even offset; UTF-16BE `00 0A` ends at an odd one.
    if (encoding === 'utf-16le' && at % 2 === 0 && bytes[at + 1] === 0x00) return at + 2;
    if (encoding === 'utf-16be' && at % 2 === 1 && bytes[at - 1] === 0x00) return at + 1;
  }
  return -1;
}

/**
 * The object key of a local file: `incoming/cli/<host>/<folder>/<hash>/<file>`, with `.gz` added
 * when gzipped on the way. The folder and file keep their names (letters of any script, as the
 * dashboard's keys); the hash of the file's absolute path tells apart files whose names are the
 * same there (`MessageTracking/MSGTRK….LOG` of two servers, names that differ only in what a key
 * cannot hold), which would otherwise overwrite each other. Stable for the same file, so a second
 * upload finds the first one's hash on its object.
 */
export function uploadKey(path: string, snapshot: Pick<FileSnapshot, 'compressed'>): string {
  const absolute = resolve(path);
  const where = createHash('sha256').update(absolute).digest('hex').slice(0, KEY_HASH_CHARS);
  const folder = keyPart(basename(dirname(absolute)));
  const name = keyPart(basename(absolute)) + (snapshot.compressed ? '' : '.gz');
  return `${BUCKET_PREFIX.incoming}cli/${keyPart(hostname())}/${folder}/${where}/${name}`;
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
  const read = Readable.from(snapshot.read(), { objectMode: false });
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
        ...(snapshot.modified === undefined
          ? {}
          : { [UPLOAD_METADATA.modified]: snapshot.modified.toISOString() }),
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
    // Also the source: a tar member's reader is released (its archive's pass can go on).
    read.destroy();
    body.destroy();
  }
}

function uploader(): string {
  const user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  return `${user}@${hostname()}`.replace(/[^\x20-\x7e]/g, '?');
}
