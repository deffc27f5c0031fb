/**
 * The query API's routes as plain data, shared by the request router (functions/api) and the CDK
 * construct that creates the same routes on API Gateway (lib/constructs/query-api.ts), so the two
 * cannot drift. No imports: the CDK app loads this without pulling in handler code.
 */

/** The name of each route, used in logs and to find its handler. */
export type RouteName =
  | 'listFindings'
  | 'exportFindings'
  | 'getFinding'
  | 'summary'
  | 'listSources'
  | 'getSource'
  | 'readiness'
  | 'createUpload';

/** One route: a method and an API Gateway style path (`{name}` is one path segment). */
export interface RouteDefinition {
  readonly name: RouteName;
  readonly method: 'GET' | 'POST';
  readonly path: string;
}

/** Every route of the query API: reads, and `POST /uploads`, which hands out an upload grant (it writes nothing). */
export const API_ROUTES: readonly RouteDefinition[] = [
  { name: 'listFindings', method: 'GET', path: '/findings' },
  { name: 'exportFindings', method: 'GET', path: '/findings.csv' },
  { name: 'getFinding', method: 'GET', path: '/findings/{id}' },
  { name: 'summary', method: 'GET', path: '/summary' },
  { name: 'listSources', method: 'GET', path: '/sources' },
  { name: 'getSource', method: 'GET', path: '/sources/{id}' },
  { name: 'readiness', method: 'GET', path: '/readiness' },
  { name: 'createUpload', method: 'POST', path: '/uploads' },
];

/** Response headers the dashboard reads on a CSV export (exposed through CORS). */
export const EXPORT_HEADERS = [
  'x-truncated',
  'x-truncated-reason',
  'x-row-count',
  'content-disposition',
] as const;
