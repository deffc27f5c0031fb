/**
 * The nightly analysis (`runNightly`) against the real embedded engine (dynalite in memory): rollups,
 * first-seen sender domains, spikes, cross-upload reclassification, idempotency, report content,
 * EMF metric lines and publishing only when findings are new. Each test gets its own table.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../functions/core/analysis/analyze.js';
import { CORRELATION_EVIDENCE_KIND } from '../../functions/core/analysis/evidence/correlation.js';
import { type InboundEntry, inboundEntryOf } from '../../functions/core/analysis/evidence/inbound-entry.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { SCENARIO_DESCRIPTIONS } from '../../functions/core/analysis/remediation/index.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { SPIKE_MIN_FINDINGS } from '../../functions/nightly/day-comparison.js';
import { PublishError } from '../../functions/nightly/errors.js';
import { NightlyReport } from '../../functions/nightly/report.js';
import type { ReportFile, ReportSink } from '../../functions/nightly/report-sink.js';
import {
  type NightlyResult,
  type RunNightlyOptions,
  runNightly,
} from '../../functions/nightly/run-nightly.js';
import type { AlertSummary } from '../../functions/nightly/summary.js';
import {
  FINDINGS_METRIC,
  METRIC_NAMESPACE,
  SERVICE_NAMES,
} from '../../functions/runtime/observability-names.js';
import { powertools } from '../../functions/runtime/powertools.js';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { recordInboundMessages } from '../../functions/store/inbound-index.js';
import { FindingsStore, type RollupItem, sourceId } from '../../functions/store/index.js';
import { captureJsonLines } from '../support/json-lines.js';
import { type FindingOverrides, makeFinding } from '../support/make-finding.js';
import { printMetrics } from '../support/quiet-metrics.js';
import { RecordingPublisher } from '../support/recording-publisher.js';

const DAY = '2026-11-20';
const NOW = new Date('2026-11-21T02:00:00.000Z');

let engine: EmbeddedStore;
let tableCounter = 0;

beforeAll(async () => {
  printMetrics();
  engine = await startEmbeddedStore({ inMemory: true });
});

afterAll(async () => {
  await engine?.close();
});

/** A report sink that keeps the files in memory. */
class MemoryReportSink implements ReportSink {
  public readonly files = new Map<string, ReportFile>();
  public async write(files: readonly ReportFile[]): Promise<string[]> {
    for (const file of files) this.files.set(file.name, file);
    return files.map((file) => `memory://${file.name}`);
  }
}

interface Harness {
  store: FindingsStore;
  table: { client: EmbeddedStore['client']; tableName: string };
  reports: MemoryReportSink;
  publisher: RecordingPublisher;
  /** The embedded-metric-format documents the runs wrote. */
  metrics: Record<string, unknown>[];
  run(overrides?: Partial<RunNightlyOptions>): Promise<NightlyResult>;
}

/** A fresh table on the shared engine, and a `run` with the harness's sinks wired in. */
async function harness(): Promise<Harness> {
  tableCounter += 1;
  const tableName = `nightly-${tableCounter}`;
  const store = new FindingsStore({ client: engine.client, tableName });
  await store.ensureTable();
  const table = { client: engine.client, tableName };
  const reports = new MemoryReportSink();
  const publisher = new RecordingPublisher();
  const metrics: Record<string, unknown>[] = [];
  // Outside Lambda: no function name, so `service` is the only default dimension.
  const tools = powertools(SERVICE_NAMES.nightly, 'silent', {});
  return {
    store,
    table,
    reports,
    publisher,
    metrics,
    run: async (overrides = {}) => {
      const { result, lines } = await captureJsonLines(() =>
        runNightly({
          store,
          table,
          date: DAY,
          now: () => NOW,
          reports,
          publisher,
          metrics: tools.metrics,
          ...overrides,
        }),
      );
      metrics.push(...lines.filter((line) => '_aws' in line));
      return result;
    },
  };
}

