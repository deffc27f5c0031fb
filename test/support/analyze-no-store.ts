/**
 * `relay-audit analyze <file> … --no-store --json` in-process (through `cli`), read back, for the
 * tests of real-world files: with --no-store the findings are NDJSON on stdout and the JSON summary
 * goes to stderr.
 */
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { cli } from './capture-output.js';

/** What a run over one file gave: its exit status, its source record and its findings in output order. */
export interface NoStoreRun<F = Finding> {
  status: number;
  source: SourceRecord;
  findings: F[];
}

/**
 * Analyses `file` with `options` (accepted domains, year…). The findings are as printed, not checked
 * against the Finding schema: a test that wants that parses them.
 */
export async function analyzeNoStore(file: string, ...options: string[]): Promise<NoStoreRun> {
  const { status, out } = await cli('analyze', file, ...options, '--no-store', '--json');
  const summary = JSON.parse(out.stderr) as { sources: SourceRecord[] };
  const source = summary.sources[0];
  if (!source) throw new Error(`no source record for ${file}`);
  const findings = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Finding);
  return { status, source, findings };
}

/** What a test of how a file is read compares of a finding. */
export type FindingRow = [line: number, recipient: string, scenario: string, timestamp: string];

export function findingRow(finding: Finding): FindingRow {
  return [finding.source.line, finding.recipient, finding.scenario, finding.timestamp];
}
