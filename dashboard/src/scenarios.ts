/**
 * Scenario names and colours. Titles and summaries come from the remediation pack, so the
 * dashboard, the CLI report and the README describe each scenario in the same words.
 */
import { SCENARIO_DESCRIPTIONS } from '../../functions/core/analysis/remediation/pack.js';
import type { ScenarioId } from './types.js';

export { SCENARIO_DESCRIPTIONS };

/** Scenario ids in the pack's order. */
export const SCENARIOS = Object.keys(SCENARIO_DESCRIPTIONS) as ScenarioId[];

/** Short names for chips, legends and narrow columns (from the pack, like the titles). */
export const SHORT_NAMES = Object.fromEntries(
  SCENARIOS.map((scenario) => [scenario, SCENARIO_DESCRIPTIONS[scenario].short]),
) as Readonly<Record<ScenarioId, string>>;

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
export const SCENARIO_COLOURS: Readonly<Record<ScenarioId, string>> = {
  ndr: '#E69F00',
  forwarding: '#56B4E9',
  'foreign-sender-domain': '#009E73',
  'connector-mismatch': '#CC79A7',
  'wrong-region': '#0072B2',
};

export function isScenario(value: string | null | undefined): value is ScenarioId {
  return value !== null && value !== undefined && (SCENARIOS as string[]).includes(value);
}
