#!/usr/bin/env node
/** Entry point of the `relay-audit` command (see cli.ts; kept apart so tests can import main()). */
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(
      `relay-audit: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
