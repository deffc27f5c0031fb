/**
 * When a Postfix message arrived, and whether a line under its queue id in another file can be of it.
 * Postfix reuses a short queue id once the queue file that had it is gone, so two files of a run far
 * apart in time (`mail.log.3` and `mail.log.1`) may name two messages by one id: the arrival tells
 * them apart. Used by the mail-log reader to pair delivery lines across files (formats/mta-log.ts)
 * and by the classifier to give a refusal the sender of its queued message (queued-sender.ts).
 */

/**
 * How far apart two readings of a Postfix message's arrival time may be: syslog times are whole
 * seconds (up to 1 s early) and `delay=` is rounded (to the second past 10 s), so one line's time less
 * its delay is up to 1.5 s before the arrival and 0.5 s after it.
 */
const ARRIVAL_SLACK_MS = 2_000;

/**
 * When a message arrived, as a Postfix delivery line's `delay=` says (the time since the message
 * arrived, on every delivery attempt): the line's time less it; `undefined` when the line has none.
 */
export function delayArrival(timestamp: string, text: string): string | undefined {
  const delay = /, delay=(\d+(?:\.\d+)?),/.exec(text)?.[1];
  if (delay === undefined) return undefined;
  return new Date(Date.parse(timestamp) - Math.round(Number(delay) * 1000)).toISOString();
}

/**
 * Whether a Postfix message that arrived at `arrival` (delayArrival; `undefined`: not known) can be the
 * message of a line dated `seen` under the same queue id in another file. Postfix reuses a short queue
 * id only once the queue file that had it is gone: a message there by then is that one, and one that
 * arrived later is another message under the id (two days later, a rotation between the files missing
 * from the run).
 */
export function arrivedBy(arrival: string | undefined, seen: string): boolean {
  return arrival === undefined || Date.parse(arrival) <= Date.parse(seen) + ARRIVAL_SLACK_MS;
}
