/**
 * The nightly re-check of the organisation's stored configuration: certificates expire (or come
 * close to it) without any upload, so every night the stored configuration is checked again at the
 * run time. Errors that the previous stored report did not have (same id and objects) are *new*:
 * they go into the alert summary. The new report is stored only after the summary went out, so a
 * failed publish leaves them new for the retry — the same rule as the day states.
 */
import { checkOrganisationConfig, newErrors } from '../core/readiness/report.js';
import type { ReadinessReport, StoredReadinessResult } from '../core/readiness/report-schema.js';
import type { BoundTableOptions, TableRef } from '../store/bound-table.js';
import { OrganisationConfigStore } from '../store/organisation-config.js';

export interface ReadinessRecheck {
  report: ReadinessReport;
  /** Error results not in the previous stored report. */
  newErrors: StoredReadinessResult[];
  /** Stores the report (false when a later upload's report is there already). */
  commit(): Promise<boolean>;
}

/** Re-checks the stored configuration at `at`; `undefined` when no configuration was ever stored. */
export async function recheckReadiness(
  table: TableRef,
  at: Date,
  options: BoundTableOptions = {},
): Promise<ReadinessRecheck | undefined> {
  const repository = new OrganisationConfigStore(table, {
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  });
  const config = await repository.getConfig();
  if (config === undefined) return undefined;
  const previous = await repository.getReadiness();
  const report = checkOrganisationConfig(config, { at, trigger: 'nightly' });
  return {
    report,
    newErrors: newErrors(previous, report),
    commit: () => repository.putReadiness(report),
  };
}
