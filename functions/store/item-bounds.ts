/**
 * Bounds on what one stored item holds. A log is outside input: one oversized cell (a 500 KB
 * subject or status) must not push a finding past DynamoDB's 400 KB item limit, or an index key
 * past its key-size limits, and so fail the write of its whole batch (and, in Lambda, the upload).
 * Long texts are cut with a marker (see core/kernel/bounded-text.ts).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Finding } from '../core/analysis/model/findings.js';
import type { SourceRecord } from '../core/analysis/model/source-record.js';
import { bounded } from '../core/kernel/bounded-text.js';

/** Longest free text kept (subject, rejection text, evidence, error messages). */
export const MAX_TEXT_CHARS = 4_096;
/** Longest value kept for names and addresses, some of which become index keys (domains). */
export const MAX_NAME_CHARS = 320;
/** Evidence items kept per finding. */
export const MAX_EVIDENCE = 20;
/**
 * UTF-8 bytes of the skipped rows a source record lists (the rest are counted in `skippedTruncated`):
 * a hundred rows of cut 1,024-character messages in a three-byte script alone came to 400 KB.
 */
export const MAX_SKIPPED_BYTES = 128 * 1024;

function optional(value: string | undefined, max: number): { value?: string } {
  return value === undefined ? {} : { value: bounded(value, max) };
}

/** The finding as stored: every text bounded (the id, derived before, is unchanged). */
export function boundFinding(finding: Finding): Finding {
  const copy: Finding = {
    ...finding,
    messageId: bounded(finding.messageId, MAX_TEXT_CHARS),
    recipient: bounded(finding.recipient, MAX_NAME_CHARS),
    rejectionText: bounded(finding.rejectionText, MAX_TEXT_CHARS),
    evidence: finding.evidence.slice(0, MAX_EVIDENCE).map((item) => ({
      kind: bounded(item.kind, MAX_NAME_CHARS),
      detail: bounded(item.detail, MAX_TEXT_CHARS),
    })),
    source: { ...finding.source, file: bounded(finding.source.file, MAX_TEXT_CHARS) },
  };
  const names = [
    'sender',
    'returnPath',
    'senderDomain',
    'recipientDomain',
    'serverHostname',
    'clientIp',
    'remoteHost',
    'queueId',
  ] as const;
  for (const name of names) {
    const { value } = optional(finding[name], MAX_NAME_CHARS);
    if (value !== undefined) copy[name] = value;
  }
  for (const name of ['subject', 'connectorId', 'attr', 'smtpCode'] as const) {
    const { value } = optional(finding[name], MAX_TEXT_CHARS);
    if (value !== undefined) copy[name] = value;
  }
  return copy;
}

/**
 * The source record as stored: file name, error message and skipped-row texts bounded, and the
 * skipped rows listed up to {@link MAX_SKIPPED_BYTES} (the rest counted, as beyond the count cap).
 */
export function boundSource(record: SourceRecord): SourceRecord {
  const skipped: SourceRecord['skipped'] = [];
  let bytes = 0;
  for (const row of record.skipped) {
    const kept = {
      ...row,
      message: bounded(row.message, MAX_TEXT_CHARS / 4),
      ...(row.column === undefined ? {} : { column: bounded(row.column, MAX_NAME_CHARS) }),
    };
    bytes += Buffer.byteLength(kept.message) + Buffer.byteLength(kept.column ?? '') + kept.reason.length + 32;
    if (bytes > MAX_SKIPPED_BYTES) break;
    skipped.push(kept);
  }
  const copy: SourceRecord = {
    ...record,
    file: bounded(record.file, MAX_TEXT_CHARS),
    skipped,
    skippedTruncated: record.skippedTruncated + record.skipped.length - skipped.length,
  };
  if (record.errorMessage !== undefined) copy.errorMessage = bounded(record.errorMessage, MAX_TEXT_CHARS);
  return copy;
}

/**
 * An item's size as DynamoDB counts it for capacity and its 400 KB limit: attribute names and values
 * in UTF-8 bytes, numbers about one byte per two digits, 3 bytes per list or map plus 1 per element.
 * A write costs one write unit per started KB of it, for the item and for each index entry.
 */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined)
    return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 0);
  if (value.M !== undefined) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  return 0;
}

/** Write units of one put: 1 per started KB (at least 1). */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}
