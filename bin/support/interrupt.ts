/** Ctrl+C as a signal a command can stop on, instead of ending the process at once. */
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
