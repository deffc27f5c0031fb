/**
 * Format 4: message trace detail (`Get-MessageTraceDetail[V2]`). `Detail` carries the SMTP text,
 * e.g. `Reason: [{LED=550 5.7.64 …};{MSG=};…]`, or `Data` does when `Detail` has no status code;
 * the `Receive` row's `Data` names the envelope sender (trace-detail-data.ts). Addresses are often
 * absent: the classifier then takes them from a message trace row with the same trace id or
 * Message-ID, and the envelope sender from another detail row of the same trace id.
 */
import type { TraceEvent } from '../model/events.js';
import type { FormatAdapter } from './format-adapter.js';
import { type TraceExportNames, TraceExportRows } from './trace-export-rows.js';

const NAMES: TraceExportNames = {
  timestamp: 'Date',
  event: 'Event',
  detail: 'Detail',
  data: 'Data',
  sender: 'SenderAddress',
  recipient: 'RecipientAddress',
  fromIp: 'FromIP',
  messageId: 'MessageId',
  messageTraceId: 'MessageTraceId',
};

const LRT = '{LRT=';
/** The longest `{LRT=…}` value read: a date and time in any culture is well under this. */
const MAX_LRT_CHARS = 64;

/** The `{LRT=…}` of a status text (`…;{IP=52.101.1.1};{LRT=28.11.2026 22:15:03}]`), when not empty. */
function lastRetryTimeIn(status: string | undefined): string | undefined {
  const at = status?.indexOf(LRT) ?? -1;
  if (status === undefined || at < 0) return undefined;
  const from = at + LRT.length;
  const end = status.indexOf('}', from);
  const value = end < 0 || end - from > MAX_LRT_CHARS ? '' : status.slice(from, end).trim();
  return value === '' ? undefined : value;
}

/** A time of day as cultures write it: `22:15`, `22:15:03`, `10:15:03` (before `PM`), `22.15.03` (fi-FI). */
const TIME_OF_DAY = /^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$/;

/**
 * A date's numbers, whatever the culture's order and separators: `28.11.2026`, `11/28/2026` and
 * `2026/11/28` are all `11 26 28` (a year by its last two digits, as `28.11.26` writes it). The LRT
 * follows the language of the account that ran the cmdlet, the Date the PC's culture: the two may
 * differ. Two dates with the same numbers in another order are a month or more apart, and an LRT is
 * days from its row at most.
 */
function dateNumbers(tokens: readonly string[]): string {
  const numbers = tokens.join(' ').match(/\d+/g) ?? [];
  return numbers
    .map((number) => Number(number) % 100)
    .sort((a, b) => a - b)
    .join(' ');
}

/** The parts of a date and time text: its time of day, and its other tokens with digits (the date). */
function dateAndTime(
  text: string,
): { date: string; hour: number; minute: number; second?: number } | undefined {
  const tokens = text.trim().split(/\s+/);
  // The last token shaped as a time: a dotted date with a two-digit year (`28.11.26`) comes before it.
  const at = tokens.findLastIndex((token) => TIME_OF_DAY.test(token));
  const time = TIME_OF_DAY.exec(tokens[at] ?? '');
  if (time === null) return undefined;
  // Tokens without digits are the day-half designators (`PM`, `오후`, `下午`): the hour is compared ±12.
  const date = tokens.filter((token, index) => index !== at && /\d/.test(token));
  const [, hour = '', minute = '', second] = time;
  return {
    date: dateNumbers(date),
    hour: Number(hour),
    minute: Number(minute),
    ...(second === undefined ? {} : { second: Number(second) }),
  };
}

/**
 * The second of `lastRetry` (a detail's `{LRT=…}`, to the second) when it names the minute of `date`
 * (the row's own time, saved again by Excel without seconds): the same date in any culture's
 * writing, hour (12 apart when one of them is written with `PM` and the other in 24 hours, as Excel
 * en-US writes) and minute.
 * A failed row's LRT is its attempt's time, so that second is the one the original export had.
 */
export function secondOfSameMinute(date: string, lastRetry: string): number | undefined {
  const row = dateAndTime(date);
  const retry = dateAndTime(lastRetry);
  if (row === undefined || retry?.second === undefined || row.second !== undefined) return undefined;
  const hours = Math.abs(row.hour - retry.hour);
  const sameMinute = row.minute === retry.minute && (hours === 0 || hours === 12);
  return sameMinute && row.date === retry.date ? retry.second : undefined;
}

class MessageTraceDetailRows extends TraceExportRows {
  protected override eventOf(fields: readonly string[], timestamp: string, line: number): TraceEvent {
    const event = super.eventOf(fields, timestamp, line);
    // Only then: a row read with seconds keeps the finding id it always had (see `recipientOrStandIn`).
    // The row's Date was parsed just before (row-checks): a time without seconds was saved again by Excel.
    if (!this.context.timestamps.hadSeconds) {
      const lastRetryTime = lastRetryTimeIn(event.recipientStatus);
      const second =
        lastRetryTime === undefined
          ? undefined
          : secondOfSameMinute(this.value(fields, 'timestamp') ?? '', lastRetryTime);
      // The same minute: the row's second is known, and its id is the one the original export gives.
      if (second !== undefined) event.lostSecond = second;
      else if (lastRetryTime !== undefined) event.lastRetryTime = lastRetryTime;
    }
    return event;
  }
}

export const messageTraceDetail: FormatAdapter = {
  id: 'message-trace-detail',
  requiredHeaders: ['date', 'messageid', 'messagetraceid', 'event', 'detail'],
  createRowAdapter: (headers, context) => new MessageTraceDetailRows(headers, NAMES, context),
};