/** `count` findings on `date` (a minute apart from 10:00 UTC), each for its own message. */
function findingsOn(date: string, count: number, overrides: FindingOverrides = {}): Finding[] {
  return Array.from({ length: count }, (_, i) =>
    makeFinding({
      ...overrides,
      timestamp: new Date(Date.parse(`${date}T10:00:00.000Z`) + i * 60_000).toISOString(),
    }),
  );
}

function rollupCounts(rows: readonly RollupItem[]): Record<string, number> {
  return Object.fromEntries(
    rows.map((row) => [`${row.date} ${row.scenario} ${row.senderDomain} ${row.server}`, row.count]),
  );
}

describe('rollups', () => {
  it('counts the day per scenario × sender domain × server, with stable placeholders, and ignores other days', async () => {
    // Prepare
    const h = await harness();
    await h.store.putFindings([
      ...findingsOn(DAY, 3, {
        scenario: 'connector-mismatch',
        senderDomain: 'Contoso.com',
        serverHostname: 'EX01.contoso.local',
      }),
      ...findingsOn(DAY, 2, {
        scenario: 'connector-mismatch',
        senderDomain: 'contoso.com',
        serverHostname: 'EX02.contoso.local',
      }),
      ...findingsOn(DAY, 1, {
        scenario: 'ndr',
        senderDomain: undefined,
        returnPath: '',
        serverHostname: undefined,
        connectorId: 'EX01\\Outbound to Office 365',
      }),
      ...findingsOn(DAY, 1, {
        scenario: 'wrong-region',
        senderDomain: undefined,
        returnPath: undefined,
        serverHostname: undefined,
      }),
      ...findingsOn('2026-11-21', 4, { scenario: 'ndr' }),
    ]);
    // Act
    const result = await h.run({ lookBackDays: 0 });
    // Assess
    expect(rollupCounts(await h.store.queryRollups({ from: DAY, to: DAY }))).toEqual({
      [`${DAY} connector-mismatch contoso.com ex01.contoso.local`]: 3,
      [`${DAY} connector-mismatch contoso.com ex02.contoso.local`]: 2,
      [`${DAY} ndr <> EX01\\Outbound to Office 365`]: 1,
      [`${DAY} wrong-region (unknown) (unknown)`]: 1,
    });
    // Ingest counted them as it wrote them: the nightly check finds nothing to correct.
    expect(result.rollups).toEqual({ repaired: 0, deleted: 0 });
    expect(result.report.totals.findings).toBe(7);
    expect(result.report.topServers[0]).toEqual({ server: 'ex01.contoso.local', count: 3 });
  });

  it('repairs the look-back days: drifted counters corrected, rows no finding backs deleted', async () => {
    // Prepare: a stale row for the day (e.g. from before a reclassification), findings on the day and
    // a late one two days back, then a counter that drifted (a write lost between finding and counter).
    const h = await harness();
    await h.store.putRollups([
      {
        date: DAY,
        scenario: 'foreign-sender-domain',
        senderDomain: 'gone.example',
        server: 'ex01',
        count: 9,
      },
    ]);
    await h.store.putFindings([...findingsOn(DAY, 2), ...findingsOn('2026-11-18', 1, { scenario: 'ndr' })]);
    const [late] = await h.store.queryRollups({ from: '2026-11-18', to: '2026-11-18' });
    if (!late) throw new Error('no counter for the late finding');
    await h.store.putRollups([{ ...late, count: 5 }]);
    // Act
    const result = await h.run();
    // Assess
    expect(result.window).toEqual(['2026-11-18', '2026-11-19', DAY]);
    const rows = await h.store.queryRollups({ from: '2026-11-18', to: DAY });
    expect(rows.map((row) => `${row.date} ${row.scenario} ${row.count}`)).toEqual([
      '2026-11-18 ndr 1',
      `${DAY} forwarding 2`,
    ]);
    expect(result.rollups).toEqual({ repaired: 1, deleted: 1 });
    expect((await h.run()).rollups).toEqual({ repaired: 0, deleted: 0 });
    expect(result.report.days.map((day) => [day.date, day.findings])).toEqual([
      ['2026-11-18', 1],
      ['2026-11-19', 0],
      [DAY, 2],
    ]);
  });
});

