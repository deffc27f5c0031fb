/**
 * Message trace as JSON (docs/domain.md "Message trace as JSON"): Microsoft Graph
 * `/admin/exchange/tracing/messageTraces` pages and `getDetailsByRecipient` pages saved as files,
 * `Get-MessageTrace[V2]` / `Get-MessageTraceDetail[V2] | ConvertTo-Json` (an array, or one object
 * when there was one result), Reporting Web Service JSON (`d.results`) and NDJSON from log
 * shippers. Records become the same events as the CSV exports (message-trace.ts,
 * message-trace-detail.ts): a trace record is context, a detail record carries the refusal text.
 *
 * Each record is a row: validated with zod after its keys are lower-cased (Graph writes camelCase,
 * PowerShell PascalCase); a record that fails is skipped with its line and why. A record is also the
 * `@{…}` text PowerShell writes for one past `ConvertTo-Json -Depth` (`$pages | ConvertTo-Json` at
 * the default depth 2): a detail's is read like its object, any other is skipped.
 *
 * A record read that gave no relay refusal, yet holds relay-refusal text somewhere it was not read
 * from (a form of nesting not read), is skipped as REFUSAL_NOT_READ, as the CSV message trace's row
 * is (message-trace.ts): the file then fails naming its line rather than say "no relay refusals".
 */

import { z } from 'zod';
import { firstIssue } from '../../kernel/issues.js';
import { quoteText } from '../../kernel/strings.js';
import { parseWellFormedJson } from '../../text/well-formed.js';
import { refusalMarkerIn, relayRejectionIn } from '../evidence/rejections.js';
import { skipOf, skipSearched } from '../input/unread-refusals.js';
import type { TraceEvent } from '../model/events.js';
import { setTraceFields, traceSender } from './csv-row-adapter.js';
import type { SkipReason } from './format-adapter.js';
import { type JsonRecordHandler, JsonRecordScanner } from './json-records.js';
import { isTraceDetail, traceDetailText, traceFieldName } from './powershell-object-text.js';
import { SinkReader, type TextContext, type TextFormat, type TextHead } from './text-format.js';
import { detailStatus, returnPathIn } from './trace-detail-data.js';
import { traceEventId } from './trace-event-names.js';

/** A scalar as JSON writers give it; numbers (a Size, an enum written as its value) become text. */
const Scalar = z
  .union([z.string(), z.number(), z.boolean()])
  .nullish()
  .transform((value) =>
    value === null || value === undefined ? undefined : String(value).trim() || undefined,
  );

/**
 * A date: ISO text (Graph, PowerShell 7), `/Date(1764368103000)/` (Windows PowerShell 5.1, the
 * Reporting Web Service), milliseconds, or PowerShell 5.1's `{"value": "/Date(…)/", "DateTime": "…"}`.
 */
const JsonDate = z.union([
  z.string().min(1),
  z.number(),
  z.object({ value: z.union([z.string().min(1), z.number()]) }).transform((wrapped) => wrapped.value),
]);

const TraceRecord = z.object({
  received: JsonDate,
  status: Scalar,
  senderaddress: Scalar,
  recipientaddress: Scalar,
  subject: Scalar,
  messageid: Scalar,
  messagetraceid: Scalar,
  fromip: Scalar,
});

const DetailRecord = z.object({
  date: JsonDate,
  event: z.string().min(1),
  detail: Scalar,
  data: Scalar,
  messageid: Scalar,
  messagetraceid: Scalar,
  recipientaddress: Scalar,
  senderaddress: Scalar,
  fromip: Scalar,
  /** Graph's id of the detail event. */
  id: Scalar,
});

/** `/Date(1764368103000)/`, `/Date(1764368103000+0100)/`: milliseconds since 1970 (the offset is display only). */
const MS_DATE = /^\/Date\((-?\d{1,15})(?:[+-]\d{4})?\)\/$/;

/**
 * Trace-like JSON: keys of trace or detail records, a Graph trace URL, or Graph's type of trace
 * records (a function's `$metadata#Collection(microsoft.graph.exchangeMessageTraceDetail)`), in the
 * first part of the file.
 */
const TRACE_KEYS =
  /"(?:receivedDateTime|Received|MessageTraceId)"\s*:|\/tracing\/messageTraces|getDetailsByRecipient|microsoft\.graph\.exchangeMessageTrace/i;
const DETAIL_KEYS = /"event"\s*:/i;
const DETAIL_TEXT = /"(?:detail|description)"\s*:/i;

