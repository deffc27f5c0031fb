/** Ctrl+C as a signal a command can stop on, instead of ending the process at once. */
import type { AnalysisResult } from '../../functions/core/analysis/analyze.js';
import type { NotAnalysedFile } from './inputs.js';
import type { Output } from './output.js';

/** Exit status of a run stopped by Ctrl+C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_STATUS = 130;

/**
 * The first Ctrl+C aborts the returned signal and prints `message` (a second one ends the process
 * as usual). `dispose` removes the handler when the command is done.
 */
export function interruptOnCtrlC(out: Output, message: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    out.error(message);
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/**
 * The files a stopped run never reached, as files not analysed: the report and `--json` list them,
 * so none of the run's inputs goes unmentioned.
 */
export function filesNotReached(result: AnalysisResult): NotAnalysedFile[] {
  return (result.notRead ?? []).map((file) => ({ file, reason: 'the run was stopped before it was read' }));
}
