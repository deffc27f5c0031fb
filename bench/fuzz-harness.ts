/**
 * The fuzz harness (issue 15): generated and mutated inputs — every format relay-audit reads, as
 * UTF-8 with or without BOM, UTF-16LE/BE and gzip, with stray quotes, oversized cells,
 * pathological statuses and dates, cuts and flipped bytes — analysed one at a time by `analyze()`,
 * checking after each:
 *
 * - no crash: `analyze` returns, and a file that fails has a `RelayAuditError` code (never
 *   `READ_FAILURE`, which is what an unexpected exception becomes; the inputs are in memory);
 * - no hang: the input is analysed within the time budget;
 * - bounded memory: the heap after the input is within the memory budget;
 * - rows read = rows analysed + rows skipped, for every source record;
 * - nothing stored that exceeds an item limit: every finding passes the schema the store checks,
 *   and every finding and source record, bounded as the store bounds them (item-bounds.ts), is well
 *   under DynamoDB's 400 KB.
 *
 * The sink is an in-memory one that applies the store's own validation and bounds (no DynamoDB
 * engine: the engine adds minutes and nothing the bounds do not decide). Used by
 * test/integration/fuzz.test.ts (a short run with a fixed seed) and bench/fuzz.ts (`npm run fuzz`).
 * Paths are relative to the repository root (the working directory of `npm test` and `npm run fuzz`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { type AnalysisInput, analyze, type FindingSink } from '../functions/core/analysis/analyze.js';
import { Finding } from '../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../functions/core/analysis/model/source-record.js';
import { ErrorCode } from '../functions/core/kernel/errors.js';
import { firstIssueLine } from '../functions/core/kernel/issues.js';
import { parseAcceptedDomains } from '../functions/core/organisation/accepted-domains.js';
import { boundFinding, boundSource } from '../functions/store/item-bounds.js';

/** DynamoDB's item limit, less room for the keys and index attributes the store adds. */
const MAX_ITEM_BYTES = 400 * 1024 - 8 * 1024;

/** Seed inputs: one or more of every format, from the samples and fixtures. */
export function seedInputs(): { name: string; text: string }[] {
  const files = [
    ...readdirSync('sample-logs')
      .filter((name) => /\.(log|csv)$/i.test(name))
      .map((name) => join('sample-logs', name)),
    'test/fixtures/real-world/MSGTRK-joined-EX2013-EX2019.LOG',
    'test/fixtures/real-world/shipped-MSGTRK-EX2013-EX2019-headerless.log',
    'test/fixtures/real-world/siem-export-EX2019-headerless.csv',
    'test/fixtures/real-world/string-array-export.csv',
    'test/fixtures/real-world/join-semicolon-space-nl-NL.csv',
  ];
  return files.map((file) => ({ name: file, text: readFileSync(file, 'utf8') }));
}

/** Pathological cell values: statuses, dates and others that stressed a parser once. */
const NASTY_CELLS = [
  `550 5.7.64 TenantAttribution; Relay Access Denied ${'{LED='.repeat(2_000)}`,
  `550 5.7.64 ${'['.repeat(5_000)}`,
  `${' '.repeat(20_000)}5.7.64${' '.repeat(20_000)}`,
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [x]',
  `28.11.2026${' '.repeat(10_000)}10:00:00`,
  '99/99/9999 99:99:99',
  '2026-02-30T25:61:61.000Z',
  '11/28/2026 5:38:41 AM',
  '0000-00-00',
  'System.String[]',
  '"',
  '""',
  '"a"b"',
  '\uFEFF',
  '\u0000',
  '\uD800',
  'ä'.repeat(3_000),
  '日'.repeat(5_000),
];

const MAX_GROWTH = 16 * 2 ** 20;

type Mutation =
  | { kind: 'stray-quote'; at: number }
  | { kind: 'oversized-cell'; at: number; length: number; char: string }
  | { kind: 'nasty-cell'; line: number; cell: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'drop-line'; line: number }
  | { kind: 'repeat-line'; line: number; times: number }
  | { kind: 'flip-byte'; at: number; value: number };

type Encoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'utf-16le-nobom';

