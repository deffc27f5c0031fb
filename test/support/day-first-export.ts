/**
 * A large `Get-MessageTrackingLog | Export-Csv` made on an en-AU PC (`d/MM/yyyy h:mm:ss tt`) over
 * 10–12 November 2021: every date could be day-first or month-first (`10/11/2021 10:14:21 AM`), and
 * its AM/PM has the reader assume month-first (11 October) until a date settles it. Built from
 * test/fixtures/real-world/cultures/tracking-export-ambiguous.csv — `#TYPE` on line 1, the header
 * on line 2, then three messages sent by APP01 through EX01, two of them refused with `550 5.7.64`
 * (their FAIL rows are the 2nd and 6th of each copy) — copied with their own Message-IDs, and
 * without their `SourceContext` (as an export of selected columns): its session times in ISO would
 * settle the order on the first row (see `TimestampParser.settleBy`).
 */
import { readFileSync } from 'node:fs';

const FIXTURE = 'test/fixtures/real-world/cultures/tracking-export-ambiguous.csv';

/** The fixture's days (en-US, 9–11 March) as en-AU writes 10–12 November, and in ISO. */
const DAYS: [fixture: string, enAu: string, iso: string][] = [
  ['"3/9/2021 ', '"10/11/2021 ', '2021-11-10'],
  ['"3/10/2021 ', '"11/11/2021 ', '2021-11-11'],
  ['"3/11/2021 ', '"12/11/2021 ', '2021-11-12'],
];
const FIXTURE_ISO = ['2021-03-09', '2021-03-10', '2021-03-11'];

/**
 * An export row of the culture fixtures with its `SourceContext` cell (`08DF…;2021-03-09T…Z;0`,
 * quoted or not) empty.
 */
export function withoutSourceContext(row: string): string {
  return row.replace(/"?[0-9A-F]{16};\d{4}-\d{2}-\d{2}T[\d:.]+Z;\d+"?/, (cell) =>
    cell.startsWith('"') ? '""' : '',
  );
}

/** The fixture row in en-AU dates, its Message-IDs (`<…@`) those of copy `copy`. */
function enAuRow(row: string, copy: number): string {
  let out = withoutSourceContext(row).replace(/<([^@>]+)@/g, `<$1-${copy}@`);
  DAYS.forEach(([fixture, enAu, iso], index) => {
    out = out.replace(fixture, enAu).replaceAll(`${FIXTURE_ISO[index]}T`, `${iso}T`);
  });
  return out;
}

/**
 * `copies` copies of the fixture's messages (6 rows each, from line 3), CRLF as Windows PowerShell
 * writes. With `settled`, the last row (a refusal) is of 13 November: `13/11/2021` proves day-first.
 * Copies are numbered from `first`, so two exports can hold the same refusals or other ones.
 */
export function enAuExport(copies: number, options: { settled: boolean; first?: number }): Buffer {
  const [type, header, ...rows] = readFileSync(FIXTURE, 'utf8').trimEnd().split(/\r?\n/);
  const lines = [type, header];
  const first = options.first ?? 0;
  for (let copy = first; copy < first + copies; copy++) {
    for (const row of rows) lines.push(enAuRow(row, copy));
  }
  if (options.settled) {
    const last = lines.length - 1;
    lines[last] = (lines[last] as string)
      .replace('"12/11/2021 ', '"13/11/2021 ')
      .replaceAll('2021-11-12T', '2021-11-13T');
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

/** Where the rows of an {@link enAuExport} are: the first data line, and the last. */
export function exportLines(copies: number): { first: number; last: number } {
  return { first: 3, last: 2 + 6 * copies };
}
