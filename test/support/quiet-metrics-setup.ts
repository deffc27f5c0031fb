/** Vitest setup file: metrics documents stay out of the test output (see quiet-metrics.ts). */
import { quietMetrics } from './quiet-metrics.js';

quietMetrics();