export interface FuzzCase {
  seed: number;
  mutations: Mutation[];
  encoding: Encoding;
  gzip: boolean;
  /** Bytes per chunk the input is served in. */
  chunk: number;
}

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('stray-quote' as const), at: position }),
  fc.record({
    kind: fc.constant('oversized-cell' as const),
    at: position,
    length: fc.integer({ min: 1_000, max: 300_000 }),
    char: fc.constantFrom('x', ',', '"', ' ', '日', '\r'),
  }),
  fc.record({
    kind: fc.constant('nasty-cell' as const),
    line: position,
    cell: fc.integer({ min: 0, max: 40 }),
    value: fc.integer({ min: 0, max: NASTY_CELLS.length - 1 }),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: position }),
  fc.record({ kind: fc.constant('drop-line' as const), line: position }),
  fc.record({
    kind: fc.constant('repeat-line' as const),
    line: position,
    times: fc.integer({ min: 2, max: 2_000 }),
  }),
  fc.record({
    kind: fc.constant('flip-byte' as const),
    at: position,
    value: fc.integer({ min: 0, max: 255 }),
  }),
);

export function fuzzCase(seeds: number): fc.Arbitrary<FuzzCase> {
  return fc.record({
    seed: fc.integer({ min: 0, max: seeds - 1 }),
    mutations: fc.array(mutation, { minLength: 0, maxLength: 4 }),
    encoding: fc.constantFrom<Encoding>('utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'utf-16le-nobom'),
    gzip: fc.boolean(),
    chunk: fc.constantFrom(1 << 16, 4096, 7, 1 << 18),
  });
}

function mutateText(text: string, change: Mutation): string {
  const at = (fraction: number): number => Math.floor(fraction * text.length);
  const lines = (): string[] => text.split('\n');
  switch (change.kind) {
    case 'stray-quote':
      return `${text.slice(0, at(change.at))}"${text.slice(at(change.at))}`;
    case 'oversized-cell':
      return `${text.slice(0, at(change.at))}${change.char.repeat(change.length)}${text.slice(at(change.at))}`;
    case 'nasty-cell': {
      const all = lines();
      const index = Math.floor(change.line * all.length);
      const cells = (all[index] ?? '').split(',');
      cells[Math.min(change.cell, cells.length - 1)] = NASTY_CELLS[change.value] ?? '';
      all[index] = cells.join(',');
      return all.join('\n');
    }
    case 'cut':
      return text.slice(0, at(change.at));
    case 'drop-line': {
      const all = lines();
      all.splice(Math.floor(change.line * all.length), 1);
      return all.join('\n');
    }
    case 'repeat-line': {
      const all = lines();
      const index = Math.floor(change.line * all.length);
      const line = all[index] ?? '';
      // At most 16 M characters more: the budget is the analysis', not the generator's.
      const times = Math.min(change.times, Math.floor(MAX_GROWTH / (line.length + 1)));
      all.splice(index, 0, ...Array.from({ length: times }, () => line));
      return all.join('\n');
    }
    case 'flip-byte':
      return text;
  }
}

function encode(text: string, encoding: Encoding): Buffer {
  switch (encoding) {
    case 'utf-8':
      return Buffer.from(text.replace(/^\uFEFF/, ''), 'utf8');
    case 'utf-8-bom':
      return Buffer.from(`\uFEFF${text.replace(/^\uFEFF/, '')}`, 'utf8');
    case 'utf-16le':
      return Buffer.from(`\uFEFF${text.replace(/^\uFEFF/, '')}`, 'utf16le');
    case 'utf-16le-nobom':
      return Buffer.from(text.replace(/^\uFEFF/, ''), 'utf16le');
    case 'utf-16be':
      return Buffer.from(`\uFEFF${text.replace(/^\uFEFF/, '')}`, 'utf16le').swap16();
  }
}

/** The bytes of a case: the seed mutated, encoded, bytes flipped, maybe gzipped; `plain`: bytes before gzip. */
export function caseBytes(
  seeds: readonly { text: string }[],
  fuzz: FuzzCase,
): { bytes: Buffer; plain: number } {
  let text = seeds[fuzz.seed]?.text ?? '';
  for (const change of fuzz.mutations) text = mutateText(text, change);
  const bytes = encode(text, fuzz.encoding);
  for (const change of fuzz.mutations) {
    if (change.kind === 'flip-byte' && bytes.length > 0)
      bytes[Math.floor(change.at * bytes.length)] = change.value;
  }
  return { bytes: fuzz.gzip ? gzipSync(bytes) : bytes, plain: bytes.length };
}

/** A sink that checks what the store would check and bound, keeping nothing. */
class CheckingSink implements FindingSink {
  public readonly problems: string[] = [];
  public findings = 0;

  public async putFindings(findings: Finding[]): Promise<void> {
    for (const finding of findings) {
      this.findings++;
      const parsed = Finding.safeParse(finding);
      if (!parsed.success) {
        this.problems.push(`finding fails the schema: ${firstIssueLine(parsed.error)}`);
        continue;
      }
      const bytes = Buffer.byteLength(JSON.stringify(boundFinding(parsed.data)));
      if (bytes > MAX_ITEM_BYTES) this.problems.push(`finding of ${bytes} bytes after bounding`);
    }
  }

  public async putSource(record: SourceRecord): Promise<void> {
    const bytes = Buffer.byteLength(JSON.stringify(boundSource(record)));
    if (bytes > MAX_ITEM_BYTES) this.problems.push(`source record of ${bytes} bytes after bounding`);
  }
}

export interface Budget {
  /**
   * Per input: this, plus `secondsPerMB` for each MB of it (before gzip). Linear work, however heavy
   * (a 16 M-field file), stays within it; a quadratic path does not.
   */
  seconds: number;
  secondsPerMB: number;
  /** Heap in use after an input (MB). */
  heapMB: number;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));
