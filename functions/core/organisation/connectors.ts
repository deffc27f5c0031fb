/**
 * Exchange Online inbound connectors from `Get-InboundConnector | ConvertTo-Json`, parsed with zod
 * into a plain {@link InboundConnector}. Tolerates what PowerShell really writes (see
 * `powershell-json.ts`) and rejects anything of another shape with a {@link ConfigFileError}
 * that names the file, the connector and the field.
 */
import { z } from 'zod';
import { firstIssue } from '../kernel/issues.js';
import { configText } from './config-text.js';
import type { InboundConnectorInfo } from './connector-info.js';
import { ConfigFileError } from './errors.js';
import { describeJson, isTypeName, PsBoolean, PsMultiValue, psEnum } from './powershell-json.js';

/** What `--connectors` must contain, for error messages. */
export const CONNECTORS_EXPECTED =
  'the output of Get-InboundConnector | ConvertTo-Json: one connector object or an array of them, each with Name and ConnectorType';

/** `Microsoft.Exchange.Data.TenantConnectorType` (OnPremises = 1, Partner = 2). */
const ConnectorType = psEnum({ 1: 'OnPremises', 2: 'Partner' });
/** `Microsoft.Exchange.Data.TenantConnectorSource` (newer versions add AdminUI; kept as text). */
const ConnectorSource = psEnum({ 0: 'Default', 1: 'Migrated', 2: 'HybridWizard', 3: 'AdminUI' });

/** Properties of a `TlsCertificate` object that hold the name, in the order they are tried. */
const CERTIFICATE_NAME_KEYS = ['CertificateDomain', 'TlsCertificateName', 'CertificateName', 'Name', 'Value'];
const CERTIFICATE_SUBJECT_KEYS = ['CertificateSubject', 'Subject'];

/** The CN of an X.500 name (`CN=mail.contoso.com, O=Contoso`), or `undefined`. */
function commonNameOf(subject: string): string | undefined {
  return /(?:^|[,/\s])CN=([^,/]+)/i.exec(subject)?.[1]?.trim();
}

/** A domain-style certificate name, lower-case, without a final dot. */
function normaliseCertificateName(text: string): string | undefined {
  const name = text.trim().toLowerCase().replace(/\.$/, '');
  return name === '' ? undefined : name;
}

/** What `TlsSenderCertificateName` says: the name, and in the X.500 form the issuer and subject it pins. */
interface CertificatePin {
  name: string | undefined;
  /** `<I>…`: the issuer DN the X.500 form pins, as written. */
  issuer?: string;
  /** The subject DN of the X.500 form (after `<S>`), or a subject given alone, as written. */
  subject?: string;
}

/**
 * The certificate name in one of the text forms: the domain form (`*.contoso.com`), the X.500 form a
 * `TlsCertificate` prints as (`<I>CN=Issuer<S>CN=mail.contoso.com`), or a subject (`CN=…, O=…`),
 * whose CN is the name. The X.500 form pins the issuer too (a certificate from another CA does not
 * match it), so the issuer and the whole subject are kept.
 */
function certificatePinOf(text: string): CertificatePin {
  const issuerStart = text.indexOf('<I>');
  const subjectStart = text.indexOf('<S>');
  const subject = (subjectStart >= 0 ? text.slice(subjectStart + 3) : text).trim();
  const issuer =
    issuerStart >= 0 && subjectStart > issuerStart ? text.slice(issuerStart + 3, subjectStart).trim() : '';
  const pinned = issuer === '' ? {} : { issuer };
  if (/(?:^|[,/\s])CN=/i.test(subject)) {
    const cn = commonNameOf(subject);
    return { name: cn === undefined ? undefined : normaliseCertificateName(cn), ...pinned, subject };
  }
  return { name: normaliseCertificateName(subjectStart >= 0 ? subject : text), ...pinned };
}

/** Properties of a `TlsCertificate` object that hold the pinned issuer. */
const CERTIFICATE_ISSUER_KEYS = ['CertificateIssuer', 'Issuer'];

/**
 * `TlsSenderCertificateName`: `null`, a text form ({@link certificatePinOf}), or — from a deep
 * `ConvertTo-Json` — the `TlsCertificate` object itself, whose name properties hold the same forms.
 */
