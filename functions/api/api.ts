import type { ApiDependencies } from './dependencies.js';
import { ApiError, MethodNotAllowedError, NotFoundError, toApiError } from './errors.js';
import type { ApiRequest, ApiResponse } from './messages.js';
import { errorResponse } from './responses.js';
import type { RouteName } from './route-table.js';
import { matchRoute } from './router.js';
import { getFinding, listFindings } from './routes/findings.js';
import { exportFindings } from './routes/findings-csv.js';
import { readiness } from './routes/readiness.js';
import type { RouteHandler } from './routes/route-context.js';
import { getSource, listSources } from './routes/sources.js';
import { summary } from './routes/summary.js';
import { createUpload } from './routes/uploads.js';

/** The handler of each route in the route table. */
const HANDLERS: Record<RouteName, RouteHandler> = {
  listFindings,
  exportFindings,
  getFinding,
  summary,
  listSources,
  getSource,
  readiness,
  createUpload,
};

export type RequestHandler = (request: ApiRequest) => Promise<ApiResponse>;

/** Builds the request handler around its dependencies. */
export function createRequestHandler(deps: ApiDependencies): RequestHandler {
  return async (request) => {
    const started = performance.now();
    const match = matchRoute(request.method, request.path);
    const route = match.kind === 'matched' ? match.route.path : undefined;
    let response: ApiResponse;
    let failure: unknown;
    try {
      if (match.kind === 'not-found') throw new NotFoundError(`no route ${request.path.slice(0, 200)}`);
      if (match.kind === 'wrong-method')
        throw new MethodNotAllowedError(request.method, request.path, match.allow);
      response = await HANDLERS[match.route.name]({ request, pathParams: match.pathParams, deps });
    } catch (error) {
      failure = toApiError(error);
      response = errorResponse(failure, request.requestId);
    }
    const fields = {
      method: request.method,
      route: route ?? null,
      path: route === undefined ? request.path.slice(0, 200) : undefined,
      status: response.status,
      ms: Math.round(performance.now() - started),
      ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
    };
    if (response.status >= 500) {
      // The cause chain goes to the log (not the response): that is where an operator looks.
      const cause = failure instanceof ApiError ? (failure.cause ?? failure) : failure;
      deps.logger.error('request failed', { ...fields, error: cause });
    } else if (failure instanceof ApiError) {
      deps.logger.info('request', { ...fields, code: failure.code });
    } else {
      deps.logger.info('request', fields);
    }
    return response;
  };
}
