/**
 * CSV export of findings: the store is read page by page (never a Scan) and each page is turned
 * into lines at once, so memory holds text, not finding objects. The export stops at a row cap
 * and at a byte cap and says which one it hit — a shortened export is never passed off as complete.
 * Cells go through `csvLine`, which neutralises spreadsheet formulas (subjects and addresses are
 * attacker-controlled).
 *
 * The one findings CSV: `relay-audit findings --format csv` writes it with the same
 * {@link findingsCsvStart} and {@link findingCsvLine}, so a file saved from the CLI and one
 * downloaded from `/findings.csv` have the same byte order mark, columns and neutralising.
 */

import type { Finding } from '../core/analysis/model/findings.js';
import { csvLine } from '../core/kernel/csv-output.js';
import type { FindingsQueryOptions } from '../store/index.js';
import type { ApiStore, ExportLimits } from './dependencies.js';

/** Findings requested per store page (the store's largest page is 1000). */
const PAGE_SIZE = 1000;
/**
 * Lets Excel recognise the file as UTF-8 (addresses and subjects are often not ASCII); without it
 * Excel reads the file in the local code page and garbles them.
 */
const UTF8_BOM = '\uFEFF';

/** The export's columns, in order: a header and how to read the cell from a finding. */
export const CSV_COLUMNS: readonly { header: string; cell: (finding: Finding) => unknown }[] = [
  { header: 'id', cell: (f) => f.id },
  { header: 'timestamp', cell: (f) => f.timestamp },
  { header: 'scenario', cell: (f) => f.scenario },
  { header: 'confidence', cell: (f) => f.confidence },
  { header: 'senderDomain', cell: (f) => f.senderDomain },
  { header: 'recipientDomain', cell: (f) => f.recipientDomain },
  { header: 'returnPath', cell: (f) => (f.returnPath === '' ? '<>' : f.returnPath) },
  { header: 'sender', cell: (f) => f.sender },
  { header: 'recipient', cell: (f) => f.recipient },
  { header: 'messageId', cell: (f) => f.messageId },
  { header: 'subject', cell: (f) => f.subject },
  { header: 'code', cell: (f) => f.code },
  { header: 'smtpCode', cell: (f) => f.smtpCode },
  { header: 'attr', cell: (f) => f.attr },
  { header: 'serverHostname', cell: (f) => f.serverHostname },
  { header: 'clientIp', cell: (f) => f.clientIp },
  { header: 'connectorId', cell: (f) => f.connectorId },
  { header: 'remediation', cell: (f) => f.remediation.title },
  // Forwarding: the mailbox, contact or group to look at first (the advice names it).
  { header: 'forwardedFrom', cell: (f) => f.forwardedFrom?.address },
  { header: 'evidence', cell: (f) => f.evidence.map((e) => e.detail).join('; ') },
  { header: 'sourceFile', cell: (f) => f.source.file },
  { header: 'sourceLine', cell: (f) => f.source.line },
  { header: 'sourceFormat', cell: (f) => f.source.format },
  { header: 'sourceId', cell: (f) => f.source.sourceId },
];

/** The start of a findings CSV: the UTF-8 byte order mark and the header line. */
export function findingsCsvStart(): string {
  return UTF8_BOM + csvLine(CSV_COLUMNS.map((column) => column.header));
}

/** One finding as a CSV line (formula-safe cells, CRLF-terminated). */
export function findingCsvLine(finding: Finding): string {
  return csvLine(CSV_COLUMNS.map((column) => column.cell(finding)));
}

/** Why an export stopped early. */
export type TruncationReason = 'row-limit' | 'size-limit';

export interface CsvExport {
  /** Header plus rows, CRLF line ends, starting with a UTF-8 byte order mark. */
  body: string;
  rows: number;
  /** Set when the export stopped before the last matching finding. */
  truncated?: TruncationReason;
}

/** Size of `text` inside a Lambda response payload (JSON string, escapes included). */
function payloadBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
}

/** Reads every finding matching `query`, newest first, into CSV text within `limits`. */
export async function exportFindingsCsv(
  store: Pick<ApiStore, 'queryFindings'>,
  query: FindingsQueryOptions,
  limits: ExportLimits,
): Promise<CsvExport> {
  const chunks = [findingsCsvStart()];
  let bytes = payloadBytes(chunks.join(''));
  let rows = 0;
  let cursor: string | undefined;
  do {
    // One more than the row cap allows, so reaching the cap exactly is not mistaken for truncation.
    const limit = Math.min(PAGE_SIZE, limits.maxRows - rows + 1);
    const page = await store.queryFindings({ ...query, limit, cursor });
    for (const finding of page.items) {
      if (rows === limits.maxRows) return { body: chunks.join(''), rows, truncated: 'row-limit' };
      const line = findingCsvLine(finding);
      const size = payloadBytes(line);
      if (bytes + size > limits.maxBytes) return { body: chunks.join(''), rows, truncated: 'size-limit' };
      chunks.push(line);
      bytes += size;
      rows += 1;
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { body: chunks.join(''), rows };
}
