/**
 * Reads Graph collection pages within the tenant's budget: every request (retries included) takes
 * a place in the {@link RequestBudget}; a 429 waits the `Retry-After` Graph names; a 5xx or a
 * request that got no answer (connection reset, DNS, timeout) is sent again after a backoff (or
 * the 5xx's `Retry-After`); a 401 (the token expired or was revoked) gets a new token once and is
 * sent again. A wait the invocation has no time for is not started: the client throws the
 * OUT_OF_TIME signal and the run ends cleanly (run-pull.ts). Every failure is a
 * {@link GraphPullError} naming the request: what it asked (`what`) and its path.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { GraphFailure, GraphPullError, TRANSIENT_FAILURES } from './errors.js';
import type { RequestBudget } from './request-budget.js';
import { networkText, safeJson, type TokenSource } from './token-source.js';

/** 429s in a row before the run gives up (the next scheduled run starts the window again). */
const MAX_THROTTLED_ATTEMPTS = 5;
/** 5xx answers and requests without an answer retried before giving up. */
const MAX_TRANSIENT_RETRIES = 4;
/** First backoff after a 5xx or a network fault; doubled each time (2, 4, 8, 16 s). */
const FIRST_BACKOFF_MS = 2_000;
/** Used when a 429 carries no usable `Retry-After`. */
const DEFAULT_RETRY_AFTER_MS = 30_000;
/**
 * One request's longest wait for its answer (a 5000-trace page is a few MB). Lambda would
 * otherwise wait on a hung connection until its own timeout.
 */
export const REQUEST_TIMEOUT_MS = 60_000;
/**
 * Time kept free at the end of an invocation: one request's timeout and the writes of the file
 * and the cursor. A wait that would eat into it is not started.
 */
export const END_MARGIN_MS = REQUEST_TIMEOUT_MS + 15_000;

/** One page of a Graph collection; its records are checked by the analysis, not here. */
export const GraphPage = z.object({
  '@odata.context': z.string().optional(),
  '@odata.nextLink': z.string().url().optional(),
  value: z.array(z.record(z.string(), z.unknown())),
});
export type GraphPage = z.infer<typeof GraphPage>;

export interface GraphClientOptions {
  readonly tokens: TokenSource;
  readonly budget: RequestBudget;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Milliseconds left in the invocation; without it, waits are never cut short. */
  readonly timeLeft?: () => number;
  readonly requestTimeoutMs?: number;
}

/** An answer read to its end. */
interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly text: string;
}

export class GraphClient {
  /** Requests sent, 429s, 401s and transient failures (5xx, no answer) seen: reported by the run. */
  public readonly counts = { requests: 0, throttled: 0, reauthenticated: 0, retried: 0 };
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(private readonly options: GraphClientOptions) {
    this.sleep = options.sleep ?? ((ms) => sleep(ms));
  }

  /**
   * Every record of the collection at `url`, following `@odata.nextLink` to the last page. `what`
   * names the question in errors (`the trace list of window …`).
   */
  public async all(
    url: string,
    what: string,
  ): Promise<{ context: string | undefined; records: Record<string, unknown>[] }> {
    const records: Record<string, unknown>[] = [];
    let next: string | undefined = url;
    let context: string | undefined;
    while (next !== undefined) {
      const page = await this.page(next, what);
      context ??= page['@odata.context'];
      records.push(...page.value);
      next = page['@odata.nextLink'];
    }
    return { context, records };
  }

