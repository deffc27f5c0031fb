/**
 * Calling the query API in tests: through the transport-neutral handler, or as API Gateway would
 * invoke the Lambda (payload format 2.0 events), plus a strict RFC 4180 CSV reader for exports.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RequestHandler } from '../../functions/api/api.js';
import type { ApiResponse } from '../../functions/api/messages.js';

export type Query = Record<string, string>;

/** A response with its body parsed when it is JSON. */
export interface ParsedResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: T;
}

function parse<T>(response: {
  status: number;
  headers: Record<string, string>;
  body: string;
}): ParsedResponse<T> {
  const isJson = (response.headers['content-type'] ?? '').startsWith('application/json');
  return { ...response, json: (isJson ? JSON.parse(response.body) : undefined) as T };
}

/** Calls `handler` with a GET (or `method`) of `path` and `query`. */
export async function call<T = unknown>(
  handler: RequestHandler,
  path: string,
  query: Query = {},
  method = 'GET',
): Promise<ParsedResponse<T>> {
  const response: ApiResponse = await handler({ method, path, query, headers: {}, requestId: 'test' });
  return parse<T>(response);
}

/**
 * The event API Gateway (HTTP API, `$default` stage) sends for `method path?query`. A query given
 * as `URLSearchParams` may repeat a name: the event carries it as API Gateway does, every
 * occurrence in `rawQueryString` and the values joined with commas in `queryStringParameters`.
 */
export function httpApiEvent(
  path: string,
  query: Query | URLSearchParams = {},
  method = 'GET',
): APIGatewayProxyEventV2 {
  const search = new URLSearchParams(query);
  const rawQueryString = search.toString();
  const joined: Query = {};
  for (const [name, value] of search) {
    joined[name] = Object.hasOwn(joined, name) ? `${joined[name]},${value}` : value;
  }
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString,
    headers: { accept: 'application/json', host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
    ...(rawQueryString === '' ? {} : { queryStringParameters: joined }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.10', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
}

/** What the Lambda returns, as far as tests read it. */
export interface LambdaResult {
  statusCode?: number | undefined;
  headers?: Record<string, string | number | boolean> | undefined;
  body?: string | undefined;
}

/** Parses a Lambda result like a `call` response. */
export function parseLambdaResult<T = unknown>(result: LambdaResult): ParsedResponse<T> {
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
  return parse<T>({ status: result.statusCode ?? 0, headers, body: result.body ?? '' });
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF), without a leading byte order mark. */
export function parseCsv(text: string): string[][] {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (quoted) {
      if (char === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && input[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += char;
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

/** CSV rows as objects keyed by the header row. */
export function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  return rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ''])));
}
