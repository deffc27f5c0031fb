/**
 * `npm run cost`: what the cloud deployment costs per finding, per inbound entry, per GB of logs and
 * per month, computed from the store's own item builders and the synthesized CloudFormation
 * template (index projections, function memory, retention and lifecycle), over the findings of a
 * generated tracking log (bench/generate-tracking-log.ts, about 10 % relay refusals), at the
 * published us-east-1 prices below. Prints a Markdown table (the README's cost section) and how
 * far each goal is missed, if it is.
 *
 *     npm run cost            # 25 MB sample log (generated once into bench/.data)
 *     COST_SAMPLE_MB=100 npm run cost
 */
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import { analyze, type FindingSink } from '../functions/core/analysis/analyze.js';
import type { InboundEntry } from '../functions/core/analysis/evidence/inbound-entry.js';
import type { Finding } from '../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../functions/core/organisation/accepted-domains.js';
import { historyRecordOf } from '../functions/nightly/history.js';
import { DEFAULT_LOOK_BACK_DAYS } from '../functions/nightly/look-back.js';
import { DEFAULT_INBOUND_RETENTION_DAYS, inboundItem } from '../functions/store/inbound-index.js';
import { boundFinding, itemBytes, writeUnits } from '../functions/store/item-bounds.js';
import { RollupDeltas, rollupCellOf } from '../functions/store/rollups.js';
import {
  type IndexDefinition,
  type IndexName,
  indexEntryOf,
  sourceFindingsItems,
} from '../functions/store/table-design.js';
import { PROJECT_ROOT } from '../lib/constructs/relay-function.js';
import { createApp } from '../lib/create-app.js';
import { ACCEPTED_DOMAIN, generateTrackingLog } from './generate-tracking-log.js';
import { storedFinding } from './stored-finding.js';

type Item = Record<string, AttributeValue>;

/** Published on-demand prices, US East (N. Virginia), as read on `checked` (see README, "Cost"). */
const PRICES = {
  checked: '2026-12-05',
  region: 'us-east-1',
  /** DynamoDB on-demand, per write / read request unit; standard table class storage per GB-month. */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  dynamoGbMonth: 0.25,
  /** S3 Standard storage (first 50 TB) per GB-month; PUT/LIST per request. */
  s3GbMonth: 0.023,
  /** S3 Standard-IA per GB-month: uploads after `incomingInfrequentAccessDays`. */
  s3IaGbMonth: 0.0125,
  s3Put: 0.005 / 1000,
  /** Lambda on Arm (Graviton) per GB-second, and per request. */
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  /** Athena SQL per TB scanned, with a 10 MB minimum per query. */
  athenaTb: 5,
  athenaMinimumBytes: 10 * 1024 ** 2,
} as const;

const GB = 1024 ** 3;
const DAYS_PER_MONTH = 30;
/** DynamoDB counts 100 bytes of overhead for every item and every index entry it stores. */
const ITEM_OVERHEAD = 100;
/** A tracking log rolls over at 10 MB: one upload, one ingest invocation. */
const OBJECT_BYTES = 10 * 1024 ** 2;
/** Usage assumptions of the monthly table (not measured: say so). */
const ASSUMED = {
  /** Athena: one query a day over the whole history (the worst case: no partition filter). */
  athenaQueriesPerMonth: 30,
  /** The ingest's time waiting on DynamoDB, as a multiple of its measured analysis time. */
  storeWaitFactor: 2,
} as const;
const VOLUMES_GB_PER_DAY = [0.1, 1, 10] as const;
const GOALS = { writeUnitsPerFinding: 4, dollarsPerGb: 1 } as const;

// ------------------------------------------------------------------------------------------------
// What the stack deploys (the synthesized template)
// ------------------------------------------------------------------------------------------------

interface Deployed {
  indexes: IndexDefinition[];
  retentionDays: number;
  historyRetentionDays: number;
  incomingRetentionDays: number;
  incomingInfrequentAccessDays: number;
  ingestMemoryGb: number;
  ingestArchitecture: string;
  glueTables: number;
  workGroups: number;
}

type CfnResource = { Type: string; Properties: Record<string, unknown> };

