/** What `GET /readiness` answers: the latest report, or what to upload when there is none. */
import { CONFIG_PREFIX, UPLOAD_NAME } from '../organisation/configuration.js';
import type { ReadinessReport, ReadinessResponse, SeverityCounts } from './report-schema.js';

/** What to upload, for the empty state (API message, dashboard). */
export const NOTHING_CONFIGURED_MESSAGE =
  `No organisation configuration has been checked yet. Upload it under ${CONFIG_PREFIX} in the bucket: ` +
  `${UPLOAD_NAME['accepted-domains']} (Get-AcceptedDomain | Export-Csv -NoTypeInformation), ` +
  `${UPLOAD_NAME.connectors} (Get-InboundConnector | ConvertTo-Json -Depth 5) and the on-premises server's ` +
  `certificate with its chain as ${UPLOAD_NAME.certificate}. Locally: relay-audit check --accepted-domains … ` +
  '--connectors … --certificate … --store.';

function summaryMessage(summary: SeverityCounts): string {
  const counts = `${summary.error} error${summary.error === 1 ? '' : 's'}, ${summary.warning} warning${summary.warning === 1 ? '' : 's'}, ${summary.info} not checked`;
  if (summary.error > 0)
    return `${counts}: Exchange Online will refuse relayed mail until the errors are fixed.`;
  if (summary.warning > 0)
    return `${counts}: no errors; the warnings make relay fragile or refuse some mail.`;
  if (summary.info > 0)
    return `${counts}: no problems in what was checked; upload the missing files to check the rest.`;
  return `${counts}: ready.`;
}

/** The response body for `report` (the latest stored one, or none). */
export function readinessResponse(report: ReadinessReport | undefined): ReadinessResponse {
  if (report === undefined) {
    return {
      configured: false,
      message: NOTHING_CONFIGURED_MESSAGE,
      checkedAt: null,
      inputs: null,
      summary: { error: 0, warning: 0, info: 0 },
      passed: [],
      results: [],
    };
  }
  return { configured: true, message: summaryMessage(report.summary), ...report };
}
