/**
 * Scenario ids (docs/domain.md §1). Stable strings that dashboards rely on: never rename one. Data
 * only, so the CLI's help can list them without loading zod.
 */
export const SCENARIO_ID_LIST = [
  'ndr',
  'forwarding',
  'foreign-sender-domain',
  'connector-mismatch',
  'wrong-region',
] as const;