function sniff(head: TextHead): boolean {
  const first = head.text.trimStart().charAt(0);
  if (first !== '[' && first !== '{') return false;
  return TRACE_KEYS.test(head.text) || (DETAIL_KEYS.test(head.text) && DETAIL_TEXT.test(head.text));
}

export const messageTraceJson: TextFormat = {
  id: 'message-trace-json',
  sniff,
  createReader: (context) => new MessageTraceJsonReader(context),
};

/**
 * Records of a page read before its `@odata.context` wait for it (PowerShell writes a hashtable's
 * keys in any order), at most this many characters: a `getDetailsByRecipient` page is a few
 * records. Past it (a large trace page, whose records name their own recipients) they are read
 * without it.
 */
const MAX_HELD_CHARS = 8 * 1024 * 1024;

/** What a page's `@odata.context` says of its records. */
interface PageContext {
  /** Whose details they are (`getDetailsByRecipient`): Graph's detail records do not say. */
  recipient?: string;
  traceId?: string;
}

class MessageTraceJsonReader extends SinkReader implements JsonRecordHandler {
  private readonly scanner = new JsonRecordScanner(this);
  /** The current page's context, once its `@odata.context` is read. */
  private page: PageContext | undefined;
  /** Records of the current page that came before its context, in order. */
  private held: { text: string; line: number }[] = [];
  private heldChars = 0;
  /** The current page held too much to wait for its context longer. */
  private heldTooMuch = false;
  /**
   * What is being read: a record's text, or a detail nested in a trace record (only its own text
   * counts: the trace's other details may hold a refusal that is read). A skip of it is searched for
   * relay-refusal text.
   */
  private reading: string | Record<string, unknown> = '';
  /** The record being read gave a relay refusal, or was skipped as REFUSAL_NOT_READ. */
  private refusalTold = false;

  public constructor(private readonly context: TextContext) {
    super();
  }

  protected feed(text: string): void {
    this.scanner.push(text);
  }

  protected finish(): void {
    this.scanner.end();
    this.release();
  }

  public meta(key: string, value: string): void {
    if (key !== '@odata.context') return;
    this.page = pageContextOf(value);
    this.release();
  }

  public pageEnd(): void {
    this.release();
    this.page = undefined;
    this.heldTooMuch = false;
  }

  public record(text: string, line: number, inPage: boolean): void {
    if (inPage && this.page === undefined && !this.heldTooMuch) {
      if (this.heldChars + text.length <= MAX_HELD_CHARS) {
        this.held.push({ text, line });
        this.heldChars += text.length;
        return;
      }
      this.heldTooMuch = true;
      this.release();
    }
    this.read(text, line, inPage ? this.page : undefined);
  }

  /** Reads the held records, with the page's context when it has come. */
  private release(): void {
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    this.heldChars = 0;
    for (const { text, line } of held) this.read(text, line, this.page);
  }

  public bad(
    line: number,
    reason: Parameters<JsonRecordHandler['bad']>[1],
    message: string,
    refusal: string | undefined,
    cut?: string,
  ): void {
    const sink = this.sink;
    sink.row(line);
    const skipped = skipOf(reason, message, refusal);
    // Said last, as of a CSV row the file ends inside: the file's failure then says to analyse the new copy.
    sink.skip(line, skipped.reason, cut === undefined ? skipped.message : `${skipped.message}; ${cut}`);
  }

  /** Skips the record being read: REFUSAL_NOT_READ when it holds relay-refusal text. */
  private skip(line: number, reason: SkipReason, message: string, column?: string): void {
    const text = typeof this.reading === 'string' ? this.reading : JSON.stringify(this.reading);
    const skipped = skipSearched(reason, message, text);
    if (skipped.reason === 'REFUSAL_NOT_READ') this.refusalTold = true;
    this.sink.skip(line, skipped.reason, skipped.message, column);
  }

  /** Hands on an event of the record being read, noting whether it gives a relay refusal. */
  private emit(event: TraceEvent): void {
    if (relayRejectionIn(event.recipientStatus) !== undefined) this.refusalTold = true;
    this.sink.event(event);
  }

  private read(text: string, line: number, page: PageContext | undefined): void {
    this.sink.row(line);
    this.reading = text;
    this.refusalTold = false;
    const fields = this.fieldsOf(text, line);
    if (fields === undefined) return;
    if (isTraceDetail(fields)) {
      this.detail(fields, line, page);
    } else if ('received' in fields) {
      this.trace(fields, line);
    } else {
      const keys = Object.keys(fields).slice(0, 8).join(', ');
      this.skip(
        line,
        'NOT_A_TRACE_RECORD',
        `neither a message trace record (Received/receivedDateTime, Status…) nor a trace detail record (Date, Event, Detail…): keys ${keys}`,
      );
      return;
    }
    if (!this.refusalTold) this.unreadRefusal(text, fields, line);
  }

