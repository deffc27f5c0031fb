/**
 * Building responses: JSON with the API's standard headers, error bodies with stable codes and no
 * internals (no stack traces, no SDK messages), and CSV downloads.
 */
import type { ErrorBody } from './contract.js';
import { MethodNotAllowedError, toApiError } from './errors.js';
import type { ApiResponse } from './messages.js';

/** Headers on every response: findings are operational data, never cached by browsers or proxies. */
const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** A JSON response. */
export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): ApiResponse {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...COMMON_HEADERS, ...headers },
    body: JSON.stringify(value),
  };
}

/** Error response for `error` (see `toApiError`: an unknown error becomes a bare 500). */
export function errorResponse(error: unknown, requestId?: string): ApiResponse {
  const apiError = toApiError(error);
  const body: ErrorBody = {
    error: {
      code: apiError.code,
      message: apiError.message,
      ...(requestId === undefined ? {} : { requestId }),
    },
  };
  const headers: Record<string, string> = {};
  if (apiError instanceof MethodNotAllowedError) headers.allow = apiError.allow.join(', ');
  return jsonResponse(apiError.status, body, headers);
}

/** A CSV download with a file name and any extra headers (e.g. the truncation flags). */
export function csvResponse(
  body: string,
  fileName: string,
  headers: Record<string, string> = {},
): ApiResponse {
  return {
    status: 200,
    headers: {
      'content-type': CSV_CONTENT_TYPE,
      'content-disposition': `attachment; filename="${fileName}"`,
      ...COMMON_HEADERS,
      ...headers,
    },
    body,
  };
}
