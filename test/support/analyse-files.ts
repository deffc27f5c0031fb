/** Runs `analyze <files> --no-store` through the CLI twice (`--json` and the text report) and reads both. */
import { basename } from 'node:path';
import { expect } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { cli } from './capture-output.js';

export interface AnalysedFiles {
  status: number;
  report: string;
  findings: Finding[];
  sources: SourceRecord[];
  /** Refusals read again (the same refusal in another row or file), counted once. */
  duplicates: number;
}

/**
 * `analyze <files> --no-store --json`: the findings on stdout, the summary on stderr; and the text
 * report of the same run. Every file must be read (`done`): a file that could not be would leave its
 * refusals to nothing the caller checks.
 */
export async function analyseFiles(...files: string[]): Promise<AnalysedFiles> {
  const args = ['analyze', ...files, '--accepted-domains', 'contoso.com', '--no-store'];
  const json = await cli(...args, '--json');
  const text = await cli(...args);
  const findings = json.out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Finding);
  const { sources, duplicates } = JSON.parse(json.out.stderr) as {
    sources: SourceRecord[];
    duplicates: number;
  };
  expect(sources.map((source) => [basename(source.file), source.status])).toEqual(
    files.map((file) => [basename(file), 'done']),
  );
  return { status: json.status, report: text.out.stderr, findings, sources, duplicates };
}
