/**
 * What to tell of a server that reached Exchange Online over IPv6 (`ctx.overIpv6`): an OnPremises
 * inbound connector's SenderIPAddresses takes IPv4 addresses only, so while the server connects over
 * IPv6 no connector can match it by its address. Every template that would have it matched by IP
 * address says so with these words, and how to make it connect over IPv4, in its own software.
 */
import type { RemediationContext } from './context.js';
import { RELAY_SOFTWARE, WINDOWS_PREFER_IPV4 } from './relay-software.js';

/** How the server's own software connects over IPv4: a relay's setting, else Windows' (Exchange). */
function preferIpv4(ctx: Pick<RemediationContext, 'relay'>): { step: string; commands: readonly string[] } {
  if (ctx.relay === undefined)
    return { step: WINDOWS_PREFER_IPV4.step, commands: [WINDOWS_PREFER_IPV4.command] };
  const software = RELAY_SOFTWARE[ctx.relay];
  return { step: software.ipv4Step, commands: software.ipv4Commands };
}

/**
 * The sentence saying why no connector matches `server` by IP address and what to do instead, or
 * `undefined` when the connection was not seen to go over IPv6.
 */
export function ipv6Sentence(
  ctx: Pick<RemediationContext, 'overIpv6' | 'relay'>,
  server: string,
): string | undefined {
  if (ctx.overIpv6 !== true) return undefined;
  return (
    `The log shows ${server} reached Exchange Online over IPv6, and SenderIPAddresses takes IPv4 addresses ` +
    'only: no inbound connector can match it by IP address while it connects over IPv6. Identify it by ' +
    `certificate instead, or ${preferIpv4(ctx).step}; then list the public IPv4 address it connects from.`
  );
}

/** The commands of {@link ipv6Sentence}'s IPv4 choice (none when the connection was not over IPv6). */
export function ipv4Commands(ctx: Pick<RemediationContext, 'overIpv6' | 'relay'>): readonly string[] {
  return ctx.overIpv6 === true ? preferIpv4(ctx).commands : [];
}