const domains = parseAcceptedDomains('contoso.com,corp.contoso.com,fabrikam.com', 'fuzz');

/** Analyses one case; returns what broke an invariant (empty when none). */
export async function checkCase(
  seeds: readonly { name: string; text: string }[],
  fuzz: FuzzCase,
  budget: Budget,
): Promise<string[]> {
  const { bytes, plain } = caseBytes(seeds, fuzz);
  const name = `${seeds[fuzz.seed]?.name ?? 'input'}${fuzz.gzip ? '.gz' : ''}`;
  const input: AnalysisInput = {
    name,
    sourceId: 'fuzz',
    size: bytes.length,
    open: async function* () {
      for (let offset = 0; offset < bytes.length; offset += chunk)
        yield bytes.subarray(offset, offset + chunk);
    },
  };
  // Chunks down to 7 bytes test the boundaries; past 20,000 of them they only measure a stream's
  // per-chunk cost (about 10 µs, linear), which no real file or S3 stream has.
  const chunk = Math.max(fuzz.chunk, Math.ceil(bytes.length / 20_000));
  const sink = new CheckingSink();
  const started = performance.now();
  const problems: string[] = [];
  let sources: SourceRecord[] = [];
  try {
    sources = (await analyze([input], { domains, sink })).sources;
  } catch (error) {
    problems.push(
      `analyze threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const allowed = budget.seconds + (plain / 2 ** 20) * budget.secondsPerMB;
  if (seconds > allowed) problems.push(`took ${seconds.toFixed(1)} s (budget ${allowed.toFixed(1)} s)`);
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  if (heapMB > budget.heapMB)
    problems.push(`heap ${heapMB.toFixed(0)} MB after it (budget ${budget.heapMB} MB)`);
  for (const source of sources) {
    if (source.rowsRead !== source.rowsAnalysed + source.rowsSkipped)
      problems.push(
        `rows read ${source.rowsRead} ≠ analysed ${source.rowsAnalysed} + skipped ${source.rowsSkipped}`,
      );
    if (source.status === 'failed' && !KNOWN_CODES.has(source.errorCode ?? ''))
      problems.push(`failed with ${source.errorCode}: ${source.errorMessage}`);
    if (source.status === 'failed' && source.errorCode === ErrorCode.ReadFailure)
      problems.push(`an unexpected exception: ${source.errorMessage}`);
  }
  problems.push(...sink.problems.slice(0, 3));
  return problems;
}

/** Runs `runs` cases from `seed`; throws (fast-check's report, with the shrunk case) on the first failure. */
export async function fuzz(options: {
  seed: number;
  runs: number;
  budget: Budget;
  interruptAfterMs?: number;
}): Promise<number> {
  const seeds = seedInputs();
  let ran = 0;
  await fc.assert(
    fc.asyncProperty(fuzzCase(seeds.length), async (fuzzCase) => {
      ran++;
      const problems = await checkCase(seeds, fuzzCase, options.budget);
      if (problems.length > 0) throw new Error(problems.join('\n'));
    }),
    {
      seed: options.seed,
      numRuns: options.runs,
      endOnFailure: true,
      ...(options.interruptAfterMs === undefined
        ? {}
        : { interruptAfterTimeLimit: options.interruptAfterMs }),
    },
  );
  return ran;
}
