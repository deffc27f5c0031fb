/** `GET /summary?from&to`: counts per scenario and per day, top sender domains and servers. */
import type { ApiResponse } from '../messages.js';
import { parseParams, parseQuery, SummaryParams } from '../params.js';
import { jsonResponse } from '../responses.js';
import { buildSummary } from '../summary.js';
import type { RouteContext } from './route-context.js';

/** Days in the default range (ending today, UTC). */
export const DEFAULT_SUMMARY_DAYS = 30;

function shiftDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The summary; `to` defaults to today (UTC) and `from` to 29 days before `to`. */
export async function summary({ request, deps }: RouteContext): Promise<ApiResponse> {
  const given = parseQuery(SummaryParams, request);
  const today = (deps.now?.() ?? new Date()).toISOString().slice(0, 10);
  const to = given.to ?? today;
  const from = given.from ?? shiftDays(to, -(DEFAULT_SUMMARY_DAYS - 1));
  // The defaults can make an empty range (e.g. a `from` in the future): check the resolved one too.
  parseParams(SummaryParams, { from, to });
  const result = await buildSummary(deps.store, { from, to });
  return jsonResponse(200, result);
}
