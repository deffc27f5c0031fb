/** `GET /findings` (newest first, paged) and `GET /findings/{id}`. */
import { NotFoundError } from '../errors.js';
import type { ApiResponse } from '../messages.js';
import { FindingsParams, IdParams, NoParams, parseParams, parseQuery } from '../params.js';
import { jsonResponse } from '../responses.js';
import { findingsQuery, nextCursor, type RouteContext } from './route-context.js';

/** One page of findings matching the filters: `{ items, cursor? }`. */
export async function listFindings({ request, deps }: RouteContext): Promise<ApiResponse> {
  const params = parseQuery(FindingsParams, request);
  const page = await deps.store.queryFindings({
    ...findingsQuery(params),
    limit: params.limit,
    cursor: params.cursor,
  });
  return jsonResponse(200, { items: page.items, ...nextCursor(page) });
}

/** One finding with its evidence and remediation. */
export async function getFinding({ request, pathParams, deps }: RouteContext): Promise<ApiResponse> {
  parseQuery(NoParams, request);
  const { id } = parseParams(IdParams, pathParams);
  const finding = await deps.store.getFinding(id);
  if (finding === undefined) throw new NotFoundError(`no finding with id ${id}`);
  return jsonResponse(200, finding);
}
