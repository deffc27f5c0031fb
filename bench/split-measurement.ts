/**
 * Is a very large upload re-analysed faster split into byte ranges for parallel workers, or by one
 * resumable worker? Measured on the local engines (s3rver, dynalite): one worker process analyses
 * the whole object; then `parts` worker processes at once each analyse one part (the object cut
 * at line boundaries, each part with the log's header), all writing to the same table. Each part
 * is analysed as a whole file, without the replay of the window before its range that a real split
 * would also read, and without reconciling refusals that wait across a cut: the split's time is a
 * lower bound, its benefit an upper bound.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { quietSdkNodeVersionNotice } from '../bin/support/quiet-sdk-notice.js';
import { createRemoteStore } from '../functions/store/remote-store.js';
import {
  LOCAL_REGION,
  S3RVER_CREDENTIALS,
  startLocalDynamo,
  startLocalS3,
} from '../test/support/local-engines.js';
import { generateTrackingLog } from './generate-tracking-log.js';

const BUCKET = 'relay-audit-split-bench';
const WORKER = join(import.meta.dirname, 'split-worker.ts');

/** What one run of workers took: wall time (processes included) and the slowest analysis in them. */
export interface WorkerRun {
  wallSeconds: number;
  slowestAnalysisSeconds: number;
  findings: number;
}

export interface SplitMeasurement {
  bytes: number;
  one: WorkerRun;
  split: WorkerRun & { parts: number };
}

/** Cuts a tracking log into `parts` pieces at line boundaries, each starting with the log's header. */
export function cutAtLines(body: Buffer, parts: number): Buffer[] {
  const text = body.toString('utf8');
  const lines = text.split('\r\n');
  const headerEnd = lines.findIndex((line) => !line.replace(/^\uFEFF/, '').startsWith('#'));
  const header = lines.slice(0, headerEnd);
  const rows = lines.slice(headerEnd).filter((line) => line.length > 0);
  const size = Math.ceil(rows.length / parts);
  return Array.from({ length: parts }, (_, i) =>
    Buffer.from(`${[...header, ...rows.slice(i * size, (i + 1) * size)].join('\r\n')}\r\n`, 'utf8'),
  );
}

/** Runs one worker process per key at once against the engines; resolves when all are done. */
async function runWorkers(
  endpoints: { s3: string; dynamo: string },
  table: string,
  keys: string[],
): Promise<WorkerRun> {
  const started = performance.now();
  const results = await Promise.all(
    keys.map(
      (key) =>
        new Promise<{ ms: number; findings: number }>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', WORKER, endpoints.s3, endpoints.dynamo, BUCKET, table, key],
            {
              stdio: ['ignore', 'pipe', 'inherit'],
            },
          );
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString('utf8');
          });
          child.on('error', reject);
          child.on('exit', (code) => {
            if (code !== 0) reject(new Error(`split worker for ${key} exited with ${code}`));
            else
              resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { ms: number; findings: number });
          });
        }),
    ),
  );
  return {
    wallSeconds: (performance.now() - started) / 1000,
    slowestAnalysisSeconds: Math.max(...results.map((result) => result.ms)) / 1000,
    findings: results.reduce((sum, result) => sum + result.findings, 0),
  };
}

/** One worker on the whole object vs `parts` workers on its parts, each into a fresh table. */
export async function splitMeasurement(options: {
  path: string;
  bytes: number;
  parts: number;
}): Promise<SplitMeasurement> {
  await generateTrackingLog(options.path, options.bytes, 7);
  // The engines take any key; the worker processes inherit these.
  process.env.AWS_ACCESS_KEY_ID ??= S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= S3RVER_CREDENTIALS.secretAccessKey;
  quietSdkNodeVersionNotice();
  const body = readFileSync(options.path);
  const [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo('relay-audit-split-one')]);
  try {
    const put = (key: string, bytes: Buffer) =>
      s3.client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes, ContentLength: bytes.length }),
      );
    await put('incoming/split/whole.LOG', body);
    const parts = cutAtLines(body, options.parts);
    for (const [i, part] of parts.entries()) await put(`incoming/split/part-${i}.LOG`, part);
    const splitTable = createRemoteStore({
      tableName: 'relay-audit-split-parts',
      endpoint: dynamo.endpoint,
      region: LOCAL_REGION,
    });
    await splitTable.store.ensureTable();
    await splitTable.close();
    const endpoints = { s3: s3.endpoint, dynamo: dynamo.endpoint };
    const one = await runWorkers(endpoints, 'relay-audit-split-one', ['incoming/split/whole.LOG']);
    const split = await runWorkers(
      endpoints,
      'relay-audit-split-parts',
      parts.map((_, i) => `incoming/split/part-${i}.LOG`),
    );
    return { bytes: body.length, one, split: { ...split, parts: options.parts } };
  } finally {
    await Promise.all([s3.close(), dynamo.close()]);
  }
}
