/**
 * One file analysed in invocations that each stop after a number of batches and resume where the
 * last stopped, as ingest's continuations do.
 */
import { type AnalysisInput, type AnalyzeOptions, analyze } from '../../functions/core/analysis/analyze.js';
import type { ResumePoint, SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { chunked } from './streams.js';

export interface InvocationOptions extends Omit<AnalyzeOptions, 'shouldStop'> {
  /** Batches each invocation reads before it stops. */
  batches: number;
  /** Whether a resumed invocation reads only the head and the bytes from the resume point (S3 range reads); a compressed file is read whole. */
  sliced: boolean;
  /** Called after each invocation that stopped (for the test's assertions). */
  onStopped?(record: SourceRecord, invocations: number): void;
}

/** Analyses `file` (`MSGTRK.LOG`, source `source-1`) invocation by invocation until one reads to its end. */
export async function analyzeInInvocations(
  file: Buffer,
  { batches, sliced, onStopped, ...options }: InvocationOptions,
): Promise<{ record: SourceRecord; invocations: number }> {
  let record: SourceRecord | undefined;
  let invocations = 0;
  for (;;) {
    invocations++;
    let checks = 0;
    const point: ResumePoint | undefined = record?.resume;
    const input: AnalysisInput = {
      name: 'MSGTRK.LOG',
      sourceId: 'source-1',
      open: () =>
        point === undefined || !sliced
          ? chunked(file, 64 * 1024)
          : chunked(
              Buffer.concat([file.subarray(0, point.headBytes), file.subarray(point.fromByte)]),
              64 * 1024,
            ),
      ...(record?.resume === undefined
        ? {}
        : { resume: { record: record as SourceRecord & { resume: ResumePoint }, sliced } }),
    };
    const result = await analyze([input], { ...options, shouldStop: () => ++checks > batches });
    record = result.sources[0] as SourceRecord;
    if (!result.stopped) return { record, invocations };
    onStopped?.(record, invocations);
  }
}
