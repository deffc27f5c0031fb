/**
 * Advice of the query API that depends on where it runs. The same handler serves the stack
 * (Lambda: logs and configuration come in through the bucket) and `relay-audit serve` (they come in
 * through relay-audit commands on the store it shows), and a step that works in one cannot be
 * followed in the other: each text takes the {@link ApiHost}, so there is one copy of it.
 */
import {
  BUCKET_ROUTE,
  type ConfigurationRoute,
  checkCommandRoute,
  commandOnServedStore,
} from '../core/readiness/response.js';

/** Where the API runs. */
export type ApiHost =
  | { kind: 'cloud' }
  /**
   * `storeOptions`: the served store's options as typed on a command line (` --db /path`);
   * `holdsStore`: serve holds it while it runs (the embedded store), so no other command opens it.
   */
  | { kind: 'serve'; storeOptions: string; holdsStore: boolean };

/** The default: the stack's API. */
export const CLOUD_HOST: ApiHost = { kind: 'cloud' };

/** A file larger than dashboard uploads may be (`POST /uploads`, 413): what to do with it instead. */
export function tooLargeMessage(host: ApiHost, maxBytes: number): string {
  const instead =
    host.kind === 'cloud'
      ? 'upload it with relay-audit upload'
      : `${commandOnServedStore(`relay-audit analyze <file>${host.storeOptions}`, host.holdsStore)} (the dashboard then shows it)`;
  return `size: the file is larger than ${maxBytes / 1024 / 1024} MiB; compress it (gzip) or ${instead}`;
}

/** How the organisation's configuration is given where the API runs (`GET /readiness`). */
export function configurationRoute(host: ApiHost): ConfigurationRoute {
  return host.kind === 'cloud' ? BUCKET_ROUTE : checkCommandRoute(host.storeOptions, host.holdsStore);
}
