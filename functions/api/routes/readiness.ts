/**
 * `GET /readiness`: the latest readiness report of the organisation's configuration —
 * `{ configured, message, checkedAt, inputs, summary, passed, results, configure }`. Never a 404:
 * before any configuration was checked it answers `configured: false` with no results and a message
 * saying what to give. `configure` is how configuration is given where the API runs: under
 * `config/` in the bucket, or with `relay-audit check --store` into the store `serve` shows.
 */
import { readinessResponse } from '../../core/readiness/response.js';
import { CLOUD_HOST, configurationRoute } from '../host-advice.js';
import type { ApiResponse } from '../messages.js';
import { NoParams, parseQuery } from '../params.js';
import { jsonResponse } from '../responses.js';
import type { RouteContext } from './route-context.js';

export async function readiness({ request, deps }: RouteContext): Promise<ApiResponse> {
  parseQuery(NoParams, request);
  const report = await deps.readiness?.getReadiness();
  return jsonResponse(200, readinessResponse(report, configurationRoute(deps.host ?? CLOUD_HOST)));
}
