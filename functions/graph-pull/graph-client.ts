/**
 * Reads Graph collection pages within the tenant's budget: every request (retries included) takes
 * a place in the {@link RequestBudget}; a 429 waits the `Retry-After` Graph names; a 401 (the
 * token expired or was revoked) gets a new token once and is sent again.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { GraphPullError } from './errors.js';
import type { RequestBudget } from './request-budget.js';
import { safeJson, type TokenSource } from './token-source.js';

/** 429s in a row before the run gives up (the next scheduled run starts the window again). */
const MAX_THROTTLED_ATTEMPTS = 5;
/** Used when a 429 carries no usable `Retry-After`. */
const DEFAULT_RETRY_AFTER_MS = 30_000;

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
}

export class GraphClient {
  /** Requests sent, 429s and 401s seen: reported by the run. */
  public readonly counts = { requests: 0, throttled: 0, reauthenticated: 0 };
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(private readonly options: GraphClientOptions) {
    this.sleep = options.sleep ?? ((ms) => sleep(ms));
  }

  /** Every record of the collection at `url`, following `@odata.nextLink` to the last page. */
  public async all(
    url: string,
  ): Promise<{ context: string | undefined; records: Record<string, unknown>[] }> {
    const records: Record<string, unknown>[] = [];
    let next: string | undefined = url;
    let context: string | undefined;
    while (next !== undefined) {
      const page = await this.page(next);
      context ??= page['@odata.context'];
      records.push(...page.value);
      next = page['@odata.nextLink'];
    }
    return { context, records };
  }

  /** One page, with the budget, throttling and token renewal applied. */
  public async page(url: string): Promise<GraphPage> {
    let renewed = false;
    for (let throttled = 0; ; ) {
      await this.options.budget.take();
      this.counts.requests++;
      const token = await this.options.tokens.get();
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
      if (response.status === 401 && !renewed) {
        await response.body?.cancel();
        renewed = true;
        this.counts.reauthenticated++;
        this.options.tokens.invalidate();
        continue;
      }
      if (response.status === 429 && throttled < MAX_THROTTLED_ATTEMPTS) {
        await response.body?.cancel();
        throttled++;
        this.counts.throttled++;
        await this.sleep(retryAfterMs(response.headers.get('retry-after')));
        continue;
      }
      const text = await response.text();
      if (!response.ok) {
        throw new GraphPullError(`GET ${url} failed: HTTP ${response.status} ${text.slice(0, 500)}`);
      }
      const parsed = GraphPage.safeParse(safeJson(text));
      if (!parsed.success) {
        throw new GraphPullError(`GET ${url} did not answer a Graph collection page`, {
          cause: parsed.error,
        });
      }
      return parsed.data;
    }
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