function deployed(): Deployed {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const { stack } = createApp({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
    nag: false,
  });
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, CfnResource> };
  const resources = Object.entries(template.Resources);
  const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);
  const [table] = ofType('AWS::DynamoDB::Table').map(([, resource]) => resource.Properties);
  if (!table) throw new Error('the template has no DynamoDB table');
  const gsis = table.GlobalSecondaryIndexes as {
    IndexName: string;
    KeySchema: { AttributeName: string }[];
    Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
  }[];
  const indexes = gsis.map((gsi): IndexDefinition => {
    const [partition, sort] = gsi.KeySchema;
    if (!partition || !sort || gsi.Projection.ProjectionType === 'ALL') {
      throw new Error(`index ${gsi.IndexName}: expected a partition and sort key and no ALL projection`);
    }
    return {
      indexName: gsi.IndexName as IndexName,
      partitionKey: { name: partition.AttributeName, type: 'S' },
      sortKey: { name: sort.AttributeName, type: 'S' },
      projection:
        gsi.Projection.ProjectionType === 'INCLUDE'
          ? { type: 'INCLUDE', nonKeyAttributes: gsi.Projection.NonKeyAttributes ?? [] }
          : { type: 'KEYS_ONLY' },
    };
  });
  const ingestId = stack.getLogicalId(
    stack.ingest.handler.function.node.defaultChild as Parameters<typeof stack.getLogicalId>[0],
  );
  const ingest = template.Resources[ingestId]?.Properties;
  return {
    indexes,
    retentionDays: stack.settings.retentionDays,
    historyRetentionDays: stack.settings.historyRetentionDays,
    incomingRetentionDays: stack.settings.incomingRetentionDays,
    incomingInfrequentAccessDays: stack.settings.incomingInfrequentAccessDays,
    ingestMemoryGb: Number(ingest?.MemorySize ?? 128) / 1024,
    ingestArchitecture: String((ingest?.Architectures as string[] | undefined)?.[0] ?? 'x86_64'),
    glueTables: ofType('AWS::Glue::Table').length,
    workGroups: ofType('AWS::Athena::WorkGroup').length,
  };
}

// ------------------------------------------------------------------------------------------------
// What one log gives (a generated tracking log, analysed as ingest analyses it)
// ------------------------------------------------------------------------------------------------

interface Sample {
  bytes: number;
  findings: Finding[];
  /** Each batch of findings as the sink received it (the unit of the rollup counter updates). */
  batches: Finding[][];
  inbound: InboundEntry[];
  analysisSeconds: number;
}

async function sample(megabytes: number): Promise<Sample> {
  const path = join(PROJECT_ROOT, 'bench', '.data', `MSGTRK-bench-${megabytes}MB-seed42.LOG`);
  await generateTrackingLog(path, megabytes * 1024 ** 2, 42);
  const { size } = await stat(path);
  const findings = new Map<string, Finding>();
  const batches: Finding[][] = [];
  const inbound: InboundEntry[] = [];
  const sink: FindingSink = {
    putFindings: async (batch) => {
      batches.push(batch);
      for (const finding of batch) findings.set(finding.id, finding);
    },
    putSource: async () => undefined,
    putInboundMessages: async (entries) => {
      inbound.push(...entries);
    },
  };
  const { createReadStream } = await import('node:fs');
  const started = performance.now();
  await analyze(
    [
      {
        name: path,
        sourceId: 'cost-sample',
        size,
        open: () => createReadStream(path, { highWaterMark: 1 << 18 }),
      },
    ],
    { domains: parseAcceptedDomains(ACCEPTED_DOMAIN, 'cost'), sink },
  );
  return {
    bytes: size,
    findings: [...findings.values()],
    batches,
    inbound,
    analysisSeconds: (performance.now() - started) / 1000,
  };
}

// ------------------------------------------------------------------------------------------------
// Per finding, per inbound entry, per GB
// ------------------------------------------------------------------------------------------------

interface PerFinding {
  itemBytes: number;
  itemUnits: number;
  indexBytes: number;
  indexUnits: number;
  sharedUnits: number;
  /** The upload's list of its findings (one item per 20 findings of a batch). */
  listUnits: number;
  rollupUnits: number;
  /** Everything ingest writes for one finding. */
  writeUnits: number;
  /** Bytes the table stores for one finding (item, index entries, overhead). */
  storedBytes: number;
  /** Read units ingest (the counters' look-up) and the nightly passes spend on one finding. */
  readUnits: number;
  historyBytes: number;
}

