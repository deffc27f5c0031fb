/**
 * A stored finding read under what has changed since is corrected by the run that knows better,
 * through the CLI into the embedded store: judged with an accepted-domain list that lacked the
 * sender's domain, it follows the corrected list when only the tracking log is analysed again (the
 * session its send protocol log showed is kept); read from an export in local time taken as UTC,
 * or from a syslog date given the wrong year, it takes the time of a reading without the
 * assumption. The run's report says what the store holds, and the rollup counters move with the
 * findings, never counting one twice.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { rollupKey } from '../../functions/store/table-design.js';
import { cli } from '../support/capture-output.js';
import { countsPerCell, findingsOf } from '../support/rollup-counts.js';

const SAMPLES = 'sample-logs';
const TRACKING = join(SAMPLES, 'MSGTRK2026112800-1.LOG');
const SEND_LOG = join(SAMPLES, 'SEND20261128-1.LOG');
const MAIL_LOG = join(SAMPLES, 'postfix-mail.log');
/** The list of the tenant: contoso.com, corp.contoso.com, fabrikam-group.com. */
const DOMAINS = join(SAMPLES, 'config', 'accepted-domains.csv');

/** `Get-MessageTrackingLog | Export-Csv` of one refusal (two refused recipients), its time as given. */
function trackingExport(timestamp: string): string {
  return [
    '"RunspaceId","Timestamp","ClientIp","ClientHostname","ServerIp","ServerHostname","SourceContext","ConnectorId","Source","EventId","InternalMessageId","MessageId","NetworkMessageId","Recipients","RecipientStatus","TotalBytes","RecipientCount","RelatedRecipientAddress","Reference","MessageSubject","Sender","ReturnPath","Directionality","TenantId","OriginalClientIp","OriginalServerIp","MessageInfo","MessageLatency","MessageLatencyType","EventData","TransportTrafficType","SchemaVersion"',
    `"9c1f4e2a-7b3d-4f8e-a5c6-2d1b0e9f8a73","${timestamp}","10.0.1.11","EX01.contoso.local","52.101.1.1","contoso-com.mail.protection.outlook.com","08DF502D89EA854E;2026-11-28T14:05:32.770Z;0","EX01\\Outbound to Office 365","SMTP","FAIL","25217329339","<DF11E8BBF5FA24154BE579FE2BD92335@EX01.contoso.local>","7661d4c1-b386-544e-ac41-734392f0bb6c","ap@litware.com;AR@LITWARE.COM","550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com];550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]","20480","2",,,"Payment run 2026-48","Finance@Contoso.COM","Finance@Contoso.COM","Originating",,,"10.0.1.11","",,"None","System.Collections.Generic.KeyValuePair\`2[System.String,System.Object][]","Email","15.02.1544.004"`,
    '',
  ].join('\r\n');
}

let dir: string;
let stores = 0;
/** The same row exported in en-US local time (US Eastern, 8:05:32 PM) and as ISO 8601 UTC. */
let localExport: string;
let utcExport: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-stale-readings-'));
  localExport = join(dir, 'tracking-local-time.csv');
  utcExport = join(dir, 'tracking-utc-iso.csv');
  await writeFile(localExport, trackingExport('11/28/2026 8:05:32 PM'));
  await writeFile(utcExport, trackingExport('2026-11-29T01:05:32.770Z'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function newDb(): string {
  stores += 1;
  return join(dir, `db-${stores}`);
}

/** What `analyze --json` reports of a run. */
interface RunReport {
  sources: { file: string; findingsByScenario: Record<string, number> }[];
}

/** Analyses `argv` into `db`; the run's report. */
async function analyse(db: string, ...argv: string[]): Promise<RunReport> {
  const result = await cli('analyze', ...argv, '--db', db, '--json');
  expect(result.status, result.out.stderr).toBe(0);
  return JSON.parse(result.out.stdout) as RunReport;
}

async function storedFindings(db: string): Promise<Finding[]> {
  const listed = await cli('findings', '--db', db, '--format', 'ndjson');
  expect(listed.status).toBe(0);
  return [...findingsOf(listed.out.stdout).values()];
}

/** The store's counters are the counts its findings give, cell by cell, on every day they were ever on. */
async function expectCountersOf(db: string, findings: readonly Finding[]): Promise<void> {
  const handle = await startEmbeddedStore({ dir: db });
  try {
    const rows = await handle.store.queryRollupCounters({ from: '2025-01-01', to: '2026-12-31' });
    const counters = new Map(
      rows
        .filter((row) => row.count !== 0)
        .map((row) => {
          const key = rollupKey(row);
          return [`${key.pk} ${key.sk}`, row.count];
        }),
    );
    expect(counters).toEqual(countsPerCell(findings));
  } finally {
    await handle.close();
  }
}

/** Findings per scenario of those read from `file`, as a run's report counts them. */
function scenariosOf(findings: readonly Finding[], file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const finding of findings.filter((f) => f.source.file === file))
    counts[finding.scenario] = (counts[finding.scenario] ?? 0) + 1;
  return counts;
}

/** The report's counts without the scenarios at zero. */
function nonZero(counts: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(counts ?? {}).filter(([, count]) => count > 0));
}

