/**
 * Whether an IP address a log names is on the internet: what tells a hop that leaves the organisation
 * (a SEND to Exchange Online or to a partner's server) from one between its own servers, which use
 * private, loopback or link-local addresses (RFC 1918, RFC 6598, RFC 4193, RFC 3927).
 */

/** IPv4 ranges that are no internet address, as [first octet, second octet from, second octet to]. */
const NOT_PUBLIC_V4: readonly (readonly [number, number, number])[] = [
  [0, 0, 255],
  [10, 0, 255],
  [100, 64, 127],
  [127, 0, 255],
  [169, 254, 254],
  [172, 16, 31],
  [192, 168, 168],
];

/** True for an internet address, false for a private one; `undefined` when `ip` is none (or absent). */
export function isPublicAddress(ip: string | undefined): boolean | undefined {
  if (ip === undefined) return undefined;
  const text = ip.trim().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text)?.[1];
  if (mapped !== undefined || text.includes('.')) return isPublicV4(mapped ?? text);
  return text.includes(':') ? isPublicV6(text.toLowerCase()) : undefined;
}

function isPublicV4(text: string): boolean | undefined {
  const octets = text.split('.');
  if (octets.length !== 4 || !octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255))
    return undefined;
  const [a, b] = octets.map(Number) as [number, number];
  return !NOT_PUBLIC_V4.some(([first, from, to]) => a === first && b >= from && b <= to);
}

function isPublicV6(text: string): boolean | undefined {
  if (!/^[0-9a-f:]+$/.test(text) || !text.includes(':')) return undefined;
  if (text === '::1' || text === '::') return false;
  // fc00::/7 unique local, fe80::/10 link-local.
  return !/^f[cd][0-9a-f]{0,2}:/.test(text) && !/^fe[89ab][0-9a-f]?:/.test(text);
}
