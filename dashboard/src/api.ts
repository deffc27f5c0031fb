/**
 * The query API client. Every failure becomes an {@link ApiFailure} with the API's stable error
 * code and message (or a clear one when the API could not be reached at all).
 */
import { z } from 'zod';
import { firstIssueLine } from '../../functions/core/kernel/issues.js';
import type { Filters } from './state.js';
import type {
  DashboardConfig,
  ErrorBody,
  Finding,
  Page,
  ReadinessResponse,
  SourceRecord,
  SourceSummary,
  Summary,
  UploadGrant,
} from './types.js';

export class ApiFailure extends Error {
  public constructor(
    /** HTTP status; 0 when no answer came. */
    public readonly status: number,
    /** The API's error code (`INVALID_ARGUMENT`, `NOT_FOUND`, …), `NETWORK` or `BAD_RESPONSE`. */
    public readonly code: string,
    message: string,
    public readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }

  /** Whether trying again may help (not for a bad filter or a missing item). */
  public get retryable(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

/** `/config.json`: written by `relay-audit serve` (`{ apiBase: '/api' }`) or the CDK stack. */
const ConfigSchema = z.object({
  apiBase: z.string().min(1),
  auth: z
    .object({
      issuer: z.url({ protocol: /^https?$/ }),
      clientId: z.string().min(1),
      scope: z.string().min(1).default('openid'),
    })
    .optional(),
});

/** Thrown by {@link loadConfig} for a `config.json` that is there but not valid. */
export class ConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads `/config.json`; without one (or unreachable) the API is assumed at `/api` on this origin.
 * A file that is there but malformed is an error: quietly dropping its `auth` would only end in
 * the API refusing every call.
 */
export async function loadConfig(): Promise<DashboardConfig> {
  let body: unknown;
  try {
    const response = await fetch('/config.json', {
      cache: 'no-store',
      headers: { accept: 'application/json' },
    });
    if (!response.ok) return { apiBase: '/api' };
    body = await response.json();
  } catch {
    return { apiBase: '/api' };
  }
  const parsed = ConfigSchema.safeParse(body);
  if (!parsed.success) {
    throw new ConfigError(`config.json is not valid: ${firstIssueLine(parsed.error, { whole: 'file' })}`);
  }
  const { apiBase, auth } = parsed.data;
  return auth === undefined ? { apiBase } : { apiBase, auth };
}

/** Where the client gets its bearer token (the cloud dashboard's sign-in, `auth.ts`). */
export interface TokenSource {
  /** A valid access token, or undefined when there is none (or it expired). */
  currentToken(): string | undefined;
  /** No valid token, or the API answered 401: sign in again (if allowed). */
  tokenRejected(): void;
}

/** The filters the API takes for findings (free text and sort order stay in the browser). */
export function findingsQuery(filters: Filters): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.scenario) query.set('scenario', filters.scenario);
  if (filters.senderDomain) query.set('senderDomain', filters.senderDomain);
  if (filters.recipientDomain) query.set('recipientDomain', filters.recipientDomain);
  query.set('from', filters.from);
  query.set('to', filters.to);
  return query;
}

export class ApiClient {
  private readonly base: string;

  public constructor(
    apiBase: string,
    /** Present when the dashboard signs in: every call carries `Authorization: Bearer <token>`. */
    private readonly auth?: TokenSource,
  ) {
    this.base = apiBase.replace(/\/+$/, '');
  }

  /** Whether calls need a bearer token (so plain links such as the CSV export cannot work). */
  public get signsIn(): boolean {
    return this.auth !== undefined;
  }

  /** Request headers: JSON, plus the bearer token when signing in. Throws a 401 failure without one. */
  private headers(accept: string): Record<string, string> {
    const headers: Record<string, string> = { accept };
    if (this.auth === undefined) return headers;
    const token = this.auth.currentToken();
    if (token === undefined) {
      this.auth.tokenRejected();
      throw new ApiFailure(401, 'SIGN_IN_REQUIRED', 'The sign-in has expired; signing in again.');
    }
    headers.authorization = `Bearer ${token}`;
    return headers;
  }

  /** Fetches a non-JSON download (the CSV export) with the bearer token. */
  public async download(url: string): Promise<Blob> {
    const response = await fetch(url, { headers: this.headers('text/csv') });
    if (response.status === 401) this.auth?.tokenRejected();
    if (!response.ok) throw new ApiFailure(response.status, `HTTP_${response.status}`, 'the export failed');
    return response.blob();
  }

  /** Absolute URL of `path` with `query` (also used for the CSV link). */
  public url(path: string, query?: URLSearchParams): string {
    const search = query && [...query.keys()].length > 0 ? `?${query.toString()}` : '';
    return new URL(`${this.base}${path}${search}`, window.location.href).toString();
  }

  private async get<T>(
    path: string,
    query?: URLSearchParams,
    signal?: AbortSignal,
    method: 'GET' | 'POST' = 'GET',
  ): Promise<T> {
    const url = this.url(path, query);
    const headers = this.headers('application/json');
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiFailure(
        0,
        'NETWORK',
        `The API at ${this.base} did not answer. Is "relay-audit serve" still running? Check the connection and try again.`,
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (response.status === 401) this.auth?.tokenRejected();
    if (!response.ok) {
      const error = (body as Partial<ErrorBody> | undefined)?.error;
      throw new ApiFailure(
        response.status,
        typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`,
        typeof error?.message === 'string'
          ? error.message
          : `the API answered ${response.status} ${response.statusText}`,
        error?.requestId,
      );
    }
    if (body === undefined)
      throw new ApiFailure(
        response.status,
        'BAD_RESPONSE',
        'the API answered with something that is not JSON',
      );
    return body as T;
  }

  public summary(from: string, to: string, signal?: AbortSignal): Promise<Summary> {
    return this.get('/summary', new URLSearchParams({ from, to }), signal);
  }

  public findings(
    query: URLSearchParams,
    limit: number,
    cursor?: string,
    signal?: AbortSignal,
  ): Promise<Page<Finding>> {
    const params = new URLSearchParams(query);
    params.set('limit', String(limit));
    if (cursor) params.set('cursor', cursor);
    return this.get('/findings', params, signal);
  }

  public finding(id: string): Promise<Finding> {
    return this.get(`/findings/${encodeURIComponent(id)}`);
  }

  public sources(limit: number, cursor?: string): Promise<Page<SourceSummary>> {
    const params = new URLSearchParams({ limit: String(limit) });
    if (cursor) params.set('cursor', cursor);
    return this.get('/sources', params);
  }

  /** The records of one dashboard upload, by the key its grant named; none until its analysis starts. */
  public uploadSources(key: string): Promise<Page<SourceSummary>> {
    return this.get('/sources', new URLSearchParams({ file: key }));
  }

  public source(id: string): Promise<SourceRecord> {
    return this.get(`/sources/${encodeURIComponent(id)}`);
  }

  /** The latest readiness report of the organisation's configuration (empty until one was checked). */
  public readiness(): Promise<ReadinessResponse> {
    return this.get('/readiness');
  }

  /** A grant to upload one file (`POST /uploads`): where to send the form, for which key. */
  public createUpload(file: { name: string; size: number }): Promise<UploadGrant> {
    const query = new URLSearchParams({ name: file.name, size: String(file.size) });
    return this.get('/uploads', query, undefined, 'POST');
  }

  /** The CSV export of the findings filter. */
  public csvUrl(query: URLSearchParams): string {
    return this.url('/findings.csv', query);
  }
}
