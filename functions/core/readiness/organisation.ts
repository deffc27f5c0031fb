/**
 * The organisation's current configuration as a whole — the files under the bucket's `config/`
 * prefix (or the files given to `relay-audit check --store`) — and the readiness report made from
 * it. Pure: the ingest function, the nightly job and the CLI load the bytes; this module decides
 * what each file is, keeps what may be stored, runs `runReadinessChecks` and says what is new.
 *
 * Recognised files (anything else under `config/` is listed as ignored):
 * - `accepted-domains.csv` — `Get-AcceptedDomain | Export-Csv -NoTypeInformation` (or one per line);
 * - `inbound-connectors.json` — `Get-InboundConnector | ConvertTo-Json -Depth 5`;
 * - `*.pem`, `*.crt`, `*.cer` — the on-premises server's certificate, followed by its chain.
 *
 * A file that cannot be read as what its name says becomes a `config-file-invalid` error result
 * naming it (the other files are still checked); without any accepted domains no check can run,
 * which is the `accepted-domains-missing` result. Private-key blocks in a certificate file are
 * dropped before anything is stored or hashed.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type AcceptedDomainList, parseAcceptedDomains } from '../accepted-domains.js';
import { RelayAuditError } from '../errors.js';
import type { InboundConnectorInfo } from '../remediation/context.js';
import { type CertificateFile, describeCertificateFile, parseCertificateFile } from './certificates.js';
import { configText } from './config-text.js';
import { type InboundConnector, parseInboundConnectors } from './connectors.js';
import { ReadinessInputs } from './inputs.js';
import { relayConnector, relayConnectorInfo } from './relay-connector.js';
import { CheckId, orderBySeverity, ReadinessResult, type Severity } from './result.js';
import { passedChecks, runReadinessChecks } from './run.js';

/** Where the configuration lives in the bucket (same as `BUCKET_PREFIX.config`). */
export const CONFIG_PREFIX = 'config/';
/** The fixed file names, relative to {@link CONFIG_PREFIX}. */
export const ACCEPTED_DOMAINS_FILE = 'accepted-domains.csv';
export const CONNECTORS_FILE = 'inbound-connectors.json';
/** Extensions of certificate files. */
export const CERTIFICATE_EXTENSIONS = ['.pem', '.crt', '.cer'] as const;
/** Largest configuration file taken (a connectors export with a hundred connectors is ~300 KB). */
export const MAX_CONFIG_FILE_BYTES = 1 << 20;
/** Most certificate files taken; the rest are ignored (and listed as such). */
export const MAX_CERTIFICATE_FILES = 20;

export const CONFIG_FILE_KINDS = ['accepted-domains', 'connectors', 'certificate'] as const;
export const ConfigFileKind = z.enum(CONFIG_FILE_KINDS);
export type ConfigFileKind = z.infer<typeof ConfigFileKind>;