function perFinding(sample: Sample, deploy: Deployed): PerFinding {
  const n = sample.findings.length;
  const shared = new Map<string, Item>();
  const sum = { itemBytes: 0, itemUnits: 0, indexBytes: 0, indexUnits: 0, nightlyReads: 0 };
  for (const raw of sample.findings) {
    const finding = boundFinding(raw);
    const { item } = storedFinding(finding, shared);
    const bytes = itemBytes(item);
    sum.itemBytes += bytes;
    sum.itemUnits += writeUnits(bytes);
    let scenarioEntry = 0;
    for (const index of deploy.indexes) {
      const entry = indexEntryOf(item, index);
      if (entry === undefined) continue;
      const entryBytes = itemBytes(entry) + ITEM_OVERHEAD;
      sum.indexBytes += entryBytes;
      sum.indexUnits += writeUnits(entryBytes);
      if (index.partitionKey.name === 'gsi1pk') scenarioEntry = entryBytes;
    }
    // Each nightly pass reads the day by scenario (the index entry, eventually consistent, billed
    // per 4 KB of the page) and the item (BatchGetItem, half a unit per item up to 4 KB);
    // foreign-sender findings are read once more by the correlation pass.
    const passes = (DEFAULT_LOOK_BACK_DAYS + 1) * (finding.scenario === 'foreign-sender-domain' ? 2 : 1);
    sum.nightlyReads += passes * (scenarioEntry / 8192 + 0.5 * Math.ceil(bytes / 4096));
  }
  const sharedUnits = [...shared.values()].reduce((total, item) => total + writeUnits(itemBytes(item)), 0);
  // One UpdateItem (one unit: a counter is far below 1 KB) per cell a batch changes, and the
  // upload's list items of each batch (as putFindings writes them).
  let rollupUpdates = 0;
  let listUnits = 0;
  let listBytes = 0;
  for (const batch of sample.batches) {
    const deltas = new RollupDeltas();
    for (const finding of batch) deltas.move(undefined, rollupCellOf(finding));
    rollupUpdates += deltas.changes().length;
    const listing = batch.map((f) => ({
      id: f.id,
      timestamp: f.timestamp,
      sourceId: f.source.sourceId,
      expiresAt: 1_800_000_000,
    }));
    for (const item of sourceFindingsItems(listing)) {
      listUnits += writeUnits(itemBytes(item));
      listBytes += itemBytes(item) + ITEM_OVERHEAD;
    }
  }
  const history = gzipSync(`${sample.findings.map((f) => JSON.stringify(historyRecordOf(f))).join('\n')}\n`);
  const perItem = {
    itemBytes: sum.itemBytes / n,
    itemUnits: sum.itemUnits / n,
    indexBytes: sum.indexBytes / n,
    indexUnits: sum.indexUnits / n,
    sharedUnits: sharedUnits / n,
    listUnits: listUnits / n,
    rollupUnits: rollupUpdates / n,
  };
  return {
    ...perItem,
    writeUnits:
      perItem.itemUnits + perItem.indexUnits + perItem.sharedUnits + perItem.listUnits + perItem.rollupUnits,
    storedBytes: perItem.itemBytes + ITEM_OVERHEAD + perItem.indexBytes + listBytes / n,
    // The put hands back the item it replaced (no read units): only the nightly passes read.
    readUnits: sum.nightlyReads / n,
    historyBytes: history.length / n,
  };
}

function perInbound(sample: Sample): { bytes: number; units: number } {
  if (sample.inbound.length === 0) return { bytes: 0, units: 0 };
  let bytes = 0;
  let units = 0;
  for (const entry of sample.inbound) {
    const size = itemBytes(inboundItem(entry, DEFAULT_INBOUND_RETENTION_DAYS * 86_400));
    bytes += size + ITEM_OVERHEAD;
    units += writeUnits(size);
  }
  return { bytes: bytes / sample.inbound.length, units: units / sample.inbound.length };
}

