/**
 * `runReadinessChecks`: every rule over the organisation's configuration, turned into results with
 * the pack's words, ordered by severity then id. A rule whose input is absent is reported as `info`
 * "not checked: …" rather than silently skipped, so a report never looks cleaner than it is.
 */
import type { AcceptedDomainList } from '../organisation/accepted-domains.js';
import type { CertificateFile } from '../organisation/certificates.js';
import type { InboundConnector } from '../organisation/connectors.js';
import {
  type Audience,
  NOT_CHECKED_TEXTS,
  notCheckedRemediation,
  TEXTS,
  type TextPack,
} from './pack/index.js';
import { CHECK_IDS, type CheckId, orderBySeverity, type ReadinessResult } from './result.js';
import { type CheckDetails, RULES } from './rules/index.js';
import type { OptionalInput, ReadinessRule, RuleInput } from './rules/rule.js';

/** The configuration to check. `connectors`/`certificates` absent = not given (not "none"). */
export interface ReadinessInput {
  acceptedDomains: AcceptedDomainList;
  /** `Get-InboundConnector` output; an empty array means the tenant has none. */
  connectors?: readonly InboundConnector[] | undefined;
  /** One entry per `--certificate` file. */
  certificates?: readonly CertificateFile[] | undefined;
  /** When validity is judged (`--at`); default now. */
  at?: Date;
  /** How a missing input is asked for: as a CLI option (default) or as a file to upload. */
  audience?: Audience;
}

function runRule<K extends CheckId>(
  rule: ReadinessRule<K, CheckDetails[K]>,
  input: RuleInput,
  given: ReadonlySet<OptionalInput>,
  audience: Audience,
): ReadinessResult[] {
  const missing = rule.needs.filter((need) => !given.has(need));
  if (missing.length > 0) {
    return [
      {
        id: rule.id,
        severity: 'info' as const,
        message: `not checked: no ${missing.join(' or ')} given`,
        objects: [],
        remediation: notCheckedRemediation(missing, audience),
      },
    ];
  }
  const outcome = rule.evaluate(input);
  if (!Array.isArray(outcome)) {
    return [
      {
        id: rule.id,
        severity: 'info' as const,
        objects: [],
        ...NOT_CHECKED_TEXTS[outcome.notChecked],
      },
    ];
  }
  const text: TextPack[K] = TEXTS[rule.id];
  return outcome.map((occurrence) => ({
    id: rule.id,
    severity: occurrence.notChecked ? ('info' as const) : rule.severity,
    ...text(occurrence.details, input),
    objects: occurrence.objects,
  }));
}

/**
 * Runs every readiness check. Results are ordered error → warning → info, then by id; occurrences
 * of one id keep the order of the inputs (connectors, then certificate files).
 */
export function runReadinessChecks(input: ReadinessInput): ReadinessResult[] {
  const given = new Set<OptionalInput>();
  if (input.connectors !== undefined) given.add('connectors');
  if (input.certificates !== undefined) given.add('certificates');
  const ruleInput: RuleInput = {
    acceptedDomains: input.acceptedDomains,
    connectors: input.connectors ?? [],
    certificates: input.certificates ?? [],
    at: input.at ?? new Date(),
  };
  const audience = input.audience ?? 'cli';
  return orderBySeverity(CHECK_IDS.flatMap((id) => guarded(ruleOf(id), ruleInput, given, audience)));
}

/** The rule of an id, typed by the details its text expects (`RULES` guarantees they agree). */
function ruleOf<K extends CheckId>(id: K): ReadinessRule<K, CheckDetails[K]> {
  return RULES[id] as unknown as ReadinessRule<K, CheckDetails[K]>;
}

/**
 * One rule, with a throw turned into a reported result (the cdk-nag way): a rule that fails on an
 * unexpected input costs that one check, never the whole report, and says so rather than passing.
 */
function guarded<K extends CheckId>(
  rule: ReadinessRule<K, CheckDetails[K]>,
  input: RuleInput,
  given: ReadonlySet<OptionalInput>,
  audience: Audience,
): ReadinessResult[] {
  try {
    return runRule(rule, input, given, audience);
  } catch (error) {
    return [
      {
        id: rule.id,
        severity: 'warning',
        message: `not checked: the ${rule.id} check failed on these inputs (${error instanceof Error ? error.message : String(error)})`,
        objects: [],
        remediation: {
          steps: [
            'This is a defect in relay-audit, not in your configuration: report it with the files you checked (without private keys). The other checks ran.',
          ],
          commands: [],
          links: [],
        },
      },
    ];
  }
}

/** The ids that ran and found nothing: for a report's "passed" line. */
export function passedChecks(results: readonly ReadinessResult[]): CheckId[] {
  const reported = new Set(results.map((result) => result.id));
  return CHECK_IDS.filter((id) => !reported.has(id));
}
