import { describeCertificateFile } from '../organisation/certificates.js';
import {
  CONFIG_PREFIX,
  type ConfigFile,
  HOW_TO_EXPORT,
  type OrganisationConfig,
  type ParsedConfig,
  parseConfig,
  UPLOAD_NAME,
} from '../organisation/configuration.js';
import { relayConnector } from '../organisation/relay-connector.js';
import type { ReadinessInputs } from './inputs.js';
import type {
  CheckTrigger,
  ReadinessReport,
  SeverityCounts,
  StoredReadinessResult,
} from './report-schema.js';
import { orderBySeverity, type ReadinessResult, type Severity } from './result.js';
import { passedChecks, runReadinessChecks } from './run.js';

function invalidFileResult(file: ConfigFile, message: string): StoredReadinessResult {
  const how = HOW_TO_EXPORT[file.kind];
  return {
    id: 'config-file-invalid',
    severity: 'error',
    message: message.startsWith(file.name) ? message : `${file.name}: ${message}`,
    objects: [file.name],
    remediation: {
      steps: [
        `Export ${how.what} again with the command below.`,
        `Upload the new file over ${file.name} (relay-audit checks the configuration again on every upload under ${CONFIG_PREFIX}), or pass it to relay-audit check.`,
      ],
      commands: [how.command],
      links: [],
    },
  };
}

const ACCEPTED_DOMAINS_MISSING: StoredReadinessResult = {
  id: 'accepted-domains-missing',
  severity: 'info',
  message:
    'not checked: the checks need the accepted domains, and there is no valid accepted-domains list: a certificate domain only counts when it is an accepted domain',
  objects: [],
  remediation: {
    steps: [
      `Export the accepted domains and upload them as ${UPLOAD_NAME['accepted-domains']} (or set the acceptedDomains setting of the stack).`,
    ],
    commands: [HOW_TO_EXPORT['accepted-domains'].command],
    links: [],
  },
};

/** Counts of results per severity. */
export function countBySeverity(results: readonly { severity: Severity }[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const result of results) counts[result.severity] += 1;
  return counts;
}

function describeInputs(config: OrganisationConfig, parsed: ParsedConfig): ReadinessInputs {
  const relay =
    parsed.connectors === undefined
      ? undefined
      : relayConnector(parsed.connectors.list, parsed.acceptedDomains?.list ?? []);
  return {
    origin: config.origin,
    acceptedDomains:
      parsed.acceptedDomains === undefined
        ? null
        : { file: parsed.acceptedDomains.file, domains: parsed.acceptedDomains.list.domains() },
    connectors:
      parsed.connectors === undefined
        ? null
        : {
            file: parsed.connectors.file,
            names: parsed.connectors.list.map((connector) => connector.name),
            relayConnector: relay?.name ?? null,
          },
    certificates: (parsed.certificates ?? []).map(describeCertificateFile),
    invalid: parsed.invalid.map(({ file, message }) => ({ file: file.name, message })),
    ignored: config.ignored,
  };
}

/**
 * Checks the configuration at `at`: every readiness check over the files that could be read, a
 * `config-file-invalid` error for each one that could not, `accepted-domains-missing` when no check
 * could run.
 */
export function checkOrganisationConfig(
  config: OrganisationConfig,
  options: { at: Date; trigger: CheckTrigger },
): ReadinessReport {
  const parsed = parseConfig(config);
  const fileResults = parsed.invalid.map(({ file, message }) => invalidFileResult(file, message));
  let checks: ReadinessResult[] = [];
  if (parsed.acceptedDomains !== undefined) {
    checks = runReadinessChecks({
      audience: 'upload',
      acceptedDomains: parsed.acceptedDomains.list,
      connectors: parsed.connectors?.list,
      certificates: parsed.certificates,
      at: options.at,
    });
  }
  const results = orderBySeverity([
    ...fileResults,
    ...(parsed.acceptedDomains === undefined ? [ACCEPTED_DOMAINS_MISSING] : checks),
  ]);
  return {
    checkedAt: options.at.toISOString(),
    trigger: options.trigger,
    configHash: config.hash,
    configLoadedAt: config.loadedAt,
    inputs: describeInputs(config, parsed),
    summary: countBySeverity(results),
    passed: parsed.acceptedDomains === undefined ? [] : passedChecks(checks),
    results,
  };
}

/** The identity of a result across runs: id and the objects involved. */
function resultKey(result: Pick<StoredReadinessResult, 'id' | 'objects'>): string {
  return `${result.id}\u0000${result.objects.join('\u0001')}`;
}

/** `error` results of `current` that `previous` did not have (by id + objects). */
export function newErrors(
  previous: Pick<ReadinessReport, 'results'> | undefined,
  current: Pick<ReadinessReport, 'results'>,
): StoredReadinessResult[] {
  const known = new Set(
    (previous?.results ?? []).filter((result) => result.severity === 'error').map(resultKey),
  );
  return current.results.filter((result) => result.severity === 'error' && !known.has(resultKey(result)));
}