describe('first-seen sender domains', () => {
  it('reports domains absent from the 30 days before, never the null-sender or unknown placeholders', async () => {
    // Prepare: history rollups (not recomputed with lookBackDays 0).
    const h = await harness();
    await h.store.putRollups([
      { date: '2026-11-10', scenario: 'forwarding', senderDomain: 'known.example', server: 'ex01', count: 1 },
      {
        date: '2026-10-20',
        scenario: 'forwarding',
        senderDomain: 'long-ago.example',
        server: 'ex01',
        count: 1,
      },
    ]);
    await h.store.putFindings([
      ...findingsOn(DAY, 2, { senderDomain: 'known.example' }),
      ...findingsOn(DAY, 3, { scenario: 'foreign-sender-domain', senderDomain: 'new.example' }),
      ...findingsOn(DAY, 1, { senderDomain: 'long-ago.example' }),
      ...findingsOn(DAY, 1, { scenario: 'ndr', senderDomain: undefined, returnPath: '' }),
    ]);
    // Act
    const { report, markdown } = await h.run({ lookBackDays: 0 });
    // Assess
    expect(report.newSenderDomains).toEqual([
      { domain: 'new.example', count: 3, scenarios: { 'foreign-sender-domain': 3 } },
      { domain: 'long-ago.example', count: 1, scenarios: { forwarding: 1 } },
    ]);
    expect(markdown).toMatch(
      /## New sender domains \(not seen in the 30 days before\)[\s\S]*\| new\.example \| 3 \|/,
    );
    expect(report.nextSteps.join('\n')).toMatch(/first seen in 30 days: new\.example, long-ago\.example/);
  });
});

