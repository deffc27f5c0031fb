/**
 * The certificate lines of an Exchange SMTP send protocol log, in both forms Exchange writes
 * (docs/domain.md §3 format 7, §5):
 *
 * - one information line per value: `*,,Sending certificate`, then `*,"CN=…, O=…",Certificate subject`,
 *   `…,Certificate issuer name`, `…,Certificate serial number`, `…,Certificate thumbprint`,
 *   `…,Certificate alternate names` (and validity lines on some builds);
 * - one line whose context is `Sending certificate Subject Issuer name Serial number Thumbprint Not
 *   before Not after Subject alternate names` and whose data holds those values separated by spaces.
 *
 * Lines after `Received certificate` describe the remote's certificate and are not the server's.
 */

import { detach } from '../../kernel/strings.js';
import { isDnsName, normaliseName } from '../../organisation/host-names.js';
import type { PresentedCertificate } from '../model/events.js';

/** Bounds of what one certificate keeps (the schema's). */
const MAX_NAMES = 100;
const MAX_DN_CHARS = 1024;
const MAX_VALUE_CHARS = 128;

/** What an information line says about certificates. */
export type CertificateLine =
  /** `Sending certificate` alone: the next `Certificate …` lines describe the server's certificate. */
  | { kind: 'sending-start' }
  /** The one-line form: the whole certificate. */
  | { kind: 'sending-whole'; certificate: PresentedCertificate }
  /** `Received certificate…`: the next lines describe the remote's certificate. */
  | { kind: 'received-start' }
  /** One value of the one-line-per-value form. */
  | { kind: 'value'; field: CertificateField; value: string };

/** The values a certificate's lines give, in the order Exchange writes them. */
const CERTIFICATE_FIELDS = [
  'subject',
  'issuer',
  'serialNumber',
  'thumbprint',
  'notBefore',
  'notAfter',
  'alternateNames',
] as const;
export type CertificateField = (typeof CERTIFICATE_FIELDS)[number];
const FIELD_NAMES: ReadonlySet<string> = new Set(CERTIFICATE_FIELDS);

/** Context texts of the one-line-per-value form (compared lower-case, after `Certificate `). */
const VALUE_FIELDS: Readonly<Record<string, CertificateField>> = {
  subject: 'subject',
  'issuer name': 'issuer',
  issuer: 'issuer',
  'serial number': 'serialNumber',
  thumbprint: 'thumbprint',
  'alternate names': 'alternateNames',
  'subject alternate names': 'alternateNames',
  'not before': 'notBefore',
  'valid from': 'notBefore',
  'not after': 'notAfter',
  'valid to': 'notAfter',
  'expiration date': 'notAfter',
};

/** Reads an information row's `data` and `context`; `undefined` when it is not about certificates. */
export function certificateLine(data: string, context: string): CertificateLine | undefined {
  const lower = context.trim().toLowerCase();
  if (lower === 'sending certificate') {
    // Some builds write the marker in `data` with an empty context; both mean the same.
    return { kind: 'sending-start' };
  }
  if (lower.startsWith('sending certificate ')) {
    return { kind: 'sending-whole', certificate: parseOneLine(data) };
  }
  if (lower.startsWith('received certificate')) return { kind: 'received-start' };
  if (lower === '' && data.trim().toLowerCase() === 'sending certificate') return { kind: 'sending-start' };
  if (!lower.startsWith('certificate ')) return undefined;
  const field = VALUE_FIELDS[lower.slice('certificate '.length)];
  return field === undefined ? undefined : { kind: 'value', field, value: data.trim() };
}

/** Collects the values of the one-line-per-value form into a certificate. */
export class CertificateBuilder {
  private readonly values: Partial<Record<CertificateField, string>> = {};

  public add(field: CertificateField, value: string): void {
    if (value !== '' && this.values[field] === undefined) this.values[field] = value;
  }

  public build(): PresentedCertificate {
    return certificateOf(this.values);
  }
}

/** Whether `name` is a field of the one-line-per-value form (a value handed on between logs names it). */
export function isCertificateField(name: string): name is CertificateField {
  return FIELD_NAMES.has(name);
}

/**
 * The certificate whose value lines a log rollover cut: `certificate` as the earlier log built it from
 * the lines it had (none: only `Sending certificate`), with the values that went on in the next log.
 * The earlier log's values stand; each field is written once.
 */
export function continuedCertificate(
  certificate: PresentedCertificate | undefined,
  values: readonly { field: CertificateField; value: string }[],
): PresentedCertificate {
  const builder = new CertificateBuilder();
  if (certificate !== undefined) {
    for (const field of CERTIFICATE_FIELDS) {
      const value = certificate[field];
      builder.add(field, Array.isArray(value) ? value.join(';') : (value ?? ''));
    }
  }
  for (const { field, value } of values) builder.add(field, value);
  return builder.build();
}

/** A 40-hex SHA-1 thumbprint (Exchange writes it upper-case, without separators). */
const THUMBPRINT = /^[0-9A-Fa-f]{40}$/;
const HEX = /^[0-9A-Fa-f]+$/;
/** Where an issuer DN starts after a subject DN: a space not after a comma, then `ATTR=`. */
const DN_BOUNDARY = /(?<!,) (?=(?:CN|OU|O|L|S|ST|C|E|DC|SERIALNUMBER|STREET|PostalCode)=)/;

