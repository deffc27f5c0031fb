#!/usr/bin/env node
/** Entry point of the `relay-audit` command (see cli.ts; kept apart so tests can import main()). */
import { main } from './cli.js';
import { boundYoungGeneration, growOldGenerationByHalf } from './support/heap-shape.js';
import { quietSdkNodeVersionNotice } from './support/quiet-sdk-notice.js';

// Peak memory that stays flat as logs get larger, on every Node version (see heap-shape.ts).
growOldGenerationByHalf();
boundYoungGeneration();

// On Node 20 the AWS SDK would print a notice about its own future releases in front of the report
// (see quiet-sdk-notice.ts); only that one warning is turned off, every other still prints.
quietSdkNodeVersionNotice();

// Should the process ever run out of work before main() settles (a promise nothing will resolve),
// Node would exit with status 0 and no report: a silent all-clear. Say so and fail instead.
let settled = false;
process.once('exit', (code) => {
  if (settled || code !== 0) return;
  process.stderr.write(
    'relay-audit: stopped before finishing (nothing left to wait for); no result was produced\n',
  );
  process.exitCode = 70;
});

main(process.argv.slice(2)).then(
  (status) => {
    settled = true;
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(
      `relay-audit: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    settled = true;
    process.exitCode = 1;
  },
);
