/**
 * Dashboard uploads on `relay-audit serve`: the same grant the cloud API hands out (one key under
 * `incoming/dashboard/<user>/`, a size limit), here a one-time URL of the local server that takes
 * the same form POST S3 takes, then analyses the file into the embedded store in the background —
 * so the page shows the source `processing`, then done with its findings, as it does in the cloud.
 *
 * The form is read as a stream (`@fastify/busboy`): its fields first (S3's forms put the key before
 * the file, and ignore what follows the file), then the file, written to a temporary file as it
 * arrives — never held in memory — and cut off at the grant's size. The analysis reads that file
 * as `analyze` reads a local one, and removes it when it is over, whatever its outcome. The files
 * wait in one directory of their own ({@link uploadsTempDir}), each in a directory named by the
 * process that took it: a server killed mid-analysis leaves its file behind, which the next server
 * to start removes ({@link removeAbandonedUploads}) — and nothing else.
 *
 * Uploads of the same file name (by the same user) are versions of one file, as a local path's
 * are: the one that completes supersedes the records the others left failed or interrupted.
 *
 * A grant is used by the upload it accepts, not by a refused request (a GET, a body that is not a
 * form, the wrong key, a file too large): as an S3 presigned POST, it can be tried again until it
 * expires. Of two uploads on one grant at once only the first to be accepted takes it.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { BusboyFileStream, BusboyHeaders, BusboyInstance } from '@fastify/busboy';
import {
  dashboardUploadKey,
  keyPart,
  UPLOAD_GRANT_SECONDS,
  UPLOADED_BY_FIELD,
  type UploadGrant,
  type UploadRequest,
  type UploadSigner,
} from '../../functions/api/upload-grant.js';
import type { AnalyzeOptions } from '../../functions/core/analysis/analyze.js';
import { EnvironmentError } from '../../functions/core/kernel/errors.js';
import { FILE_MODIFIED_FIELD, fileModifiedOf } from '../../functions/core/kernel/file-modified.js';
import { InferredDomains } from '../../functions/core/organisation/accepted-domains.js';
import { organisationConnectors, parseConfig } from '../../functions/core/organisation/configuration.js';
import type { Logger } from '../../functions/runtime/logger.js';
import { isRunning } from '../../functions/store/engine-lock.js';
import type { StoreHandle } from '../../functions/store/index.js';
import { OrganisationConfigStore } from '../../functions/store/organisation-config.js';
import { sourceId } from '../../functions/store/table-design.js';
import { analyzeIntoStore } from './store-run.js';

// CommonJS that requires Node's built-ins, which the command's ESM bundle (bin/bundle-cli.ts) cannot
// hold ("Dynamic require of node:stream"): loaded from node_modules at run time, as dynalite is.
const { Busboy } = createRequire(import.meta.url)('@fastify/busboy') as typeof import('@fastify/busboy');

/** Where the local server takes upload forms: `/uploads/<one-time token>`. */
export const LOCAL_UPLOAD_PATH = '/uploads/';
/**
 * Prefix of the temporary directory that holds an upload until its analysis is over, in
 * {@link uploadsTempDir}: followed by the id of the process that took it, a dash and mkdtemp's six
 * characters.
 */
export const UPLOAD_TEMP_PREFIX = 'relay-audit-upload-';
/** An upload's temporary directory, as {@link UPLOAD_TEMP_PREFIX} says: the process id is group 1. */
const UPLOAD_TEMP_NAME = /^relay-audit-upload-([1-9]\d*)-[A-Za-z0-9]{6}$/;
/** Room for the form's other fields and boundaries around the file. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
/** The form field that carries the file, as in S3's POST. */
const FILE_FIELD = 'file';
/** The form's other fields: a few short ones (`key`, `x-amz-meta-uploaded-by`, S3's policy fields). */
const FORM_LIMITS = { fields: 32, fieldSize: 16 * 1024, parts: 64, files: 1 } as const;

const GRANT_GONE = 'no such upload grant, or it was used or expired';
const NOT_A_FORM = 'not a multipart/form-data upload';
const MULTIPART = /^multipart\/form-data\s*;/i;

interface Pending {
  key: string;
  /** What the uploads of this file name share (see `StoreInput.versionsName`). */
  versionsName: string;
  maxBytes: number;
  expires: number;
}

/**
 * What the form POST gave: the file (on disk, its size, and its modification time when the form
 * names a valid one, as ingest reads it from the object's metadata), or why it is refused.
 */
type Received =
  | { kind: 'file'; size: number; modified?: Date }
  | { kind: 'refused'; status: number; message: string; error?: unknown };

const refused = (status: number, message: string, error?: unknown): Received =>
  error === undefined ? { kind: 'refused', status, message } : { kind: 'refused', status, message, error };

export class LocalUploads implements UploadSigner {
  private readonly pending = new Map<string, Pending>();
  /** Uploads being received and analyses still running (awaited on close). */
  private readonly running = new Set<Promise<void>>();