describe('spikes', () => {
  it('flags a scenario at ≥ 2× its 7-day average and ≥ 5 findings, and nothing below either threshold', async () => {
    // Prepare: 7 days of history — ndr 2/day, wrong-region 3/day, foreign-sender-domain 10/day, none of connector-mismatch.
    const h = await harness();
    const history: RollupItem[] = [];
    for (let d = 13; d <= 19; d++) {
      const date = `2026-11-${d}`;
      history.push(
        { date, scenario: 'ndr', senderDomain: '<>', server: 'ex01', count: 2 },
        { date, scenario: 'wrong-region', senderDomain: 'contoso.com', server: 'ex01', count: 3 },
        { date, scenario: 'foreign-sender-domain', senderDomain: 'app.example', server: 'ex01', count: 10 },
      );
    }
    await h.store.putRollups(history);
    await h.store.putFindings([
      ...findingsOn(DAY, 4, { scenario: 'ndr' }), // 2× but under 5 findings
      ...findingsOn(DAY, 6, { scenario: 'wrong-region' }), // exactly 2× and ≥ 5
      ...findingsOn(DAY, SPIKE_MIN_FINDINGS, { scenario: 'connector-mismatch' }), // from nothing
      ...findingsOn(DAY, 15, { scenario: 'foreign-sender-domain', senderDomain: 'app.example' }), // 1.5×
    ]);
    // Act
    const { report, markdown } = await h.run({ lookBackDays: 0 });
    // Assess
    expect(report.spikes).toEqual([
      { scenario: 'wrong-region', count: 6, baselineAverage: 3, ratio: 2 },
      { scenario: 'connector-mismatch', count: 5, baselineAverage: 0, ratio: null },
    ]);
    const ndr = report.scenarios.find((line) => line.scenario === 'ndr');
    expect(ndr).toMatchObject({ count: 4, previousDay: 2, change: 2, baselineAverage: 2, spike: false });
    expect(markdown).toMatch(/- \*\*wrong-region\*\*: 6 findings, 2× the average of 3/);
    expect(report.nextSteps[0]).toMatch(/^Investigate the spike in "Wrong endpoint or region/);
  });
});

describe('cross-upload correlation', () => {
  const refused = {
    scenario: 'foreign-sender-domain',
    messageId: 'CAJx7rT2mQ9kFz1v0b8YwP3n@mail.fabrikam.com',
    recipient: 'kate@tailspintoys.com',
    returnPath: 'john@fabrikam.com',
    sender: 'john@fabrikam.com',
    senderDomain: 'fabrikam.com',
    timestamp: `${DAY}T22:15:03.104Z`,
    confidence: 'high',
    evidence: [{ kind: 'not-accepted', detail: 'fabrikam.com is not an accepted domain' }],
    source: { sourceId: 'upload-b', file: 'incoming/MSGTRK2026112000-2.LOG' },
  } satisfies FindingOverrides;
  const receipt: InboundEntry = {
    messageId: '<CAJx7rT2mQ9kFz1v0b8YwP3n@mail.fabrikam.com>',
    recipient: 'kate@contoso.com',
    receivedAt: `${DAY}T22:14:57.806Z`,
    sourceId: 'upload-a',
    file: 'incoming/MSGTRK2026112000-1.LOG',
    eventId: 'RECEIVE',
  };

  it('turns a foreign-sender-domain finding into forwarding when another upload saw the message arrive for an internal recipient', async () => {
    // Prepare
    const h = await harness();
    const finding = makeFinding(refused);
    await h.store.putFindings([finding]);
    await recordInboundMessages(h.table, [receipt]);
    // Act
    const result = await h.run({ lookBackDays: 0 });
    // Assess
    expect(result.reclassified).toBe(1);
    const stored = await h.store.getFinding(finding.id);
    expect(stored?.scenario).toBe('forwarding');
    expect(stored?.confidence).toBe('medium');
    expect(stored?.remediation.title).toMatch(/^Forward outside mail from Exchange Online/);
    expect(stored?.remediation.explanation).toContain('fabrikam.com');
    expect(stored?.evidence.map((item) => item.kind)).toEqual([
      'not-accepted',
      'foreign-recipient',
      'internal-recipient',
      CORRELATION_EVIDENCE_KIND,
    ]);
    expect(stored?.evidence[2]?.detail).toMatch(
      /received for kate@contoso\.com in another upload \(incoming\/MSGTRK2026112000-1\.LOG/,
    );
    // The finding moved partitions: the scenario index and the rollups agree.
    expect((await h.store.queryFindings({ scenario: 'foreign-sender-domain' })).items).toEqual([]);
    expect(rollupCounts(await h.store.queryRollups({ from: DAY, to: DAY }))).toEqual({
      [`${DAY} forwarding fabrikam.com ex01.contoso.local`]: 1,
    });
    expect(result.report.reclassified).toEqual({
      count: 1,
      findings: [
        {
          id: finding.id,
          timestamp: refused.timestamp,
          messageId: refused.messageId,
          recipient: refused.recipient,
          senderDomain: 'fabrikam.com',
        },
      ],
    });
    expect(result.markdown).toMatch(/1 foreign-sender-domain finding became forwarding/);
  });

  it('leaves findings alone when the receipt does not prove forwarding', async () => {
    // Prepare: one finding per reason the receipt is not evidence, each with its own Message-ID.
    const h = await harness();
    const cases: { finding: FindingOverrides; entry: Partial<InboundEntry> }[] = [
      { finding: {}, entry: { sourceId: 'upload-b' } }, // same upload: the classifier already judged it
      { finding: {}, entry: { recipient: 'kate@tailspintoys.com' } }, // the refused recipient itself
      { finding: {}, entry: { recipient: 'other@tailspintoys.com' } }, // the refused recipient's own domain
      { finding: {}, entry: { receivedAt: '2026-11-12T22:14:57.806Z' } }, // more than 7 days before
      { finding: {}, entry: { receivedAt: `${DAY}T23:00:00.000Z` } }, // after the refusal, beyond clock skew
      { finding: { returnPath: '' }, entry: {} }, // null sender
      { finding: { scenario: 'connector-mismatch' }, entry: {} }, // not foreign-sender-domain
    ];
    const findings = cases.map((c, i) =>
      makeFinding({ ...refused, ...c.finding, messageId: `case-${i}@fabrikam.com` }),
    );
    await h.store.putFindings(findings);
    await recordInboundMessages(
      h.table,
      cases.map((c, i) => ({ ...receipt, ...c.entry, messageId: `<case-${i}@fabrikam.com>` })),
    );
    // Act
    const result = await h.run({ lookBackDays: 0 });
    // Assess
    expect(result.reclassified).toBe(0);
    for (const finding of findings) expect(await h.store.getFinding(finding.id)).toEqual(finding);
  });

  it('completes the forwarding evidence of a sample log analysed on its own', async () => {
    // Prepare: MSGTRK…-2.LOG alone has the FAIL but not the RECEIVE (that is in -1.LOG, another upload).
    const h = await harness();
    const domains = parseAcceptedDomains(
      await readFile('sample-logs/config/accepted-domains.csv', 'utf8'),
      'sample',
    );
    const file = 'sample-logs/MSGTRK2026112800-2.LOG';
    await analyze([{ name: file, sourceId: sourceId('upload-2'), open: () => createReadStream(file) }], {
      domains,
      sink: h.store,
    });
    const before = await h.store.countFindingsByScenario({ since: '2026-11-28', until: '2026-11-28' });
    // The index entry ingest would record for -1.LOG line 32 (RECEIVE for kate@contoso.com).
    const entry = inboundEntryOf(
      {
        timestamp: '2026-11-28T22:14:57.806Z',
        eventId: 'RECEIVE',
        source: 'SMTP',
        messageId: 'CAJx7rT2mQ9kFz1v0b8YwP3n@mail.fabrikam.com',
        recipient: 'kate@contoso.com',
        sender: 'john@fabrikam.com',
        returnPath: 'john@fabrikam.com',
        directionality: 'incoming',
        line: 32,
      },
      { sourceId: sourceId('upload-1'), file: 'sample-logs/MSGTRK2026112800-1.LOG' },
      domains,
    );
    expect(entry).toBeDefined();
    await recordInboundMessages(h.table, [entry as InboundEntry]);
    // Act
    const result = await h.run({
      date: '2026-11-28',
      now: () => new Date('2026-11-29T02:00:00Z'),
      lookBackDays: 1,
    });
    // Assess
    expect(result.reclassified).toBe(1);
    const after = await h.store.countFindingsByScenario({ since: '2026-11-28', until: '2026-11-28' });
    expect(after).toEqual({
      ...before,
      forwarding: before.forwarding + 1,
      'foreign-sender-domain': before['foreign-sender-domain'] - 1,
    });
    expect(result.report.reclassified.findings[0]?.recipient).toBe('kate@tailspintoys.com');
    expect(result.report.totals.findings).toBe(Object.values(before).reduce((a, b) => a + b, 0));
  });
});

describe('idempotency', () => {
  it('gives the same rollups, report files and findings when run twice, and reclassifies nothing the second time', async () => {
    // Prepare
    const h = await harness();
    await h.store.putFindings([
      ...findingsOn(DAY, 3, { scenario: 'ndr', senderDomain: undefined, returnPath: '' }),
      ...findingsOn(DAY, 2, {
        scenario: 'foreign-sender-domain',
        senderDomain: 'app.example',
        messageId: undefined,
      }),
      makeFinding({
        scenario: 'foreign-sender-domain',
        messageId: 'fwd@fabrikam.com',
        recipient: 'kate@tailspintoys.com',
        senderDomain: 'fabrikam.com',
        timestamp: `${DAY}T12:00:00.000Z`,
        source: { sourceId: 'upload-b' },
      }),
    ]);
    await recordInboundMessages(h.table, [
      {
        messageId: 'fwd@fabrikam.com',
        recipient: 'kate@contoso.com',
        receivedAt: `${DAY}T11:59:58.000Z`,
        sourceId: 'upload-a',
      },
    ]);
    // Act
    const first = await h.run();
    const filesAfterFirst = new Map(h.reports.files);
    const rollupsAfterFirst = await h.store.queryRollups({ from: '2026-11-18', to: DAY });
    const findingsAfterFirst = (await h.store.queryFindings({ since: DAY, until: DAY, limit: 100 })).items;
    const second = await h.run();
    // Assess
    expect(first.reclassified).toBe(1);
    expect(second.reclassified).toBe(0);
    expect(second.report).toEqual(first.report);
    expect(second.markdown).toBe(first.markdown);
    expect(h.reports.files).toEqual(filesAfterFirst);
    expect(await h.store.queryRollups({ from: '2026-11-18', to: DAY })).toEqual(rollupsAfterFirst);
    expect((await h.store.queryFindings({ since: DAY, until: DAY, limit: 100 })).items).toEqual(
      findingsAfterFirst,
    );
    expect(second.report.reclassified.count).toBe(1);
  });
});

describe('report', () => {
  it('writes a schema-valid JSON report and a readable Markdown report with counts, changes and next steps', async () => {
    // Prepare
    const h = await harness();
    await h.store.putFindings([
      ...findingsOn('2026-11-19', 1, { scenario: 'ndr' }),
      ...findingsOn(DAY, 2, { scenario: 'ndr', senderDomain: 'a|b.example' }),
      ...findingsOn(DAY, 1, { scenario: 'wrong-region', senderDomain: 'contoso.com' }),
    ]);
    // Act
    const result = await h.run();
    // Assess: the files
    expect([...h.reports.files.keys()]).toEqual([`${DAY}.json`, `${DAY}.md`]);
    const json = h.reports.files.get(`${DAY}.json`);
    expect(json?.contentType).toMatch(/^application\/json/);
    expect(NightlyReport.parse(JSON.parse(json?.body ?? ''))).toEqual(result.report);
    expect(h.reports.files.get(`${DAY}.md`)?.body).toBe(result.markdown);
    expect(result.locations).toEqual([`memory://${DAY}.json`, `memory://${DAY}.md`]);
    // … the numbers
    const ndr = result.report.scenarios.find((line) => line.scenario === 'ndr');
    expect(ndr).toMatchObject({ count: 2, previousDay: 1, change: 1 });
    // 'a|b.example' is not a domain name: rolled up, and reported, as (unknown), never named.
    expect(result.report.topSenderDomains.map((line) => line.domain)).toEqual(['(unknown)', 'contoso.com']);
    // … and the Markdown
    const md = result.markdown;
    expect(md).toMatch(new RegExp(`^# relay-audit nightly report — ${DAY}\n`));
    expect(md).toContain(`| ${SCENARIO_DESCRIPTIONS.ndr.title} (\`ndr\`) | 2 | 1 | +1 |`);
    expect(md).toContain('| \\(unknown\\) | 2 | ndr 2 |');
    expect(md).not.toContain('a|b');
    // Steps are escaped as a whole: parentheses too.
    expect(md).toMatch(
      /## What to do next\n\n1\. NDRs and automatic replies \\\(null sender\\\) \\\(ndr, 2 findings\\\)\\: /,
    );
    expect(md).toContain(`relay-audit findings --scenario ndr --since ${DAY} --until ${DAY}`);
    expect(md).toMatch(/No spikes \(a spike is at least 2× the 7-day average and at least 5 findings\)\./);
  });

  it('gives no all-clear on a day without findings: nothing shows its logs were analysed', async () => {
    const h = await harness();
    const { report, markdown } = await h.run();
    expect(report.totals.findings).toBe(0);
    expect(report.nextSteps).toHaveLength(1);
    expect(report.nextSteps[0]).toMatch(new RegExp(`^No finding is dated ${DAY}, but that is no all-clear`));
    expect(markdown).not.toMatch(/nothing to fix/i);
  });

  it('refuses a date in the future and an invalid look-back', async () => {
    const h = await harness();
    await expect(h.run({ date: '2026-11-22' })).rejects.toThrow(/2026-11-22 is in the future/);
    await expect(h.run({ date: '2026-02-30' })).rejects.toThrow(/not a YYYY-MM-DD calendar day/);
    await expect(h.run({ lookBackDays: 15 })).rejects.toThrow(/invalid look-back: 15/);
  });
});

describe('metrics', () => {
  it('emits one embedded-metric-format line per scenario with the day’s count', async () => {
    // Prepare
    const h = await harness();
    await h.store.putFindings([
      ...findingsOn(DAY, 2, { scenario: 'ndr' }),
      ...findingsOn(DAY, 1, { scenario: 'forwarding' }),
    ]);
    // Act
    const result = await h.run({ lookBackDays: 0 });
    // Assess
    expect(result.metrics).toBe(5);
    const lines = h.metrics;
    expect(lines.map((line) => [line.Scenario, line[FINDINGS_METRIC]])).toEqual([
      ['ndr', 2],
      ['forwarding', 1],
      ['foreign-sender-domain', 0],
      ['connector-mismatch', 0],
      ['wrong-region', 0],
    ]);
    for (const line of lines) {
      expect(line._aws).toEqual({
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [['service', 'Scenario']],
            Metrics: [{ Name: 'Findings', Unit: 'Count' }],
          },
        ],
      });
      expect(line.ReportDate).toBe(DAY);
    }
    expect(METRIC_NAMESPACE).toBe('RelayAudit');
  });
});