  /**
   * The record's fields (keys named by `traceFieldName`): of a JSON object, or of the `@{…}` text of
   * a detail; `undefined` (and skipped) for anything else.
   */
  private fieldsOf(text: string, line: number): Record<string, unknown> | undefined {
    let value: unknown;
    try {
      value = parseWellFormedJson(text);
    } catch (error) {
      this.skip(
        line,
        'INVALID_JSON',
        `not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    if (typeof value === 'string') {
      // `$pages | ConvertTo-Json` at the default -Depth 2: each record of a page is PowerShell's text of it.
      const detail = traceDetailText(value);
      if (detail !== undefined) return detail;
      const message = value.startsWith('@{')
        ? "PowerShell's text of an object (@{…}), written where ConvertTo-Json reached its -Depth, and no trace detail: export again with ConvertTo-Json -Depth 10"
        : 'a JSON string, not an object';
      this.skip(line, 'NOT_A_TRACE_RECORD', message);
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.skip(line, 'NOT_A_TRACE_RECORD', 'not a JSON object');
      return undefined;
    }
    return lowerKeys(value as Record<string, unknown>);
  }

  /**
   * The record gave no relay refusal: one whose values hold relay-refusal text anyway (in a form of
   * nesting not read) is skipped as REFUSAL_NOT_READ, naming where. Its subject is no such place:
   * a subject may quote a refusal without being one.
   */
  private unreadRefusal(text: string, fields: Record<string, unknown>, line: number): void {
    if (refusalMarkerIn(text) === undefined) return; // the common case, searched once
    for (const [key, value] of Object.entries(fields)) {
      if (key === 'subject' || value === undefined || value === null) continue;
      const marker = refusalMarkerIn(typeof value === 'string' ? value : JSON.stringify(value));
      if (marker === undefined) continue;
      this.sink.skip(
        line,
        'REFUSAL_NOT_READ',
        `no relay refusal was read from this record, yet its "${key}" holds relay-refusal text (${marker}) in a form relay-audit does not read`,
        key,
      );
      return;
    }
  }

  /** The record checked against its schema, with its date read; `undefined` (and skipped) when not. */
  private checked<T>(
    schema: z.ZodType<T>,
    fields: Record<string, unknown>,
    dateOf: (record: T) => string | number,
    line: number,
  ): { record: T; timestamp: string } | undefined {
    const parsed = schema.safeParse(fields);
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error, { whole: 'record' });
      this.skip(line, 'INVALID_RECORD', `${field}: ${message}`, field);
      return undefined;
    }
    const timestamp = this.timestamp(dateOf(parsed.data), line);
    return timestamp === undefined ? undefined : { record: parsed.data, timestamp };
  }

  private trace(fields: Record<string, unknown>, line: number): void {
    // Graph names the trace id `id`; PowerShell `MessageTraceId`.
    if (fields.messagetraceid === undefined && fields.id !== undefined) fields.messagetraceid = fields.id;
    const checked = this.checked(TraceRecord, fields, (record) => record.received, line);
    if (checked === undefined) return;
    const { record, timestamp } = checked;
    const event: TraceEvent = { timestamp, eventId: (record.status ?? 'NONE').toUpperCase(), line };
    setTraceFields(event, {
      sender: senderOf(record, fields),
      recipient: record.recipientaddress,
      messageId: record.messageid,
      traceId: record.messagetraceid,
    });
    if (record.subject !== undefined) event.subject = record.subject;
    if (record.fromip !== undefined) event.clientIp = record.fromip;
    this.emit(event);
    // A trace with its details in it (`Select-Object *, @{n='Details'; e={Get-MessageTraceDetail…}}`):
    // the details carry the refusal text, so each is read as a detail record of this trace.
    for (const nested of nestedDetails(fields)) {
      this.reading = nested;
      this.detail(
        {
          messageid: record.messageid,
          messagetraceid: record.messagetraceid,
          recipientaddress: record.recipientaddress,
          // The trace's sender as read: a null sender stays one in its details.
          senderaddress: event.sender,
          ...nested,
        },
        line,
        undefined,
      );
    }
  }

  private detail(fields: Record<string, unknown>, line: number, page: PageContext | undefined): void {
    const checked = this.checked(DetailRecord, fields, (record) => record.date, line);
    if (checked === undefined) return;
    const { record, timestamp } = checked;
    const event: TraceEvent = { timestamp, eventId: traceEventId(record.event), line };
    setTraceFields(event, {
      sender: senderOf(record, fields),
      recipient: record.recipientaddress ?? page?.recipient,
      messageId: record.messageid,
      traceId: record.messagetraceid ?? page?.traceId,
    });
    // The refusal is in Detail (PowerShell) or description (Graph), or in Data only; Data names the P1.
    const status = detailStatus(record.detail, record.data);
    const returnPath = returnPathIn(record.data);
    if (status !== undefined) event.recipientStatus = status;
    if (returnPath !== undefined) event.returnPath = returnPath;
    if (record.fromip !== undefined) event.clientIp = record.fromip;
    if (event.recipient === undefined && record.id !== undefined) event.detailId = record.id;
    this.emit(event);
  }

  private timestamp(value: string | number, line: number): string | undefined {
    let iso: string | undefined;
    const ms = typeof value === 'number' ? value : Number(MS_DATE.exec(value)?.[1] ?? Number.NaN);
    if (Number.isFinite(ms)) {
      const date = new Date(ms);
      iso = Number.isNaN(date.getTime()) ? undefined : date.toISOString();
    } else {
      iso = this.context.timestamps.parse(String(value), line);
    }
    if (iso === undefined)
      this.skip(line, 'BAD_TIMESTAMP', `"${quoteText(String(value), 64)}" is not a date and time`);
    return iso;
  }
}

/**
 * The record's sender (see `traceSender`): a `senderAddress` of `""` or `null` is the null sender.
 * JSON gives no `undefined`, so a field that is `undefined` is one the record does not have.
 */
function senderOf(
  record: { senderaddress: string | undefined },
  fields: Record<string, unknown>,
): string | undefined {
  return traceSender(record.senderaddress, fields.senderaddress !== undefined);
}

/** `recipientAddress='a@b'`, an OData string: a quote in it is doubled (`o''brien@contoso.com`). */
const CONTEXT_RECIPIENT = /recipientAddress='((?:[^']|'')+)'/i;
const CONTEXT_TRACE_ID = /messageTraces(?:\('|\/)([0-9a-f-]{36})/i;

/**
 * What `…/messageTraces('id')/getDetailsByRecipient(recipientAddress='a@b')` (inferred shape) says,
 * percent-escapes decoded (`recipientAddress='vendor%40adatum.com'`).
 */
function pageContextOf(context: string): PageContext {
  const decoded = decodePercentEscapes(context);
  const page: PageContext = {};
  const recipient = CONTEXT_RECIPIENT.exec(decoded)?.[1];
  const traceId = CONTEXT_TRACE_ID.exec(decoded)?.[1];
  if (recipient !== undefined) page.recipient = recipient.replaceAll("''", "'");
  if (traceId !== undefined) page.traceId = traceId;
  return page;
}

/** A run of percent-escapes (one UTF-8 character may take several). */
const PERCENT_ESCAPES = /(?:%[0-9a-f]{2})+/gi;

/** `%40` → `@`; a run that is no valid UTF-8 (`%C3` alone) is left as written, never thrown on. */
function decodePercentEscapes(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(PERCENT_ESCAPES, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/**
 * Detail records nested in a trace record, at any depth: objects (`ConvertTo-Json -Depth 3` or
 * more), or the text PowerShell writes for an object past `-Depth` (2 by default),
 * `@{Date=…; Event=Fail; Detail=Reason: [{LED=550 5.7.64 …}]…}`. Each as lower-cased fields.
 */
function nestedDetails(fields: Record<string, unknown>): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 4) return;
    if (typeof value === 'string') {
      const parsed = traceDetailText(value);
      if (parsed !== undefined) found.push(parsed);
    } else if (Array.isArray(value)) {
      for (const element of value) visit(element, depth + 1);
    } else if (typeof value === 'object' && value !== null) {
      const nested = lowerKeys(value as Record<string, unknown>);
      if (isTraceDetail(nested)) found.push(nested);
      else for (const inner of Object.values(nested)) visit(inner, depth + 1);
    }
  };
  // The trace's own scalars are never details; a nested value or a `@{…}` text may be.
  for (const value of Object.values(fields))
    if (typeof value === 'object' || (typeof value === 'string' && value.startsWith('@{'))) visit(value, 0);
  return found;
}

/** The record's keys lower-cased, with Graph's names mapped to PowerShell's (`traceFieldName`). */
function lowerKeys(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[traceFieldName(key)] = value;
  return out;
}