  public constructor(
    private readonly handle: StoreHandle,
    private readonly logger: Logger,
  ) {}

  public async grant(request: UploadRequest, now: Date = new Date()): Promise<UploadGrant> {
    const key = dashboardUploadKey(request, now);
    const token = randomBytes(16).toString('hex');
    const expires = now.getTime() + UPLOAD_GRANT_SECONDS * 1000;
    // Grants never used are forgotten once they have expired.
    for (const [other, pending] of this.pending)
      if (pending.expires < now.getTime()) this.pending.delete(other);
    // The user and the file name, as the key writes them: the same file uploaded again is its version.
    const versionsName = `local-upload://${keyPart(request.caller)}/${keyPart(request.fileName)}`;
    this.pending.set(token, { key, versionsName, maxBytes: request.size, expires });
    return {
      url: `${LOCAL_UPLOAD_PATH}${token}`,
      fields: { key, [UPLOADED_BY_FIELD]: request.caller },
      key,
      maxBytes: request.size,
      expiresAt: new Date(expires).toISOString(),
    };
  }

  /**
   * Takes the form POST of a grant, answers 204 as S3 does, and analyses the file in the
   * background; or refuses it (4xx) and leaves the grant for another try.
   */
  public receive(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    return this.track(this.take(req, res, token));
  }

  /** Waits for the uploads being received and the analyses still running. */
  public async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
    return tracked;
  }

  private async take(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const refuse = (status: number, message: string) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
        res.end(`${message}\n`);
      }
      req.resume();
    };
    if (req.method !== 'POST') return refuse(405, 'POST the upload form');
    const grant = this.pending.get(token);
    if (grant === undefined || grant.expires < Date.now()) return refuse(403, GRANT_GONE);
    // As S3: the length is told first, so a body too large is refused before it is read.
    if (req.headers['content-length'] === undefined)
      return refuse(411, 'the upload form needs a Content-Length');
    if (!(Number(req.headers['content-length']) <= grant.maxBytes + FORM_OVERHEAD_BYTES))
      return refuse(400, 'the upload is larger than its grant allows');
    if (!MULTIPART.test(req.headers['content-type'] ?? '')) return refuse(400, NOT_A_FORM);
    let form: BusboyInstance;
    try {
      form = Busboy({
        headers: req.headers as BusboyHeaders,
        limits: { ...FORM_LIMITS, fileSize: grant.maxBytes },
        // The part named `file` is the file, with or without a file name; the others are fields.
        isPartAFile: (name) => name === FILE_FIELD,
      });
    } catch {
      return refuse(400, NOT_A_FORM);
    }
    const dir = await mkdtemp(join(await uploadsTempRoot(), `${UPLOAD_TEMP_PREFIX}${process.pid}-`));
    const path = join(dir, 'upload');
    let analysing = false;
    try {
      const received = await readForm(req, form, grant, path);
      if (received.kind === 'refused') {
        if (received.status >= 500)
          this.logger.error('upload not taken', { key: grant.key, error: received.error });
        return refuse(received.status, received.message);
      }
      // Taken by the first upload accepted: another on the same grant that ended first took it.
      if (this.pending.get(token) !== grant) return refuse(403, GRANT_GONE);
      this.pending.delete(token);
      res.writeHead(204).end();
      analysing = true;
      this.track(this.analyse(grant, path, received).finally(() => this.removeDir(dir)));
    } finally {
      if (!analysing) await this.removeDir(dir);
    }
  }

  /** Removes an upload's temporary directory (a failure is logged: it may be removed by hand). */
  private async removeDir(dir: string): Promise<void> {
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (error) {
      this.logger.warn('temporary upload file not removed', { dir, error });
    }
  }

  /**
   * The accepted domains and OnPremises connectors an upload is analysed with: those `relay-audit
   * check --store` kept with the store (as the cloud's uploads take the bucket's config/), read anew
   * for each upload so a check run meanwhile counts; without them, the domains are inferred.
   */
  private async organisation(): Promise<Pick<AnalyzeOptions, 'domains' | 'inboundConnectors'>> {
    const config = await new OrganisationConfigStore(this.handle).getConfig();
    if (config === undefined) return { domains: new InferredDomains() };
    const domains = parseConfig(config).acceptedDomains?.list ?? new InferredDomains();
    const connectors = organisationConnectors(config)?.connectors;
    return connectors === undefined ? { domains } : { domains, inboundConnectors: connectors };
  }

  private async analyse(
    { key, versionsName }: Pending,
    path: string,
    file: { size: number; modified?: Date },
  ): Promise<void> {
    try {
      // As `relay-audit analyze` runs it: receipts indexed, earlier uploads correlated at the end.
      await analyzeIntoStore(
        this.handle,
        [
          {
            name: key,
            sourceId: sourceId(`local-upload://${key}`),
            versionsName,
            // Refused, it is the uploader's copy to unpack (the key names no file they have).
            origin: 'upload',
            size: file.size,
            // The uploaded file's time, not the temporary copy's: the year of syslog dates.
            ...(file.modified === undefined ? {} : { modified: file.modified }),
            open: () => createReadStream(path),
          },
        ],
        await this.organisation(),
      );
    } catch (error) {
      this.logger.error('upload not analysed', { key, error });
    }
  }
}

