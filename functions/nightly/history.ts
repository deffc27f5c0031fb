/**
 * The findings' history beyond the hot table: each day's findings, compact (no remediation text,
 * evidence by kind), as gzip NDJSON objects under `history/findings/day=YYYY-MM-DD/`, one object
 * per `HISTORY_PART_SIZE` findings. The stack's Glue table reads these columns with partition
 * projection on `day`, so a year of history is one Athena query (lib/constructs/history.ts).
 *
 * The nightly job writes a day from the same pass that checks its rollups, after the day's
 * correlation, so the history holds each finding once, in its final scenario; re-running a day
 * replaces its objects (and deletes parts a smaller day no longer has).
 *
 * Gzip NDJSON rather than Parquet: the one maintained npm Parquet writer (@dsnp/parquetjs 1.9.3)
 * requires Node 24.18+ (this project supports 20.12+, and Lambda runs 22) and brings a Thrift
 * runtime, BSON, WebAssembly codecs and an S3 client of its own; gzip is in Node. At these sizes a
 * year of history scans for cents either way (`npm run cost`).
 */
import { gzipSync } from 'node:zlib';
import type { Finding } from '../core/analysis/model/findings.js';
import { BUCKET_PREFIX } from '../runtime/bucket-layout.js';

/** Where the history table's objects live (the Glue table's location). */
export const HISTORY_FINDINGS_PREFIX = `${BUCKET_PREFIX.history}findings/`;
/** Findings per object: about 10 MB of NDJSON before gzip, so a day of any size streams through. */
export const HISTORY_PART_SIZE = 20_000;

/** The partition of one day (`day=YYYY-MM-DD/`, Hive style: what partition projection expects). */
export function historyDayPrefix(day: string): string {
  return `${HISTORY_FINDINGS_PREFIX}day=${day}/`;
}

/** Key of one part of a day. */
export function historyPartKey(day: string, part: number): string {
  return `${historyDayPrefix(day)}part-${String(part).padStart(5, '0')}.json.gz`;
}

/**
 * The columns of a history record, in order, with their Athena types: the one list the record
 * builder and the Glue table are made from.
 */
export const HISTORY_COLUMNS = [
  { name: 'id', type: 'string', of: (f: Finding) => f.id },
  { name: 'ts', type: 'string', of: (f: Finding) => f.timestamp },
  { name: 'scenario', type: 'string', of: (f: Finding) => f.scenario },
  { name: 'confidence', type: 'string', of: (f: Finding) => f.confidence },
  { name: 'sender_domain', type: 'string', of: (f: Finding) => f.senderDomain },
  { name: 'recipient_domain', type: 'string', of: (f: Finding) => f.recipientDomain },
  { name: 'sender', type: 'string', of: (f: Finding) => f.sender },
  { name: 'return_path', type: 'string', of: (f: Finding) => f.returnPath },
  { name: 'recipient', type: 'string', of: (f: Finding) => f.recipient },
  { name: 'message_id', type: 'string', of: (f: Finding) => f.messageId },
  { name: 'code', type: 'string', of: (f: Finding) => f.code },
  { name: 'attr', type: 'string', of: (f: Finding) => f.attr },
  { name: 'rejection_text', type: 'string', of: (f: Finding) => f.rejectionText },
  { name: 'remote_host', type: 'string', of: (f: Finding) => f.remoteHost },
  { name: 'server', type: 'string', of: (f: Finding) => f.serverHostname },
  { name: 'client_ip', type: 'string', of: (f: Finding) => f.clientIp },
  { name: 'connector', type: 'string', of: (f: Finding) => f.connectorId },
  { name: 'evidence', type: 'array<string>', of: (f: Finding) => f.evidence.map((e) => e.kind) },
  { name: 'source_id', type: 'string', of: (f: Finding) => f.source.sourceId },
  { name: 'source_file', type: 'string', of: (f: Finding) => f.source.file },
  { name: 'source_format', type: 'string', of: (f: Finding) => f.source.format },
] as const satisfies readonly { name: string; type: string; of(finding: Finding): unknown }[];

/** One line of a history object: the columns a finding has (absent ones left out). */
export function historyRecordOf(finding: Finding): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const column of HISTORY_COLUMNS) {
    const value = column.of(finding);
    if (value !== undefined) record[column.name] = value;
  }
  return record;
}

/** Where history objects go: S3 in the cloud (s3-history-sink.ts). */
export interface HistorySink {
  /** Writes (or replaces) one object. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** The keys under `prefix`. */
  list(prefix: string): Promise<string[]>;
  /** Deletes the objects of `keys`. */
  delete(keys: readonly string[]): Promise<void>;
}

/** Writes one day's history, a part at a time. */
export class HistoryDayWriter {
  private lines: string[] = [];
  private parts = 0;
  private findings = 0;
  private bytes = 0;

  public constructor(
    private readonly sink: HistorySink,
    public readonly day: string,
    private readonly partSize = HISTORY_PART_SIZE,
  ) {}

  /** Adds one finding of the day; writes a part when it is full. */
  public async add(finding: Finding): Promise<void> {
    this.lines.push(JSON.stringify(historyRecordOf(finding)));
    this.findings += 1;
    if (this.lines.length >= this.partSize) await this.flush();
  }

  /**
   * Writes the last part and deletes the parts of an earlier run beyond this one's (a day with no
   * finding keeps no object). Returns what the day's history now holds.
   */
  public async finish(): Promise<{ findings: number; parts: number; bytes: number; deleted: number }> {
    if (this.lines.length > 0) await this.flush();
    const written = new Set(Array.from({ length: this.parts }, (_, part) => historyPartKey(this.day, part)));
    const stale = (await this.sink.list(historyDayPrefix(this.day))).filter((key) => !written.has(key));
    if (stale.length > 0) await this.sink.delete(stale);
    return { findings: this.findings, parts: this.parts, bytes: this.bytes, deleted: stale.length };
  }

  private async flush(): Promise<void> {
    const body = gzipSync(`${this.lines.join('\n')}\n`);
    this.lines = [];
    await this.sink.put(historyPartKey(this.day, this.parts), body);
    this.parts += 1;
    this.bytes += body.length;
  }
}
