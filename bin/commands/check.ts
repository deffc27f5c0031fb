/**
 * `relay-audit check --accepted-domains <list|file> [--connectors <json>] [--certificate <pem>]…
 *  [--at <ISO time>] [--json] [--store [--db DIR | --table NAME]]` — checks the connector,
 * certificate and accepted domains Exchange Online requires to relay on-premises mail (readiness,
 * docs/domain.md §4). Exit 0 when nothing is an `error`, 1 when something is, 2 on a usage error or an
 * input file that is not what it should be. `--store` also stores the configuration and the results
 * in the store, where `relay-audit serve` shows them (the same items the cloud pipeline writes).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ArgumentError, StoreError } from '../../functions/core/kernel/errors.js';
import type { AcceptedDomainList } from '../../functions/core/organisation/accepted-domains.js';
import {
  buildOrganisationConfig,
  type RawConfigFile,
} from '../../functions/core/organisation/configuration.js';
import { expectedCertificateText } from '../../functions/core/organisation/connectors.js';
import {
  type CertificateFile,
  certificateNames,
  describeCertificateFile,
  type InboundConnector,
  identifiesBy,
  parseCertificateFile,
  parseInboundConnectors,
  passedChecks,
  type ReadinessResult,
  runReadinessChecks,
  SEVERITIES,
} from '../../functions/core/readiness/index.js';
import { checkOrganisationConfig, countBySeverity } from '../../functions/core/readiness/report.js';
import { OrganisationConfigStore } from '../../functions/store/organisation-config.js';
import { acceptedDomainNames, loadAcceptedDomains } from '../support/accepted-domains-option.js';
import { readCommandLine } from '../support/command.js';
import { commandLines } from '../support/command-lines.js';
import { parseFlags, timeFlag } from '../support/flags.js';
import type { Output } from '../support/output.js';
import { checkStoreFlags, openStore } from '../support/store-options.js';
import { CHECK } from './definitions.js';

/** `--at`: a date (its start, 00:00 UTC) or a time; now when not given. */
const CheckFlags = z.object({ at: timeFlag().optional() });

/** Reads an input file; a missing or unreadable file is a usage error (exit 2) naming the option. */
async function readInput(path: string, option: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ArgumentError(
      `${option} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : 'cannot be read'}`,
    );
  }
}

interface CheckInputs {
  acceptedDomains: { list: AcceptedDomainList; origin: string; value: string };
  connectors?: { file: string; list: InboundConnector[] };
  certificates?: CertificateFile[];
  at: Date;
}

export async function runCheck(argv: string[], out: Output): Promise<number> {
  const { values } = readCommandLine(CHECK, argv);
  if (!values.store && (values.db || values.table || values.stack || values.endpoint || values.region)) {
    throw new ArgumentError('--db, --table, --stack, --endpoint and --region only apply with --store');
  }
  // Before the checks print anything: a clash of store options is a usage error, not a late failure.
  if (values.store) checkStoreFlags(values);
  if (values['accepted-domains'] === undefined) {
    throw new ArgumentError(
      '--accepted-domains is required: the certificate domain must be an accepted domain',
    );
  }
  const flags = parseFlags(CheckFlags, { at: values.at });
  const at = flags.at === undefined ? new Date() : new Date(flags.at.start);
  const inputs: CheckInputs = {
    acceptedDomains: {
      ...(await loadAcceptedDomains(values['accepted-domains'])),
      value: values['accepted-domains'],
    },
    at,
  };
  /** The files as read, for --store. */
  const files: RawConfigFile[] = [];
  if (values.connectors !== undefined) {
    const file = values.connectors;
    const bytes = await readInput(file, '--connectors');
    inputs.connectors = { file, list: parseInboundConnectors(bytes, file) };
    files.push({ name: file, bytes, kind: 'connectors' });
  }
  if (values.certificate !== undefined) {
    inputs.certificates = [];
    for (const file of values.certificate) {
      const bytes = await readInput(file, '--certificate');
      inputs.certificates.push(parseCertificateFile(bytes, file));
      files.push({ name: file, bytes, kind: 'certificate' });
    }
  }

  const results = runReadinessChecks({
    acceptedDomains: inputs.acceptedDomains.list,
    connectors: inputs.connectors?.list,
    certificates: inputs.certificates,
    at,
  });
  await out.write(
    values.json ? `${JSON.stringify(toJson(inputs, results), null, 2)}\n` : renderReport(inputs, results),
  );
  if (values.store) await storeResults(inputs, files, values, out);
  return results.some((result) => result.severity === 'error') ? 1 : 0;
}

/**
 * `--store`: the configuration (files as given; private keys never) and its readiness report, as
 * the cloud pipeline stores an upload under `config/`. The note goes to stderr, so `--json` output
 * stays one JSON document.
 */
async function storeResults(
  inputs: CheckInputs,
  files: RawConfigFile[],
  flags: {
    db?: string | undefined;
    table?: string | undefined;
    endpoint?: string | undefined;
    region?: string | undefined;
  },
  out: Output,
): Promise<void> {
  const inline = inputs.acceptedDomains.origin === 'the command line';
  const domainFiles: RawConfigFile[] = inline
    ? []
    : [
        {
          name: inputs.acceptedDomains.value,
          bytes: await readInput(inputs.acceptedDomains.value, '--accepted-domains'),
          kind: 'accepted-domains',
        },
      ];
  const config = buildOrganisationConfig({
    origin: 'relay-audit check',
    loadedAt: new Date(),
    files: [...domainFiles, ...files],
    ...(inline ? { fallbackAcceptedDomains: inputs.acceptedDomains.value } : {}),
  });
  const report = checkOrganisationConfig(config, { at: inputs.at, trigger: 'cli' });
  for (const file of config.files) {
    if (file.privateKeysRemoved === undefined) continue;
    out.error(
      `relay-audit check: ${file.name} holds a private key: it is not stored (only the certificates are); ` +
        'keep private keys out of the files you give relay-audit',
    );
  }
  const handle = await openStore(flags);
  try {
    const stored = await new OrganisationConfigStore(handle).save(config, report);
    if (!stored)
      throw new StoreError(`a later configuration is stored in the ${handle.description}; not replaced`);
    out.error(`Stored in the ${handle.description}: relay-audit serve shows the results under Readiness.`);
  } finally {
    await handle.close();
  }
}