describe('publishing', () => {
  it('publishes only when findings are new: not for an empty day, once for a new day, again only for a late upload', async () => {
    const h = await harness();
    // An empty day: nothing to say.
    expect((await h.run()).published).toBe(false);
    // New findings: one summary.
    await h.store.putFindings(findingsOn(DAY, 3, { scenario: 'wrong-region' }));
    const first = await h.run();
    expect(first).toMatchObject({ newFindings: 3, published: true });
    expect(h.publisher.published).toHaveLength(1);
    const summary = h.publisher.published[0] as AlertSummary;
    expect(summary.subject).toBe(`relay-audit ${DAY}: 3 findings, 3 new, 1 new sender domain(s)`);
    expect(summary.subject).toMatch(/^[\x20-\x7e]{1,100}$/);
    expect(summary.body).toContain('wrong-region: 3 (+3)');
    expect(summary.body).toContain(`memory://${DAY}.md`);
    // A re-run: nothing new, nothing published.
    expect(await h.run()).toMatchObject({ newFindings: 0, published: false });
    // A late upload for a look-back day: published again, counting only the late finding.
    await h.store.putFindings(findingsOn('2026-11-19', 1, { scenario: 'ndr' }));
    expect(await h.run()).toMatchObject({ newFindings: 1, published: true });
    expect(h.publisher.published).toHaveLength(2);
  });

  it('keeps findings new when publishing fails, so the retried run publishes them', async () => {
    const h = await harness();
    await h.store.putFindings(findingsOn(DAY, 2));
    h.publisher.failNext = true;
    await expect(h.run()).rejects.toBeInstanceOf(PublishError);
    const retry = await h.run();
    expect(retry).toMatchObject({ newFindings: 2, published: true });
  });
});
