/**
 * The analyze report says only what it knows: a file that gave nothing usable is a failed file
 * (exit 1), a file whose refusals were all counted from an earlier file says so, and the notes and
 * scripts kept beside the logs are listed as not analysed without failing the run.
 * Fixtures: test/fixtures/real-world/ (described in its README.md).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { analyze } from '../../functions/core/analysis/analyze.js';
import { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { cli } from '../support/capture-output.js';
import { MemorySink } from '../support/memory-sink.js';

const REAL = 'test/fixtures/real-world';
const STRING_ARRAYS = `${REAL}/string-array-export.csv`;
const OVERLAP = `${REAL}/overlapping-exports`;
const FOLDER = `${REAL}/folder-with-notes`;
const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];

/** `analyze … --no-store`: the findings go to stdout, the report (or `--json` summary) to stderr. */
async function analyseNoStore(...args: string[]): Promise<{ status: number; report: string }> {
  const { status, out } = await cli('analyze', ...args, ...DOMAINS, '--no-store');
  return { status, report: out.stderr };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-honest-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a file that gives nothing usable', () => {
  it('fails with NO_USABLE_ROWS and the reason when every row is skipped (System.String[] cells)', async () => {
    const { status, report } = await analyseNoStore(STRING_ARRAYS);
    expect(status).toBe(1);
    expect(report).toContain(`✗ ${STRING_ARRAYS} — not analysed: NO_USABLE_ROWS`);
    expect(report).toContain('all 6 of its rows had to be skipped, so it says nothing about relay refusals');
    expect(report).toMatch(/SYSTEM_STRING_ARRAY: 6 rows, e\.g\. line 2 \(Recipients\): .*-join ';'/);
    expect(report).toContain('1 file (1 could not be analysed)');
    expect(report).toContain('Nothing was analysed');
    expect(report).not.toMatch(/no relay refusals|nothing to fix/i);
  });

  it('stores the failure in the source record, with every skipped row still counted', async () => {
    const sink = new MemorySink();
    const domains = parseAcceptedDomains('contoso.com', 'test');
    const { sources } = await analyze(await localInputs([STRING_ARRAYS]), { domains, sink });
    expect(sources[0]).toMatchObject({
      status: 'failed',
      errorCode: 'NO_USABLE_ROWS',
      format: 'tracking-log-export',
      rowsRead: 6,
      rowsAnalysed: 0,
      rowsSkipped: 6,
      skippedByReason: { SYSTEM_STRING_ARRAY: 6 },
    });
    expect(SourceRecord.safeParse([...sink.sources.values()][0]).success).toBe(true);
  });

  it('fails a header without rows with EMPTY_INPUT, saying so', async () => {
    const { status, report } = await analyseNoStore('test/fixtures/bad/header-only.csv');
    expect(status).toBe(1);
    expect(report).toContain('✗ test/fixtures/bad/header-only.csv — not analysed: EMPTY_INPUT');
    expect(report).toContain(
      'has a header (message-trace) but no rows after it: there is nothing to analyse',
    );
    expect(report).not.toMatch(/no relay refusals|nothing to fix/i);
  });

  it('says "no relay refusals" only of the rows that were analysed', async () => {
    const { status, report } = await analyseNoStore(STRING_ARRAYS, 'sample-logs/message-trace.csv');
    expect(status).toBe(1);
    expect(report).toMatch(
      /✓ sample-logs\/message-trace\.csv — message trace: 16 rows, .*; no relay refusals/,
    );
    expect(report).toContain(
      'No relay refusals (5.7.64 TenantAttribution / 4.4.62 ATTR35) were found in the 16 rows analysed from 1 file;\n' +
        '1 file could not be analysed, so nothing is known of it.',
    );
    expect(report).toContain('Next step: export again (or fix) what could not be analysed (see above)');
    expect(report).not.toContain('nothing to fix');
  });
});

