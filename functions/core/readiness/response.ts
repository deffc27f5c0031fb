/**
 * What `GET /readiness` answers: the latest report, or what to give when there is none. Where the
 * configuration is given depends on where the API runs ({@link ConfigurationRoute}): the messages
 * say the way that works there, never one for the other place.
 */
import {
  ACCEPTED_DOMAINS_FILE,
  CONFIG_PREFIX,
  CONNECTORS_FILE,
  UPLOAD_NAME,
} from '../organisation/configuration.js';
import type {
  ConfigurationRoute,
  ReadinessReport,
  ReadinessResponse,
  SeverityCounts,
} from './report-schema.js';

export type { ConfigurationRoute };

/** The cloud's way: files under `config/` in the stack's bucket. */
export const BUCKET_ROUTE: ConfigurationRoute = { via: 'bucket', prefix: CONFIG_PREFIX };

/** The certificate file the check command names (any name does; a placeholder would not paste into a shell). */
const CERTIFICATE_FILE = 'server.pem';

/**
 * `relay-audit serve`'s way: `relay-audit check` of the three files into the store it shows
 * (`storeOptions` as typed on a command line, ` --db /path`). `stopServer`: serve holds the store
 * (the embedded one) while it runs, so the command can open it only with serve stopped.
 */
export function checkCommandRoute(storeOptions: string, stopServer: boolean): ConfigurationRoute {
  return {
    via: 'command',
    command:
      `relay-audit check --accepted-domains ${ACCEPTED_DOMAINS_FILE} --connectors ${CONNECTORS_FILE} ` +
      `--certificate ${CERTIFICATE_FILE} --store${storeOptions}`,
    stopServer,
  };
}

/**
 * Running `command` on the store `relay-audit serve` shows: with the store it holds, serve is
 * stopped first and started again after (the dashboard's advice on configuration and large files).
 */
export function commandOnServedStore(command: string, stopServer: boolean): string {
  return stopServer
    ? `stop relay-audit serve (Ctrl+C: it holds the store), run ${command}, then start serve again`
    : `run ${command}`;
}

/** The PowerShell that exports each file (the empty state's message, the dashboard). */
const ACCEPTED_DOMAINS_EXPORT = 'Get-AcceptedDomain | Export-Csv -NoTypeInformation';
const CONNECTORS_EXPORT = 'Get-InboundConnector | ConvertTo-Json -Depth 5';

/** What to give when nothing was checked yet (API message, dashboard). */
export function nothingConfiguredMessage(route: ConfigurationRoute): string {
  const start = 'No organisation configuration has been checked yet.';
  if (route.via === 'bucket') {
    return (
      `${start} Upload it under ${route.prefix} in the bucket: ` +
      `${UPLOAD_NAME['accepted-domains']} (${ACCEPTED_DOMAINS_EXPORT}), ` +
      `${UPLOAD_NAME.connectors} (${CONNECTORS_EXPORT}) and the on-premises server's ` +
      `certificate with its chain as ${UPLOAD_NAME.certificate}.`
    );
  }
  return (
    `${start} Check it into this store: ${commandOnServedStore(route.command, route.stopServer)} — ` +
    `${ACCEPTED_DOMAINS_FILE} from ` +
    `${ACCEPTED_DOMAINS_EXPORT}, ${CONNECTORS_FILE} from ${CONNECTORS_EXPORT}, and the on-premises ` +
    `server's certificate with its chain as ${CERTIFICATE_FILE}.`
  );
}

/** How to check what was not (a file missing), where the API runs. */
export function missingFilesAdvice(route: ConfigurationRoute): string {
  return route.via === 'bucket'
    ? `upload the missing files under ${route.prefix} in the bucket to check the rest`
    : `to check the rest, give the check the missing files too: ${commandOnServedStore(route.command, route.stopServer)}`;
}

function summaryMessage(summary: SeverityCounts, route: ConfigurationRoute): string {
  const counts = `${summary.error} error${summary.error === 1 ? '' : 's'}, ${summary.warning} warning${summary.warning === 1 ? '' : 's'}, ${summary.info} not checked`;
  if (summary.error > 0)
    return `${counts}: Exchange Online will refuse relayed mail until the errors are fixed.`;
  if (summary.warning > 0)
    return `${counts}: no errors; the warnings make relay fragile or refuse some mail.`;
  if (summary.info > 0) return `${counts}: no problems in what was checked; ${missingFilesAdvice(route)}.`;
  return `${counts}: ready.`;
}

/** The response body for `report` (the latest stored one, or none), where configuration is given by `route`. */
export function readinessResponse(
  report: ReadinessReport | undefined,
  route: ConfigurationRoute = BUCKET_ROUTE,
): ReadinessResponse {
  if (report === undefined) {
    return {
      configured: false,
      message: nothingConfiguredMessage(route),
      checkedAt: null,
      inputs: null,
      summary: { error: 0, warning: 0, info: 0 },
      passed: [],
      results: [],
      configure: route,
    };
  }
  return { configured: true, message: summaryMessage(report.summary, route), ...report, configure: route };
}