/** What a file name (an S3 key under `config/`, or a local path) holds, or `undefined` when nothing known. */
export function configFileKind(name: string): ConfigFileKind | undefined {
  const base = (name.split(/[\\/]/).pop() ?? '').toLowerCase();
  if (base === ACCEPTED_DOMAINS_FILE) return 'accepted-domains';
  if (base === CONNECTORS_FILE) return 'connectors';
  if (CERTIFICATE_EXTENSIONS.some((extension) => base.endsWith(extension) && base.length > extension.length))
    return 'certificate';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The configuration
// ---------------------------------------------------------------------------------------------

export const ConfigFile = z.object({
  /** The S3 key (`config/inbound-connectors.json`) or the path given to the CLI. */
  name: z.string().min(1),
  kind: ConfigFileKind,
  /** Bytes as uploaded. */
  size: z.number().int().nonnegative(),
  /** SHA-256 of the stored content (hex); of the problem text when there is no content. */
  sha256: z.string(),
  /** The content as stored, base64 (certificate files without private keys). Absent with `problem`. */
  content: z.string().optional(),
  /** Why the content was not taken (e.g. too large). */
  problem: z.string().optional(),
  /** Private-key blocks dropped from a certificate file. */
  privateKeysRemoved: z.number().int().positive().optional(),
});
export type ConfigFile = z.infer<typeof ConfigFile>;

export const OrganisationConfig = z.object({
  /** When the files were listed and read: of two snapshots, the later one wins. */
  loadedAt: z.iso.datetime(),
  /** Where the files came from, e.g. `s3://bucket/config/` or `relay-audit check`. */
  origin: z.string(),
  files: z.array(ConfigFile),
  /** Names under the prefix that are not configuration relay-audit knows. */
  ignored: z.array(z.string()),
  /** The `ACCEPTED_DOMAINS` list (or an inline `--accepted-domains`), used without an accepted-domains file. */
  fallbackAcceptedDomains: z.string().optional(),
  /** Content hash of files and fallback (not of `loadedAt`/`origin`): same content → same hash. */
  hash: z.string(),
});
export type OrganisationConfig = z.infer<typeof OrganisationConfig>;

/**
 * One file as read: its bytes, or why they were not read. `kind` overrides what the name says
 * (the CLI's files may be named anything).
 */
export type RawConfigFile = (
  | { name: string; bytes: Uint8Array }
  | { name: string; size: number; problem: string }
) & {
  kind?: ConfigFileKind;
};

export interface OrganisationConfigInput {
  origin: string;
  loadedAt: Date;
  files: readonly RawConfigFile[];
  ignored?: readonly string[];
  fallbackAcceptedDomains?: string;
}

const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?-----END \1-----\r?\n?/g;

/** A certificate file without its private-key blocks (a DER file is kept as it is). */
function withoutPrivateKeys(bytes: Uint8Array): { bytes: Uint8Array; removed: number } {
  const text = Buffer.from(bytes).toString('latin1');
  let removed = 0;
  const kept = text.replace(PRIVATE_KEY_BLOCK, () => {
    removed += 1;
    return '';
  });
  return removed === 0 ? { bytes, removed } : { bytes: Buffer.from(kept, 'latin1'), removed };
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The hash that makes "same configuration" decidable: names, kinds, stored content, fallback. */
export function configHash(config: Pick<OrganisationConfig, 'files' | 'fallbackAcceptedDomains'>): string {
  const parts = [...config.files]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((file) => `${file.name}\u0001${file.kind}\u0001${file.sha256}\u0001${file.problem ?? ''}`);
  parts.push(`fallback\u0001${config.fallbackAcceptedDomains ?? ''}`);
  return sha256(parts.join('\u0000')).slice(0, 32);
}

/**
 * Builds the configuration from the files read. Files of unknown kind are moved to `ignored`;
 * certificate files lose their private keys; beyond {@link MAX_CERTIFICATE_FILES} certificates the
 * rest are ignored.
 */
export function buildOrganisationConfig(input: OrganisationConfigInput): OrganisationConfig {
  const files: ConfigFile[] = [];
  const ignored = [...(input.ignored ?? [])];
  let certificates = 0;
  for (const raw of [...input.files].sort((a, b) => a.name.localeCompare(b.name))) {
    const kind = raw.kind ?? configFileKind(raw.name);
    if (kind === undefined || (kind === 'certificate' && certificates >= MAX_CERTIFICATE_FILES)) {
      ignored.push(raw.name);
      continue;
    }
    if (kind === 'certificate') certificates += 1;
    if ('problem' in raw) {
      files.push({ name: raw.name, kind, size: raw.size, sha256: sha256(raw.problem), problem: raw.problem });
      continue;
    }
    const { bytes, removed } =
      kind === 'certificate' ? withoutPrivateKeys(raw.bytes) : { bytes: raw.bytes, removed: 0 };
    files.push({
      name: raw.name,
      kind,
      size: raw.bytes.byteLength,
      sha256: sha256(bytes),
      content: Buffer.from(bytes).toString('base64'),
      ...(removed > 0 ? { privateKeysRemoved: removed } : {}),
    });
  }
  const fallback = input.fallbackAcceptedDomains?.trim();
  const partial = { files, ...(fallback ? { fallbackAcceptedDomains: fallback } : {}) };
  return {
    loadedAt: input.loadedAt.toISOString(),
    origin: input.origin,
    ...partial,
    ignored: [...new Set(ignored)].sort(),
    hash: configHash(partial),
  };
}

// ---------------------------------------------------------------------------------------------
// The readiness report
// ---------------------------------------------------------------------------------------------

/** Results about the configuration files themselves, beside the readiness checks' own ids. */
export const CONFIG_CHECK_IDS = ['config-file-invalid', 'accepted-domains-missing'] as const;
export const StoredCheckId = z.union([CheckId, z.enum(CONFIG_CHECK_IDS)]);
export type StoredCheckId = z.infer<typeof StoredCheckId>;

/** A stored result: a readiness check's, or one about a configuration file. */
export const StoredReadinessResult = ReadinessResult.extend({ id: StoredCheckId });
export type StoredReadinessResult = z.infer<typeof StoredReadinessResult>;

export const SeverityCounts = z.object({
  error: z.number().int().nonnegative(),
  warning: z.number().int().nonnegative(),
  info: z.number().int().nonnegative(),
});
export type SeverityCounts = z.infer<typeof SeverityCounts>;

export const CheckTrigger = z.enum(['upload', 'nightly', 'cli']);
export type CheckTrigger = z.infer<typeof CheckTrigger>;

export const ReadinessReport = z.object({
  /** The moment certificate validity was judged at. */
  checkedAt: z.iso.datetime(),
  trigger: CheckTrigger,
  configHash: z.string(),
  /** `loadedAt` of the configuration checked. */
  configLoadedAt: z.iso.datetime(),
  inputs: ReadinessInputs,
  summary: SeverityCounts,
  /** Checks that ran and found nothing. */
  passed: z.array(CheckId),
  /** Ordered error → warning → info, then by id. */
  results: z.array(StoredReadinessResult),
});
export type ReadinessReport = z.infer<typeof ReadinessReport>;

/** How to produce each file, for remediation text. */
const HOW_TO_EXPORT: Readonly<Record<ConfigFileKind, { what: string; command: string }>> = {
  'accepted-domains': {
    what: 'the accepted domains (Exchange Online PowerShell, Connect-ExchangeOnline)',
    command: 'Get-AcceptedDomain | Export-Csv -NoTypeInformation -Encoding UTF8 accepted-domains.csv',
  },
  connectors: {
    what: 'the inbound connectors (Exchange Online PowerShell, Connect-ExchangeOnline)',
    command:
      'Get-InboundConnector | ConvertTo-Json -Depth 5 | Set-Content -Encoding UTF8 inbound-connectors.json',
  },
  certificate: {
    what: 'the certificate your on-premises server presents to Exchange Online, as PEM followed by its intermediate CA certificates',
    command:
      "Get-ExchangeCertificate -Thumbprint '<thumbprint>' | ForEach-Object { \"-----BEGIN CERTIFICATE-----`n$([Convert]::ToBase64String($_.RawData, 'InsertLineBreaks'))`n-----END CERTIFICATE-----\" } | Set-Content -Encoding ASCII server-certificate.pem",
  },
};

const UPLOAD_NAME: Readonly<Record<ConfigFileKind, string>> = {
  'accepted-domains': `${CONFIG_PREFIX}${ACCEPTED_DOMAINS_FILE}`,
  connectors: `${CONFIG_PREFIX}${CONNECTORS_FILE}`,
  certificate: `${CONFIG_PREFIX}<server name>.pem`,
};

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

const NOT_GIVEN = /^not checked: no (.+) given$/;

/**
 * A "not checked: no connectors given" result, worded for uploads: name the file to upload
 * (`--connectors` is the CLI's word for the same file).
 */
function forUploads(result: ReadinessResult): StoredReadinessResult {
  const missing = result.severity === 'info' ? NOT_GIVEN.exec(result.message)?.[1] : undefined;
  if (missing === undefined) return result;
  const kinds = missing
    .split(' or ')
    .map((input): ConfigFileKind | undefined =>
      input === 'connectors' ? 'connectors' : input === 'certificates' ? 'certificate' : undefined,
    );
  if (kinds.some((kind) => kind === undefined)) return result;
  return {
    ...result,
    remediation: {
      steps: (kinds as ConfigFileKind[]).map(
        (kind) =>
          `Export ${HOW_TO_EXPORT[kind].what} and upload it as ${UPLOAD_NAME[kind]} (or pass it to relay-audit check).`,
      ),
      commands: (kinds as ConfigFileKind[]).map((kind) => HOW_TO_EXPORT[kind].command),
      links: result.remediation.links,
    },
  };
}

function fileBytes(file: ConfigFile): Uint8Array {
  return Buffer.from(file.content ?? '', 'base64');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Configuration errors are data (a result); anything else is a bug and is thrown. */
function isInputError(error: unknown): boolean {
  return error instanceof RelayAuditError;
}

interface ParsedConfig {
  acceptedDomains?: { list: AcceptedDomainList; file: string };
  connectors?: { list: InboundConnector[]; file: string };
  certificates?: CertificateFile[];
  invalid: { file: ConfigFile; message: string }[];
}

function parseConfig(config: OrganisationConfig): ParsedConfig {
  const parsed: ParsedConfig = { invalid: [] };
  for (const file of config.files) {
    if (file.problem !== undefined) {
      parsed.invalid.push({ file, message: `${file.name}: ${file.problem}` });
      continue;
    }
    try {
      switch (file.kind) {
        case 'accepted-domains': {
          const text = configText(fileBytes(file), file.name, 'a Get-AcceptedDomain | Export-Csv file');
          parsed.acceptedDomains = { list: parseAcceptedDomains(text, file.name), file: file.name };
          break;
        }
        case 'connectors':
          parsed.connectors = { list: parseInboundConnectors(fileBytes(file), file.name), file: file.name };
          break;
        case 'certificate':
          parsed.certificates = [
            ...(parsed.certificates ?? []),
            parseCertificateFile(fileBytes(file), file.name),
          ];
          break;
      }
    } catch (error) {
      if (!isInputError(error)) throw error;
      parsed.invalid.push({ file, message: errorMessage(error) });
    }
  }
  if (parsed.acceptedDomains === undefined && config.fallbackAcceptedDomains !== undefined) {
    try {
      parsed.acceptedDomains = {
        list: parseAcceptedDomains(config.fallbackAcceptedDomains, 'ACCEPTED_DOMAINS'),
        file: 'ACCEPTED_DOMAINS',
      };
    } catch (error) {
      if (!isInputError(error)) throw error;
    }
  }
  return parsed;
}

/** Counts of results per severity. */
export function countBySeverity(results: readonly { severity: Severity }[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const result of results) counts[result.severity] += 1;
  return counts;
}

function describeInputs(config: OrganisationConfig, parsed: ParsedConfig): ReadinessInputs {
  const relay = parsed.connectors === undefined ? undefined : relayConnector(parsed.connectors.list);
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
      acceptedDomains: parsed.acceptedDomains.list,
      ...(parsed.connectors === undefined ? {} : { connectors: parsed.connectors.list }),
      ...(parsed.certificates === undefined ? {} : { certificates: parsed.certificates }),
      at: options.at,
    });
  }
  const results = orderBySeverity([
    ...fileResults,
    ...(parsed.acceptedDomains === undefined ? [ACCEPTED_DOMAINS_MISSING] : checks.map(forUploads)),
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

/**
 * The inbound connector traffic findings should name: the relay connector of the stored connectors
 * file, or `undefined` when there is none (no file, an unreadable one, no enabled OnPremises connector).
 */
export function organisationConnector(
  config: OrganisationConfig | undefined,
): { info: InboundConnectorInfo; file: string } | undefined {
  const file = config?.files.find(
    (candidate) => candidate.kind === 'connectors' && candidate.content !== undefined,
  );
  if (file === undefined) return undefined;
  try {
    const info = relayConnectorInfo(parseInboundConnectors(fileBytes(file), file.name));
    return info === undefined ? undefined : { info, file: file.name };
  } catch (error) {
    if (!isInputError(error)) throw error;
    return undefined;
  }
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

// ---------------------------------------------------------------------------------------------
// What `GET /readiness` answers
// ---------------------------------------------------------------------------------------------

/** What to upload, for the empty state (API message, dashboard). */
export const NOTHING_CONFIGURED_MESSAGE =
  `No organisation configuration has been checked yet. Upload it under ${CONFIG_PREFIX} in the bucket: ` +
  `${UPLOAD_NAME['accepted-domains']} (Get-AcceptedDomain | Export-Csv -NoTypeInformation), ` +
  `${UPLOAD_NAME.connectors} (Get-InboundConnector | ConvertTo-Json -Depth 5) and the on-premises server's ` +
  `certificate with its chain as ${UPLOAD_NAME.certificate}. Locally: relay-audit check --accepted-domains … ` +
  '--connectors … --certificate … --store.';

/** `GET /readiness`: the latest report, or an empty one that says what to upload. */
export type ReadinessResponse =
  | ({ configured: true; message: string } & ReadinessReport)
  | {
      configured: false;
      message: string;
      checkedAt: null;
      inputs: null;
      summary: SeverityCounts;
      passed: [];
      results: [];
    };

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
