/**
 * Query and path parameters of the API, validated with zod at the trust boundary. Every failure
 * becomes an {@link InvalidParameterError} whose message starts with the parameter's name
 * (`from: must be …`), so a client can show it next to the right control. Unknown parameters are
 * rejected too: a misspelt filter (`?senderdomain=`) must not silently return everything.
 */
import { z } from 'zod';
import { SCENARIO_IDS, ScenarioId } from '../core/analysis/model/findings.js';
import { firstIssue } from '../core/kernel/issues.js';
import { InvalidParameterError } from './errors.js';
import type { ApiRequest } from './messages.js';
import { dashboardUploadTime } from './upload-grant.js';

/** Default and largest page sizes of the list routes. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
/** Longest range `/summary` reports day by day. */
export const MAX_SUMMARY_DAYS = 366;

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Longest echo of a rejected value in an error message. */
const MAX_ECHO = 60;

const Scenario = z.enum(ScenarioId.options, { error: `must be one of ${SCENARIO_IDS.join(', ')}` });

/**
 * A domain name as the store keys it (lower-case). Letters of any script are allowed because
 * internationalised domains appear in trace logs as typed. Exported for the command line's
 * `findings --sender-domain/--recipient-domain`, which filter the same way.
 */
export const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .max(253, { error: 'must be a domain name of at most 253 characters' })
  .regex(/^[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*\.?$/u, {
    error: 'must be a domain name such as contoso.com',
  })
  // A fully qualified `contoso.com.` is the domain the store keys as `contoso.com`.
  .transform((domain) => domain.replace(/\.$/, ''));

/**
 * `+` in a query string is form-encoding for a space, so `…T10:00:00+01:00` sent unencoded
 * arrives as `…T10:00:00 01:00`; the offset is restored rather than rejected.
 */
function restoreOffset(value: unknown): unknown {
  return typeof value === 'string'
    ? value.replace(/^(\d{4}-\d{2}-\d{2}T[\d:.]+) (\d{2}:?\d{2})$/, '$1+$2')
    : value;
}

const TIME_MESSAGE = 'must be an ISO date (2026-11-28) or date-time with offset (2026-11-28T10:00:00Z)';
/** An ISO date or date-time with offset; a bare `to` date means the whole day (see the store). */
const TimeBound = z.preprocess(
  restoreOffset,
  z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: TIME_MESSAGE }),
);

const Day = z.iso.date({ error: 'must be an ISO date such as 2026-11-28' });

const Cursor = z
  .string()
  .max(8192, { error: 'is too long to be a cursor returned by this API' })
  .regex(/^[A-Za-z0-9_-]+$/, { error: 'must be the cursor returned by the previous page, unchanged' });

/**
 * A whole number as a query gives it: decimal digits only (at most `maxDigits`). Not
 * `z.coerce.number()`, which would also take `0x10`, `1e3`, `1.0`, ` 12 `, `+12` or `Infinity`.
 */
function wholeNumber(message: string, maxDigits: number) {
  return z
    .string({ error: message })
    .regex(new RegExp(`^\\d{1,${maxDigits}}$`), { error: message })
    .transform(Number);
}

const Limit = wholeNumber(`must be a whole number from 1 to ${MAX_LIMIT}`, 6)
  .pipe(
    z
      .number()
      .min(1, { error: `must be a whole number from 1 to ${MAX_LIMIT}` })
      .max(MAX_LIMIT, { error: `must be a whole number from 1 to ${MAX_LIMIT}` }),
  )
  .default(DEFAULT_LIMIT);

/** A finding or source id: 32 hexadecimal characters (a truncated SHA-256), normalised to lower case. */
const Id = z
  .string()
  .regex(/^[0-9a-fA-F]{32}$/, { error: 'must be 32 hexadecimal characters' })
  .transform((id) => id.toLowerCase());

/** First millisecond a bound covers: a bare date starts at 00:00 UTC. */
export function startMs(bound: string): number {
  return Date.parse(DATE.test(bound) ? `${bound}T00:00:00.000Z` : bound);
}

/** Last millisecond a bound covers: a bare date ends at 23:59:59.999 UTC. */
export function endMs(bound: string): number {
  return Date.parse(DATE.test(bound) ? `${bound}T23:59:59.999Z` : bound);
}

/** Adds an issue on `from` when the range is empty (from after to). */
function rangeInOrder(
  range: { from?: string | undefined; to?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (range.from === undefined || range.to === undefined) return;
  if (startMs(range.from) > endMs(range.to)) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: `must not be after to (${range.to})` });
  }
}

const FindingFilters = {
  scenario: Scenario.optional(),
  senderDomain: Domain.optional(),
  recipientDomain: Domain.optional(),
  from: TimeBound.optional(),
  to: TimeBound.optional(),
};

/** `GET /findings`. */
export const FindingsParams = z
  .strictObject({ ...FindingFilters, limit: Limit, cursor: Cursor.optional() })
  .superRefine(rangeInOrder);
export type FindingsParams = z.output<typeof FindingsParams>;

/** `GET /findings.csv`: the same filters, no paging (the export pages itself). */
export const ExportParams = z.strictObject(FindingFilters).superRefine(rangeInOrder);
export type ExportParams = z.output<typeof ExportParams>;