/**
 * Where uploads wait for their analysis: one directory of the temporary directory, this user's
 * (the name says whose: another user's cannot be written, nor should it be read).
 */
export function uploadsTempDir(): string {
  const uid = process.getuid?.();
  return join(tmpdir(), uid === undefined ? 'relay-audit-uploads' : `relay-audit-uploads-${uid}`);
}

/**
 * {@link uploadsTempDir}, made if it is not there: refused unless it is a directory (not a link) of
 * this user that no one else may enter, since uploaded logs wait there (a shared temporary
 * directory lets anyone make it first).
 */
async function uploadsTempRoot(): Promise<string> {
  const root = uploadsTempDir();
  await mkdir(root, { recursive: true, mode: 0o700 });
  const info = await lstat(root);
  const uid = process.getuid?.();
  const mine = uid === undefined || (info.uid === uid && (info.mode & 0o077) === 0);
  if (!info.isDirectory() || !mine)
    throw new EnvironmentError(
      `${root} is not a directory of this user only (mode 700): uploads are not kept there; remove it and upload again`,
    );
  return root;
}

/**
 * Removes the temporary files that servers killed mid-analysis left in {@link uploadsTempDir}: the
 * directories named by a process that no longer runs (those of a running one, another server or
 * this process, are in use). Nothing not named as an upload's is touched. Returns how many were
 * removed; a failure is logged, never thrown (the server starts all the same).
 */
export async function removeAbandonedUploads(logger: Logger): Promise<number> {
  const root = uploadsTempDir();
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      logger.warn('temporary upload files not looked for', { dir: root, error });
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const pid = Number(UPLOAD_TEMP_NAME.exec(name)?.[1]);
    if (Number.isNaN(pid) || pid === process.pid || isRunning(pid)) continue;
    try {
      await rm(join(root, name), { recursive: true, force: true });
      removed += 1;
    } catch (error) {
      logger.warn('temporary upload file not removed', { dir: join(root, name), error });
    }
  }
  return removed;
}

/**
 * Reads the whole form: its fields up to the file, whose key must be the one granted before a byte
 * of the file is kept; then the file, streamed to `path` (the request waits while the disk does).
 * What follows the file is read and ignored. Resolves once the request is read to its end, so the
 * answer reaches a client that is still sending.
 */
async function readForm(
  req: IncomingMessage,
  form: BusboyInstance,
  grant: Pending,
  path: string,
): Promise<Received> {
  const fields = new Map<string, string>();
  let refusal: Received | undefined;
  let file: { stream: BusboyFileStream; sink: WriteStream; written: Promise<void> } | undefined;
  form.on('field', (name, value) => {
    if (file === undefined && !fields.has(name)) fields.set(name, value);
  });
  form.on('file', (_name, stream) => {
    // A form cut short errs on its file too; the request's error below says so.
    stream.on('error', ignore);
    if (fields.get('key') !== grant.key) {
      refusal = refused(403, 'the key is not the one granted (the form field "key", before the file)');
      stream.resume();
      return;
    }
    const sink = createWriteStream(path, { flags: 'wx' });
    stream.on('limit', () => {
      refusal ??= refused(400, 'the file is larger than its grant allows');
    });
    // Not pipeline(): when the disk fails, the rest of the file must still be read (and dropped).
    sink.on('error', () => {
      stream.unpipe(sink);
      stream.resume();
    });
    stream.pipe(sink);
    file = { stream, sink, written: finished(sink) };
  });
  const parsed = new Promise<void>((resolve, reject) => {
    form.once('finish', resolve);
    form.on('error', reject);
  });
  const read = finished(req);
  req.pipe(form);
  try {
    await Promise.all([parsed, read]);
  } catch {
    req.unpipe(form);
    file?.stream.unpipe(file.sink);
    file?.sink.destroy();
    await file?.written.catch(ignore);
    // A form that is not well-formed is read to its end, so its answer is heard; a client that
    // went away (or the server closing) ends the request at once.
    req.resume();
    await read.catch(ignore);
    return refused(400, 'the upload is cut short or not a well-formed multipart/form-data form');
  }
  if (file !== undefined) {
    try {
      await file.written;
    } catch (error) {
      return refused(500, 'the upload could not be written to a temporary file', error);
    }
  }
  if (refusal !== undefined) return refusal;
  if (file === undefined || file.sink.bytesWritten === 0)
    return refused(400, `no file in the form (field "${FILE_FIELD}")`);
  const modified = fileModifiedOf(fields.get(FILE_MODIFIED_FIELD));
  return { kind: 'file', size: file.sink.bytesWritten, ...(modified === undefined ? {} : { modified }) };
}

function ignore(): undefined {
  return undefined;
}
