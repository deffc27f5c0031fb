/**
 * Mounting the query API on a Node `http` server (`relay-audit serve`): the same request handler
 * as the Lambda, so the dashboard sees the same routes, parameters, errors and headers locally.
 *
 * In the cloud API Gateway answers CORS; here the listener does it, for one configured origin only
 * (a dashboard dev server on another port), never `*`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createRequestHandler } from './api.js';
import type { ApiDependencies } from './dependencies.js';
import { NotFoundError } from './errors.js';
import type { ApiRequest, ApiResponse } from './messages.js';
import { repeatedParameters } from './params.js';
import { errorResponse } from './responses.js';
import { EXPORT_HEADERS } from './route-table.js';

export interface RequestListenerOptions {
  /** Path prefix the API is mounted under, e.g. `/api` (default: the root). */
  basePath?: string;
  /** An origin (`http://localhost:5173`) allowed to call the API from a browser. */
  allowedOrigin?: string;
}

/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `pathname` relative to `basePath`, or `undefined` when it lies outside it. */
function withinBasePath(pathname: string, basePath: string): string | undefined {
  const prefix = basePath.replace(/\/+$/, '');
  if (prefix === '') return pathname;
  if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) return undefined;
  return pathname.slice(prefix.length) || '/';
}

/**
 * The API request of a Node request: query values decoded, a repeated parameter comma-joined (as
 * API Gateway does) and named in `repeatedParameters` (as the Lambda adapter names it from the raw
 * query string), the path relative to `basePath`; `undefined` when the path is outside it.
 */
export function requestFromIncoming(req: IncomingMessage, basePath = ''): ApiRequest | undefined {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = withinBasePath(url.pathname, basePath);
  if (path === undefined) return undefined;
  const query: Record<string, string> = {};
  for (const name of new Set(url.searchParams.keys())) query[name] = url.searchParams.getAll(name).join(',');
  const repeated = repeatedParameters(url.searchParams);
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = headerValue(value);
  return {
    method: req.method ?? 'GET',
    path,
    query,
    ...(repeated.length === 0 ? {} : { repeatedParameters: repeated }),
    headers,
    requestId: randomUUID(),
  };
}

/** CORS response headers for a request from `origin`, when it is the allowed one. */
function corsHeaders(origin: string | undefined, allowedOrigin: string | undefined): Record<string, string> {
  if (allowedOrigin === undefined || origin !== allowedOrigin) return {};
  return {
    'access-control-allow-origin': allowedOrigin,
    'access-control-expose-headers': EXPORT_HEADERS.join(', '),
    vary: 'origin',
  };
}

function send(res: ServerResponse, response: ApiResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(response.body));
  res.end(response.body);
}

/** A `node:http` request listener serving the query API with `deps`. */
export function createRequestListener(
  deps: ApiDependencies,
  options: RequestListenerOptions = {},
): RequestListener {
  const handle = createRequestHandler(deps);
  return (req, res) => {
    const request = requestFromIncoming(req, options.basePath);
    if (request === undefined) {
      send(
        res,
        errorResponse(new NotFoundError(`no route ${(req.url ?? '/').split('?')[0]?.slice(0, 200)}`)),
      );
      return;
    }
    const cors = corsHeaders(request.headers.origin, options.allowedOrigin);
    if (request.method === 'OPTIONS' && cors['access-control-allow-origin'] !== undefined) {
      send(res, {
        status: 204,
        headers: {
          ...cors,
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': 'authorization, content-type',
          'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
        },
        body: '',
      });
      return;
    }
    handle(request)
      .catch((error: unknown) => errorResponse(error, request.requestId))
      .then((response) => send(res, { ...response, headers: { ...response.headers, ...cors } }))
      .catch((error: unknown) => {
        // Writing failed (client gone): nothing left to tell it.
        deps.logger.warn('response not sent', { requestId: request.requestId, error });
        res.destroy();
      });
  };
}
