/** The on-premises server a refused relay came from, as the rows name it. */
import type { TraceEvent } from '../model/events.js';

/** Exchange Online's own hosts: never the on-premises server. */
const MICROSOFT_HOST = /(?:\.outlook\.com|\.exchangelabs\.com|\.microsoft\.com)$/i;

/**
 * The on-premises server that tried to relay. On SEND/FAIL rows one of client-hostname and
 * server-hostname is the Exchange Online front end, so take the first that is not a Microsoft host.
 */
export function onPremisesHost(event: TraceEvent): string | undefined {
  for (const host of [event.clientHostname, event.serverHostname]) {
    if (host !== undefined && !MICROSOFT_HOST.test(host)) return host;
  }
  return undefined;
}