/** Dollars per GB of logs, by service, over the item's whole life (hot retention, history). */
interface PerGb {
  dynamoWrites: number;
  dynamoReads: number;
  dynamoStorage: number;
  s3: number;
  lambda: number;
  athena: number;
}

function perGb(
  sample: Sample,
  deploy: Deployed,
  finding: PerFinding,
  inbound: { bytes: number; units: number },
  gbPerDay: number,
): PerGb {
  const scale = GB / sample.bytes;
  const findings = sample.findings.length * scale;
  const entries = sample.inbound.length * scale;
  const historyBytes = findings * finding.historyBytes;
  // Athena's monthly queries, shared by the GB of a month; a query scans the whole history kept.
  const historyKept = historyBytes * gbPerDay * deploy.historyRetentionDays;
  const athenaMonthly =
    ASSUMED.athenaQueriesPerMonth *
    Math.max(PRICES.athenaMinimumBytes, historyKept) *
    (PRICES.athenaTb / 1024 ** 4);
  return {
    dynamoWrites: (findings * finding.writeUnits + entries * inbound.units) * PRICES.dynamoWriteUnit,
    dynamoReads: findings * finding.readUnits * PRICES.dynamoReadUnit,
    dynamoStorage:
      ((findings * finding.storedBytes * deploy.retentionDays) / DAYS_PER_MONTH / GB +
        (entries * inbound.bytes * DEFAULT_INBOUND_RETENTION_DAYS) / DAYS_PER_MONTH / GB) *
      PRICES.dynamoGbMonth,
    s3:
      // the upload itself for its retention (Standard, then Standard-IA), its history for the
      // history's, their PUTs
      (Math.min(deploy.incomingRetentionDays, deploy.incomingInfrequentAccessDays) / DAYS_PER_MONTH) *
        PRICES.s3GbMonth +
      (Math.max(0, deploy.incomingRetentionDays - deploy.incomingInfrequentAccessDays) / DAYS_PER_MONTH) *
        PRICES.s3IaGbMonth +
      ((historyBytes / GB) * deploy.historyRetentionDays * PRICES.s3GbMonth) / DAYS_PER_MONTH +
      (GB / OBJECT_BYTES) * PRICES.s3Put,
    lambda:
      sample.analysisSeconds *
        scale *
        ASSUMED.storeWaitFactor *
        deploy.ingestMemoryGb *
        PRICES.lambdaGbSecond +
      (GB / OBJECT_BYTES) * PRICES.lambdaRequest,
    athena: athenaMonthly / (gbPerDay * DAYS_PER_MONTH),
  };
}

// ------------------------------------------------------------------------------------------------
// Output
// ------------------------------------------------------------------------------------------------

const money = (dollars: number) => (dollars < 0.01 ? `$${dollars.toFixed(4)}` : `$${dollars.toFixed(2)}`);
const total = (gb: PerGb) => Object.values(gb).reduce((sum, x) => sum + x, 0);

function goal(name: string, value: string, met: boolean, miss: string): string {
  return `- ${name}: ${value} — ${met ? 'met' : `**missed** by ${miss}`}`;
}

