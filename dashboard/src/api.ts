/**
 * The query API client. Every failure becomes an {@link ApiFailure} with the API's stable error
 * code and message (or a clear one when the API could not be reached at all).
 */
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

/** Reads `/config.json`; without one the API is assumed at `/api` on this origin. */
export async function loadConfig(): Promise<DashboardConfig> {
  try {
    const response = await fetch('/config.json', {
      cache: 'no-store',
      headers: { accept: 'application/json' },
    });
    if (response.ok) {
      const config = (await response.json()) as Partial<DashboardConfig>;
      if (typeof config.apiBase === 'string' && config.apiBase !== '') return { apiBase: config.apiBase };
    }
  } catch {
    // Fall through to the local default.
  }
  return { apiBase: '/api' };
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

  public constructor(apiBase: string) {
    this.base = apiBase.replace(/\/+$/, '');
  }

  /** Absolute URL of `path` with `query` (also used for the CSV link). */
  public url(path: string, query?: URLSearchParams): string {
    const search = query && [...query.keys()].length > 0 ? `?${query.toString()}` : '';
    return new URL(`${this.base}${path}${search}`, window.location.href).toString();
  }

  private async get<T>(path: string, query?: URLSearchParams, signal?: AbortSignal): Promise<T> {
    const url = this.url(path, query);
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) });
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

  public source(id: string): Promise<SourceRecord> {
    return this.get(`/sources/${encodeURIComponent(id)}`);
  }

  /** The latest readiness report of the organisation's configuration (empty until one was checked). */
  public readiness(): Promise<ReadinessResponse> {
    return this.get('/readiness');
  }

  /** The CSV export of the findings filter. */
  public csvUrl(query: URLSearchParams): string {
    return this.url('/findings.csv', query);
  }
}
