/**
 * The organisation's accepted domains as files, for the ingest's configuration tests: the invalid
 * shape admins upload (PowerShell's table) and the export that reads, and what a direct analysis
 * with the export finds, which an upload analysed once the file is fixed must find too.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyze } from '../../functions/core/analysis/analyze.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** `Get-AcceptedDomain > accepted-domains.csv` in Windows PowerShell 5.1: the console's table, not CSV. */
export const TABLE_OUTPUT = join(
  ROOT,
  'test',
  'fixtures',
  'real-world',
  'accepted-domains-format-table',
  'Get-AcceptedDomain.txt',
);

/** The same organisation's `Get-AcceptedDomain | Export-Csv`. */
export const EXPORT_CSV = join(ROOT, 'sample-logs', 'config', 'accepted-domains.csv');

/** `<id> <scenario>` of what analysing `path` directly with {@link EXPORT_CSV}'s domains finds, sorted. */
export async function directFindings(path: string): Promise<string[]> {
  const domains = parseAcceptedDomains(await readFile(EXPORT_CSV, 'utf8'), 'accepted-domains.csv');
  const found: string[] = [];
  await analyze([{ name: 'direct', sourceId: 'direct', open: () => createReadStream(path) }], {
    domains,
    sink: {
      putFindings: async (findings) => found.push(...findings.map((f) => `${f.id} ${f.scenario}`)),
      putSource: async () => undefined,
    },
  });
  return found.sort();
}
