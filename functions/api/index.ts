/**
 * Public surface of the query API for local tools (`relay-audit serve`): the transport-neutral
 * handler, the node:http adapter and the route table. The Lambda entry is `handler.ts`.
 */
export { createRequestHandler, type RequestHandler } from './api.js';
export type { Summary } from './contract.js';
export {
  type ApiDependencies,
  type ApiStore,
  DEFAULT_EXPORT_LIMITS,
  type ExportLimits,
} from './dependencies.js';
export { ApiError, HTTP_STATUS, toApiError } from './errors.js';
export { createRequestListener, type RequestListenerOptions } from './http-adapter.js';
export type { ApiRequest, ApiResponse } from './messages.js';
export { API_ROUTES, EXPORT_HEADERS, type RouteDefinition } from './route-table.js';
