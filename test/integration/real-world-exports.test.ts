/**
 * `Get-MessageTrackingLog` exports as admins really make them (test/fixtures/real-world/README.md):
 * lists joined with spaces, ` | `, `; `, `,` or `Out-String`, and the `System.Collections.ArrayList`
 * of a remote session — through the CLI, in-process, with `--no-store`.
 */
import { describe, expect, it } from 'vitest';
import { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeNoStore, type NoStoreRun } from '../support/analyze-no-store.js';

const DIR = 'test/fixtures/real-world';

/** Findings checked against the schema: these tests look at whole findings (code, ATTR, text). */
async function analyse(file: string): Promise<NoStoreRun> {
  const run = await analyzeNoStore(`${DIR}/${file}`, '--accepted-domains', 'contoso.com');
  return { ...run, findings: run.findings.map((finding) => Finding.parse(finding)) };
}

/** The same seven refusals in every list style: recipient → scenario. */
const EXPECTED: [recipient: string, scenario: string][] = [
  ['ap@litware.com', 'connector-mismatch'],
  ['ar@litware.com', 'connector-mismatch'],
  // 4.7.0 proxy session around 4.4.0 "responded with" around the 5.7.64.
  ['kate@tailspintoys.com', 'forwarding'],
  // Two recipients, each status a 4.4.0 around the 4.4.62.
  ['treasury@woodgrovebank.com', 'wrong-region'],
  ['auditor@woodgrovebank.com', 'wrong-region'],
  // A queue error around both wrappers: three levels deep.
  ['john@fabrikam.com', 'ndr'],
  ['oncall@adatum.com', 'foreign-sender-domain'],
];

const byRecipient = (a: [string, string], b: [string, string]) => a[0].localeCompare(b[0]);

describe('exports with lists joined the ways people do', () => {
  const idsByFile = new Map<string, string[]>();

  it.each([
    // file, line of the row whose lists cannot be paired (a status entry left empty)
    ['string-cast.csv', 10],
    ['join-pipe.csv', 10],
    ['join-comma.csv', 10],
    ['join-semicolon-space-nl-NL.csv', 11],
    ['out-string.csv', 38],
  ])(
    '%s: every refusal found, nested ones too, and the unpairable row fails the file',
    async (file, mismatchLine) => {
      const { status, findings, source } = await analyse(file);
      // The unpairable row holds refusals that cannot be told apart: the file fails, its others stand.
      expect(status).toBe(1);
      expect(source).toMatchObject({
        status: 'failed',
        errorCode: 'REFUSAL_NOT_READ',
        format: 'tracking-log-export',
        rowsRead: 10,
      });
      expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
      expect(source.skipped).toEqual([
        expect.objectContaining({ line: mismatchLine, reason: 'REFUSAL_NOT_READ' }),
      ]);
      expect(source.skipped[0]?.message).toMatch(
        /^3 recipients but 2 statuses.*, yet it holds relay-refusal text \(5\.7\.64\)$/,
      );
      expect(findings.map((f) => [f.recipient, f.scenario] as [string, string]).sort(byRecipient)).toEqual(
        [...EXPECTED].sort(byRecipient),
      );
      expect(source.findingsByScenario).toEqual({
        'connector-mismatch': 2,
        forwarding: 1,
        'wrong-region': 2,
        ndr: 1,
        'foreign-sender-domain': 1,
      });
      // The refusal is the innermost answer, with its own text, code and ATTR.
      const forwarded = findings.find((f) => f.recipient === 'kate@tailspintoys.com');
      expect(forwarded).toMatchObject({ code: '5.7.64', smtpCode: '550', attr: 'ATTR36' });
      expect(forwarded?.rejectionText).toMatch(
        /^550 5\.7\.64 TenantAttribution; Relay Access Denied ATTR36 \[/,
      );
      expect(findings.find((f) => f.recipient === 'auditor@woodgrovebank.com')).toMatchObject({
        code: '4.4.62',
        smtpCode: '451',
        attr: 'ATTR35',
      });
      // Nested ordinary failures (5.1.1 inside a 4.4.0, an on-premises 5.7.54) and the 5.1.10 are no findings.
      const recipients = findings.map((f) => f.recipient);
      for (const ordinary of ['jdoe@gmail.com', 'lee@contoso.com', 'old.account@contoso.com'])
        expect(recipients).not.toContain(ordinary);
      idsByFile.set(file, findings.map((f) => f.id).sort());
    },
  );

  it('gives the same finding ids whatever the list style (one refusal is one finding)', () => {
    const ids = [...idsByFile.values()];
    expect(ids).toHaveLength(5);
    expect(new Set(ids[0]).size).toBe(7);
    for (const other of ids) expect(other).toEqual(ids[0]);
  });

  it('reports the System.Collections.ArrayList of a remote session like System.String[], with the re-export command', async () => {
    const { status, findings, source } = await analyse('remote-session-arraylist.csv');
    // Nothing usable in the file: a failed file (exit 1), never "no relay refusals".
    expect(status).toBe(1);
    expect(findings).toEqual([]);
    expect(source).toMatchObject({
      status: 'failed',
      errorCode: 'NO_USABLE_ROWS',
      rowsRead: 10,
      rowsAnalysed: 0,
      rowsSkipped: 10,
    });
    // The FAIL and DEFER rows lost their status (they may be refusals); the others only their lists.
    expect(source.skippedByReason).toEqual({ SYSTEM_STRING_ARRAY: 3, STATUS_NOT_EXPORTED: 7 });
    expect(source.skipped.map((row) => [row.line, row.reason, row.column])).toEqual([
      [2, 'SYSTEM_STRING_ARRAY', 'Recipients'],
      [3, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
      [4, 'SYSTEM_STRING_ARRAY', 'Recipients'],
      [5, 'SYSTEM_STRING_ARRAY', 'Recipients'],
      [6, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
      [7, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
      [8, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
      [9, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
      [10, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
      [11, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
    ]);
    for (const row of source.skipped) {
      expect(row.message).toContain('"System.Collections.ArrayList"');
      expect(row.message).toContain(`@{n='${row.column}';e={$_.${row.column} -join ';'}}`);
    }
    expect(source.skipped.find((row) => row.line === 7)?.message).toMatch(
      /^the status of this DEFER row was not exported \(the cell holds the literal "System\.Collections\.ArrayList": the list was not joined\), so whether it is a relay refusal cannot be told/,
    );
  });
});
