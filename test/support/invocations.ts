/**
 * One file analysed in invocations that each stop after a number of deadline checks and resume where
 * the last stopped, as ingest's continuations do; and what tests compare of such a run with one
 * pass of the file: its findings as the store keeps them (the last write of each id) and its record.
 */
import {
  type AnalysisInput,
  type AnalyzeOptions,
  analyze,
  type FindingSink,
} from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { ResumePoint, SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import type { DomainOracle } from '../../functions/core/organisation/accepted-domains.js';
import { chunked } from './streams.js';

export interface InvocationOptions extends Omit<AnalyzeOptions, 'shouldStop'> {
  /**
   * Deadline checks (batches of the body read) each invocation makes before it stops, or per
   * invocation (its number, from 1): `Infinity` never stops.
   */
  batches: number | ((invocation: number) => number);
  /** Whether a resumed invocation reads only the head and the bytes from the resume point (S3 range reads); a compressed file is read whole. */
  sliced: boolean;
  /** The file's name (default `MSGTRK.LOG`). */
  name?: string;
  /** Bytes per piece of the body (default 64 KiB): an S3 body arrives in pieces, a check between them. */
  chunk?: number;
  /** A domain oracle per invocation, instead of `domains` (ingest infers afresh in each). */
  domainsOf?: () => DomainOracle;
  /** Called after each invocation that stopped (for the test's assertions). */
  onStopped?(record: SourceRecord, invocations: number): void;
}

/** Analyses `file` (source `source-1`) invocation by invocation until one reads to its end. */
export async function analyzeInInvocations(
  file: Buffer,
  {
    batches,
    sliced,
    name = 'MSGTRK.LOG',
    chunk = 64 * 1024,
    domainsOf,
    onStopped,
    ...options
  }: InvocationOptions,
): Promise<{ record: SourceRecord; invocations: number }> {
  let record: SourceRecord | undefined;
  let invocations = 0;
  for (;;) {
    invocations++;
    if (invocations > 1000) throw new Error(`${name}: not read to its end in 1000 invocations`);
    let checks = 0;
    const limit = typeof batches === 'number' ? batches : batches(invocations);
    const point: ResumePoint | undefined = record?.resume;
    const input: AnalysisInput = {
      name,
      sourceId: 'source-1',
      open: () =>
        point === undefined || !sliced
          ? chunked(file, chunk)
          : chunked(Buffer.concat([file.subarray(0, point.headBytes), file.subarray(point.fromByte)]), chunk),
      ...(record?.resume === undefined
        ? {}
        : { resume: { record: record as SourceRecord & { resume: ResumePoint }, sliced } }),
    };
    const result = await analyze([input], {
      ...options,
      ...(domainsOf === undefined ? {} : { domains: domainsOf() }),
      shouldStop: () => ++checks > limit,
    });
    record = result.sources[0] as SourceRecord;
    if (!result.stopped || record.resume === undefined) return { record, invocations };
    onStopped?.(record, invocations);
  }
}

/** Keeps the last write of each finding (as the store does) and of the record. */
export class LastWrites implements FindingSink {
  public readonly findings = new Map<string, Finding>();
  public record: SourceRecord | undefined;
  public async putFindings(findings: Finding[]): Promise<void> {
    for (const finding of findings) this.findings.set(finding.id, structuredClone(finding));
  }
  public async putSource(record: SourceRecord): Promise<void> {
    this.record = structuredClone(record);
  }
}

/** What one pass and a run through continuations must share of a record: all but times, lease and bytes. */
export function comparable(record: SourceRecord): Partial<SourceRecord> {
  const { startedAt: _startedAt, finishedAt: _finishedAt, lease: _lease, bytes: _bytes, ...rest } = record;
  return rest;
}