const TlsSenderCertificateName = z
  .unknown()
  .optional()
  .transform((value, ctx): CertificatePin => {
    if (value === null || value === undefined) return { name: undefined };
    if (typeof value === 'string') {
      const text = value.trim();
      if (isTypeName(text)) {
        ctx.addIssue({
          code: 'custom',
          message: `is the .NET type name "${text}", not data: export again with ConvertTo-Json -Depth 5`,
        });
        return z.NEVER;
      }
      return certificatePinOf(text);
    }
    if (typeof value === 'object' && !Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      for (const key of CERTIFICATE_NAME_KEYS) {
        const field = record[key];
        if (typeof field === 'string' && field.trim() !== '') return certificatePinOf(field.trim());
      }
      const text = (keys: readonly string[]): string | undefined =>
        keys
          .map((key) => record[key])
          .find((field): field is string => typeof field === 'string' && field.trim() !== '');
      const subject = text(CERTIFICATE_SUBJECT_KEYS);
      const cn = subject === undefined ? undefined : commonNameOf(subject);
      if (subject !== undefined && cn !== undefined) {
        const issuer = text(CERTIFICATE_ISSUER_KEYS)?.trim();
        return {
          name: normaliseCertificateName(cn),
          ...(issuer === undefined ? {} : { issuer }),
          subject: subject.trim(),
        };
      }
    }
    ctx.addIssue({
      code: 'custom',
      message: `is ${describeJson(value)}, expected a certificate domain such as *.contoso.com or null`,
    });
    return z.NEVER;
  });

/** `SenderDomains` from a remote session print as address spaces: `smtp:*;1` → `*`. */
function senderDomain(value: string): string {
  return value.replace(/^smtp:/i, '').replace(/;\d+$/, '');
}

const RawInboundConnector = z.looseObject({
  Name: z.string().trim().min(1, 'is empty'),
  Enabled: PsBoolean,
  ConnectorType: ConnectorType,
  ConnectorSource: ConnectorSource.nullable().optional(),
  SenderIPAddresses: PsMultiValue,
  SenderDomains: PsMultiValue,
  RequireTls: PsBoolean,
  TlsSenderCertificateName: TlsSenderCertificateName,
  RestrictDomainsToCertificate: PsBoolean,
  RestrictDomainsToIPAddresses: PsBoolean,
  CloudServicesMailEnabled: PsBoolean,
  AssociatedAcceptedDomains: PsMultiValue,
});

/** One inbound connector as the readiness checks see it. */
export interface InboundConnector {
  name: string;
  /** `Enabled`; an export without the property counts as enabled. */
  enabled: boolean;
  connectorType: z.infer<typeof ConnectorType>;
  connectorSource: z.infer<typeof ConnectorSource> | undefined;
  /** IPv4 addresses or ranges (`203.0.113.25`, `203.0.113.0/24`). */
  senderIPAddresses: string[];
  /** `*`, `contoso.com`, … (address-space decoration removed). */
  senderDomains: string[];
  /** `undefined` when the export did not say. */
  requireTls: boolean | undefined;
  /** Lower-case certificate domain (`*.contoso.com`, `mail.contoso.com`), `undefined` when none. */
  tlsSenderCertificateName: string | undefined;
  /**
   * The issuer DN the X.500 form (`<I>issuer<S>subject`) pins, as written: a certificate from
   * another CA does not match the connector. Absent for the domain form, which pins no issuer.
   */
  tlsSenderCertificateIssuer?: string;
  /** The subject DN of the X.500 form, as written (for the command that pins a new issuer). */
  tlsSenderCertificateSubject?: string;
  restrictDomainsToCertificate: boolean | undefined;
  restrictDomainsToIPAddresses: boolean | undefined;
  cloudServicesMailEnabled: boolean | undefined;
  associatedAcceptedDomains: string[];
}

/** Says which other export a JSON object looks like, to make the error message actionable. */
function lookalike(item: Record<string, unknown>): string {
  if ('DomainName' in item) return ' (it looks like Get-AcceptedDomain output)';
  if ('RecipientDomains' in item || 'SmartHosts' in item)
    return ' (it looks like Get-OutboundConnector output)';
  if ('Bindings' in item || 'RemoteIPRanges' in item) return ' (it looks like Get-ReceiveConnector output)';
  if ('Thumbprint' in item) return ' (it looks like a certificate export)';
  return '';
}

/** The connector objects of the document: a single object, an array, or a `{ value: [...] }` wrapper. */
function connectorItems(document: unknown, file: string): unknown[] {
  if (Array.isArray(document)) return document;
  if (typeof document === 'object' && document !== null) {
    const wrapped = (document as { value?: unknown }).value;
    if (Array.isArray(wrapped) && !('Name' in document)) return wrapped;
    return [document];
  }
  throw new ConfigFileError(file, `the JSON is ${describeJson(document)}`, CONNECTORS_EXPECTED);
}

/**
 * Parses the text or bytes of a `Get-InboundConnector | ConvertTo-Json` export. `file` names the
 * input in error messages. An empty array is valid: the tenant has no inbound connectors.
 */
