/**
 * Matching a request path against the route table. Pure: no store, no I/O, so the routing rules
 * (trailing slashes, path parameters, 404 versus 405) are easy to see and to test.
 */
import { API_ROUTES, type RouteDefinition } from './route-table.js';

/** The outcome of matching a method and path. */
export type RouteMatch =
  | { kind: 'matched'; route: RouteDefinition; pathParams: Record<string, string> }
  /** The path exists, but not for this method. */
  | { kind: 'wrong-method'; allow: string[] }
  | { kind: 'not-found' };

function segmentsOf(path: string): string[] {
  // `/findings/` is `/findings`; empty segments (`//`) never match a route.
  return path.replace(/\/+$/, '').split('/').slice(1);
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Matches `path` against one route's pattern; the `{name}` segments' values on success. */
function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const expected = segmentsOf(pattern);
  const actual = segmentsOf(path);
  if (expected.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of expected.entries()) {
    const segment = actual[i] ?? '';
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name === undefined) {
      if (segment !== part) return undefined;
      continue;
    }
    const value = decodeSegment(segment);
    if (value === undefined || value === '') return undefined;
    params[name] = value;
  }
  return params;
}

/** Finds the route for `method` and `path` in `routes` (default: the API's route table). */
export function matchRoute(
  method: string,
  path: string,
  routes: readonly RouteDefinition[] = API_ROUTES,
): RouteMatch {
  const allow: string[] = [];
  for (const route of routes) {
    const pathParams = matchPath(route.path, path);
    if (pathParams === undefined) continue;
    if (route.method === method.toUpperCase()) return { kind: 'matched', route, pathParams };
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: 'wrong-method', allow } : { kind: 'not-found' };
}