/**
 * The one-line form: subject, issuer, serial number, thumbprint, the two dates, alternate names.
 * Subject and issuer contain spaces themselves, so the line is read around its thumbprint: the DNs
 * before the serial number, which comes just before it; the two dates after it and, last, the
 * `;`-separated alternate names. What cannot be placed is left out rather than guessed.
 */
function parseOneLine(data: string): PresentedCertificate {
  const tokens = data
    .trim()
    .split(/\s+/)
    .filter((token) => token.length > 0);
  const at = thumbprintAt(tokens);
  const values: Partial<Record<CertificateField, string>> = {};
  if (at < 0) {
    // No thumbprint: keep the DNs' names and any name list; the rest cannot be placed.
    const last = tokens.at(-1);
    values.subject = tokens.join(' ');
    if (last?.includes(';')) values.alternateNames = last;
    return certificateOf(values);
  }
  const thumbprint = tokens[at];
  if (thumbprint !== undefined) values.thumbprint = thumbprint;
  let dnEnd = at;
  const serial = tokens[at - 1];
  if (serial !== undefined && HEX.test(serial) && !serial.includes('=')) {
    values.serialNumber = serial;
    dnEnd = at - 1;
  }
  const names = tokens.slice(0, dnEnd).join(' ');
  const boundary = names.search(DN_BOUNDARY);
  if (boundary > 0) {
    values.subject = names.slice(0, boundary);
    values.issuer = names.slice(boundary + 1);
  } else if (names !== '') {
    values.subject = names;
  }
  const after = tokens.slice(at + 1);
  const last = after.at(-1);
  if (last !== undefined && isNameList(last)) {
    values.alternateNames = last;
    after.pop();
  }
  // The two dates take the same number of tokens (`2026-06-01T00:00:00Z`, `6/1/2026 12:00:00 AM`).
  if (after.length > 0 && after.length % 2 === 0) {
    values.notBefore = after.slice(0, after.length / 2).join(' ');
    values.notAfter = after.slice(after.length / 2).join(' ');
  }
  return certificateOf(values);
}

/**
 * Where the thumbprint is (-1: nowhere). It is the first 40-hex token only when the serial number is
 * shorter: a serial number is 1 to 20 bytes, so it may be 40 hex too. Serial number and thumbprint
 * are the only hex tokens in a row (a date is never hex), so the thumbprint ends that run.
 */
function thumbprintAt(tokens: readonly string[]): number {
  const first = tokens.findIndex((token) => THUMBPRINT.test(token));
  if (first < 0) return -1;
  let last = first;
  while (last + 1 < tokens.length && HEX.test(tokens[last + 1] as string)) last++;
  // A run that ends in something else than a thumbprint is not the expected shape: keep the first.
  return THUMBPRINT.test(tokens[last] as string) ? last : first;
}

/** A `;`-separated list of DNS names (or one name), not a date or time token. */
function isNameList(token: string): boolean {
  return token.split(';').some((name) => name !== '' && /[a-z]/i.test(name) && isDnsName(name));
}

function certificateOf(values: Partial<Record<CertificateField, string>>): PresentedCertificate {
  const alternateNames = dnsNames(values.alternateNames);
  const certificate: PresentedCertificate = {
    names: [...new Set([...commonNames(values.subject), ...alternateNames])].slice(0, MAX_NAMES),
    alternateNames,
  };
  const keep = (value: string | undefined, max: number): string | undefined =>
    value === undefined ? undefined : detach(value.length > max ? value.slice(0, max) : value);
  const subject = keep(values.subject, MAX_DN_CHARS);
  const issuer = keep(values.issuer, MAX_DN_CHARS);
  const serialNumber = keep(values.serialNumber, MAX_VALUE_CHARS);
  const thumbprint = keep(values.thumbprint, MAX_VALUE_CHARS);
  const notBefore = keep(values.notBefore, 64);
  const notAfter = keep(values.notAfter, 64);
  if (subject !== undefined) certificate.subject = subject;
  if (issuer !== undefined) certificate.issuer = issuer;
  if (serialNumber !== undefined) certificate.serialNumber = serialNumber;
  if (thumbprint !== undefined) certificate.thumbprint = thumbprint.toUpperCase();
  if (notBefore !== undefined) certificate.notBefore = notBefore;
  if (notAfter !== undefined) certificate.notAfter = notAfter;
  return certificate;
}

/** DNS-name CN values of a one-line DN (`CN=mail.contoso.com, O=Contoso`). */
function commonNames(subject: string | undefined): string[] {
  const names: string[] = [];
  for (const match of (subject ?? '').matchAll(/(?:^|[,\s])CN=([^,]+)/gi)) {
    const name = normaliseName(match[1] ?? '');
    if (isDnsName(name)) names.push(detach(name));
  }
  return names;
}

/** The DNS names of an alternate-names value (`;`-separated; some builds write `DNS Name=` before each). */
function dnsNames(alternateNames: string | undefined): string[] {
  const names = new Set<string>();
  for (const entry of (alternateNames ?? '').split(/[;,]/)) {
    for (const raw of entry.replace(/^\s*dns(?:\s*name)?\s*[:=]\s*/i, '').split(/\s+/)) {
      const name = normaliseName(raw);
      if (name !== '' && isDnsName(name) && names.size < MAX_NAMES) names.add(detach(name));
    }
  }
  return [...names];
}
