/**
 * The nightly report: the JSON document written to `reports/YYYY-MM-DD.json` (and rendered to
 * Markdown). A pure function of the stored findings and rollups — no run timestamp, no "new since
 * last run" counts — so re-running a day writes byte-identical files.
 */
import { z } from 'zod';
import { ScenarioId } from '../core/analysis/model/findings.js';

/** Bumped when a field changes meaning or disappears (adding a field does not bump it). */
export const REPORT_SCHEMA_VERSION = 1;

const Count = z.number().int().nonnegative();
const Average = z.number().nonnegative();
const ScenarioCounts = z.partialRecord(ScenarioId, Count);

export const ScenarioLine = z.object({
  scenario: ScenarioId,
  title: z.string(),
  count: Count,
  previousDay: Count,
  /** `count - previousDay`. */
  change: z.number().int(),
  /** Mean daily count over the baseline days before the report day (2 decimals). */
  baselineAverage: Average,
  spike: z.boolean(),
});
export type ScenarioLine = z.infer<typeof ScenarioLine>;

export const Spike = z.object({
  scenario: ScenarioId,
  count: Count,
  baselineAverage: Average,
  /** `count / baselineAverage` (2 decimals); `null` when the baseline is zero. */
  ratio: z.number().nullable(),
});
export type Spike = z.infer<typeof Spike>;

export const DomainLine = z.object({
  domain: z.string(),
  count: Count,
  scenarios: ScenarioCounts,
});
export type DomainLine = z.infer<typeof DomainLine>;

export const ReclassifiedLine = z.object({
  id: z.string(),
  timestamp: z.iso.datetime(),
  messageId: z.string(),
  recipient: z.string(),
  senderDomain: z.string().optional(),
});
export type ReclassifiedLine = z.infer<typeof ReclassifiedLine>;

export const DayLine = z.object({
  date: z.iso.date(),
  findings: Count,
  byScenario: z.record(ScenarioId, Count),
  /** Findings of that day reclassified to `forwarding` by the cross-upload correlation. */
  reclassified: Count,
});
export type DayLine = z.infer<typeof DayLine>;

export const NightlyReport = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  /** The UTC day reported on. */
  date: z.iso.date(),
  /** The days recomputed by this run: the report day and the look-back days before it. */
  window: z.object({ from: z.iso.date(), to: z.iso.date() }),
  thresholds: z.object({
    spikeRatio: z.number().positive(),
    spikeMinFindings: Count,
    baselineDays: z.number().int().positive(),
    firstSeenDays: z.number().int().positive(),
  }),
  totals: z.object({ findings: Count, previousDay: Count, baselineAverage: Average }),
  scenarios: z.array(ScenarioLine),
  spikes: z.array(Spike),
  /** Sender domains of the report day absent from every rollup of the first-seen window before it. */
  newSenderDomains: z.array(DomainLine),
  topSenderDomains: z.array(DomainLine),
  topServers: z.array(z.object({ server: z.string(), count: Count })),
  /** Findings of the window reclassified to `forwarding` (listed up to a cap, counted in full). */
  reclassified: z.object({ count: Count, findings: z.array(ReclassifiedLine) }),
  /** Each day of the window, oldest first (late uploads show up in the look-back days). */
  days: z.array(DayLine),
  /** What an operator should do, most important first (plain text). */
  nextSteps: z.array(z.string()),
});
export type NightlyReport = z.infer<typeof NightlyReport>;
