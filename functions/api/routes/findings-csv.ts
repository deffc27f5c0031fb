/** `GET /findings.csv`: the findings of the current filter as a spreadsheet-safe CSV download. */
import { exportFindingsCsv } from '../csv-export.js';
import { DEFAULT_EXPORT_LIMITS } from '../dependencies.js';
import type { ApiResponse } from '../messages.js';
import { ExportParams, parseQuery } from '../params.js';
import { csvResponse } from '../responses.js';
import { findingsQuery, type RouteContext } from './route-context.js';

/**
 * The export, with `x-row-count`, and `x-truncated: true` plus `x-truncated-reason`
 * (`row-limit` | `size-limit`) when a cap stopped it; `x-truncated: false` otherwise.
 */
export async function exportFindings({ request, deps }: RouteContext): Promise<ApiResponse> {
  const params = parseQuery(ExportParams, request);
  const limits = { ...DEFAULT_EXPORT_LIMITS, ...deps.exportLimits };
  const result = await exportFindingsCsv(deps.store, findingsQuery(params), limits);
  const name = `relay-audit-findings${params.scenario === undefined ? '' : `-${params.scenario}`}.csv`;
  return csvResponse(result.body, name, {
    'x-row-count': String(result.rows),
    'x-truncated': result.truncated === undefined ? 'false' : 'true',
    ...(result.truncated === undefined ? {} : { 'x-truncated-reason': result.truncated }),
  });
}