async function main(): Promise<void> {
  const megabytes = Number(process.env.COST_SAMPLE_MB ?? 25);
  const deploy = deployed();
  const log = await sample(megabytes);
  const finding = perFinding(log, deploy);
  const inbound = perInbound(log);
  const findingsPerGb = (log.findings.length * GB) / log.bytes;
  const entriesPerGb = (log.inbound.length * GB) / log.bytes;
  const f2 = (x: number) => x.toFixed(2);

  const lines: string[] = [];
  lines.push(
    `Sample: a generated ${(log.bytes / 1024 ** 2).toFixed(0)} MB Exchange tracking log (about 10 % relay refusals): ` +
      `${log.findings.length} findings and ${log.inbound.length} inbound entries, so ${Math.round(findingsPerGb)} findings ` +
      `and ${Math.round(entriesPerGb)} inbound entries per GB of logs. Template: ${deploy.indexes.length} GSIs ` +
      `(${deploy.indexes.map((i) => `${i.indexName} ${i.projection.type}`).join(', ')}), TTL ${deploy.retentionDays} days, ` +
      `history ${deploy.historyRetentionDays} days (${deploy.glueTables} Glue table, ${deploy.workGroups} Athena workgroup), ` +
      `ingest ${deploy.ingestMemoryGb * 1024} MB ${deploy.ingestArchitecture}.`,
    '',
    '| per finding | bytes | write units |',
    '|---|---:|---:|',
    `| item | ${f2(finding.itemBytes)} | ${f2(finding.itemUnits)} |`,
    `| index entries (with 100 B overhead each) | ${f2(finding.indexBytes)} | ${f2(finding.indexUnits)} |`,
    `| shared remediation and context items | — | ${finding.sharedUnits.toFixed(3)} |`,
    `| the upload's list of its findings (20 to an item) | — | ${finding.listUnits.toFixed(3)} |`,
    `| rollup counter updates (at most one ADD per cell per batch; a run sums its batches) | — | ${finding.rollupUnits.toFixed(3)} |`,
    `| **total written by ingest** | ${f2(finding.storedBytes)} stored | **${f2(finding.writeUnits)}** |`,
    `| read units (${DEFAULT_LOOK_BACK_DAYS + 1} nightly passes) | — | ${f2(finding.readUnits)} read |`,
    `| history in S3 (gzip NDJSON) | ${f2(finding.historyBytes)} | — |`,
    `| per inbound entry (${DEFAULT_INBOUND_RETENTION_DAYS}-day TTL, base table only) | ${f2(inbound.bytes)} stored | ${f2(inbound.units)} |`,
    '',
    `| GB of logs a day | DynamoDB writes | DynamoDB reads | DynamoDB storage | S3 | Lambda | Athena | **a month** | per GB of logs |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  const per1 = perGb(log, deploy, finding, inbound, 1);
  for (const gbPerDay of VOLUMES_GB_PER_DAY) {
    const gb = perGb(log, deploy, finding, inbound, gbPerDay);
    const month = gbPerDay * DAYS_PER_MONTH;
    lines.push(
      `| ${gbPerDay} | ${money(gb.dynamoWrites * month)} | ${money(gb.dynamoReads * month)} | ${money(gb.dynamoStorage * month)} | ` +
        `${money(gb.s3 * month)} | ${money(gb.lambda * month)} | ${money(gb.athena * month)} | **${money(total(gb) * month)}** | ${money(total(gb))} |`,
    );
  }
  lines.push(
    '',
    `Steady state, ${PRICES.region} on-demand prices read ${PRICES.checked}; a month is ${DAYS_PER_MONTH} days; storage ` +
      `is what the retention keeps (findings ${deploy.retentionDays} days, inbound entries ${DEFAULT_INBOUND_RETENTION_DAYS}, ` +
      `history ${deploy.historyRetentionDays}, uploads ${deploy.incomingRetentionDays}, Standard-IA after ${deploy.incomingInfrequentAccessDays}). Assumed, not measured: ` +
      `${ASSUMED.athenaQueriesPerMonth} Athena queries a month over the whole history, and the ingest waiting on DynamoDB as ` +
      `long again as it analyses (×${ASSUMED.storeWaitFactor} the analysis time measured here, ${(log.analysisSeconds * (GB / log.bytes)).toFixed(0)} s/GB).`,
    '',
    'Goals:',
    goal(
      'write units per finding ≤ 4',
      f2(finding.writeUnits),
      finding.writeUnits <= GOALS.writeUnitsPerFinding,
      `${f2(finding.writeUnits - GOALS.writeUnitsPerFinding)} (the item and each of the ${deploy.indexes.length} index entries is at least one unit: ${1 + deploy.indexes.length} before anything else)`,
    ),
    goal(
      `cost per GB of logs ≤ $1 (${deploy.retentionDays} days hot, ${deploy.historyRetentionDays} in S3)`,
      money(total(per1)),
      total(per1) <= GOALS.dollarsPerGb,
      money(total(per1) - GOALS.dollarsPerGb),
    ),
    goal(
      'dashboard reads per load independent of volume',
      '/summary reads the rollup counters only: one Query per month of the range (test/integration/rollup-counters.test.ts counts the calls for 10× the findings)',
      true,
      '',
    ),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
