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

/** The values of one attribute (`CN`) of a distinguished name as Node prints it (one per line). */
export function attributeValues(distinguishedName: string, attribute: string): string[] {
  const prefix = `${attribute}=`;
  return distinguishedName
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => {
      const value = line.slice(prefix.length);
      if (!value.startsWith('"')) return value;
      try {
        return JSON.parse(value) as string;
      } catch {
        return value;
      }
    });
}

/** One line for a distinguished name: `CN=mail.contoso.com, O=Contoso`. */
export function oneLine(distinguishedName: string): string {
  return distinguishedName.split('\n').join(', ');
}

/** Attribute names Windows (Exchange, `Get-ExchangeCertificate`) writes differently from OpenSSL and Node. */
const ATTRIBUTE_ALIASES: Readonly<Record<string, string>> = { S: 'ST', E: 'EMAILADDRESS' };

/** The other way round: what Windows writes for an attribute Node prints. */
const WINDOWS_ATTRIBUTES: Readonly<Record<string, string>> = { ST: 'S', emailAddress: 'E' };

/**
 * A distinguished name as Node prints it (one RDN a line, issuer-to-subject order) the way Windows
 * and Exchange print it (`Get-ExchangeCertificate`'s Issuer, the `<I>…<S>…` form): last RDN first,
 * `, ` between, `S=` for `ST=`; a value with a separator quoted.
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
      return `${WINDOWS_ATTRIBUTES[type] ?? type}=${shown}`;
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
      const type = part.slice(0, equals).trim().toUpperCase();
      const value = part
        .slice(equals + 1)
        .trim()
        .replace(/\s+/g, ' ')
        .toLowerCase();
      return `${ATTRIBUTE_ALIASES[type] ?? type}=${value}`;
    })
    .filter((part) => part !== '')
    .sort();
}

/**
 * Whether two distinguished names name the same entity, however Windows, OpenSSL or Node printed
 * them (case, spacing around `,` and `=`, RDN order, `S=`/`ST=`).
 */
export function sameDistinguishedName(a: string, b: string): boolean {
  const left = distinguishedNameParts(a);
  const right = distinguishedNameParts(b);
  return left.length === right.length && left.every((part, index) => part === right[index]);
}