describe('a finding judged with an accepted-domain list corrected since', () => {
  it('follows the corrected list when the tracking log is analysed again alone, keeping the session', async () => {
    // Prepare: day 1, the log tree with a list that lacks contoso.com.
    const db = newDb();
    await analyse(db, TRACKING, SEND_LOG, '--accepted-domains', 'fabrikam-group.com');
    const before = (await storedFindings(db)).find((f) => f.recipient === 'supplier@litware.com');
    expect(before?.scenario).toBe('foreign-sender-domain');

    // Act: day 2, the list fixed, the MessageTracking folder again.
    const report = await analyse(db, TRACKING, '--accepted-domains', DOMAINS);

    // Assess: the refusal as the corrected list judges it, with the certificate the session showed
    // (but no judgement of it by the old list); the run's report and the counters say the same.
    const findings = await storedFindings(db);
    const after = findings.find((f) => f.recipient === 'supplier@litware.com');
    expect(after).toMatchObject({ scenario: 'connector-mismatch', confidence: 'high' });
    expect(after?.remediation.title).toBe('Make the inbound connector match the server again');
    expect(after?.evidence.map((item) => item.kind)).toEqual([
      'return-path',
      'accepted-domain',
      'no-attr36',
      'protocol-log',
      'presented-certificate',
    ]);
    const source = report.sources.find((s) => s.file === TRACKING);
    expect(scenariosOf(findings, TRACKING)).toEqual(nonZero(source?.findingsByScenario));
    await expectCountersOf(db, findings);
  });
});

describe('a time read under an assumption', () => {
  it.each([
    ['the local-time export first', () => [localExport, utcExport]],
    ['the UTC export first', () => [utcExport, localExport]],
  ])('gives way to the same refusal read with a zone (%s)', async (_order, files) => {
    // Prepare
    const db = newDb();
    const [first, second] = files();
    if (first === undefined || second === undefined) throw new Error('two files');

    // Act
    await analyse(db, first, '--accepted-domains', DOMAINS);
    await analyse(db, second, '--accepted-domains', DOMAINS);

    // Assess: both refusals on 29 November, unmarked, and counted there only.
    const findings = await storedFindings(db);
    expect(findings.map((f) => [f.recipient, f.timestamp]).sort()).toEqual([
      ['ap@litware.com', '2026-11-29T01:05:32.770Z'],
      ['ar@litware.com', '2026-11-29T01:05:32.770Z'],
    ]);
    for (const finding of findings)
      expect(finding.evidence.map((item) => item.kind)).not.toContain('time-zone-assumed');
    await expectCountersOf(db, findings);
  });

  it('marks a time taken as UTC, and keeps it while no reading with a zone came', async () => {
    // Act
    const db = newDb();
    await analyse(db, localExport, '--accepted-domains', DOMAINS);

    // Assess
    const findings = await storedFindings(db);
    expect(findings.map((f) => f.timestamp)).toEqual([
      '2026-11-28T20:05:32.000Z',
      '2026-11-28T20:05:32.000Z',
    ]);
    for (const finding of findings)
      expect(finding.evidence.map((item) => item.kind)).toContain('time-zone-assumed');
  });

  it('takes the year a newer run gives the same syslog file, and moves the counters with it', async () => {
    // Prepare: the mail log read with --year 2025 by mistake.
    const db = newDb();
    await analyse(db, MAIL_LOG, '--accepted-domains', DOMAINS, '--year', '2025');
    const mistaken = await storedFindings(db);
    expect(mistaken.map((f) => f.timestamp.slice(0, 4))).toEqual(mistaken.map(() => '2025'));

    // Act
    await analyse(db, MAIL_LOG, '--accepted-domains', DOMAINS, '--year', '2026');

    // Assess: the same findings, each a year later to the millisecond, and none left in 2025.
    const findings = await storedFindings(db);
    const moved = (finding: Finding) => `2026${finding.timestamp.slice(4)}`;
    expect(new Map(findings.map((f) => [f.id, f.timestamp]))).toEqual(
      new Map(mistaken.map((f) => [f.id, moved(f)])),
    );
    await expectCountersOf(db, findings);
  });
});