export function parseInboundConnectors(input: string | Uint8Array, file: string): InboundConnector[] {
  const text = configText(input, file, CONNECTORS_EXPECTED);
  if (text.trim() === '') throw new ConfigFileError(file, 'the file is empty', CONNECTORS_EXPECTED);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const csv = /^"?[A-Za-z]+"?[,;]"?[A-Za-z]/.test(text.trimStart())
      ? '; it looks like CSV (Export-Csv)'
      : '';
    throw new ConfigFileError(file, `not valid JSON (${reason})${csv}`, CONNECTORS_EXPECTED, {
      cause: error,
    });
  }
  return connectorItems(document, file).map((item, index) => {
    const position = `connector ${index + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new ConfigFileError(file, `${position} is ${describeJson(item)}`, CONNECTORS_EXPECTED);
    }
    const parsed = RawInboundConnector.safeParse(item);
    if (!parsed.success) {
      const { field, message, issue } = firstIssue(parsed.error, { whole: 'value' });
      const record = item as Record<string, unknown>;
      const name = typeof record.Name === 'string' ? ` ("${record.Name}")` : '';
      const missing = issue !== undefined && !(String(issue.path[0]) in record);
      const problem = missing ? `has no ${field}` : `field ${field} ${message}`;
      throw new ConfigFileError(
        file,
        `${position}${name} ${problem}${lookalike(record)}`,
        CONNECTORS_EXPECTED,
      );
    }
    const raw = parsed.data;
    return {
      name: raw.Name,
      enabled: raw.Enabled ?? true,
      connectorType: raw.ConnectorType,
      connectorSource: raw.ConnectorSource ?? undefined,
      senderIPAddresses: raw.SenderIPAddresses,
      senderDomains: raw.SenderDomains.map(senderDomain),
      requireTls: raw.RequireTls,
      tlsSenderCertificateName: raw.TlsSenderCertificateName.name,
      ...(raw.TlsSenderCertificateName.issuer === undefined
        ? {}
        : { tlsSenderCertificateIssuer: raw.TlsSenderCertificateName.issuer }),
      ...(raw.TlsSenderCertificateName.subject === undefined
        ? {}
        : { tlsSenderCertificateSubject: raw.TlsSenderCertificateName.subject }),
      restrictDomainsToCertificate: raw.RestrictDomainsToCertificate,
      restrictDomainsToIPAddresses: raw.RestrictDomainsToIPAddresses,
      cloudServicesMailEnabled: raw.CloudServicesMailEnabled,
      associatedAcceptedDomains: raw.AssociatedAcceptedDomains,
    };
  });
}

/** True for a connector of type OnPremises (the only type that attributes relayed mail). */
export function isOnPremises(connector: InboundConnector): boolean {
  return connector.connectorType === 'OnPremises';
}

/** How a connector recognises the sending server. */
export function identifiesBy(connector: InboundConnector): 'certificate' | 'ip' | 'nothing' {
  if (connector.tlsSenderCertificateName !== undefined) return 'certificate';
  return connector.senderIPAddresses.length > 0 ? 'ip' : 'nothing';
}

/**
 * The connector as the remediation pack describes it (`InboundConnectorInfo`), so traffic findings
 * can name the organisation's real connector.
 */
export function toInboundConnectorInfo(connector: InboundConnector): InboundConnectorInfo {
  return {
    name: connector.name,
    enabled: connector.enabled,
    identifiesBy: identifiesBy(connector) === 'certificate' ? 'certificate' : 'ip',
    ...(connector.tlsSenderCertificateName === undefined
      ? {}
      : { tlsSenderCertificateName: connector.tlsSenderCertificateName }),
    ...(connector.tlsSenderCertificateName === undefined || connector.tlsSenderCertificateIssuer === undefined
      ? {}
      : {
          tlsSenderCertificateIssuer: connector.tlsSenderCertificateIssuer,
          ...(connector.tlsSenderCertificateSubject === undefined
            ? {}
            : { tlsSenderCertificateSubject: connector.tlsSenderCertificateSubject }),
        }),
  };
}

/**
 * The certificate a connector expects, for connector listings: `*.google.com`, or with the issuer an
 * X.500 name pins `*.google.com (issuer CN=GTS CA 1C3, O=…)`, so the admin sees the pin.
 */
export function expectedCertificateText(connector: {
  tlsSenderCertificateName?: string | undefined;
  tlsSenderCertificateIssuer?: string | undefined;
}): string {
  const name = connector.tlsSenderCertificateName ?? '';
  const issuer = connector.tlsSenderCertificateIssuer;
  return issuer === undefined ? name : `${name} (issuer ${issuer})`;
}
