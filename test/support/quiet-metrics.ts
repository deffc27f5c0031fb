/**
 * Powertools Metrics prints each metrics document (CloudWatch EMF) to stdout, as Lambda wants: with
 * the handlers running in the test processes, every upload a test analysed put one in the test
 * output. A Vitest setup file (vitest.config.ts) turns them off; a test that checks the documents
 * turns them on for its file (`printMetrics`), so what it checks is what Lambda prints.
 */
import { vi } from 'vitest';

/** Powertools' own switch, read when a handler builds its `Metrics`. */
const METRICS_SWITCH = 'POWERTOOLS_METRICS_DISABLED';

/** For the setup file: no metrics documents unless a test asks for them. */
export function quietMetrics(): void {
  process.env[METRICS_SWITCH] ??= 'true';
}

/** For a test that checks the documents: handlers built from now on print them. */
export function printMetrics(): void {
  vi.stubEnv(METRICS_SWITCH, 'false');
}
