/**
 * What the query API returns and what `/config.json` holds: the API's own declarations
 * (`functions/api/contract.ts`), so the page and the server cannot drift apart.
 */
export type {
  CheckTrigger,
  ConfigurationRoute,
  DashboardConfig,
  DaySummary,
  ErrorBody,
  Finding,
  Page,
  ReadinessInputs,
  ReadinessResponse,
  ReadinessResult,
  ReadinessSeverity,
  ScenarioCounts,
  ScenarioId,
  SkippedRow,
  SourceRecord,
  SourceSummary,
  Summary,
  UploadGrant,
} from '../../functions/api/contract.js';
