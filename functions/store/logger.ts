/**
 * The logging the store needs: a structural subset of Powertools' `Logger` (and of `console`), so
 * the Lambda handlers pass their logger and the CLI passes nothing or `console`.
 */
export interface StoreLogger {
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  debug?(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Logger used when the caller gives none: the store stays silent. */
export const SILENT_LOGGER: StoreLogger = { warn: () => undefined };
