import type { FindingsQueryOptions } from '../../store/index.js';
import type { ApiDependencies } from '../dependencies.js';
import type { ApiRequest, ApiResponse } from '../messages.js';
import type { ExportParams } from '../params.js';

export interface RouteContext {
  request: ApiRequest;
  /** Values of the route's `{name}` path segments, URL-decoded. */
  pathParams: Readonly<Record<string, string>>;
  deps: ApiDependencies;
}

/** Handles one matched route; throws `ApiError`s (or store errors) for the router to turn into responses. */
export type RouteHandler = (context: RouteContext) => Promise<ApiResponse>;

/** The store's findings query for the API's filter parameters (`from`/`to` are the store's `since`/`until`). */
export function findingsQuery(filters: ExportParams): FindingsQueryOptions {
  return {
    scenario: filters.scenario,
    senderDomain: filters.senderDomain,
    recipientDomain: filters.recipientDomain,
    since: filters.from,
    until: filters.to,
  };
}

/** `{ cursor }` when there is a next page, else nothing (absent, not `null`). */
export function nextCursor(page: { cursor?: string }): { cursor?: string } {
  return page.cursor === undefined ? {} : { cursor: page.cursor };
}
