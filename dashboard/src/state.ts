/**
 * The dashboard's filter state, kept in the address bar (`?from=…&scenario=…`) so a view can be
 * bookmarked or sent to a colleague, and restored on reload.
 */
import { addDays, daysInRange, isDay, todayUtc } from './dates.js';
import { isScenario } from './scenarios.js';
import type { ScenarioId } from './types.js';

export type SortOrder = 'desc' | 'asc';

export interface Filters {
  /** First day (UTC) of the period. */
  from: string;
  /** Last day (UTC) of the period, included. */
  to: string;
  scenario?: ScenarioId | undefined;
  senderDomain?: string | undefined;
  recipientDomain?: string | undefined;
  /** Free text, applied to the loaded findings in the browser. */
  q: string;
  sort: SortOrder;
}

/** Days in the default period (ending today). */
export const DEFAULT_DAYS = 30;
/** The API's longest summary period. */
export const MAX_DAYS = 366;

export function defaultRange(today = todayUtc()): { from: string; to: string } {
  return { from: addDays(today, -(DEFAULT_DAYS - 1)), to: today };
}

/** Filters from a query string; anything missing or malformed takes its default. */
export function filtersFromSearch(search: string, today = todayUtc()): Filters {
  const params = new URLSearchParams(search);
  const range = defaultRange(today);
  const from = params.get('from');
  const to = params.get('to');
  const scenario = params.get('scenario');
  return {
    from: isDay(from) ? from : range.from,
    to: isDay(to) ? to : range.to,
    scenario: isScenario(scenario) ? scenario : undefined,
    senderDomain: params.get('senderDomain')?.trim() || undefined,
    recipientDomain: params.get('recipientDomain')?.trim() || undefined,
    q: params.get('q') ?? '',
    sort: params.get('sort') === 'asc' ? 'asc' : 'desc',
  };
}

/** The query string for `filters` (defaults left out), plus an open finding's id. */
export function searchFromFilters(filters: Filters, findingId?: string): string {
  const params = new URLSearchParams();
  params.set('from', filters.from);
  params.set('to', filters.to);
  if (filters.scenario) params.set('scenario', filters.scenario);
  if (filters.senderDomain) params.set('senderDomain', filters.senderDomain);
  if (filters.recipientDomain) params.set('recipientDomain', filters.recipientDomain);
  if (filters.q) params.set('q', filters.q);
  if (filters.sort === 'asc') params.set('sort', 'asc');
  if (findingId) params.set('finding', findingId);
  return `?${params.toString()}`;
}

/** Why a period cannot be shown, or undefined when it can. */
export function rangeProblem(from: string, to: string): string | undefined {
  if (!isDay(from) || !isDay(to)) return 'Enter both dates of the period.';
  if (from > to) return 'The period starts after it ends: the “From” date must not be after the “To” date.';
  if (daysInRange(from, to) > MAX_DAYS)
    return `The period is longer than ${MAX_DAYS} days; choose a shorter one.`;
  return undefined;
}