function toJson(inputs: CheckInputs, results: readonly ReadinessResult[]) {
  return {
    at: inputs.at.toISOString(),
    inputs: {
      acceptedDomains: {
        origin: inputs.acceptedDomains.origin,
        domains: inputs.acceptedDomains.list.domains(),
      },
      connectors:
        inputs.connectors === undefined
          ? null
          : {
              file: inputs.connectors.file,
              names: inputs.connectors.list.map((connector) => connector.name),
            },
      certificates: inputs.certificates?.map(describeCertificateFile) ?? null,
    },
    summary: countBySeverity(results),
    passed: passedChecks(results),
    results,
  };
}

function describeConnector(connector: InboundConnector): string {
  const how =
    identifiesBy(connector) === 'certificate'
      ? `certificate ${expectedCertificateText(connector)}`
      : identifiesBy(connector) === 'ip'
        ? `IP ${connector.senderIPAddresses.join(', ')}`
        : 'no certificate or IP';
  return `"${connector.name}" (${connector.connectorType}, ${connector.enabled ? 'enabled' : 'disabled'}, ${how})`;
}

function describeInputs(inputs: CheckInputs): string[] {
  const { list, origin } = inputs.acceptedDomains;
  const lines = [`Accepted domains (${origin}): ${acceptedDomainNames(list).join(', ')}`];
  if (inputs.connectors === undefined) lines.push('Inbound connectors: not given (--connectors)');
  else {
    const { file, list: connectors } = inputs.connectors;
    lines.push(`Inbound connectors (${file}): ${connectors.length === 0 ? 'none' : connectors.length}`);
    for (const connector of connectors) lines.push(`  ${describeConnector(connector)}`);
  }
  if (inputs.certificates === undefined) lines.push('Certificates: not given (--certificate)');
  for (const file of inputs.certificates ?? []) {
    const chain = file.chain.length === 0 ? 'no chain' : `+${file.chain.length} chain`;
    lines.push(
      `Certificate (${file.file}): ${certificateNames(file.leaf).join(', ') || file.leaf.subject} — valid ` +
        `${file.leaf.notBefore.toISOString().slice(0, 10)} to ${file.leaf.notAfter.toISOString().slice(0, 10)}, ` +
        `issuer ${file.leaf.issuer}, ${chain}`,
    );
  }
  return lines;
}

function renderResult(result: ReadinessResult): string[] {
  const lines = [`${result.severity.toUpperCase().padEnd(7)} ${result.id}`, `  ${result.message}`];
  if (result.objects.length > 0) lines.push(`  Involves: ${result.objects.join('; ')}`);
  const { steps, commands, links } = result.remediation;
  if (steps.length > 0) {
    lines.push('  What to do:');
    steps.forEach((step, index) => {
      lines.push(`    ${index + 1}. ${step}`);
    });
  }
  lines.push(...commandLines(commands));
  for (const link of links) lines.push(`  ${link.title}: ${link.url}`);
  return lines;
}

/** Info results ("not checked") share their remediation: list them, then say once how to check. */
function renderNotChecked(results: readonly ReadinessResult[]): string[] {
  if (results.length === 0) return [];
  const lines = ['INFO    not checked'];
  for (const result of results) lines.push(`  ${result.id}: ${result.message}`);
  const steps = [...new Set(results.flatMap((result) => result.remediation.steps))];
  const commands = [...new Set(results.flatMap((result) => result.remediation.commands))];
  if (steps.length > 0)
    lines.push('  To check them:', ...steps.map((step, index) => `    ${index + 1}. ${step}`));
  lines.push(...commandLines(commands));
  return lines;
}

function renderReport(inputs: CheckInputs, results: readonly ReadinessResult[]): string {
  const lines = [
    `relay-audit check — relay readiness at ${inputs.at.toISOString()}`,
    '',
    ...describeInputs(inputs),
  ];
  for (const result of results.filter((r) => r.severity !== 'info')) lines.push('', ...renderResult(result));
  const info = results.filter((result) => result.severity === 'info');
  if (info.length > 0) lines.push('', ...renderNotChecked(info));
  const passed = passedChecks(results);
  lines.push('', `Passed: ${passed.length > 0 ? passed.join(', ') : 'none'}`);
  const counts = countBySeverity(results);
  const summary = SEVERITIES.map(
    (severity) =>
      `${counts[severity]} ${severity === 'info' ? 'not checked' : `${severity}${counts[severity] === 1 ? '' : 's'}`}`,
  ).join(', ');
  lines.push(
    counts.error > 0
      ? `${summary} — Exchange Online will refuse relayed mail until the errors are fixed.`
      : counts.warning > 0
        ? `${summary} — no errors; the warnings make relay fragile or refuse some mail.`
        : counts.info > 0
          ? `${summary} — no problems in what was checked; give the missing inputs to check the rest.`
          : `${summary} — ready.`,
  );
  return `${lines.join('\n')}\n`;
}