/** `GET /summary`: whole days; both default in the route (the last 30 days). */
export const SummaryParams = z
  .strictObject({ from: Day.optional(), to: Day.optional() })
  .superRefine((range, ctx) => {
    rangeInOrder(range, ctx);
    if (range.from === undefined || range.to === undefined) return;
    const days = (startMs(range.to) - startMs(range.from)) / DAY_MS + 1;
    if (days > MAX_SUMMARY_DAYS) {
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: `the range spans ${days} days; at most ${MAX_SUMMARY_DAYS} are reported day by day`,
      });
    }
  });
export type SummaryParams = z.output<typeof SummaryParams>;

/** A dashboard upload's key, as `POST /uploads` granted it: its time bounds the search for its record. */
const UploadKey = z
  .string()
  .max(1024, { error: 'must be the key POST /uploads granted (at most 1024 characters)' })
  .refine((key) => dashboardUploadTime(key) !== undefined, {
    error: 'must be the key POST /uploads granted (incoming/dashboard/<user>/<time>-<random>/<file>)',
  });

/**
 * `GET /sources`: a page of every upload, or with `file` the records of that one dashboard upload
 * (all in one answer, so no cursor with it).
 */
export const SourcesParams = z
  .strictObject({ limit: Limit, cursor: Cursor.optional(), file: UploadKey.optional() })
  .superRefine((params, ctx) => {
    if (params.file !== undefined && params.cursor !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['cursor'],
        message: "does not apply with file (an upload's records come in one answer)",
      });
    }
  });

/** `POST /uploads`: the file's name (as the browser gives it) and size in bytes. */
export const UploadParams = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, { error: 'must name the file' })
    .max(255, { error: 'must be at most 255 characters' }),
  // 15 digits are read exactly (2^53 has 16); the route answers 413 past the largest upload.
  size: wholeNumber('must be the size in bytes, in decimal digits', 15).pipe(
    z.number().min(1, { error: 'must be at least 1 byte: the file is empty' }),
  ),
});
export type SourcesParams = z.output<typeof SourcesParams>;

/** The query of a route that takes no parameter (`/findings/{id}`, `/sources/{id}`, `/readiness`). */
export const NoParams = z.strictObject({});

/** `{id}` of `/findings/{id}` and `/sources/{id}`. */
export const IdParams = z.strictObject({ id: Id });
export type IdParams = z.output<typeof IdParams>;

/** Parameters whose rejected value is echoed back (a cursor is long and opaque: never echoed). */
const ECHOED = new Set(['scenario', 'senderDomain', 'recipientDomain', 'from', 'to', 'limit', 'size', 'id']);

function echo(value: string | undefined): string {
  if (value === undefined) return '';
  const shown = value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}…` : value;
  return ` (got "${shown}")`;
}

/** The parameters `schema` takes, when it is an object schema (every route's is). */
function knownParameters(schema: z.ZodType): string[] | undefined {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

/**
 * Names of the parameters `search` gives more than once, in order of first appearance. Each
 * adapter reads them from what it really received: API Gateway's `queryStringParameters` (and so
 * `ApiRequest.query`) has already joined their values with commas.
 */
export function repeatedParameters(search: URLSearchParams): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of search.keys()) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return [...repeated];
}

/**
 * Validates a request's query with `schema`, as {@link parseParams} does. A parameter the route
 * takes given more than once is refused first, before its comma-joined value could pass as one
 * value (`name=a&name=b` as the file name `a,b`); one the route does not take is reported unknown.
 */
export function parseQuery<Schema extends z.ZodType>(
  schema: Schema,
  request: Pick<ApiRequest, 'query' | 'repeatedParameters'>,
): z.output<Schema> {
  const known = knownParameters(schema);
  const repeated = request.repeatedParameters?.find((name) => known === undefined || known.includes(name));
  if (repeated !== undefined) {
    throw new InvalidParameterError(
      repeated,
      'repeated parameter (give it once: each parameter takes one value)',
    );
  }
  return parseParams(schema, request.query);
}

/**
 * Validates `input` (query or path parameters; empty values count as absent, as an empty form
 * field should). Throws {@link InvalidParameterError} naming the first offending parameter.
 */
export function parseParams<Schema extends z.ZodType>(
  schema: Schema,
  input: Readonly<Record<string, string | undefined>>,
): z.output<Schema> {
  const present: Record<string, string> = {};
  for (const [name, value] of Object.entries(input)) {
    if (value !== undefined && value !== '') present[name] = value;
  }
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const { field: name, message, issue } = firstIssue(parsed.error, { whole: 'query' });
  if (issue?.code === 'unrecognized_keys') {
    const known = knownParameters(schema) ?? [];
    const hint = known.length > 0 ? ` (this route accepts ${known.join(', ')})` : ' (this route takes none)';
    throw new InvalidParameterError(issue.keys[0] ?? 'parameter', `unknown parameter${hint}`, {
      cause: parsed.error,
    });
  }
  const shown = ECHOED.has(name) && issue?.code !== 'custom' ? echo(present[name]) : '';
  throw new InvalidParameterError(name, `${message}${shown}`, { cause: parsed.error });
}
