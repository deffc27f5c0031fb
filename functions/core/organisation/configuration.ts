/**
 * The organisation's current configuration as a whole — the files under the bucket's `config/`
 * prefix (or the files given to `relay-audit check --store`). Pure: the ingest function, the
 * nightly job and the CLI load the bytes; this module decides what each file is, keeps what may be
 * stored and reads it back.
 *
 * Recognised files (anything else under `config/` is listed as ignored):
 * - `accepted-domains.csv` — `Get-AcceptedDomain | Export-Csv -NoTypeInformation` (or one per line);
 * - `inbound-connectors.json` — `Get-InboundConnector | ConvertTo-Json -Depth 5`;
 * - `*.pem`, `*.crt`, `*.cer` — the on-premises server's certificate, followed by its chain.
 *
 * Of a certificate file only the certificates `X509Certificate` accepted are stored (re-encoded as
 * PEM), never the bytes as given: a private key in it, in whatever form, goes nowhere.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RelayAuditError } from '../kernel/errors.js';
import { sniffEncoding } from '../text/decode.js';
import { type AcceptedDomainList, parseAcceptedDomains } from './accepted-domains.js';
import { type CertificateFile, parseCertificateFile, readCertificates } from './certificates.js';
import { configText } from './config-text.js';
import type { InboundConnectorInfo } from './connector-info.js';
import { type InboundConnector, parseInboundConnectors } from './connectors.js';
import { ConfigFileError } from './errors.js';
import { onPremisesConnectors } from './relay-connector.js';

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
  /** Private keys found in a certificate file (none of which was stored: only its certificates are). */
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

/**
 * A private key's marker, in any case and whatever its END looks like (PEM `BEGIN … PRIVATE KEY`,
 * a PuTTY key file). Only counted, to say so: what is stored is decided by {@link storedCertificates}.
 */
const PRIVATE_KEY_MARKER = /BEGIN[^\r\n]{0,64}PRIVATE KEY|PuTTY-User-Key-File/gi;

/**
 * What is stored of a certificate file: the certificates `X509Certificate` accepted, each re-encoded
 * as PEM, rather than the file less what looks like a key — a key block with mismatched labels, no
 * END line or lower-case markers was stored whole that way. A file without a readable certificate
 * is stored as its problem only.
 */
function storedCertificates(
  bytes: Uint8Array,
  name: string,
): ({ bytes: Uint8Array } | { problem: string }) & { privateKeys: number } {
  // Decoded leniently as the certificates are read (UTF-16 from PowerShell too): only counted.
  const { encoding } = sniffEncoding(bytes.subarray(0, 512));
  const text =
    encoding === 'utf-8' ? Buffer.from(bytes).toString('latin1') : new TextDecoder(encoding).decode(bytes);
  const privateKeys = text.match(PRIVATE_KEY_MARKER)?.length ?? 0;
  try {
    const pem = readCertificates(bytes, name).map((certificate) => certificate.toString());
    return { bytes: Buffer.from(pem.join(''), 'latin1'), privateKeys };
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    return { problem: `${error.problem}; expected ${error.expected}`, privateKeys };
  }
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
 * of certificate files only the certificates are kept; beyond {@link MAX_CERTIFICATE_FILES} certificates the
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
    const stored =
      kind === 'certificate' ? storedCertificates(raw.bytes, raw.name) : { bytes: raw.bytes, privateKeys: 0 };
    const keys = stored.privateKeys > 0 ? { privateKeysRemoved: stored.privateKeys } : {};
    const size = raw.bytes.byteLength;
    if ('problem' in stored) {
      files.push({
        name: raw.name,
        kind,
        size,
        sha256: sha256(stored.problem),
        problem: stored.problem,
        ...keys,
      });
      continue;
    }
    files.push({
      name: raw.name,
      kind,
      size,
      sha256: sha256(stored.bytes),
      content: Buffer.from(stored.bytes).toString('base64'),
      ...keys,
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

/** How to produce each file, for remediation text. */
export const HOW_TO_EXPORT: Readonly<Record<ConfigFileKind, { what: string; command: string }>> = {
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

/** Where each file goes in the bucket. */
export const UPLOAD_NAME: Readonly<Record<ConfigFileKind, string>> = {
  'accepted-domains': `${CONFIG_PREFIX}${ACCEPTED_DOMAINS_FILE}`,
  connectors: `${CONFIG_PREFIX}${CONNECTORS_FILE}`,
  certificate: `${CONFIG_PREFIX}<server name>.pem`,
};

export function fileBytes(file: ConfigFile): Uint8Array {
  return Buffer.from(file.content ?? '', 'base64');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Configuration errors are data (a result); anything else is a bug and is thrown. */
function isInputError(error: unknown): boolean {
  return error instanceof RelayAuditError;
}

/** The configuration's files read as what they are, and those that could not be read. */
export interface ParsedConfig {
  acceptedDomains?: { list: AcceptedDomainList; file: string };
  connectors?: { list: InboundConnector[]; file: string };
  certificates?: CertificateFile[];
  invalid: { file: ConfigFile; message: string }[];
}

/** Reads each stored file as what its kind says; a file that cannot be read is listed in `invalid`. */
export function parseConfig(config: OrganisationConfig): ParsedConfig {
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

/**
 * The OnPremises inbound connectors traffic findings choose from (each finding names the one that
 * matters to it), or `undefined` when there are none (no file, an unreadable one, no OnPremises connector).
 */
export function organisationConnectors(
  config: OrganisationConfig | undefined,
): { connectors: InboundConnectorInfo[]; file: string } | undefined {
  const file = config?.files.find(
    (candidate) => candidate.kind === 'connectors' && candidate.content !== undefined,
  );
  if (file === undefined) return undefined;
  try {
    const connectors = onPremisesConnectors(parseInboundConnectors(fileBytes(file), file.name));
    return connectors.length === 0 ? undefined : { connectors, file: file.name };
  } catch (error) {
    if (!isInputError(error)) throw error;
    return undefined;
  }
}
