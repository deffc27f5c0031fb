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

export const processOutput: Output = {
  write(data) {
    return new Promise((resolve, reject) => {
      if (process.stdout.write(data)) resolve();
      else process.stdout.once('drain', resolve).once('error', reject);
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
