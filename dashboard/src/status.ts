/** Loading, error and empty states shared by the sections. */
import { ApiFailure } from './api.js';
import { h } from './dom.js';

export function loadingNote(what: string): HTMLElement {
  return h('p', { class: 'muted loading', attrs: { role: 'status' } }, `Loading ${what}…`);
}

/**
 * An error panel: what could not be loaded, the API's own message and code, and a Retry button
 * when trying again can help (not for a bad filter, which the message names).
 */
export function errorPanel(error: unknown, what: string, retry?: () => void): HTMLElement {
  const failure = error instanceof ApiFailure ? error : undefined;
  const message = failure?.message ?? (error instanceof Error ? error.message : String(error));
  const details = failure
    ? [
        failure.status > 0 ? `HTTP ${failure.status}` : 'no answer',
        failure.code,
        failure.requestId ? `request ${failure.requestId}` : undefined,
      ]
        .filter(Boolean)
        .join(' · ')
    : undefined;
  const canRetry = retry !== undefined && (failure === undefined || failure.retryable);
  return h(
    'div',
    { class: 'panel error', attrs: { role: 'alert' } },
    h('p', {}, h('strong', {}, `Could not load ${what}.`), ' ', message),
    details ? h('p', { class: 'muted small' }, details) : null,
    failure && !failure.retryable && failure.status === 400
      ? h('p', { class: 'small' }, 'Correct the filter above and apply it again.')
      : null,
    canRetry
      ? h('button', { class: 'retry', attrs: { type: 'button' }, on: { click: () => retry() } }, 'Retry')
      : null,
  );
}
