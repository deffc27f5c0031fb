/** Where the CLI writes: stdout (results), stderr (messages, progress). Injectable for tests. */

import { groupDigits } from '../../functions/core/kernel/counts-in-words.js';

export interface Progress {
  /** `rowsRead` absent: a transfer, shown as bytes. */
  update(progress: { file: string; bytesRead: number; size?: number; rowsRead?: number }): void;
  done(): void;
}

export interface Output {
  /** Writes to stdout, honouring back-pressure (large NDJSON/CSV outputs). */
  write(data: string | Uint8Array): Promise<void>;
  /** A line on stderr. */
  error(text: string): void;
  /** Progress on stderr, only when stderr is a terminal. */
  progress(): Progress;
}

const NO_PROGRESS: Progress = { update() {}, done() {} };

/**
 * What became of stdout: `closed` once its reader has gone (`relay-audit … | head`, EPIPE), another
 * error once writing failed otherwise. Watched from the first write on: without a listener, the
 * failed write of a reader that has what it wanted ends the process with a stack trace.
 */
interface StdoutState {
  closed: boolean;
  failure?: Error;
}
let stdoutState: StdoutState | undefined;

function watchStdout(): StdoutState {
  if (stdoutState !== undefined) return stdoutState;
  const state: StdoutState = { closed: false };
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') state.closed = true;
    else state.failure ??= error;
  });
  stdoutState = state;
  return state;
}

export const processOutput: Output = {
  write(data) {
    const state = watchStdout();
    if (state.failure !== undefined) return Promise.reject(state.failure);
    // The reader has what it wanted: the command still finishes its work (an analysis into the store
    // completes and records its upload), its output goes nowhere, and it exits as it would have.
    if (state.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (process.stdout.write(data)) {
        resolve();
        return;
      }
      // Back-pressure: the next drain, or the error that means none will come.
      const onDrain = () => {
        process.stdout.off('error', onError);
        resolve();
      };
      const onError = (error: NodeJS.ErrnoException) => {
        process.stdout.off('drain', onDrain);
        if (error.code === 'EPIPE') resolve();
        else reject(error);
      };
      process.stdout.once('drain', onDrain).once('error', onError);
    });
  },
  error(text) {
    process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  },
  progress() {
    if (!process.stderr.isTTY) return NO_PROGRESS;
    let shown = false;
    return {
      update({ file, bytesRead, size, rowsRead }) {
        const percent = size ? ` ${Math.min(100, Math.round((bytesRead / size) * 100))}%` : '';
        const done =
          rowsRead === undefined ? `${groupDigits(bytesRead)} bytes` : `${groupDigits(rowsRead)} rows`;
        process.stderr.write(`\r\u001b[K${file}${percent} — ${done}`);
        shown = true;
      },
      done() {
        if (shown) process.stderr.write('\r\u001b[K');
      },
    };
  },
};
