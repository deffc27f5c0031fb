/**
 * Dashboard uploads on `relay-audit serve`: the same grant the cloud API hands out (one key under
 * `incoming/dashboard/<user>/`, a size limit), here a one-time URL of the local server that takes
 * the same form POST S3 takes, then analyses the file into the embedded store in the background —
 * so the page shows the source `processing`, then done with its findings, as it does in the cloud.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  dashboardUploadKey,
  UPLOAD_GRANT_SECONDS,
  UPLOADED_BY_FIELD,
  type UploadGrant,
  type UploadRequest,
  type UploadSigner,
} from '../../functions/api/upload-grant.js';
import { InferredDomains } from '../../functions/core/organisation/accepted-domains.js';
import type { Logger } from '../../functions/runtime/logger.js';
import type { StoreHandle } from '../../functions/store/index.js';
import { sourceId } from '../../functions/store/table-design.js';
import { analyzeIntoStore } from './store-run.js';

/** Where the local server takes upload forms: `/uploads/<one-time token>`. */
export const LOCAL_UPLOAD_PATH = '/uploads/';
/** Room for the form's other fields and boundaries around the file. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

interface Pending {
  key: string;
  maxBytes: number;
  expires: number;
}

export class LocalUploads implements UploadSigner {
  private readonly pending = new Map<string, Pending>();
  /** Analyses still running (awaited on close). */
  private readonly running = new Set<Promise<void>>();

  public constructor(
    private readonly handle: StoreHandle,
    private readonly logger: Logger,
  ) {}

  public async grant(request: UploadRequest, now: Date = new Date()): Promise<UploadGrant> {
    const key = dashboardUploadKey(request, now);
    const token = randomBytes(16).toString('hex');
    const expires = now.getTime() + UPLOAD_GRANT_SECONDS * 1000;
    this.pending.set(token, { key, maxBytes: request.size, expires });
    return {
      url: `${LOCAL_UPLOAD_PATH}${token}`,
      fields: { key, [UPLOADED_BY_FIELD]: request.caller },
      key,
      maxBytes: request.size,
      expiresAt: new Date(expires).toISOString(),
    };
  }

  /** Takes the form POST of a grant (once), answers 204 as S3 does, and analyses the file. */
  public async receive(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const grant = this.pending.get(token);
    this.pending.delete(token);
    const refuse = (status: number, message: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(`${message}\n`);
      req.resume();
    };
    if (req.method !== 'POST') return refuse(405, 'POST the upload form');
    if (grant === undefined || grant.expires < Date.now())
      return refuse(403, 'no such upload grant, or it was used or expired');
    const length = Number(req.headers['content-length']);
    if (!(length <= grant.maxBytes + FORM_OVERHEAD_BYTES))
      return refuse(400, 'the upload is larger than its grant allows');
    let form: FormData;
    try {
      form = await new Request('http://local/', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: Readable.toWeb(req) as ReadableStream<Uint8Array>,
        duplex: 'half',
      } as RequestInit).formData();
    } catch {
      return refuse(400, 'not a multipart/form-data upload');
    }
    const file = form.get('file');
    if (form.get('key') !== grant.key) return refuse(403, 'the key is not the one granted');
    if (!(file instanceof Blob) || file.size === 0) return refuse(400, 'no file in the form (field "file")');
    if (file.size > grant.maxBytes) return refuse(400, 'the file is larger than its grant allows');
    res.writeHead(204).end();
    const analysis = this.analyse(grant.key, file).finally(() => this.running.delete(analysis));
    this.running.add(analysis);
  }

  /** Waits for the analyses still running. */
  public async settle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async analyse(key: string, file: Blob): Promise<void> {
    try {
      // As `relay-audit analyze` runs it: receipts indexed, earlier uploads correlated at the end.
      await analyzeIntoStore(
        this.handle,
        [
          {
            name: key,
            sourceId: sourceId(`local-upload://${key}`),
            size: file.size,
            open: () => Readable.fromWeb(file.stream() as WebReadableStream<Uint8Array>),
          },
        ],
        // Locally no configuration is kept with the store: the accepted domains are inferred.
        { domains: new InferredDomains() },
      );
    } catch (error) {
      this.logger.error('upload not analysed', { key, error });
    }
  }
}
