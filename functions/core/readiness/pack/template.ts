/** The shape of one check's text in the pack: details and inputs in, message and remediation out. */
import type { CheckId, ReadinessRemediation } from '../result.js';
import type { CheckDetails } from '../rules/index.js';
import type { RuleInput } from '../rules/rule.js';

export interface ReadinessText {
  message: string;
  remediation: ReadinessRemediation;
}

export type ReadinessTemplate<K extends CheckId> = (
  details: CheckDetails[K],
  input: RuleInput,
) => ReadinessText;

/** Every check's template, keyed by id (a missing template is a compile error). */
export type TextPack = { readonly [K in CheckId]: ReadinessTemplate<K> };