describe('a message trace whose Failed rows no file explains', () => {
  const TRACE =
    '"Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size","MessageId","MessageTraceId"\r\n' +
    '"2026-11-28T22:15:02.9910000Z","noreply@fabrikam.com","maria@wingtiptoys.com","x","Failed","","203.0.113.25","100","<D1@EX01.contoso.local>","6f12"\r\n' +
    '"2026-11-28T22:16:02.9910000Z","kate@contoso.com","lee@contoso.com","y","Delivered","","203.0.113.25","100","<D2@EX01.contoso.local>","6f13"\r\n';
  const DETAIL =
    '"Date","MessageId","MessageTraceId","Event","Action","Detail","Data"\r\n' +
    '"2026-11-28T22:15:03Z","<D1@EX01.contoso.local>","6f12","Fail","","Reason: [{LED=550 5.1.10 RESOLVER.ADR.RecipientNotFound}]",""\r\n';

  it('is no all-clear: it says the failures may be refusals and how to export their reasons', async () => {
    await writeFile(join(dir, 'trace.csv'), TRACE);
    const { status, report } = await analyseNoStore(join(dir, 'trace.csv'));
    expect(status).toBe(0);
    expect(report).not.toContain('nothing to fix');
    expect(report).toContain(
      'Next step: 1 message failed in the message trace, which does not say why: it may be a relay refusal.',
    );
    expect(report).toContain('Get-MessageTraceDetailV2 | Export-Csv');
    const summary = await analyseNoStore(join(dir, 'trace.csv'), '--json');
    expect((JSON.parse(summary.report) as { sources: SourceRecord[] }).sources[0]).toMatchObject({
      unexplainedFailures: 1,
    });
  });

  it('counts the failures of a historical search summary the same way (it has no error text either)', async () => {
    const { status, report } = await analyseNoStore('sample-logs/historical-search-summary.csv');
    expect(status).toBe(0);
    expect(report).not.toContain('nothing to fix');
    expect(report).toContain('Next step: 4 messages failed in the message trace, which does not say why');
    expect(report).toContain('Start-HistoricalSearch -ReportType MessageTraceDetail');
  });

  it('says nothing more once a detail export of the run gives the reason', async () => {
    await writeFile(join(dir, 'trace.csv'), TRACE);
    await writeFile(join(dir, 'trace-detail.csv'), DETAIL);
    const { status, report } = await analyseNoStore(join(dir, 'trace.csv'), join(dir, 'trace-detail.csv'));
    expect(status).toBe(0);
    expect(report).toContain('Next step: nothing to fix in these files.');
    expect(report).not.toContain('failed in the message trace');
  });
});

describe('overlapping exports', () => {
  it('says a file whose refusals were all counted from an earlier file, instead of "no relay refusals"', async () => {
    const { status, report } = await analyseNoStore(OVERLAP);
    expect(status).toBe(0);
    expect(report).toContain(
      `✓ ${OVERLAP}/tracking-1100-1400.csv — Get-MessageTrackingLog export: 8 rows, 8 analysed, 0 skipped; ` +
        `2 relay refusals, all already counted from ${OVERLAP}/tracking-0800-1200.csv`,
    );
    expect(report).toMatch(/tracking-0800-1200\.csv — .*; findings: foreign-sender-domain 3\n/);
    expect(report).not.toContain('no relay refusals');
  });

  it('records how many refusals repeated which earlier file, in the source record and the --json summary', async () => {
    const { status, report } = await analyseNoStore(OVERLAP, '--json');
    expect(status).toBe(0);
    const [first, second] = (JSON.parse(report) as { sources: SourceRecord[] }).sources;
    expect(first).toMatchObject({
      rejections: 3,
      duplicateRefusals: 0,
      findingsByScenario: { 'foreign-sender-domain': 3 },
    });
    expect(first?.duplicateOf).toBeUndefined();
    expect(second).toMatchObject({
      rejections: 2,
      duplicateRefusals: 2,
      duplicateOf: [`${OVERLAP}/tracking-0800-1200.csv`],
      findingsByScenario: {},
    });
  });

  it('counts a repeat of an earlier file, not a repeat within the file, and says so beside the findings', async () => {
    // The samples: -2.LOG line 29 repeats the refusal of -1.LOG line 31 (the wrong-region DEFER);
    // tracking-export-en-US.csv repeats its own line 11 on line 24.
    const domains = parseAcceptedDomains('contoso.com,corp.contoso.com,fabrikam-group.com', 'test');
    const { sources } = await analyze(await localInputs(['sample-logs']), {
      domains,
      sink: new MemorySink(),
    });
    const byName = new Map(sources.map((source) => [source.file, source]));
    expect(byName.get('sample-logs/MSGTRK2026112800-2.LOG')).toMatchObject({
      duplicateRefusals: 1,
      duplicateOf: ['sample-logs/MSGTRK2026112800-1.LOG'],
    });
    expect(byName.get('sample-logs/tracking-export-en-US.csv')).toMatchObject({ duplicateRefusals: 0 });
    expect(byName.get('sample-logs/tracking-export-en-US.csv')?.duplicateOf).toBeUndefined();

    const { report } = await analyseNoStore(
      'sample-logs/MSGTRK2026112800-1.LOG',
      'sample-logs/MSGTRK2026112800-2.LOG',
    );
    expect(report).toMatch(
      /MSGTRK2026112800-2\.LOG — .*; findings: .*; 1 more refusal already counted from sample-logs\/MSGTRK2026112800-1\.LOG\n/,
    );
  });
});

