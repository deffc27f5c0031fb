/** The on-premises server a refused relay came from, as the rows name it. */
import type { TraceEvent } from '../model/events.js';

/** Exchange Online's own hosts: never the on-premises server (`….mx.microsoft`: the MX endpoints since 2024). */
const MICROSOFT_HOST = /(?:\.outlook\.com|\.exchangelabs\.com|\.microsoft\.com|\.mx\.microsoft)\.?$/i;

/** True for a host name of Exchange Online's. */
export function isMicrosoftHost(host: string): boolean {
  return MICROSOFT_HOST.test(host);
}

/**
 * The on-premises server that tried to relay. On SEND/FAIL rows one of client-hostname and
 * server-hostname is the Exchange Online front end, so take the first that is not a Microsoft host.
 */
export function onPremisesHost(event: TraceEvent): string | undefined {
  for (const host of [event.clientHostname, event.serverHostname]) {
    if (host !== undefined && !isMicrosoftHost(host)) return host;
  }
  return undefined;
}
