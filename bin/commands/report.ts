/**
 * `relay-audit report [--date YYYY-MM-DD] [--look-back N] [--out DIR] [--json] [--db DIR | --table NAME …]`
 * — runs the nightly analysis (the same `runNightly()` as the scheduled Lambda) against the local
 * store: cross-upload reclassification, rollups, spikes, first-seen sender domains, and the report
 * files (`<db>/reports/YYYY-MM-DD.json` and `.md` by default). Nothing is published and no
 * metrics are emitted: those are the cloud's.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { IsoDay } from '../../functions/nightly/dates.js';
import { MAX_LOOK_BACK_DAYS } from '../../functions/nightly/look-back.js';
import { readCommandLine } from '../support/command.js';
import { flagValue, parseFlags, wholeNumberFlag } from '../support/flags.js';
import type { Output } from '../support/output.js';
import { openStore, storeFlagsText } from '../support/store-options.js';
import { REPORT } from './definitions.js';

const Flags = z.object({
  date: flagValue(IsoDay, 'a calendar day such as 2026-11-28 (YYYY-MM-DD)').optional(),
  'look-back': wholeNumberFlag(0, MAX_LOOK_BACK_DAYS).optional(),
  out: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

export async function runReport(
  argv: string[],
  out: Output,
  now: () => Date = () => new Date(),
): Promise<number> {
  const { values } = readCommandLine(REPORT, argv);
  const flags = parseFlags(Flags, values);
  // Loaded now, not at start-up: they pull in the AWS SDK, which other commands may not need.
  const { DEFAULT_STORE_DIR } = await import('../../functions/store/embedded-engine.js');
  const { runNightly } = await import('../../functions/nightly/run-nightly.js');
  const { FileReportSink } = await import('../../functions/nightly/file-report-sink.js');
  const outDir = flags.out ?? join(values.db ?? DEFAULT_STORE_DIR, 'reports');
  // A report derives everything from what is stored: of a new, empty store it would say nothing,
  // and opening one would create it wherever a mistyped --db points.
  const handle = await openStore(values, { mustExist: true });
  try {
    const result = await runNightly({
      store: handle.store,
      table: handle,
      now,
      reports: new FileReportSink(outDir),
      date: flags.date,
      lookBackDays: flags['look-back'],
      // Its next steps read this store when run as printed.
      storeOptions: storeFlagsText(values),
    });
    if (flags.json) {
      const run = {
        window: result.window,
        reclassified: result.reclassified,
        newFindings: result.newFindings,
        rollupsRepaired: result.rollups.repaired,
        staleRollupsDeleted: result.rollups.deleted,
      };
      await out.write(
        `${JSON.stringify({ report: result.report, files: result.locations, run }, null, 2)}\n`,
      );
    } else {
      await out.write(result.markdown);
      const reclassified =
        result.reclassified > 0 ? `; ${result.reclassified} reclassified as forwarding` : '';
      // A day nobody chose is said so: yesterday's logs may not be in the store at all.
      const day =
        flags.date === undefined
          ? ` Reported on ${result.date}, yesterday (UTC), the default day: another one with --date YYYY-MM-DD.`
          : '';
      await out.write(
        `\nReport written to ${result.locations.join(' and ')} (${handle.description}${reclassified}).${day}\n`,
      );
    }
  } finally {
    await handle.close();
  }
  return 0;
}
