/**
 * Reading names out of Node's `X509Certificate` strings. Node prints the subject as
 * `CN=mail.contoso.com\nO=Contoso` and the SAN as `DNS:mail.contoso.com, DNS:*.contoso.com`, and
 * JSON-quotes a value that contains a separator (`DNS:"a, b"`) — handled here so nothing splits a
 * quoted value.
 */

/** Splits Node's `key:value, key:value` SAN text into entries, honouring JSON-quoted values. */
function subjectAltNameEntries(text: string): { type: string; value: string }[] {
  const entries: { type: string; value: string }[] = [];
  const pattern = /\s*([A-Za-z][A-Za-z ]*):("(?:[^"\\]|\\.)*"|[^,]*)(?:,|$)/gy;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const [, type = '', raw = ''] = match;
    let value = raw.trim();
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        // Keep the text as printed.
      }
    }
    entries.push({ type, value });
    if (pattern.lastIndex >= text.length) break;
  }
  return entries;
}

/** The DNS names of a certificate's subjectAltName (as Node prints it), lower-case. */
export function dnsNamesOf(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined) return [];
  return subjectAltNameEntries(subjectAltName)
    .filter((entry) => entry.type === 'DNS')
    .map((entry) => entry.value.toLowerCase());
}

/**
 * The values of one attribute (`CN`) of a distinguished name as Node prints it (one per line). Node
 * escapes as RFC 2253 does (`O=GoDaddy.com\, Inc.`, a control character as `\0A`) or JSON-quotes;
 * the value comes back as the certificate holds it.
 */
export function attributeValues(distinguishedName: string, attribute: string): string[] {
  const prefix = `${attribute}=`;
  return distinguishedName
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => {
      const value = line.slice(prefix.length);
      if (!value.startsWith('"')) return unescapeRfc2253(value);
      try {
        return JSON.parse(value) as string;
      } catch {
        return value;
      }
    });
}

/** `GoDaddy.com\, Inc.` → `GoDaddy.com, Inc.`: a backslash before a character or two hex digits. */
function unescapeRfc2253(value: string): string {
  return value.replace(/\\([0-9A-Fa-f]{2}|[\s\S])/g, (_, escaped: string) =>
    escaped.length === 2 ? String.fromCharCode(Number.parseInt(escaped, 16)) : escaped,
  );
}

/** One line for a distinguished name: `CN=mail.contoso.com, O=Contoso`. */
export function oneLine(distinguishedName: string): string {
  return distinguishedName.split('\n').join(', ');
}

/**
 * Attribute types by the names they are printed under, to their OID. Windows (Exchange,
 * `Get-ExchangeCertificate`) writes `S` and `E`, and `OID.<dotted>` for a type it has no name for
 * (organizationIdentifier, businessCategory, the EV jurisdiction attributes); OpenSSL and Node write
 * their short name, or the bare dotted OID when they have none.
 */
const ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  SERIALNUMBER: '2.5.4.5',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  S: '2.5.4.8',
  STREET: '2.5.4.9',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  BUSINESSCATEGORY: '2.5.4.15',
  POSTALCODE: '2.5.4.17',
  ORGANIZATIONIDENTIFIER: '2.5.4.97',
  EMAILADDRESS: '1.2.840.113549.1.9.1',
  E: '1.2.840.113549.1.9.1',
  DC: '0.9.2342.19200300.100.1.25',
  JURISDICTIONL: '1.3.6.1.4.1.311.60.2.1.1',
  JURISDICTIONST: '1.3.6.1.4.1.311.60.2.1.2',
  JURISDICTIONC: '1.3.6.1.4.1.311.60.2.1.3',
};

/** An attribute type however it is printed (`S`, `ST`, `OID.2.5.4.97`, `2.5.4.97`), as one key. */
function attributeKey(type: string): string {
  const upper = type.trim().toUpperCase();
  const dotted = /^OID\.(\d+(?:\.\d+)+)$/.exec(upper)?.[1] ?? upper;
  return ATTRIBUTE_OIDS[dotted] ?? dotted;
}

/** What Windows writes for an attribute Node prints, where the two differ. */
const WINDOWS_ATTRIBUTES: Readonly<Record<string, string>> = {
  ST: 'S',
  emailAddress: 'E',
  serialNumber: 'SERIALNUMBER',
  organizationIdentifier: 'OID.2.5.4.97',
  businessCategory: 'OID.2.5.4.15',
  jurisdictionL: 'OID.1.3.6.1.4.1.311.60.2.1.1',
  jurisdictionST: 'OID.1.3.6.1.4.1.311.60.2.1.2',
  jurisdictionC: 'OID.1.3.6.1.4.1.311.60.2.1.3',
};

/** Windows' name for an attribute type Node printed: its own spelling, or `OID.` before a bare OID. */
function windowsAttribute(type: string): string {
  return WINDOWS_ATTRIBUTES[type] ?? (/^\d+(?:\.\d+)+$/.test(type) ? `OID.${type}` : type);
}

/**
 * A distinguished name as Node prints it (one RDN a line, issuer-to-subject order) the way Windows
 * and Exchange print it (`Get-ExchangeCertificate`'s Issuer, the `<I>…<S>…` form): last RDN first,
 * `, ` between, `S=` for `ST=`, `OID.2.5.4.97=` for organizationIdentifier; a value with a separator
 * quoted, without Node's backslash escapes.
 */
export function windowsDistinguishedName(distinguishedName: string): string {
  return distinguishedName
    .split('\n')
    .reverse()
    .map((line) => {
      const equals = line.indexOf('=');
      if (equals < 0) return line;
      const type = line.slice(0, equals);
      const [value] = attributeValues(line, type);
      const text = value ?? '';
      const shown = /[,;+"=]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
      return `${windowsAttribute(type)}=${shown}`;
    })
    .join(', ');
}

/**
 * The attribute-value pairs of a distinguished name in any printed form — Windows and Exchange
 * `CN=GTS CA 1C3, O=Google Trust Services LLC, C=US`, OpenSSL `C = US, O = …, CN = GTS CA 1C3`, Node
 * one per line, OpenSSL's old `/C=US/O=…` — as `TYPE=value`, lower-cased, in a fixed order: the
 * forms differ in RDN order, spacing and case. Quoted values (`O="Contoso, Ltd"`) stay one value.
 */
function distinguishedNameParts(distinguishedName: string): string[] {
  const text = distinguishedName.trim();
  const separators = text.startsWith('/') && !/[,\n]/.test(text) ? '/' : ',;+\n';
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (char === '\\' && index + 1 < text.length) {
      current += text[++index];
    } else if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && separators.includes(char)) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts
    .map((part) => {
      const equals = part.indexOf('=');
      if (equals < 0) return part.trim().replace(/\s+/g, ' ').toLowerCase();
      const type = attributeKey(part.slice(0, equals));
      const value = part
        .slice(equals + 1)
        .trim()
        .replace(/\s+/g, ' ')
        .toLowerCase();
      return `${type}=${value}`;
    })
    .filter((part) => part !== '')
    .sort();
}

/**
 * Whether two distinguished names name the same entity, however Windows, OpenSSL or Node printed
 * them (case, spacing around `,` and `=`, RDN order, `S=`/`ST=`, `OID.2.5.4.97=`/`organizationIdentifier=`).
 */
export function sameDistinguishedName(a: string, b: string): boolean {
  const left = distinguishedNameParts(a);
  const right = distinguishedNameParts(b);
  return left.length === right.length && left.every((part, index) => part === right[index]);
}
