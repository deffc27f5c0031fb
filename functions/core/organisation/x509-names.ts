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
