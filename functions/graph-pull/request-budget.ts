/**
 * The tenant's message trace budget, kept on the client side: at most `limit` requests in any
 * rolling `windowMs`. Trace pages and detail requests draw from the same budget (the Exchange
 * Team documents one quota shared by message trace and message trace detail). Before each request
 * {@link RequestBudget.take} waits until the oldest request in the window has left it.
 *
 * The times of recent requests are handed to the next run (stored with the cursor) so two runs
 * close together cannot add up to more than the budget either.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RequestBudgetOptions {
  readonly limit: number;
  readonly windowMs: number;
  /** Request times (ms since 1970) of an earlier run still inside the window. */
  readonly recent?: readonly number[];
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class RequestBudget {
  private readonly times: number[];
  private readonly now: () => number;
  private readonly wait: (ms: number) => Promise<void>;

  public constructor(private readonly options: RequestBudgetOptions) {
    this.now = options.now ?? Date.now;
    this.wait = options.sleep ?? ((ms) => sleep(ms));
    this.times = [...(options.recent ?? [])].sort((a, b) => a - b);
  }

  /** Waits until one more request fits in the window, then counts it as sent now. */
  public async take(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.forget(now);
      if (this.times.length < this.options.limit) {
        this.times.push(now);
        return;
      }
      // The window frees a place when its oldest request is windowMs old.
      await this.wait(this.waitMs());
    }
  }

  /** How long {@link take} would wait now (0: a place is free). */
  public waitMs(): number {
    const now = this.now();
    this.forget(now);
    if (this.times.length < this.options.limit) return 0;
    return (this.times[0] ?? now) + this.options.windowMs - now + 1;
  }

  /** Request times still inside the window: what the next run must count. */
  public recent(): number[] {
    this.forget(this.now());
    return [...this.times];
  }

  private forget(now: number): void {
    while (this.times.length > 0 && (this.times[0] ?? now) <= now - this.options.windowMs) this.times.shift();
  }
}
