/**
 * The pull's cursor, one small S3 object: the end of the last window written, and the times of the
 * requests still inside the throttling window (so the next run counts them). Written only after
 * the window's file is, so a run that fails pulls the same window again.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { GRAPH_TRACE_CURSOR_KEY } from '../runtime/bucket-layout.js';
import { GraphPullError } from './errors.js';
import { safeJson } from './token-source.js';

export const CURSOR_KEY = GRAPH_TRACE_CURSOR_KEY;

export const CursorState = z.object({
  /** The end of the last window written (exclusive). */
  cursor: z.iso.datetime().transform((value) => new Date(value)),
  recentRequests: z.array(z.number().int().nonnegative()).default([]),
});
export type CursorState = z.output<typeof CursorState>;

export class CursorStore {
  public constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** The stored state; `undefined` before the first window is written. */
  public async read(): Promise<CursorState | undefined> {
    let text: string;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: CURSOR_KEY }));
      text = (await object.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'))
        return undefined;
      throw error;
    }
    const parsed = CursorState.safeParse(safeJson(text));
    if (!parsed.success) {
      throw new GraphPullError(
        `s3://${this.bucket}/${CURSOR_KEY} is not a trace cursor; delete it to start over`,
        {
          cause: parsed.error,
        },
      );
    }
    return parsed.data;
  }

  public async write(cursor: Date, recentRequests: readonly number[]): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: CURSOR_KEY,
        ContentType: 'application/json',
        Body: JSON.stringify({ cursor: cursor.toISOString(), recentRequests }),
      }),
    );
  }
}
