/**
 * `relay-audit report [--date YYYY-MM-DD] [--look-back N] [--out DIR] [--json] [--db DIR | --table NAME …]`
 * — runs the nightly analysis (the same `runNightly()` as the scheduled Lambda) against the local
 * store: cross-upload reclassification, rollups, spikes, first-seen sender domains, and the report
 * files (`<db>/reports/YYYY-MM-DD.json` and `.md` by default). Nothing is published and no
 * metrics are emitted: those are the cloud's.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ArgumentError } from '../../functions/core/shared/errors.js';
import { IsoDay } from '../../functions/nightly/dates.js';
import { DEFAULT_LOOK_BACK_DAYS, MAX_LOOK_BACK_DAYS } from '../../functions/nightly/look-back.js';
import { parseFlags, wholeNumberFlag } from '../support/flags.js';
import type { Output } from '../support/output.js';
import { openStore, STORE_OPTIONS } from '../support/store-options.js';

export const REPORT_USAGE = `relay-audit report [options]

Runs the nightly analysis for one UTC day against the store and writes the report:
reclassifies foreign-sender-domain findings proven to be forwarding by another upload,
writes the daily rollups, compares the day with the days before (spikes, sender domains
first seen in 30 days) and writes YYYY-MM-DD.json and YYYY-MM-DD.md.

Options:
  --date <YYYY-MM-DD>   the day to report on (default: yesterday, UTC)
  --look-back <n>       days before --date recomputed too, for late uploads (default ${DEFAULT_LOOK_BACK_DAYS}, at most ${MAX_LOOK_BACK_DAYS})
  --out <dir>           where the report files go (default: <db>/reports, i.e. .relay-audit/reports)
  --json                print the JSON report and what the run did instead of the Markdown
  --db <dir> | --table <name> [--endpoint <url>] [--region <r>]`;

const Flags = z.object({
  date: IsoDay.optional(),
  'look-back': wholeNumberFlag(0, MAX_LOOK_BACK_DAYS).optional(),
  out: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

export async function runReport(
  argv: string[],
  out: Output,
  now: () => Date = () => new Date(),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...STORE_OPTIONS,
      date: { type: 'string' },
      'look-back': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length > 0) throw new ArgumentError(`unexpected argument "${positionals[0]}"`);
  const flags = parseFlags(Flags, values);
  // Loaded now, not at start-up: they pull in the AWS SDK, which other commands may not need.
  const { DEFAULT_STORE_DIR } = await import('../../functions/store/embedded-engine.js');
  const { runNightly } = await import('../../functions/nightly/run-nightly.js');
  const { FileReportSink } = await import('../../functions/nightly/file-report-sink.js');
  const outDir = flags.out ?? join(values.db ?? DEFAULT_STORE_DIR, 'reports');
  const handle = await openStore(values);
  try {
    const result = await runNightly({
      store: handle.store,
      table: handle,
      now,
      reports: new FileReportSink(outDir),
      ...(flags.date === undefined ? {} : { date: flags.date }),
      ...(flags['look-back'] === undefined ? {} : { lookBackDays: flags['look-back'] }),
    });
    if (flags.json) {
      const run = {
        window: result.window,
        reclassified: result.reclassified,
        newFindings: result.newFindings,
        rollupsWritten: result.rollups.written,
        staleRollupsDeleted: result.rollups.deleted,
      };
      await out.write(
        `${JSON.stringify({ report: result.report, files: result.locations, run }, null, 2)}\n`,
      );
    } else {
      await out.write(result.markdown);
      const reclassified =
        result.reclassified > 0 ? `; ${result.reclassified} reclassified as forwarding` : '';
      await out.write(
        `\nReport written to ${result.locations.join(' and ')} (${handle.description}${reclassified}).\n`,
      );
    }
  } finally {
    await handle.close();
  }
  return 0;
}
