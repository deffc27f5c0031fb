/** The registry of supported input formats, in the order they are listed to users. */

import { exchangeTrackingLog } from './exchange-tracking-log.js';
import type { FormatAdapter } from './format-adapter.js';
import { historicalSearchExtended } from './historical-search-extended.js';
import { historicalSearchSummary } from './historical-search-summary.js';
import { messageTrace } from './message-trace.js';
import { messageTraceDetail } from './message-trace-detail.js';
import { trackingLogExport } from './tracking-log-export.js';

export const FORMATS: readonly FormatAdapter[] = [
  exchangeTrackingLog,
  trackingLogExport,
  messageTrace,
  messageTraceDetail,
  historicalSearchSummary,
  historicalSearchExtended,
];

export type {
  FormatAdapter,
  HeaderlessRows,
  RowAdapter,
  RowContext,
  RowSink,
  SkipReason,
} from './format-adapter.js';