  /** One page, with the budget, retries and token renewal applied. */
  public async page(url: string, what: string): Promise<GraphPage> {
    const request = `${what} (GET ${readablePath(url)})`;
    let renewed = false;
    let throttled = 0;
    let transient = 0;
    for (;;) {
      await this.waitFor(this.options.budget.waitMs(), `a place in the request budget for ${request}`);
      await this.options.budget.take();
      this.counts.requests++;
      let answer: Answer;
      try {
        answer = await this.send(url);
      } catch (error) {
        const failure =
          error instanceof GraphPullError
            ? error.failure
            : timedOut(error)
              ? GraphFailure.Timeout
              : GraphFailure.Network;
        if (!TRANSIENT_FAILURES.has(failure)) throw error;
        if (transient >= MAX_TRANSIENT_RETRIES) {
          throw new GraphPullError(
            `${request} got no answer in ${transient + 1} attempts: ${failure === GraphFailure.Timeout ? `no answer in ${this.timeoutMs / 1000} s` : networkText(error)}`,
            { failure, cause: error },
          );
        }
        transient++;
        this.counts.retried++;
        await this.waitFor(backoffMs(transient), `a retry of ${request}`);
        continue;
      }
      if (answer.status === 401 && !renewed) {
        renewed = true;
        this.counts.reauthenticated++;
        this.options.tokens.invalidate();
        continue;
      }
      if (answer.status === 429 && throttled < MAX_THROTTLED_ATTEMPTS) {
        throttled++;
        this.counts.throttled++;
        await this.waitFor(retryAfterMs(answer.retryAfter), `Retry-After of a 429 to ${request}`);
        continue;
      }
      if (answer.status >= 500 && transient < MAX_TRANSIENT_RETRIES) {
        transient++;
        this.counts.retried++;
        const wait = answer.retryAfter === null ? backoffMs(transient) : retryAfterMs(answer.retryAfter);
        await this.waitFor(wait, `a retry of ${request} after HTTP ${answer.status}`);
        continue;
      }
      if (answer.status < 200 || answer.status > 299) {
        const attempts = answer.status === 429 ? throttled + 1 : answer.status >= 500 ? transient + 1 : 0;
        throw new GraphPullError(
          `${request} failed: HTTP ${answer.status}${attempts > 1 ? ` (${attempts} attempts)` : ''} ${graphErrorText(answer.text)}`,
          { failure: failureOf(answer.status) },
        );
      }
      const parsed = GraphPage.safeParse(safeJson(answer.text));
      if (!parsed.success) {
        throw new GraphPullError(`${request} did not answer a Graph collection page`, {
          failure: GraphFailure.BadAnswer,
          cause: parsed.error,
        });
      }
      return parsed.data;
    }
  }

  private get timeoutMs(): number {
    return this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /** Sends the request and reads its body, within the request timeout. */
  private async send(url: string): Promise<Answer> {
    const token = await this.options.tokens.get();
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      text: await response.text(),
    };
  }

  /**
   * Waits `ms` (0: not at all) unless the invocation has no time for the wait and one more request
   * after it: then throws OUT_OF_TIME, naming what it would have waited for.
   */
  private async waitFor(ms: number, what: string): Promise<void> {
    const left = this.options.timeLeft?.();
    if (left !== undefined && ms + END_MARGIN_MS > left) {
      throw new GraphPullError(
        `waiting ${Math.ceil(ms / 1000)} s for ${what} would pass the end of the invocation (${Math.floor(left / 1000)} s left)`,
        { failure: GraphFailure.OutOfTime },
      );
    }
    if (ms > 0) await this.sleep(ms);
  }
}

/** The backoff before the `n`th retry (1-based). */
const backoffMs = (retry: number): number => FIRST_BACKOFF_MS * 2 ** (retry - 1);

const timedOut = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');

function failureOf(status: number): GraphFailure {
  if (status === 401) return GraphFailure.Unauthorized;
  if (status === 403) return GraphFailure.Forbidden;
  if (status === 404) return GraphFailure.NotFound;
  if (status === 429) return GraphFailure.Throttled;
  if (status >= 500) return GraphFailure.ServerError;
  return GraphFailure.BadRequest;
}

/** Graph's `{"error":{"code","message"}}` as `code: message`; any other body shortened. */
function graphErrorText(text: string): string {
  const parsed = z
    .object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) })
    .safeParse(safeJson(text));
  if (parsed.success) {
    const { code, message } = parsed.data.error;
    return [code, message].filter((part) => part !== undefined && part !== '').join(': ');
  }
  return text.slice(0, 500);
}

/** The path and query of `url`, decoded so the window in `$filter` can be read. */
function readablePath(url: string): string {
  try {
    const parsed = new URL(url);
    return decodeURIComponent(`${parsed.pathname}${parsed.search}`);
  } catch {
    return url;
  }
}

/** `Retry-After` in seconds or as an HTTP date (RFC 9110 §10.2.3), in milliseconds. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header === null) return DEFAULT_RETRY_AFTER_MS;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? DEFAULT_RETRY_AFTER_MS : Math.max(0, date - now);
}