describe('a folder as users keep it', () => {
  it('lists notes, scripts and XML as not analysed, with why, and analyses the logs and exports', async () => {
    const { status, report } = await analyseNoStore(FOLDER);
    expect(status).toBe(0);
    expect(report).toMatch(/^relay-audit: 2 files, 6 rows/);
    expect(report).toContain(`✓ ${FOLDER}/tracking-export.csv — Get-MessageTrackingLog export`);
    // An export saved as .txt is recognised by its header.
    expect(report).toContain(`✓ ${FOLDER}/trace-saved-as.txt — Get-MessageTrackingLog export`);
    expect(report).toContain(
      [
        'Other files, not analysed',
        `  – ${FOLDER}/export.xml — not a log or export: .xml`,
        `  – ${FOLDER}/notes.md — not a log or export: .md`,
        `  – ${FOLDER}/README.txt — not a log or export: .txt, and no header relay-audit knows`,
        `  – ${FOLDER}/run.ps1 — not a log or export: .ps1`,
        `  – ${FOLDER}/summary.html — not a log or export: .html`,
      ].join('\n'),
    );
    expect(report).not.toContain('✗');
  });

  it('lists them in the --json summary too', async () => {
    const { report } = await analyseNoStore(FOLDER, '--json');
    const summary = JSON.parse(report) as { sources: SourceRecord[]; notAnalysed: { file: string }[] };
    expect(summary.sources.map((source) => source.status)).toEqual(['done', 'done']);
    expect(summary.notAnalysed.map((entry) => entry.file)).toEqual(
      ['export.xml', 'notes.md', 'README.txt', 'run.ps1', 'summary.html'].map((name) => `${FOLDER}/${name}`),
    );
  });

  it('still fails the run for a file in the folder that looks like an input and fails', async () => {
    const folder = join(dir, 'logs');
    await mkdir(folder);
    for (const name of ['tracking-export.csv', 'notes.md', 'run.ps1'])
      await copyFile(join(FOLDER, name), join(folder, name));
    await copyFile('test/fixtures/bad/unknown-format.csv', join(folder, 'mailboxes.csv'));
    await copyFile(STRING_ARRAYS, join(folder, 'export-without-join.csv'));
    const { status, out } = await cli('analyze', folder, ...DOMAINS, '--no-store');
    expect(status).toBe(1);
    expect(out.stderr).toMatch(/✗ .*mailboxes\.csv — not analysed: UNKNOWN_FORMAT/);
    expect(out.stderr).toMatch(/✗ .*export-without-join\.csv — not analysed: NO_USABLE_ROWS/);
    expect(out.stderr).toMatch(/– .*notes\.md — not a log or export: \.md/);
  });

  it('analyses a file named on the command line whatever its name, and fails it when it is not an input', async () => {
    const { status, report } = await analyseNoStore(`${FOLDER}/notes.md`);
    expect(status).toBe(1);
    expect(report).toContain(`✗ ${FOLDER}/notes.md — not analysed: UNKNOWN_FORMAT`);
  });

  it('is a usage error when a folder holds no log or export, naming what it found', async () => {
    const folder = join(dir, 'notes-only');
    await mkdir(folder);
    await writeFile(join(folder, 'notes.md'), '# nothing here yet\n');
    const { status, out } = await cli('analyze', folder, ...DOMAINS, '--no-store');
    expect(status).toBe(2);
    expect(out.stderr).toContain('no logs or exports found in');
    expect(out.stderr).toMatch(/notes\.md — not a log or export: \.md/);
  });
});
